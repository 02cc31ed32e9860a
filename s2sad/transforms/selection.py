"""A running selection records its winner, not every decision.

    for j in range(k):
        d = ...
        if d < best:
            best = d

The reverse of the If hands best's cotangent to d and zeroes it. When best is read in the
loop only by comparisons (the If's condition) and the If is its only update, its
cotangent never grows inside the loop: once the reversed loop reaches the last iteration
that took the branch, every earlier one hands on 0.0 whether it took it or not. So the
reverse sweep needs only that iteration: the forward loop carries `win` (the index of the
last iteration that took the branch), one int per run of the loop, and the reversed
iteration branches on `j == win` instead of a decision popped per iteration. The same
numbers, bit for bit (the skipped branches handed on 0.0). `S2SAD_DISABLE=select` turns it
off.
"""

from __future__ import annotations

from .. import switches
from ..ir.builder import const
from ..ir.nodes import For, If, Op, Var, walk
from ..ir.primitives import PRIMS
from ..ir.types import I64, ArrayT, is_float

NONE = -(2**62)  # no iteration took the branch (no range reaches it)


def last_taken(s, cond: Var) -> Var | None:
    """If cond is the condition of such a selection at the top of range loop s: give s a
    `win` carry (in place; the forward sweep is the adjoint's) and return its result."""
    if not isinstance(s, For) or switches.off("select"):
        return None
    ifs = [t for t in s.body.stmts if isinstance(t, If) and t.cond is cond]
    if len(ifs) != 1:
        return None
    t = ifs[0]
    floats = [k for k, r in enumerate(t.results) if is_float(r.type)]
    if len(floats) != 1 or any(isinstance(r.type, ArrayT) for r in t.results) or any(not isinstance(u, Op) or PRIMS[u.prim].effect or
                               PRIMS[u.prim].access for blk in (t.then, t.orelse)
                               for u in walk(blk)):
        return None
    k = floats[0]
    r = t.results[k]
    if r not in s.body.yields or s.body.yields.count(r) != 1:
        return None
    p = s.params[s.body.yields.index(r)]
    if t.orelse.yields[k] is not p or any(y is p for y in t.then.yields):
        return None
    # p: read only by comparisons and as the kept value; r: only the carried value;
    # cond: only the If's condition
    for u in walk(s.body):
        args = u.args if isinstance(u, Op) else [getattr(u, "cond", None)] + \
            list(getattr(u, "inits", ()))
        if p in args and not (isinstance(u, Op) and PRIMS[u.prim].typing == "bool"):
            return None
        if r in args or (cond in args and u is not t):
            return None
        for blk in ([u.then, u.orelse] if isinstance(u, If) else
                    [u.body] if isinstance(u, For) else []):
            if (p in blk.yields and blk is not t.orelse) or r in blk.yields or \
                    cond in blk.yields:
                return None
    if p in s.body.yields[:s.body.yields.index(r)] + s.body.yields[s.body.yields.index(r) + 1:]:
        return None
    win = Var("win", I64)
    now = Var("win", I64)
    t.then.yields.append(s.ivar)
    t.orelse.yields.append(win)
    t.results.append(now)
    s.params.append(win)
    s.inits.append(const(NONE))
    s.body.yields.append(now)
    out = Var("win", I64)
    s.results.append(out)
    return out
