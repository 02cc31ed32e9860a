"""The shapes of a function's outputs in terms of its parameters' shapes, where the IR
says them: `x_bar = empty_like(x)` is x's shape, `A @ v` is (A.shape[0],), a slice
`X[b, :]` drops an axis, `np.zeros((n, 3))` takes n where n is a shape or a constant.

A dimension is ("param", k, axis) — parameter k's size along axis — or ("const", c); a
value whose shape the ops do not determine (a loop's result, a reshape to computed
sizes, broadcasting of equal-rank arrays of different shapes) has none. vmap's batch loop
allocates its outputs from these before the loop (batch.py); where they are unknown it
computes the first element before the loop instead.
"""

from __future__ import annotations

from ..ir.nodes import Const, Function, Op, Var
from ..ir.primitives import PRIMS
from ..ir.types import ArrayT

Dim = tuple


def _int_dim(v, dims: dict, ints: dict):
    if isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return ("const", v.value)
    return ints.get(v)


def _op(s: Op, dims: dict, ints: dict) -> None:
    p = PRIMS.get(s.prim)
    if p is None or len(s.results) != 1:
        return
    (r,) = s.results
    rt = r.type
    args = s.args
    if s.prim in ("dim", "len") and args and args[0] in dims:
        axis = s.attrs.get("axis", 0) if s.prim == "dim" else 0
        if isinstance(axis, int) and 0 <= axis < len(dims[args[0]]):
            ints[r] = dims[args[0]][axis]
        return
    if not isinstance(rt, ArrayT):
        return
    got = None
    if p.elementwise or s.prim in ("zeros_like", "ones_like", "empty_like", "copy",
                                   "stop_gradient", "float"):
        arrays = [a for a in args if isinstance(a.type, ArrayT) and a.type.ndim]
        if arrays and all(a.type.ndim == rt.ndim for a in arrays):
            shapes = {dims.get(a) for a in arrays}
            if len(shapes) == 1:
                got = shapes.pop()
    elif s.prim == "getslice" and args[0] in dims:
        src, out, vals = dims[args[0]], [], iter(args[1:])
        spec = s.attrs["spec"]
        if len(spec) > len(src) or any(part[0] not in ("i", "s") for part in spec):
            return  # (new axes, ellipses: not read here)
        for axis, part in enumerate(spec):
            if part[0] == "i":
                next(vals)
                continue
            if any(part[1:]):  # bounds or a step: a size the values decide
                return
            out.append(src[axis])
        out += list(src[len(spec):])
        got = tuple(out)
    elif s.prim == "transpose" and args[0] in dims and not s.attrs.get("axes"):
        got = tuple(reversed(dims[args[0]]))
    elif s.prim == "matmul" and len(args) == 2 and args[0] in dims and args[1] in dims:
        a, b = dims[args[0]], dims[args[1]]
        got = {(2, 1): lambda: (a[0],), (1, 2): lambda: (b[1],),
               (2, 2): lambda: (a[0], b[1])}.get((len(a), len(b)), lambda: None)()
    elif p.sized and s.prim in ("zeros", "ones", "empty"):
        sizes = [_int_dim(a, dims, ints) for a in args]
        if len(sizes) == rt.ndim and all(x is not None for x in sizes):
            got = tuple(sizes)
    if got is not None and len(got) == rt.ndim and all(x is not None for x in got):
        dims[r] = got


def output_dims(fn: Function) -> list:
    """Per output of `fn`: a tuple of Dims (its shape), () for a number, None where unknown.
    Only straight-line statements of the function's body are read."""
    dims: dict[Var, Dim] = {}
    ints: dict[Var, tuple] = {}
    for k, v in enumerate(fn.params):
        if isinstance(v.type, ArrayT):
            dims[v] = tuple(("param", k, a) for a in range(v.type.ndim))
    for s in fn.body.stmts:
        if isinstance(s, Op):
            _op(s, dims, ints)
    out = []
    for v in fn.outputs:
        if not isinstance(getattr(v, "type", None), ArrayT) or v.type.ndim == 0:
            out.append(())
        else:
            out.append(dims.get(v))
    return out
