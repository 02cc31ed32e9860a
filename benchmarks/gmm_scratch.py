"""GradBench's `gmm` (its corrected spec: Q_k = diag(exp(q_k)) + L_k, the Wishart prior
without its constant) in the loop form of its C++ reference: per-point scratch arrays
`xc` (x_i - mu_k), `qx` (Q_k xc) and `beta` (the K log-terms), allocated once with
np.zeros and refilled for every point. The same objective as benchmarks/gmm.py
(gmm_objective), spelled the way the C++ reference is written; the reference gradient
and JAX's row are that module's.

Contenders: the Numba primal; the hand-written Numba adjoint (gmm.gmm_adjoint); s2sad
grad and value_and_grad; JAX jit(grad) of the vectorized formula (einsum, logsumexp).
"""

from __future__ import annotations

import math

import numpy as np

from . import gmm
from .common import jitted, reference, s2sad_rows
from .harness import Case, Contender

NAME = "gmm_scratch"
ARGNUMS = gmm.ARGNUMS


# ---------------------------------------------------------------- what the user writes
def gmm_scratch(alphas, means, icf, x, wishart_gamma, wishart_m):
    n = x.shape[0]
    d = x.shape[1]
    K = alphas.shape[0]
    Qdiags = np.zeros((K, d))
    sum_qs = np.zeros(K)
    for k in range(K):
        for j in range(d):
            Qdiags[k, j] = math.exp(icf[k, j])
            sum_qs[k] += icf[k, j]
    xc = np.zeros(d)
    qx = np.zeros(d)
    beta = np.zeros(K)
    slse = 0.0
    for ix in range(n):
        for k in range(K):
            for j in range(d):
                xc[j] = x[ix, j] - means[k, j]
            for j in range(d):
                qx[j] = Qdiags[k, j] * xc[j]
            li = d
            for i in range(d):
                for j in range(i + 1, d):
                    qx[j] += icf[k, li] * xc[i]
                    li += 1
            sq = 0.0
            for j in range(d):
                sq += qx[j] * qx[j]
            beta[k] = alphas[k] + sum_qs[k] - 0.5 * sq
        mx = beta[0]
        for k in range(1, K):
            if beta[k] > mx:
                mx = beta[k]
        se = 0.0
        for k in range(K):
            se += math.exp(beta[k] - mx)
        slse += math.log(se) + mx
    mx = alphas[0]
    for k in range(1, K):
        if alphas[k] > mx:
            mx = alphas[k]
    se = 0.0
    for k in range(K):
        se += math.exp(alphas[k] - mx)
    lse_alphas = math.log(se) + mx
    prior = 0.0
    for k in range(K):
        frobenius = 0.0
        for j in range(d):
            frobenius += Qdiags[k, j] * Qdiags[k, j]
        for j in range(d, icf.shape[1]):
            frobenius += icf[k, j] * icf[k, j]
        prior += 0.5 * wishart_gamma * wishart_gamma * frobenius - wishart_m * sum_qs[k]
    return -n * d * 0.5 * math.log(2.0 * math.pi) + slse - n * lse_alphas + prior


def _args(size):
    return lambda: gmm._args(*size)


def sizes(quick: bool) -> tuple[tuple[int, int, int], ...]:
    return ((3, 3, 20),) if quick else ((2, 10, 1000), (10, 10, 1000))


def cases(quick: bool = False) -> list[Case]:
    out = []
    for size in sizes(quick):
        d, K, n = size
        args = _args(size)
        out.append(Case(NAME, f"d={d}, K={K}, n={n}",
                        {"d": d, "K": K, "n": n, "wishart_gamma": gmm.GAMMA,
                         "wishart_m": gmm.M}, [
            Contender("Numba primal", "primal", jitted(gmm_scratch, args), value_of=float),
            reference(gmm.gmm_adjoint, args, 0),
            *s2sad_rows(gmm_scratch, args, argnums=ARGNUMS),
            Contender("JAX jit(grad), vectorized", "peer", gmm._jax(size),
                      grad_of=lambda o: o, package="jax"),
        ]))
    return out
