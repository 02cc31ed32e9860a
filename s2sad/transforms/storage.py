"""Thread the recording stacks through the adjoint's regions.

The adjoint transform emits abstract `push(v)` (end of a forward iteration) and
`v = pop()` (start of the reverse iteration). This pass makes the stacks explicit SSA
values: two 1-D arrays (`tape_f` for floats, `tape_i` for ints and branch decisions) and
their stack pointers, carried through every loop and If that pushes or pops:

    tape_f = push(tape_f, sp_f, x0); sp_f = sp_f + 1        (forward)
    sp_f = sp_f - 1; x0 = tape_f[sp_f]                      (reverse)

`push` grows the array by doubling when it is full. A loop nest whose pushes are counted
before it runs (range loops all the way down, no push under an If or a while loop, inner
bounds computed outside the nest) reserves its whole record once, before the nest, and
its pushes become plain stores (`tape_f[sp_f] = x0`: no capacity check, the stack is not
a loop-carried value, the loop can be vectorised). A nest whose inner bounds depend on
its own index (`range(i + 1, d)`) reserves once per iteration of the loop whose body is
counted that way; anything else keeps checked pushes, with room reserved for a loop's
own unconditional pushes. For CUDA the same sizes are computed before launch
(docs/storage.md).
"""

from __future__ import annotations

from .. import switches
from ..ir.builder import Builder, const
from ..ir.nodes import Block, Const, For, Function, If, Op, Var, While, loop_defs, walk
from ..ir.rewrite import substitute
from ..ir.types import BOOL, F32, F64, I64, ArrayT

TAPE_F = ArrayT(F64, 1)
TAPE_I = ArrayT(I64, 1)


def _kind(t) -> str:
    return "f" if t in (F64, F32) else "i"


def _touches(block: Block) -> bool:
    return any(isinstance(s, Op) and s.prim in ("push", "pop") for s in walk(block))


class _State:
    def __init__(self, tf, sf, ti, si):
        self.v = {"tf": tf, "sf": sf, "ti": ti, "si": si}

    def copy(self):
        st = _State(None, None, None, None)
        st.v = dict(self.v)
        return st


_NAMES = {"tf": ("tape_f", TAPE_F), "sf": ("sp_f", I64), "ti": ("tape_i", TAPE_I),
          "si": ("sp_i", I64)}


def _pushes(block: Block) -> bool:
    return any(isinstance(s, Op) and s.prim == "push" for s in walk(block))


def _countable(block: Block, inside: set[Var]) -> bool:
    """The pushes of `block` are counted before it runs, from values not in `inside`:
    scalar pushes at its level and in range loops whose bounds are known outside."""
    for t in block.stmts:
        if isinstance(t, Op) and t.prim == "push" and isinstance(t.args[0].type, ArrayT):
            return False
        if isinstance(t, (If, While)) and any(_pushes(b) for b in (
                *((t.then, t.orelse) if isinstance(t, If) else (t.cond, t.body)),)):
            return False
        if isinstance(t, For) and _pushes(t.body):
            if any(isinstance(v, Var) and v in inside for v in (t.start, t.stop, t.step)):
                return False
            if not _countable(t.body, inside):
                return False
    return True


def _count(b: Builder, block: Block, k: str):
    """The number of kind-k pushes one run of a countable block makes (an IR value)."""
    total = const(sum(1 for t in block.stmts if isinstance(t, Op) and t.prim == "push"
                      and _kind(t.args[0].type) == k))
    for t in block.stmts:
        if isinstance(t, For) and any(isinstance(u, Op) and u.prim == "push" and
                                      _kind(u.args[0].type) == k for u in walk(t.body)):
            n = b.op("mul", b.op("trip_count", t.start, t.stop, t.step), _count(b, t.body, k))
            total = n if isinstance(total, Const) and total.value == 0 else \
                b.op("add", total, n)
    return total


def _reserve_all(b: Builder, kinds, block: Block, st: _State, times=None,
                 later=()) -> None:
    """Room for `times` runs of block, and for one run of each loop in `later`."""
    for k in kinds:
        n = _count(b, block, k)
        if isinstance(n, Const) and n.value == 0:
            n = None
        elif times is not None:
            n = b.op("mul", times, n)
        for t in later:
            if k in _kinds(t.body):
                m = b.op("mul", b.op("trip_count", t.start, t.stop, t.step),
                         _count(b, t.body, k))
                n = m if n is None else b.op("add", n, m)
        name, t = _NAMES["t" + k]
        st.v["t" + k] = b.op("reserve", st.v["t" + k], b.op("add", st.v["s" + k], n),
                             name=name, type=t)


