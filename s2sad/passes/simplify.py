"""Algebraic simplification: no `0.0 * x`, `x * 1.0`, `x + 0.0` or `-(-x)` survives.

`ir.fold.fold_op` is applied as ops are emitted (rules, transforms); `simplify`
re-applies it over a whole function after copy propagation.
"""

from __future__ import annotations

from ..analysis.aliases import written_names
from ..ir.fold import fold_op
from ..ir.nodes import Block, Const, Function, If, Op, Var, sub_blocks, walk
from ..ir.primitives import PRIMS
from ..ir.rewrite import substitute, substitute_stmt
from ..ir.types import ArrayT


def simplify(fn: Function) -> Function:
    """Apply fold_op to every op of a function (after transforms built ops directly)."""
    mapping: dict = {}
    written = written_names(fn)

    def visit(b: Block) -> None:
        keep = []
        for s in b.stmts:
            if mapping:
                substitute_stmt(s, mapping)
            if isinstance(s, Op) and len(s.results) == 1 and not PRIMS[s.prim].ordered:
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
    return fn


def fold_boolean_ifs(fn: Function) -> Function:
    """`r = if c: yield a else: yield False` with empty branches is `r = c and a` (and the
    `or` form): both operands are already computed, so nothing lazy is lost, and loop
    conditions print as `while not brk and i < n:`."""
    for s in list(walk(fn.body)):
        for b in sub_blocks(s) if not isinstance(s, Op) else []:
            b.stmts = [_as_boolop(t) for t in b.stmts]
    fn.body.stmts = [_as_boolop(t) for t in fn.body.stmts]
    return fn


def _as_boolop(s):
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
