"""Checkpointed reversal of long loops: store the loop state every k iterations.

Forward sweep: the loop runs as in the primal and, every k-th iteration, pushes its
carried state (a snapshot) instead of recording every iteration's values.
Reverse sweep: for each segment, last first, pop the snapshot, re-run that segment's
k iterations recording as usual, then reverse them:

    for seg in reversed(range(n_seg)):
        state = pop()                                  # restore
        for i in segment: body; push(recorded values)  # recompute, recording
        for i in reversed(segment): pop(); adjoint     # reverse

Memory: n/k snapshots plus k iterations' records, O(n/k + k) instead of O(n);
k = ceil(sqrt(n)) minimises it ("sqrt"). Time: one extra forward pass.
"""

from __future__ import annotations

import copy

from ..analysis.aliases import is_write
from ..errors import S2SADError
from ..ir.builder import Builder, const
from ..ir.nodes import Block, For, If, Op, Var, block_defs, block_uses, walk
from ..ir.primitives import PRIMS
from ..ir.rewrite import free_vars
from ..ir.types import BOOL, F32, F64, I64, ArrayT, is_float
from .common import zero_of


def reverse_checkpointed(tr, b: Builder, s: For, adj: dict, spec) -> None:
    # Re-running a segment must see the arrays as they were: allowed are writes into arrays
    # that are neither differentiated nor read by the loop (e.g. arrays kept for plotting).
    ops = [t for t in walk(s.body) if isinstance(t, Op)]
    written = {t.args[0] for t in ops if is_write(t.prim)}
    read = {t.args[0] for t in ops if PRIMS[t.prim].access and not PRIMS[t.prim].effect}
    if any(a in tr.active or a in read for a in written):
        raise S2SADError("checkpointing a loop whose state lives in arrays is not supported yet",
                         s.loc, "carry the state in scalar variables, or drop checkpoint=")
    if any(isinstance(p.type, ArrayT) for p in s.params):
        raise S2SADError("checkpointing a loop that carries arrays is not supported yet", s.loc)
    # ---- forward sweep: the primal loop plus a snapshot every k iterations
    pre = Builder(Block())
    pre.loc = s.loc
    n = pre.op("trip_count", s.start, s.stop, s.step, name="n_iter")
    if spec == "sqrt" or spec is True:
        fl = pre.op("float", n)
        root = pre.op("sqrt", fl)
        k0 = pre.op("int", root)
        k = pre.op("max", k0, const(1), name="k_ckp")
    else:
        k = const(int(spec))
    n_seg = pre.op("floordiv", pre.op("add", n, pre.op("sub", k, const(1))), k, name="n_seg")
    # snapshots go into arrays sized before the loop (floats, and ints/bools), written in
    # place: the loop stays as tight as the primal's
    slots = {"f": [p for p in s.params if p.type in (F64, F32)],
             "i": [p for p in s.params if p.type not in (F64, F32)]}
    snaps = {}
    for kind, ps in slots.items():
        if ps:
            size = pre.op("mul", n_seg, const(len(ps)))
            snaps[kind] = pre.op("empty", size, name=f"snap_{kind}",
                                 type=ArrayT(F64 if kind == "f" else I64, 1),
                                 dtype="f64" if kind == "f" else "i64")
            tr.snapshots.append(snaps[kind])
    _insert_before(tr.fn.body, s, pre.block.stmts)
    fb = Builder(Block())
    fb.loc = s.loc
    it = fb.op("floordiv", fb.op("sub", s.ivar, s.start), s.step, name="it")
    is_ckp = fb.op("eq", fb.op("mod", it, k), const(0))
    snap = Block()
    with fb.into(snap):
        seg_of = fb.op("floordiv", it, k)
        for kind, ps in slots.items():
            base = fb.op("mul", seg_of, const(len(ps))) if ps else None
            for j, p in enumerate(ps):
                fb.effect("setitem", snaps[kind], fb.op("add", base, const(j)), p)
    fb.append(If(is_ckp, snap, Block(), [], s.loc))
    s.body.stmts[:0] = fb.block.stmts
    # ---- reverse sweep: one loop over the segments, last first
    act = [j for j, p in enumerate(s.params) if p in tr.active]
    used_free = _free_active(tr, s)
    seg = Var("seg", I64)
    pb = [Var("", s.params[j].type, base=s.params[j], suffix="_bar") for j in act]
    fbars = [Var("", v.type, base=v, suffix="_bar") for v in used_free]
    body = Block()
    sb = Builder(body)
    sb.loc = s.loc
    restored = [None] * len(s.params)
    for kind, ps in slots.items():
        base = sb.op("mul", seg, const(len(ps))) if ps else None
        for j, p in enumerate(ps):
            v = sb.op("getitem", snaps[kind], sb.op("add", base, const(j)))
            if p.type == BOOL:
                v = sb.op("ne", v, const(0))
            elif p.type != v.type:
                v = sb.op("float" if p.type == F64 else "int", v)
            v.name = p.name
            restored[s.params.index(p)] = v
    lo = sb.op("mul", seg, k, name="lo")
    hi = sb.op("min", sb.op("add", lo, k), n, name="hi")
    # the segment's loop: a copy of the primal loop over iterations [lo, hi)
    s2, renamed = _copy_loop(s)
    s2.start = sb.op("add", s.start, sb.op("mul", lo, s.step))
    s2.stop = sb.op("add", s.start, sb.op("mul", hi, s.step))
    s2.inits = list(restored)
    # the copy has no snapshots: drop the If we inserted (the first statements)
    s2.body.stmts = s2.body.stmts[len(fb.block.stmts):]
    for j in act:
        tr.active.add(restored[j])
    for old, new in renamed:
        if old in tr.active:
            tr.active.add(new)
    tr.buffers.adopt(renamed, s2)  # arrays made in the loop get their adjoint buffers there too
    body.stmts.append(s2)
    env = dict(zip(used_free, fbars))
    for j, v in zip(act, pb):
        env[s2.results[j]] = v
    tr.reverse_loop(sb, s2, env)
    body.yields = [env.get(restored[j]) or zero_of(s.params[j].type) for j in act]
    body.yields += [env.get(v) or zero_of(v.type) for v in used_free]
    inits = [adj.pop(s.results[j], None) or zero_of(s.results[j].type) for j in act]
    inits += [adj.get(v) or zero_of(v.type) for v in used_free]
    outs_p = [Var("", s.params[j].type, base=s.params[j], suffix="_bar") for j in act]
    outs_f = [Var("", v.type, base=v, suffix="_bar") for v in used_free]
    b.append(For(seg, const(0), n_seg, const(1), pb + fbars, inits, body, outs_p + outs_f,
                 s.loc, reverse=True))
    tr.after_reversed_loop(b, s, adj, act, outs_p, used_free, outs_f)


