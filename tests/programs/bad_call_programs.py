"""Functions under test for tests/test_bad_calls.py (few distinct signatures: compiles are
shared between tests)."""

import math

import numpy as np


def cubic(x):
    """f = sin(x) x^2: f''' = -6x sin x - x^2 cos x + 6 cos x."""
    return math.sin(x) * x ** 2


def two_in(x, y):
    """sin(x) y^2 + x^3 y: every third derivative is analytic."""
    return math.sin(x) * y ** 2 + x ** 3 * y


def quartic(x):
    """sum(x^4) + x0 x1^3: 4th derivatives 24 on the diagonal, 6 at (0, 1, 1, 1)."""
    return np.sum(x ** 4) + x[0] * x[1] ** 3


def squares(x):
    return x * x


def loop_cubes(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] ** 3
    return s


def shifted(x, k):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i + k] * x[i]
    return s


# ---------------------------------------------------------------- constant indices
def fifth(x):
    return x[5] * 2.0 + x[0]


def minus_four(x):
    return x[-4] * x[0]


def column_three(a):
    return np.sum(a[:, 3] * a[:, 0])


def guarded(x):
    if x.shape[0] > 5:
        return x[5] * x[0]
    return x[0] * x[0]


def writes_past_local(x):
    y = np.zeros(3)
    y[4] = x
    return np.sum(y)


# ---------------------------------------------------------------- array outputs (vjp)
def outer_t(x):
    return np.outer(x, x).T


def joined(x):
    return np.concatenate((x, 2.0 * x))


def as_matrix(x):
    return x.reshape(2, 3) * 3.0


def mixed(x, a):
    return np.sin(x) * a, a * a


def pair(x, y):
    return x * y, x + y


# ---------------------------------------------------------------- keywords, methods
def with_default(x, y=2.0, n=3):
    return x ** n * y


class Spring:
    def __init__(self, k, w):
        self.k = k
        self.w = w

    def force(self, x):
        return self.k * x

    def energy(self, x):
        return np.sum(self.w * self.force(x) ** 2)

    def scalar_energy(self, x):
        return 0.5 * self.k * x * x

    def __call__(self, x):
        return self.energy(x) + 1.0


# ---------------------------------------------------------------- a Jacobian inside a function
def _make_jacobian():
    import s2sad

    return s2sad.jacfwd(squares, target="python")


JAC_OF_SQUARES = _make_jacobian()


def sums_a_jacobian(x):
    return np.sum(JAC_OF_SQUARES(x))


def shadows_type(x, type):  # noqa: A002
    return x * type


TABLE = np.array([1.0, 2.0, 3.0])


def reads_past_a_table(x):
    return TABLE[3] * x
