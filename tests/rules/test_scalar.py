"""The scalar rule table (s2sad/rules/scalar.py), tested as a table.

Every scalar entry of `s2sad.rules.RULES` is checked twice: on its own (an IR program applying
just that primitive, so no frontend is involved) and through every spelling users write for
it (`tests/programs/scalar_ops.py`). Arguments are sampled from the entry's `domain`, away
from kinks when the entry says `smooth=False`. The checks: reverse mode against central
differences, forward mode against central differences, forward against reverse to 1e-12,
and second derivatives (grad of grad) against differences of the first.

A new scalar rule without a test entry fails here; a new primitive without a rule or a
declaration fails tests/rules/test_registry.py.
"""

import ast
import inspect
import math

import numpy as np
import pytest

import s2sad
import s2sad.rules.scalar
from s2sad import api, pipeline
from s2sad.ir.builder import Builder
from s2sad.ir.nodes import Function, Op, Var, walk
from s2sad.ir.primitives import PRIMS
from s2sad.ir.types import BOOL, F64
from s2sad.rules import RULES
from s2sad.testing import central_difference, check_grads
from tests.programs import scalar_ops as ops

FD = dict(rel=1e-6, abs=1e-8)  # derivative vs central differences (step 1e-6)
EXACT = dict(rel=1e-12, abs=1e-15)  # forward vs reverse: the same numbers up to rounding

# Every differentiable rule: the spellings that must reach it. A function may be given
# with its own domain where the rule's would leave the function's.
SPELLINGS = {
    "add": [ops.op_add],
    "sub": [ops.op_sub],
    "mul": [ops.op_mul],
    "div": [ops.op_div],
    "pow": [ops.op_pow, ops.op_pow_builtin, ops.op_np_power],
    "fpow": [ops.op_fpow],
    "mod": [ops.op_mod],
    "neg": [ops.op_neg, ops.op_np_negative],
    "pos": [],  # `+x` lowers to x itself (see IDENTITY): the rule is tested on IR only
    "float": [ops.op_float64],
    "exp": [ops.op_exp, ops.op_np_exp],
    "exp2": [ops.op_exp2],
    "expm1": [ops.op_expm1, ops.op_np_expm1],
    "log": [ops.op_log, ops.op_np_log, (ops.op_log_base, (1.5, 3.0))],
    "log2": [ops.op_log2, ops.op_np_log2],
    "log10": [ops.op_log10, ops.op_np_log10],
    "log1p": [ops.op_log1p, ops.op_np_log1p],
    "sqrt": [ops.op_sqrt, ops.op_np_sqrt],
    "cbrt": [ops.op_cbrt],
    "sin": [ops.op_sin, ops.op_np_sin, ops.op_numpy_sin, ops.op_sin_as_s, ops.op_sine_alias],
    "cos": [ops.op_cos, ops.op_np_cos],
    "tan": [ops.op_tan, ops.op_np_tan],
    "asin": [ops.op_asin, ops.op_np_arcsin],
    "acos": [ops.op_acos, ops.op_np_arccos],
    "atan": [ops.op_atan, ops.op_np_arctan],
    "atan2": [ops.op_atan2, ops.op_np_arctan2, ops.op_arctan2_imported, ops.op_atan2_as],
    "sinh": [ops.op_sinh, ops.op_np_sinh],
    "cosh": [ops.op_cosh, ops.op_np_cosh],
    "tanh": [ops.op_tanh, ops.op_np_tanh],
    "asinh": [ops.op_asinh, ops.op_np_arcsinh],
    "acosh": [ops.op_acosh, ops.op_np_arccosh],
    "atanh": [ops.op_atanh, ops.op_np_arctanh],
    "hypot": [ops.op_hypot, ops.op_np_hypot],
    "logaddexp": [ops.op_np_logaddexp],
    "erf": [ops.op_erf],
    "erfc": [ops.op_erfc],
    "copysign": [ops.op_copysign, ops.op_np_copysign],
    "abs": [ops.op_abs, ops.op_np_abs, ops.op_np_absolute],
    "fabs": [ops.op_fabs, ops.op_np_fabs],
    "max": [ops.op_max, ops.op_np_maximum, ops.op_np_fmax, ops.op_max3],
    "min": [ops.op_min, ops.op_np_minimum, ops.op_np_fmin, ops.op_min3],
    "select": [],  # only rules emit select (`x if c else y` lowers to an If region)
}
IR_ONLY = {"pos", "select"}

