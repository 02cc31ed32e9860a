"""Valid Python that s2sad once lowered wrongly or refused (tests/frontend/test_reliability.py)."""

import numpy as np

# ---------------------------------------------------------------- `or` / `and` as values


def or_default(x, y):
    w = y or 1.0  # y if y != 0.0 else 1.0
    return x * w


def and_or(x, y):
    # (x > 0.5 and y) or x * x: y when x > 0.5 and y != 0, else x * x
    return (x > 0.5 and y or x * x) * x


def or_chain(x, y, z):
    return (y or z or 2.0) * x


def and_value(x, y):
    return x * (y and x + y)  # y (= 0.0) when y is 0, else x + y


def not_float(x, y):
    if not y:
        return x * 2.0
    return x * y


def if_float(x, y):
    if y:
        return x * y
    return -x


def chained_or(x, y):
    if 0.0 < x < 1.0 and y or x > 2.0:
        return x * y
    return x + y


def or_int(x, n):
    return x * (n or 3)


def or_arrays(a, b):
    c = a or b
    return np.sum(c)


def and_scalar_array(x, b):
    c = x and b
    return np.sum(c)
