"""The public API: the JAX-style transforms, how they take arguments and refuse bad ones,
their caches, the generated source (which s2sad must accept again), and s2sad.testing."""

import ast
import importlib.util
import itertools
import math

import numpy as np
import pytest

import s2sad
from s2sad import api, pipeline, testing
from s2sad import compile as specs
from s2sad.ir.types import F64, ArrayT
from s2sad.rules import RULES, Rule
from s2sad.testing import central_difference, check_grads
from tests.programs import api_programs as P
from tests.programs import loops

FD = dict(rel=1e-6, abs=1e-8)
EXACT = dict(rel=1e-12, abs=1e-15)
_modules = itertools.count()


def load_module(path):
    """Import a .py file as a fresh module (a new module object on every call)."""
    spec = importlib.util.spec_from_file_location(f"s2sad_test_mod_{next(_modules)}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------- the transforms agree
def test_jvp_and_vjp_agree_with_grad():
    args = (0.7, -1.3)
    g = s2sad.grad(P.poly, argnums=(0, 1), target="python")(*args)
    out, f_vjp = s2sad.vjp(P.poly, *args, target="python")
    assert out == P.poly(*args)
    assert f_vjp(1.0) == pytest.approx(g, **EXACT)
    assert f_vjp(2.0) == pytest.approx((2 * g[0], 2 * g[1]), **EXACT)
    for i, t in enumerate([(1.0, 0.0), (0.0, 1.0)]):
        out, tan = s2sad.jvp(P.poly, args, t, target="python")
        assert out == P.poly(*args)
        assert tan == pytest.approx(g[i], **EXACT)
        assert g[i] == pytest.approx(central_difference(P.poly, args, i), **FD)


def test_jvp_and_vjp_on_cpu():
    args = (0.7, -1.3)
    g = s2sad.grad(P.poly, argnums=(0, 1), target="python")(*args)
    _, tan = s2sad.jvp(P.poly, args, (0.5, -2.0), target="cpu")
    assert tan == pytest.approx(0.5 * g[0] - 2.0 * g[1], **EXACT)
    _, f_vjp = s2sad.vjp(P.poly, *args, target="cpu")
    assert f_vjp(1.0) == pytest.approx(g, **EXACT)


def test_value_and_grad():
    args = (0.7, -1.3)
    v, g = s2sad.value_and_grad(P.poly, argnums=(0, 1), target="python")(*args)
    assert v == P.poly(*args)
    assert g == s2sad.grad(P.poly, argnums=(0, 1), target="python")(*args)
    v1, g1 = s2sad.value_and_grad(P.poly, target="python")(*args)
    assert (v1, g1) == (v, g[0])
    v2, g2 = s2sad.value_and_grad(P.poly, argnums=(1,), target="python")(*args)
    assert (v2, g2) == (v, (g[1],))


def test_grad_argnums_forms():
    args = (0.7, -1.3)
    both = s2sad.grad(P.poly, argnums=(0, 1), target="python")(*args)
    assert s2sad.grad(P.poly, target="python")(*args) == both[0]
    assert s2sad.grad(P.poly, 1, target="python")(*args) == both[1]
    assert s2sad.grad(P.poly, argnums=-1, target="python")(*args) == both[1]
    assert s2sad.grad(P.poly, argnums=(1, 0), target="python")(*args) == (both[1], both[0])
    assert s2sad.grad(P.poly, argnums=(0,), target="python")(*args) == (both[0],)


def test_decorator_forms():
    assert P.d_square(3.0) == 6.0  # @s2sad.grad(target="python")
    assert P.d_prod(2.0, 3.0) == (9.0, 12.0)  # @s2sad.grad(argnums=(0, 1), ...)
    assert P.d_prod_wrt_y(2.0, 3.0) == 12.0  # s2sad.grad(f, 1, ...)
    assert P.d_cube(2.0) == 12.0  # bare @s2sad.grad: Numba (cpu) by default
    assert P.d_cube.transform.target == "cpu"
    assert P.d_cube.__name__ == "d_cube" and "d_cube" in repr(P.d_cube)
    assert s2sad.grad(argnums=1, target="python")(P.prod_sq)(2.0, 3.0) == 12.0
    assert s2sad.grad((0, 1), target="python")(P.prod_sq)(2.0, 3.0) == (9.0, 12.0)
    vg = s2sad.value_and_grad(argnums=1, target="python")(P.prod_sq)
    assert vg(2.0, 3.0) == (18.0, 12.0)


# ---------------------------------------------------------------- refusals, never zeros
def test_grad_of_tuple_output_raises():
    with pytest.raises(s2sad.NonDifferentiableOutput, match="tuple"):
        s2sad.grad(P.two_outputs, target="python")(0.5, 0.75)
    with pytest.raises(s2sad.NonDifferentiableOutput, match="i64"):
        s2sad.grad(P.int_output, target="python")(0.5, 3)
    # vjp and jacrev are the way to differentiate several outputs
    _, f_vjp = s2sad.vjp(P.two_outputs, 0.5, 0.75, target="python")
    assert f_vjp((1.0, 0.0)) == (0.75, 0.5)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_grad_wrt_int_raises(target):
    with pytest.raises(s2sad.BadArguments, match="float") as e:
        s2sad.grad(P.scaled, target=target)(2, 0.75)
    assert isinstance(e.value, TypeError)
    with pytest.raises(s2sad.BadArguments):
        s2sad.grad(P.scaled, argnums=(0, 1), target=target)(2, 0.75)
    with pytest.raises(s2sad.BadArguments, match="out of range"):
        s2sad.grad(P.scaled, argnums=2, target=target)(2.0, 0.75)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("args", [("a", 0.75), (0.5,), (0.5, 1.0, 2.0), ([0.5], 1.0),
                                  (None, 1.0), (1 + 2j, 1.0)],
                         ids=["string", "too-few", "too-many", "list", "none", "complex"])
def test_bad_calls_raise_type_error(target, args):
    t = s2sad.grad(P.poly, target=target)
    with pytest.raises(TypeError) as e:
        t(*args)
    assert isinstance(e.value, s2sad.S2SADError)
    assert "numba" not in str(e.value).lower()


def test_bad_call_after_a_good_one():
    t = s2sad.grad(P.poly, target="python")
    assert t(0.5, 1.0) == pytest.approx(central_difference(P.poly, (0.5, 1.0), 0), **FD)
    with pytest.raises(TypeError):
        t("a", 1.0)
    with pytest.raises(TypeError):
        t(0.5)


def test_int_arguments_are_never_differentiated():
    args = (0.5, 4, 2.0)
    g = s2sad.grad(P.power_sum, argnums=(0, 2), target="python")(*args)
    assert g == pytest.approx((central_difference(P.power_sum, args, 0),
                               central_difference(P.power_sum, args, 2)), **FD)
    out, f_vjp = s2sad.vjp(P.power_sum, *args, target="python")
    cts = f_vjp(1.0)
    # the cotangent of an int is JAX's float0 zeros (no data, the int's shape)
    assert cts[1].dtype == s2sad.float0 and cts[1].shape == ()
    assert cts[0] == pytest.approx(g[0], **EXACT)
    for zero in (0, None):  # the tangent of an int: zero (a nonzero one is refused)
        _, tan = s2sad.jvp(P.power_sum, args, (1.0, zero, 0.0), target="python")
        assert tan == pytest.approx(g[0], **EXACT)
    assert s2sad.grad(P.scaled, argnums=1, target="python")(3, 0.5) == 3.0
    check_grads(P.power_sum, args)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_helper_returning_tuple(target):
    """AD with pytorch: f(x) = (log(x1 x2), sin(x2)), g(y) = y1 y2, d g(f(x)) at (0.5, 0.75)."""
    g = s2sad.grad(P.g_of_f, argnums=(0, 1), target=target)(0.5, 0.75)
    assert (round(g[0], 4), round(g[1], 4)) == (1.3633, 0.1912)
    x1, x2 = 0.5, 0.75
    exact = (math.sin(x2) / x1, math.sin(x2) / x2 + math.log(x1 * x2) * math.cos(x2))
    assert g == pytest.approx(exact, rel=1e-14)
    if target == "python":
        assert s2sad.grad(P.g_of_f_indexed, argnums=(0, 1), target=target)(0.5, 0.75) == \
            pytest.approx(exact, rel=1e-14)
        # the helper itself, two outputs: its Jacobian, nested as JAX nests it (the output's
        # tuple outside, the arguments' inside): J[i][j] = d out_i / d x_j
        J = s2sad.jacrev(P.f, argnums=(0, 1), target=target)(0.5, 0.75)
        assert isinstance(J, tuple) and all(isinstance(r, tuple) for r in J)
        np.testing.assert_allclose(np.array(J), [[1 / x1, 1 / x2], [0.0, math.cos(x2)]],
                                   rtol=1e-14)


@pytest.mark.parametrize("fn", [P.reassigned, P.augmented, P.unpacking],
                         ids=lambda f: f.__name__)
def test_statements(fn):
    args = (0.7, 2.0)
    g = s2sad.grad(fn, argnums=(0, 1), target="python")(*args)
    for i in range(2):
        assert g[i] == pytest.approx(central_difference(fn, args, i), **FD)
    check_grads(fn, args)


def test_jacfwd_and_jacrev_agree():
    args = (0.7, 2.0)
    Jf = s2sad.jacfwd(P.vector_out, argnums=(0, 1), target="python")(*args)
    Jr = s2sad.jacrev(P.vector_out, argnums=(0, 1), target="python")(*args)
    assert len(Jf) == len(Jr) == 4 and all(len(row) == 2 for row in Jf)  # [output][argument]
    for i in range(2):
        fd = central_difference(P.vector_out, args, i)
        for k in range(4):
            assert Jf[k][i] == pytest.approx(Jr[k][i], rel=1e-12)
            assert Jf[k][i] == pytest.approx(fd[k], rel=1e-6, abs=1e-8)
    a = np.array([0.5, -1.0, 2.0])
    Jf = s2sad.jacfwd(P.weighted_squares, argnums=(0, 1), target="python")(a, 1.5)
    Jr = s2sad.jacrev(P.weighted_squares, argnums=(0, 1), target="python")(a, 1.5)
    np.testing.assert_allclose(Jf[0], 2 * 1.5 * a, rtol=1e-14)
    np.testing.assert_allclose(Jr[0], 2 * 1.5 * a, rtol=1e-14)
    assert Jf[1] == pytest.approx(Jr[1], **EXACT) == float(np.sum(a**2))


def test_numpy_dispatchers_resolve_to_primitives():
    """np.copy, np.zeros_like, np.around are Python wrappers around the real functions
    (`__wrapped__`); they must still reach their primitives, never NumPy's source."""
    a = np.array([0.5, -1.0, 2.0])
    g = s2sad.grad(P.copy_and_scale, argnums=(0, 1), target="python")(a, 1.3)
    np.testing.assert_allclose(g[0], 2 * 1.3 * a, rtol=1e-15)
    assert g[1] == pytest.approx(float(np.sum(a * a)), **EXACT)
    check_grads(P.copy_and_scale, (a, 1.3))


# ---------------------------------------------------------------- caches
SRC_SIN = "import math\n\n\ndef f(x):\n    return math.sin(x)\n"
SRC_CUBE = "import math\n\n\ndef f(x):\n    return x * x * x\n"
SRC_EXP = "import math\n\n\ndef f(x):\n    return math.exp(2.0 * x)\n"


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_redefinition_is_not_stale(tmp_path, target):
    x = 0.3
    a = tmp_path / "redef_a.py"
    a.write_text(SRC_SIN)
    m1 = load_module(a)
    assert s2sad.grad(m1.f, target=target)(x) == pytest.approx(math.cos(x), **EXACT)
    b = tmp_path / "redef_b.py"  # same function name, another file
    b.write_text(SRC_CUBE)
    assert s2sad.grad(load_module(b).f, target=target)(x) == pytest.approx(3 * x * x, **EXACT)
    a.write_text(SRC_EXP)  # the file edited and imported again
    m2 = load_module(a)
    assert s2sad.grad(m2.f, target=target)(x) == pytest.approx(2 * math.exp(2 * x), **EXACT)
    assert s2sad.grad(m1.f, target=target)(x) == pytest.approx(math.cos(x), **EXACT)


# Equal code objects (closures of one def, or the same source in two modules) must resolve
# names against their own globals and cells: no derivative of the wrong function.
def test_same_code_different_globals(tmp_path):
    (tmp_path / "k2.py").write_text("K = 2.0\n\n\ndef f(x):\n    return K * x\n")
    (tmp_path / "k3.py").write_text("K = 3.0\n\n\ndef f(x):\n    return K * x\n")
    f2, f3 = load_module(tmp_path / "k2.py").f, load_module(tmp_path / "k3.py").f
    assert s2sad.grad(f2, target="python")(1.0) == 2.0
    assert s2sad.grad(f3, target="python")(1.0) == 3.0


def test_closures_of_one_function(tmp_path):
    (tmp_path / "clos.py").write_text(
        "def make(k):\n    def f(x):\n        return k * x\n    return f\n")
    make = load_module(tmp_path / "clos.py").make
    assert s2sad.grad(make(2.0), target="python")(1.0) == 2.0
    assert s2sad.grad(make(3.0), target="python")(1.0) == 3.0


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_compiled_once_per_types(target):
    t = s2sad.grad(P.poly, target=target)
    t(0.5, 2.0)
    n = len(specs._compiled)
    assert t(0.7, -3.0) == pytest.approx(central_difference(P.poly, (0.7, -3.0), 0), **FD)
    s2sad.grad(P.poly, target=target)(0.1, 0.2)  # another transform object, same types
    assert len(specs._compiled) == n  # nothing compiled again
    req = pipeline.Request("grad", (0,), (F64, F64))
    assert api.compiled(P.poly, req, target) is api.compiled(P.poly, req, target)
    assert t(0.5, 2) == pytest.approx(t(0.5, 2.0), **EXACT)  # y an int: a new specialisation
    assert len(specs._compiled) == n + 1
    assert t(0.5, 2.0) == pytest.approx(t(0.5, 2), **EXACT)  # and back
    assert len(specs._compiled) == n + 1


# ---------------------------------------------------------------- generated source
@pytest.mark.parametrize("mode, name, expect", [
    ("grad", "wengert_grad", (5.5, 1.7163378145367738)),
    ("value_and_grad", "wengert_value_and_grad", (math.log(2) + 10 - math.sin(5),
                                                   (5.5, 1.7163378145367738))),
    ("reverse", "wengert_vjp", (math.log(2) + 10 - math.sin(5), 5.5, 1.7163378145367738)),
    ("forward", "wengert_jvp", (math.log(2) + 10 - math.sin(5), 5.5 + 1.7163378145367738)),
    ("primal", "wengert", math.log(2) + 10 - math.sin(5)),
])
def test_derivative_source_parses_and_runs(mode, name, expect):
    src = s2sad.derivative_source(P.wengert, mode=mode, argnums=(0, 1))
    assert src.startswith("# s2sad:")
    tree = ast.parse(src)
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef)] == [name]
    ns: dict = {}
    exec(compile(src, f"<{name}>", "exec"), ns)
    args = (2.0, 5.0, 1.0, 1.0) if mode == "forward" else (2.0, 5.0)
    got = ns[name](*args)
    if mode == "value_and_grad":  # (value, (g1, g2)), as s2sad.value_and_grad returns
        assert got[0] == pytest.approx(expect[0], rel=1e-15)
        got, expect = got[1], expect[1]
    assert got == pytest.approx(expect, rel=1e-15)


