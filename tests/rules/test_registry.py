"""The op table against the rule table: no primitive is silently constant.

Every primitive of s2sad.ir.primitives.PRIMS either has a derivative entry in
s2sad.rules.RULES (partials, linear, rule), or is declared not differentiated with a
reason (`nondiff(..., why=...)`), or is declared to have no entry on purpose (`no_rule`:
handled by the transforms themselves, or refused with NoRuleError). The reasons are
claims, and the claims are checked: a piecewise-constant primitive really is locally
constant, a discrete one really has an integer result, one that takes sizes refuses a
float. A primitive with no entry raises NoRuleError where it is differentiated (never a
zero derivative).
"""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest

import s2sad
from s2sad import pipeline, rules, runtime
from s2sad.codegen import python as codegen
from s2sad.codegen import spellings
from s2sad.errors import NoRuleError
from s2sad.ir.primitives import CALLABLES, COSTS, FILLS, PRIMS, Prim, result_type
from s2sad.ir.types import BOOL, F64, I64, ArrayT, elem
from s2sad.rules import NO_RULE, RULES
from tests.transforms.generated import load

DIFFERENTIABLE = ("partials", "linear", "rule")


def test_every_primitive_is_declared():
    undeclared = sorted(p for p in PRIMS if p not in RULES and p not in NO_RULE)
    assert not undeclared, (f"primitives with no rule and no declaration: {undeclared}; give "
                            "each a rule in s2sad/rules, or nondiff(..., why=...) / no_rule")
    both = sorted(RULES.names() & NO_RULE.names())
    assert not both, f"declared both with a rule and without: {both}"


def test_every_entry_is_a_primitive_of_the_table():
    # rules are keyed by the op table's entries: a name that is no primitive is refused
    for prim, r in RULES.items():
        assert isinstance(prim, Prim) and PRIMS.get(prim.name) is prim, prim
        assert r.prim is prim and r.kind in DIFFERENTIABLE + ("nondiff",), prim
    assert all(PRIMS.get(p.name) is p for p in NO_RULE)
    with pytest.raises(KeyError, match="not a primitive"):
        rules.partials("logaddexp2", lambda x, y, ans: (1.0, 1.0))
    with pytest.raises(KeyError, match="not a primitive"):
        RULES.get("dot")


def test_every_spelling_reaches_a_primitive():
    from s2sad.ir.primitives import LOWERED

    # a Python function mapped to a name with no primitive would fail inside the transforms
    bad = sorted({n for n in CALLABLES.values() if n not in PRIMS and n not in LOWERED})
    assert not bad, f"CALLABLES names that are neither primitives nor lowered: {bad}"
    assert not LOWERED & set(PRIMS)


def test_declarations_give_a_reason():
    for prim, r in RULES.items():
        if r.kind == "nondiff":
            assert r.why in rules.WHY, f"nondiff({prim.name!r}) needs why= one of rules.WHY"
        else:
            assert r.why is None, prim
    for prim, why in NO_RULE.items():
        assert why in rules.NO_RULE_WHY, prim
    assert [p.name for p, w in NO_RULE.items() if w == rules.REFUSED] == ["opaque"]


def _nondiff(why):
    return sorted(p.name for p, r in RULES.items() if r.kind == "nondiff" and r.why == why)


# ---------------------------------------------------------------- the claims, checked
def _arg_types(prim):
    n = PRIMS[prim].arity if PRIMS[prim].arity >= 0 else 1
    return [[F64] * n, [ArrayT(F64, 1)] * n, [ArrayT(F64, 2)] * n]


@pytest.mark.parametrize("prim", _nondiff(rules.DISCRETE))
def test_discrete_primitives_have_integer_results(prim):
    """Fed floats, the result is an integer or a boolean (scalar or array)."""
    for types in _arg_types(prim):
        try:
            t = result_type(prim, types, {"axis": None})
        except (TypeError, KeyError, AssertionError):
            continue
        assert elem(t) in (I64, BOOL), f"{prim}{tuple(types)} -> {t}"
        return
    pytest.fail(f"{prim}: no float argument types it accepts")


