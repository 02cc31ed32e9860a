"""Per-call latency of the seed example's gradient, f(x1, x2) = ln(x1) + x1*x2 - sin(x2).

At this size every tool's time is call overhead: the arithmetic is a few nanoseconds.
The figure that matters is s2sad's call against the hand-written Numba gradient's call
(both go through a Numba dispatcher); JAX, PyTorch and HIPS autograd pay their dispatch,
tensor-creation and tape costs on every call.
"""

from __future__ import annotations

import math

from .harness import Case, Contender, peers

NAME = "seed_scalar"
X = (2.0, 5.0)


def f(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def _numba_primal():
    import numba

    return numba.njit(f), X


def _hand_written():
    import numba

    @numba.njit
    def f_grad(x1, x2):
        return 1.0 / x1 + x2, x1 - math.cos(x2)

    return f_grad, X


def _s2sad_grad():
    import s2sad

    return s2sad.grad(f, argnums=(0, 1)), X


def _s2sad_value_and_grad():
    import s2sad

    return s2sad.value_and_grad(f, argnums=(0, 1)), X


def _jax():
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def f_jax(x1, x2):
        return jnp.log(x1) + x1 * x2 - jnp.sin(x2)

    g = jax.jit(jax.grad(f_jax, argnums=(0, 1)))
    return (lambda a, b: jax.block_until_ready(g(a, b))), X


def _torch():
    import torch

    def g(a, b):
        x1 = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        x2 = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        y = torch.log(x1) + x1 * x2 - torch.sin(x2)
        return torch.autograd.grad(y, (x1, x2))

    return g, X


def _autograd():
    import autograd
    import autograd.numpy as anp

    def f_ag(x1, x2):
        return anp.log(x1) + x1 * x2 - anp.sin(x2)

    return autograd.grad(f_ag, argnum=(0, 1)), X


def _floats(out):
    return [float(v) for v in out]


def cases(quick: bool = False) -> list[Case]:
    return [Case(NAME, "x=(2, 5)", {"x": list(X)}, [
        Contender("Numba primal", "primal", _numba_primal, value_of=float),
        Contender("hand-written Numba gradient", "reference", _hand_written, grad_of=_floats),
        Contender("s2sad grad", "s2sad", _s2sad_grad, grad_of=_floats, required=True),
        Contender("s2sad value_and_grad", "s2sad", _s2sad_value_and_grad,
                  grad_of=lambda o: _floats(o[1]), value_of=lambda o: o[0], required=True),
        *peers(_floats, jax=_jax, torch=_torch, autograd=_autograd, autograd_memory=False),
    ])]