def _kinds(block: Block) -> list[str]:
    return [k for k in ("f", "i") if any(isinstance(t, Op) and t.prim == "push" and
                                         _kind(t.args[0].type) == k for t in walk(block))]


def _later_countable(stmts: list, at: int) -> list[For]:
    """The range loops after stmts[at] whose pushes are counted from values defined
    before it: the reserve before stmts[at] makes room for theirs too, so that the stack
    does not double for them later (and holds what the call needs, not twice that)."""
    made: set[Var] = set()
    for t in stmts[at:]:
        made.update(t.results)
        if isinstance(t, (For, While, If)):
            made |= loop_defs(t) if not isinstance(t, If) else {
                r for u in walk(t.then) for r in u.results} | {
                r for u in walk(t.orelse) for r in u.results}
    out = []
    for t in stmts[at + 1:]:
        if not (isinstance(t, For) and _pushes(t.body) and _countable(t.body, loop_defs(t))):
            continue
        loops = [u for u in (t, *walk(t.body)) if isinstance(u, For) and _pushes(u.body)]
        if not any(isinstance(v, Var) and v in made for u in loops
                   for v in (u.start, u.stop, u.step)):
            out.append(t)
    return out


def _thread(block: Block, st: _State, covered: bool = False) -> None:
    """covered: room for every push of this block is reserved already (plain stores)."""
    new = []
    b = Builder(Block())
    for at, s in enumerate(block.stmts):
        if isinstance(s, Op) and s.prim == "push" and isinstance(s.args[0].type, ArrayT):
            # an array: its elements on the float stack, its shape on the int stack
            (v,) = s.args
            b.block = Block()
            b.loc = s.loc
            tf, sf = st.v["tf"], st.v["sf"]
            st.v["tf"] = b.op("push_array", tf, sf, v, name="tape_f", type=tf.type)
            st.v["sf"] = b.op("add", sf, b.op("size", v), name="sp_f")
            for axis in range(v.type.ndim):
                ti, si = st.v["ti"], st.v["si"]
                st.v["ti"] = b.op("push", ti, si, b.op("dim", v, axis=axis), name="tape_i",
                                  type=ti.type)
                st.v["si"] = b.op("add", si, const(1), name="sp_i")
            new += b.block.stmts
        elif isinstance(s, Op) and s.prim == "pop" and isinstance(s.results[0].type, ArrayT):
            r = s.results[0]
            b.block = Block()
            b.loc = s.loc
            dims = [None] * r.type.ndim
            for axis in reversed(range(r.type.ndim)):
                st.v["si"] = b.op("sub", st.v["si"], const(1), name="sp_i")
                dims[axis] = b.op("getitem", st.v["ti"], st.v["si"])
            n = dims[0]
            for d in dims[1:]:
                n = b.op("mul", n, d)
            st.v["sf"] = b.op("sub", st.v["sf"], n, name="sp_f")
            if len(dims) <= 2:
                b.append(Op("pop_array", [st.v["tf"], st.v["sf"], *dims], [r], {}, s.loc))
            else:  # the runtime pops vectors and matrices: a flat vector, reshaped
                flat = b.op("pop_array", st.v["tf"], st.v["sf"], n, name=r.name,
                            type=ArrayT(r.type.dtype, 1))
                b.append(Op("reshape", [flat, *dims], [r], {"ndim": len(dims)}, s.loc))
            new += b.block.stmts
        elif isinstance(s, Op) and s.prim == "push":
            (v,) = s.args
            k = _kind(v.type)
            tape, sp = st.v["t" + k], st.v["s" + k]
            b.block = Block()
            b.loc = s.loc
            if covered:
                b.effect("setitem", tape, sp, v)
                tape2 = tape
            else:
                tape2 = b.op("push", tape, sp, v, name=_NAMES["t" + k][0], type=tape.type)
            sp2 = b.op("add", sp, const(1), name=_NAMES["s" + k][0])
            new += b.block.stmts
            st.v["t" + k], st.v["s" + k] = tape2, sp2
        elif isinstance(s, Op) and s.prim == "pop":
            r = s.results[0]
            k = _kind(r.type)
            tape, sp = st.v["t" + k], st.v["s" + k]
            b.block = Block()
            b.loc = s.loc
            sp2 = b.op("sub", sp, const(1), name=_NAMES["s" + k][0])
            if r.type == BOOL:
                raw = b.op("getitem", tape, sp2)
                b.append(Op("ne", [raw, const(0)], [r], {}, s.loc))
            else:
                b.append(Op("getitem", [tape, sp2], [r], {}, s.loc))
            new += b.block.stmts
            st.v["s" + k] = sp2
        elif isinstance(s, If) and (_touches(s.then) or _touches(s.orelse)):
            sts = []
            for blk in (s.then, s.orelse):
                sub = st.copy()
                _thread(blk, sub)
                sts.append(sub)
            for key in st.v:
                a, c = sts[0].v[key], sts[1].v[key]
                if a is c:
                    continue
                s.then.yields.append(a)
                s.orelse.yields.append(c)
                name, t = _NAMES[key]
                r = Var(name, t)
                s.results.append(r)
                st.v[key] = r
            new.append(s)
        elif isinstance(s, (For, While)) and _touches(s.body):
            inner, per_iter = covered, False
            if isinstance(s, For) and not covered and _pushes(s.body) and \
                    "reserve" not in _disabled():
                kinds = _kinds(s.body)
                if _countable(s.body, loop_defs(s)):
                    b.block = Block()
                    b.loc = s.loc
                    later = _later_countable(block.stmts, at)
                    kinds += [k for k in ("f", "i") if k not in kinds and
                              any(k in _kinds(t.body) for t in later)]
                    _reserve_all(b, kinds, s.body, st,
                                 b.op("trip_count", s.start, s.stop, s.step), later)
                    new += b.block.stmts
                    inner = True
                elif _countable(s.body, loop_defs(s) - {s.ivar, *s.params}):
                    per_iter = inner = True
            if isinstance(s, For) and not inner:
                new += _reserve(s, st)
            params = {key: Var(*_NAMES[key]) for key in st.v}
            sub = st.copy()
            sub.v = dict(params)
            pre = []
            if per_iter:
                b.block = Block()
                b.loc = s.loc
                _reserve_all(b, _kinds(s.body), s.body, sub)
                pre = b.block.stmts
            _thread(s.body, sub, inner and isinstance(s, For))
            s.body.stmts[:0] = pre
            for key, p in params.items():
                if sub.v[key] is p:  # unchanged by the body: no need to carry it
                    substitute(s.body, {p: st.v[key]})
                    continue
                s.params.append(p)
                s.inits.append(st.v[key])
                s.body.yields.append(sub.v[key])
                r = Var(*_NAMES[key])
                s.results.append(r)
                st.v[key] = r
            new.append(s)
        else:
            new.append(s)
    block.stmts = new


