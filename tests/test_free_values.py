"""Values from outside the function are read at call time, and no transform writes into
its inputs (the reliability issue, items 3, 6 and 7).

Module-level and closure arrays and floats are parameters of the generated code that the
entry wrapper reads at every call; ints and bools are folded, and a changed one gives a
new specialisation. Arrays the function writes into are copied on entry."""

import types

import numpy as np
import pytest

import s2sad
from s2sad.testing import central_difference

TARGETS = ["python", "cpu"]

K = np.array([1.0, 2.0, 3.0])
C = 5.0
N = 3
CFG = types.SimpleNamespace(scale=2.0, table=np.array([0.5, 1.5]))
PAIR = (0.25, 4.0)
GRID = np.linspace(0.0, 1.0, 5)
BIG = np.random.default_rng(1).normal(size=(1000, 1000)) / 1000.0


def lookup(x):
    return K[1] * x * x + C * x


def counted(x):
    s = 0.0
    for i in range(N):
        s += x * (i + 1)
    return s


def via_attributes(x):
    return CFG.scale * x * CFG.table[1] + PAIR[0] * x ** 2 * PAIR[1]


def potential(x):
    """The seed's eigenvalue problem style: a module-level grid read in a loop."""
    e = 0.0
    for i in range(GRID.shape[0]):
        d = x[i] - GRID[i]
        e += d * d * GRID[i] + x[i] ** 2 * GRID[i] ** 2
    return e


DLOOKUP = s2sad.grad(lookup)


def d2(x):
    return DLOOKUP(x) * x


def big_matrix(x):
    return np.sum(np.tanh(BIG @ x))


@pytest.fixture
def restore():
    saved = K.copy(), C, N, CFG.scale, GRID.copy()
    yield
    K[:] = saved[0]
    CFG.scale = saved[3]
    GRID[:] = saved[4]
    globals().update(C=saved[1], N=saved[2])


@pytest.mark.parametrize("target", TARGETS)
def test_module_array_indexed_in_reverse_mode(target, restore):
    """Item 7: K[1] on a module-level array (was TypeError: unhashable type in the adjoint)."""
    assert s2sad.grad(lookup, target=target)(2.0) == pytest.approx(2 * 2.0 * 2.0 + 5.0)
    _, t = s2sad.jvp(lookup, (2.0,), (1.0,), target=target)
    assert t == pytest.approx(13.0)
    x = np.array([0.3, -0.2, 0.9, 0.1, 0.5])
    g = s2sad.grad(potential, target=target)(x)
    np.testing.assert_allclose(g, central_difference(potential, (x,), 0), rtol=1e-6)


@pytest.mark.parametrize("target", TARGETS)
def test_changed_module_values_change_the_derivative(target, restore):
    """Item 6: an existing and a new transform both see `A[:] = ...` and `mod.C = ...`."""
    g = s2sad.grad(lookup, target=target)
    assert g(2.0) == pytest.approx(13.0)
    K[:] = 10.0
    assert g(2.0) == pytest.approx(45.0)
    assert s2sad.grad(lookup, target=target)(2.0) == pytest.approx(45.0)
    globals()["C"] = 7.0
    assert g(2.0) == pytest.approx(47.0)
    assert s2sad.grad(lookup, target=target)(2.0) == pytest.approx(47.0)
    GRID[:] = np.linspace(1.0, 2.0, 5)
    x = np.array([0.3, -0.2, 0.9, 0.1, 0.5])
    np.testing.assert_allclose(s2sad.grad(potential, target=target)(x),
                               central_difference(potential, (x,), 0), rtol=1e-6)


def test_changed_module_int_gives_a_new_specialisation(restore):
    g = s2sad.grad(counted)
    assert g(1.0) == 6.0
    globals()["N"] = 5
    assert g(1.0) == 15.0
    globals()["N"] = 3
    assert g(1.0) == 6.0


def test_attributes_closures_and_tuples_are_read_at_call_time(restore):
    g = s2sad.grad(via_attributes, target="python")
    assert g(1.0) == pytest.approx(2.0 * 1.5 + 2 * 0.25 * 4.0)
    CFG.scale = 3.0
    assert g(1.0) == pytest.approx(3.0 * 1.5 + 2 * 0.25 * 4.0)

    def make(w, c):
        def f(x):
            return np.sum(w * x) * c
        return f

    w = np.array([1.0, 2.0])
    f = make(w, 3.0)
    gf = s2sad.grad(f, target="python")
    np.testing.assert_allclose(gf(np.ones(2)), [3.0, 6.0])
    w[0] = 5.0
    np.testing.assert_allclose(gf(np.ones(2)), [15.0, 6.0])


