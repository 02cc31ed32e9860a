"""Which array values may share one NumPy array object, and which may be written.

Arrays are SSA values, but element writes (`a[i] = v`) change an object, and region
plumbing passes objects on without copying them: a loop's initial value becomes its
parameter (`u = un` makes the next iteration's `u` the object this one filled), a
yield becomes the next parameter and the final result, a branch's yield becomes the
If's result; a slice without a copy, a transpose or a reshape is a view of its operand.

`points_to` gives every array Var the set of *sites* whose objects it may hold: a
function parameter, or an op that makes a new array. `mutable_arrays` says which Vars
may see an element write after they are defined (the reverse sweep cannot re-read
those, and must record what it needs). `alias_hazards` finds the places where two live
Vars might name one written object at the same time, which the adjoint's per-Var
buffers cannot model (reverse mode refuses them instead of giving wrong numbers).

All of it is flow-insensitive over sites and conservative: "may" everywhere.
"""

from __future__ import annotations

from collections import defaultdict

from ..ir.nodes import (
    Block,
    For,
    Function,
    If,
    Op,
    Var,
    While,
    block_defs,
    block_uses,
    stmt_uses,
    sub_blocks,
)
from ..ir.primitives import PRIMS
from ..ir.types import ArrayT


def is_write(prim: str) -> bool:
    """An element or slice write into its first argument (setitem, setslice, iadd, ...)."""
    p = PRIMS[prim]
    return p.writes is not None and p.access


def _is_array(v) -> bool:
    return isinstance(v, Var) and isinstance(v.type, ArrayT)


def _is_view(s: Op) -> bool:
    if s.prim == "getslice":
        return not s.attrs.get("copy")
    return PRIMS[s.prim].view  # its array result may be (a view of) its operand's


def points_to(fn: Function, views: bool = True) -> dict[Var, frozenset]:
    """Array Var -> the sites (Vars: parameters and fresh op results) it may hold
    (views=False: a view counts as a new object, only region plumbing aliases)."""
    pts: dict[Var, set] = defaultdict(set)
    edges: list[tuple[Var, Var]] = []  # pts[dst] includes pts[src]
    for p in fn.params:
        if _is_array(p):
            pts[p].add(p)

    def flow(src, dst):
        if _is_array(src) and _is_array(dst):
            edges.append((src, dst))

    def visit(b: Block) -> None:
        for s in b.stmts:
            if isinstance(s, Op):
                for r in s.results:
                    if not _is_array(r):
                        continue
                    if views and _is_view(s) and s.args:
                        flow(s.args[0], r)
                    else:
                        pts[r].add(r)
            elif isinstance(s, If):
                for blk in (s.then, s.orelse):
                    for y, r in zip(blk.yields, s.results):
                        flow(y, r)
            elif isinstance(s, (For, While)):
                for p, i, y, r in zip(s.params, s.inits, s.body.yields, s.results):
                    flow(i, p)
                    flow(y, p)
                    flow(p, r)
            for sb in sub_blocks(s):
                visit(sb)

    visit(fn.body)
    changed = True
    while changed:
        changed = False
        for src, dst in edges:
            if not pts[src] <= pts[dst]:
                pts[dst] |= pts[src]
                changed = True
    return {v: frozenset(s) for v, s in pts.items()}


class _Positions:
    """Pre-order positions of statements, with the loops enclosing each, to tell whether
    a write may run after a value is defined (later in program order, or in a later
    iteration of a loop around both)."""

    def __init__(self, fn: Function):
        self.pos: dict[int, tuple[int, int]] = {}  # id(stmt) -> (start, end) of its subtree
        self.alive: list = []  # the statements, so that their ids stay theirs
        self.loops: dict[int, frozenset] = {}  # id(stmt) -> ids of the loops around it
        self.defs: dict[Var, tuple[int, frozenset]] = {}  # Var -> (position, loops)
        self.n = 0
        for p in fn.params:
            self.defs[p] = (-1, frozenset())
        self._visit(fn.body, frozenset())

    def _visit(self, b: Block, loops: frozenset) -> None:
        for s in b.stmts:
            start = self.n
            self.n += 1
            self.alive.append(s)
            self.loops[id(s)] = loops
            inner = loops | {id(s)} if isinstance(s, (For, While)) else loops
            if isinstance(s, (For, While)):
                for p in s.params:
                    self.defs[p] = (start, inner)
                if isinstance(s, For):
                    self.defs[s.ivar] = (start, inner)
            for sb in sub_blocks(s):
                self._visit(sb, inner)
            self.pos[id(s)] = (start, self.n)
            at = start if isinstance(s, Op) else self.n  # region results: after the region
            for r in s.results:
                self.defs[r] = (at, loops)


