"""Activity analysis: a value is active if it is varied (depends on an input we
differentiate with respect to) and useful (an output we differentiate depends on it).

Only float values are ever active. Arrays are references: storing a varied value into an
array makes the whole array varied (flow-insensitive, conservative), and every other name
the same object may have through loop and branch plumbing (`y = b if c else a; y[0] = x`
makes `b` varied too; analysis/aliases.py).
"""

from __future__ import annotations

from collections import defaultdict

from ..ir.nodes import Block, For, Function, If, Op, Var, While, walk
from ..ir.types import is_float
from ..rules import RULES
from .aliases import is_write, points_to


def _edges(block: Block, out: dict) -> None:
    """out[src] -> set of vars whose value depends differentiably on src."""
    for s in block.stmts:
        if isinstance(s, Op):
            rule = RULES.get(s.prim)
            if is_write(s.prim):
                arr, val = s.args[0], s.args[-1]
                if isinstance(val, Var):
                    out[val].add(arr)
            elif s.prim == "getitem":
                if isinstance(s.args[0], Var):
                    out[s.args[0]].add(s.results[0])
            elif rule is not None and rule.kind == "nondiff":
                continue
            else:
                for a in s.args:
                    if isinstance(a, Var):
                        for r in s.results:
                            out[a].add(r)
        elif isinstance(s, If):
            for blk in (s.then, s.orelse):
                _edges(blk, out)
                for y, r in zip(blk.yields, s.results):
                    if isinstance(y, Var):
                        out[y].add(r)
        elif isinstance(s, (For, While)):
            _edges(s.body, out)
            if isinstance(s, While):
                _edges(s.cond, out)
            for p, i, y, r in zip(s.params, s.inits, s.body.yields, s.results):
                if isinstance(i, Var):
                    out[i].add(p)
                if isinstance(y, Var):
                    out[y].add(p)
                out[p].add(r)


def _reach(starts, graph) -> set:
    seen = set(starts)
    stack = list(starts)
    while stack:
        v = stack.pop()
        for w in graph.get(v, ()):
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return seen


def _alias_edges(fn: Function, out: dict) -> None:
    """A write through one name of an array object reaches its other names."""
    pts = points_to(fn, views=False)
    by_site: dict = defaultdict(set)
    for v, sites in pts.items():
        for site in sites:
            by_site[site].add(v)
    for s in walk(fn.body):
        if isinstance(s, Op) and is_write(s.prim) and isinstance(s.args[-1], Var):
            arr = s.args[0]
            others = set().union(*(by_site[site] for site in pts.get(arr, ())))
            out[s.args[-1]].update(o for o in others if o is not arr)


def active_values(fn: Function, wrt: list[Var], outputs: list[Var]) -> set[Var]:
    fwd: dict = defaultdict(set)
    _edges(fn.body, fwd)
    _alias_edges(fn, fwd)
    bwd: dict = defaultdict(set)
    for a, bs in fwd.items():
        for b in bs:
            bwd[b].add(a)
    varied = _reach([w for w in wrt if is_float(w.type)], fwd)
    useful = _reach([o for o in outputs if isinstance(o, Var) and is_float(o.type)], bwd)
    return {v for v in varied & useful if is_float(v.type)}
