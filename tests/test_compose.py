"""Composing like JAX: transforms inside differentiated code, pytrees, has_aux, hvp,
linearize, custom_jvp/custom_vjp, JAX's result structures, transform objects that behave,
derivatives called from the user's own Numba code.

Expected structures are written from JAX's documentation (jax.jacfwd: "the output's
structure outside, the arguments' structure inside"; jax.hessian = jacfwd(jacrev);
jax.vjp's cotangent of an int: float0), values from analytic derivatives and central
differences.
"""

import importlib.util
import inspect
import math
import pickle
import re
from pathlib import Path

import numba
import numpy as np
import pytest

import s2sad
from s2sad import BadArguments, NonDifferentiableOutput, S2SADError
from s2sad.testing import central_difference, check_grads
from tests.programs import compose_programs as P

TARGETS = ["python", "cpu"]
FD = dict(rel=1e-6, abs=1e-8)
EXACT = dict(rel=1e-12, abs=1e-14)


def _network(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=4), rng.normal(size=4), rng.normal(size=(4, 4)),
            rng.normal(size=4), rng.normal(size=4), 0.3)


def _fd_matrix(f, args, k, eps=1e-6):
    """Central differences of f with respect to the array args[k], element by element."""
    x = args[k]
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        out[i] = (f(*args[:k], hi, *args[k + 1:]) - f(*args[:k], lo, *args[k + 1:])) / (2 * eps)
    return out


# ---------------------------------------------------------------- 1: transforms inline
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("loss", [P.pinn_loss, P.pinn_loss_jvp], ids=["grad", "jvp"])
def test_pinn_loss_with_the_derivative_written_inline(target, loss):
    """The seed documents' PINN: du/dt inside the loss, as JAX users write it."""
    args = _network()
    g = s2sad.grad(loss, argnums=2, target=target)(*args)
    assert g.shape == (4, 4)
    np.testing.assert_allclose(g, _fd_matrix(loss, args, 2), rtol=1e-6, atol=1e-9)
    # the two spellings of du/dt are the same loss
    assert P.pinn_loss(*args) == pytest.approx(P.pinn_loss_jvp(*args), rel=1e-12)


INLINE = [P.inline_grad, P.inline_value_and_grad, P.inline_linearize, P.inline_jacfwd,
          P.inline_jacrev, P.inline_hessian, P.inline_grad_of_grad, P.inline_deeper]
X3 = np.array([0.3, 0.5, 0.9])


