"""Linear regression by gradient descent (the seed "Automatic Differentiation with pytorch").

loss(b0, b1) = mean((y - (b0 + b1 x))^2) on data y = 2 + x + noise; s2sad writes and
compiles the gradient, and a plain loop of gradient steps recovers b0 ~ 2, b1 ~ 1.
"""

import os

import numpy as np

import s2sad


def loss(b0, b1, x, y):
    return np.mean((y - (b0 + b1 * x)) ** 2)


def fit(x, y, steps=200, lr=0.1):
    value_and_grad = s2sad.value_and_grad(loss, argnums=(0, 1))
    b0, b1 = 0.0, 0.0
    for _ in range(steps):
        value, (g0, g1) = value_and_grad(b0, b1, x, y)
        b0, b1 = b0 - lr * g0, b1 - lr * g1
    return b0, b1, value


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    n = 100
    x = rng.normal(size=n)
    y = 2.0 + x + 0.1 * rng.normal(size=n)
    b0, b1, value = fit(x, y, steps=50 if os.environ.get("S2SAD_SMOKE") else 200)
    print(f"b0 = {b0:.4f}, b1 = {b1:.4f}, loss = {value:.5f}   (data: b0 = 2, b1 = 1)")
    print()
    print(s2sad.derivative_source(loss, "grad", (0, 1), args=(0.0, 0.0, x, y)))
