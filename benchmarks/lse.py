"""GradBench's `lse`: logsumexp(x) = log(sum_i exp(x_i - m)) + m with m = max(x), and its
gradient, softmax(x). Written by us from the spec in the Numba style: the maximum by
`if x[i] > m`, then one accumulation loop.

Contenders: the Numba primal; the hand-written Numba gradient (the reference: the max and
the sum again, then exp(x_i - m) / sum); s2sad grad and value_and_grad; JAX jit(grad) of
jax.scipy.special.logsumexp.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .common import jax_row, jitted, reference, s2sad_rows
from .harness import Case, Contender

NAME = "lse"


# ---------------------------------------------------------------- what the user writes
def lse(x):
    n = len(x)
    m = x[0]
    for i in range(1, n):
        if x[i] > m:
            m = x[i]
    s = 0.0
    for i in range(n):
        s += math.exp(x[i] - m)
    return math.log(s) + m


# ---------------------------------------------------------------- hand-written gradient
def lse_grad(x):
    n = len(x)
    m = x[0]
    for i in range(1, n):
        if x[i] > m:
            m = x[i]
    g = np.empty(n)
    s = 0.0
    for i in range(n):
        g[i] = math.exp(x[i] - m)
        s += g[i]
    inv = 1.0 / s
    for i in range(n):
        g[i] *= inv
    return g


@functools.cache
def _x(n: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(n)


def _args(n):
    return lambda: (_x(n),)


def _jax(n):
    def make(jax, jnp, lax):
        from jax.scipy.special import logsumexp

        return logsumexp

    return jax_row(make, _args(n), "JAX jit(grad), logsumexp")


def sizes(quick: bool) -> tuple[int, ...]:
    return (20,) if quick else (2500, 10_000)


def cases(quick: bool = False) -> list[Case]:
    out = []
    for n in sizes(quick):
        args = _args(n)
        out.append(Case(NAME, f"n={n}", {"n": n, "x": "N(0, 1), seed 0"}, [
            Contender("Numba primal", "primal", jitted(lse, args), value_of=float),
            reference(lse_grad, args, 0, "hand-written Numba gradient"),
            *s2sad_rows(lse, args),
            _jax(n),
        ]))
    return out
