"""Scatter -> gather: the adjoint of a stencil loop, rewritten the way an expert writes it.

The mechanical adjoint of `un[i] = u[i] + r*(u[i-1] - 2*u[i] + u[i+1])` scatters:

    for i in reversed(range(lo, hi)):
        g = un_bar[i]; un_bar[i] = 0.0
        u_bar[i + 1] += r * g;  u_bar[i] += (1 - 2r) * g;  u_bar[i - 1] += r * g

Each iteration reads and writes three neighbours, a loop-carried memory dependence that
stops vectorisation. When the offsets are constants and the scattered values are
computed from loads at affine indices of arrays the loop does not write (or reads at
`i` before clearing at `i`), the scatter becomes one gather per element:

    for j in range(lo + 1, hi - 1):     # interior: every term in range
        u_bar[j] += r * un_bar[j - 1] + (1 - 2r) * un_bar[j] + r * un_bar[j + 1]
    ... the few edge elements with bounds checks ...
    for i in reversed(range(lo, hi)):   # what is left: the clears and any reductions
        un_bar[i] = 0.0

Anything else (nested regions, records, carried values feeding the scattered values) keeps
the scatter form, which is always correct.
"""

from __future__ import annotations

from ..ir.builder import Builder, const
from ..ir.nodes import Block, Const, For, Function, If, Op, Var, sub_blocks, use_counts
from ..ir.primitives import PRIMS
from ..ir.types import BOOL, I64


def gather(fn: Function) -> Function:
    _visit(fn.body)
    return fn


def _visit(b: Block) -> None:
    new = []
    for s in b.stmts:
        for sb in sub_blocks(s):
            _visit(sb)
        if isinstance(s, For):
            out = _rewrite(s)
            if out is not None:
                new += out
                continue
        new.append(s)
    b.stmts = new


def _offset(idx, ivar: Var, defs: dict):
    """c if idx == ivar + c (c a constant int), else None."""
    if idx is ivar:
        return 0
    d = defs.get(idx)
    if isinstance(d, Op) and d.prim in ("add", "sub") and d.args[0] is ivar and \
            isinstance(d.args[1], Const) and d.args[1].type == I64:
        return d.args[1].value if d.prim == "add" else -d.args[1].value
    return None


def _rewrite(s: For) -> list | None:
    if not (isinstance(s.step, Const) and s.step.value == 1):
        return None
    body = s.body
    if any(not isinstance(t, Op) for t in body.stmts):
        return None
    defs = {r: t for t in body.stmts for r in t.results}
    uses = use_counts(body)
    # scatter groups: B[i+c] = B[i+c] + e
    scatters = []  # (buffer, c, e, set_op, add_op, get_op)
    for t in body.stmts:
        if t.prim != "setitem" or len(t.args) != 3:
            continue
        buf, idx, val = t.args
        add_op = defs.get(val)
        if not isinstance(add_op, Op) or add_op.prim != "add" or uses.get(val) != 1:
            continue
        get_op = defs.get(add_op.args[0])
        if not isinstance(get_op, Op) or get_op.prim != "getitem" or \
                get_op.args[0] is not buf or get_op.args[1] is not idx or \
                uses.get(add_op.args[0]) != 1:
            continue
        c = _offset(idx, s.ivar, defs)
        if c is None:
            continue
        scatters.append((buf, c, add_op.args[1], t, add_op, get_op))
    if not scatters:
        return None
    buffers = {sc[0] for sc in scatters}
    group_ops = {id(o) for sc in scatters for o in sc[3:]}
    if all(sc[1] == 0 for sc in scatters):
        return None
    # the rest of the body may not touch the scattered buffers
    for t in body.stmts:
        if id(t) in group_ops:
            continue
        if any(a in buffers for a in t.args if isinstance(a, Var)):
            return None
    # arrays the loop writes (outside the scatters): only "clears" B2[i] = const, whose reads
    # happen at i and before the clear
    written = {}
    for k, t in enumerate(body.stmts):
        if id(t) in group_ops or t.prim != "setitem":
            continue
        if len(t.args) != 3 or t.args[1] is not s.ivar or not isinstance(t.args[2], Const):
            return None
        written[t.args[0]] = k
    params = set(s.params)
    order = {id(t): k for k, t in enumerate(body.stmts)}
    # every scattered value must be computable at a shifted index
    needed: dict = {}

    def need(v) -> bool:
        if not isinstance(v, Var) or v is s.ivar:
            return True
        if v in params:
            return False
        d = defs.get(v)
        if d is None:
            return True  # defined outside the loop: the same in every iteration
        if id(d) in needed:
            return True
        if d.prim == "getitem":
            arr = d.args[0]
            if arr in buffers:
                return False
            if arr in written:
                if len(d.args) != 2 or d.args[1] is not s.ivar or \
                        order[id(d)] > written[arr]:
                    return False
            elif any(_offset(i, s.ivar, defs) is None and not _invariant(i, defs)
                     for i in d.args[1:]):
                return False
        elif not PRIMS[d.prim].elementwise or PRIMS[d.prim].effect:
            return False
        needed[id(d)] = d
        return all(need(a) for a in d.args)

    if not all(need(sc[2]) for sc in scatters):
        return None
    comp = [t for t in body.stmts if id(t) in needed]
    lo, hi = s.start, s.stop
    out = []
    for buf in sorted(buffers, key=lambda v: id(v)):
        terms = [(c, e) for b_, c, e, *_ in scatters if b_ is buf]
        out += _gather_loops(s, buf, terms, comp, lo, hi)
    # what remains: the original loop without its scatters
    s.body.stmts = [t for t in body.stmts if id(t) not in group_ops]
    out.append(s)
    return out