# Spellings that lower to their argument itself, not to an op.
IDENTITY = {ops.op_pos: "pos", ops.op_float: "float"}

# Piecewise-constant primitives: f(x, y) = op(x) * y, so d/dx = 0 and d/dy = op(x).
# (smooth point, jump point) for each; the derivative is 0 at the jump as well.
NONDIFF = {
    "floor": [(ops.nd_floor, 1.3, 1.0)],
    "ceil": [(ops.nd_ceil, 1.3, 2.0)],
    "trunc": [(ops.nd_trunc, -1.3, -1.0), (ops.nd_fix, -1.3, -1.0)],
    "round": [(ops.nd_rint, 1.3, 1.5), (ops.nd_round, 1.3, 1.5)],
    "round_to": [(ops.nd_round_to, 1.34, 1.25), (ops.nd_np_round_to, 1.34, 1.25)],
    "sign": [(ops.nd_sign, -1.3, 0.0)],
    "floordiv": [(ops.nd_floordiv, 1.3, 1.0)],
    "stop_gradient": [(ops.nd_stop_gradient, 1.3, 0.0)],
    "ifloor": [(ops.nd_ifloor, 1.3, 1.0)],
    "iceil": [(ops.nd_iceil, 1.3, 2.0)],
    "itrunc": [(ops.nd_itrunc, -1.3, -1.0)],
    "iround": [(ops.nd_iround, 1.3, 1.5)],
    "int": [(ops.nd_int, 1.3, 1.0)],
    "len": [(ops.nd_len, np.array([0.3, -0.2, 0.9]), None)],
    "lt": [(ops.nd_lt, 1.3, 0.5)],
    "le": [(ops.nd_le, 1.3, 0.5)],
    "gt": [(ops.nd_gt, 1.3, 0.5)],
    "ge": [(ops.nd_ge, 1.3, 0.5)],
    "eq": [(ops.nd_eq, 1.3, 0.5)],
    "ne": [(ops.nd_ne, 1.3, 0.5)],
    "not": [(ops.nd_not, 1.3, 0.5)],
    "and": [(ops.nd_and, 1.3, 0.5)],
    "or": [(ops.nd_or, 1.3, 0.5)],
}