def _reserve(s: For, st: _State) -> list:
    """Before a range loop whose body records unconditionally: make room for all of it."""
    b = Builder(Block())
    b.loc = s.loc
    for k in ("f", "i"):
        per_iter = sum(1 for t in s.body.stmts if isinstance(t, Op) and t.prim == "push"
                       and _kind(t.args[0].type) == k)
        if not per_iter:
            continue
        n = b.op("trip_count", s.start, s.stop, s.step)
        need = b.op("add", st.v["s" + k], b.op("mul", n, const(per_iter)))
        name, t = _NAMES["t" + k]
        st.v["t" + k] = b.op("reserve", st.v["t" + k], need, name=name, type=t)
    return b.block.stmts


def _disabled() -> set[str]:
    """S2SAD_DISABLE=reserve: checked pushes everywhere (the comparison the tests make)."""
    return switches.disabled()


def thread_tapes(fn: Function) -> Function:
    tf, ti = Var("tape_f", TAPE_F), Var("tape_i", TAPE_I)
    if not _touches(fn.body):
        fn.tape_state = None
        return fn
    b = Builder(Block())
    b.loc = fn.loc
    b.append(Op("empty", [const(16)], [tf], {"dtype": "f64"}))
    b.append(Op("empty", [const(16)], [ti], {"dtype": "i64"}))
    st = _State(tf, const(0), ti, const(0))
    _thread(fn.body, st)
    fn.body.stmts[:0] = b.block.stmts
    fn.tape_state = st.v
    stacks = {name for name, _ in _NAMES.values()}
    for s in walk(fn.body):  # the stacks serve the reverse sweep: derivative work
        for v in [*s.results, *getattr(s, "params", ())]:
            if v.name in stacks:
                v.deriv = True
    return fn


def report_storage(fn: Function) -> None:
    """Append to the outputs the bytes held by the two stacks at the end of the call."""
    st = fn.tape_state
    b = Builder(fn.body)
    sizes = [const(0), const(0)] if st is None else [
        const(0) if isinstance(st["s" + k], Const) else b.op("size", st["t" + k])
        for k in ("f", "i")]
    for snap in fn.snapshots:  # checkpoints: 8-byte floats and ints too
        sizes[0] = b.op("add", sizes[0], b.op("size", snap))
    fn.body.yields += sizes