def _evaluator(prim):
    """The Python callable that computes prim: its registered object, its emitted spelling
    or its infix operator."""
    special = {"sign_det": lambda a: np.linalg.slogdet(a)[0],
               "eye_like": lambda a: np.eye(a.shape[0])}
    if prim in special:
        return special[prim]
    for obj, name in CALLABLES.items():
        if name == prim and callable(obj):
            return obj
    p = PRIMS[prim]
    infix = {"//": operator.floordiv}
    if p.infix in infix:
        return infix[p.infix]
    spelt = spellings.scalar(prim)
    if spelt:
        mod, _, attr = spelt.rpartition(".")
        return getattr({"math": math, "np": np, "_rt": runtime}[mod] if mod else
                       __import__("builtins"), attr)
    return None


# sample arguments where all-float scalars would not do
SAMPLES = {
    "sign_det": lambda rng: (rng.normal(size=(3, 3)),),
    "zeros_like": lambda rng: (rng.normal(size=4),),
    "ones_like": lambda rng: (rng.normal(size=(2, 3)),),
    "eye_like": lambda rng: (rng.normal(size=(3, 3)),),
}


def _floats_then_ints(f, rng, n):
    """n float arguments, or floats followed by small ints where f takes counts."""
    xs = [float(v) for v in rng.uniform(-2.0, 2.0, n)]
    for k in range(n, 0, -1):
        args = tuple(xs[:k]) + (2,) * (n - k)
        try:
            f(*args)
            return args
        except TypeError:
            continue
    raise TypeError(f"{f} takes neither floats nor floats and ints")


@pytest.mark.parametrize("prim", _nondiff(rules.PIECEWISE) + _nondiff(rules.SHAPE_ONLY))
def test_piecewise_constant_and_shape_only_values_do_not_move(prim):
    """At random points, nudging each float argument leaves the value unchanged."""
    if prim == "empty_like":  # its values are whatever memory held: nothing to compare
        return
    f = _evaluator(prim)
    assert f is not None, f"add an evaluator for {prim!r} to this test"
    rng = np.random.default_rng(7)
    n = PRIMS[prim].arity if PRIMS[prim].arity >= 0 else 1
    for _ in range(5):
        args = SAMPLES[prim](rng) if prim in SAMPLES else _floats_then_ints(f, rng, n)
        base = np.asarray(f(*args))
        for i, a in enumerate(args):
            if isinstance(a, int):  # round(x, ndigits): a count, not a value
                continue
            nudged = list(args)
            nudged[i] = a + 1e-7 * (1.0 + np.abs(a))
            np.testing.assert_array_equal(np.asarray(f(*nudged)), base,
                                          err_msg=f"{prim} moves with argument {i}")


@pytest.mark.parametrize("prim", _nondiff(rules.SIZES))
def test_size_primitives_refuse_floats(prim):
    f = _evaluator(prim)
    n = PRIMS[prim].arity if PRIMS[prim].arity >= 0 else 1
    f(*([3] * n))
    with pytest.raises(TypeError):
        f(*([2.5] * n))


def test_allocations_take_no_values():
    """The adjoint skips allocations of zeros, ones and empty arrays (their buffers are
    zeroed): such an allocation must not read float values that matter (np.full's fill
    value has a rule, a copy passes its cotangent on)."""
    for p in PRIMS.values():
        if p.fill in ("zeros", "ones", "empty"):
            assert p.sized or (p in RULES and RULES[p].why == rules.SHAPE_ONLY), p
    assert RULES["full"].kind == "linear"


# ---------------------------------------------------------------- the op table's facts
def test_facts_are_consistent():
    for p in PRIMS.values():
        assert p.cost in COSTS and (p.fill is None or p.fill in FILLS), p
        if p.writes is not None:
            assert p.effect, p
        if p.fill is not None or p.sized:
            assert p.fresh and p.fill is not None, p
        if p.fresh:
            assert not p.effect and not p.view, p
        if p.affine or p.extremum or p.typing == "bool":
            assert p.elementwise, p
        if p.recompute:
            assert not (p.effect or p.fresh or p.ordered), p
    # the facts the passes ask for, on examples everyone knows
    assert PRIMS["setitem"].writes == 0 and PRIMS["getitem"].access
    assert PRIMS["zeros"].sized and PRIMS["zeros_like"].shape_only
    assert PRIMS["exp"].cost == "costly" and PRIMS["add"].recompute
    assert PRIMS["transpose"].view and not PRIMS["matmul"].view and PRIMS["matmul"].is_sum