def _registered_in(module) -> set[str]:
    """The primitives a rules module registers (read from its source: partials("sin", ...))."""
    found = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("partials", "linear", "rule", "nondiff"):
            found |= {a.value for a in node.args
                      if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return found


SCALAR_RULES = _registered_in(s2sad.rules.scalar)  # this file tests the scalar family

# A representative subset compiled with Numba too (each compile costs).
CPU_SUBSET = [ops.op_sin, ops.op_sin_as_s, ops.op_np_arctan2, ops.op_pow, ops.op_np_log,
              ops.op_tanh, ops.op_hypot, ops.op_mod, ops.op_max, ops.op_abs,
              ops.op_np_logaddexp]


def _entries():
    for prim, fns in SPELLINGS.items():
        for entry in fns:
            f, domain = entry if isinstance(entry, tuple) else (entry, None)
            yield pytest.param(prim, f, domain, id=f"{prim}-{f.__name__}")


def _nargs(f) -> int:
    return len(inspect.signature(f).parameters)


def _smooth_at(f, args) -> bool:
    """Left and right difference quotients agree in every argument (no kink nearby)."""
    h = 1e-4
    for i in range(len(args)):
        lo, mid, hi = list(args), list(args), list(args)
        lo[i] -= h
        hi[i] += h
        left = (f(*mid) - f(*lo)) / h
        right = (f(*hi) - f(*mid)) / h
        if not abs(left - right) <= 1e-6 * (1.0 + abs(left)):
            return False
    return True


def sample(prim, f, domain=None, n=3, seed=0) -> list[tuple]:
    """n argument tuples inside the rule's domain (away from kinks for non-smooth rules)."""
    rule = RULES[prim]
    lo, hi = domain or rule.domain
    rng = np.random.default_rng(seed + sum(map(ord, f.__name__)))
    points = []
    while len(points) < n:
        args = tuple(float(v) for v in rng.uniform(lo, hi, _nargs(f)))
        if rule.smooth or _smooth_at(f, args):
            points.append(args)
    return points


_grads: dict = {}


def grad_all(f, target="python"):
    """grad of f w.r.t. every argument, built once per (f, target) and shared by tests."""
    key = (f, target)
    if key not in _grads:
        _grads[key] = s2sad.grad(f, argnums=tuple(range(_nargs(f))), target=target)
    return _grads[key]


def basis(n, i):
    return tuple(1.0 if k == i else 0.0 for k in range(n))


# ---------------------------------------------------------------- registry
def test_every_scalar_rule_has_a_test_entry():
    assert {"sin", "atan2", "max", "floor", "lt"} <= SCALAR_RULES <= RULES.names()
    differentiable = {p for p in SCALAR_RULES if RULES[p].kind != "nondiff"}
    nondiff = {p for p in SCALAR_RULES if RULES[p].kind == "nondiff"}
    assert differentiable - set(SPELLINGS) == set(), "add the new rule to SPELLINGS"
    assert nondiff - set(NONDIFF) == set(), "add the new nondiff primitive to NONDIFF"
    assert set(SPELLINGS) - differentiable == set(), "SPELLINGS names a rule that is gone"
    assert set(NONDIFF) - nondiff == set(), "NONDIFF names a primitive that is not nondiff"
    untested = {p for p, fns in SPELLINGS.items() if not fns} - IR_ONLY
    assert not untested, f"rules with no spelling from Python source: {untested}"


def test_rule_entries_are_well_formed():
    for prim, rule in RULES.items():
        assert rule.prim is prim
        assert rule.kind in ("partials", "linear", "rule", "nondiff")
        lo, hi = rule.domain
        assert lo < hi, prim
        if rule.kind == "partials":
            assert callable(rule.partials), prim


@pytest.mark.parametrize("prim, f, domain", list(_entries()))
def test_spelling_reaches_primitive(prim, f, domain):
    """`np.arctan2`, `from math import atan2 as arc_tangent2`, ... all lower to the op."""
    ir = pipeline.primal_ir(f, (F64,) * _nargs(f))
    prims = {s.prim for s in walk(ir.body) if isinstance(s, Op)}
    assert prim in prims, f"{f.__name__} lowers to {sorted(prims)}, not {prim}"


@pytest.mark.parametrize("f, prim", list(IDENTITY.items()))
def test_identity_spellings(f, prim):
    # +x and float(x) of a float are x itself: nothing to differentiate but the identity.
    ir = pipeline.primal_ir(f, (F64,))
    assert not [s for s in walk(ir.body) if isinstance(s, Op)]
    assert s2sad.grad(f, target="python")(0.3) == 1.0
    assert s2sad.jvp(f, (0.3,), (2.0,), target="python") == (0.3, 2.0)


# ---------------------------------------------------------------- each rule on its own IR
class _IRProgram:
    """Stands in for a Python function whose IR is `ans = prim(a0, a1, ...)`, placed in
    the primal cache directly, so the rule is tested without the frontend."""

    def __init__(self, prim: str, types: tuple):
        params = [Var(f"a{i}", t) for i, t in enumerate(types)]
        b = Builder()
        b.block.yields = [b.op(prim, *params)]
        pipeline.use_primal(self, types, Function(f"ir_{prim}", params, b.block))
        self.types = types
        self.__name__ = f"ir_{prim}"
        self.primal = api.compiled(self, pipeline.Request("primal", (), types), "python").call

    def __call__(self, *args):
        return self.primal(*args)


def _ir_cases():
    for prim in sorted(SCALAR_RULES):
        if RULES[prim].kind != "nondiff" and prim != "select":
            yield pytest.param(prim, id=prim)


@pytest.mark.parametrize("prim", list(_ir_cases()))
def test_rule_on_ir(prim):
    arity = PRIMS[prim].arity
    prog = _IRProgram(prim, (F64,) * arity)
    rule = RULES[prim]
    lo, hi = rule.domain
    rng = np.random.default_rng(sum(map(ord, prim)))
    points = 0
    while points < 3:
        args = tuple(float(v) for v in rng.uniform(lo, hi, arity))
        if not rule.smooth and not _smooth_at(prog, args):
            continue
        points += 1
        check_grads(prog, args, rtol=1e-6, atol=1e-8)
        _, f_vjp = s2sad.vjp(prog, *args, target="python")
        cts = f_vjp(1.0)
        for i in range(arity):
            _, t = s2sad.jvp(prog, args, basis(arity, i), target="python")
            assert t == pytest.approx(central_difference(prog, args, i), **FD), (prim, args, i)
            assert cts[i] == pytest.approx(t, **EXACT), (prim, args, i)


@pytest.mark.parametrize("cond", [True, False])
def test_select_rule_on_ir(cond):
    prog = _IRProgram("select", (BOOL, F64, F64))
    out, t = s2sad.jvp(prog, (cond, 1.5, -2.5), (0, 3.0, 5.0), target="python")
    assert out == (1.5 if cond else -2.5)
    assert t == (3.0 if cond else 5.0)
    _, f_vjp = s2sad.vjp(prog, cond, 1.5, -2.5, target="python")
    ct_cond, *cts = f_vjp(7.0)  # the cotangent of a bool: JAX's float0 zeros
    assert ct_cond.dtype == s2sad.float0
    assert tuple(cts) == ((7.0, 0.0) if cond else (0.0, 7.0))


# ---------------------------------------------------------------- each spelling, end to end
@pytest.mark.parametrize("prim, f, domain", list(_entries()))
def test_spelling_derivatives(prim, f, domain):
    n = _nargs(f)
    g = grad_all(f)
    for args in sample(prim, f, domain):
        rev = g(*args)
        for i in range(n):
            fd = central_difference(f, args, i)
            assert rev[i] == pytest.approx(fd, **FD), ("reverse", args, i)
            out, fwd = s2sad.jvp(f, args, basis(n, i), target="python")
            assert out == pytest.approx(f(*args), rel=1e-15)
            assert fwd == pytest.approx(fd, **FD), ("forward", args, i)
            assert fwd == pytest.approx(rev[i], **EXACT), ("forward vs reverse", args, i)
        check_grads(f, args)


@pytest.mark.parametrize("prim, f, domain", list(_entries()))
def test_spelling_second_derivatives(prim, f, domain):
    """grad of grad (the generated gradient differentiated again) against differences."""
    n = _nargs(f)
    args = sample(prim, f, domain, n=1, seed=1)[0]
    for i in range(n):
        gi = s2sad.grad(f, argnums=i, target="python")
        gi_py = lambda *a, gi=gi: float(gi(*a))  # noqa: E731
        for j in range(n):
            got = s2sad.grad(gi, argnums=j, target="python")(*args)
            assert got == pytest.approx(central_difference(gi_py, args, j), rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("f", CPU_SUBSET, ids=lambda f: f.__name__)
def test_cpu_subset(f):
    prim = next(p for p, fns in SPELLINGS.items() if f in fns)
    n = _nargs(f)
    g_cpu, g_py = grad_all(f, "cpu"), grad_all(f)
    for args in sample(prim, f, n=2):
        rev = g_cpu(*args)
        assert rev == pytest.approx(g_py(*args), **EXACT)
        for i in range(n):
            assert rev[i] == pytest.approx(central_difference(f, args, i), **FD)
            _, fwd = s2sad.jvp(f, args, basis(n, i), target="cpu")
            assert fwd == pytest.approx(rev[i], **EXACT)


# ---------------------------------------------------------------- zero derivatives, cuts
def _nondiff_cases():
    for prim, cases in NONDIFF.items():
        for c in cases:
            yield pytest.param(c, id=f"{prim}-{c[0].__name__}")


@pytest.mark.parametrize("case", list(_nondiff_cases()))
def test_nondiff(case):
    f, x, jump = case
    y = 0.7
    for at in (x, jump):
        if at is None:
            continue
        dx, dy = s2sad.grad(f, argnums=(0, 1), target="python")(at, y)
        assert np.all(np.asarray(dx) == 0.0)
        assert dy == pytest.approx(f(at, 1.0), rel=1e-15)
        _, t = s2sad.jvp(f, (at, y), (np.ones_like(at) if isinstance(at, np.ndarray) else 1.0,
                                      0.0), target="python")
        assert t == 0.0
    if f is not ops.nd_stop_gradient:  # stop_gradient cuts a derivative that is not zero
        assert np.all(central_difference(f, (x, y), 0) == 0.0)


def test_piecewise_constant_output():
    assert s2sad.grad(ops.nd_floor, target="python")(1.3, 1.0) == 0.0
    with pytest.raises(s2sad.NonDifferentiableOutput):
        s2sad.grad(ops.nd_ifloor, target="python")(1.3, 1)  # int(...) * int: an int


# ---------------------------------------------------------------- kink conventions (JAX)
@pytest.mark.parametrize("target", ["python", "cpu"])
def test_abs_at_zero_is_plus_one(target):
    for f in (ops.op_abs, ops.op_np_abs, ops.op_np_absolute, ops.op_fabs, ops.op_np_fabs):
        if target == "cpu" and f is not ops.op_abs:
            continue
        assert s2sad.grad(f, target=target)(0.0) == 1.0
        assert s2sad.grad(f, target=target)(-0.0) == 1.0
        assert s2sad.jvp(f, (0.0,), (1.0,), target=target)[1] == 1.0
    assert s2sad.grad(ops.abs_times, argnums=(0, 1), target=target)(0.0, 3.0) == (3.0, 0.0)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_max_min_ties_split_evenly(target):
    fs = (ops.op_max, ops.op_min) if target == "cpu" else \
        (ops.op_max, ops.op_min, ops.op_np_maximum, ops.op_np_minimum, ops.op_np_fmax,
         ops.op_np_fmin)
    for f in fs:
        assert s2sad.grad(f, argnums=(0, 1), target=target)(1.25, 1.25) == (0.5, 0.5)
        assert s2sad.jvp(f, (1.25, 1.25), (1.0, 0.0), target=target)[1] == 0.5
    # max(x, y, z) is max(max(x, y), z): a three-way tie splits 1/4, 1/4, 1/2
    assert s2sad.grad(ops.op_max3, argnums=(0, 1, 2), target="python")(1.0, 1.0, 1.0) == \
        (0.25, 0.25, 0.5)


def test_piecewise_constant_functions_have_zero_derivative_at_jumps():
    g = lambda f, x: s2sad.grad(f, target="python")(x)  # noqa: E731
    assert g(ops.floor_plus, 1.0) == 1.0  # d/dx (floor(x) + x) at the jump: 0 + 1
    assert g(ops.floor_plus, 1.5) == 1.0
    assert g(ops.round_builtin, 0.5) == 0.0
    assert s2sad.grad(ops.nd_sign, argnums=(0, 1), target="python")(0.0, 2.0) == (0.0, 0.0)
    for f in (ops.nd_floor, ops.nd_ceil, ops.nd_rint, ops.nd_trunc, ops.nd_sign):
        assert s2sad.grad(f, target="python")(2.0, 3.0) == 0.0


def test_int_cuts_and_float_passes():
    # int(x) * x: the int factor is a constant to the derivative, so d/dx = int(x)
    assert s2sad.grad(ops.int_cut, target="python")(2.5) == 2.0
    assert s2sad.grad(ops.float_passes, target="python")(2.5) == 5.0
    assert s2sad.grad(ops.float_of_int, argnums=1, target="python")(3, 2.5) == 3.0
    assert s2sad.grad(ops.op_float64, target="python")(2.5) == 1.0


def test_other_conventions():
    g = lambda f, *a: s2sad.grad(f, argnums=tuple(range(len(a))), target="python")(*a)  # noqa: E731
    assert g(ops.op_pow, 0.0, 2.0) == (0.0, 0.0)  # d/dy x**y at x = 0: 0 (log 0 not taken)
    assert g(ops.op_pow, 2.0, 0.0) == (0.0, pytest.approx(math.log(2.0)))
    assert g(ops.op_copysign, -2.0, -1.0) == (1.0, 0.0)  # the sign argument: no derivative
    assert g(ops.op_mod, 2.5, 1.0) == (1.0, -2.0)  # d/dy (x % y) = -floor(x / y)
