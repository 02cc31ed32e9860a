"""Run independent reversed loops forwards: `for i in reversed(range(lo, hi))` whose
iterations touch disjoint elements becomes `for i in range(lo, hi)`.

The reverse sweep reverses every loop, but an element loop with no carried values, no
tape, and writes only at [i] (the adjoint of `u[i] = un[i]`, clears, gathers) computes the
same in either order, and CPUs and LLVM's vectoriser prefer ascending addresses.
"""

from __future__ import annotations

from ..ir.nodes import Block, For, Function, Op, Var, sub_blocks, walk
from ..ir.primitives import PRIMS


def forward_order(fn: Function) -> Function:
    _visit(fn.body)
    return fn


def _visit(b: Block) -> None:
    for s in b.stmts:
        for sb in sub_blocks(s):
            _visit(sb)
        if isinstance(s, For) and s.reverse and _independent(s):
            s.reverse = False


def _independent(s: For) -> bool:
    if s.params:
        return False
    written = set()
    for t in walk(s.body):
        if not isinstance(t, Op):
            return False  # nested regions: keep it simple
        if PRIMS[t.prim].ordered:
            return False
        if t.prim == "setitem":
            if len(t.args) != 3 or t.args[1] is not s.ivar:
                return False
            written.add(t.args[0])
    # a written array may be read only at [i]
    for t in walk(s.body):
        for k, a in enumerate(t.args):
            if isinstance(a, Var) and a in written and not (t.prim in ("getitem", "setitem") and k == 0 and
                                     t.args[1:2] == [s.ivar] and len(t.args) <= 3):
                return False
    return True
