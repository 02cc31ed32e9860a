"""Functions with user-defined derivative rules (s2sad.defrule)."""

import math

import numpy as np

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
