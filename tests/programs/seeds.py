"""The worked examples of the seed documents (../shared/seeds), as users would write them."""

import math

import numpy as np


def wengert(x1, x2):
    """Taking Derivatives with AD, 5.2: ln x1 + x1*x2 - sin x2."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


def wengert_np(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def forward_table(x1, x2):
    """Computational-graph notes, 2.1: ln x1 + cos x2 - x1*x2."""
    return math.log(x1) + math.cos(x2) - x1 * x2


def mccormick(x0, x1):
    return math.sin(x0 + x1) + (x0 - x1) ** 2 - 1.5 * x0 + 2.5 * x1 + 1


def qz(x, y, z):
    """SciML slides: f = (x + y) z."""
    q = x + y
    f = q * z
    return f


def log_sin_tanh(x, y, z):
    return math.log(math.sin(x) + math.tanh(y**2)) / z


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def logistic_loss(w, b, x, t):
    """SciML slides: z = wx + b, y = sigma(z), L = (y - t)^2 / 2."""
    z = w * x + b
    y = sigmoid(z)
    L = 0.5 * (y - t) ** 2
    return L


def backprop_exercise(x, y):
    """SciML slides exercise: (x + sigma(y)) / (sigma(x) + (x + y)^2)."""
    num = x + sigmoid(y)
    den = sigmoid(x) + (x + y) ** 2
    return num / den


def f_pair(x1, x2):
    """AD with pytorch: f(x) = (log(x1 x2), sin(x2))."""
    return (math.log(x1 * x2), math.sin(x2))


def g_prod(a, b):
    return a * b


def g_of_f(x1, x2):
    y1, y2 = f_pair(x1, x2)
    return g_prod(y1, y2)