@pytest.mark.parametrize("fn", INLINE, ids=lambda f: f.__name__)
def test_every_transform_inline(fn):
    args = (0.7, 1.3)
    for i in range(2):
        g = s2sad.grad(fn, argnums=i, target="python")(*args)
        assert g == pytest.approx(central_difference(fn, args, i, eps=1e-5), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("fn", [P.inline_vjp, P.inline_vjp_of_numpy, P.inline_hvp,
                                P.inline_has_aux], ids=lambda f: f.__name__)
@pytest.mark.parametrize("target", TARGETS)
def test_transforms_inline_on_arrays(fn, target):
    g = s2sad.grad(fn, target=target)(X3)
    np.testing.assert_allclose(g, central_difference(fn, (X3,), 0), rtol=1e-6, atol=1e-8)


def test_inline_has_aux_is_differentiated_through():
    """grad(..., has_aux=True) cuts aux for its own gradient only: an outer derivative
    goes through aux["top"] = max(x). f = sum(2x) max(x)."""
    got = s2sad.grad(P.inline_has_aux, target="python")(X3)
    want = 2 * np.max(X3) * np.ones(3) + np.eye(3)[np.argmax(X3)] * np.sum(2 * X3)
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_inline_on_cpu_to_depth():
    args = (0.7, 1.3)
    for fn in (P.inline_deeper, P.inline_hessian):
        assert s2sad.grad(fn, target="cpu")(*args) == pytest.approx(
            s2sad.grad(fn, target="python")(*args), **EXACT)


def test_inline_refusals_name_what_works():
    # a Jacobian of a vector inside code is one loop of jvps (batch.py); of a matrix: refused
    np.testing.assert_allclose(s2sad.grad(P.inline_jacobian_of_array)(X3), -np.sin(X3),
                               rtol=1e-12, atol=1e-14)
    with pytest.raises(S2SADError) as e:
        s2sad.grad(P.inline_jacobian_of_matrix, target="python")(np.ones((2, 2)))
    assert "scalar" in e.value.message and "jvp" in e.value.hint
    assert e.value.loc.file.endswith("compose_programs.py")
    assert "s2sad.jacfwd(np.sin)(x)" in e.value.loc.text
    with pytest.raises(S2SADError, match="known when the function is compiled"):
        s2sad.grad(P.inline_runtime_argnums, target="python")(0.5, 1)


# ---------------------------------------------------------------- 2: pytrees
def _mlp_params(seed=1):
    rng = np.random.default_rng(seed)
    return ({"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "w2": rng.normal(size=4)},
            rng.normal(size=(5, 3)), rng.normal(size=5))


@pytest.mark.parametrize("target", TARGETS)
def test_grad_of_dict_params(target):
    params, X, y = _mlp_params()
    g = s2sad.grad(P.mlp_loss, target=target)(params, X, y)
    assert isinstance(g, dict) and sorted(g) == ["W1", "b1", "w2"]
    for k, v in params.items():
        f = lambda a, k=k: P.mlp_loss({**params, k: a}, X, y)  # noqa: E731
        np.testing.assert_allclose(g[k], _fd_matrix(f, (v,), 0), rtol=1e-6, atol=1e-9)
    value, g2 = s2sad.value_and_grad(P.mlp_loss, target=target)(params, X, y)
    assert value == pytest.approx(P.mlp_loss(params, X, y), rel=1e-14)
    np.testing.assert_allclose(g2["W1"], g["W1"], rtol=1e-14)
    # argnums selects whole pytrees: a tuple of a dict and an array
    gp, gX = s2sad.grad(P.mlp_loss, argnums=(0, 1), target=target)(params, X, y)
    assert isinstance(gp, dict) and gX.shape == X.shape
    np.testing.assert_allclose(gX, _fd_matrix(lambda Z: P.mlp_loss(params, Z, y), (X,), 0),
                               rtol=1e-6, atol=1e-9)


def test_pytree_kinds():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(4, 3)), rng.normal(size=4)
    p = P.Params(rng.normal(size=3), 0.25)
    g = s2sad.grad(P.linear_loss, target="python")(p, X, y)
    assert type(g) is P.Params
    r = X @ p.W + p.b - y
    np.testing.assert_allclose(g.W, 2 * X.T @ r, rtol=1e-13)
    assert g.b == pytest.approx(2 * np.sum(r), rel=1e-13)
    layers = [(rng.normal(size=(3, 3)), rng.normal(size=3)), (rng.normal(size=(2, 3)),
                                                               rng.normal(size=2))]
    gl = s2sad.grad(P.layers_loss, target="python")(layers, np.ones(3))
    assert type(gl) is list and type(gl[0]) is tuple and gl[1][0].shape == (2, 3)
    check_grads(P.layers_loss, (layers, np.ones(3)))
    tree = {"pairs": [(np.ones(2), np.arange(2.0)), (X[0], X[1])], "weights": (0.5, 2.0)}
    gt = s2sad.grad(P.nested_loss, target="python")(tree, 3.0)
    assert pytree_shape(gt) == pytree_shape(tree)
    check_grads(P.nested_loss, (tree, 3.0))
    check_grads(P.builds_containers, (0.7, 1.3))
    assert P.builds_containers(0.7, 1.3) == pytest.approx(
        (0.7 + 1.3 + 0.7 * 1.3) * 1.4 + 3 * 1.3, rel=1e-14)


def pytree_shape(t):
    leaves, tree = s2sad.pytree.flatten(t)
    return tree, [np.shape(x) for x in leaves]


def test_pytree_outputs_and_tangents():
    out, tan = s2sad.jvp(P.with_dict_output, (2.0, 3.0), (1.0, 0.0), target="python")
    assert out == {"prod": 6.0, "sum": 5.0, "arr": pytest.approx(np.array([4.0, 6.0]))}
    assert tan["prod"] == 3.0 and tan["sum"] == 1.0
    np.testing.assert_allclose(tan["arr"], [2.0, 0.0])
    _, f_vjp = s2sad.vjp(P.with_dict_output, 2.0, 3.0, target="python")
    gx, gy = f_vjp({"prod": 1.0, "sum": 0.0, "arr": np.array([0.0, 1.0])})
    assert (gx, gy) == pytest.approx((3.0, 2.0 + 2.0))
    with pytest.raises(BadArguments, match="keys"):
        f_vjp({"prod": 1.0})
    J = s2sad.jacfwd(P.with_dict_output, argnums=(0, 1), target="python")(2.0, 3.0)
    assert J["prod"] == (3.0, 2.0) and J["sum"] == (1.0, 1.0)
    np.testing.assert_allclose(J["arr"][1], [0.0, 2.0])


@pytest.mark.parametrize("target", TARGETS)
def test_module_level_pytree(target):
    g = s2sad.grad(P.reads_module_pytree, target=target)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(g(x), 2.0 * P.PARAMS["w"])
    saved = dict(P.PARAMS)
    try:
        P.PARAMS["w"][:] = [3.0, 4.0]  # the leaves are read at every call
        np.testing.assert_allclose(g(x), [6.0, 8.0])
        P.PARAMS["c"] = 0.5
        np.testing.assert_allclose(g(x), [1.5, 2.0])
        P.PARAMS["extra"] = 1.0  # another structure: specialised again, never stale
        np.testing.assert_allclose(g(x), [1.5, 2.0])
    finally:
        P.PARAMS.clear()
        P.PARAMS.update(saved)
        P.PARAMS["w"][:] = [0.5, -1.0]


def test_pytree_refusals():
    with pytest.raises(BadArguments) as e:  # a list where an array was meant
        s2sad.grad(P.list_as_array, target="python")([1.0, 2.0])
    assert "argument 0 (x)" in str(e.value) and "np.asarray" in e.value.hint
    with pytest.raises(BadArguments, match=r"argument 0 \(p\)\['a'\] has type i64"):
        s2sad.grad(P.tree_in_loop, target="python")({"a": 1}, 3)
    assert s2sad.grad(P.tree_in_loop, target="python")({"a": 1.0}, 3) == {"a": 3.0}


# ---------------------------------------------------------------- 3: has_aux, hvp, linearize
def test_has_aux():
    w, x = 0.5, np.array([1.0, 2.0, 3.0])
    g, aux = s2sad.grad(P.loss_and_stats, has_aux=True, target="python")(w, x)
    assert g == pytest.approx(2 * w * np.sum(x * x))
    np.testing.assert_allclose(aux["pred"], x * w)
    assert aux["count"] == 3
    (v, aux2), g2 = s2sad.value_and_grad(P.loss_and_stats, has_aux=True, target="cpu")(w, x)
    assert v == pytest.approx(np.sum((x * w) ** 2)) and g2 == pytest.approx(g)
    assert aux2["count"] == 3
    out, f_vjp, aux3 = s2sad.vjp(P.vector_and_aux, x, has_aux=True, target="python")
    np.testing.assert_allclose(f_vjp(np.ones(3))[0], 2 * x)
    assert aux3 == 6.0
    for jac in (s2sad.jacfwd, s2sad.jacrev):
        J, aux4 = jac(P.vector_and_aux, has_aux=True, target="python")(x)
        np.testing.assert_allclose(J, np.diag(2 * x))
        assert aux4 == 6.0
    out, tan, aux5 = s2sad.jvp(P.vector_and_aux, (x,), (np.ones(3),), has_aux=True)
    np.testing.assert_allclose(tan, 2 * x)
    with pytest.raises(NonDifferentiableOutput, match="pair"):
        s2sad.grad(P.cubed, has_aux=True, target="python")(1.0)


def test_hvp_and_linearize():
    x, v = np.array([0.3, -0.5, 1.1, 2.0]), np.array([1.0, 2.0, -1.0, 0.5])
    H = s2sad.hessian(P.quad4, target="python")(x)
    np.testing.assert_allclose(s2sad.hvp(P.quad4, (x,), (v,), target="python"), H @ v,
                               rtol=1e-14)
    np.testing.assert_allclose(s2sad.hvp(P.quad4, (x,), (v,)), H @ v, rtol=1e-14)
    y, f_jvp = s2sad.linearize(P.polar, 2.0, 0.5)
    assert y == pytest.approx(P.polar(2.0, 0.5))
    J = s2sad.jacfwd(P.polar, argnums=(0, 1))(2.0, 0.5)
    assert f_jvp(1.0, 0.0) == pytest.approx((J[0][0], J[1][0]), **EXACT)
    assert f_jvp(0.0, 1.0) == pytest.approx((J[0][1], J[1][1]), **EXACT)


@pytest.mark.parametrize("target", TARGETS)
def test_custom_jvp_and_custom_vjp(target):
    a, b = 0.3, 1.7
    s = 1 / (1 + math.exp(-a * b))
    g = s2sad.grad(P.uses_log1pexp, argnums=(0, 1), target=target)(a, b)
    assert g == pytest.approx((b * s + 1.0, a * s), **EXACT)
    # second derivatives differentiate the rule (sigmoid' = s (1 - s))
    assert s2sad.hessian(P.log1pexp, target=target)(a) == pytest.approx(
        (1 / (1 + math.exp(-a))) * (1 - 1 / (1 + math.exp(-a))), **EXACT)
    # custom_vjp: the declared (doubled) derivative is the one used; as in JAX, it has no
    # forward mode
    assert s2sad.grad(P.uses_doubled, argnums=(0, 1), target=target)(a, b) == \
        pytest.approx((2 * b, 2 * a + 1.0), **EXACT)
    with pytest.raises(s2sad.NoRuleError, match="forward-mode"):
        s2sad.jvp(P.uses_doubled, (a, b), (1.0, 0.0), target=target)
    # a backward rule that is not linear in the cotangent (gradient clipping) is applied to
    # the cotangent itself
    assert s2sad.grad(P.five_clipped, target=target)(2.0) == 1.0
    assert s2sad.grad(P.five_clipped, target=target)(-2.0) == 1.0
    x = np.array([0.1, -0.4, 2.0])
    np.testing.assert_allclose(s2sad.grad(P.sums_softplus, target=target)(x),
                               P.C / (1 + np.exp(-x)), rtol=1e-14)
    assert P.log1pexp(0.0) == pytest.approx(math.log(2.0))  # still a function


def test_custom_rules_refuse_arrays_unless_elementwise():
    with pytest.raises(S2SADError, match="elementwise=True"):
        s2sad.grad(P.log1pexp_of_array, target="python")(X3)


# ---------------------------------------------------------------- 4: result structures
def test_jacobian_structures_are_jax_s():
    r, th = 2.0, 0.5
    J = s2sad.jacfwd(P.polar, argnums=(0, 1), target="python")(r, th)
    # ((dx/dr, dx/dtheta), (dy/dr, dy/dtheta)): J[0][1] is dx/dtheta
    want = ((math.cos(th), -r * math.sin(th)), (math.sin(th), r * math.cos(th)))
    assert isinstance(J, tuple) and all(isinstance(row, tuple) for row in J)
    np.testing.assert_allclose(np.array(J), want, rtol=1e-14)
    np.testing.assert_allclose(np.array(s2sad.jacrev(P.polar, argnums=(0, 1))(r, th)), want,
                               rtol=1e-14)
    H = s2sad.hessian(P.wengert, argnums=(0, 1), target="python")(2.0, 5.0)
    assert isinstance(H, tuple) and all(isinstance(row, tuple) for row in H)
    np.testing.assert_allclose(np.array(H), [[-0.25, 1.0], [1.0, math.sin(5.0)]], rtol=1e-14)
    x = np.array([0.3, -0.5, 1.1, 2.0])
    H1 = s2sad.hessian(P.quad4, argnums=(0,), target="python")(x)
    assert type(H1) is tuple and type(H1[0]) is tuple and H1[0][0].shape == (4, 4)
    np.testing.assert_allclose(H1[0][0], s2sad.hessian(P.quad4)(x), rtol=1e-14)
    # a tuple output with an array in it: one Jacobian per output
    for jac in (s2sad.jacfwd, s2sad.jacrev):
        Ja, Js = jac(P.array_and_scalar, target="python")(X3)
        np.testing.assert_allclose(Ja, 2 * np.eye(3))
        np.testing.assert_allclose(Js, np.ones(3))
    # a scalar output of an array: an array shaped like the argument (0-d output)
    np.testing.assert_allclose(s2sad.jacfwd(P.quad4)(x), s2sad.grad(P.quad4)(x), rtol=1e-14)


@pytest.mark.parametrize("target", TARGETS)
def test_zero_d_arrays(target):
    """A 0-d array is a scalar to grad (as in JAX), and its derivatives are numbers."""
    x = np.array(1.5)
    g = s2sad.grad(P.cubed, target=target)(x)
    assert np.shape(g) == () and g == pytest.approx(4.5 * 1.5 ** 2, **EXACT)
    assert s2sad.value_and_grad(P.cubed, target=target)(x)[0] == pytest.approx(1.5 ** 4)
    assert s2sad.hessian(P.cubed, target=target)(x) == pytest.approx(9.0 * 1.5, **EXACT)
    assert s2sad.jacfwd(s2sad.jacrev(P.cubed, target=target), target=target)(x) == \
        pytest.approx(9.0 * 1.5, **EXACT)


@pytest.mark.parametrize("target", TARGETS)
def test_float32_in_float32_out(target):
    x32 = np.float32(1.5)
    for got in (s2sad.grad(P.cubed, target=target)(x32),
                s2sad.value_and_grad(P.cubed, target=target)(x32)[0],
                s2sad.jvp(P.cubed, (x32,), (np.float32(1.0),), target=target)[1],
                s2sad.vjp(P.cubed, x32, target=target)[1](np.float32(1.0))[0],
                s2sad.jacfwd(P.cubed, target=target)(x32),
                s2sad.hessian(P.cubed, target=target)(x32)):
        assert type(got) is np.float32
    a32 = X3.astype(np.float32)
    _, tan = s2sad.jvp(P.quart, (a32,), (np.ones(3, np.float32),), target=target)
    assert type(tan) is np.float32
    assert s2sad.hessian(P.quart, target=target)(a32).dtype == np.float32


def test_cotangent_of_an_int_is_float0():
    _, f_vjp = s2sad.vjp(P.tree_in_loop, {"a": 2.0}, 4, target="python")
    gp, gn = f_vjp(1.0)
    assert gp == {"a": 6.0}
    assert gn.dtype == s2sad.float0 and gn.shape == ()


# ---------------------------------------------------------------- 5: transform objects
def test_transform_objects_behave():
    g = s2sad.grad(P.wengert, argnums=(0, 1))
    assert repr(g) == "<s2sad.grad of wengert, argnums=(0, 1)>"
    assert repr(s2sad.jacfwd(P.polar)) == "<s2sad.jacfwd of polar>"
    assert repr(s2sad.hessian(P.wengert, argnums=(0, 1))) == \
        "<s2sad.hessian of wengert, argnums=(0, 1)>"
    assert str(inspect.signature(g)) == "(x1, x2)"
    assert str(inspect.signature(s2sad.jacrev(P.polar))) == "(r, theta)"
    assert g.__name__ == "wengert" and g.__doc__ == P.wengert.__doc__
    for t in (g, s2sad.value_and_grad(P.wengert, 1, target="python"), P.d_cubed,
              s2sad.jacfwd(P.polar, argnums=(0, 1)), s2sad.hessian(P.wengert)):
        back = pickle.loads(pickle.dumps(t))
        assert repr(back) == repr(t)
        args = (2.0,) if t is P.d_cubed else (2.0, 0.5)
        np.testing.assert_allclose(_flat(back(*args)), _flat(t(*args)), rtol=1e-15)


def _flat(v) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(x, dtype=float))
                           for x in s2sad.pytree.leaves(v)])


