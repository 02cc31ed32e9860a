"""Fuse: a chain of elementwise NumPy ops over 1-D arrays of one length becomes one loop.

Runs on the primal, before differentiation, so the derivative is that of an element loop
(one pass, no temporaries; the adjoint in gather form by passes/gather.py):

    v1 = x[1:]; v2 = x[:-1]               for i in range(len(x) - 1) carry (acc = 0.0):
    t = v1 - v2 ** 2               ->         t = x[i + 1] - x[i] ** 2
    s = sum(100.0 * t ** 2)                   acc = acc + 100.0 * t ** 2
                                          s = acc

Leaves are scalars and 1-D arrays: a whole array, or a slice a[s:-t] (step 1, constant
s >= 0, constant t > 0 or no stop), whose length is max(0, len(a) - s - t). Arrays are
fused together only when their lengths are provably equal: the same base and the same
s + t, elementwise ops passing the length on; never two separate parameters x and y,
which NumPy might broadcast. Members are elementwise ops whose partials are finite (an
infinite partial times the zero cotangent of a branch np.where discards is NaN in a loop,
where an array op's adjoint masks it: sqrt, log, division by a variable stay NumPy ops).
Roots are sum, mean and 1-D dot (loop-carried accumulators); a member used outside its
cluster is written into an array allocated before the loop.

When it pays (a Numba loop against NumPy's kernels, gradients timed; docs/optimizations.md):
- a cluster is fused when it saves at least one temporary array;
- straight-line code runs on NumPy (compile.choose_backend) and a loop moves the whole function
  to Numba, whose exp, log, tanh, ... are 3-10x slower than NumPy's SIMD kernels and whose
  2-D array code is slower too: such a function is fused only if it has no 2-D arrays and
  none of those functions (nor non-integer powers) on arrays;
- a function with loops runs on Numba anyway: there exp, tanh, sin and the others with
  finite partials are fused as well, outside loop bodies (inside one the adjoint would
  record per element what it now records per array).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir.builder import Builder, const
from ..ir.nodes import (
    Block,
    Const,
    For,
    Function,
    If,
    Op,
    Stmt,
    Var,
    While,
    block_uses,
    stmt_uses,
    sub_blocks,
    walk,
)
from ..ir.primitives import PRIMS
from ..ir.types import BOOL, F64, I64, ArrayT, Scalar
from ..rules import RULES


def _member(prim: str, costly: bool) -> bool:
    """An elementwise op fuse can write into an element loop: cheap (or, in functions that
    loop anyway, a library call per element), and with finite partials (no masking of
    inf/nan cotangents, which the whole-array adjoint needs)."""
    p, rule = PRIMS[prim], RULES.get(prim)
    if not p.elementwise or p.view or rule is None or not rule.finite:
        return False
    return p.cost in ("free", "cheap") or (costly and p.cost == "costly")


def fuse(fn: Function) -> Function:
    loops = any(isinstance(s, For | While) for s in walk(fn.body))
    if not loops and not _numba_friendly(fn):
        return fn
    _Fuser(fn, allow_costly=loops).block(fn.body)
    return fn


def _vec(v) -> bool:
    return isinstance(v, Var) and isinstance(v.type, ArrayT) and v.type.ndim == 1


def _int_power(op: Op) -> bool:
    e = op.args[1]
    return isinstance(e, Const) and isinstance(e.type, Scalar) and \
        float(e.value).is_integer() and e.value >= 1


def _numba_friendly(fn: Function) -> bool:
    """No op that NumPy runs much faster than Numba (2-D arrays, SIMD transcendentals)."""
    if any(isinstance(p.type, ArrayT) and p.type.ndim > 1 for p in fn.params):
        return False
    for s in walk(fn.body):
        if not isinstance(s, Op):
            continue
        if any(isinstance(v.type, ArrayT) and v.type.ndim > 1 for v in [*s.args, *s.results]):
            return False
        if s.results and isinstance(s.results[0].type, ArrayT) and (
                (PRIMS[s.prim].elementwise and PRIMS[s.prim].cost == "costly") or
                (s.prim == "pow" and not _int_power(s))):
            return False
    return True


def _slice(op: Op) -> tuple[int, int] | None:
    """(s, t) for a[s:-t] (1-D, step 1, constant s >= 0, t > 0 or no stop), else None."""
    spec = op.attrs.get("spec")
    if op.attrs.get("copy") or not spec or len(spec) != 1 or spec[0][0] != "s":
        return None
    vals = iter(op.args[1:])
    lo, hi, st = (next(vals) if has else None for has in spec[0][1:])
    if not all(v is None or isinstance(v, Const) and v.type == I64 for v in (lo, hi, st)):
        return None
    if st is not None and st.value != 1 or lo is not None and lo.value < 0 or \
            hi is not None and hi.value >= 0:
        return None
    return (lo.value if lo is not None else 0), (-hi.value if hi is not None else 0)


@dataclass(eq=False)
class _Cluster:
    cls: tuple  # (root array, k): the length is max(len(root) - k, 0)
    ops: list[Op] = field(default_factory=list)
    members: dict = field(default_factory=dict)  # result Var -> Op
    sums: set = field(default_factory=set)  # root results (known after the loop only)


class _Fuser:
    def __init__(self, fn: Function, allow_costly: bool):
        self.allow_costly = allow_costly
        self.defs: dict[Var, Stmt] = {r: s for s in walk(fn.body) for r in s.results}
        self.users: dict[Var, list] = {}  # Var -> the statements reading it (None: a yield)

        def count(b: Block) -> None:
            for s in b.stmts:
                for v in stmt_uses(s):
                    if isinstance(v, Var):
                        self.users.setdefault(v, []).append(s)
                for sb in sub_blocks(s):
                    count(sb)
            for v in b.yields:
                if isinstance(v, Var):
                    self.users.setdefault(v, []).append(None)

        count(fn.body)
        self._cls: dict[Var, tuple] = {}
        for d in walk(fn.body):  # in program order: arguments first
            if not isinstance(d, Op) or len(d.results) != 1 or not _vec(d.result):
                continue
            if d.prim == "getslice" and _vec(d.args[0]) and (sl := _slice(d)) is not None:
                r, k = self.cls(d.args[0])
                self._cls[d.result] = (r, k + sl[0] + sl[1])
            elif PRIMS[d.prim].elementwise:
                cs = {self.cls(a) for a in d.args if _vec(a)}
                if len(cs) == 1 and all(_vec(a) or not isinstance(a.type, ArrayT)
                                        for a in d.args):
                    self._cls[d.result] = cs.pop()

    # ------------------------------------------------------------ lengths and elements
    def cls(self, v: Var) -> tuple:
        """(root, k): len(v) == max(len(root) - k, 0)."""
        return self._cls.get(v) or (v, 0)

    def access(self, v: Var) -> tuple[Var, int]:
        """(base, s): element i of v is base[s + i]."""
        d = self.defs.get(v)
        if isinstance(d, Op) and d.prim == "getslice" and _vec(d.args[0]) and \
                (sl := _slice(d)) is not None:
            base, s = self.access(d.args[0])
            return base, s + sl[0]
        return v, 0

    def member_class(self, op: Op) -> tuple | None:
        """The length class of an op that can join a cluster as a member, else None."""
        if len(op.results) != 1 or not _vec(op.result) or \
                op.result.type.dtype not in (F64, BOOL):
            return None
        p = op.prim
        if not (_member(p, self.allow_costly) or
                (p == "pow" and _int_power(op)) or
                (p == "div" and isinstance(op.args[1], Const) and
                 isinstance(op.args[1].type, Scalar) and op.args[1].value != 0)):
            return None
        if (op.result.type.dtype == BOOL) != (PRIMS[p].typing == "bool"):
            return None
        cs = set()
        for a in op.args:
            if isinstance(a.type, ArrayT):
                if not _vec(a) or a.type.dtype not in (F64, BOOL):
                    return None
                cs.add(self.cls(a))
            elif not isinstance(a.type, Scalar):
                return None
        return cs.pop() if len(cs) == 1 else None

    def root_class(self, op: Op) -> tuple | None:
        if not PRIMS[op.prim].is_sum or op.attrs.get("axis") is not None or \
                len(op.results) != 1 or op.result.type != F64:
            return None
        if not all(_vec(a) and a.type.dtype == F64 for a in op.args):
            return None
        cs = {self.cls(a) for a in op.args}
        return cs.pop() if len(cs) == 1 else None

    # ------------------------------------------------------------ clusters
    def block(self, b: Block) -> None:
        out: list[Stmt] = []
        open_: dict[tuple, _Cluster] = {}
        owner: dict[Var, _Cluster] = {}

        def close(cl: _Cluster) -> None:
            del open_[cl.cls]
            for v in [*cl.members, *cl.sums]:
                owner.pop(v, None)
            out.extend(self.emit(cl))

        for s in b.stmts:
            if isinstance(s, If):
                self.block(s.then)
                self.block(s.orelse)
            if isinstance(s, Op):
                c, root = self.member_class(s), False
                if c is None:
                    c, root = self.root_class(s), True
                if c is not None:
                    for a in s.args:  # a total is known after its loop only
                        cl = owner.get(a)
                        if cl is not None and (a in cl.sums or cl.cls != c):
                            close(cl)
                    cl = open_.get(c) or open_.setdefault(c, _Cluster(c))
                    cl.ops.append(s)
                    if root:
                        cl.sums.add(s.result)
                    else:
                        cl.members[s.result] = s
                    owner[s.result] = cl
                    continue
            if _impure(s):
                for cl in list(open_.values()):
                    close(cl)
            else:
                used = set(v for v in stmt_uses(s) if isinstance(v, Var))
                for sb in sub_blocks(s):
                    used |= block_uses(sb)
                for cl in {id(owner[v]): owner[v] for v in used if v in owner}.values():
                    close(cl)
            out.append(s)
        for cl in list(open_.values()):
            close(cl)
        b.stmts = out

    def emit(self, cl: _Cluster) -> list[Stmt]:
        """The cluster's loop, or its ops unchanged where no temporary would be saved."""
        ids = {id(o) for o in cl.ops}
        kept = [m for m in cl.members
                if any(u is None or id(u) not in ids for u in self.users.get(m, ()))]
        if len(cl.members) - len(kept) < 1:
            return list(cl.ops)
        root, k = cl.cls
        post_needed = any(op.prim == "mean" for op in cl.ops)
        pre = Builder()
        pre.loc = cl.ops[0].loc
        n = pre.op("len", root)
        stop = pre.op("sub", n, const(k)) if k else n  # range(stop) is empty for stop < 0
        length = pre.op("max", stop, const(0)) if k and (kept or post_needed) else stop
        for m in kept:
            pre.append(Op("empty", [length], [m], {"dtype": "bool" if m.type.dtype == BOOL
                                                   else "f64"}, cl.members[m].loc))
        i = Var("i", I64)
        body = Builder(Block())
        elems: dict = {}
        loads: dict = {}

        def elem(v):
            if not isinstance(v.type, ArrayT):
                return v
            if v not in elems:
                base, s = self.access(v)
                if (base, s) not in loads:
                    idx = body.op("add", i, const(s)) if s else i
                    loads[(base, s)] = body.op("getitem", base, idx)
                elems[v] = loads[(base, s)]
            return elems[v]

        params, inits, results, post = [], [], [], []
        for op in cl.ops:
            body.loc = op.loc
            if op.result in cl.members:
                args = [elem(a) for a in op.args]
                if op.prim == "where":
                    prim = "select"
                    args[1:] = [const(float(a.value)) if isinstance(a, Const) and
                                op.result.type.dtype == F64 else a for a in args[1:]]
                else:
                    prim = op.prim
                e = body.op(prim, *args, name="" if op.result in kept else op.result.name,
                            **op.attrs)
                elems[op.result] = e
                if op.result in kept:
                    body.effect("setitem", op.result, i, e)
                    # now an allocated, filled array: no longer -x (so -(it) is not x)
                    op.result.defn = None
                continue
            term = elem(op.args[0]) if op.prim != "matmul" else \
                body.op("mul", elem(op.args[0]), elem(op.args[1]))
            acc = Var(op.result.name, F64)
            params.append(acc)
            inits.append(const(0.0))
            body.block.yields.append(body.op("add", acc, term))
            if op.prim == "mean":
                total = Var(op.result.name, F64)
                results.append(total)
                post.append(Op("div", [total, Var("", F64)], [op.result], {}, op.loc))
            else:
                results.append(op.result)
        stmts = pre.block.stmts
        stmts.append(For(i, const(0), stop, const(1), params, inits, body.block, results,
                         cl.ops[0].loc))
        for d in post:  # mean = total / float(length)
            fl = d.args[1]
            stmts.append(Op("float", [length], [fl], {}, d.loc))
            stmts.append(d)
        return stmts


def _impure(s: Stmt) -> bool:
    """Writes memory: the loop, placed later, must not read what it wrote."""
    ops = [s] if isinstance(s, Op) else [t for b in sub_blocks(s) for t in walk(b)]
    return any(isinstance(t, Op) and PRIMS[t.prim].effect for t in ops)
