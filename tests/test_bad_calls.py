"""Bad calls get a BadArguments that names the argument (and the shapes), never a raw
NumPy/Numba/Python error or a silent wrong answer; and the calls that used to fail but are
fine (keywords, bound methods, nested Jacobians, vjp of array outputs) give real values.

One test per class of failure, on both targets where code runs."""

import math

import numpy as np
import pytest

import s2sad
from s2sad import BadArguments, NonDifferentiableOutput, S2SADError
from s2sad.testing import central_difference, check_grads
from tests.programs import bad_call_programs as P

TARGETS = ["python", "cpu"]
X3 = np.array([0.3, -0.7, 1.1])
EXACT = dict(rel=1e-12, abs=1e-14)


def _d_cubic(x):
    """(f', f'', f''') of P.cubic."""
    s, c = math.sin(x), math.cos(x)
    return (c * x * x + 2 * x * s, -x * x * s + 4 * x * c + 2 * s,
            -6 * x * s - x * x * c + 6 * c)


def _not_from_s2sad(e) -> None:
    """A refusal points at the user's code, never into s2sad's own files."""
    loc = getattr(e.value, "loc", None)
    assert loc is None or "/s2sad/" not in loc.file.replace("\\", "/")


# ---------------------------------------------------------------- 4: tangents, cotangents
@pytest.mark.parametrize("target", TARGETS)
def test_tangent_shapes_are_checked(target):
    for f, t in ((P.squares, np.ones(4)), (P.loop_cubes, np.ones(2)), (P.loop_cubes, 1.0)):
        with pytest.raises(BadArguments) as e:
            s2sad.jvp(f, (X3,), (t,), target=target)
        msg = str(e.value)
        assert "argument 0 (x)" in msg and f"{np.shape(t)}" in msg and "(3,)" in msg
        assert "numba" not in msg.lower()
    _, tan = s2sad.jvp(P.loop_cubes, (X3,), (np.ones(3),), target=target)  # the right one
    assert tan == pytest.approx(float(np.sum(3 * X3 ** 2)), **EXACT)


def test_tangent_structure_and_dtypes():
    for tangents, what in (((1.0,), "2 primal"), (np.ones(2), "tangents must be a tuple"),
                           ((None, 1.0), r"argument 0 \(x\) must be a float, got None"),
                           (("a", 1.0), "got a str")):
        with pytest.raises(BadArguments, match=what):
            s2sad.jvp(P.two_in, (1.5, 2.0), tangents, target="python")
    with pytest.raises(BadArguments, match=r"argument 2 \(n\).*0 or None"):
        s2sad.jvp(P.with_default, (1.5, 2.0, 3), (1.0, 0.0, 7), target="python")
    with pytest.raises(BadArguments, match="primals must be a tuple"):
        s2sad.jvp(P.squares, X3, X3, target="python")
    # lists are taken as tuples; 0 and None are the tangents of an int
    x, y = 1.5, 2.0
    want = 3 * x * x * y * 1.0
    for zero in (0, None, 0.0):
        out, tan = s2sad.jvp(P.with_default, [x, y, 3], [1.0, 0.0, zero], target="python")
        assert out == x ** 3 * y and tan == pytest.approx(want, **EXACT)
    # float32 primal, float64 tangent: the tangent is cast to float32 (as the primal's)
    x32 = X3.astype(np.float32)
    out, tan = s2sad.jvp(P.squares, (x32,), (np.ones(3),), target="python")
    assert out.dtype == tan.dtype == np.float32
    np.testing.assert_allclose(tan, 2 * x32, rtol=1e-7)


@pytest.mark.parametrize("target", TARGETS)
def test_cotangents_are_checked(target):
    out, f_vjp = s2sad.vjp(P.squares, X3, target=target)
    for ct, what in ((None, "got None"), (np.ones(4), r"shape \(4,\).*\(3,\)"),
                     (1.0, r"shape \(\).*\(3,\)"), ("a", "got a str")):
        with pytest.raises(BadArguments, match=what):
            f_vjp(ct)
    np.testing.assert_allclose(f_vjp(np.ones(3))[0], 2 * X3, rtol=1e-15)
    _, f_vjp = s2sad.vjp(P.pair, 1.5, 2.0, target=target)
    for ct, what in ((1.0, "tuple of 2"), ((1.0,), "tuple of 2"), ((1.0, None), "got None"),
                     ((1.0, np.ones(1)), r"output 1 has shape \(\)")):
        with pytest.raises(BadArguments, match=what):
            f_vjp(ct)
    assert f_vjp((1.0, 0.0)) == pytest.approx((2.0, 1.5), **EXACT)
    assert f_vjp([np.array(1.0), 0]) == pytest.approx((2.0, 1.5), **EXACT)  # 0-d: a scalar


