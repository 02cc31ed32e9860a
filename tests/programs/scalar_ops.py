"""One small function per scalar primitive and per spelling of it (tests/rules/test_scalar.py).

Spellings reach primitives by object identity, so aliases and imports under other names
must differentiate exactly like the canonical spelling.
"""

import math
from math import atan2 as arc_tangent2
from math import sin as s

import numpy
import numpy as np
from numpy import arctan2

import s2sad

sine = math.sin  # a module-level alias


# ---------------------------------------------------------------- arithmetic
def op_add(x, y):
    return x + y


def op_sub(x, y):
    return x - y


def op_mul(x, y):
    return x * y


def op_div(x, y):
    return x / y


def op_pow(x, y):
    return x**y


def op_pow_builtin(x, y):
    return pow(x, y)


def op_np_power(x, y):
    return np.power(x, y)


def op_fpow(x, y):
    return math.pow(x, y)


def op_mod(x, y):
    return x % y


def op_neg(x):
    return -x


def op_np_negative(x):
    return np.negative(x)


def op_pos(x):
    return +x


def op_float64(x):
    return np.float64(x)


def op_float(x):
    return float(x)


# ---------------------------------------------------------------- exponentials, logs
def op_exp(x):
    return math.exp(x)


def op_np_exp(x):
    return np.exp(x)


def op_exp2(x):
    return np.exp2(x)


def op_expm1(x):
    return math.expm1(x)


def op_np_expm1(x):
    return np.expm1(x)


def op_log(x):
    return math.log(x)


def op_np_log(x):
    return np.log(x)


def op_log_base(x, y):
    return math.log(x, y)


def op_log2(x):
    return math.log2(x)


def op_np_log2(x):
    return np.log2(x)


def op_log10(x):
    return math.log10(x)


def op_np_log10(x):
    return np.log10(x)


def op_log1p(x):
    return math.log1p(x)


def op_np_log1p(x):
    return np.log1p(x)


def op_sqrt(x):
    return math.sqrt(x)


def op_np_sqrt(x):
    return np.sqrt(x)


def op_cbrt(x):
    return np.cbrt(x)


# ---------------------------------------------------------------- trigonometric
def op_sin(x):
    return math.sin(x)


def op_np_sin(x):
    return np.sin(x)


def op_numpy_sin(x):
    return numpy.sin(x)


def op_sin_as_s(x):
    return s(x)


def op_sine_alias(x):
    return sine(x)


def op_cos(x):
    return math.cos(x)


def op_np_cos(x):
    return np.cos(x)


def op_tan(x):
    return math.tan(x)


def op_np_tan(x):
    return np.tan(x)


def op_asin(x):
    return math.asin(x)


def op_np_arcsin(x):
    return np.arcsin(x)


def op_acos(x):
    return math.acos(x)


def op_np_arccos(x):
    return np.arccos(x)


def op_atan(x):
    return math.atan(x)


def op_np_arctan(x):
    return np.arctan(x)


def op_atan2(y, x):
    return math.atan2(y, x)


def op_np_arctan2(y, x):
    return np.arctan2(y, x)


def op_arctan2_imported(y, x):
    return arctan2(y, x)


def op_atan2_as(y, x):
    return arc_tangent2(y, x)


# ---------------------------------------------------------------- hyperbolic
def op_sinh(x):
    return math.sinh(x)


def op_np_sinh(x):
    return np.sinh(x)


def op_cosh(x):
    return math.cosh(x)


def op_np_cosh(x):
    return np.cosh(x)


def op_tanh(x):
    return math.tanh(x)


def op_np_tanh(x):
    return np.tanh(x)


def op_asinh(x):
    return math.asinh(x)


def op_np_arcsinh(x):
    return np.arcsinh(x)


def op_acosh(x):
    return math.acosh(x)


def op_np_arccosh(x):
    return np.arccosh(x)


def op_atanh(x):
    return math.atanh(x)


def op_np_arctanh(x):
    return np.arctanh(x)


# ---------------------------------------------------------------- special, kinks
def op_hypot(x, y):
    return math.hypot(x, y)


def op_np_hypot(x, y):
    return np.hypot(x, y)


def op_np_logaddexp(x, y):
    return np.logaddexp(x, y)


def op_erf(x):
    return math.erf(x)


def op_erfc(x):
    return math.erfc(x)


def op_copysign(x, y):
    return math.copysign(x, y)


def op_np_copysign(x, y):
    return np.copysign(x, y)


def op_abs(x):
    return abs(x)


def op_np_abs(x):
    return np.abs(x)


def op_np_absolute(x):
    return np.absolute(x)


def op_fabs(x):
    return math.fabs(x)


def op_np_fabs(x):
    return np.fabs(x)


def op_max(x, y):
    return max(x, y)


def op_np_maximum(x, y):
    return np.maximum(x, y)


def op_np_fmax(x, y):
    return np.fmax(x, y)


def op_min(x, y):
    return min(x, y)


def op_np_minimum(x, y):
    return np.minimum(x, y)


def op_np_fmin(x, y):
    return np.fmin(x, y)


def op_max3(x, y, z):
    return max(x, y, z)


def op_min3(x, y, z):
    return min(x, y, z)


# ---------------------------------------------------------------- zero derivative or cut
# Each is f(x, y) = op(x) * y: d/dx is 0 (even at a jump), d/dy is op(x).
def nd_floor(x, y):
    return np.floor(x) * y


def nd_ceil(x, y):
    return np.ceil(x) * y


def nd_trunc(x, y):
    return np.trunc(x) * y


def nd_fix(x, y):
    return np.fix(x) * y


def nd_round(x, y):
    return np.round(x) * y


def nd_round_to(x, y):
    return round(x, 1) * y


def nd_np_round_to(x, y):
    return np.round(x, 1) * y


def nd_rint(x, y):
    return np.rint(x) * y


def nd_sign(x, y):
    return np.sign(x) * y


def nd_floordiv(x, y):
    return (x // 0.5) * y


def nd_stop_gradient(x, y):
    return s2sad.stop_gradient(x) * y


def nd_ifloor(x, y):
    return math.floor(x) * y


def nd_iceil(x, y):
    return math.ceil(x) * y


def nd_itrunc(x, y):
    return math.trunc(x) * y


def nd_iround(x, y):
    return round(x) * y


def nd_int(x, y):
    return int(x) * y


def nd_len(a, y):
    return len(a) * y


def nd_lt(x, y):
    return float(x < 0.5) * y


def nd_le(x, y):
    return float(x <= 0.5) * y


def nd_gt(x, y):
    return float(x > 0.5) * y


def nd_ge(x, y):
    return float(x >= 0.5) * y


def nd_eq(x, y):
    return float(x == 0.5) * y


def nd_ne(x, y):
    return float(x != 0.5) * y


def nd_not(x, y):
    return float(not x < 0.5) * y


# ---------------------------------------------------------------- conventions at kinks
def floor_plus(x):
    return np.floor(x) + x


def round_builtin(x):
    return round(x) + 0.0 * x


def int_cut(x):
    return int(x) * x


def float_passes(x):
    return float(x) * x


def float_of_int(n, x):
    return float(n) * x


def abs_times(x, y):
    return abs(x) * y


def nd_and(x, y):
    return float(x > 0.5 and x < 2.0) * y


def nd_or(x, y):
    return float(x < 0.5 or x > 2.0) * y
