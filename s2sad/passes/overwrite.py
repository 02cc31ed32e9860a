"""Accumulating into zeros is storing: `B[i] = B[i] + e` becomes `B[i] = e` where B[i] is 0.

The adjoint accumulates every cotangent (`u_bar[j] += ...`), and clears what an overwrite
consumed (`un_bar[i] = 0.0`). An expert writes `=` where the buffer is known to hold zeros,
and never clears what is overwritten next. This pass tracks, for each adjoint buffer
allocated with zeros, the index intervals known to hold 0 (a forward dataflow over the
structured IR; loops reach a fixpoint), and

1. rewrites an accumulating element loop `for i in range(lo, hi): B[i] = B[i] + e` into a
   store when [lo, hi) lies in a zero interval;
2. drops a clearing loop at the end of a loop body when the next iteration overwrites the
   same range before reading it and nothing reads B after the loop;
3. allocates B with `empty_like` when its first writes are stores that cover the whole
   array (the zeros were never read), filling it only on the path that writes nothing.

Index bounds are compared symbolically: affine forms of the loop-invariant integers, plus
max/min. Anything it cannot prove keeps the accumulating form, which is always correct.
"""

from __future__ import annotations

from ..ir.builder import Builder, const
from ..ir.nodes import (
    Block,
    Const,
    For,
    Function,
    If,
    Op,
    Var,
    While,
    block_defs,
    block_uses,
    blocks,
    stmt_uses,
    sub_blocks,
    walk,
)
from ..ir.primitives import PRIMS
from ..ir.types import I64, ArrayT

INF = None  # the open upper end of "the whole array"
def _reads(prim: str) -> bool:
    """A use of a buffer that leaves its contents alone and returns no view of it."""
    p = PRIMS[prim]
    return not p.effect and not p.view


def overwrite(fn: Function) -> Function:
    pass_ = _Overwrite(fn)
    pass_.block(fn.body, {}, rewrite=True, after=set(fn.body.yields))
    _first_writes(fn.body, pass_)
    return fn


