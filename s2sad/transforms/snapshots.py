"""Snapshots for the reverse sweep: an op that reads a whole array that an element write
changes later reads a copy taken just before it, so the rule sees the values the op saw."""

from __future__ import annotations

from ..ir.nodes import Block, Function, Op, Var, blocks, sub_blocks, use_counts
from ..ir.primitives import PRIMS
from ..ir.types import ArrayT
from ..rules import RULES
from .common import is_array_var


def _element_op(prim: str) -> bool:
    """Reads elements or shapes, or makes a view or a copy: no snapshot of its operands."""
    p = PRIMS[prim]
    return p.access or p.shape_only or p.view or p.fill == "copy"



def snapshot_mutable_operands(block: Block, aliases, kept: list | None = None) -> list:
    """An op that reads a whole array that an element write may change later reads a copy
    taken just before it, so the reverse sweep sees the values the op saw (a copy nobody
    needs is removed by DCE). An op whose own result is written later
    (`u = x / s; ...; u[i] = ...`) gives its rule the op's value, not the array that the
    writes change: `u0 = x / s; u = u0.copy()` (kept: the (op, copy) pairs, for
    `_drop_unneeded_copies` once the reverse sweep is built)."""
    kept = [] if kept is None else kept
    new = []
    for s in block.stmts:
        for sb in sub_blocks(s):
            snapshot_mutable_operands(sb, aliases, kept)
        if isinstance(s, Op) and not _element_op(s.prim) and s.results:
            args = []
            for a in s.args:
                if isinstance(a, Var) and isinstance(a.type, ArrayT) and \
                        aliases.written_after(a, s):
                    snap = Var(a.name, a.type)
                    new.append(Op("copy", [a], [snap], {}, s.loc))
                    a = snap
                args.append(a)
            s.args = args
        new.append(s)
        rule = RULES.get(s.prim) if isinstance(s, Op) else None
        if rule is not None and rule.kind in ("partials", "rule") and len(s.results) == 1 \
                and not _element_op(s.prim) and is_array_var(s.results[0]) and \
                aliases.written_after(s.results[0]):
            r = s.results[0]
            r0 = Var(r.name, r.type)
            s.results = [r0]
            cp = Op("copy", [r0], [r], {}, s.loc)
            new.append(cp)
            kept.append((s, cp))
    block.stmts = new
    return kept


def drop_unneeded_copies(fn: Function, kept: list) -> None:
    """Undo `u0 = op(...); u = u0.copy()` where the reverse sweep did not read u0."""
    if not kept:
        return
    uses = use_counts(fn.body)
    drop = set()
    for s, cp in kept:
        if uses.get(s.results[0], 0) == 1:
            s.results = list(cp.results)
            drop.add(id(cp))
    if drop:
        for blk in blocks(fn.body):
            blk.stmts = [t for t in blk.stmts if id(t) not in drop]