def test_derivative_source_aliases_and_types():
    assert s2sad.derivative_source(P.wengert, mode="rev") == \
        s2sad.derivative_source(P.wengert, mode="reverse")
    src = s2sad.derivative_source(P.power_sum, mode="grad", args=(0.5, 3, 2.0))
    assert "def power_sum_grad(x, n, y):" in src
    with pytest.raises(s2sad.BadArguments, match="unknown mode"):
        s2sad.derivative_source(P.wengert, mode="sideways")


def _generated(transform, types):
    """The generated Python function of a transform for these argument types."""
    fn, req = transform.transform._s2sad_request(types)
    return specs.compiled(fn, req, "python").py_func


SECOND = [(P.wengert, (2.0, 5.0)), (P.g_of_f, (0.5, 0.75)), (P.reassigned, (0.7, 2.0)),
          (P.augmented, (0.7, 2.0)), (P.unpacking, (0.7, 2.0)), (loops.branchy, (2.0, 1.0)),
          (loops.branchy, (0.5, 1.0))]


@pytest.mark.parametrize("fn, args", SECOND, ids=lambda v: getattr(v, "__name__", ""))
def test_generated_gradient_differentiates_again(fn, args):
    types = (F64,) * len(args)
    for i in range(len(args)):
        gen = _generated(s2sad.grad(fn, argnums=i), types)
        assert gen.__name__ == f"{fn.__name__}_grad"
        h = s2sad.grad(gen, argnums=(0, 1), target="python")(*args)
        for j in range(len(args)):
            assert h[j] == pytest.approx(central_difference(gen, args, j), rel=1e-6, abs=1e-7)
        check_grads(gen, args)


