# s2sad: gradient (reverse-mode) derivative of newton_sqrt (newton.py:12) with respect to a.
# Generated code: edit the source function instead.
import numpy as np
from s2sad import runtime as _rt


def newton_sqrt_grad(a):
    # forward sweep: the function, and what the reverse sweep needs
    tape_f = np.empty(16)
    x = a  # line 14
    n_iter = 0
    sp_f = 0
    while abs(x * x - a) > 1e-12 * a:
        v6 = a / x  # line 15
        x_2 = 0.5 * (x + v6)
        n_iter += 1  # line 14
        tape_f = _rt.push(tape_f, sp_f, x)
        sp_f += 1
        tape_f = _rt.push(tape_f, sp_f, v6)
        sp_f += 1
        x = x_2
    # reverse sweep: the adjoints, last statement first
    x_bar = 1.0
    a_bar = 0.0
    for _ in range(n_iter):
        sp_f -= 1
        v8 = tape_f[sp_f]
        sp_f -= 1
        x_3 = tape_f[sp_f]
        v7_bar = 0.5 * x_bar  # line 15
        a_bar += 1.0 / x_3 * v7_bar
        x_bar = v7_bar - v8 / x_3 * v7_bar
    a_bar += x_bar  # line 14
    return a_bar
