"""The rule table: one Rule per op-table entry (keyed by the Prim itself), or a declared
reason it has none. See the package docstring for the entry forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..ir.primitives import PRIMS, Prim

# Why a primitive is not differentiated (nondiff entries). A declaration is a claim
# tests/rules/test_registry.py checks: the value really is locally constant, the result
# really is an integer, the arguments really are sizes.
PIECEWISE = "piecewise constant: its derivative is zero where it exists"
DISCRETE = "integer or boolean result: nothing to differentiate"
SHAPE_ONLY = "depends on its argument's shape, not on its values"
SIZES = "takes sizes and counts (integers) only"
CUT = "cuts the derivative on request (stop_gradient)"
USER_DECLARED = "declared non-differentiable by the user (defrule)"
WHY = (PIECEWISE, DISCRETE, SHAPE_ONLY, SIZES, CUT, USER_DECLARED)

# Why a primitive has no rule entry (no_rule declarations).
STRUCTURAL = "handled by the transforms themselves (element access, allocation, storage)"
REFUSED = "no derivative: differentiating through it raises NoRuleError"
NO_RULE_WHY = (STRUCTURAL, REFUSED)


@dataclass(frozen=True)
class Rule:
    prim: Prim
    kind: str  # partials | linear | rule | nondiff
    partials: Callable | None = None
    tangent: Callable | None = None
    adjoint: Callable | None = None
    domain: tuple = (-2.0, 2.0)  # where tests sample arguments
    smooth: bool = True  # False: tests avoid kinks
    finite: bool = True  # False: a partial can be inf/nan where the primal is finite, so the
    # adjoint of an array op multiplies safely (0 where the cotangent is 0: masked by where)
    broadcasts: bool = False  # elementwise with NumPy broadcasting: the result has the
    # broadcast shape of the arguments (partials entries, np.where, comparisons)
    why: str | None = None  # nondiff: one of WHY


class PrimTable(dict):
    """A dict keyed by op-table entries (Prim objects). A primitive's name may stand for
    its entry (`RULES["sin"]`); a name that is no primitive is an error, never a new key."""

    @staticmethod
    def key(k) -> Prim:
        if isinstance(k, Prim):
            return k
        try:
            return PRIMS[k]
        except KeyError:
            raise KeyError(f"{k!r} is not a primitive of the op table "
                           "(s2sad/ir/primitives.py)") from None

    def __getitem__(self, k):
        return super().__getitem__(self.key(k))

    def __setitem__(self, k, v) -> None:
        super().__setitem__(self.key(k), v)

    def __delitem__(self, k) -> None:
        super().__delitem__(self.key(k))

    def __contains__(self, k) -> bool:
        try:
            return super().__contains__(self.key(k))
        except KeyError:
            return False

    def get(self, k, default=None):
        return super().get(self.key(k), default)

    def pop(self, k, *default):
        return super().pop(self.key(k), *default)

    def names(self) -> set[str]:
        return {p.name for p in self}


RULES: PrimTable = PrimTable()  # Prim -> Rule
NO_RULE: PrimTable = PrimTable()  # Prim -> why it has no entry (one of NO_RULE_WHY)


def partials(prim: str, f: Callable, domain=(-2.0, 2.0), smooth=True, finite=True) -> None:
    RULES[prim] = Rule(PrimTable.key(prim), "partials", partials=f, domain=domain, smooth=smooth, finite=finite,
                       broadcasts=True)


def linear(prim: str, adjoint: Callable, domain=(-2.0, 2.0)) -> None:
    RULES[prim] = Rule(PrimTable.key(prim), "linear", adjoint=adjoint, domain=domain)


def rule(prim: str, tangent: Callable, adjoint: Callable, domain=(-2.0, 2.0),
         broadcasts=False) -> None:
    RULES[prim] = Rule(PrimTable.key(prim), "rule", tangent=tangent, adjoint=adjoint, domain=domain,
                       broadcasts=broadcasts)


def nondiff(*prims: str, why: str | None = None, broadcasts=False) -> None:
    """Declare a zero (or cut) derivative; `why` is one of WHY (the registry test checks it)."""
    for p in prims:
        RULES[p] = Rule(PrimTable.key(p), "nondiff", why=why, broadcasts=broadcasts)


def no_rule(*prims: str, why: str) -> None:
    for p in prims:
        NO_RULE[p] = why


def get(prim: str) -> Rule | None:
    return RULES.get(prim)


