"""GradBench's `kmeans` objective: the sum over points of the squared distance to the
nearest centroid, f(C) = sum_i min_j |p_i - c_j|^2, and its gradient with respect to the
centroids. Written by us from the spec in the Numba style: the nearest centroid by
`if dist < best: best = dist`.

Contenders: the Numba primal; the hand-written Numba gradient (the reference: the
nearest centroid's index per point, then c_bar_j += 2 (c_j - p_i) for it alone); s2sad
grad and value_and_grad; JAX jit(grad) of the vectorized formula (a points x centroids
distance matrix, min over the centroids).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .common import jax_row, jitted, reference, s2sad_rows
from .harness import Case, Contender

NAME = "kmeans"


# ---------------------------------------------------------------- what the user writes
def kmeans(centroids, points):
    n, d = points.shape
    k = centroids.shape[0]
    cost = 0.0
    for i in range(n):
        best = math.inf
        for j in range(k):
            dist = 0.0
            for l in range(d):
                diff = points[i, l] - centroids[j, l]
                dist += diff * diff
            if dist < best:
                best = dist
        cost += best
    return cost


# ---------------------------------------------------------------- hand-written gradient
def kmeans_grad(centroids, points):
    n, d = points.shape
    k = centroids.shape[0]
    g = np.zeros((k, d))
    for i in range(n):
        best = math.inf
        arg = 0
        for j in range(k):
            dist = 0.0
            for l in range(d):
                diff = points[i, l] - centroids[j, l]
                dist += diff * diff
            if dist < best:
                best = dist
                arg = j
        for l in range(d):
            g[arg, l] += 2.0 * (centroids[arg, l] - points[i, l])
    return g


@functools.cache
def _data(k: int, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((k, d)), rng.standard_normal((n, d))


def _args(k, n, d):
    return lambda: _data(k, n, d)


def _jax(k, n, d):
    def make(jax, jnp, lax):
        def f(c, p):
            diff = p[:, None, :] - c[None, :, :]
            return jnp.sum(jnp.min(jnp.sum(diff * diff, axis=2), axis=1))

        return f

    return jax_row(make, _args(k, n, d), "JAX jit(grad), vectorized")


def sizes(quick: bool) -> tuple[tuple[int, int, int], ...]:
    return ((3, 10, 2),) if quick else ((10, 10_000, 8), (100, 1000, 8))


def cases(quick: bool = False) -> list[Case]:
    out = []
    for k, n, d in sizes(quick):
        args = _args(k, n, d)
        out.append(Case(NAME, f"k={k}, n={n}, d={d}", {"k": k, "n": n, "d": d,
                                                          "data": "N(0, 1), seed 0"}, [
            Contender("Numba primal", "primal", jitted(kmeans, args), value_of=float),
            # one sweep; a reverse sweep after the forward one keeps the winner per point
            reference(kmeans_grad, args, 8 * n, "hand-written Numba gradient"),
            *s2sad_rows(kmeans, args),
            _jax(k, n, d),
        ]))
    return out
