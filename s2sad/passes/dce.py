"""Dead code elimination and common subexpression elimination over structured IR.

Dead code is what no effect and no output needs, found by marking what they need, through
regions and loop-carried values (`_live`): a loop that carries Python's loop variable out
(`j = j_2` every iteration, its final value read by no one) carries it no more, even through
nested loops and branches. `S2SAD_DISABLE=deadcarry`: by use counts only (a value read by
a dead one stays)."""

from __future__ import annotations

from .. import switches
from ..analysis.aliases import is_write, points_to, written_names
from ..ir.nodes import (
    Block,
    Const,
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
from ..ir.rewrite import substitute, substitute_stmt


def _pure(op: Op) -> bool:
    return not PRIMS[op.prim].effect


def _load(prim: str) -> bool:
    """An element or slice read (getitem, getslice): what a write to its array changes."""
    p = PRIMS[prim]
    return p.access and not p.effect


def dce(fn: Function) -> Function:
    while _dce_once(fn):
        pass
    return fn


def _write_only(fn: Function, used: dict) -> set[Var]:
    """Arrays the function makes and then only writes into: nothing reads them (the Verlet
    integrator's x[i + 1] = xn kept for plotting), so their writes are dead too."""
    fresh = {s.results[0] for s in walk(fn.body) if isinstance(s, Op) and s.results and
             PRIMS[s.prim].fresh}
    writes: dict[Var, int] = {}
    for s in walk(fn.body):
        if isinstance(s, Op) and is_write(s.prim) and s.args[0] in fresh:
            writes[s.args[0]] = writes.get(s.args[0], 0) + 1
            if any(a is s.args[0] for a in s.args[1:]):
                writes[s.args[0]] -= 1  # a[i] = a[j]: a read as well
    return {v for v, n in writes.items() if used.get(v, 0) == n}


def _live(fn: Function) -> set[Var] | None:
    """The Vars an effect, a region's control or an output needs (None: switched off)."""
    if switches.off("deadcarry"):
        return None
    live: set[Var] = set()
    roots = [*fn.body.yields, *fn.snapshots, *(fn.tape_state or {}).values()]
    grew = [False]

    def mark(vals) -> None:
        for v in vals:
            if isinstance(v, Var) and v not in live:
                live.add(v)
                grew[0] = True

    mark(roots)
    grew[0] = True
    while grew[0]:
        grew[0] = False
        for s in walk(fn.body):
            if isinstance(s, Op):
                if not _pure(s) or any(r in live for r in s.results):
                    mark(s.args)
            elif isinstance(s, If):
                mark([s.cond])
                for k, r in enumerate(s.results):
                    if r in live:
                        mark([s.then.yields[k], s.orelse.yields[k]])
            else:
                if isinstance(s, For):
                    mark([s.start, s.stop, s.step])
                else:
                    mark(s.cond.yields)
                for k, r in enumerate(s.results):
                    if r in live or s.params[k] in live:
                        mark([r, s.params[k], s.inits[k], s.body.yields[k]])
    return live


def _dce_once(fn: Function) -> bool:
    used = use_counts(fn.body)
    dead = _write_only(fn, used)
    live = _live(fn)
    if live is not None:  # what nothing live needs is unused
        used = {v: n for v, n in used.items() if v in live}
    changed = False

    def sweep(b: Block) -> None:
        nonlocal changed
        keep = []
        for s in b.stmts:
            if isinstance(s, Op):
                if _pure(s) and s.results and not any(used.get(r) for r in s.results):
                    changed = True
                    continue
                if is_write(s.prim) and s.args[0] in dead:
                    changed = True
                    continue
            elif isinstance(s, If):
                live = [k for k, r in enumerate(s.results) if used.get(r)]
                if len(live) != len(s.results):
                    s.results = [s.results[k] for k in live]
                    s.then.yields = [s.then.yields[k] for k in live]
                    s.orelse.yields = [s.orelse.yields[k] for k in live]
                    changed = True
                sweep(s.then)
                sweep(s.orelse)
                if not s.results and not s.then.stmts and not s.orelse.stmts:
                    changed = True
                    continue
            elif isinstance(s, (For, While)):
                # a carried value is dead if its result is unused and, inside the body, it
                # only feeds its own next value
                for k in reversed(range(len(s.params))):
                    p, r = s.params[k], s.results[k]
                    y = s.body.yields[k]
                    own = 1 if y is p else 0
                    in_cond = isinstance(s, While) and p in _all_uses(s.cond)
                    selfloop = isinstance(y, Var) and not in_cond and _only_feeds(s.body, p, y)
                    if not used.get(r) and (used.get(p, 0) - own <= 0 or selfloop):
                        del s.params[k], s.inits[k], s.body.yields[k], s.results[k]
                        changed = True
                for sb in sub_blocks(s):
                    sweep(sb)
                if not s.results and not _has_effects(s.body):
                    changed = True
                    continue
            keep.append(s)
        b.stmts = keep

    sweep(fn.body)
    return changed


def _only_feeds(body: Block, p: Var, y: Var) -> bool:
    """p is used only to compute y (and y only as the yield), e.g. a dead accumulator."""
    uses_p = [s for s in body.stmts if p in stmt_uses(s)]
    if len(uses_p) != 1 or not isinstance(uses_p[0], Op) or uses_p[0].results != [y] or \
            not _pure(uses_p[0]):
        return False
    uses_y = [s for s in body.stmts if y in stmt_uses(s)]
    nested = any(p in _all_uses(sb) or y in _all_uses(sb) for s in body.stmts
                 for sb in sub_blocks(s))
    # nor may p's value pass on to another carried variable (a, b = b, b + y)
    return not uses_y and not nested and body.yields.count(y) == 1 and p not in body.yields


def _all_uses(b: Block) -> set:
    out = set()
    for s in b.stmts:
        out.update(v for v in stmt_uses(s) if isinstance(v, Var))
        for sb in sub_blocks(s):
            out |= _all_uses(sb)
    out.update(v for v in b.yields if isinstance(v, Var))
    return out


def _has_effects(b: Block) -> bool:
    for s in b.stmts:
        if isinstance(s, Op) and not _pure(s):
            return True
        if any(_has_effects(sb) for sb in sub_blocks(s)):
            return True
    return False


def _key(op: Op):
    args = tuple(("v", id(a)) if isinstance(a, Var) else ("c", repr(a.value), str(a.type))
                 for a in op.args)
    return (op.prim, args, tuple(sorted((k, repr(v)) for k, v in op.attrs.items())))


def cse(fn: Function) -> Function:
    """Reuse an identical pure op computed earlier in the same or an enclosing block."""

    mapping: dict[Var, Var] = {}
    names = _other_names(fn)
    written = written_names(fn)

    def visit(b: Block, avail: dict, writes: set) -> None:
        avail = dict(avail)
        keep = []
        for s in b.stmts:
            if mapping:
                substitute_stmt(s, mapping)
            if isinstance(s, Op):
                if not _pure(s):
                    # a write invalidates loads from the written array
                    arr = s.args[0] if s.args else None
                    for k in [k for k in avail if _load(k[0]) and k[1][0] == ("v", id(arr))]:
                        del avail[k]
                    # and whole-array ops on it, under any of its names: sin(w)
                    _forget_reads(avail, names.get(id(arr), {id(arr)}), loads=True)
                    keep.append(s)
                    continue
                if len(s.results) == 1 and not PRIMS[s.prim].fresh and \
                        id(s.results[0]) not in written:  # a written array stays its own
                    k = _key(s)
                    if k in avail and avail[k].type == s.results[0].type:
                        mapping[s.results[0]] = avail[k]
                        continue
                    avail[k] = s.results[0]
                keep.append(s)
            else:
                inner_writes = writes
                changed = set().union(*(names.get(a, {a}) for a in _written_in(s)))
                for sb in sub_blocks(s):
                    # loads inside loops may see writes from later iterations
                    sub_avail = avail if isinstance(s, If) else {
                        k: v for k, v in avail.items() if not _load(k[0])}
                    if not isinstance(s, If):
                        _forget_reads(sub_avail, changed)
                    visit(sb, sub_avail, inner_writes)
                _forget_reads(avail, changed)
                if not isinstance(s, If):
                    for k in [k for k in avail if _load(k[0])]:
                        del avail[k]
                elif _has_effects(s.then) or _has_effects(s.orelse):
                    for k in [k for k in avail if _load(k[0])]:
                        del avail[k]
                keep.append(s)
        b.stmts = keep
        if mapping:
            b.yields = [mapping.get(v, v) if isinstance(v, Var) else v for v in b.yields]

    visit(fn.body, {}, set())
    substitute(fn.body, mapping)
    return fn


def _written_in(s) -> set:
    """ids of the arrays that ops with effects inside region s write."""

    return {id(t.args[0]) for sb in sub_blocks(s) for t in walk(sb)
            if isinstance(t, Op) and not _pure(t) and t.args}


def _forget_reads(avail: dict, arrays: set, loads: bool = False) -> None:
    """Drop available whole-array ops (sin(w), w * 2.0) that read an array written now
    (and, with loads, element loads from it)."""
    if not arrays:
        return
    def kept(prim: str) -> bool:  # element writes never change an array's shape
        p = PRIMS[prim]
        return (p.shape_only and not p.fresh) or (not loads and _load(prim))

    for k in [k for k in avail if not kept(k[0]) and
              any(a[0] == "v" and a[1] in arrays for a in k[1])]:
        del avail[k]


def _other_names(fn: Function) -> dict:
    """id(array Var) -> ids of the Vars that may name the same object (itself included):
    `v = u if c else w; v[0] = 1.0` changes u or w too (analysis/aliases.py)."""

    pts = points_to(fn)
    by_site: dict = {}
    for v, sites in pts.items():
        for site in sites:
            by_site.setdefault(site, set()).add(id(v))
    return {id(v): set().union(*(by_site[site] for site in sites))
            for v, sites in pts.items() if sites}


def is_const(v) -> bool:
    return isinstance(v, Const)


def prune_records(fn: Function) -> Function:
    """Drop pushes whose matching pop the clean-up passes removed (value never read)."""

    popped = {s.attrs.get("pair") for s in walk(fn.body) if isinstance(s, Op) and s.prim == "pop"}

    def visit(b: Block) -> None:
        b.stmts = [s for s in b.stmts if not (isinstance(s, Op) and s.prim == "push" and
                                              len(s.args) == 1 and
                                              s.attrs.get("pair") not in popped)]
        for s in b.stmts:
            for sb in sub_blocks(s):
                visit(sb)

    visit(fn.body)
    return fn


def drop_invariant_carries(fn: Function) -> Function:
    """A loop-carried value the body yields unchanged is the initial value throughout:
    use that, and carry nothing (e.g. the constant adjoint of an accumulated sum)."""

    mapping: dict = {}
    for s in list(walk(fn.body)):
        if not isinstance(s, (For, While)):
            continue
        keep = []
        for k, (p, i, y, r) in enumerate(zip(s.params, s.inits, s.body.yields, s.results)):
            if y is p:
                mapping[p] = i
                mapping[r] = i
            else:
                keep.append(k)
        if len(keep) != len(s.params):
            s.params = [s.params[k] for k in keep]
            s.inits = [s.inits[k] for k in keep]
            s.body.yields = [s.body.yields[k] for k in keep]
            s.results = [s.results[k] for k in keep]
    if mapping:
        # an init may itself be a dropped carry of an enclosing loop
        def resolve(v):
            while isinstance(v, Var) and v in mapping:
                v = mapping[v]
            return v

        substitute(fn.body, {k: resolve(v) for k, v in mapping.items()})
    return fn