def test_second_derivatives_on_cpu():
    gen = _generated(s2sad.grad(P.wengert, argnums=0), (F64, F64))
    h = s2sad.grad(gen, argnums=(0, 1), target="cpu")(2.0, 5.0)
    assert h == pytest.approx((-0.25, 1.0), **EXACT)


def test_hessian_and_grad_of_grad():
    H = s2sad.hessian(P.wengert, argnums=(0, 1), target="python")(2.0, 5.0)
    np.testing.assert_allclose(np.array(H), [[-0.25, 1.0], [1.0, math.sin(5.0)]], rtol=1e-14)
    assert s2sad.hessian(P.wengert, target="python")(2.0, 5.0) == pytest.approx(-0.25)
    gg = s2sad.grad(s2sad.grad(P.u, target="python"), target="python")
    t = 0.7
    assert gg(t) == pytest.approx(2 * math.cos(t) - t * math.sin(t), **EXACT)
    _, tan = s2sad.jvp(s2sad.grad(P.u, target="python"), (t,), (1.0,), target="python")
    assert tan == pytest.approx(gg(t), **EXACT)


# The adjoint of a loop keeps its stacks through `_rt.push/_rt.reserve`; that generated code
# is itself in the accepted subset, so it differentiates again (forward over reverse).
def test_generated_loop_gradient_differentiates_again():
    a = np.array([0.5, -1.0, 2.0])
    gen = _generated(s2sad.grad(P.weighted_squares, argnums=1), (ArrayT(F64, 1), F64))
    h = s2sad.grad(gen, argnums=1, target="python")(a, 1.5)
    assert h == 0.0
    # Newton's square root: d2/da2 sqrt(a) = -a^(-3/2) / 4
    assert s2sad.hessian(loops.newton_sqrt, target="python")(2.0) == \
        pytest.approx(-0.25 * 2.0**-1.5, rel=1e-10)