# ---------------------------------------------------------------- 9: vjp of array outputs
@pytest.mark.parametrize("target", TARGETS)
def test_vjp_of_array_outputs(target):
    a = np.linspace(0.2, 1.2, 6)
    for f, args in ((P.outer_t, (X3,)), (P.joined, (X3,)), (P.as_matrix, (a,)),
                    (P.mixed, (X3, 0.7))):
        out, f_vjp = s2sad.vjp(f, *args, target=target)
        want = f(*args)
        for o, w in zip(out if isinstance(out, tuple) else (out,),
                        want if isinstance(want, tuple) else (want,)):
            np.testing.assert_allclose(o, w, rtol=1e-15)
        check_grads(f, args, target=target)  # vjp against jvp (dot-product test) and FD
    _, f_vjp = s2sad.vjp(P.joined, X3, target=target)
    np.testing.assert_allclose(f_vjp(np.arange(6.0))[0], np.arange(3.0) + 2 * np.arange(3, 6),
                               rtol=1e-15)


# ---------------------------------------------------------------- 5: constant indices
@pytest.mark.parametrize("target", TARGETS)
def test_constant_indices_out_of_bounds(target):
    for f, index in ((P.fifth, 5), (P.minus_four, -4)):
        for call in (lambda f=f: s2sad.grad(f, target=target)(X3),
                     lambda f=f: s2sad.value_and_grad(f, target=target)(X3),
                     lambda f=f: s2sad.jvp(f, (X3,), (X3,), target=target),
                     lambda f=f: s2sad.vjp(f, X3, target=target)):
            with pytest.raises(BadArguments) as e:
                call()
            msg = str(e.value)
            assert f"constant {index} on axis 0" in msg and "argument 0 (x)" in msg
            assert "shape (3,)" in msg and e.value.loc.line > 0
            assert e.value.loc.file.endswith("bad_call_programs.py")
    with pytest.raises(BadArguments, match=r"constant 3 on axis 1.*shape \(2, 3\)"):
        s2sad.grad(P.column_three, target=target)(np.ones((2, 3)))
    # long enough: right; then the fast entry checks the size too
    g = s2sad.grad(P.fifth, target=target)
    x6 = np.linspace(0.1, 0.6, 6)
    np.testing.assert_allclose(g(x6), [1.0, 0, 0, 0, 0, 2.0])
    with pytest.raises(BadArguments, match="constant 5"):
        g(X3)
    # an index under an `if` is the code's own business: no refusal
    assert s2sad.grad(P.guarded, target=target)(X3).tolist() == [2 * X3[0], 0.0, 0.0]


def test_constant_index_into_an_array_of_known_shape_is_refused():
    with pytest.raises(S2SADError, match=r"index 4 is out of bounds.*\(3,\)") as e:
        s2sad.grad(P.writes_past_local, target="python")(1.0)
    assert e.value.loc.file.endswith("bad_call_programs.py")
    # a module-level array is read at every call: checked against its shape then
    with pytest.raises(BadArguments, match=r"TABLE with the constant 3.*outside the "
                       r"function\) has shape \(3,\)") as e:
        s2sad.grad(P.reads_past_a_table, target="python")(1.0)
    assert e.value.loc.file.endswith("bad_call_programs.py")


@pytest.mark.parametrize("target", ["python", "numba"])
def test_boundscheck_option(target):
    g = s2sad.grad(P.shifted, boundscheck=True, target=target)
    with pytest.raises(IndexError):
        g(X3, 1)
    assert g(X3, 0).tolist() == pytest.approx((2 * X3).tolist(), **EXACT)


# ---------------------------------------------------------------- 10: bad calls
@pytest.mark.parametrize("argnums", [0.5, "x", True, (), [0.5], (0, 0)])
def test_argnums_must_be_ints(argnums):
    with pytest.raises(BadArguments) as e:
        s2sad.grad(P.two_in, argnums=argnums, target="python")(1.0, 2.0)
    want = "names an argument twice" if argnums == (0, 0) else \
        "argnums must be an int or a non-empty tuple of ints, got"
    assert want in str(e.value)


