"""ADBench's GMM objective (Srajer, Kukelski, Fitzgibbon 2018, "A benchmark of selected
algorithmic differentiation tools on some problems in computer vision and machine
learning", section 3.1), written in NumPy by us from the published formula, and its
gradient with respect to the mixture weights, the means and the inverse-covariance
factors:

    f = -n d/2 log(2 pi) + sum_i logsumexp_k(alpha_k + sum(q_k) - 1/2 |Q_k (x_i - mu_k)|^2)
        - n logsumexp(alpha)
        + sum_k (gamma^2/2 |Q_k|_F^2 - m sum(q_k))

with Q_k = diag(exp(q_k)) + L_k: icf[k] holds q_k (d log-diagonal entries) followed by
the d(d-1)/2 entries of the strictly lower-triangular L_k, column by column (ADBench's
packing). The Wishart prior's normalising constant (k C, C made of log-gamma values) does
not depend on the parameters and is left out of every contender: s2sad refuses
`math.lgamma` even on a value it does not differentiate (see docs/benchmarks.md).
ADBench's data: alphas ~ N(0, 1), means, icf and x ~ U(0, 1), gamma = 1, m = 0.

Contenders: the Numba primal (njit of the loop form) and the NumPy primal (the
vectorized form, called as it is); the hand-written Numba adjoint (the reference: for
each point, the responsibilities w_k = softmax_k, then d f/d alpha_k, mu_k, q_k, L_k
accumulated from z = Q_k (x_i - mu_k)); s2sad grad of both spellings (the loop form, as
ADBench's C++ is written, over points, components and coordinates; and the vectorized
form, over points, with a loop over the components); JAX jit(grad), PyTorch and HIPS
autograd on the vectorized formula (ADBench's own Python formulation, einsum and
logsumexp over a points x components x dimensions array).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .harness import Case, Contender, njit, peers

NAME = "gmm"
ARGNUMS = (0, 1, 2)
GAMMA, M = 1.0, 0


# ---------------------------------------------------------------- what the user writes
def gmm_objective(alphas, means, icf, x, wishart_gamma, wishart_m):
    """Loops over points, components and coordinates (ADBench's C++, in Python)."""
    n = x.shape[0]
    d = x.shape[1]
    K = alphas.shape[0]
    Qdiags = np.empty((K, d))
    sum_qs = np.zeros(K)
    for k in range(K):
        for j in range(d):
            Qdiags[k, j] = math.exp(icf[k, j])
            sum_qs[k] += icf[k, j]
    slse = 0.0
    main_term = np.empty(K)
    for ix in range(n):
        for k in range(K):
            # |Q_k (x - mu_k)|^2, row j of Q_k: exp(q_j) xc_j + sum_{i<j} L_ji xc_i
            sq = 0.0
            for j in range(d):
                s = Qdiags[k, j] * (x[ix, j] - means[k, j])
                for i in range(j):
                    s += icf[k, d + i * (2 * d - i - 1) // 2 + j - i - 1] * (x[ix, i] - means[k, i])
                sq += s * s
            main_term[k] = alphas[k] + sum_qs[k] - 0.5 * sq
        mx = main_term[0]
        for k in range(1, K):
            mx = max(mx, main_term[k])
        se = 0.0
        for k in range(K):
            se += math.exp(main_term[k] - mx)
        slse += math.log(se) + mx
    mx = alphas[0]
    for k in range(1, K):
        mx = max(mx, alphas[k])
    se = 0.0
    for k in range(K):
        se += math.exp(alphas[k] - mx)
    lse_alphas = math.log(se) + mx
    prior = 0.0
    for k in range(K):
        frobenius = 0.0
        for j in range(d):
            frobenius += Qdiags[k, j] ** 2
        for j in range(d, icf.shape[1]):
            frobenius += icf[k, j] ** 2
        prior += 0.5 * wishart_gamma * wishart_gamma * frobenius - wishart_m * sum_qs[k]
    return -n * d * 0.5 * math.log(2.0 * math.pi) + slse - n * lse_alphas + prior


def logsumexp(a):
    mx = np.max(a)
    return np.log(np.sum(np.exp(a - mx))) + mx


def gmm_objective_vec(alphas, means, icf, x, wishart_gamma, wishart_m):
    """Vectorized over the points, a loop over the components."""
    n = x.shape[0]
    d = x.shape[1]
    K = alphas.shape[0]
    sum_qs = np.sum(icf[:, :d], axis=1)
    Qdiags = np.exp(icf[:, :d])
    main = np.zeros((n, K))
    Q = np.zeros((d, d))
    for k in range(K):
        l = d
        for i in range(d):
            Q[i, i] = Qdiags[k, i]
            for j in range(i + 1, d):
                Q[j, i] = icf[k, l]
                l += 1
        xc = x - means[k]
        Qxc = xc @ Q.T
        main[:, k] = alphas[k] + sum_qs[k] - 0.5 * np.sum(Qxc * Qxc, axis=1)
    mx = main[:, 0]
    for k in range(1, K):
        mx = np.maximum(mx, main[:, k])
    slse = np.sum(np.log(np.sum(np.exp(main - mx.reshape(n, 1)), axis=1)) + mx)
    prior = np.sum(0.5 * wishart_gamma ** 2 * (np.sum(Qdiags ** 2, axis=1)
                                               + np.sum(icf[:, d:] ** 2, axis=1))
                   - wishart_m * sum_qs)
    return -n * d * 0.5 * math.log(2.0 * math.pi) + slse - n * logsumexp(alphas) + prior


# ---------------------------------------------------------------- hand-written adjoint
def gmm_adjoint(alphas, means, icf, x, wishart_gamma, wishart_m):
    """For each point: z_k = Q_k (x - mu_k), main_k = alpha_k + sum(q_k) - |z_k|^2 / 2,
    w = softmax(main); then d main_k / d mu_k = Q_k^T z_k, d / d q_kj = 1 - z_j xc_j
    exp(q_kj), d / d L_k,ji = -z_j xc_i, each weighted by w_k."""
    n, d = x.shape
    K = alphas.shape[0]
    g_alphas = np.zeros(K)
    g_means = np.zeros((K, d))
    g_icf = np.zeros(icf.shape)
    Q = np.exp(icf[:, :d])
    sum_qs = np.zeros(K)
    for k in range(K):
        for j in range(d):
            sum_qs[k] += icf[k, j]
    xc = np.empty((K, d))
    z = np.empty((K, d))
    main = np.empty(K)
    for ix in range(n):
        for k in range(K):
            for j in range(d):
                xc[k, j] = x[ix, j] - means[k, j]
                z[k, j] = Q[k, j] * xc[k, j]
            l = d
            for i in range(d):
                for j in range(i + 1, d):
                    z[k, j] += icf[k, l] * xc[k, i]
                    l += 1
            sq = 0.0
            for j in range(d):
                sq += z[k, j] * z[k, j]
            main[k] = alphas[k] + sum_qs[k] - 0.5 * sq
        mx = main.max()
        se = 0.0
        for k in range(K):
            main[k] = math.exp(main[k] - mx)
            se += main[k]
        for k in range(K):
            w = main[k] / se
            g_alphas[k] += w
            for j in range(d):
                g_icf[k, j] += w * (1.0 - z[k, j] * xc[k, j] * Q[k, j])
            l = d
            for i in range(d):
                t = Q[k, i] * z[k, i]  # (Q_k^T z)_i
                for j in range(i + 1, d):
                    t += icf[k, l] * z[k, j]
                    g_icf[k, l] -= w * z[k, j] * xc[k, i]
                    l += 1
                g_means[k, i] += w * t
    ea = np.exp(alphas - alphas.max())
    g_alphas -= n * ea / ea.sum()
    g2 = wishart_gamma * wishart_gamma
    for k in range(K):
        for j in range(d):
            g_icf[k, j] += g2 * Q[k, j] * Q[k, j] - wishart_m
        for j in range(d, icf.shape[1]):
            g_icf[k, j] += g2 * icf[k, j]
    return g_alphas, g_means, g_icf


@functools.cache
def _args(d: int, K: int, n: int) -> tuple:
    rng = np.random.default_rng(0)
    alphas = rng.standard_normal(K)
    means = rng.uniform(0.0, 1.0, (K, d))
    icf = rng.uniform(0.0, 1.0, (K, d * (d + 1) // 2))
    x = rng.uniform(0.0, 1.0, (n, d))
    return alphas, means, icf, x, GAMMA, M


def _tril(d: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of L's strictly lower entries in icf's order (column by column)."""
    rows = [j for i in range(d) for j in range(i + 1, d)]
    cols = [i for i in range(d) for _ in range(i + 1, d)]
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)


def _plain(fn, size):
    return lambda: (fn, _args(*size))


def _jit(fn, size):
    return lambda: (njit(fn), _args(*size))


def _s2sad(fn, size):
    def build():
        import s2sad

        return s2sad.grad(fn, argnums=ARGNUMS), _args(*size)

    return build


def _s2sad_storage(fn, size):
    def extra():
        from s2sad.api import storage_bytes

        return {"stack bytes": storage_bytes(fn, *_args(*size), argnums=ARGNUMS)}

    return extra


def _jax(size):
    def build():
        import jax
        import jax.numpy as jnp
        from jax.scipy.special import logsumexp as lse

        jax.config.update("jax_enable_x64", True)
        d, K, n = size
        rows, cols = _tril(d)

        def f(alphas, means, icf, x, wishart_gamma, wishart_m):
            Qdiags = jnp.exp(icf[:, :d])
            sum_qs = jnp.sum(icf[:, :d], axis=1)
            Ls = jnp.zeros((K, d, d)).at[:, rows, cols].set(icf[:, d:])
            xc = x[:, None, :] - means[None, :, :]
            Qxc = Qdiags[None] * xc + jnp.einsum("kji,nki->nkj", Ls, xc)
            main = alphas + sum_qs - 0.5 * jnp.sum(Qxc ** 2, axis=2)
            prior = jnp.sum(0.5 * wishart_gamma ** 2 * (jnp.sum(Qdiags ** 2, axis=1)
                                                       + jnp.sum(icf[:, d:] ** 2, axis=1))
                            - wishart_m * sum_qs)
            return (-n * d * 0.5 * math.log(2.0 * math.pi) + jnp.sum(lse(main, axis=1))
                    - n * lse(alphas) + prior)

        g = jax.jit(jax.grad(f, argnums=ARGNUMS))
        alphas, means, icf, x, gamma, m = _args(*size)
        args = (*(jax.device_put(a) for a in (alphas, means, icf, x)), gamma, m)
        return (lambda *a: jax.block_until_ready(g(*a))), args

    return build


def _torch(size):
    def build():
        import torch

        d, K, n = size
        rows, cols = (torch.from_numpy(a) for a in _tril(d))
        alphas, means, icf, x, gamma, m = _args(*size)
        tx = torch.from_numpy(x)

        def g(alphas, means, icf, x, wishart_gamma, wishart_m):
            params = tuple(torch.from_numpy(a).requires_grad_(True)
                           for a in (alphas, means, icf))
            alphas, means, icf = params
            Qdiags = torch.exp(icf[:, :d])
            sum_qs = torch.sum(icf[:, :d], dim=1)
            Ls = torch.zeros((K, d, d), dtype=torch.float64)
            Ls[:, rows, cols] = icf[:, d:]
            xc = x[:, None, :] - means[None, :, :]
            Qxc = Qdiags[None] * xc + torch.einsum("kji,nki->nkj", Ls, xc)
            main = alphas + sum_qs - 0.5 * torch.sum(Qxc ** 2, dim=2)
            prior = torch.sum(0.5 * wishart_gamma ** 2 * (torch.sum(Qdiags ** 2, dim=1)
                                                         + torch.sum(icf[:, d:] ** 2, dim=1))
                              - wishart_m * sum_qs)
            f = (-n * d * 0.5 * math.log(2.0 * math.pi)
                 + torch.sum(torch.logsumexp(main, dim=1))
                 - n * torch.logsumexp(alphas, dim=0) + prior)
            return torch.autograd.grad(f, params)

        return g, (alphas, means, icf, tx, gamma, m)

    return build


def _autograd_build(size):
    import autograd
    import autograd.numpy as anp

    d, K, n = size
    rows, cols = _tril(d)
    # L_k = (icf[k, d:] @ P).reshape(d, d): autograd cannot differentiate index writes
    P = np.zeros((len(rows), d * d))
    P[np.arange(len(rows)), rows * d + cols] = 1.0

    def lse(a, axis):
        mx = anp.max(a, axis=axis, keepdims=True)
        return anp.log(anp.sum(anp.exp(a - mx), axis=axis)) + anp.squeeze(mx, axis=axis)

    def f(alphas, means, icf, x, wishart_gamma, wishart_m):
        Qdiags = anp.exp(icf[:, :d])
        sum_qs = anp.sum(icf[:, :d], axis=1)
        Ls = anp.dot(icf[:, d:], P).reshape((K, d, d))
        xc = x[:, None, :] - means[None, :, :]
        Qxc = Qdiags[None] * xc + anp.einsum("kji,nki->nkj", Ls, xc)
        main = alphas + sum_qs - 0.5 * anp.sum(Qxc ** 2, axis=2)
        prior = anp.sum(0.5 * wishart_gamma ** 2 * (anp.sum(Qdiags ** 2, axis=1)
                                                   + anp.sum(icf[:, d:] ** 2, axis=1))
                        - wishart_m * sum_qs)
        return (-n * d * 0.5 * math.log(2.0 * math.pi) + anp.sum(lse(main, 1))
                - n * lse(alphas, 0) + prior)

    return autograd.grad(f, argnum=ARGNUMS), _args(*size)


def _autograd(size):
    return lambda: _autograd_build(size)


def _same(out):
    return out


def sizes(quick: bool) -> tuple[tuple[int, int, int], ...]:
    return ((3, 3, 20),) if quick else ((2, 5, 1000), (10, 10, 1000))


def cases(quick: bool = False) -> list[Case]:
    out = []
    for size in sizes(quick):
        d, K, n = size
        out.append(Case(NAME, f"d={d}, K={K}, n={n}",
                        {"d": d, "K": K, "n": n, "wishart_gamma": GAMMA, "wishart_m": M}, [
            Contender("Numba primal (loops)", "primal", _jit(gmm_objective, size),
                      value_of=float),
            Contender("NumPy primal (vectorized)", "primal", _plain(gmm_objective_vec, size),
                      value_of=float),
            Contender("hand-written Numba adjoint", "reference", _jit(gmm_adjoint, size),
                      grad_of=_same),
            Contender("s2sad grad (loops)", "s2sad", _s2sad(gmm_objective, size),
                      grad_of=_same, required=True,
                      extra=_s2sad_storage(gmm_objective, size)),
            Contender("s2sad grad (vectorized)", "s2sad", _s2sad(gmm_objective_vec, size),
                      grad_of=_same, required=True,
                      extra=_s2sad_storage(gmm_objective_vec, size)),
            *peers(_same, jax=_jax(size), torch=_torch(size), autograd=_autograd(size)),
        ]))
    return out
