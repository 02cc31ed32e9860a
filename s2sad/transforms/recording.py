"""What the reverse iteration of a loop reads of its forward iteration: recomputed, when
it is cheap (index arithmetic, loads from arrays no write changes, cheap arithmetic on
those: the op table's `recompute`), or recorded: pushed at the end of the forward
iteration and popped at the start of the reverse one (transforms/storage.py threads the
stacks)."""

from __future__ import annotations

from collections.abc import Callable

from .. import switches
from ..errors import S2SADError
from ..ir.builder import Builder
from ..ir.nodes import Block, Const, For, If, Op, Value, Var, sub_blocks
from ..ir.primitives import PRIMS
from ..ir.rewrite import free_vars, substitute
from ..ir.types import BOOL, F32, F64, I64, ArrayT
from .selection import last_taken


def restore(s, rbody: Block, rivar: Var, changes_after: Callable[[Var, Op], bool],
            pairs: dict, twins: dict | None = None, refill=None) -> None:
    """Recompute, or record and restore, the forward values of loop s that its reversed
    body `rbody` reads; `changes_after(arr, load)`: a write may change arr after the load;
    `pairs`: the numbering of push/pop pairs, shared by the function's loops; `twins`:
    loads invariant in s -> the same load before s (transforms/hoist.py), read instead;
    `refill`: loads of what an earlier element loop wrote, recomputed (refill.py)."""
    twins = twins or {}
    level_defs = _level_defs(s)
    defs = {}
    for st in _level_stmts(s.body):
        for r in st.results:
            defs[r] = st
    mapping: dict[Var, Value] = {}
    if isinstance(s, For):
        mapping[s.ivar] = rivar
    tbr = "tbr" not in _disabled()
    counters = _affine_counters(s, level_defs) if tbr else {}
    steps = {p: v for p, v in _stepped(s).items() if p not in counters} if tbr else {}
    undone = []  # (the reversed loop's param, its init, its yield)

    def cheap(v, seen=frozenset(), twin_ok=True) -> bool:
        if isinstance(s, For) and v is s.ivar or v in counters or twin_ok and v in twins:
            return True
        if v in steps and v not in seen:
            return all(not isinstance(a, Var) or a not in level_defs or cheap(a, seen | {v})
                       for a in steps[v][1:])
        st = defs.get(v)
        if not isinstance(st, Op) or v in seen:
            return False
        if PRIMS[st.prim].access and not PRIMS[st.prim].effect:  # a load
            if st.args[0] in level_defs or changes_after(st.args[0], st):
                return False
            # from an array nothing writes: read again, at an index recorded if need be
            # (one int recorded instead of the index and the value: A[r, perm[r]])
            return all(not isinstance(a, Var) or a not in level_defs or cheap(a, seen | {v})
                       or (tbr and a.type == I64) for a in st.args[1:])
        elif not PRIMS[st.prim].recompute:
            return False
        return all(not isinstance(a, Var) or a not in level_defs or cheap(a, seen | {v})
                   for a in st.args)

    order: list[Var] = []
    taped: list[Var] = []
    refilled: dict = {}
    selected: dict = {}
    twin_of = set(twins.values())

    def visit(v):
        if v in order or v in taped or v in mapping:
            return
        st = defs.get(v)
        if v in twins and not cheap(v, twin_ok=False):
            mapping[v] = twins[v]  # read before the loop (recorded there if need be)
            return
        read_op = st.then.stmts[0] if isinstance(st, If) and v in twin_of else st
        found = refill.expression(s, read_op) if refill is not None and \
            isinstance(read_op, Op) and read_op.prim == "getitem" and \
            not cheap(v, twin_ok=False) else None
        if found is not None:
            refilled[v] = found
            order.append(v)
        elif v in counters:
            order.append(v)
        elif v in steps and all(not isinstance(a, Var) or a not in level_defs or cheap(a)
                                for a in steps[v][1:]):
            for a in steps[v][1:]:
                if isinstance(a, Var) and a in level_defs:
                    visit(a)
            order.append(v)
        elif cheap(v) or (isinstance(v.type, ArrayT) and v.type.dtype != F64 and
                        isinstance(st, Op) and PRIMS[st.prim].typing == "bool"):
            # a mask (x > 0.0 for np.where) is recomputed from its recorded operands
            for a in st.args:
                if isinstance(a, Var) and a in level_defs:
                    visit(a)
            order.append(v)
        elif v.type == BOOL and (win := last_taken(s, v)) is not None:
            selected[v] = win  # the branch of a running selection: its winner recorded
            order.append(v)
        else:
            taped.append(v)

    for v in free_vars(rbody):
        if v in level_defs:
            visit(v)
    prologue = Block()
    pb = Builder(prologue)
    pb.loc = s.loc
    fb = Builder(s.body)
    fb.loc = s.loc
    records = []  # (value, its dims where the reverse sweep reads only its shape)
    # values the recomputed ops read (a mask recomputed from its operands reads them whole)
    read = {a for v in order if v not in counters and v not in refilled and v not in steps
            and v not in selected
            for k, a in enumerate(defs[v].args)
            if not (PRIMS[defs[v].prim].shape_only or defs[v].prim == "sum_to" and k == 1)}
    for v in taped:
        if isinstance(v.type, ArrayT) and tbr and v not in read and _shape_only(rbody, v):
            records.append((v, [fb.op("dim", v, axis=a) for a in range(v.type.ndim)]))
            continue
        if isinstance(v.type, ArrayT) and v.type.dtype not in (F64, F32):
            raise S2SADError("an integer or boolean array that changes every iteration "
                             "is needed by the reverse sweep", s.loc,
                             "compute it from float arrays, or outside the loop")
        records.append((v, None))
    for v, dims in records:
        for d in dims or [v]:
            pairs[d] = len(pairs)  # numbered in program order: printed IR is stable
            fb.effect("push", d, pair=pairs[d])
    for v, dims in reversed(records):
        if dims is None:
            mapping[v] = pb.op("pop", name=v.name, type=v.type, pair=pairs[v])
            continue
        got = [pb.op("pop", name="n", type=d.type, pair=pairs[d]) for d in reversed(dims)]
        mapping[v] = pb.op("empty", *reversed(got), type=v.type, dtype=v.type.dtype.name)
    for v in order:
        if v in steps:  # the value after this iteration, less this iteration's step
            last, *ops = steps[v]
            ops = [mapping.get(a, a) if isinstance(a, Var) else a for a in ops]
            step = ops[0] if len(ops) == 1 else \
                pb.op("mul", pb.op("trip_count", *ops[:3]), ops[3])
            after = Var(v.name, v.type)
            mapping[v] = pb.op("sub", after, step, name=v.name, type=v.type)
            undone.append((after, last, mapping[v]))
            continue
        if v in refilled:
            mapping[v] = refill.emit(pb, refilled[v], mapping)
            continue
        if v in selected:
            mapping[v] = pb.op("eq", rivar, selected[v], name=v.name, type=BOOL)
            continue
        if v in counters:  # init + (i - start) // step * increment
            init, inc = counters[v]
            k = pb.op("sub", rivar, s.start)
            if not (isinstance(s.step, Const) and s.step.value == 1):
                k = pb.op("floordiv", k, s.step)
            mapping[v] = pb.op("add", init, pb.op("mul", k, inc), name=v.name, type=v.type)
            continue
        st = defs[v]
        args = [mapping.get(a, a) if isinstance(a, Var) else a for a in st.args]
        mapping[v] = pb.op(st.prim, *args, name=v.name, type=v.type, **st.attrs)
    substitute(rbody, mapping)
    rbody.stmts[:0] = prologue.stmts
    return undone