def _free_active(tr, s: For) -> list[Var]:
    inner = block_defs(s.body) | set(s.params) | {s.ivar}
    used = block_uses(s.body)
    return [v for v in free_vars(s.body) if v in used and v not in inner
            and v in tr.active and not isinstance(v.type, ArrayT)]


def _copy_loop(s: For) -> For:
    """A copy of the loop with fresh Vars (the outer values it reads stay shared)."""
    inner = list(block_defs(s.body)) + list(s.params) + [s.ivar] + list(s.results)
    memo = {id(v): Var(v.name, v.type, v.base, v.suffix) for v in inner}
    for v in inner:
        memo[id(v)].deriv = v.deriv
    # share everything that is not defined by the loop (Consts, outer Vars, arrays)
    shared = {}

    def share(obj):
        if isinstance(obj, Var) and id(obj) not in memo:
            shared[id(obj)] = obj

    for t in walk(s.body):
        for a in getattr(t, "args", []) or []:
            share(a)
        for a in [getattr(t, "cond", None), getattr(t, "start", None), getattr(t, "stop", None),
                  getattr(t, "step", None)] + list(getattr(t, "inits", [])):
            share(a)
    for a in [s.start, s.stop, s.step] + list(s.inits) + list(s.body.yields):
        share(a)
    s2 = copy.deepcopy(s, {**memo, **shared})
    return s2, [(v, memo[id(v)]) for v in inner]


def _insert_before(block: Block, target, stmts) -> None:
    for i, t in enumerate(block.stmts):
        if t is target:
            block.stmts[i:i] = stmts
            return
    raise AssertionError("loop not found at the top level")


__all__ = ["reverse_checkpointed", "is_float", "F64"]
