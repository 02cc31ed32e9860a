"""Which temporaries generated code writes inline, inside the expression that uses them:
those used once, later in the same block, with nothing in between that could change
what they read."""

from __future__ import annotations

from ..ir.nodes import (
    Block,
    For,
    Function,
    If,
    Op,
    Var,
    While,
    stmt_uses,
    sub_blocks,
    use_counts,
    walk,
)
from ..ir.primitives import PRIMS
from ..ir.types import ArrayT
from .coalesce import find


def inlinable(fn: Function, alias: dict) -> set[Var]:
    """Temporaries used once, later in the same block, with nothing in between that could
    change what they read."""
    uses = use_counts(fn.body)
    for v in fn.body.yields:
        if isinstance(v, Var):
            uses[v] += 1  # returned values keep their names
    out: set[Var] = set()
    defs = {s.results[0]: s for s in walk(fn.body) if isinstance(s, Op) and len(s.results) == 1}

    def visit(b: Block):
        local = {}
        for k, s in enumerate(b.stmts):
            for r in s.results:
                local[r] = k
        for k, s in enumerate(b.stmts):
            for sb in sub_blocks(s):
                visit(sb)
            if not isinstance(s, Op) or len(s.results) != 1 or PRIMS[s.prim].effect:
                continue
            r = s.results[0]
            if r.name or r in alias or any(alias.get(x) is r for x in alias):
                continue
            if r.base is not None:
                continue
            if uses.get(r, 0) != 1:
                continue
            # where is it used?
            user = None
            for j in range(k + 1, len(b.stmts)):
                t = b.stmts[j]
                if r in stmt_uses(t):
                    user = j
                    break
            if user is None:
                if r in b.yields and not any(r in _all(sb) for t in b.stmts[k + 1:]
                                             for sb in sub_blocks(t)):
                    user = len(b.stmts)
                else:
                    continue
            between = b.stmts[k + 1:user]
            if any(not isinstance(t, Op) or PRIMS[t.prim].effect for t in between) and \
                    _reads_memory(s, out, defs):
                continue
            if any(isinstance(t, (For, While, If)) for t in between):
                continue
            # nothing in between may rebind a name the expression reads
            reads = {find(alias, v) for v in _operands(s, out, defs)}
            if any(find(alias, x) in reads for t in between for x in t.results):
                continue
            out.add(r)

    visit(fn.body)
    return out


def _operands(op: Op, inlined: set, defs: dict) -> list[Var]:
    """Vars an inlined expression reads, through the temporaries inlined into it."""
    out = []
    for a in op.args:
        if isinstance(a, Var):
            out.append(a)
            if a in inlined and a in defs:
                out += _operands(defs[a], inlined, defs)
    return out


def _reads_memory(op: Op, inlined: set, defs: dict) -> bool:
    """Whether moving op later could change its value: it reads an array (a write in
    between would show), directly or through the temporaries inlined into it."""
    if op.prim in ("getitem", "getslice"):
        return True
    for a in op.args:
        if isinstance(a.type, ArrayT):
            return True
        if isinstance(a, Var) and a in inlined and a in defs and \
                _reads_memory(defs[a], inlined, defs):
            return True
    return False


def _all(b: Block) -> set:
    out = set()
    for s in b.stmts:
        out.update(stmt_uses(s))
        for sb in sub_blocks(s):
            out |= _all(sb)
    out.update(b.yields)
    return out
