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

from . import arrays, linalg, scalar  # noqa: F401  (fill the table)
from .registry import (  # noqa: F401
    CUT,
    DISCRETE,
    NO_RULE,
    NO_RULE_WHY,
    PIECEWISE,
    REFUSED,
    RULES,
    SHAPE_ONLY,
    SIZES,
    STRUCTURAL,
    USER_DECLARED,
    WHY,
    PrimTable,
    Rule,
    get,
    linear,
    no_rule,
    nondiff,
    partials,
    rule,
)
