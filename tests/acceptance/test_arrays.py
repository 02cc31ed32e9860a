"""Acceptance workloads of the arrays issue: linear regression, the ground-state energy of a
1-D Hamiltonian, a two-layer tanh MLP, Rosenbrock (loop and vectorized), the explicit heat
equation as element loops, and masked branches without NaN."""

from __future__ import annotations

import numpy as np
import pytest

import s2sad
from s2sad.testing import central_difference
from tests.programs import arrays as A

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def fd_grad(f, args, i, h=1e-6):
    """Central differences of scalar f w.r.t. args[i] (elementwise over an array)."""
    return central_difference(f, args, i, h)


def dot_test(f, args, nums, g, target="python", seed=1):
    """jvp in a random direction == <grad, direction> (forward vs reverse) to 1e-10."""
    rng = np.random.default_rng(seed)
    u = [rng.normal(size=np.shape(a)) if i in nums else
         (np.zeros_like(a) if isinstance(a, np.ndarray) else 0 * a)
         for i, a in enumerate(args)]
    u = [float(d) if not isinstance(a, np.ndarray) else d for a, d in zip(args, u)]
    out, t = s2sad.jvp(f, tuple(args), tuple(u), target=target)
    assert out == pytest.approx(f(*args), rel=1e-12)
    terms = [np.asarray(gi) * u[i] for gi, i in zip(g, nums)]
    lhs = float(sum(np.sum(x) for x in terms))
    scale = float(sum(np.sum(np.abs(x)) for x in terms)) + abs(t)
    assert abs(lhs - t) <= 1e-10 * scale, (lhs, t)
    return t


# ---------------------------------------------------------------- linear regression
def _regression_data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return x, 2.0 + x + 0.1 * rng.normal(size=n)


@pytest.mark.parametrize("target", ["python", "cpu", "numba"])
def test_linear_regression_gradient(target):
    x, y = _regression_data()
    b0, b1 = 0.3, -0.4
    g0, g1 = s2sad.grad(A.linreg, argnums=(0, 1), target=target)(b0, b1, x, y)
    r = y - (b0 + b1 * x)
    assert g0 == pytest.approx(-2.0 * np.mean(r), rel=1e-12)
    assert g1 == pytest.approx(-2.0 * np.mean(r * x), rel=1e-12)
    v, (h0, h1) = s2sad.value_and_grad(A.linreg, argnums=(0, 1), target=target)(b0, b1, x, y)
    assert v == pytest.approx(np.mean(r**2), rel=1e-14)
    assert (h0, h1) == (g0, g1)
    # forward mode and the data arguments too
    _, t = s2sad.jvp(A.linreg, (b0, b1, x, y), (1.0, 0.0, np.zeros_like(x), np.zeros_like(y)),
                     target=target)
    assert t == pytest.approx(g0, rel=1e-12)
    gx = s2sad.grad(A.linreg, argnums=2, target=target)(b0, b1, x, y)
    np.testing.assert_allclose(gx, -2.0 * r * b1 / len(x), rtol=1e-12)


def test_linear_regression_gradient_descent():
    x, y = _regression_data()
    vg = s2sad.value_and_grad(A.linreg, argnums=(0, 1), target="cpu")
    b0, b1, lr = 0.0, 0.0, 0.1
    for _ in range(100):
        loss, (g0, g1) = vg(b0, b1, x, y)
        b0, b1 = b0 - lr * g0, b1 - lr * g1
    assert b0 == pytest.approx(2.0, abs=0.05)
    assert b1 == pytest.approx(1.0, abs=0.05)
    # the least-squares solution itself
    coef = np.polyfit(x, y, 1)
    assert (b1, b0) == pytest.approx(tuple(coef), abs=1e-6)
    assert abs(g0) < 1e-6 and abs(g1) < 1e-6
    assert loss == pytest.approx(0.01, rel=0.3)  # the noise variance


# ---------------------------------------------------------------- ground-state energy
N_GRID = 61
X_GRID = np.linspace(-5.0, 5.0, N_GRID)
DX = X_GRID[1] - X_GRID[0]
# T = -(1/2) d^2/dx^2, 3-point Laplacian
T_KIN = (np.diag(np.full(N_GRID, 2.0)) - np.diag(np.ones(N_GRID - 1), 1)
         - np.diag(np.ones(N_GRID - 1), -1)) / (2.0 * DX * DX)


def ground_energy(kappa):
    V = 0.5 * X_GRID**2 + kappa * np.exp(-(X_GRID**2) / 2.0)
    H = T_KIN + np.diag(V)
    return np.linalg.eigvalsh(H)[0]