def test_usable_by_scipy_optimize():
    so = pytest.importorskip("scipy.optimize")
    r = so.minimize(P.rosen, np.zeros(3), jac=s2sad.grad(P.rosen), hess=s2sad.hessian(P.rosen),
                    method="trust-ncg")
    assert r.success
    np.testing.assert_allclose(r.x, np.ones(3), atol=1e-5)


# ---------------------------------------------------------------- 6: from the user's Numba
dlogp = s2sad.grad(P.logp).numba
vg_two = s2sad.value_and_grad(P.two, argnums=(0, 1)).numba


@numba.njit
def leapfrog(q, p, eps, n):
    """Hamiltonian dynamics of the standard normal: dlogp is called from Numba."""
    for _ in range(n):
        p = p + 0.5 * eps * dlogp(q)
        q = q + eps * p
        p = p + 0.5 * eps * dlogp(q)
    return q, p


@numba.njit
def calls_value_and_grad(x, y):
    return vg_two(x, y)


def test_derivative_called_from_numba_code():
    q, p = leapfrog(np.ones(3), np.zeros(3), 0.01, 100)
    np.testing.assert_allclose(q, np.cos(1.0) * np.ones(3), rtol=1e-4)  # q(t) = cos t
    np.testing.assert_allclose(p, -np.sin(1.0) * np.ones(3), rtol=1e-4)
    assert calls_value_and_grad(2.0, 3.0) == (18.0, (9.0, 12.0))
    np.testing.assert_allclose(dlogp(np.ones(2)), [-1.0, -1.0])  # and from Python
    reads = s2sad.grad(P.reads_C).numba

    @numba.njit
    def caller(x):
        return reads(x)

    with pytest.raises(Exception, match="freeze"):  # a module-level array: refused
        caller(np.ones(3))


