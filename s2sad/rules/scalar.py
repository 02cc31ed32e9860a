"""Derivatives of the scalar (and elementwise) elementary functions.

Each entry gives the partials of one primitive as expressions over its inputs and its
result `ans`. Kinks follow JAX (docs/conventions.md): d|x|/dx = +1 at 0; max/min split
a tie 1/2 and 1/2; floor, ceil, trunc, round, sign have derivative 0; int() cuts.
"""

from __future__ import annotations

import math

from .dsl import cos, cosh, emit, exp, log, sin, sinh, sqrt, where
from .registry import CUT, DISCRETE, PIECEWISE, REFUSED, no_rule, nondiff, partials, rule

LN2, LN10, TWO_OVER_SQRT_PI = math.log(2.0), math.log(10.0), 2.0 / math.sqrt(math.pi)
POS, UNIT = (0.2, 3.0), (-0.9, 0.9)

def _choice_tangent(prim):
    """where(c, a, b)' = where(c, a', b'): chosen, not multiplied, so an inf/nan tangent of
    the branch not taken never leaks (0 * nan)."""

    def tangent(args, ans, dots, at):
        c = args[0]
        a_dot = dots[1] if dots[1] is not None else 0.0
        b_dot = dots[2] if dots[2] is not None else 0.0
        return emit(prim, c, a_dot, b_dot)

    return tangent


def _choice_adjoint(prim):
    def adjoint(args, ans, g, at):
        c = args[0]
        return None, emit(prim, c, g, 0.0), emit(prim, c, 0.0, g)

    return adjoint



# fmt: off
partials("add",      lambda x, y, ans: (1.0, 1.0))
partials("sub",      lambda x, y, ans: (1.0, -1.0))
partials("mul",      lambda x, y, ans: (y, x))
partials("div",      lambda x, y, ans: (1.0 / y, -ans / y),                        domain=POS, finite=False)
partials("pow",      lambda x, y, ans: (y * x ** (y - 1), log(where(x == 0.0, 1.0, x)) * ans),
                                                                                   domain=POS, finite=False)
partials("fpow",     lambda x, y, ans: (y * x ** (y - 1), log(where(x == 0.0, 1.0, x)) * ans),
                                                                                   domain=POS, finite=False)
partials("mod",      lambda x, y, ans: (1.0, -emit("floor", x / y)),    domain=POS, smooth=False, finite=False)
partials("neg",      lambda x, ans: -1.0)
partials("pos",      lambda x, ans: 1.0)
partials("float",    lambda x, ans: 1.0)
partials("exp",      lambda x, ans: ans)
partials("exp2",     lambda x, ans: ans * LN2)
partials("expm1",    lambda x, ans: ans + 1.0)
partials("log",      lambda x, ans: 1.0 / x,                                       domain=POS, finite=False)
partials("log2",     lambda x, ans: 1.0 / (x * LN2),                               domain=POS, finite=False)
partials("log10",    lambda x, ans: 1.0 / (x * LN10),                              domain=POS, finite=False)
partials("log1p",    lambda x, ans: 1.0 / (1.0 + x),                               domain=(-0.5, 2.0), finite=False)
partials("sqrt",     lambda x, ans: 0.5 / ans,                                     domain=POS, finite=False)
partials("cbrt",     lambda x, ans: 1.0 / (3.0 * ans * ans),                       domain=POS, finite=False)
partials("sin",      lambda x, ans: cos(x))
partials("cos",      lambda x, ans: -sin(x))
partials("tan",      lambda x, ans: 1.0 + ans * ans,                               domain=(-1.2, 1.2), finite=False)
partials("asin",     lambda x, ans: 1.0 / sqrt(1.0 - x * x),                       domain=UNIT, finite=False)
partials("acos",     lambda x, ans: -1.0 / sqrt(1.0 - x * x),                      domain=UNIT, finite=False)
partials("atan",     lambda x, ans: 1.0 / (1.0 + x * x))
partials("atan2",    lambda y, x, ans: (x / (x * x + y * y), -y / (x * x + y * y)), domain=POS, finite=False)
partials("sinh",     lambda x, ans: cosh(x))
partials("cosh",     lambda x, ans: sinh(x))
partials("tanh",     lambda x, ans: 1.0 - ans * ans)
partials("asinh",    lambda x, ans: 1.0 / sqrt(x * x + 1.0))
partials("acosh",    lambda x, ans: 1.0 / sqrt(x * x - 1.0),                       domain=(1.2, 3.0), finite=False)
partials("atanh",    lambda x, ans: 1.0 / (1.0 - x * x),                           domain=UNIT, finite=False)
partials("logaddexp", lambda x, y, ans: (exp(x - ans), exp(y - ans)))
partials("hypot",    lambda x, y, ans: (x / ans, y / ans),                         domain=POS, finite=False)
partials("erf",      lambda x, ans: TWO_OVER_SQRT_PI * exp(-(x * x)))
partials("erfc",     lambda x, ans: -TWO_OVER_SQRT_PI * exp(-(x * x)))
partials("copysign", lambda x, y, ans: (emit("copysign", 1.0, x) * emit("copysign", 1.0, y),
                                        None),                                     smooth=False)
partials("abs",      lambda x, ans: where(x >= 0.0, 1.0, -1.0),                    smooth=False)
partials("fabs",     lambda x, ans: where(x >= 0.0, 1.0, -1.0),                    smooth=False)
partials("max",      lambda x, y, ans: (where(x > y, 1.0, where(x == y, 0.5, 0.0)),
                                        where(y > x, 1.0, where(x == y, 0.5, 0.0))), smooth=False)
partials("min",      lambda x, y, ans: (where(x < y, 1.0, where(x == y, 0.5, 0.0)),
                                        where(y < x, 1.0, where(x == y, 0.5, 0.0))), smooth=False)

rule("select",      tangent=_choice_tangent("select"), adjoint=_choice_adjoint("select"))
nondiff("floor", "ceil", "trunc", "round", "sign", "floordiv",      why=PIECEWISE, broadcasts=True)
nondiff("lt", "le", "gt", "ge", "eq", "ne", "not", "and", "or",       why=DISCRETE, broadcasts=True)
nondiff("ifloor", "iceil", "itrunc", "iround", "int", "len",          why=DISCRETE)
nondiff("stop_gradient",                                                   why=CUT)
no_rule("opaque",  why=REFUSED)  # a library call without a rule (math.lgamma): fine off the diff path
nondiff("round_to",                                                        why=PIECEWISE, broadcasts=True)
# fmt: on