class _Overwrite:
    def __init__(self, fn: Function):
        self.defs = {r: s for s in walk(fn.body) if isinstance(s, Op) for r in s.results}
        self.buffers = _buffers(fn)

    # ------------------------------------------------------------ symbolic integers
    def affine(self, v, depth: int = 0):
        """v as (frozenset of (var, coeff), const), expanding integer + - * by constants."""
        if isinstance(v, Const):
            return (frozenset(), v.value) if isinstance(v.value, int) else None
        d = self.defs.get(v)
        if depth < 12 and isinstance(d, Op) and PRIMS[d.prim].affine and v.type == I64:
            parts = [self.affine(a, depth + 1) for a in d.args]
            if any(p is None for p in parts):
                return None
            if d.prim == "neg":
                return _scale(parts[0], -1)
            if d.prim == "mul":
                (ta, ca), (tb, cb) = parts
                if not ta:
                    return _scale(parts[1], ca)
                if not tb:
                    return _scale(parts[0], cb)
                return (frozenset({(v, 1)}), 0)
            return _plus(parts[0], _scale(parts[1], -1 if d.prim == "sub" else 1))
        return (frozenset({(v, 1)}), 0)

    def le(self, a, b, depth: int = 0) -> bool:
        """a <= b provably (b may be INF)."""
        if b is INF:
            return True
        if a is INF or depth > 6:
            return False
        fa, fb = self.affine(a), self.affine(b)
        if fa is not None and fb is not None:
            terms, c = _plus(fb, _scale(fa, -1))
            if not terms and c >= 0:
                return True
        db, da = self.defs.get(b), self.defs.get(a)
        if isinstance(db, Op) and db.prim == "max" and \
                any(self.le(a, x, depth + 1) for x in db.args):
            return True
        if isinstance(db, Op) and db.prim == "min" and \
                all(self.le(a, x, depth + 1) for x in db.args):
            return True
        if isinstance(da, Op) and da.prim == "min" and \
                any(self.le(x, b, depth + 1) for x in da.args):
            return True
        if isinstance(da, Op) and da.prim == "max" and \
                all(self.le(x, b, depth + 1) for x in da.args):
            return True
        return False

    def key(self, v):
        if v is INF:
            return "inf"
        d = self.defs.get(v)
        if isinstance(d, Op) and PRIMS[d.prim].extremum:
            return (d.prim, *(self.key(a) for a in d.args))
        return self.affine(v)

    def invariant(self, v, inside: set) -> bool:
        """v has the same value in every iteration of a loop whose body defines `inside`."""
        if v is INF or isinstance(v, Const) or v not in inside:
            return True
        d = self.defs.get(v)
        return isinstance(d, Op) and (PRIMS[d.prim].affine or PRIMS[d.prim].extremum) and \
            all(self.invariant(a, inside) for a in d.args)

    # ------------------------------------------------------------ interval sets
    def contains(self, zero: list, lo, hi) -> bool:
        """[lo, hi) lies in one interval of `zero` whenever the range is not empty."""
        return any(self.le(zl, lo) and self._le_nonempty(lo, hi, zh) for zl, zh in zero)

    def _le_nonempty(self, lo, hi, bound) -> bool:
        d = self.defs.get(hi)
        if isinstance(d, Op) and d.prim == "max":  # max(lo, z) == z when the range is not empty
            rest = [x for x in d.args if self.key(x) != self.key(lo)]
            if len(rest) < len(d.args) and all(self.le(x, bound) for x in rest):
                return True
        return self.le(hi, bound)

    def minus(self, zero: list, lo, hi) -> list:
        """What stays provably zero once [lo, hi) is written."""
        out = []
        for zl, zh in zero:
            if self.le(zl, hi):  # the part above the range
                out.append((hi, zh))
            elif (top := self.max_of(zl, hi)) is not None:
                out.append((top, zh))
            if self.le(lo, zh):  # the part below it
                out.append((zl, lo))
        return [(a, b) for a, b in out if not self._empty(a, b)]

    def max_of(self, a, b):
        """An existing value max(a, b), if the function computes one."""
        want = {str(self.key(a)), str(self.key(b))}
        for v, d in self.defs.items():
            if d.prim == "max" and len(d.args) == 2 and {str(self.key(x)) for x in d.args} == want:
                return v
        return None

    def _empty(self, lo, hi) -> bool:
        return hi is not INF and self.le(hi, lo)

    def meet(self, x: list, y: list) -> list:
        out = []
        for al, ah in x:
            for bl, bh in y:
                lo = al if self.le(bl, al) else bl if self.le(al, bl) else None
                hi = ah if self.le(ah, bh) else bh if self.le(bh, ah) else None
                if lo is not None and (hi is not None or ah is bh is INF):
                    out.append((lo, hi if hi is not None else INF))
        return [(a, b) for a, b in out if not self._empty(a, b)]

    def same(self, x: dict, y: dict) -> bool:
        def norm(s):
            return {b: sorted(map(str, ((self.key(lo), self.key(hi)) for lo, hi in z)))
                    for b, z in s.items()}
        return norm(x) == norm(y)

    # ------------------------------------------------------------ the dataflow
    def block(self, b: Block, state: dict, rewrite: bool, after: set) -> dict:
        for k, s in enumerate(b.stmts):
            later = after | _uses(b.stmts[k + 1:]) | {v for v in b.yields if isinstance(v, Var)}
            state = self.stmt(s, state, rewrite, later)
        return state

    def stmt(self, s, state: dict, rewrite: bool, after: set) -> dict:
        if isinstance(s, Op):
            if s.results and s.result in self.buffers:
                zero = [(const(0), INF)] if PRIMS[s.prim].fill == "zeros" else []
                return {**state, s.result: zero}
            touched = [a for a in s.args if isinstance(a, Var) and a in state]
            if touched and not _reads(s.prim):
                state = {b: [] if b in touched else z for b, z in state.items()}
            return state
        if isinstance(s, If):
            t = self.block(s.then, dict(state), rewrite, after)
            e = self.block(s.orelse, dict(state), rewrite, after)
            return {b: self.meet(t[b], e[b]) for b in t if b in e}
        if isinstance(s, For):
            element = self.element_loop(s, state, rewrite)
            if element is not None:
                return element
            return self.loop(s, state, rewrite, after)
        # While: no rewrites inside; forget what is known of every buffer it touches
        used = _uses([s])
        return {b: [] if b in used else z for b, z in state.items()}

    def loop(self, s: For, entry: dict, rewrite: bool, after: set) -> dict:
        inside = block_defs(s.body) | {s.ivar}
        entry = {b: z for b, z in entry.items() if not any(b is v for v in s.inits)}

        def at_head(state: dict) -> dict:
            return {b: [(lo, hi) for lo, hi in z if self.invariant(lo, inside) and
                        self.invariant(hi, inside)] for b, z in state.items() if b in entry}

        head = at_head(entry)
        inner = after | _uses([s])  # the next iteration reads what the body reads
        for _ in range(4):
            out = at_head(self.block(s.body, dict(head), False, inner))
            new = {b: self.meet(entry[b], out[b]) for b in head if b in out}
            if self.same(new, head):
                break
            head = new
        else:
            head = {}
        self.block(s.body, dict(head), rewrite, inner)
        if rewrite:
            self.drop_dead_clears(s, after)
        return head

    def element_loop(self, s: For, state: dict, rewrite: bool) -> dict | None:
        """A step-1 loop whose writes to tracked buffers are all B[i] = ...: its effect on
        each buffer's zero intervals; None if the loop is not of that shape."""
        if not (isinstance(s.step, Const) and s.step.value == 1):
            return None
        writes = {}  # buffer -> its single top-level setitem
        for t in walk(s.body):
            if not isinstance(t, Op):
                if isinstance(t, (For, While)) and any(b in _uses([t]) for b in state):
                    return None
                continue
            for b in (a for a in t.args if isinstance(a, Var) and a in state):
                if t.prim == "setitem" and t.args[0] is b and len(t.args) == 3 and \
                        t.args[1] is s.ivar and t in s.body.stmts and b not in writes:
                    writes[b] = t
                elif not _reads(t.prim):
                    return None
        if not writes:
            return None
        state = dict(state)
        for b, w in writes.items():
            zero = state[b]
            if not self.le(const(0), s.start):  # negative indices wrap around: no claims
                state[b] = []
                continue
            val = w.args[2]
            if isinstance(val, Const) and val.value == 0:
                state[b] = self.minus(zero, s.start, s.stop) + [(s.start, s.stop)]
                continue
            rest = self.accumulated(s.body, w, b, s.ivar)
            if rest is not None and self.contains(zero, s.start, s.stop) and rewrite:
                dead = {id(self.defs[w.args[2]]), id(self.defs[self.defs[w.args[2]].args[0]])}
                w.args[2] = rest
                _remove(s.body, dead)
            state[b] = self.minus(zero, s.start, s.stop)
        return state

    def accumulated(self, body: Block, w: Op, b: Var, ivar: Var):
        """e if the write is B[i] = B[i] + e (B[i] read only there), else None."""
        add = self.defs.get(w.args[2])
        if not (isinstance(add, Op) and add.prim == "add"):
            return None
        get = self.defs.get(add.args[0])
        if not (isinstance(get, Op) and get.prim == "getitem" and get.args[0] is b and
                get.args[1:] == [ivar]):
            return None
        def count(v) -> int:
            return sum(1 for t in walk(body) for a in stmt_uses(t) if a is v) + \
                sum(1 for bl in blocks(body) for a in bl.yields if a is v)
        return add.args[1] if count(add.args[0]) == 1 == count(w.args[2]) else None

    def drop_dead_clears(self, s: For, after: set) -> None:
        """A loop body that ends by clearing B[lo:hi) and begins (for B) by storing into the
        same range without reading: the clears are never read, if B is dead after the loop."""
        stmts = s.body.stmts
        inside = block_defs(s.body) | {s.ivar}
        for k in range(len(stmts) - 1, -1, -1):
            clear = stmts[k]
            b = _cleared(clear)
            if b is None or b in after or any(b in _uses([t]) for t in stmts[k + 1:]):
                continue
            first = next((t for t in stmts if b in _uses([t])), None)
            if first is clear or not isinstance(first, For) or \
                    not _stores_only(first, b) or not all(
                    self.invariant(v, inside) for v in (clear.start, clear.stop)) or \
                    self.key(first.start) != self.key(clear.start) or \
                    self.key(first.stop) != self.key(clear.stop):
                continue
            clear.body.stmts = [t for t in clear.body.stmts
                                if not (isinstance(t, Op) and t.prim == "setitem")]