def test_module_arrays_are_not_pasted_into_the_source():
    """Item 6 / first-call issue: a 1000x1000 module-level matrix is an argument."""
    src = s2sad.derivative_source(big_matrix, mode="grad", args=(np.ones(1000),))
    assert len(src) < 10_000
    assert "BIG" in src.split("def ")[1].split(")")[0]  # a parameter of the generated code
    x = np.linspace(-1.0, 1.0, 1000)
    grad = s2sad.grad(big_matrix)  # target cpu: NumPy for this straight-line code
    for scale in (1.0, 3.0):  # the matrix mutated between two calls: read at call time
        BIG[:] *= scale
        try:
            want = BIG.T @ (1.0 - np.tanh(BIG @ x) ** 2)
            np.testing.assert_allclose(grad(x), want, rtol=1e-12)
        finally:
            BIG[:] /= scale


def test_nested_derivatives_read_free_values(restore):
    assert s2sad.grad(s2sad.grad(lookup), target="python")(2.0) == pytest.approx(4.0)
    assert s2sad.grad(d2, target="python")(2.0) == pytest.approx(4.0 * 2.0 + 13.0)
    K[:] = 10.0
    assert s2sad.grad(d2, target="python")(2.0) == pytest.approx(20.0 * 2.0 + 45.0)


# ---------------------------------------------------------------- writes into inputs (item 3)
def squares_in_place(x):
    for i in range(x.shape[0]):
        x[i] = x[i] * x[i] + 0.5 * x[i]
    return np.sum(x)


def shifted(x):
    x += 1.0
    return np.sum(x * x)


def through_alias(a):
    b = a
    b[0] = b[0] * 3.0
    return np.sum(a * a)


def _fill(out, x):
    for i in range(out.shape[0]):
        out[i] = out[i] * x


def through_helper(u, x):
    _fill(u, x)
    return np.sum(u * u) * x


def writes_module_array(x):
    K[0] = x
    return K[0] * K[1] * x


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("fun, want", [
    (squares_in_place, lambda x: 2 * x + 0.5),
    (shifted, lambda x: 2 * (x + 1.0)),
    (through_alias, lambda x: np.array([18 * x[0], *(2 * x[1:])])),
])
def test_transforms_leave_their_inputs_alone(fun, want, target):
    x = np.array([1.0, 2.0, 3.0])
    g = s2sad.grad(fun, target=target)
    np.testing.assert_allclose(g(x), want(np.array([1.0, 2.0, 3.0])))
    np.testing.assert_allclose(g(x), want(np.array([1.0, 2.0, 3.0])))  # the same twice
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    u = np.array([0.3, -1.0, 0.5])
    val, t = s2sad.jvp(fun, (x,), (u,), target=target)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(u, [0.3, -1.0, 0.5])
    assert val == pytest.approx(fun(x.copy()))
    _, vjp_fn = s2sad.vjp(fun, x, target=target)
    (ct,) = vjp_fn(1.0)
    assert float(np.dot(ct, u)) == pytest.approx(t)  # the dot-product test
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("target", TARGETS)
def test_helper_writing_an_argument_and_a_module_array(target, restore):
    u = np.array([1.0, 2.0])
    g = s2sad.grad(through_helper, argnums=(0, 1), target=target)
    gu, gx = g(u, 1.5)
    np.testing.assert_array_equal(u, [1.0, 2.0])
    np.testing.assert_allclose(gu, 2 * u * 1.5 ** 3)
    assert gx == pytest.approx(3 * 1.5 ** 2 * np.sum(u * u))
    assert s2sad.grad(writes_module_array, target=target)(2.0) == pytest.approx(4 * 2.0)  # 2 x^2
    np.testing.assert_array_equal(K, [1.0, 2.0, 3.0])


class Spring:
    def __init__(self, k, rest):
        self.k = k
        self.rest = rest

    def stretch(self, x):
        return x - self.rest[0]

    def energy(self, x):
        return 0.5 * self.k * self.stretch(x) ** 2


@pytest.mark.parametrize("target", TARGETS)
def test_a_methods_self_is_read_at_call_time(target):
    s = Spring(2.0, np.array([0.5]))
    g = s2sad.grad(s.energy, target=target)
    assert g(1.5) == pytest.approx(2.0 * 1.0)
    s.k = 4.0
    s.rest[0] = 1.0
    assert g(1.5) == pytest.approx(4.0 * 0.5)
