"""Constant indices into arrays: the least size an axis must have for them to be in bounds.

`x[5]`, `x[-4]`, `A[1, 2] = v`, `A[:, 3]`: Numba does not check bounds (by default), so a
constant index past the end of a parameter reads garbage and the adjoint writes past the
end of `x_bar`. The indices are known at compile time, so the entry of the derivative can
check `x.shape[0] > 5` before it runs, at no cost to the derivative itself.

Only statements that run on every call count: the function's own top-level statements and
those of range loops with a constant, non-empty trip count. An index under an `if`, or in
a loop that may run zero times, may be guarded by the code around it
(`if x.shape[0] > 5: ... x[5]`), so it is left to Numba's `boundscheck` option. Slices
never go out of bounds (NumPy and Numba clip them); their integer parts (`A[:, 3]`) do.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from ..errors import S2SADError, SourceLoc
from ..ir.nodes import Block, Const, For, Function, Op, Var
from ..ir.primitives import PRIMS
from ..ir.types import I64


@dataclass(frozen=True)
class Bound:
    """Parameter `param` needs `shape[axis] >= size`, because of `index` at `loc`."""

    param: int
    axis: int
    size: int
    index: int
    loc: SourceLoc | None


def _const_int(v) -> int | None:
    if isinstance(v, Const) and v.type == I64 and isinstance(v.value, int):
        return v.value
    return None


def _indexed_axes(op: Op) -> list[tuple[int, int]]:
    """(axis, constant index) for each constant integer index of an element/slice access."""
    if op.prim in ("getitem", "setitem"):
        idx = op.args[1:] if op.prim == "getitem" else op.args[1:-1]
        return [(k, c) for k, v in enumerate(idx) if (c := _const_int(v)) is not None]
    if op.prim in ("getslice", "setslice", "iaddslice"):
        vals = op.args[1:] if op.prim == "getslice" else op.args[1:-1]
        out, j = [], 0
        for k, part in enumerate(op.attrs.get("spec", ())):
            if part[0] == "i":
                c = _const_int(vals[j]) if j < len(vals) else None
                if c is not None:
                    out.append((k, c))
                j += 1
            elif part[0] == "s":
                j += sum(bool(p) for p in part[1:])
        return out
    return []


def _always_run(b: Block):
    """The statements of `b` that run whenever `b` does (see the module docstring)."""
    for s in b.stmts:
        yield s
        if isinstance(s, For) and not s.reverse:
            start, stop, step = (_const_int(v) for v in (s.start, s.stop, s.step))
            if None not in (start, stop, step) and step and len(range(start, stop, step)):
                yield from _always_run(s.body)


def _need(index: int) -> int:
    """The least axis length for which `index` is in bounds."""
    return index + 1 if index >= 0 else -index


_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def min_sizes(fn: Function) -> tuple[Bound, ...]:
    """One Bound per (parameter, axis) indexed by constants: the largest requirement.

    Arrays of known shape (allocated in the function with constant dimensions) are
    checked here, at compile time: an out-of-bounds constant index into one raises an
    S2SADError at its line. Parameters, module-level arrays among them (they are
    parameters of the lowered function, frontend/free.py), are checked at every call.
    """
    hit = _cache.get(fn)
    if hit is not None:
        return hit
    params = {p: i for i, p in enumerate(fn.params)}
    known: dict[Var, tuple[int, ...]] = {}  # local arrays of constant shape
    need: dict[tuple[int, int], Bound] = {}
    for s in _always_run(fn.body):
        if not isinstance(s, Op):
            continue
        if PRIMS[s.prim].sized and s.results:
            dims = s.args[:-1] if s.prim == "full" else s.args
            shape = tuple(_const_int(d) for d in dims)
            if None not in shape:
                known[s.results[0]] = shape  # type: ignore[assignment]
            continue
        if not s.args:
            continue
        arr = s.args[0]
        if not isinstance(arr, Var):
            continue
        shape = known.get(arr)
        for axis, index in _indexed_axes(s):
            if shape is not None:
                if axis < len(shape) and _need(index) > shape[axis]:
                    raise S2SADError(f"index {index} is out of bounds for axis {axis} of an "
                                     f"array of shape {shape}", s.loc,
                                     "check the index against the array's size")
            elif arr in params:
                key = (params[arr], axis)
                if key not in need or _need(index) > need[key].size:
                    need[key] = Bound(params[arr], axis, _need(index), index, s.loc)
    out = tuple(need[k] for k in sorted(need))
    _cache[fn] = out
    return out
