"""Elements a preceding element loop wrote, recomputed from what it wrote them with.

    for j in range(d): xc[j] = x[i, j] - mu[k, j]      # W, the writer
    for j in range(d): qx[j] = Q[k, j] * xc[j]          # the load xc[j]

The reverse iteration of the second loop needs xc[j]; xc is refilled for the next k, so
the load cannot be read again there. It equals W's expression at W's index j: when W is
the last write into xc before the load (nothing between them, nothing in the loop nest
of the load, writes it), W writes every element once (one setitem at the top of its
body, its index one of the subscripts) over the range the load's index runs over (the
index of a loop around the load with W's bounds), and that expression is cheap and reads
only what no write changes later (loads from arrays nothing writes after them, values
defined before W), the reverse sweep computes it again instead of recording it. The
same operations on the same numbers: the gradient is the same bit for bit.
`S2SAD_DISABLE=refill` turns it off.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import switches
from ..ir.builder import Builder
from ..ir.nodes import (
    Block,
    Const,
    For,
    Function,
    Op,
    Value,
    Var,
    While,
    loop_defs,
    sub_blocks,
    walk_inside,
)
from ..ir.primitives import PRIMS

MAX_OPS = 8  # a longer expression is recorded: recomputing it costs more than a pop


class Refill:
    """The writer loops of one function's forward sweep, for `restore`."""

    def __init__(self, fn: Function, pts: dict, changes_after: Callable[[Var, Op], bool]):
        self.off = switches.off("refill")
        self.fn = fn
        self.pts = pts
        self.changes_after = changes_after
        self.up: dict[int, tuple[Block, object]] = {}  # id(stmt) -> (its block, its region)
        self._index(fn.body, None)

    def _index(self, b: Block, region) -> None:
        for s in b.stmts:
            self.up[id(s)] = (b, region)
            for sb in sub_blocks(s):
                self._index(sb, s)

    def _writes(self, stmt, arr: Var) -> list[Op]:
        sites = self.pts.get(arr, frozenset({arr}))
        out = []
        for t in ([stmt] if isinstance(stmt, Op) else [stmt, *walk_inside(stmt)]):
            if isinstance(t, Op) and t.args and isinstance(t.args[0], Var) and \
                    (PRIMS[t.prim].writes is not None or PRIMS[t.prim].effect) and \
                    self.pts.get(t.args[0], frozenset({t.args[0]})) & sites:
                out.append(t)
        return out

    def expression(self, s, load: Op):
        """(writer loop W, its value, {W's index: the load's index}) if load's value is
        W's expression at the load's index, cheap to compute again; else None."""
        if self.off or load.prim != "getitem" or not isinstance(load.args[0], Var):
            return None
        arr, idx = load.args[0], load.args[1:]
        loops = {}  # loops around the load (s and those enclosing it), by their index
        cur = s
        while True:
            if isinstance(cur, For):
                loops[cur.ivar] = cur
            if self._writes(cur, arr):
                return None  # the load's nest (or a later part of an enclosing loop) writes
            if id(cur) not in self.up:
                return None
            block, region = self.up[id(cur)]
            at = next(k for k, t in enumerate(block.stmts) if t is cur)
            for t in reversed(block.stmts[:at]):
                if not self._writes(t, arr):
                    continue
                return self._from_writer(t, arr, idx, loops)
            if region is None or isinstance(region, While):
                return None
            cur = region

    def _from_writer(self, w, arr: Var, idx, loops: dict):
        if not isinstance(w, For) or len(self._writes(w, arr)) != 1:
            return None
        st = self._writes(w, arr)[0]
        if st.prim != "setitem" or st not in w.body.stmts or st.args[0] is not arr or \
                len(st.args) != len(idx) + 2:
            return None
        widx, val = st.args[1:-1], st.args[-1]
        sub: dict[Var, Value] = {}
        for a, b in zip(widx, idx):
            if a is w.ivar:
                loop = loops.get(b)
                if loop is None or not all(_same(u, v) for u, v in (
                        (loop.start, w.start), (loop.stop, w.stop), (loop.step, w.step))):
                    return None
                sub[a] = b
            elif not _same(a, b) or isinstance(a, Var) and a in loop_defs(w):
                return None
        if w.ivar not in sub:
            return None
        defs = {r: t for t in w.body.stmts if isinstance(t, Op) for r in t.results}
        inner = loop_defs(w)
        ops: list[Op] = []
        if not self._cheap(val, defs, inner, w, ops):
            return None
        return ops, val, sub

    def _cheap(self, v, defs, inner, w, ops) -> bool:
        if not isinstance(v, Var) or v is w.ivar or v not in inner:
            return True
        t = defs.get(v)
        if t is None or len(ops) >= MAX_OPS:
            return False
        p = PRIMS[t.prim]
        if p.access and not p.effect and not p.view:
            if self.changes_after(t.args[0], t):
                return False
        elif not p.recompute:
            return False
        if not all(self._cheap(a, defs, inner, w, ops) for a in t.args):
            return False
        if t not in ops:
            ops.append(t)
        return True

    def emit(self, b: Builder, found, mapping: dict) -> Value:
        """The writer's expression at the load's index (through `mapping`: the reverse
        iteration's index for the forward one), computed in b."""
        ops, val, sub = found
        env: dict[Var, Value] = {k: mapping.get(v, v) for k, v in sub.items()}
        for t in ops:
            args = [env.get(a, a) if isinstance(a, Var) else a for a in t.args]
            r = t.results[0]
            env[r] = b.op(t.prim, *args, name=r.name, type=r.type, **t.attrs)
        return env.get(val, val)


def _same(a, b) -> bool:
    if isinstance(a, Const) and isinstance(b, Const):
        return a.value == b.value and a.type == b.type
    return a is b

