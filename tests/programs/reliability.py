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


# ---------------------------------------------------------------- names after loops


def last_index(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[i]
    return s * x[i] + i  # i is n - 1


def last_index_each_loop(x, n):
    """The loop variable after a constant range, a reversed range, a stepped range, a loop
    with break (the index it broke at), a loop that kept an earlier value, and a while loop's
    body-local name."""
    s = 0.0
    for i in range(3):
        s = s + x[i]
    a = x[i] * i
    for j in reversed(range(1, n)):
        s = s * 0.5 + x[j]
    b = x[j] * j
    for k in range(n - 1, -1, -2):
        s = s + 0.25 * x[k]
    c = x[k] * k
    for m in range(n):
        s = s + x[m]
        if s > 2.5:
            break
    d = x[m] * m
    p = 1
    for p in range(n, 2):  # no trips for n >= 2: p keeps its value
        s = s + x[p]
    q = 0
    while q < n:
        t = x[q] * x[q]  # first assigned in the loop: its last value after it
        q += 1
    return s * (a + b + c + d + x[p] * p) + t * q


def first_assigned_in_loop(x, n):
    s = 0.0
    for k in range(n):
        if x[k] > 0.5:
            big = x[k]  # assigned in one branch of the loop body
        t = x[k] * x[k]
        s = s + t
    return s + t * 3.0 + big * k


def array_first_made_in_loop(x, n):
    for k in range(n):
        a = x * k
    return np.sum(a)


# ---------------------------------------------------------------- helper calls


def _damped(x, k=1.0, c=0.5):
    return x * k - c * x * x


def _shifted(x, *, scale=2.0, off):
    return x * scale + off


def _posonly(x, y=1.5, /):
    return x * y


def keyword_calls(x):
    return (_damped(x, c=2.0) + _damped(x, 3.0) + _damped(c=0.25, x=x)
            + _shifted(x, off=1.0) * _shifted(x, scale=x, off=0.0) + _posonly(x) * _posonly(x, x))


def unexpected_keyword(x):
    return _damped(x, d=1.0)


def twice_given(x):
    return _damped(x, 1.0, k=2.0)


def missing_keyword_only(x):
    return _shifted(x)


def _fill(a, x):
    for i in range(a.shape[0]):
        a[i] = x * (i + 1)


def _set_one(a, x):
    if x > 0.0:
        a[0] = x
        return
    a[1] = x
    return None


def fill_with_helpers(x):
    a = np.zeros(3)
    _fill(a, x)
    _set_one(a, x * x - 0.25)
    return np.sum(a * a)


def none_as_a_number(x):
    a = np.zeros(3)
    y = _fill(a, x)
    return y * 2.0


# ---------------------------------------------------------------- round to digits, loop else


def round_digits(x, n):
    return (round(x, 1) * x + round(x, 0) + round(x * 100.0, -1) + np.round(x, 2) * x
            + np.around(x, decimals=2) + round(x, n) * x + round(n, 2) * x + round(x, None))


def round_array_digits(a):
    return np.sum(np.round(a, 1) * a) + np.sum(np.around(a, decimals=2))


def loop_else(a, x):
    """for/else and while/else: the else block runs when the loop did not break."""
    for i in range(a.shape[0]):  # the first element above x, else x * x
        if a[i] > x:
            v = a[i] * x
            break
    else:
        v = x * x
    s = x
    while s < 10.0:
        s = s * 2.0
        if 7.0 < s < 8.0:
            break
    else:
        s = s + 100.0
    t = 0.0
    for k in range(3):  # else: continue / break of the outer loop
        for j in range(a.shape[0]):
            t = t + a[j] * x
            if t > 2.0 + k:
                break
        else:
            continue
        t = t * 0.5
    for _ in range(2):
        t = t * x
    else:
        t = t + 1.0
    return v * s + t


def loop_else_returns(x, n):
    s = 0.0
    for _ in range(n):
        s = s + x
        if s > 3.0:
            return s * 2.0
    else:
        return s * x
    return s