# ---------------------------------------------------------------- docs/api.md runs
DOCS = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def _doc_blocks() -> list[str]:
    """The ```python blocks of docs/api.md that check a value (`expr  # => value`)."""
    text = DOCS.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return [b for b in blocks if "# =>" in b]


def _expected(text: str):
    ns = {"array": np.array, "float32": np.float32, "inf": np.inf, "nan": np.nan}
    return eval(text, ns)  # noqa: S307  (the docs' own literals)


def _same(got, want) -> bool:
    if isinstance(want, tuple | list):
        return isinstance(got, tuple | list) and len(got) == len(want) and all(
            _same(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and sorted(got) == sorted(want) and all(
            _same(got[k], want[k]) for k in want)
    if isinstance(want, str) or isinstance(want, bool):
        return got == want
    if isinstance(want, type):
        return got is want
    return np.shape(got) == np.shape(want) and np.allclose(got, want, rtol=1e-7, atol=1e-12)


def test_api_docs_examples_run(tmp_path, monkeypatch):
    """Every checked example of docs/api.md, run as one module (the functions need a file
    s2sad can read): `expr  # => value` must give value (a repr for `<...>`)."""
    blocks = _doc_blocks()
    assert len(blocks) >= 10
    lines, checks = [], []
    for block in blocks:
        for line in block.splitlines():
            m = re.match(r"^(?P<expr>\S.*?)\s+# => (?P<want>.*?)(?:\s+#.*)?$", line)
            if m:
                checks.append((m["expr"], m["want"]))
                lines.append(f"_check({len(checks) - 1}, {m['expr']})")
            else:
                lines.append(line)
    got: dict = {}
    src = "\n".join(lines) + "\n"
    path = tmp_path / "api_doc_examples.py"
    path.write_text("_RESULTS = {}\n\n\ndef _check(k, value):\n    _RESULTS[k] = value\n\n\n"
                    + src)
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.spec_from_file_location("api_doc_examples", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    got = mod._RESULTS
    assert len(got) == len(checks)
    for k, (expr, want) in enumerate(checks):
        value = got[k]
        if want.startswith("<"):
            assert repr(value) == want, expr
        else:
            assert _same(value, _expected(want)), f"{expr}: {value!r}, docs say {want}"