@pytest.mark.parametrize("target", TARGETS)
def test_keyword_arguments_bind_to_parameters(target):
    x, y = 1.5, 2.0
    dfdx = math.cos(x) * y * y + 3 * x * x * y
    dfdy = 2 * math.sin(x) * y + x ** 3
    g = s2sad.grad(P.two_in, argnums=(0, 1), target=target)
    assert g(x, y=y) == pytest.approx((dfdx, dfdy), **EXACT)
    assert g(y=y, x=x) == pytest.approx((dfdx, dfdy), **EXACT)
    assert g(x, y) == pytest.approx((dfdx, dfdy), **EXACT)  # the fast entry, then keywords
    assert g(x, y=y) == pytest.approx((dfdx, dfdy), **EXACT)
    # defaults: left to the function, or filled in when a later parameter is passed
    d = s2sad.grad(P.with_default, target=target)
    assert d(x) == pytest.approx(3 * x * x * 2.0, **EXACT)
    assert d(x, n=2) == pytest.approx(2 * x * 2.0, **EXACT)
    assert s2sad.grad(P.with_default, argnums=1, target=target)(x, y=3.0) == x ** 3
    for call, what in ((lambda: g(x, z=1.0), "unexpected keyword argument 'z'"),
                       (lambda: g(x, y, 1.0), "takes 2"), (lambda: g(x), "out of range"),
                       (lambda: d(x, x=1.0), "multiple values")):
        with pytest.raises(BadArguments, match=what):
            call()
    assert s2sad.jacfwd(P.with_default, target=target)(x, n=2) == pytest.approx(4 * x)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("value, what, hint", [
    (np.ones(3, np.float16), "float16 array", "astype(np.float64)"),
    (np.ones(3, np.complex128), "complex array", "real and imaginary"),
    (np.array([1.0, "a"], dtype=object), "dtype object", "np.asarray"),
    ([1.0, 2.0, 3.0], "a list", "np.asarray(x, dtype=float)"),
    (None, "None", "a number or a NumPy array"),
    (np.float16(1.0), "float16 scalar", "float(x)"),
])
def test_unsupported_argument_values(target, value, what, hint):
    with pytest.raises(BadArguments) as e:
        s2sad.grad(P.loop_cubes, target=target)(value)
    assert "argument 0 (x)" in str(e.value) and what in str(e.value) and hint in e.value.hint


def test_int_array_in_argnums_hint():
    with pytest.raises(BadArguments, match=r"argument 0 \(x\) has type i64\[:\]") as e:
        s2sad.grad(P.loop_cubes, target="python")(np.arange(3))
    assert "x.astype(float)" in e.value.hint and "->" not in e.value.hint
    with pytest.raises(BadArguments) as e:
        s2sad.grad(P.cubic, target="python")(2)
    assert "2 -> 2.0" in e.value.hint


@pytest.mark.parametrize("target", TARGETS)
def test_bound_methods_and_callable_objects(target):
    spring = P.Spring(2.0, np.array([1.0, 2.0, 3.0]))
    want = 2 * spring.w * 4.0 * X3  # d/dx sum(w (k x)^2)
    np.testing.assert_allclose(s2sad.grad(spring.energy, target=target)(X3), want, rtol=1e-15)
    np.testing.assert_allclose(s2sad.grad(spring, target=target)(X3), want, rtol=1e-15)
    assert s2sad.grad(spring.scalar_energy, target=target)(1.5) == pytest.approx(3.0, **EXACT)
    np.testing.assert_allclose(s2sad.jacrev(spring.force, target=target)(X3), 2 * np.eye(3))
    assert s2sad.hessian(spring.scalar_energy, target=target)(1.5) == pytest.approx(2.0)