def _invariant(v, defs) -> bool:
    return not isinstance(v, Var) or v not in defs


def _gather_loops(s: For, buf: Var, terms: list, comp: list, lo, hi) -> list:
    cs = [c for c, _ in terms]
    cmin, cmax = min(cs), max(cs)
    pre = Builder(Block())
    pre.loc = s.loc
    # interior j in [lo + cmax, hi + cmin): every term's source index j - c lies in [lo, hi)
    def shift(v, c, name=""):
        if not c:
            return v
        return pre.op("add", v, const(c), name=name) if c > 0 else \
            pre.op("sub", v, const(-c), name=name)

    a = shift(lo, cmax, "j_lo")
    z = shift(hi, cmin, "j_hi")
    first = shift(lo, cmin)
    last = shift(hi, cmax)
    edge2 = pre.op("max", a, z)
    # edges [first, a) and [max(a, z), last) with bounds checks (j - c in [lo, hi)); the
    # interior [a, z) without: together they cover every index the scatter wrote
    body = Block(list(pre.block.stmts))
    body.stmts.append(_gather_for(s, buf, terms, comp, first, a, lo, hi, checked=True))
    body.stmts.append(_gather_for(s, buf, terms, comp, a, z, lo, hi, checked=False))
    body.stmts.append(_gather_for(s, buf, terms, comp, edge2, last, lo, hi, checked=True))
    guard = Builder(Block())
    guard.loc = s.loc
    nonempty = guard.op("lt", lo, hi)  # an empty loop scattered nothing
    guard.append(If(nonempty, body, Block(), [], s.loc))
    return guard.block.stmts


def _gather_for(s: For, buf, terms, comp, start, stop, lo, hi, checked: bool) -> For:
    j = Var("j_edge" if checked else "j", I64)
    body = Block()
    b = Builder(body)
    b.loc = s.loc
    acc = None
    for c, e in terms:
        src = b.op("sub", j, const(c)) if c > 0 else b.op("add", j, const(-c)) if c else j
        if checked:
            ok = b.op("ge", src, lo)
            inner = Block()
            with b.into(inner):
                val = _clone(b, comp, e, s.ivar, src)
            okhi = Block()
            with b.into(okhi):
                okhi.yields = [b.op("lt", src, hi)]
            both = Var("", BOOL)
            b.append(If(ok, okhi, Block([], [const(False)]), [both], s.loc))
            zero = const(0.0, e.type)
            inner.yields = [val]
            r = Var("", e.type)
            b.append(If(both, inner, Block([], [zero]), [r], s.loc))
            val = r
        else:
            val = _clone(b, comp, e, s.ivar, src)
        acc = val if acc is None else b.op("add", acc, val)
    old = b.op("getitem", buf, j)
    b.effect("setitem", buf, j, b.op("add", old, acc))
    return For(j, start, stop, const(1), [], [], body, [], s.loc)


def _clone(b: Builder, comp: list, e, ivar: Var, at) -> object:
    """Re-emit the ops computing e with the loop index replaced by `at`."""
    m = {ivar: at}
    for t in comp:
        args = [m.get(a, a) if isinstance(a, Var) else a for a in t.args]
        m[t.results[0]] = b.op(t.prim, *args, type=t.results[0].type, **t.attrs)
    return m.get(e, e) if isinstance(e, Var) else e
