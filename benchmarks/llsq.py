"""GradBench's `llsq`: linear least squares fitting a polynomial of m coefficients to the
sign function at n points, f(x) = 1/2 sum_i (s(t_i) - sum_j x_j t_i^j)^2 with
t_i = -1 + 2 i / (n - 1) and s(t) = sign(t), and its gradient with respect to x. Written
by us from the spec as element loops (the powers of t_i by repeated multiplication).

Contenders: the Numba primal; the hand-written Numba gradient (the reference: each
residual r_i once, then x_bar_j -= r_i t_i^j); s2sad grad and value_and_grad; JAX
jit(grad) of the vectorized formula (a Vandermonde matrix times x).
"""

from __future__ import annotations

import functools

import numpy as np

from .common import jax_row, jitted, reference, s2sad_rows
from .harness import Case, Contender

NAME = "llsq"


# ---------------------------------------------------------------- what the user writes
def llsq(x, n):
    m = len(x)
    total = 0.0
    for i in range(n):
        t = -1.0 + 2.0 * i / (n - 1)
        acc = 0.0
        p = 1.0
        for j in range(m):
            acc += x[j] * p
            p *= t
        r = np.sign(t) - acc
        total += r * r
    return 0.5 * total


# ---------------------------------------------------------------- hand-written gradient
def llsq_grad(x, n):
    m = len(x)
    g = np.zeros(m)
    for i in range(n):
        t = -1.0 + 2.0 * i / (n - 1)
        acc = 0.0
        p = 1.0
        for j in range(m):
            acc += x[j] * p
            p *= t
        r = np.sign(t) - acc
        p = 1.0
        for j in range(m):
            g[j] -= r * p
            p *= t
    return g


@functools.cache
def _x(m: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(m)


def _args(m, n):
    return lambda: (_x(m), n)


def _jax(m, n):
    def make(jax, jnp, lax):
        t = -1.0 + 2.0 * np.arange(n) / (n - 1)
        V = jnp.asarray(t[:, None] ** np.arange(m)[None, :])
        st = jnp.asarray(np.sign(t))

        def f(x, n_):
            r = st - V @ x
            return 0.5 * jnp.sum(r * r)

        return f

    return jax_row(make, _args(m, n), "JAX jit(grad), vectorized")


def sizes(quick: bool) -> tuple[tuple[int, int], ...]:
    return ((4, 9),) if quick else ((16, 16), (16, 1024))


def cases(quick: bool = False) -> list[Case]:
    out = []
    for m, n in sizes(quick):
        args = _args(m, n)
        out.append(Case(NAME, f"m={m}, n={n}", {"m": m, "n": n, "x": "N(0, 1), seed 0"}, [
            Contender("Numba primal", "primal", jitted(llsq, args), value_of=float),
            reference(llsq_grad, args, 0, "hand-written Numba gradient"),
            *s2sad_rows(llsq, args),
            _jax(m, n),
        ]))
    return out