def ground_energy_eigh(kappa):
    """The seed's spelling: Energies, Vectors = eigh(H); E_GS = Energies[0]."""
    H = T_KIN + np.diag(0.5 * X_GRID**2 + kappa * np.exp(-(X_GRID**2) / 2.0))
    energies, vectors = np.linalg.eigh(H)
    return energies[0]


def gap(kappa):
    H = T_KIN + np.diag(0.5 * X_GRID**2 + kappa * np.exp(-(X_GRID**2) / 2.0))
    energies, vectors = np.linalg.eigh(H)
    return energies[1] - energies[0]


def _hellmann_feynman(kappa, level=0):
    H = T_KIN + np.diag(0.5 * X_GRID**2 + kappa * np.exp(-(X_GRID**2) / 2.0))
    _, V = np.linalg.eigh(H)
    return float(V[:, level] @ (np.exp(-(X_GRID**2) / 2.0) * V[:, level]))


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("kappa", [0.0, 1.0, 3.5])
def test_ground_state_energy_derivative(target, kappa):
    E0, dE = s2sad.value_and_grad(ground_energy, target=target)(kappa)
    assert E0 == pytest.approx(np.linalg.eigvalsh(T_KIN + np.diag(
        0.5 * X_GRID**2 + kappa * np.exp(-X_GRID**2 / 2.0)))[0], rel=1e-14)
    fd = fd_grad(ground_energy, (kappa,), 0, h=1e-5)
    assert dE == pytest.approx(fd, rel=1e-7, abs=1e-9)
    assert dE == pytest.approx(_hellmann_feynman(kappa), rel=1e-10)
    _, t = s2sad.jvp(ground_energy, (kappa,), (1.0,), target=target)
    assert t == pytest.approx(dE, rel=1e-12)
    assert s2sad.grad(ground_energy_eigh, target=target)(kappa) == pytest.approx(dE, rel=1e-12)


def test_ground_state_harmonic_limit_and_gap():
    # kappa = 0: the harmonic oscillator, E0 = 1/2 up to discretisation; dE0/dkappa = <e^-x^2/2>
    E0 = ground_energy(0.0)
    assert E0 == pytest.approx(0.5, abs=5e-3)
    dE = s2sad.grad(ground_energy, target="python")(0.0)
    assert dE == pytest.approx(1.0 / np.sqrt(1.5), rel=5e-3)  # Gaussian overlap, continuum
    dgap = s2sad.grad(gap, target="python")(1.0)
    assert dgap == pytest.approx(_hellmann_feynman(1.0, 1) - _hellmann_feynman(1.0, 0),
                                 rel=1e-9)
    assert dgap == pytest.approx(fd_grad(gap, (1.0,), 0, h=1e-5), rel=1e-6)


def test_ground_state_program_with_arguments():
    # the same energy with the grid and T passed as arguments (tests/programs/arrays.py)
    g = s2sad.grad(A.ground_state, argnums=0, target="python")(1.0, X_GRID, T_KIN)
    assert g == pytest.approx(_hellmann_feynman(1.0), rel=1e-10)


# ---------------------------------------------------------------- two-layer tanh MLP
def _mlp_args(seed=0, n=6, d=3, h=5, k=2):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(d, h)), rng.normal(size=h), rng.normal(size=(h, k)),
            rng.normal(size=k), rng.normal(size=(n, d)), rng.normal(size=(n, k)))


@pytest.mark.parametrize("target", ["python", "cpu", "numba"])
def test_mlp_gradients(target):
    args = _mlp_args()
    nums = (0, 1, 2, 3)
    g = s2sad.grad(A.mlp_loss, argnums=nums, target=target)(*args)
    for gi, i in zip(g, nums):
        assert gi.shape == args[i].shape and gi.dtype == np.float64
        np.testing.assert_allclose(gi, fd_grad(A.mlp_loss, args, i), rtol=1e-6, atol=1e-8)
    dot_test(A.mlp_loss, args, nums, g, target)


