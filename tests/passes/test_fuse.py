"""Vectorized 1-D elementwise chains become one element loop (passes/fuse.py): same
numbers as NumPy, derivatives as for the hand-written loop."""

import numpy as np
import pytest

import s2sad
import s2sad.compile
from s2sad import pipeline
from s2sad.frontend.lower import lower
from s2sad.ir.nodes import For, Op, walk
from s2sad.ir.types import typeof
from s2sad.testing import central_difference, check_grads
from tests.programs import arrays as A
from tests.rules.test_arrays import CASES, check_dot, check_forward, check_reverse, make_args

# NumPy warns about inf/nan in branches that np.where then discards
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def rosen_numpy_grad(x):
    """The hand-written NumPy gradient (benchmarks/rosenbrock.py, scipy's rosen_der)."""
    g = np.zeros_like(x)
    if len(x) < 2:
        return g
    xm, xm_m1, xm_p1 = x[1:-1], x[:-2], x[2:]
    g[1:-1] = 200.0 * (xm - xm_m1 ** 2) - 400.0 * (xm_p1 - xm ** 2) * xm - 2.0 * (1.0 - xm)
    g[0] = -400.0 * x[0] * (x[1] - x[0] ** 2) - 2.0 * (1.0 - x[0])
    g[-1] = 200.0 * (x[-1] - x[-2] ** 2)
    return g


def materialised(x):
    y = (x[1:] - 0.5) * x[:-1]  # used outside the loop: written into an array
    return np.sum(y * y) + y[0]


def materialised_sin(x):
    y = np.sin(x[1:]) * x[:-1]  # sin: NumPy's kernels, not fused in straight-line code
    return np.sum(y * y) + y[0]


def mean_dot_where(x):
    d = x[2:] - 2.0 * x[1:-1] + x[:-2]
    return np.mean(d * d) + np.dot(x[1:] * 0.5, x[:-1]) + \
        np.sum(np.where(x > 0.1, x * x, 0.5 - x)) / 3.0


def two_params(x, y):
    return np.sum(x * y) + np.sum(y * y * 2.0)  # x * y may broadcast: stays NumPy


def with_matmul(A, x):
    return np.sum((A @ x) ** 2 * 0.5) + np.sum(x * x * 3.0)


def loop_then_exp(x):
    s = 0.0
    for i in range(len(x)):
        s += x[i]
    return s + np.sum(np.exp(-x * x) * np.sin(x))


def mutated(x):
    u = x.copy()
    a = u[1:] * u[:-1] + 1.0
    u[0] = 5.0  # the loop computing a must run before this write
    return np.sum(a * a) + np.sum(u * u - u)


def _primal(f, *args):
    return pipeline.primal_ir(f, tuple(typeof(a) for a in args))


def _loops(f, *args) -> int:
    return sum(isinstance(s, For) for s in walk(_primal(f, *args).body))


_GRADS: dict = {}


def _grad(f, target="cpu"):
    if (f, target) not in _GRADS:
        _GRADS[(f, target)] = s2sad.grad(f, target=target)
    return _GRADS[(f, target)]


# ---------------------------------------------------------------- Rosenbrock
def test_rosenbrock_becomes_one_loop():
    x = np.ones(5)
    ir = _primal(A.rosenbrock_vec, x)
    ops = [s.prim for s in walk(ir.body) if isinstance(s, Op)]
    assert _loops(A.rosenbrock_vec, x) == 1
    assert "getslice" not in ops and "sum" not in ops
    src = s2sad.derivative_source(A.rosenbrock_vec, "grad", 0, args=(x,))
    assert "for j in range(" in src and "  # line 22" in src  # gather form; source lines kept


