"""s2sad.vmap: JAX semantics (in_axes, out_axes, structures), composition with every
transform and with itself, inside differentiated code, every target on the CPU, and the
refusals. Expected values: the element-by-element results of the unmapped function, which
the other tests check against analytic derivatives and central differences."""

import pickle

import numpy as np
import pytest

import s2sad
from s2sad import BadArguments
from s2sad.testing import central_difference
from tests.programs import batch_programs as P

EXACT = dict(rtol=1e-12, atol=1e-14)
TARGETS = ["cpu", "parallel", "python"]


def _loop(f, *args, axes):
    """The reference: f called element by element in Python."""
    n = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    return [f(*[a if ax is None else np.take(a, b, axis=ax) for a, ax in zip(args, axes)])
            for b in range(n)]


@pytest.mark.parametrize("target", TARGETS)
def test_vmap_of_grad_scalar_elements(target):
    x1, x2 = np.linspace(1.0, 2.0, 7), np.linspace(0.0, 1.0, 7)
    g1, g2 = s2sad.vmap(s2sad.grad(P.seed, argnums=(0, 1)), target=target)(x1, x2)
    np.testing.assert_allclose(g1, 1 / x1 + x2, **EXACT)
    np.testing.assert_allclose(g2, x1 - np.cos(x2), **EXACT)


@pytest.mark.parametrize("target", TARGETS)
def test_vmap_sweep_with_shared_argument(target):
    gammas = np.linspace(0.1, 1.0, 9)
    f = s2sad.vmap(s2sad.grad(P.verlet, argnums=(0, 1)), in_axes=(0, None), target=target)
    dg, dF = f(gammas, 0.5)
    ref = _loop(s2sad.grad(P.verlet, argnums=(0, 1)), gammas, 0.5, axes=(0, None))
    np.testing.assert_allclose(dg, [r[0] for r in ref], **EXACT)
    np.testing.assert_allclose(dF, [r[1] for r in ref], **EXACT)
    h = 1e-6
    fd = (P.verlet(gammas[3] + h, 0.5) - P.verlet(gammas[3] - h, 0.5)) / (2 * h)
    assert dg[3] == pytest.approx(fd, rel=1e-6)


@pytest.mark.parametrize("target", TARGETS)
def test_vmap_loops_of_data_dependent_length(target):
    k = np.linspace(0.2, 0.9, 6)
    got = s2sad.vmap(s2sad.grad(P.harmonic_until), in_axes=(0, None), target=target)(k, 1e-3)
    for kk, g in zip(k, got):
        assert g == pytest.approx(central_difference(P.harmonic_until, (kk, 1e-3), 0),
                                  rel=1e-5)


@pytest.mark.parametrize("target", TARGETS)
def test_vmap_array_elements_and_axes(target):
    X = np.random.default_rng(1).normal(size=(5, 4))
    g = s2sad.vmap(s2sad.grad(P.rosen), target=target)
    np.testing.assert_allclose(g(X), np.array(_loop(s2sad.grad(P.rosen), X, axes=(0,))),
                               **EXACT)
    gT = s2sad.vmap(s2sad.grad(P.rosen), in_axes=1, out_axes=1, target=target)(X.T.copy())
    np.testing.assert_allclose(gT, g(X).T, **EXACT)
    np.testing.assert_allclose(s2sad.vmap(s2sad.grad(P.sq), in_axes=(0, None),
                                          target=target)(X, 2.0), 4 * X, **EXACT)


def test_vmap_structures_and_primal():
    x, y = np.linspace(0.1, 1.0, 4), np.linspace(1.0, 2.0, 4)
    a, (s, t) = s2sad.vmap(P.two_outputs)(x, y)
    np.testing.assert_allclose(a, x * y, **EXACT)
    np.testing.assert_allclose(s, np.sin(x), **EXACT)
    np.testing.assert_allclose(t, x + y, **EXACT)
    v, g = s2sad.vmap(s2sad.value_and_grad(P.seed), in_axes=(0, None))(y, 0.3)
    np.testing.assert_allclose(v, [P.seed(e, 0.3) for e in y], **EXACT)
    np.testing.assert_allclose(g, 1 / y + 0.3, **EXACT)
    ints = s2sad.vmap(P.scaled, in_axes=(0, None))(np.arange(4), 3)
    assert ints.dtype == np.int64 and list(ints) == [0, 3, 6, 9]


