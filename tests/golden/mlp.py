# s2sad: gradient (reverse-mode) derivative of mlp_loss (mlp.py:28) with respect to W1, b1, W2, b2.
# Generated code: edit the source function instead.
import numpy as np
from s2sad import runtime as _rt


def mlp_loss_grad(W1, b1, W2, b2, X, y):
    # forward sweep: the function, and what the reverse sweep needs
    v1 = np.dot(X, W1)  # line 29
    h = np.tanh(v1 + b1)
    out = np.dot(h, W2) + b2  # line 30
    v4 = out - y  # line 31
    v15_bar = 1.0 / float(v4.size)
    v4_bar = 2 * v15_bar * v4
    v5 = _rt.sum_to(v4_bar, out)
    v6 = np.sum(v5)  # line 30
    # reverse sweep: the adjoints, last statement first
    h_bar = np.outer(v5, W2)
    W2_bar = np.dot(h.T, v5)
    v2_bar = (1.0 - h * h) * h_bar  # line 29
    b1_bar = _rt.sum_to(v2_bar, b1)
    W1_bar = np.dot(X.T, _rt.sum_to(v2_bar, v1))
    return (W1_bar, b1_bar, W2_bar, v6)
