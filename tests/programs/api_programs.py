"""Functions under test for tests/test_api.py."""

import math
from math import log, sin

import numpy as np

import s2sad


def poly(x, y):
    return x**3 * y + 2.0 * x * y**2 - math.sin(x * y)


def wengert(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


# ---------------------------------------------------------------- helpers returning tuples
def f(x1, x2):
    """Automatic Differentiation with pytorch: f(x) = (log(x1 x2), sin(x2))."""
    return (log(x1 * x2), sin(x2))


def g(y1, y2):
    return y1 * y2


def g_of_f(x1, x2):
    y1, y2 = f(x1, x2)
    return g(y1, y2)


def g_of_f_indexed(x1, x2):
    y = f(x1, x2)
    return g(y[0], y[1])


# ---------------------------------------------------------------- outputs and arguments
def two_outputs(x, y):
    return x * y, x + y


def vector_out(x, y):
    return (x * y, math.sin(x), x / y, math.exp(x - y))


def int_output(x, n):
    return n * 2


def scaled(k, x):
    return k * x * x


def power_sum(x, n, y):
    s = 0.0
    for i in range(n):
        s = s + x**i * y
    return s


def weighted_squares(a, w):
    s = 0.0
    for i in range(a.shape[0]):
        s = s + w * a[i] ** 2
    return s


# ---------------------------------------------------------------- statements
def reassigned(x, y):
    a = x
    a = a * y
    a = a + x
    a = math.sin(a)
    a = a * a + y
    a = a / (1.0 + x * x)
    return a


def augmented(x, y):
    s = x
    s += y
    s *= x
    s -= y / 2.0
    s /= 1.0 + x * x
    s **= 2
    return s


def unpacking(x, y):
    a, b = x * y, x + y
    a, b = b, a
    (c, d), e = (a, b), a * b
    return c * d + e


# ---------------------------------------------------------------- decorator forms
@s2sad.grad(target="python")
def d_square(x):
    return x * x


@s2sad.grad(argnums=(0, 1), target="python")
def d_prod(x, y):
    return x * y * y


@s2sad.grad
def d_cube(x):
    return x * x * x


def prod_sq(x, y):
    return x * y * y


d_prod_wrt_y = s2sad.grad(prod_sq, 1, target="python")


# ---------------------------------------------------------------- nested derivatives
def u(t):
    return math.sin(t) * t


du = s2sad.grad(u, target="python")


def pinn_loss(t):
    """A loss containing a derivative (PINN style): (du/dt)^2."""
    return du(t) ** 2


# ---------------------------------------------------------------- check_grads
def cbrt_for_broken_rule(x):
    return np.cbrt(x) * x


def mixed_outputs(a, x, n):
    s = 0.0
    for i in range(a.shape[0]):
        s = s + a[i] * x
    return (s * s, n + 1, math.sin(x))


def one_liner(x): return x * x


# ---------------------------------------------------------------- NumPy dispatchers
def copy_and_scale(a, x):
    b = np.copy(a)
    z = np.zeros_like(a)
    s = 0.0
    for i in range(b.shape[0]):
        z[i] = x * b[i]
        s = s + z[i] * b[i] + np.around(x)
    return s


def lgamma_constant(x, m):
    return x * x - math.lgamma(0.5 * m)


def lgamma_active(x):
    return math.lgamma(x)