@pytest.mark.parametrize("target", TARGETS)
def test_nested_jacobians_third_derivatives(target):
    x = 1.5
    d1, d2, d3 = _d_cubic(x)
    grad, jacfwd, jacrev, hessian = (lambda f, t=target: s2sad.grad(f, target=t),
                                     lambda f, t=target: s2sad.jacfwd(f, target=t),
                                     lambda f, t=target: s2sad.jacrev(f, target=t),
                                     lambda f, t=target: s2sad.hessian(f, target=t))
    assert jacfwd(jacrev(P.cubic))(x) == pytest.approx(d2, **EXACT)
    assert jacfwd(hessian(P.cubic))(x) == pytest.approx(d3, **EXACT)
    assert grad(jacfwd(grad(P.cubic)))(x) == pytest.approx(d3, **EXACT)
    v, g = s2sad.value_and_grad(jacrev(P.cubic), target=target)(x)
    assert (v, g) == pytest.approx((d1, d2), **EXACT)
    if target == "python":  # the other nestings, once
        assert jacrev(jacfwd(P.cubic))(x) == pytest.approx(d2, **EXACT)
        assert jacrev(jacrev(jacrev(P.cubic)))(x) == pytest.approx(d3, **EXACT)
        assert jacfwd(jacfwd(jacfwd(P.cubic)))(x) == pytest.approx(d3, **EXACT)
        assert hessian(grad(P.cubic))(x) == pytest.approx(d3, **EXACT)
    # a two-input function: the tensor of third derivatives, T[k][j, i] = f_{ijk}
    a, b = 0.4, 1.3
    fxxx, fxxy = -math.cos(a) * b * b + 6 * b, -2 * math.sin(a) * b + 6 * a
    fxyy, fyyy = 2 * math.cos(a), 0.0
    want = [[[fxxx, fxxy], [fxxy, fxyy]], [[fxxy, fxyy], [fxyy, fyyy]]]
    T = s2sad.jacfwd(s2sad.hessian(P.two_in, argnums=(0, 1), target=target), argnums=(0, 1),
                     target=target)(a, b)
    np.testing.assert_allclose(np.array(T), want, rtol=1e-13, atol=1e-14)


def test_nested_jacobians_of_arrays():
    x = np.array([0.3, -0.7, 1.1])
    H4 = s2sad.hessian(s2sad.hessian(P.quartic, target="python"), target="python")(x)
    want = np.zeros((3, 3, 3, 3))
    for i in range(3):
        want[i, i, i, i] = 24.0
    for idx in ((0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 0, 1), (1, 1, 1, 0)):
        want[idx] = 6.0
    np.testing.assert_allclose(H4, want, atol=1e-12)
    # on the default target: an array-valued function, and one with a loop (Numba)
    J2 = s2sad.jacfwd(s2sad.jacrev(P.squares, target="cpu"), target="cpu")(x)
    assert J2.shape == (3, 3, 3)
    np.testing.assert_allclose(J2, central_difference(
        s2sad.jacrev(P.squares, target="python"), (x,), 0), atol=1e-7)
    H3 = s2sad.jacrev(s2sad.hessian(P.loop_cubes, target="cpu"), target="cpu")(x)
    np.testing.assert_allclose(H3, np.einsum("i,ij,ik->ijk", 6.0 * np.ones(3), np.eye(3),
                                             np.eye(3)), atol=1e-13)


def test_nested_jacobians_refuse_cleanly():
    with pytest.raises(NonDifferentiableOutput, match=r"shape \(3, 3\)"):
        s2sad.grad(s2sad.jacfwd(P.squares, target="python"), target="python")(X3)
    with pytest.raises(BadArguments, match="value_and_grad"):
        s2sad.jacfwd(s2sad.value_and_grad(s2sad.jacrev(P.cubic, target="python"),
                                          target="python"))
    with pytest.raises(BadArguments, match="jvp"):
        s2sad.jvp(s2sad.jacfwd(P.cubic, target="python"), (1.5,), (1.0,))
    import functools

    with pytest.raises(BadArguments, match="partial"):
        s2sad.grad(functools.partial(P.two_in, 1.0), target="python")(2.0)
    # a Jacobian of a vector called inside a function: one loop of jvps (sum of diag(2x))
    np.testing.assert_allclose(s2sad.grad(P.sums_a_jacobian, target="python")(X3),
                               2 * np.ones(3), rtol=1e-12)
    with pytest.raises(S2SADError) as e:  # of a matrix: refused, pointing at the call
        s2sad.grad(P.sums_a_jacobian, target="python")(np.ones((2, 2)))
    assert e.value.loc.file.endswith("bad_call_programs.py")
    _not_from_s2sad(e)


def test_parameter_names_that_shadow_builtins():
    """The fast entry takes the user's parameter names: one called `type` must not break
    its type checks."""
    g = s2sad.grad(P.shadows_type, target="python")
    assert g(1.5, 2.0) == g(1.5, 2.0) == 2.0
