"""The determinant as the permutation sum (Leibniz), det A = sum_sigma sign(sigma)
prod_i A[i, sigma(i)], enumerating the permutations by Heap's algorithm (its iterative
form: a while loop over an int counter array, swaps in an int permutation array), and
its gradient, the cofactor matrix. Written by us in the Numba style; n! products of n
factors (7 x 7: 5040 permutations).

Contenders: the Numba primal; the hand-written Numba gradient (the reference: the same
enumeration, each product's n partial products from prefix and suffix products,
scattered into A_bar[i, sigma(i)]); s2sad grad and value_and_grad; JAX jit(grad) of
jnp.linalg.det (LU: how JAX runs a determinant best; a different algorithm).
"""

from __future__ import annotations

import functools

import numpy as np

from .common import jax_row, jitted, reference, s2sad_rows
from .harness import Case, Contender

NAME = "det"


# ---------------------------------------------------------------- what the user writes
def det(A):
    n = A.shape[0]
    perm = np.arange(n)
    c = np.zeros(n, dtype=np.int64)
    p = 1.0
    for r in range(n):
        p *= A[r, perm[r]]
    total = p
    sign = 1.0
    i = 1
    while i < n:
        if c[i] < i:
            if i % 2 == 0:
                j = 0
            else:
                j = c[i]
            tmp = perm[j]
            perm[j] = perm[i]
            perm[i] = tmp
            sign = -sign
            p = 1.0
            for r in range(n):
                p *= A[r, perm[r]]
            total += sign * p
            c[i] += 1
            i = 1
        else:
            c[i] = 0
            i += 1
    return total


# ---------------------------------------------------------------- hand-written gradient
def det_grad(A):
    n = A.shape[0]
    G = np.zeros((n, n))
    perm = np.arange(n)
    c = np.zeros(n, dtype=np.int64)
    pre = np.empty(n + 1)
    sign = 1.0
    i = 1
    first = True
    while first or i < n:
        if first or c[i] < i:
            if not first:
                j = 0 if i % 2 == 0 else c[i]
                tmp = perm[j]
                perm[j] = perm[i]
                perm[i] = tmp
                sign = -sign
                c[i] += 1
                i = 1
            first = False
            pre[0] = 1.0
            for r in range(n):
                pre[r + 1] = pre[r] * A[r, perm[r]]
            suf = sign
            for r in range(n - 1, -1, -1):
                G[r, perm[r]] += pre[r] * suf
                suf *= A[r, perm[r]]
        else:
            c[i] = 0
            i += 1
    return G


@functools.cache
def _A(n: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((n, n))


def _args(n):
    return lambda: (_A(n),)


def _jax(n):
    def make(jax, jnp, lax):
        return jnp.linalg.det

    return jax_row(make, _args(n), "JAX jit(grad), jnp.linalg.det")


def sizes(quick: bool) -> tuple[int, ...]:
    return (4,) if quick else (7,)


def cases(quick: bool = False) -> list[Case]:
    out = []
    for n in sizes(quick):
        args = _args(n)
        out.append(Case(NAME, f"{n}x{n}", {"n": n, "permutations": int(np.prod(
            np.arange(1, n + 1))), "A": "N(0, 1), seed 0"}, [
            Contender("Numba primal", "primal", jitted(det, args), value_of=float),
            reference(det_grad, args, 0, "hand-written Numba gradient"),
            *s2sad_rows(det, args),
            _jax(n),
        ]))
    return out
