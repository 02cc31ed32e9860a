"""Derivative rules as data, one entry per primitive.

Three entry forms for what is differentiated:
  partials(prim, f)   f(*args, ans) -> the partial derivative w.r.t. each argument
                      (None where an argument is not differentiable). Both modes follow:
                        tangent:  ans_dot = sum_i p_i * x_i_dot   (inactive inputs skipped)
                        adjoint:  x_i_bar += p_i * ans_bar
                      Partials entries are elementwise: NumPy broadcasting applies.
  linear(prim, adjoint=g)    the tangent is the op applied to the tangents; g(ct, *args)
                      gives the cotangents of the linear arguments.
  rule(prim, tangent=t, adjoint=a)   anything else, both directions side by side.
and two declarations for what is not:
  nondiff(*prims, why=...)    derivative zero or cut, for one of the reasons below (WHY).
  no_rule(*prims, why=...)    no entry on purpose: handled by the transforms themselves
                      (element access, allocation, storage), or refused (NoRuleError).
A primitive with none of these has no derivative, and differentiating through it raises
NoRuleError; tests/rules/test_registry.py makes every primitive declare one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
    prim: str
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


RULES: dict[str, Rule] = {}
NO_RULE: dict[str, str] = {}  # primitive -> why it has no entry (one of NO_RULE_WHY)


def partials(prim: str, f: Callable, domain=(-2.0, 2.0), smooth=True, finite=True) -> None:
    RULES[prim] = Rule(prim, "partials", partials=f, domain=domain, smooth=smooth, finite=finite,
                       broadcasts=True)


def linear(prim: str, adjoint: Callable, domain=(-2.0, 2.0)) -> None:
    RULES[prim] = Rule(prim, "linear", adjoint=adjoint, domain=domain)


def rule(prim: str, tangent: Callable, adjoint: Callable, domain=(-2.0, 2.0),
         broadcasts=False) -> None:
    RULES[prim] = Rule(prim, "rule", tangent=tangent, adjoint=adjoint, domain=domain,
                       broadcasts=broadcasts)


def nondiff(*prims: str, why: str | None = None, broadcasts=False) -> None:
    """Declare a zero (or cut) derivative; `why` is one of WHY (the registry test checks it)."""
    for p in prims:
        RULES[p] = Rule(p, "nondiff", why=why, broadcasts=broadcasts)


def no_rule(*prims: str, why: str) -> None:
    for p in prims:
        NO_RULE[p] = why


def get(prim: str) -> Rule | None:
    return RULES.get(prim)


from . import arrays, linalg, scalar  # noqa: E402,F401  (fill the table)
