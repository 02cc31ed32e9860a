# s2sad: reverse-mode (adjoint) derivative of f (wengert.py:9) with respect to x1, x2.
# Generated code: edit the source function instead.
import math


def f_vjp(x1, x2, v5_bar=1.0):
    # forward sweep: the function, and what the reverse sweep needs
    v5 = math.log(x1) + x1 * x2 - math.sin(x2)  # line 10
    # reverse sweep: the adjoints, last statement first
    x1_bar = x2 * v5_bar
    x2_bar = x1 * v5_bar - math.cos(x2) * v5_bar
    x1_bar += 1.0 / x1 * v5_bar
    return (v5, x1_bar, x2_bar)