def test_every_primitive_has_a_spelling_or_an_emitter():
    """Codegen writes every primitive: a spelling derived from its Python callables or
    given in codegen/spellings.py, or an emitter of its own (codegen.EMITTERS). Adding a
    primitive without either fails here."""
    never = {"pop"}  # abstract: the records stage turns it into stack reads
    missing = sorted(p for p in PRIMS if p not in codegen.EMITTERS and p not in never and
                     not (spellings.scalar(p) or spellings.array(p)))
    assert not missing, f"primitives codegen cannot write: {missing}"
    for name, p in PRIMS.items():
        if p.elementwise and name not in codegen.EMITTERS and not name.startswith("user_"):
            assert spellings.scalar(name) and spellings.array(name), name
    assert spellings.scalar("atan2") == "math.atan2"
    assert spellings.array("atan2") == "np.arctan2"
    assert spellings.array("abs") == "np.absolute" and spellings.scalar("abs") == "abs"


# ---------------------------------------------------------------- no rule: NoRuleError
@pytest.mark.parametrize("prim, src, types", [
    ("sin", "def f(x):\n    return np.sin(x) * 2.0\n", (F64,)),
    ("cumsum", "def f(x):\n    return np.sum(np.cumsum(x) * x)\n", (ArrayT(F64, 1),)),
    ("linspace", "def f(x):\n    return np.sum(np.linspace(0.0, x, 5))\n", (F64,)),
])
@pytest.mark.parametrize("mode", ["grad", "forward"])
def test_a_primitive_without_a_rule_raises(monkeypatch, tmp_path, prim, src, types, mode):
    """Take a rule away: both modes refuse, neither returns a zero derivative."""
    f = load("import numpy as np\n\n\n" + src, tmp_path)
    monkeypatch.delitem(RULES, prim)
    with pytest.raises(NoRuleError, match=prim):
        pipeline.derive(f, pipeline.Request(mode, (0,), types))


# ---------------------------------------------------------------- array constructors
def constructors(x):
    return np.sum(np.linspace(0.0, x, 11) ** 2) + np.sum(np.linspace(x, 2.0, 5))


def arange_float(x, s):
    return np.sum(np.arange(x, 3.0, s) ** 2)


@pytest.mark.parametrize("target", ["python", "numba"])
def test_gradient_through_array_constructors(target):
    # d/dx [sum_k (x k/10)^2 + sum_k (x + (2 - x) k/4)] = 7.7 x + 2.5 (was 0.0: linspace
    # was declared non-differentiable)
    x = 1.3
    g = s2sad.grad(constructors, target=target)(x)
    assert g == pytest.approx(7.7 * x + 2.5, rel=1e-13)
    _, t = s2sad.jvp(constructors, (x,), (1.0,), target=target)
    assert t == pytest.approx(7.7 * x + 2.5, rel=1e-13)
    # arange(x, 3, s) = x + k s, k = 0..n-1 (n from x, s: not differentiated)
    x, s = 0.4, 0.7
    k = np.arange(len(np.arange(x, 3.0, s)))
    want = (np.sum(2 * (x + k * s)), np.sum(2 * (x + k * s) * k))
    assert s2sad.grad(arange_float, argnums=(0, 1), target=target)(x, s) == \
        pytest.approx(want, rel=1e-13)


# ---------------------------------------------------------------- opaque calls
def opaque_identity(x):
    return np.sum(np.identity(3) * x)


def opaque_window(x):
    return np.sum(np.hanning(4)) * x


def opaque_number(x, m):
    return x * np.deg2rad(0.5 * m) + math.lgamma(m)  # no rules, not differentiated: called


@pytest.mark.parametrize("fn", [opaque_identity, opaque_window])
def test_opaque_calls_returning_arrays_are_refused(fn):
    """The opaque primitive (a rule-less library call) is typed as a float: np.identity(3)
    stood for a scalar, and grad gave the identity matrix for d/dx sum(I * x) = 3."""
    with pytest.raises(NoRuleError, match="returns an array"):
        s2sad.grad(fn, target="python")(1.5)


def test_opaque_calls_returning_numbers_are_called():
    g = s2sad.grad(opaque_number, target="python")(1.5, 3)
    assert g == pytest.approx(np.deg2rad(1.5), rel=1e-15)
