"""Lowering of NumPy array code: slicing, array methods and attributes, and the calls
whose arguments need more than positional values (axis=, shapes, tuples of arrays)."""

from __future__ import annotations

import libcst as cst

from ..errors import TypeMismatch
from ..ir.builder import const
from ..ir.nodes import Const, Var
from ..ir.types import I64, ArrayT

_REDUCTIONS = {"sum", "mean", "prod", "amax", "amin"}
_METHODS = {"sum": "sum", "mean": "mean", "prod": "prod", "max": "amax", "min": "amin",
            "copy": "copy", "reshape": "reshape", "transpose": "transpose", "dot": "matmul",
            "cumsum": "cumsum", "trace": "trace"}


class BoundMethod:
    """`a.sum` before it is called."""

    __slots__ = ("obj", "name")

    def __init__(self, obj, name):
        self.obj, self.name = obj, name


def is_array(v) -> bool:
    return isinstance(v, Var | Const) and isinstance(v.type, ArrayT)


class ArrayLowering:
    """Mixed into the Lowerer."""

    # ------------------------------------------------------------ attributes and methods
    def array_attribute(self, e, arr, attr):
        if attr == "shape":
            return tuple(self.b.op("dim", arr, type=I64, axis=k) for k in range(arr.type.ndim))
        if attr == "size":
            return self.b.op("size", arr, type=I64)
        if attr == "ndim":
            return const(arr.type.ndim)
        if attr == "T":
            return self.apply("transpose", [arr], e) if arr.type.ndim == 2 else arr
        if attr in _METHODS:
            return BoundMethod(arr, _METHODS[attr])
        self.refuse(e, f"array attribute .{attr} is not supported",
                    "see docs/subset.md for the NumPy subset s2sad differentiates")

    def call_method(self, e, m: BoundMethod, pos, kw):
        if m.name == "copy":
            return self.apply("copy", [m.obj], e)
        if m.name == "reshape":
            shape = pos[0] if len(pos) == 1 else tuple(pos)
            return self.reshape(e, m.obj, shape)
        out = self.array_call(e, m.name, [m.obj, *pos], kw)
        if out is None:
            self.no_more(e, m.name, kw)
            out = self.apply(m.name, [m.obj, *pos], e)
        return out

    # ------------------------------------------------------------ calls
    def array_call(self, e, prim, pos, kw):
        """np.<prim>(...) whose arguments are not just values; None if not handled here."""
        if prim in _REDUCTIONS:
            axis = kw.pop("axis", pos[1] if len(pos) > 1 else None)
            self.no_more(e, prim, kw)
            x = pos[0]
            if not is_array(x):
                return x if prim != "mean" else self.apply("float", [x], e)
            ax = self.axis_of(e, axis, x)
            if ax is not None and x.type.ndim == 1:
                ax = None
            return self.apply(prim, [x], e, axis=ax)
        if prim in ("concatenate", "stack"):
            parts = pos[0]
            if not isinstance(parts, tuple):
                self.refuse(e, f"np.{prim} takes a tuple of arrays", "write np.{prim}((a, b))")
            axis = kw.pop("axis", pos[1] if len(pos) > 1 else 0)
            self.no_more(e, prim, kw)
            ax = self.axis_of(e, axis, parts[0], extra=1 if prim == "stack" else 0)
            return self.apply(prim, list(parts), e, axis=ax or 0)
        if prim == "reshape":
            return self.reshape(e, pos[0], pos[1] if len(pos) == 2 else tuple(pos[1:]))
        if prim == "expand_to":  # generated code: _rt.expand_to(g, x, axis)
            return self.apply("expand_to", pos[:2], e, axis=self.axis_of(e, pos[2], pos[1]))
        if prim == "norm":
            if kw or len(pos) > 1:
                self.refuse(e, "np.linalg.norm: only the 2-norm of a vector/Frobenius norm is "
                            "supported", "write np.sqrt(np.sum(x * x)) for other cases")
            return self.apply("norm", pos, e)
        if prim == "matmul":
            a, c = pos
            if not is_array(a) or not is_array(c):
                return self.binop("mul", a, c, e)
            if a.type.ndim > 2 or c.type.ndim > 2:
                self.refuse(e, "matrix products of arrays with more than 2 dimensions are not "
                            "supported", "loop over the leading axis")
            return self.apply("matmul", [a, c], e)
        if prim == "transpose":
            x = pos[0]
            if kw or len(pos) > 1:
                self.refuse(e, "np.transpose with axes is not supported")
            return self.apply("transpose", [x], e) if is_array(x) and x.type.ndim == 2 else x
        if prim in ("cumsum", "prod_others"):  # prod_others: generated code, _rt.prod_others
            axis = kw.pop("axis", pos[1] if len(pos) > 1 else None)
            self.no_more(e, prim, kw)
            x = pos[0]
            if not is_array(x):
                self.refuse(e, f"np.{prim} needs an array", cls=TypeMismatch)
            ax = self.axis_of(e, axis, x)
            if ax is None and x.type.ndim > 1 and prim == "cumsum":  # NumPy flattens
                x = self.apply("reshape", [x, self.b.op("size", x, type=I64)], e, ndim=1)
            if x.type.ndim == 1:
                ax = None
            return self.apply(prim, [x], e, **({} if ax is None else {"axis": ax}))
        if prim == "slogdet":
            a = pos[0]
            return (self.apply("sign_det", [a], e), self.apply("logabsdet", [a], e))
        if prim == "eigh":
            a = pos[0]
            return (self.apply("eigvalsh", [a], e), self.apply("eigh_vecs", [a], e))
        return None

    def no_more(self, e, prim, kw) -> None:
        if kw:
            self.refuse(e, f"np.{prim}: keyword argument(s) {', '.join(kw)} are not supported")

    def axis_of(self, e, axis, x, extra=0):
        if axis is None or getattr(axis, "obj", 0) is None:  # absent, or axis=None
            return None
        if isinstance(axis, int):
            axis = const(axis)
        if not isinstance(axis, Const) or axis.type != I64:
            self.refuse(e, "axis must be a constant integer")
        nd = x.type.ndim + extra
        ax = axis.value + nd if axis.value < 0 else axis.value
        if not 0 <= ax < nd:
            self.refuse(e, f"axis {axis.value} is out of range for a {x.type.ndim}-d array")
        return ax

    def reshape(self, e, x, shape):
        dims = list(shape) if isinstance(shape, tuple) else [shape]
        dims = [self.int_value(d, e) for d in dims]
        if not is_array(x):
            self.refuse(e, "reshape needs an array", cls=TypeMismatch)
        return self.apply("reshape", [x, *dims], e, ndim=len(dims))

    # ------------------------------------------------------------ slicing
    def index_spec(self, e: cst.Subscript, env: dict):
        """(spec, values) for a subscript with at least one slice, else None."""
        if not any(isinstance(el.slice, cst.Slice) for el in e.slice):
            return None
        spec, vals = [], []
        for el in e.slice:
            s = el.slice
            if isinstance(s, cst.Index):
                v = self.int_value(self.expr(s.value, env), s.value)
                spec.append(("i",))
                vals.append(v)
                continue
            parts = []
            for part in (s.lower, s.upper, s.step):
                if part is None:
                    parts.append(False)
                else:
                    vals.append(self.int_value(self.expr(part, env), part))
                    parts.append(True)
            spec.append(("s", *parts))
        return tuple(spec), vals

    def slice_load(self, e, arr, spec, vals):
        if not is_array(arr):
            self.refuse(e, "only arrays can be sliced", cls=TypeMismatch)
        spec = self.full_spec(e, arr, spec)
        return self.b.op("getslice", arr, *vals, spec=spec)

    def slice_store(self, e, arr, spec, vals, value):
        if not isinstance(arr, Var) or not is_array(arr):
            self.refuse(e, "only arrays can be assigned into", cls=TypeMismatch)
        spec = self.full_spec(e, arr, spec)
        if is_array(value) and value.type.dtype != arr.type.dtype:
            pass
        elif not is_array(value) and value.type != arr.type.dtype:
            value = self.coerce(value, arr.type.dtype)
        self.b.effect("setslice", arr, *vals, value, spec=spec)

    def full_spec(self, e, arr, spec):
        if len(spec) > arr.type.ndim:
            self.refuse(e, f"too many indices for a {arr.type.ndim}-d array")
        return tuple(spec) + (("s", False, False, False),) * (arr.type.ndim - len(spec))
