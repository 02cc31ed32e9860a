"""Unit tests of the clean-up passes on IR built by hand: simplify, CSE, DCE."""

from s2sad.ir.builder import Builder, const
from s2sad.ir.nodes import Function, Op, Var, walk
from s2sad.ir.types import F64, ArrayT
from s2sad.passes.dce import cse, dce
from s2sad.passes.simplify import simplify

VEC = ArrayT(F64, 1)


def prims(fn):
    return [s.prim for s in walk(fn.body) if isinstance(s, Op)]


def test_simplify_removes_identities_and_folds_negations():
    x, y = Var("x", F64), Var("y", F64)
    b = Builder()
    one = b.op("mul", x, const(1.0), type=F64)  # built directly: simplify folds it
    n = b.op("neg", y)
    nn = b.op("neg", n)
    b.block.yields = [b.op("add", one, nn)]
    fn = simplify(Function("f", [x, y], b.block))
    assert prims(fn) == ["neg", "add"] and fn.body.stmts[-1].args == [x, y]
    assert prims(dce(fn)) == ["add"]


def test_simplify_keeps_copies_of_written_arrays():
    x = Var("x", VEC)
    b = Builder()
    u = b.op("mul", x, const(1.0))  # u = x * 1.0 is a new array ...
    b.effect("setitem", u, const(0), const(2.0))  # ... that a write changes
    b.block.yields = [b.op("sum", u, axis=None)]
    fn = simplify(Function("f", [x], b.block))
    assert prims(fn) == ["mul", "setitem", "sum"]


def test_cse_merges_pure_ops_but_not_fresh_arrays_or_reads_after_writes():
    x, a = Var("x", F64), Var("a", VEC)
    b = Builder()
    s1, s2 = b.op("sin", x), b.op("sin", x)
    z1, z2 = b.op("zeros_like", a), b.op("zeros_like", a)
    r1 = b.op("getitem", a, const(0))
    b.effect("setitem", a, const(0), s1)
    r2 = b.op("getitem", a, const(0))
    b.block.yields = [b.op("add", s1, s2), z1, z2, r1, r2]
    fn = cse(Function("f", [x, a], b.block))
    assert prims(fn).count("sin") == 1
    assert prims(fn).count("zeros_like") == 2  # each is its own array
    assert prims(fn).count("getitem") == 2  # the write in between changes a[0]


def test_dce_drops_what_nothing_reads_and_keeps_effects():
    x, a = Var("x", F64), Var("a", VEC)
    b = Builder()
    b.op("exp", x)  # dead
    b.effect("setitem", a, const(0), x)  # an effect: kept
    b.block.yields = [b.op("sin", x)]
    fn = dce(Function("f", [x, a], b.block))
    assert prims(fn) == ["setitem", "sin"]