def _disabled() -> set[str]:
    """S2SAD_DISABLE=tbr: integer counters recorded like any other value."""
    return switches.disabled()


def _shape_only(b: Block, v: Var) -> bool:
    """The reverse body reads only v's shape (len, dim, size, *_like, sum_to's target):
    the forward iteration records its dimensions, not its elements."""
    if v in b.yields:
        return False
    for t in b.stmts:
        if isinstance(t, Op):
            if any(a is v and not (PRIMS[t.prim].shape_only or t.prim == "sum_to" and k == 1)
                   for k, a in enumerate(t.args)):
                return False
            continue
        if any(getattr(t, f, None) is v for f in ("cond", "start", "stop", "step")) or \
                v in getattr(t, "inits", ()):
            return False
        if not all(_shape_only(sb, v) for sb in sub_blocks(t)):
            return False
    return True


def _affine_counters(s, level_defs: set) -> dict:
    """Integer parameters of a range loop that every iteration steps by the same amount
    (`li += 1`, `li = li + c` with c fixed in the loop): {param: (init, increment)}. The
    reverse iteration computes them from its index instead of popping them."""
    out = {}
    if not isinstance(s, For):
        return out
    top = {r: t for t in s.body.stmts if isinstance(t, Op) for r in t.results}
    for p, init, y in zip(s.params, s.inits, s.body.yields):
        if p.type != I64 or init.type != I64:
            continue
        t = top.get(y)
        if not isinstance(t, Op) or t.prim != "add":
            continue
        a, c = t.args
        if c is p:
            a, c = c, a
        if a is p and c.type == I64 and not (isinstance(c, Var) and c in level_defs):
            out[p] = (init, c)
    return out


def _stepped(s) -> dict:
    """Integer parameters of a range loop that each iteration steps by an amount known
    from the iteration (`p + c`, or the result of an inner range loop stepping p by a
    fixed c each iteration: p + trip_count * c): {param: (its value after the loop, c)
    or (..., start, stop, step, c)}. The reversed loop carries them back from the loop's
    result, taking each iteration's step off, instead of popping them."""
    out = {}
    if not isinstance(s, For):
        return out
    top = {r: t for t in s.body.stmts for r in t.results}
    for p, y, r in zip(s.params, s.body.yields, s.results):
        t = top.get(y)
        if p.type != I64 or y is p:
            continue
        if isinstance(t, Op) and t.prim == "add" and p in t.args and t.args[0] is not \
                t.args[1] and y.type == I64:
            out[p] = (r, t.args[1] if t.args[0] is p else t.args[0])
        elif isinstance(t, For):
            k = t.results.index(y)
            inner = _affine_counters(t, _level_defs(t))
            if t.inits[k] is p and t.params[k] in inner:
                out[p] = (r, t.start, t.stop, t.step, inner[t.params[k]][1])
    return out


def _level_stmts(b: Block):
    """Statements of a loop body at its own level: Ifs are entered, inner loops are not."""
    for st in b.stmts:
        yield st
        if isinstance(st, If):
            yield from _level_stmts(st.then)
            yield from _level_stmts(st.orelse)


def _level_defs(s) -> set[Var]:
    """Values defined at one loop iteration's level: params, ivar, body results, and the
    results of Ifs nested (at any depth, outside inner loops) in the body."""
    out = set(s.params)
    if isinstance(s, For):
        out.add(s.ivar)

    def visit(b: Block):
        for st in b.stmts:
            out.update(st.results)
            if isinstance(st, If):
                visit(st.then)
                visit(st.orelse)

    visit(s.body)
    return out
