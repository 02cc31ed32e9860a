"""Unit tests of the IR toolkit: the printer, the namer, the verifier, folding and
rewriting, on IR built by hand."""

import pytest

from s2sad.ir.builder import Builder, const
from s2sad.ir.fold import fold_constants, fold_op, negated
from s2sad.ir.names import Namer
from s2sad.ir.nodes import Block, For, Function, Var
from s2sad.ir.printer import print_function
from s2sad.ir.rewrite import free_vars, substitute
from s2sad.ir.types import F64, I64
from s2sad.ir.verify import IRError, verify


def wengert():
    x1, x2 = Var("x1", F64), Var("x2", F64)
    b = Builder()
    v1 = b.op("log", x1)
    v2 = b.op("mul", x1, x2)
    v3 = b.op("add", v1, v2)
    v4 = b.op("sin", x2)
    b.block.yields = [b.op("sub", v3, v4)]
    return Function("f", [x1, x2], b.block)


def loop(n_name="n"):
    """s = 0; for i in range(n): s = s + x * i"""
    x, n = Var("x", F64), Var(n_name, I64)
    i, s = Var("i", I64), Var("s", F64)
    body = Builder(Block())
    t = body.op("mul", x, body.op("float", i))
    body.block.yields = [body.op("add", s, t, name="s")]
    out = Var("s", F64)
    b = Builder()
    b.append(For(i, const(0), n, const(1), [s], [const(0.0)], body.block, [out]))
    b.block.yields = [out]
    return Function("g", [x, n], b.block)


def test_printer_writes_the_wengert_list():
    assert print_function(wengert()) == "\n".join([
        "def f(x1: f64, x2: f64) -> f64:",
        "    v1 = log(x1)",
        "    v2 = x1 * x2",
        "    v3 = v1 + v2",
        "    v4 = sin(x2)",
        "    v5 = v3 - v4",
        "    return v5"])
    assert "v1: f64 = log(x1)" in print_function(wengert(), types=True)
    assert print_function(wengert()) == print_function(wengert())  # no ids, no state


def test_printer_writes_regions():
    text = print_function(loop())
    assert "s_1 = for i in range(0, n, 1) carry (s = 0.0):" in text
    assert "        yield s_2" in text


def test_namer_keeps_user_names_and_numbers_the_rest():
    fn = loop()
    names = Namer(fn)
    assert [names[p] for p in fn.params] == ["x", "n"]
    r = fn.body.yields[0]
    assert names[r] == "s_1"  # the user's name, again: numbered
    bar = Var("", F64, base=fn.params[0], suffix="_bar")
    assert Namer(fn, [bar])[bar] == "x_bar"
    taken = Var("v1", F64)  # a user's v1: temporaries skip it
    b = Builder()
    tmp = b.op("sin", taken)
    b.block.yields = [tmp]
    assert Namer(Function("h", [taken], b.block))[tmp] == "v2"


def test_verifier_finds_reads_out_of_scope_and_double_definitions():
    verify(wengert())
    verify(loop())
    fn = loop()
    inner = fn.body.stmts[0].body.yields[0]
    fn.body.yields = [inner]  # a loop body's value read after the loop
    with pytest.raises(IRError, match="out of scope"):
        verify(fn)
    fn = wengert()
    fn.body.stmts.append(fn.body.stmts[0])  # defined twice
    with pytest.raises(IRError, match="defined twice"):
        verify(fn)


def test_fold_op_identities_and_constants():
    x = Var("x", F64)
    assert fold_op("mul", [x, const(1.0)]) is x
    assert fold_op("add", [const(0.0), x]) is x
    assert fold_op("mul", [x, const(0.0)]).value == 0.0
    assert fold_op("add", [const(1.5), const(2.0)]).value == 3.5
    assert fold_op("sin", [x]) is None
    assert fold_constants("floordiv", [const(7), const(2)]).value == 3
    assert fold_constants("lt", [const(1.0), const(2.0)]).value is True
    assert fold_constants("add", [x, const(1)]) is None


def test_double_negation_folds_through_the_defining_op():
    x, y = Var("x", F64), Var("y", F64)
    b = Builder()
    n = b.op("neg", x)
    assert negated(n) is x and fold_op("neg", [n]) is x
    substitute(b.block, {x: y})  # a pass renames x: -n is y now, never the stale x
    assert negated(n) is y
    assert negated(x) is None


def test_free_vars_and_substitute():
    fn = loop()
    body = fn.body.stmts[0].body
    # the loop index and carried value are the loop's, not the body's own
    assert [v.name for v in free_vars(body)] == ["i", "x", "s"]
    z = Var("z", F64)
    substitute(fn.body, {fn.params[0]: z})
    assert z in free_vars(body) and fn.params[0] not in free_vars(body)