def test_vmap_of_vmap_and_jacobians_under_vmap():
    X = np.random.default_rng(2).normal(size=(3, 4)) + 1.5
    Y = np.random.default_rng(3).normal(size=(3, 4))
    g = s2sad.vmap(s2sad.vmap(s2sad.grad(P.seed, argnums=(0, 1))))(X, Y)
    np.testing.assert_allclose(g[0], 1 / X + Y, **EXACT)
    np.testing.assert_allclose(g[1], X - np.cos(Y), **EXACT)
    Xs = np.random.default_rng(4).normal(size=(3, 5))
    H = s2sad.vmap(s2sad.hessian(P.rosen))(Xs)
    for k in range(3):
        np.testing.assert_allclose(H[k], s2sad.hessian(P.rosen)(Xs[k]), **EXACT)
    J = s2sad.vmap(s2sad.jacfwd(P.scaled), in_axes=(0, None))(Xs, 2.0)
    np.testing.assert_allclose(J, np.broadcast_to(2 * np.eye(5), (3, 5, 5)), **EXACT)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_grad_of_a_loss_containing_vmap(target):
    X = np.random.default_rng(5).normal(size=(4, 3))
    g = s2sad.grad(P.inline_loss, target=target)(X, 2.0)
    np.testing.assert_allclose(g, 32 * X, **EXACT)  # loss = sum((2 F x)^2), F = 2
    T = np.linspace(0.0, 1.0, 6)
    W, b = np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.2, -0.3])
    gW = s2sad.grad(P.residual_loss, argnums=1, target=target)(T, W, b)
    np.testing.assert_allclose(gW, central_difference(P.residual_loss, (T, W, b), 1),
                               rtol=1e-6, atol=1e-9)


def test_vmap_inside_jvp_matches_reverse():
    X = np.random.default_rng(6).normal(size=(4, 3))
    dX = np.random.default_rng(7).normal(size=(4, 3))
    _, t = s2sad.jvp(P.inline_loss, (X, 2.0), (dX, 0.0))
    assert t == pytest.approx(np.sum(s2sad.grad(P.inline_loss)(X, 2.0) * dX), rel=1e-12)


def test_vmap_object_behaves():
    f = s2sad.vmap(s2sad.grad(P.seed), in_axes=(0, None), target="parallel")
    assert repr(f) == "<s2sad.vmap of <s2sad.grad of seed>, in_axes=(0, None), " \
        "target='parallel'>"
    g = pickle.loads(pickle.dumps(s2sad.vmap(s2sad.grad(P.seed), in_axes=(0, None))))
    x = np.linspace(1.0, 2.0, 3)
    np.testing.assert_allclose(g(x, 0.5), 1 / x + 0.5, **EXACT)
    empty = s2sad.vmap(s2sad.grad(P.rosen))(np.zeros((0, 4)))
    assert empty.shape == (0, 4)
    dec = s2sad.vmap(in_axes=(0, None))(P.seed)
    np.testing.assert_allclose(dec(x, 0.5), [P.seed(e, 0.5) for e in x], **EXACT)


@pytest.mark.parametrize("call, message", [
    (lambda: s2sad.vmap(P.seed)(np.ones(3), np.ones(4)), "different sizes"),
    (lambda: s2sad.vmap(P.seed, in_axes=(0, 0))(np.ones(3), 2.0), "no axis to map"),
    (lambda: s2sad.vmap(P.seed, in_axes=(None, None))(np.ones(3), 2.0), "maps no argument"),
    (lambda: s2sad.vmap(P.seed, in_axes=(0,))(np.ones(3), np.ones(3)), "1 entries for 2"),
    (lambda: s2sad.vmap(P.sq, in_axes=(2, None))(np.ones((3, 2)), 1.0), "out of range"),
    (lambda: s2sad.vmap(P.seed, in_axes="0"), "in_axes must be"),
    (lambda: s2sad.vmap(P.seed, out_axes=None), "out_axes must be"),
    (lambda: s2sad.vmap(P.sq, in_axes=(0, None), out_axes=3)(np.ones((3, 2)), 1.0),
     "out of range"),
    (lambda: s2sad.vmap(P.seed, target="gpu"), "unknown target"),
    (lambda: s2sad.vmap(42), "expected a function"),
])
def test_vmap_refusals(call, message):
    with pytest.raises(BadArguments, match=message):
        call()