def _writes(b: Block):
    for s in b.stmts:
        if isinstance(s, Op) and is_write(s.prim) and s.args:
            yield s
        for sb in sub_blocks(s):
            yield from _writes(sb)


class Aliases:
    """Points-to sets, statement positions and writes of one function, to ask whether an
    array's object may be changed by an element write after a given statement."""

    def __init__(self, fn: Function):
        self.pts = points_to(fn)
        self.at = _Positions(fn)
        self.writes = [(w, w.args[0]) for w in _writes(fn.body)]
        # arrays that are a new object each time their op runs (no view, no plumbing):
        # where that op is, and the loops around it
        self.fresh = {v: self.at.defs[v] for v, sites in self.pts.items()
                      if sites == {v} and v in self.at.defs and v not in fn.params}

    def written_after(self, v: Var, stmt=None) -> bool:
        """An element write may change v's object after `stmt` (default: after v is
        defined). Writes into newer objects do not count: into an array made after v
        (un = np.empty_like(u); un[i] = ...), or, in a later iteration of the loops around
        both, into an array made anew in each of their iterations (row = np.zeros(m) in
        the loop, filled before it is read)."""
        sites = self.pts.get(v)
        if not sites:
            return False
        if stmt is None:
            if v not in self.at.defs:
                return True
            at, loops = self.at.defs[v]
        else:
            if id(stmt) not in self.at.pos:
                return True
            at, loops = self.at.pos[id(stmt)][0], self.at.loops[id(stmt)]
        born = self.at.defs.get(v, (None,))[0]
        for w, arr in self.writes:
            if not (self.pts.get(arr, frozenset()) & sites):
                continue
            wpos = self.at.pos[id(w)][0]
            shared = loops & self.at.loops[id(w)]
            if not (wpos > at or shared):
                continue
            if arr in self.fresh:
                made, around = self.fresh[arr]
                if born is not None and made > born:
                    continue  # a newer object than v's
                if wpos < at and shared <= around:
                    continue  # only later iterations write, into their own new object
            return True
        return False

    def mutable(self) -> set[Var]:
        """Array Vars whose object a write may change after the Var is defined."""
        return {v for v in self.pts if self.written_after(v)}


def mutable_arrays(fn: Function) -> set[Var]:
    """Array Vars whose object an element write may change after the Var is defined.

    Slices of arrays written after the slice are marked `copy` first (the reverse sweep
    needs the values the slice saw, not a view of later ones), so they do not count as
    aliases."""
    return mark_slice_copies(fn).mutable()


def written_names(fn: Function) -> set:
    """ids of the array Vars that may name an object an element write changes (under
    any name): such a value is an object of its own, never to be merged with another
    (`a = x * 2.0; b = x * 2.0; a[0] = y` leaves b alone; `u = x * 1.0` is a copy)."""
    pts = points_to(fn)
    sites = set()
    for t in _writes(fn.body):
        sites |= pts.get(t.args[0], frozenset())
    return {id(v) for v, s in pts.items() if s & sites}


def written_params(fn: Function) -> list[Var]:
    """The array parameters whose object an element write may change (directly, through
    another name such as `b = a`, or in a helper inlined into fn)."""
    pts = points_to(fn)
    sites = set()
    for t in _writes(fn.body):
        sites |= pts.get(t.args[0], frozenset())
    return [p for p in fn.params if p in sites]


