"""Algebraic simplification: no `0.0 * x`, `x * 1.0`, `x + 0.0` or `-(-x)` survives.

`fold_op` is applied as ops are emitted (rules, transforms); `simplify` re-applies it
over a whole function after copy propagation.
"""

from __future__ import annotations

import operator

from ..ir.builder import const
from ..ir.nodes import Block, Const, Function, Op, Value, Var, sub_blocks
from ..ir.primitives import result_type
from ..ir.types import F32, F64, I64, ArrayT

_ARITH = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
          "div": operator.truediv}


def _is(v: Value, x: float) -> bool:
    return isinstance(v, Const) and not isinstance(v.type, ArrayT) and \
        not isinstance(v.value, bool) and v.value == x


def fold_op(prim: str, args: list[Value], attrs: dict | None = None) -> Value | None:
    """A simpler value equal to prim(*args), or None. Never changes the result type."""
    try:
        rt = result_type(prim, [a.type for a in args], attrs)
    except Exception:
        return None

    def keep(v: Value) -> Value | None:
        if v.type == rt:
            return v
        if isinstance(v, Const) and rt in (F64, F32):
            return const(v.value, rt)
        return None

    def zero() -> Value | None:
        return const(0.0, rt) if rt in (F64, F32) else None

    if prim in ("add", "sub", "mul") and rt == I64 and all(isinstance(a, Const) for a in args):
        return const(_ARITH[prim](args[0].value, args[1].value))
    if prim in _ARITH and all(isinstance(a, Const) for a in args) and rt in (F64, F32):
        try:
            return const(_ARITH[prim](args[0].value, args[1].value), rt)
        except ZeroDivisionError:
            return None
    if prim == "mul":
        x, y = args
        if _is(y, 1.0):
            return keep(x)
        if _is(x, 1.0):
            return keep(y)
        if _is(x, 0.0) or _is(y, 0.0):
            return zero()
        if _is(y, -1.0):
            return fold_op("neg", [x]) or None
        if _is(x, -1.0):
            return fold_op("neg", [y]) or None
    elif prim == "add":
        x, y = args
        if _is(y, 0.0):
            return keep(x)
        if _is(x, 0.0):
            return keep(y)
    elif prim == "sub":
        x, y = args
        if _is(y, 0.0):
            return keep(x)
    elif prim == "div":
        x, y = args
        if _is(y, 1.0):
            return keep(x)
        if _is(x, 0.0):
            return zero()
    elif prim == "neg":
        (x,) = args
        if isinstance(x, Const) and not isinstance(x.type, ArrayT):
            return const(-x.value, x.type)
        if isinstance(x, Var) and getattr(x, "_neg_of", None) is not None:
            return keep(x._neg_of)
    elif prim == "pow":
        x, y = args
        if _is(y, 1.0):
            return keep(x)
    elif prim in ("floordiv",) and rt == I64:
        x, y = args
        if _is(y, 1):
            return keep(x)
    elif prim == "trip_count" and all(isinstance(a, Const) for a in args):
        start, stop, step = (a.value for a in args)
        return const(len(range(start, stop, step)))
    elif prim == "select":
        c, a, b = args
        if isinstance(c, Const):
            return keep(a if c.value else b)
        if a is b or (isinstance(a, Const) and isinstance(b, Const) and a == b):
            return keep(a)
    return None


def note_neg(op: Op) -> None:
    """Remember that op's result is -arg, so -(-x) folds to x."""
    if op.prim == "neg" and isinstance(op.results[0], Var):
        op.results[0]._neg_of = op.args[0]


def simplify(fn: Function) -> Function:
    """Apply fold_op to every op of a function (after transforms built ops directly)."""
    from ..analysis.aliases import written_names
    from ..transforms.common import substitute

    mapping: dict = {}
    written = written_names(fn)

    def visit(b: Block) -> None:
        keep = []
        for s in b.stmts:
            if mapping:
                _subst(s, mapping)
            if isinstance(s, Op) and len(s.results) == 1 and s.prim not in ("push", "pop"):
                folded = fold_op(s.prim, s.args, s.attrs)
                if isinstance(folded, Var) and isinstance(folded.type, ArrayT) and \
                        (id(s.results[0]) in written or id(folded) in written):
                    folded = None  # `u = x * 1.0` is a new array that element writes change
                if folded is not None:
                    mapping[s.results[0]] = folded
                    continue
            for sb in sub_blocks(s):
                visit(sb)
            keep.append(s)
        b.stmts = keep

    visit(fn.body)
    substitute(fn.body, mapping)
    from .dce import remap_negations

    remap_negations(fn, mapping)
    return fn


def _subst(s, mapping) -> None:
    from .dce import _subst_stmt

    _subst_stmt(s, mapping)


def fold_boolean_ifs(fn: Function) -> Function:
    """`r = if c: yield a else: yield False` with empty branches is `r = c and a` (and the
    `or` form): both operands are already computed, so nothing lazy is lost, and loop
    conditions print as `while not brk and i < n:`."""
    from ..ir.nodes import walk

    for s in list(walk(fn.body)):
        for b in sub_blocks(s) if not isinstance(s, Op) else []:
            b.stmts = [_as_boolop(t) for t in b.stmts]
    fn.body.stmts = [_as_boolop(t) for t in fn.body.stmts]
    return fn


def _as_boolop(s):
    from ..ir.nodes import If

    if not isinstance(s, If) or s.then.stmts or s.orelse.stmts or len(s.results) != 1:
        return s
    a, b = s.then.yields[0], s.orelse.yields[0]
    r = s.results[0]
    if r.type.__class__.__name__ != "Scalar" or r.type.name != "bool":
        return s
    if isinstance(b, Const) and b.value is False:
        return Op("and", [s.cond, a], [r], {}, s.loc)
    if isinstance(a, Const) and a.value is True:
        return Op("or", [s.cond, b], [r], {}, s.loc)
    return s