def test_transform_inside_a_function_is_never_silently_wrong():
    """pinn_loss(t) = (du/dt)^2 calls a grad transform: either right or refused."""
    t = 0.7
    d = math.cos(t) * t + math.sin(t)
    exact = 2 * d * (2 * math.cos(t) - t * math.sin(t))
    assert P.pinn_loss(t) == pytest.approx(d * d)
    try:
        got = s2sad.grad(P.pinn_loss, target="python")(t)
    except s2sad.S2SADError:
        return
    assert got == pytest.approx(exact, **EXACT)


def test_transform_inside_a_function():
    t = 0.7
    d = math.cos(t) * t + math.sin(t)
    exact = 2 * d * (2 * math.cos(t) - t * math.sin(t))
    assert s2sad.grad(P.pinn_loss, target="python")(t) == pytest.approx(exact, **EXACT)


def test_one_line_def():
    assert s2sad.grad(P.one_liner, target="python")(3.0) == 6.0


# ---------------------------------------------------------------- s2sad.testing
def test_check_grads_accepts_correct_derivatives():
    check_grads(P.poly, (0.7, -1.3))
    check_grads(P.poly, (0.7, -1.3), argnums=1, modes=("rev",))
    check_grads(P.vector_out, (0.7, 2.0), modes=("fwd",))
    check_grads(P.weighted_squares, (np.array([0.5, -1.0, 2.0]), 1.5))
    check_grads(P.mixed_outputs, (np.array([0.5, -1.0]), 0.3, 4))
    check_grads(loops.final_energy, (np.zeros(loops.N), 1.0, 1.0, 0.05), modes=("rev",),
                rtol=1e-5)


