"""Adjoint buffers allocated once per loop instead of once per iteration: `for ...:
un_bar = np.zeros(n); ...` becomes `un_bar = np.zeros(n)` before the loop and
`un_bar[:] = 0.0` where it was.

The reverse sweep of a loop whose body makes a fresh array (`un = u.copy()`) allocates
that array's cotangent buffer in every reverse iteration. Clearing one buffer gives each
iteration the same zeros, without the allocator. Only where no reference to the buffer
outlives its iteration (it is never yielded or carried, directly or through a view of it),
its shape is loop-invariant and cannot fail to allocate before the loop where the loop runs
no iteration (dimensions of other arrays, or constants). `S2SAD_DISABLE=buffers`."""

from __future__ import annotations

from ..ir.nodes import (
    Block,
    Const,
    For,
    Function,
    Op,
    Var,
    block_defs,
    sub_blocks,
    walk,
    walk_inside,
)
from ..ir.primitives import PRIMS
from ..ir.types import ArrayT, is_float


def hoist_buffers(fn: Function) -> Function:
    shapes = {r for s in walk(fn.body) if isinstance(s, Op) and s.prim in ("dim", "len",
                                                                            "size")
              for r in s.results}
    _visit(fn.body, shapes, set())
    return fn


def _visit(b: Block, shapes: set[Var], moved: set[int]) -> None:
    out = []
    for s in b.stmts:
        for sb in sub_blocks(s):
            _visit(sb, shapes, moved)
        if isinstance(s, For):
            out.extend(_hoist(s, shapes, moved))
        out.append(s)
    b.stmts = out


def _hoist(loop: For, shapes: set[Var], moved: set[int]) -> list[Op]:
    """The allocations taken out of `loop`'s body: their places clear the buffer (one
    already taken out of an inner loop is cleared there, and only moves)."""
    inside = block_defs(loop.body) | {loop.ivar, *loop.params}
    out, keep = [], []
    for s in loop.body.stmts:
        keep.append(s)
        if not (isinstance(s, Op) and PRIMS[s.prim].fill == "zeros" and len(s.results) == 1):
            continue
        buf = s.result
        if not ((buf.deriv or buf.base is not None) and isinstance(buf.type, ArrayT) and buf.type.ndim >= 1 and
                is_float(buf.type.dtype)):
            continue
        if not all(_invariant(a, s.prim, inside, shapes) for a in s.args):
            continue
        if _escapes(buf, loop.body):
            continue
        out.append(s)
        s.loc = None  # (the loop's line comment stays on the loop)
        keep.pop()
        spec = (("s", False, False, False),) * buf.type.ndim
        if id(s) not in moved and not _cleared_at_end(buf, loop.body, spec):
            keep.append(Op("setslice", [buf, Const(0.0, buf.type.dtype)], [],
                           {"spec": spec}, s.loc))
        moved.add(id(s))
    loop.body.stmts = keep
    return out


def _invariant(a, prim: str, inside: set[Var], shapes: set[Var]) -> bool:
    if isinstance(a, Const):
        return not isinstance(a.value, int | float) or a.value >= 0
    if a in inside:
        return False
    return PRIMS[prim].shape_only or a in shapes  # zeros_like(x): x's shape, any x


def _cleared_at_end(buf: Var, body: Block, spec: tuple) -> bool:
    """Whether the iteration leaves `buf` all zeros: the last statement of the body that
    touches it (or a view of it) clears the whole of it (`un_bar[:] = 0.0`, the adjoint
    of `un[:] = u`), so the next iteration needs no clear of its own."""
    refs = {buf}
    for s in walk(body):
        if isinstance(s, Op) and s.args and s.args[0] in refs and PRIMS[s.prim].view:
            refs.update(s.results)
    for s in reversed(body.stmts):
        if not any(isinstance(t, Op) and any(a in refs for a in t.args)
                   for t in (s, *walk_inside(s))) and not any(
                       v in refs for sb in sub_blocks(s) for v in sb.yields):
            continue
        return (isinstance(s, Op) and s.prim == "setslice" and s.args[0] is buf and
                isinstance(s.args[1], Const) and s.args[1].value == 0.0 and
                s.attrs.get("spec") == spec)
    return False


def _escapes(buf: Var, body: Block) -> bool:
    """Whether a reference to `buf` (or a view of it) may outlive the iteration: yielded by
    a region, carried by a loop, or given as a block's result."""
    refs = {buf}
    for s in walk(body):
        if isinstance(s, Op):
            if s.args and s.args[0] in refs and PRIMS[s.prim].view:
                refs.update(s.results)
            continue
        if any(v in refs for v in getattr(s, "inits", ())):
            return True
        if any(v in refs for sb in sub_blocks(s) for v in sb.yields):
            return True
    return any(v in refs for v in body.yields)