def test_mlp_gradients_analytic():
    W1, b1, W2, b2, X, y = _mlp_args(seed=1, n=32, d=4, h=8, k=3)
    gW1, gb1, gW2, gb2 = s2sad.grad(A.mlp_loss, argnums=(0, 1, 2, 3), target="cpu")(
        W1, b1, W2, b2, X, y)
    h = np.tanh(X @ W1 + b1)
    d_out = 2.0 * (h @ W2 + b2 - y) / y.size
    d_pre = (d_out @ W2.T) * (1.0 - h**2)
    np.testing.assert_allclose(gW2, h.T @ d_out, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gb2, d_out.sum(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gW1, X.T @ d_pre, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gb1, d_pre.sum(axis=0), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- Rosenbrock
def _rosen_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


@pytest.mark.parametrize("f", [A.rosenbrock_loop, A.rosenbrock_vec], ids=lambda f: f.__name__)
def test_rosenbrock_small(f):
    x = np.random.default_rng(2).uniform(-1.5, 1.5, size=7)
    g = s2sad.grad(f, target="python")(x)
    np.testing.assert_allclose(g, fd_grad(f, (x,), 0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(g, _rosen_grad(x), rtol=1e-13, atol=1e-12)
    dot_test(f, (x,), (0,), (g,))


def test_rosenbrock_large_loop_and_vectorized_agree():
    n = 10**5
    x = np.random.default_rng(3).uniform(-1.5, 1.5, size=n)
    g_loop = s2sad.grad(A.rosenbrock_loop, target="cpu")(x)  # Numba
    g_vec = s2sad.grad(A.rosenbrock_vec, target="cpu")(x)  # NumPy
    assert g_loop.shape == g_vec.shape == (n,)
    assert np.linalg.norm(g_loop - g_vec) <= 1e-12 * np.linalg.norm(g_vec)
    assert np.linalg.norm(g_vec - _rosen_grad(x)) <= 1e-12 * np.linalg.norm(g_vec)
    v1, _ = s2sad.value_and_grad(A.rosenbrock_loop, target="cpu")(x)
    assert v1 == pytest.approx(A.rosenbrock_vec(x), rel=1e-12)
    # forward mode agrees in one direction
    u = np.random.default_rng(4).normal(size=n)
    _, t_loop = s2sad.jvp(A.rosenbrock_loop, (x,), (u,), target="cpu")
    _, t_vec = s2sad.jvp(A.rosenbrock_vec, (x,), (u,), target="cpu")
    assert t_loop == pytest.approx(float(g_vec @ u), rel=1e-11)
    assert t_vec == pytest.approx(float(g_vec @ u), rel=1e-11)


# ---------------------------------------------------------------- heat equation
def _heat_args(n=9, seed=5):
    rng = np.random.default_rng(seed)
    return np.sin(np.linspace(0.0, np.pi, n)) + 0.1 * rng.normal(size=n), 0.25


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_heat_equation_gradient(target):
    u0, r = _heat_args()
    nt = 6
    g_u0, g_r = s2sad.grad(A.heat, argnums=(0, 1), target=target)(u0, r, nt)
    assert g_u0.shape == u0.shape
    np.testing.assert_allclose(g_u0, fd_grad(A.heat, (u0, r, nt), 0), rtol=1e-6, atol=1e-9)
    assert g_r == pytest.approx(fd_grad(A.heat, (u0, r, nt), 1), rel=1e-6)
    dot_test(A.heat, (u0, r, nt), (0, 1), (g_u0, g_r), target)


def test_heat_equation_is_linear_in_the_initial_state():
    # u(T) = M^nt u0 with M the explicit stencil matrix: d sum(u^2)/du0 = 2 (M^nt)^T M^nt u0
    u0, r = _heat_args(n=12)
    nt = 9
    n = len(u0)
    M = np.eye(n)
    for i in range(1, n - 1):
        M[i, i - 1:i + 2] = (r, 1.0 - 2.0 * r, r)
    P = np.linalg.matrix_power(M, nt)
    g = s2sad.grad(A.heat, target="cpu")(u0, r, nt)
    np.testing.assert_allclose(g, 2.0 * P.T @ (P @ u0), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- masked branches
X_MASK = np.array([-1.0, 0.0, 0.5, 2.0, -0.0, -3.0, 1e-3])


@pytest.mark.parametrize("target", ["python", "cpu", "numba"])
def test_masked_sqrt_gradient(target):
    g = s2sad.grad(A.masked_sqrt, target=target)(X_MASK)
    assert np.all(np.isfinite(g))
    safe = np.where(X_MASK > 0, X_MASK, 1.0)
    np.testing.assert_allclose(g, np.where(X_MASK > 0, 0.5 / np.sqrt(safe), 0.0), rtol=1e-14)


@pytest.mark.parametrize("target", ["python", "cpu", "numba"])
def test_masked_sinc_gradient(target):
    g = s2sad.grad(A.masked_sinc, target=target)(X_MASK)
    assert np.all(np.isfinite(g))
    safe = np.where(X_MASK != 0, X_MASK, 1.0)
    want = np.where(X_MASK != 0, (safe * np.cos(safe) - np.sin(safe)) / safe**2, 0.0)
    np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-13)  # cancellation near 0


@pytest.mark.parametrize("f", [A.masked_sqrt, A.masked_sinc], ids=lambda f: f.__name__)
def test_masked_branches_forward_mode(f):
    u = np.linspace(0.5, 1.5, len(X_MASK))
    _, t = s2sad.jvp(f, (X_MASK,), (u,), target="python")
    g = s2sad.grad(f, target="python")(X_MASK)
    assert np.isfinite(t)
    assert t == pytest.approx(float(g @ u), rel=1e-12)