def test_check_grads_on_cpu():
    check_grads(P.poly, (0.7, -1.3), target="cpu")


def test_check_grads_detects_a_wrong_rule(monkeypatch):
    wrong = Rule("cbrt", "partials", partials=lambda x, ans: 2.0 / (3.0 * ans * ans))
    monkeypatch.setitem(RULES, "cbrt", wrong)
    with pytest.raises(AssertionError, match=r"forward mode \(jvp\) disagrees"):
        check_grads(P.cbrt_for_broken_rule, (0.7,))
    with pytest.raises(AssertionError, match=r"reverse mode \(vjp\) disagrees with central"):
        check_grads(P.cbrt_for_broken_rule, (0.7,), modes=("rev",))


def test_check_grads_detects_reverse_disagreeing_with_forward(monkeypatch):
    real = testing.vjp

    def skewed(f, *args, **kw):
        out, f_vjp = real(f, *args, **kw)
        return out, lambda ct: tuple(None if g is None else g * (1 + 1e-9) for g in f_vjp(ct))

    monkeypatch.setattr(testing, "vjp", skewed)
    check_grads(P.poly, (0.7, -1.3), modes=("fwd",))
    with pytest.raises(AssertionError, match="dot-product test"):
        check_grads(P.poly, (0.7, -1.3))


