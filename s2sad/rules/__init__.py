"""Derivative rules as data, one entry per primitive.

Three entry forms, and only these:
  partials(prim, f)   f(*args, ans) -> the partial derivative w.r.t. each argument
                      (None where an argument is not differentiable). Both modes follow:
                        tangent:  ans_dot = sum_i p_i * x_i_dot   (inactive inputs skipped)
                        adjoint:  x_i_bar += p_i * ans_bar
  linear(prim, adjoint=g)    the tangent is the op applied to the tangents; g(ct, *args)
                      gives the cotangents of the linear arguments.
  rule(prim, tangent=t, adjoint=a)   anything else, both directions side by side.
  nondiff(*prims)     piecewise-constant float functions: derivative zero, declared.
A primitive with none of these has no derivative, and differentiating through it raises
NoRuleError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


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


RULES: dict[str, Rule] = {}


def partials(prim: str, f: Callable, domain=(-2.0, 2.0), smooth=True, finite=True) -> None:
    RULES[prim] = Rule(prim, "partials", partials=f, domain=domain, smooth=smooth, finite=finite)


def linear(prim: str, adjoint: Callable, domain=(-2.0, 2.0)) -> None:
    RULES[prim] = Rule(prim, "linear", adjoint=adjoint, domain=domain)


def rule(prim: str, tangent: Callable, adjoint: Callable, domain=(-2.0, 2.0)) -> None:
    RULES[prim] = Rule(prim, "rule", tangent=tangent, adjoint=adjoint, domain=domain)


def nondiff(*prims: str) -> None:
    for p in prims:
        RULES[p] = Rule(p, "nondiff")


def get(prim: str) -> Rule | None:
    return RULES.get(prim)


from . import arrays, linalg, scalar  # noqa: E402,F401  (fill the table)
