"""s2sad: source-to-source automatic differentiation for numerical Python, compiled by Numba.

    import math, s2sad

    @s2sad.grad(argnums=(0, 1))
    def f(x1, x2):
        return math.log(x1) + x1 * x2 - math.sin(x2)

    f(2.0, 5.0)   # (5.5, 1.7163378145367738)
"""

from .api import (
                  custom_jvp,
                  custom_vjp,
                  derivative_source,
                  float0,
                  grad,
                  hessian,
                  hvp,
                  jacfwd,
                  jacrev,
                  jvp,
                  linearize,
                  stop_gradient,
                  value_and_grad,
                  vjp,
                  vmap,
                  wait_for_compiles,
)
from .errors import (
                  BadArguments,
                  NonDifferentiableOutput,
                  NoRuleError,
                  S2SADCacheWarning,
                  S2SADError,
                  SourceUnavailable,
                  TypeMismatch,
                  UnsupportedSyntax,
)
from .rules.user import defrule

__version__ = "0.1.0"

__all__ = [
    "grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian", "stop_gradient",
    "hvp", "linearize", "vmap", "float0", "custom_jvp", "custom_vjp", "defrule",
    "derivative_source", "wait_for_compiles", "S2SADError", "UnsupportedSyntax", "NoRuleError", "TypeMismatch",
    "NonDifferentiableOutput", "BadArguments", "SourceUnavailable", "S2SADCacheWarning",
]
