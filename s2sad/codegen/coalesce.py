"""Out of SSA: which Vars share one Python name in generated code.

A loop's carried values, their initial values and their results share a name where their
lifetimes allow it (so `v0 = vn` stays `v0 = vn`), an If's results take the names of the
values its branches compute, and SSA versions of one variable (x_bar, x_bar_1 = x_bar + t)
share a name when the old one dies where the new one is made (codegen writes `x_bar += t`).
Live ranges are pre-order positions of definitions and uses.
"""

from __future__ import annotations

from ..ir.names import Namer
from ..ir.nodes import Block, For, Function, If, Op, Var, While, stmt_uses, sub_blocks, walk
from ..ir.primitives import PRIMS


class CoalescedNamer:
    """The Python name of each Var: its group's (coalesce). A group that holds a returned
    derivative of a parameter is named after it (`gamma_bar`, `v0_bar`, not the name of
    the loop variable it shares a name with)."""

    def __init__(self, fn: Function, alias: dict):
        self.alias = alias
        self.namer = Namer(fn)
        self.prefer: dict[Var, Var] = {}
        params = set(fn.params)
        for o in fn.outputs:
            r = find(alias, o) if isinstance(o, Var) else None
            if r is not None and o.base in params and (r.base, r.suffix) != (o.base, o.suffix):
                self.prefer.setdefault(r, o)

    def __getitem__(self, v: Var) -> str:
        r = find(self.alias, v)
        return self.namer[self.prefer.get(r, r)]


def find(alias: dict, v: Var) -> Var:
    while v in alias:
        v = alias[v]
    return v


def _positions(fn: Function):
    """Pre-order position of every statement, the position of each Var's definition, and
    the positions where each Var is read."""
    pos: dict[int, int] = {}
    end: dict[int, int] = {}
    dpos: dict[Var, int] = {}
    upos: dict[Var, list[int]] = {}
    counter = [0]

    def visit(b: Block):
        for s in b.stmts:
            counter[0] += 1
            p = counter[0]
            pos[id(s)] = p
            for v in stmt_uses(s):
                if isinstance(v, Var):
                    upos.setdefault(v, []).append(p)
            if isinstance(s, For):
                dpos[s.ivar] = p
            if isinstance(s, (For, While)):
                for q in s.params:
                    dpos[q] = p
            for sb in sub_blocks(s):
                visit(sb)
                counter[0] += 1
                for v in sb.yields:
                    if isinstance(v, Var):
                        upos.setdefault(v, []).append(counter[0])
            end[id(s)] = counter[0]
            for r in s.results:
                dpos[r] = counter[0]
    for p in fn.params:
        dpos[p] = 0
    visit(fn.body)
    counter[0] += 1
    for v in fn.body.yields:
        if isinstance(v, Var):
            upos.setdefault(v, []).append(counter[0])
    return pos, end, dpos, upos


def coalesce(fn: Function) -> dict:
    """Which Vars share a Python name: alias[v] = representative."""
    pos, end, dpos, upos = _positions(fn)
    alias: dict[Var, Var] = {}
    members: dict[Var, list[Var]] = {}

    def root(v):
        return find(alias, v)

    def group(v):
        return members.get(root(v), [root(v)])

    def interferes(a_group, b_group) -> bool:
        # live ranges [def, last use] of any two members overlap
        def rng(v):
            d = dpos.get(v, 0)
            return d, max(upos.get(v, [d]) + [d])
        for a in a_group:
            for c in b_group:
                (a0, a1), (c0, c1) = rng(a), rng(c)
                if a0 < c1 and c0 < a1:
                    return True
        return False

    def union(keep: Var, other: Var) -> bool:
        ra, rb = root(keep), root(other)
        if ra is rb:
            return True
        if ra.type != rb.type or _derivative(ra) != _derivative(rb):
            return False  # (a primal value and a derivative never share a name)
        ga, gb = group(ra), group(rb)
        if interferes(ga, gb):
            return False
        alias[rb] = ra
        members[ra] = ga + gb
        members.pop(rb, None)
        return True

    for s in walk(fn.body):
        if isinstance(s, (For, While)):
            for p, r in zip(s.params, s.results):
                if root(p) is not root(r):
                    alias[r] = p  # the result is the last value of the carried variable
                    members[p] = group(p) + [r]
    # a carried variable's name is in use for its whole loop
    for s in walk(fn.body):
        if isinstance(s, (For, While)):
            lo, hi = pos[id(s)], end[id(s)]
            for p in s.params:
                dpos[p] = lo
                upos.setdefault(p, []).append(hi)
            # a value made before a loop and read inside it is read again next iteration
            for v, uses in upos.items():
                if dpos.get(v, 0) < lo and any(lo < u <= hi for u in uses):
                    uses.append(hi)
    # SSA versions of one variable (x_bar, x_bar_1 = x_bar + t) share a name when the old
    # version dies where the new one is made; codegen then writes `x_bar += t`
    for s in walk(fn.body):
        if isinstance(s, Op) and (s.prim in ("add", "sub") or PRIMS[s.prim].effect and PRIMS[s.prim].view) and s.results and \
                isinstance(s.args[0], Var) and _stem(s.args[0]) == _stem(s.results[0]) and \
                _stem(s.args[0]) is not None:
            union(s.args[0], s.results[0])
    for s in walk(fn.body):
        if isinstance(s, (For, While)):
            lo, hi = pos[id(s)], end[id(s)]
            for k, (p, i, y) in enumerate(zip(s.params, s.inits, s.body.yields)):
                if isinstance(i, Var):
                    union(i, p)
                if not isinstance(y, Var) or y in s.params or dpos.get(y, -1) <= lo:
                    continue
                # the yield may take p's name if p is not read after it is computed
                ys = group(y)
                if root(y) is root(p) or any(m in s.params or m in fn.params for m in ys):
                    continue
                first_def = min(dpos.get(m, hi) for m in ys)
                p_uses = [u for m in group(p) if lo <= dpos.get(m, -1) <= hi or m is p
                          for u in upos.get(m, []) if lo < u < hi]
                others = [v for j, v in enumerate(s.body.yields) if j != k]
                # nor if p's value is yielded to another carried variable (a swap)
                if any(u > first_def for u in p_uses) or any(v in ys for v in others) or \
                        any(m in others for m in group(p)):
                    continue
                if any(max(upos.get(m, [0])) > hi for m in ys):
                    continue
                ra, rb = root(p), root(y)
                if ra.type != rb.type or _derivative(ra) != _derivative(rb):
                    continue
                alias[rb] = ra
                members[ra] = group(ra) + ys
                members.pop(rb, None)
        elif isinstance(s, If):
            for k, r in enumerate(s.results):
                for blk in (s.then, s.orelse):
                    y = blk.yields[k]
                    if isinstance(y, Var) and dpos.get(y, -1) > pos[id(s)] and \
                            blk.yields.count(y) == 1:
                        union(r, y)
    return alias


def _derivative(v: Var) -> bool:
    return v.base is not None or v.deriv


def _stem(v: Var):
    if v.base is not None:
        return (id(v.base), v.suffix)
    return v.name or None