def mark_slice_copies(fn: Function) -> Aliases:
    """Mark `copy` on slices whose array may be written after them; the Aliases of the
    result."""
    al = Aliases(fn)
    marked = False
    for s in _all_ops(fn.body):
        if s.prim == "getslice" and not s.attrs.get("copy") and al.written_after(s.args[0], s):
            s.attrs["copy"] = True
            marked = True
    return Aliases(fn) if marked else al


def _all_ops(b: Block):
    for s in b.stmts:
        if isinstance(s, Op):
            yield s
        for sb in sub_blocks(s):
            yield from _all_ops(sb)


def _live_after(fn: Function) -> dict[int, set]:
    """id(stmt) -> Vars that may be read after it (later statements, enclosing blocks'
    yields, and the next iterations of enclosing loops)."""
    out: dict[int, set] = {}

    def visit(b: Block, after: set) -> None:
        tail = set(after) | {v for v in b.yields if isinstance(v, Var)}
        for s in reversed(b.stmts):
            out[id(s)] = set(tail)
            if isinstance(s, (For, While)):
                inside = block_uses(s.body) | (block_uses(s.cond) if isinstance(s, While)
                                               else set())
                local = block_defs(s.body) | set(s.params)
                if isinstance(s, While):
                    local |= block_defs(s.cond)
                for sb in sub_blocks(s):
                    visit(sb, tail | (inside - local))
            elif isinstance(s, If):
                for sb in sub_blocks(s):
                    visit(sb, tail)
            tail |= {v for v in stmt_uses(s) if isinstance(v, Var)}
            for sb in sub_blocks(s):
                tail |= block_uses(sb)

    visit(fn.body, set())
    return out


def alias_hazards(fn: Function, mutable: set[Var], active: set[Var]) -> list[dict]:
    """Places where an array object that element writes change, and that differentiated
    values reach, could be reachable through two live Vars at once. Each is a dict: stmt (the loop or If), kind, var (the
    value that gets a second name) and names (the region variables it becomes):

    - "init-live":  a loop's initial value is still used after the loop (or inside it);
    - "init-twice": one value is the initial value of two loop variables;
    - "yield-twice": one value becomes two loop variables (or two If results) at once;
    - "yield-outer": a loop variable takes a value defined before the loop;
    - "branch-outer": an If result is another name for a value used after the If.
    """
    live = _live_after(fn)
    found: list[dict] = []
    pts = points_to(fn)
    # objects that differentiated values may reach (a stale name of such an object may
    # itself look inactive: activity follows names, not objects)
    touched = set().union(*(pts.get(v, frozenset()) for v in active if _is_array(v)))

    def risky(v) -> bool:
        return _is_array(v) and v in mutable and bool(pts.get(v, frozenset()) & touched)

    def hit(s, kind, v, names):
        found.append({"stmt": s, "kind": kind, "var": v, "names": names})

    def pairs(s, values, names, twice: str, other: str, still_used) -> None:
        """One array handed to two names at once (`twice`), or to a name while another
        name for it stays in use (`other`: the value is in still_used)."""
        for v, p in zip(values, names):
            if not risky(v):
                continue
            same = [q for w, q in zip(values, names) if w is v]
            if len(same) > 1:
                hit(s, twice, v, same)
            elif v in still_used:
                hit(s, other, v, [p])

    def visit(b: Block) -> None:
        for s in b.stmts:
            for sb in sub_blocks(s):
                visit(sb)
            if isinstance(s, (For, While)):
                inside = block_uses(s.body) | (block_uses(s.cond) if isinstance(s, While)
                                               else set())
                local = block_defs(s.body) | set(s.params)
                pairs(s, s.inits, s.params, "init-twice", "init-live", live[id(s)] | inside)
                pairs(s, s.body.yields, s.params, "yield-twice", "yield-outer",
                      {y for y in s.body.yields if y not in local})
            elif isinstance(s, If):
                for blk in (s.then, s.orelse):
                    local = block_defs(blk)
                    pairs(s, blk.yields, s.results, "yield-twice", "branch-outer",
                          {y for y in blk.yields if y not in local and y in live[id(s)]})
    visit(fn.body)
    return found
