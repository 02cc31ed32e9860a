"""Functions with user-defined derivative rules (s2sad.defrule)."""

import math

import numpy as np
import scipy.special

import s2sad


@s2sad.defrule(partials=lambda x, ans: ans * (1.0 - ans))
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@s2sad.defrule(partials=lambda x, y, ans: (np.cos(x) * y, np.sin(x)))
def sin_times(x, y):
    return math.sin(x) * y


def uses_rules(a, b):
    return sigmoid(a * b) + sin_times(a, b) ** 2


def uses_rules_on_arrays(x):
    return np.sum(sigmoid(x) * x)


# A rule's partials are evaluated on symbolic values: a function s2sad has no primitive
# for (scipy.special.expit) cannot be written into the derivative, and is refused by name.
@s2sad.defrule(partials=lambda x, ans: scipy.special.expit(x) * (1 - scipy.special.expit(x)))
def sig_scipy_partial(x):
    return scipy.special.expit(x)


@s2sad.defrule(partials=lambda x, ans: math.exp(-x) * ans * ans)
def sig_math_partial(x):
    return 1.0 / (1.0 + math.exp(-x))


# the same derivative written with the result: s2sad writes it
@s2sad.defrule(partials=lambda x, ans: ans * (1.0 - ans))
def sig_scipy_ans(x):
    return scipy.special.expit(x)


# NumPy functions inside partials: ufuncs and np.where reach their primitives
@s2sad.defrule(partials=lambda x, ans: np.where(ans > 0.0, -np.expm1(-ans), 0.0))
def softplus(x):
    return np.log1p(np.exp(x))


def uses_scipy_partial(x):
    return sig_scipy_partial(x) * x


def uses_math_partial(x):
    return sig_math_partial(x) * x


def uses_scipy_ans(x):
    return sig_scipy_ans(2.0 * x) * x


def uses_softplus(x):
    return np.sum(softplus(x) * x)