def _buffers(fn: Function) -> set:
    """1-D arrays allocated in the function and never aliased: every use reads or writes
    elements, asks for the length, or adds in place (no views, no loop-carried copies)."""
    fresh = {s.result for s in walk(fn.body) if isinstance(s, Op) and s.results and
             PRIMS[s.prim].fill in ("zeros", "ones", "empty", "copy") and isinstance(s.result.type, ArrayT) and s.result.type.ndim == 1}
    for s in walk(fn.body):
        for k, a in enumerate(stmt_uses(s)):
            if isinstance(a, Var) and a in fresh and not (isinstance(s, Op) and (
                    _reads(s.prim) or s.prim == "iadd" or s.prim == "setitem" and k == 0)):
                fresh.discard(a)
    return fresh


def _remove(body: Block, ids: set) -> None:
    for bl in blocks(body):
        bl.stmts = [t for t in bl.stmts if id(t) not in ids]


def _cleared(s) -> Var | None:
    """B if s is `for i in range(..): B[i] = 0.0` (nothing else)."""
    if not isinstance(s, For) or len(s.body.stmts) != 1 or s.params:
        return None
    t = s.body.stmts[0]
    if isinstance(t, Op) and t.prim == "setitem" and len(t.args) == 3 and \
            t.args[1] is s.ivar and isinstance(t.args[2], Const) and t.args[2].value == 0:
        return t.args[0]
    return None