def test_jacobians_are_one_loop_over_basis_vectors():
    x = np.linspace(-1.0, 1.0, 30)
    ref = (1 - np.tanh(P.A @ x) ** 2)[:, None] * P.A
    for jac in (s2sad.jacfwd, s2sad.jacrev):
        np.testing.assert_allclose(jac(P.tanh_layer)(x), ref, **EXACT)
    H = s2sad.hessian(P.tanh_sum)(x)
    col = central_difference(s2sad.grad(P.tanh_sum), (x,), 0)  # d(grad)/dx as a matrix
    np.testing.assert_allclose(H, np.asarray(col), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, H.T, **EXACT)
    src = s2sad.derivative_source(
        s2sad.batch.jacobian_loop(s2sad.jacfwd(P.tanh_layer), (s2sad.checks.arg_types(
            "t", (x,)))), "primal", args=(x,))
    assert src.count("def ") == 1 and "for k in range(1, m)" in src
    # the unit vectors' products are column reads: one matrix-vector product, the primal's
    assert src.count("np.dot") == 1 and "A[:, k]" in src, src
    A0 = P.A.copy()
    Jw = s2sad.jacfwd(P.writes_its_product)(x)
    want = 2 * P.A.copy()
    want[0] = 0.0
    np.testing.assert_allclose(Jw, want, **EXACT)
    np.testing.assert_allclose(s2sad.jacrev(P.writes_its_product)(x), want, **EXACT)
    assert np.array_equal(P.A, A0)  # a write into the product did not reach A


def test_a_written_zeros_array_is_a_tangent():
    x = np.linspace(-1.0, 1.0, 30)
    g = s2sad.grad(P.tanh_sum)(x)
    assert s2sad.jvp(P.tanh_sum, (x,), (np.eye(30)[1],))[1] == pytest.approx(g[1], rel=1e-12)
    assert P.unit_tangent_jvp(x) == pytest.approx(g[1], rel=1e-12)
    got = s2sad.grad(P.unit_tangent_jvp)(x)
    ref = central_difference(P.unit_tangent_jvp, (x,), 0)
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-8)


def test_vmap_over_pytrees():
    rng = np.random.default_rng(8)
    params = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=4), "v": rng.normal(size=4)}
    X, y = rng.normal(size=(6, 3)), rng.normal(size=6)
    # per-example gradients: the parameters shared, the data mapped (JAX's classic example)
    per = s2sad.vmap(s2sad.grad(P.mlp_loss), in_axes=(None, 0, 0))(params, X, y)
    assert sorted(per) == ["W", "b", "v"] and per["W"].shape == (6, 4, 3)
    for k in range(6):
        one = s2sad.grad(P.mlp_loss)(params, X[k], y[k])
        for name in params:
            np.testing.assert_allclose(per[name][k], one[name], **EXACT)
    # an ensemble: every leaf of the parameters mapped along axis 0
    stacked = {k: np.stack([v, 2 * v]) for k, v in params.items()}
    ens = s2sad.vmap(P.mlp_loss, in_axes=(0, None, None))(stacked, X[0], y[0])
    np.testing.assert_allclose(ens, [P.mlp_loss(params, X[0], y[0]),
                                     P.mlp_loss({k: 2 * v for k, v in params.items()},
                                                X[0], y[0])], **EXACT)
    with pytest.raises(BadArguments, match="has no axis 2"):
        s2sad.vmap(P.mlp_loss, in_axes=(2, None, None))(stacked, X[0], y[0])
    with pytest.raises(BadArguments, match="different sizes"):
        s2sad.vmap(P.mlp_loss, in_axes=(1, None, None))({**stacked, "b": stacked["b"][:, :3]},
                                                         X[0], y[0])


def test_mismatched_axes_inside_code_give_nan_never_a_number():
    x = np.linspace(1.0, 2.0, 4)
    gx, gy = s2sad.grad(P.mismatched_inside, argnums=(0, 1))(x, x)
    np.testing.assert_allclose(gx, 1 / x + x, **EXACT)
    v, t = s2sad.jvp(P.mismatched_inside, (x, x[:3]), (x, x[:3]))
    assert np.isnan(v) and np.isnan(t)
    gx, gy = s2sad.grad(P.mismatched_inside, argnums=(0, 1))(x, x[:3])
    assert np.isnan(gy).all() and np.isnan(gx[:3]).all()


def test_float32_batches_stay_float32():
    x = np.linspace(1.0, 2.0, 5, dtype=np.float32)
    g1, g2 = s2sad.vmap(s2sad.grad(P.seed, argnums=(0, 1)))(x, x)
    assert g1.dtype == np.float32 and g2.dtype == np.float32
    np.testing.assert_allclose(g1, 1 / x + x, rtol=1e-6)
