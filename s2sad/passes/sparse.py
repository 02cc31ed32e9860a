"""Sparse reverse sweeps after a selection: skip work whose cotangent is exactly zero.

The adjoint of a selection (`if dist < best: best = dist`, a maximum, a minimum) gives
the losing side a cotangent of exactly 0.0 (`dist_bar = best_bar if won else 0.0`).
Every contribution an element loop then makes from that cotangent is a product with it:

    for l in reversed(range(d)):
        diff = points[i, l] - centroids[j, l]
        centroids_bar[j, l] = centroids_bar[j, l] - 2 * diff * dist_bar

This pass guards such a loop by `if dist_bar != 0.0:`, so that the reverse sweep of the
k-means cost runs the d-loop for the winning centroid alone. The guarded loop must have
no carried values and no tape, and each of its writes must add to an element a term that
is a product with the cotangent (sums of such terms, negations, quotients by anything).
Skipping it is exact for finite values (a NaN or inf the skipped terms would have made
from 0 * inf is not made: the derivative of the loser is 0 there too).
S2SAD_DISABLE=sparse turns the pass off.
"""

from __future__ import annotations

from ..ir.builder import const
from ..ir.nodes import Block, Const, For, Function, If, Op, Var, sub_blocks
from ..ir.primitives import PRIMS
from ..ir.types import BOOL, is_float


def sparse_selections(fn: Function) -> Function:
    _visit(fn.body, set())
    return fn


def _visit(b: Block, zeroable: set) -> None:
    new = []
    for s in b.stmts:
        if isinstance(s, If):
            for i, r in enumerate(s.results):
                if any(_is_zero(blk.yields[i]) for blk in (s.then, s.orelse)) and \
                        is_float(r.type):
                    zeroable.add(r)
        for sb in sub_blocks(s):
            _visit(sb, zeroable)
        z = _guard(s, zeroable) if isinstance(s, For) else None
        if z is not None:
            cond = Var("", BOOL)
            new.append(Op("ne", [z, const(0.0, z.type)], [cond], {}, s.loc))
            new.append(If(cond, Block([s]), Block(), [], s.loc))
            continue
        new.append(s)
    b.stmts = new


def _is_zero(v) -> bool:
    return isinstance(v, Const) and not isinstance(v.value, bool) and v.value == 0


def _guard(s: For, zeroable: set):
    """The zeroable cotangent that every write of loop s is proportional to, or None."""
    if s.params or s.results:
        return None
    defs: dict = {}
    writes = []
    for t in s.body.stmts:
        if not isinstance(t, Op):
            return None
        p = PRIMS[t.prim]
        if t.prim == "setitem":
            writes.append(t)
        elif p.effect or p.ordered or t.prim in ("push", "pop"):
            return None
        for r in t.results:
            defs[r] = t
    if not writes:
        return None
    for z in zeroable:
        if all(_accumulates(w, z, defs) for w in writes):
            return z
    return None


def _accumulates(w: Op, z: Var, defs: dict) -> bool:
    """w is `a[idx] = a[idx] + p` (or -) with p proportional to z."""
    arr, *idx, val = w.args
    d = defs.get(val)
    if not isinstance(d, Op) or d.prim not in ("add", "sub"):
        return False
    a, c = d.args
    for old, term in ((a, c), (c, a)) if d.prim == "add" else ((a, c),):
        od = defs.get(old)
        if isinstance(od, Op) and od.prim == "getitem" and od.args[0] is arr and \
                od.args[1:] == idx and _prop(term, z, defs, 0):
            return True
    return False


def _prop(v, z: Var, defs: dict, depth: int) -> bool:
    """v is (a sum of) products with z, computed inside the loop."""
    if v is z:
        return True
    d = defs.get(v)
    if depth > 32 or not isinstance(d, Op):
        return False
    if d.prim == "mul":
        return any(_prop(a, z, defs, depth + 1) for a in d.args)
    if d.prim in ("add", "sub"):
        return all(_prop(a, z, defs, depth + 1) for a in d.args)
    if d.prim in ("neg", "div"):
        return _prop(d.args[0], z, defs, depth + 1)
    return False