def _stores_only(s: For, b: Var) -> bool:
    """Every use of B in the loop is one store B[i] = e with e not reading B."""
    if not isinstance(s, For):
        return False
    uses = [t for t in walk(s.body) if b in stmt_uses(t)]
    return len(uses) == 1 and isinstance(uses[0], Op) and uses[0].prim == "setitem" and \
        uses[0].args[0] is b and uses[0].args[1] is s.ivar and uses[0].args[2] is not b and \
        uses[0] in s.body.stmts and isinstance(s.step, Const) and s.step.value == 1


def _uses(stmts: list) -> set:
    out = set()
    for s in stmts:
        out.update(v for v in stmt_uses(s) if isinstance(v, Var))
        for sb in sub_blocks(s):
            out |= block_uses(sb)
    return out


def _scale(a, k: int):
    terms, c = a
    return (frozenset((v, m * k) for v, m in terms if m * k), c * k)


def _plus(a, b):
    acc: dict = {}
    for v, m in (*a[0], *b[0]):
        acc[v] = acc.get(v, 0) + m
    return (frozenset((v, m) for v, m in acc.items() if m), a[1] + b[1])


# ------------------------------------------------------------ zeros that are never read
def _first_writes(b: Block, ow: _Overwrite) -> None:
    """B = zeros_like(X) whose first use is a chain of store loops covering [0, len(B)),
    alone or as the branch of an If whose other branch leaves B alone: allocate it empty
    (and fill it on that other branch)."""
    for s in b.stmts:
        for sb in sub_blocks(s):
            _first_writes(sb, ow)
    for k, s in enumerate(b.stmts):
        if not (isinstance(s, Op) and PRIMS[s.prim].fill == "zeros" and
                isinstance(s.result.type, ArrayT) and s.result.type.ndim == 1):
            continue
        buf = s.result
        n = _length(s, ow)
        nxt = next((t for t in b.stmts[k + 1:] if buf in _uses([t]) and not (
            isinstance(t, Op) and PRIMS[t.prim].shape_only)), None)
        if n is None or nxt is None:
            continue
        if isinstance(nxt, If) and buf not in _uses(nxt.orelse.stmts) and \
                _covers(nxt.then.stmts, buf, n, ow):
            _fill(nxt.orelse, buf, s)
        elif not _covers([nxt], buf, n, ow):
            continue
        s.prim = "empty_like" if s.prim == "zeros_like" else "empty"


def _length(alloc: Op, ow: _Overwrite):
    """The Value len(B) of a 1-D allocation, as an existing SSA value."""
    if alloc.prim == "zeros":
        return alloc.args[0]
    x = alloc.args[0]
    return next((r for r, d in ow.defs.items() if d.prim == "len" and d.args[0] is x), None)


def _covers(stmts: list, buf: Var, n, ow: _Overwrite) -> bool:
    chain = [t for t in stmts if buf in _uses([t])]
    if not chain or not all(_stores_only(t, buf) for t in chain):
        return False
    if ow.key(chain[0].start) != ow.key(const(0)) or not ow.le(n, chain[-1].stop):
        return False
    for a, c in zip(chain, chain[1:]):  # each range starts where the one before ends
        linked = ow.key(a.stop) == ow.key(c.start) and ow.le(a.start, a.stop)
        if not linked and ow.key(c.start) != ow.key(ow.max_of(a.start, a.stop)):
            return False
    # nothing between the stores reads B
    first, last = stmts.index(chain[0]), stmts.index(chain[-1])
    return all(t in chain or buf not in _uses([t]) for t in stmts[first:last + 1])


def _fill(block: Block, buf: Var, alloc: Op) -> None:
    bld = Builder(Block())
    bld.loc = alloc.loc
    n = bld.op("len", buf)
    i = Var("i_fill", I64)
    body = Block()
    with bld.into(body):
        bld.effect("setitem", buf, i, const(0.0, buf.type.dtype))
    bld.append(For(i, const(0), n, const(1), [], [], body, [], alloc.loc))
    block.stmts = bld.block.stmts + block.stmts