def test_check_grads_refuses_int_argnums():
    with pytest.raises(s2sad.BadArguments, match="argument 1"):
        check_grads(P.power_sum, (0.5, 4, 2.0), argnums=1)
    with pytest.raises(ValueError, match="unknown mode"):
        check_grads(P.poly, (0.5, 1.0), modes=("sideways",))


def test_central_difference_shapes():
    assert central_difference(P.poly, (0.7, -1.3), 0) == pytest.approx(
        s2sad.grad(P.poly, target="python")(0.7, -1.3), **FD)
    a = np.array([0.5, -1.0, 2.0])
    d = central_difference(P.weighted_squares, (a, 1.5), 0)
    assert d.shape == (3,)
    np.testing.assert_allclose(d, 3.0 * a, rtol=1e-8)
    assert central_difference(P.vector_out, (0.7, 2.0), 1).shape == (4,)
    with pytest.raises(s2sad.BadArguments):
        central_difference(P.power_sum, (0.5, 4, 2.0), 1)


def test_rule_less_library_call_off_the_differentiated_path():
    # math.lgamma has no rule: fine on a value that is not differentiated, refused on one
    # that is (NoRuleError at the call, not a silent zero)
    from tests.programs import api_programs as P

    for target in ("python", "cpu"):
        v, g = s2sad.value_and_grad(P.lgamma_constant, target=target)(1.5, 3)
        assert v == pytest.approx(2.25 - math.lgamma(1.5)) and g == pytest.approx(3.0)
    with pytest.raises(s2sad.NoRuleError) as info:
        s2sad.grad(P.lgamma_active, target="python")(1.5)
    assert "math.lgamma" in str(info.value) and info.value.loc.line > 0


square = lambda x: x * x  # noqa: E731


def test_lambda():
    assert s2sad.grad(square, target="python")(3.0) == 6.0
    assert s2sad.grad(lambda x: np.sum(x * x), target="python")(np.ones(2)).tolist() == [2.0, 2.0]
