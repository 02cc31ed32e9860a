"""Programs mapped with s2sad.vmap (tests/test_vmap.py, tests/test_cuda.py)."""

import math

import numpy as np

import s2sad


def seed(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def verlet(gamma, F):
    x = 1.0
    v = 0.0
    dt = 0.01
    for _ in range(200):
        a = -x - gamma * v + F
        x = x + dt * v + 0.5 * dt * dt * a
        a2 = -x - gamma * v + F
        v = v + 0.5 * dt * (a + a2)
    return x


def harmonic_until(k, tol):
    """A while loop whose trip count depends on the element (tapes of unknown length)."""
    x = 1.0
    t = 0.0
    while x > tol:
        x = x * (1.0 - 0.1 * k)
        t = t + x * k
    return t


def rosen(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def sq(x, F):
    return np.sum(x ** 2) * F


def two_outputs(x, y):
    return x * y, (np.sin(x), x + y)


def scaled(x, s):
    return x * s


def inline_loss(X, F):
    g = s2sad.vmap(s2sad.grad(sq), in_axes=(0, None))(X, F)
    return np.sum(g ** 2)


def net(t, W, b):
    return np.sum(np.tanh(W * t + b))


def residual_loss(T, W, b):
    """du/dt at every collocation point, inside the loss (the PINN's pattern)."""
    du = s2sad.vmap(s2sad.grad(net, argnums=0), in_axes=(0, None, None))(T, W, b)
    return np.sum((du - 1.0) ** 2)


A = np.random.default_rng(0).normal(size=(30, 30)) / 6


def tanh_layer(x):
    return np.tanh(A @ x)


def tanh_sum(x):
    return np.sum(np.tanh(A @ x))


def unit_tangent_jvp(x):
    """A tangent made by np.zeros and then written: no zero (was silently dropped)."""
    e = np.zeros(x.shape[0])
    e[1] = 1.0
    _, t = s2sad.jvp(tanh_sum, (x,), (e,))
    return t


def weighted_loop(w, x):
    """A shared array read element by element (device code: no NumPy calls)."""
    s = 0.0
    for i in range(x.shape[0]):
        s += math.exp(-w * x[i]) * x[i]
    return s


def writes_its_product(x):
    """The product is written after: a column of A must not stand for it (a view of A)."""
    y = A @ x
    y[0] = 0.0
    return y * 2.0


def mlp_loss(params, x, y):
    h = np.tanh(params["W"] @ x + params["b"])
    return (np.sum(params["v"] * h) - y) ** 2


@s2sad.grad
def decorated(x):
    return x * math.sin(x)


SWEEP = s2sad.vmap(s2sad.grad(verlet), in_axes=(0, None))


def mismatched_inside(x, y):
    """vmap inside code over axes of different sizes (a call from Python raises)."""
    return np.sum(s2sad.vmap(seed)(x, y))


def n_steps(x, n):
    """A loop whose trip count is an argument: its tape is reserved to a size the kernel
    learns only at run time (the GPU's first capacity is too small: overflow, relaunch)."""
    s = 0.0
    for i in range(n):
        s = 0.9 * s + math.sin(x * s + i)
    return s
