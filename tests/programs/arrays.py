"""Array programs under test: vectorized NumPy and element loops."""

import numpy as np


def sumsq(x):
    return np.sum(x * x)


def mlp_loss(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def linreg(b0, b1, x, y):
    """Automatic Differentiation with pytorch: mean((y - (b0 + b1 x))^2)."""
    return np.mean((y - (b0 + b1 * x)) ** 2)


def rosenbrock_vec(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_loop(x):
    s = 0.0
    for i in range(len(x) - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def masked_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def masked_sinc(x):
    return np.sum(np.where(x != 0, np.sin(x) / x, 1.0))


def heat(u0, r, nt):
    u = u0.copy()
    n = len(u0)
    un = np.zeros(n)
    for _ in range(nt):
        for i in range(1, n - 1):
            un[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        for i in range(1, n - 1):
            u[i] = un[i]
    return np.sum(u * u)


def lin_solve(A, b):
    x = np.linalg.solve(A, b)
    return np.sum(x * x)


def logdet(A):
    s, ld = np.linalg.slogdet(A)
    return ld + np.trace(np.linalg.inv(A)) + np.linalg.det(A)


def chol(A):
    L = np.linalg.cholesky(A)
    W = np.tril(np.ones(A.shape)) + A * A
    return np.sum(L * W)


def ground_state(kappa, x, T):
    V = 0.5 * x ** 2 + kappa * np.exp(-x ** 2 / 2.0)
    H = T + np.diag(V)
    w = np.linalg.eigvalsh(H)
    return w[0]


def chol_sym(A):
    L = np.linalg.cholesky(0.5 * (A + A.T))
    W = np.tril(np.ones(A.shape)) + A * A
    return np.sum(L * W)


def eig_vectors(A):
    w, V = np.linalg.eigh(0.5 * (A + A.T))
    return np.sum(V[:, 0] ** 2 * np.arange(1.0, A.shape[0] + 1.0)) + w[1] * w[2]


def filled(x, c):
    a = np.full(3, c)
    return np.sum(a * x) + np.sum(np.full((2, 2), 1.5) * c)


def branch_arrays(x):
    """an array made in one branch only is needed by the reverse sweep"""
    if np.sum(x) > 0.0:
        y = np.exp(x)
    else:
        y = x * x
    return np.sum(y)


def slices_in_loop(x, n):
    """whole-array state updated through slices every iteration: recorded per iteration"""
    u = x.copy()
    for _ in range(n):
        u[1:] = u[1:] + 0.1 * u[:-1] * u[:-1]
    return np.sum(u * u)


def scratch_per_iteration(a, x):
    """a scratch array refilled element by element, then read whole, every iteration"""
    t = np.empty(a.shape[0])
    s = 0.0
    for ix in range(x.shape[0]):
        for k in range(a.shape[0]):
            t[k] = a[k] * x[ix]
        s += np.sum(t * t)
    return s


def axis_sum_of_slice(A):
    B = A[:, :2]
    return np.sum(np.exp(B)) + np.sum(np.sum(B, axis=1) ** 2)