@pytest.mark.parametrize("n", [1, 2, 3, 4, 11, 1000])
def test_rosenbrock_gradient(n):
    x = np.random.default_rng(n).uniform(-2.0, 2.0, n)
    g = _grad(A.rosenbrock_vec)(x)
    np.testing.assert_allclose(g, _grad(A.rosenbrock_loop)(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g, rosen_numpy_grad(x), rtol=1e-12, atol=1e-12)
    if n <= 11:
        fd = central_difference(A.rosenbrock_vec, (x,), 0)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(_grad(A.rosenbrock_vec, "python")(x), g, rtol=1e-13,
                                   atol=1e-13)


def test_rosenbrock_value_and_forward_mode():
    x = np.random.default_rng(5).uniform(-2.0, 2.0, 50)
    v, g = s2sad.value_and_grad(A.rosenbrock_vec)(x)
    assert v == pytest.approx(A.rosenbrock_vec(x), rel=1e-13)
    u = np.random.default_rng(6).normal(size=50)
    out, t = s2sad.jvp(A.rosenbrock_vec, (x,), (u,))
    assert out == pytest.approx(A.rosenbrock_vec(x), rel=1e-13)
    assert t == pytest.approx(float(g @ u), rel=1e-12)


def test_disabled_by_environment(monkeypatch):
    x = np.ones(4)
    assert "for " in s2sad.derivative_source(A.rosenbrock_vec, "grad", 0, args=(x,))
    monkeypatch.setenv("S2SAD_DISABLE", "fuse")
    src = s2sad.derivative_source(A.rosenbrock_vec, "grad", 0, args=(x,))
    assert "for " not in src and "x[1:]" in src
    np.testing.assert_allclose(s2sad.grad(A.rosenbrock_vec, target="python")(x),
                               rosen_numpy_grad(x), rtol=1e-14)


# ---------------------------------------------------------------- other clusters
def test_materialised_member():
    x = np.random.default_rng(1).normal(size=6)
    src = s2sad.derivative_source(materialised, "grad", 0, args=(x,))
    assert "np.empty(" in src and "for " in src
    for target in ("python", "cpu"):
        check_grads(materialised, (x,), target=target)
        v, g = s2sad.value_and_grad(materialised, target=target)(x)
        assert v == pytest.approx(materialised(x), rel=1e-13)
        np.testing.assert_allclose(g, central_difference(materialised, (x,), 0), rtol=1e-7)


def test_mean_dot_where():
    x = np.array([-1.0, 0.12, 0.3, 2.0, -0.5, 0.05, 1.5])  # both sides of where
    assert _loops(mean_dot_where, x) == 3  # lengths n - 2, n - 1, n: three loops
    check_grads(mean_dot_where, (x,))
    v, g = s2sad.value_and_grad(mean_dot_where)(x)
    assert v == pytest.approx(mean_dot_where(x), rel=1e-13)
    np.testing.assert_allclose(g, central_difference(mean_dot_where, (x,), 0), rtol=1e-7)


def test_write_after_read_keeps_order():
    x = np.random.default_rng(2).normal(size=5)
    assert _loops(mutated, x) >= 1
    v, g = s2sad.value_and_grad(mutated, target="python")(x)
    assert v == pytest.approx(mutated(x), rel=1e-13)
    np.testing.assert_allclose(g, central_difference(mutated, (x,), 0), rtol=1e-7, atol=1e-9)


def test_functions_with_loops_fuse_transcendentals_too():
    x = np.random.default_rng(3).normal(size=7)
    assert _loops(loop_then_exp, x) == 2
    for target in ("python", "cpu"):
        check_grads(loop_then_exp, (x,), target=target)


def test_loop_bodies_are_left_alone():
    x = np.random.default_rng(4).normal(size=6)
    ir = _primal(A.slices_in_loop, x, 3)
    user, total = [s for s in ir.body.stmts if isinstance(s, For)]  # np.sum(u * u): fused
    assert not any(isinstance(s, For) for s in walk(user.body))
    check_grads(A.slices_in_loop, (x, 3), argnums=0)


# ---------------------------------------------------------------- left unfused
def test_separate_parameters_are_not_fused():
    x, y = np.random.default_rng(7).normal(size=(2, 4))
    ops = [s for s in walk(_primal(two_params, x, y).body) if isinstance(s, Op)]
    assert any(s.prim == "mul" and s.args[0].name == "x" for s in ops)  # x * y on arrays
    g = s2sad.grad(two_params, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(g[0], y, rtol=1e-14)
    np.testing.assert_allclose(g[1], x + 4.0 * y, rtol=1e-14)
    # where NumPy broadcasts (length 1 against 4) the gradient sums over the broadcast
    x1 = np.array([0.7])
    g = s2sad.grad(two_params, argnums=(0, 1))(x1, y)
    np.testing.assert_allclose(g[0], [np.sum(y)], rtol=1e-14)
    np.testing.assert_allclose(g[1], x1 + 4.0 * y, rtol=1e-14)


def test_2d_and_numpy_kernels_keep_numpy():
    rng = np.random.default_rng(8)
    Am, x = rng.normal(size=(3, 4)), rng.normal(size=4)
    assert _loops(with_matmul, Am, x) == 0  # matmul: the function stays on NumPy
    assert s2sad.compile.choose_backend(_primal(with_matmul, Am, x)) == "numpy"
    g = s2sad.grad(with_matmul, argnums=(0, 1))(Am, x)
    np.testing.assert_allclose(g[0], np.outer(Am @ x, x), rtol=1e-13)
    np.testing.assert_allclose(g[1], Am.T @ (Am @ x) + 6.0 * x, rtol=1e-13)
    assert _loops(materialised_sin, x) == 0  # np.sin: NumPy's kernel is as fast
    check_grads(materialised_sin, (x,), target="cpu")


def test_masked_branches_stay_finite():
    # sqrt (an infinite partial at 0) stays a NumPy op, whose adjoint masks the cotangent
    # that where zeroed; the comparison, where and sum become a loop
    x = np.array([-1.0, 0.0, 0.5, 2.0, -0.0, -3.0, 1e-3])
    ops = [s for s in walk(_primal(A.masked_sqrt, x).body) if isinstance(s, Op)]
    assert [s.result.type.ndim for s in ops if s.prim == "sqrt"] == [1]
    assert _loops(A.masked_sqrt, x) == 1
    safe = np.where(x > 0, x, 1.0)
    for target in ("python", "cpu"):
        g = _grad(A.masked_sqrt, target)(x)
        np.testing.assert_allclose(g, np.where(x > 0, 0.5 / np.sqrt(safe), 0.0), rtol=1e-14)
    assert _loops(A.masked_sinc, x) == 0  # np.sin: left to NumPy
    assert np.all(np.isfinite(s2sad.grad(A.masked_sinc)(x)))


# ---------------------------------------------------------------- the array rule table, fused
def _fused_cases():
    for c in CASES:
        args = make_args(c.spec)
        if _loops(c.fn, *args) > sum(isinstance(s, For) for s in walk(
                lower(c.fn, [typeof(a) for a in args]).body)):
            yield pytest.param(c, id=c.id)


@pytest.mark.parametrize("case", list(_fused_cases()))
def test_array_programs_fused(case):
    check_reverse(case)
    check_forward(case)
    check_dot(case)
