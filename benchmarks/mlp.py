"""A two-layer tanh MLP's mean-squared loss, gradient with respect to all weights:
batch 256, input 32, width 64, output 1.

    h = tanh(X @ W1 + b1);  out = h @ W2 + b2;  loss = mean((out - y)**2)

Straight-line whole-array NumPy, where the work is two matrix products and a tanh: the
expert's fastest gradient is hand-written NumPy (BLAS for the products, NumPy's SIMD
tanh), so that is the reference here, not a Numba loop. Contenders: the Numba primal
(njit of the same function) and the NumPy primal (the function itself); the hand-written
NumPy gradient; s2sad grad with target="cpu" (which runs straight-line array code on
NumPy) and target="numba" (Numba's array expressions); JAX jit(grad), PyTorch, HIPS
autograd.
"""

from __future__ import annotations

import functools

import numpy as np

from .harness import Case, Contender, njit, numpy_peak, peers

NAME = "mlp"
ARGNUMS = (0, 1, 2, 3)


# ---------------------------------------------------------------- what the user writes
def mlp_loss(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


# ---------------------------------------------------------------- hand-written gradient
def mlp_grad(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    d = (2.0 / out.size) * (out - y)  # d loss / d out
    dz = (d @ W2.T) * (1.0 - h * h)  # d loss / d (X @ W1 + b1)
    return X.T @ dz, dz.sum(axis=0), h.T @ d, d.sum(axis=0)


@functools.cache
def _args(batch: int, din: int, width: int) -> tuple:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, din))
    y = rng.standard_normal((batch, 1))
    W1 = rng.standard_normal((din, width)) / np.sqrt(din)
    b1 = 0.1 * rng.standard_normal(width)
    W2 = rng.standard_normal((width, 1)) / np.sqrt(width)
    b2 = 0.1 * rng.standard_normal(1)
    return W1, b1, W2, b2, X, y


def _plain(fn, size):
    return lambda: (fn, _args(*size))


def _jit(fn, size):
    return lambda: (njit(fn), _args(*size))


def _s2sad(size, **kw):
    def build():
        import s2sad

        return s2sad.grad(mlp_loss, argnums=ARGNUMS, **kw), _args(*size)

    return build


def _jax(size):
    def build():
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)

        def f(W1, b1, W2, b2, X, y):
            h = jnp.tanh(X @ W1 + b1)
            out = h @ W2 + b2
            return jnp.mean((out - y) ** 2)

        g = jax.jit(jax.grad(f, argnums=ARGNUMS))
        args = tuple(jax.device_put(a) for a in _args(*size))
        return (lambda *a: jax.block_until_ready(g(*a))), args

    return build


def _torch(size):
    def build():
        import torch

        W1, b1, W2, b2, X, y = (torch.from_numpy(a) for a in _args(*size))
        params = tuple(p.requires_grad_(True) for p in (W1, b1, W2, b2))

        def g(W1, b1, W2, b2, X, y):
            h = torch.tanh(X @ W1 + b1)
            out = h @ W2 + b2
            loss = torch.mean((out - y) ** 2)
            return torch.autograd.grad(loss, (W1, b1, W2, b2))

        return g, (*params, X, y)

    return build


def _autograd(size):
    def build():
        import autograd
        import autograd.numpy as anp

        def f(W1, b1, W2, b2, X, y):
            h = anp.tanh(anp.dot(X, W1) + b1)
            out = anp.dot(h, W2) + b2
            return anp.mean((out - y) ** 2)

        return autograd.grad(f, argnum=ARGNUMS), _args(*size)

    return build


def _same(out):
    return out


def sizes(quick: bool) -> tuple[tuple[int, int, int], ...]:
    return ((16, 4, 8),) if quick else ((256, 32, 64),)


def cases(quick: bool = False) -> list[Case]:
    out = []
    for size in sizes(quick):
        batch, din, width = size
        out.append(Case(NAME, f"batch {batch}, {din}-{width}-1",
                        {"batch": batch, "inputs": din, "width": width, "outputs": 1}, [
            Contender("Numba primal", "primal", _jit(mlp_loss, size), value_of=float),
            Contender("NumPy primal", "primal", _plain(mlp_loss, size), value_of=float),
            Contender("hand-written NumPy gradient", "reference", _plain(mlp_grad, size),
                      grad_of=_same, extra=numpy_peak(_plain(mlp_grad, size))),
            Contender("s2sad grad", "s2sad", _s2sad(size), grad_of=_same, required=True,
                      extra=numpy_peak(_s2sad(size))),
            Contender("s2sad grad, target='numba'", "s2sad", _s2sad(size, target="numba"),
                      grad_of=_same, required=True),
            *peers(_same, jax=_jax(size), torch=_torch(size), autograd=_autograd(size)),
        ]))
    return out
