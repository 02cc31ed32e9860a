"""Lowering of NumPy array code: slicing, array methods and attributes, and the calls
whose arguments need more than positional values (axis=, shapes, tuples of arrays)."""

from __future__ import annotations

import math

import libcst as cst

from ..errors import TypeMismatch, UnsupportedSyntax
from ..ir.builder import const
from ..ir.fold import negated
from ..ir.nodes import Const, Value, Var
from ..ir.primitives import PRIMS
from ..ir.types import BOOL, F32, F64, I64, ArrayT, elem
from .syntax import is_full_slice, is_newaxis
from .values import PyObject, is_tree, tree_kind

_METHODS = {"sum": "sum", "mean": "mean", "prod": "prod", "max": "amax", "min": "amin",
            "copy": "copy", "reshape": "reshape", "transpose": "transpose", "dot": "matmul",
            "cumsum": "cumsum", "cumprod": "cumprod", "trace": "trace", "argsort": "argsort",
            "argmax": "argmax", "argmin": "argmin", "sort": "sort_in_place"}


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
        if isinstance(m.obj, dict):  # params.items(): compile-time tuples
            if pos or kw:
                self.refuse(e, f"dict.{m.name}() takes no arguments")
            keys = list(m.obj)
            return {"keys": tuple(PyObject(k) for k in keys),
                    "values": tuple(m.obj[k] for k in keys),
                    "items": tuple((PyObject(k), m.obj[k]) for k in keys)}[m.name]
        if m.name == "sort_in_place":
            self.refuse(e, "a.sort() sorts in place, which s2sad does not differentiate",
                        "write a = np.sort(a)")
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
        if prim in PRIMS and PRIMS[prim].reduces:
            axis = kw.pop("axis", pos[1] if len(pos) > 1 else None)
            keep = self.flag(e, kw.pop("keepdims", None), "keepdims")
            self.no_more(e, prim, kw)
            x = pos[0]
            if not is_array(x):
                if keep:
                    self.refuse(e, f"np.{prim}(..., keepdims=True) needs an array",
                                cls=TypeMismatch)
                return x if prim != "mean" else self.apply("float", [x], e)
            ax = self.axis_of(e, axis, x)
            out = self.apply(prim, [x], e, axis=None if x.type.ndim == 1 else ax)
            return self.keep_dims(e, out, x, ax) if keep else out
        if prim in ("sort", "argsort"):  # NumPy's default axis is the last one
            axis = kw.pop("axis", pos[1] if len(pos) > 1 else const(-1))
            self.no_more(e, prim, kw)
            x = pos[0]
            if not is_array(x):
                self.refuse(e, f"np.{prim} needs an array", cls=TypeMismatch)
            ax = self.axis_of(e, axis, x)
            if ax is None and x.type.ndim > 1:  # axis=None: the flattened array
                x = self.apply("reshape", [x, self.b.op("size", x, type=I64)], e, ndim=1)
            ax = None if x.type.ndim == 1 else ax
            perm = self.apply("argsort", [x], e, **({} if ax is None else {"axis": ax}))
            if prim == "argsort":
                return perm
            # sorted = x at the permutation: the derivative scatters back through it
            if ax is None:
                return self.apply("take", [x, perm], e)
            return self.apply("take_along", [x, perm], e, axis=ax)
        if prim in ("argmax", "argmin"):
            axis = kw.pop("axis", pos[1] if len(pos) > 1 else None)
            self.no_more(e, prim, kw)
            x = pos[0]
            if not is_array(x):
                self.refuse(e, f"np.{prim} needs an array", cls=TypeMismatch)
            ax = self.axis_of(e, axis, x)
            return self.apply(prim, [x], e, axis=None if x.type.ndim == 1 else ax)
        if prim in ("take_along", "put_along", "cumprod_jvp", "cumprod_vjp"):
            # generated code: _rt.take_along(x, idx, axis), ... (nested AD)
            n = {"put_along": 3}.get(prim, 2)
            return self.apply(prim, pos[:n], e, **self.axis_attr(e, pos[n], pos[0]))
        if prim == "arange":  # arange(stop), arange(start, stop[, step]), keywords too
            named = dict(zip(("start", "stop", "step"), pos))
            for k in ("start", "stop", "step"):
                if k in kw:
                    named[k] = kw.pop(k)
            self.no_more(e, prim, kw)
            if "stop" not in named:
                named["stop"] = named.pop("start", None)
            if named["stop"] is None:
                self.refuse(e, "np.arange needs a stop value", cls=TypeMismatch)
            if "step" in named:
                args = [named.get("start", const(0)), named["stop"], named["step"]]
            elif "start" in named:
                args = [named["start"], named["stop"]]
            else:
                args = [named["stop"]]
            return self.apply("arange", args, e)
        if prim == "expand_dims":  # np.expand_dims(x, axis): a new axis of size 1
            axis = kw.pop("axis", pos[1] if len(pos) > 1 else None)
            self.no_more(e, prim, kw)
            x = pos[0]
            if not is_array(x):
                self.refuse(e, "np.expand_dims needs an array", cls=TypeMismatch)
            ax = self.axis_of(e, axis, x, extra=1)
            if ax is None:
                self.refuse(e, "np.expand_dims needs a constant integer axis")
            dims = [self.b.op("dim", x, type=I64, axis=k) for k in range(x.type.ndim)]
            dims.insert(ax, const(1))
            return self.apply("reshape", [x, *dims], e, ndim=len(dims))
        if prim == "linspace":
            pos = list(pos)
            for k, name in enumerate(("start", "stop")):
                if name in kw and len(pos) == k:
                    pos.append(kw.pop(name))
            num = kw.pop("num", pos[2] if len(pos) > 2 else const(50))
            endpoint = self.flag(e, kw.pop("endpoint", None), "endpoint", default=True)
            self.no_more(e, prim, kw)
            if not endpoint:
                self.refuse(e, "np.linspace(..., endpoint=False) is not supported",
                            "write np.linspace(start, stop, num + 1)[:-1]")
            if len(pos) < 2 or any(is_array(v) or isinstance(v, tuple) for v in pos[:2]):
                self.refuse(e, "np.linspace(start, stop, num) takes two numbers and a count",
                            cls=TypeMismatch)
            ends = [v if v.type in (F64, F32) else self.coerce(v, F64) for v in pos[:2]]
            return self.apply("linspace", [*ends, self.int_value(num, e)], e)
        if prim in ("concatenate", "stack"):
            parts = pos[0]
            if not isinstance(parts, tuple | list):
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
            return self.norm(e, pos, kw)
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
        if prim in ("cumsum", "cumprod", "prod_others"):  # prod_others: _rt.prod_others
            axis = kw.pop("axis", pos[1] if len(pos) > 1 else None)
            self.no_more(e, prim, kw)
            x = pos[0]
            if not is_array(x):
                self.refuse(e, f"np.{prim} needs an array", cls=TypeMismatch)
            ax = self.axis_of(e, axis, x)
            if ax is None and x.type.ndim > 1 and prim != "prod_others":  # NumPy flattens
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

    def keep_dims(self, e, out, x, ax):
        """A reduction's result with the reduced axes kept as size 1 (keepdims=True)."""
        nd = x.type.ndim
        if ax is None or not is_array(out):  # every axis: (1, ..., 1)
            if elem(out.type) not in (F64, F32):
                self.refuse(e, "keepdims=True on a full reduction of an integer array is not "
                            "supported", "reduce a float array", cls=TypeMismatch)
            return self.apply("full", [const(1)] * nd + [out], e)
        dims = [const(1) if k == ax else self.b.op("dim", x, type=I64, axis=k)
                for k in range(nd)]
        return self.apply("reshape", [out, *dims], e, ndim=nd)

    def flag(self, e, v, name, default=False) -> bool:
        """A keyword that must be a constant True or False."""
        if v is None:
            return default
        if not isinstance(v, Const) or v.type not in (BOOL, I64):
            self.refuse(e, f"{name}= must be a constant True or False")
        return bool(v.value)

    def axis_attr(self, e, axis, x) -> dict:
        ax = self.axis_of(e, axis, x)
        return {} if ax is None else {"axis": ax}

    def norm(self, e, pos, kw):
        """np.linalg.norm(x, ord): vectors: 2 (the norm primitive), 1, inf, -inf; matrices:
        the Frobenius norm (ord=None). Other orders (and axis=) are refused."""
        x = pos[0]
        order = kw.pop("ord", pos[1] if len(pos) > 1 else None)
        if kw or len(pos) > 2:
            self.refuse(e, f"np.linalg.norm: {', '.join(kw) or 'axis'} is not supported",
                        "write the norm with np.sum / np.max over an axis", cls=UnsupportedSyntax)
        if not is_array(x):
            self.refuse(e, "np.linalg.norm needs an array", cls=TypeMismatch)
        o = None if order is None or getattr(order, "obj", 0) is None else order
        sign = 1.0
        if isinstance(negated(o), Const):  # ord=-np.inf
            o, sign = negated(o), -1.0
        if o is not None and not (isinstance(o, Const) and not is_array(o)):
            self.refuse(e, "np.linalg.norm: ord must be a constant number",
                        "ord='fro' is the default for matrices: leave it out")
        o = None if o is None else sign * float(o.value)
        if x.type.ndim != 1 and o is not None:
            self.refuse(e, f"np.linalg.norm of a matrix with ord={o:g} is not supported "
                        "(only the Frobenius norm, ord=None)",
                        "for the spectral norm use np.sqrt(np.max(np.linalg.eigvalsh(A.T @ A)))",
                        cls=UnsupportedSyntax)
        if o is None or o == 2.0:
            return self.apply("norm", [x], e)
        if o in (1.0, math.inf, -math.inf):
            a = self.apply("abs", [x], e)
            red = {1.0: "sum", math.inf: "amax", -math.inf: "amin"}[o]
            return self.apply(red, [a], e, axis=None)
        self.refuse(e, f"np.linalg.norm(x, ord={o:g}) is not supported (ord 1, 2, inf "
                    "and -inf are)", "write np.sum(np.abs(x) ** p) ** (1.0 / p)",
                    cls=UnsupportedSyntax)

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

    # ---------------------------------------------------------------- arrays
    def int_value(self, v, node) -> Value:
        if isinstance(v, Var | Const) and isinstance(v.type, ArrayT):
            self.refuse(node, "an array cannot be used as an index here",
                        "index with integers and slices; a 1-D integer array is supported as "
                        "the only index of a read (x[idx]); for a boolean mask use "
                        "np.where(mask, x, 0.0)", cls=TypeMismatch)
        if isinstance(v, tuple) or isinstance(v, PyObject) or elem(v.type) not in (I64, BOOL):
            self.refuse(node, "expected an integer here", cls=TypeMismatch)
        return v

    def subscript_parts(self, e: cst.Subscript, env: dict):
        arr = self.expr(e.value, env)
        idx = []
        for el in e.slice:
            idx.append(self.expr(el.slice.value, env))
        if len(idx) == 1 and isinstance(idx[0], tuple):
            idx = list(idx[0])
        return arr, idx

    def subscript(self, e: cst.Subscript, env: dict):
        if any(is_newaxis(el) for el in e.slice):
            return self.newaxis_load(e, env)
        if len(e.slice) == 1 and isinstance(e.slice[0].slice, cst.Slice):
            base = self.expr(e.value, env)
            if is_tree(base):
                return self.tree_slice(e, base, e.slice[0].slice, env)
            sliced = self.index_spec(e, env)
            return self.slice_load(e, base, *sliced)
        sliced = self.index_spec(e, env)
        if sliced is not None:
            return self.slice_load(e, self.expr(e.value, env), *sliced)
        arr, idx = self.subscript_parts(e, env)
        if len(idx) == 1 and isinstance(idx[0], Var | Const) and isinstance(idx[0].type, ArrayT) \
                and isinstance(arr, Var | Const) and isinstance(arr.type, ArrayT):
            return self.take(e, arr, idx[0])
        if is_tree(arr):
            return self.tree_item(e, arr, idx)
        return self.load(e, arr, idx)

    def tree_item(self, e, tree, idx):
        """`params["W1"]`, `layers[0]`, `pair[-1]`: an element of a value tree, chosen at
        compile time."""
        what = tree_kind(tree)
        if isinstance(tree, dict):
            key = idx[0].obj if len(idx) == 1 and isinstance(idx[0], PyObject) else (
                idx[0].value if len(idx) == 1 and isinstance(idx[0], Const) else None)
            if key is None or key not in tree:
                self.refuse(e, f"{what} with the keys {sorted(tree)!r} can only be indexed with "
                            "one of them, written as a constant", cls=TypeMismatch)
            return tree[key]
        if len(idx) != 1 or not isinstance(idx[0], Const) or idx[0].type != I64:
            self.refuse(e, f"{what} can only be indexed with a constant integer",
                        "loop over it (for x in values: ...) or index it with a number",
                        cls=TypeMismatch)
        try:
            return tree[idx[0].value]
        except IndexError:
            self.refuse(e, f"index {idx[0].value} out of range for {what} of {len(tree)}")

    def tree_slice(self, e, tree, s: cst.Slice, env):
        """`layers[:-1]`: constant bounds only."""
        if isinstance(tree, dict):
            self.refuse(e, "a dict cannot be sliced", cls=TypeMismatch)
        bounds = []
        for part in (s.lower, s.upper, s.step):
            v = None if part is None else self.expr(part, env)
            if v is not None and (not isinstance(v, Const) or v.type != I64):
                self.refuse(e, f"{tree_kind(tree)} can only be sliced with constant integers",
                            cls=TypeMismatch)
            bounds.append(None if v is None else v.value)
        out = list(tree)[slice(*bounds)]
        return out if isinstance(tree, list) else tuple(out)

    def take(self, node, arr, idx):
        """x[idx] with an integer array: the elements (rows) idx names, repeats allowed."""
        if idx.type.dtype == BOOL:
            self.refuse(node, "boolean mask indexing (x[mask]) is not supported",
                        "use np.where(mask, x, 0.0), or np.sum(np.where(mask, x, 0.0)) for a "
                        "masked sum", cls=TypeMismatch)
        if idx.type.dtype != I64 or idx.type.ndim != 1:
            self.refuse(node, "only a 1-D integer array can index an array",
                        "reshape the index array to 1-D", cls=TypeMismatch)
        return self.apply("take", [arr, idx], node)

    def newaxis_load(self, e: cst.Subscript, env: dict):
        """x[:, None]: the subscript without the new axes, then a reshape that inserts them."""
        rest = [el for el in e.slice if not is_newaxis(el)]
        arr = self.expr(e.value, env)
        if any(not is_full_slice(el) for el in rest):
            arr = self.subscript(e.with_changes(slice=rest), env)
        if not isinstance(arr, Var | Const) or not isinstance(arr.type, ArrayT):
            self.refuse(e, "a new axis (None) needs an array", cls=TypeMismatch)
        dims, k = [], 0
        for el in e.slice:
            if is_newaxis(el):
                dims.append(const(1))
            elif isinstance(el.slice, cst.Slice):
                dims.append(self.b.op("dim", arr, type=I64, axis=k))
                k += 1
        dims += [self.b.op("dim", arr, type=I64, axis=j) for j in range(k, arr.type.ndim)]
        return self.apply("reshape", [arr, *dims], e, ndim=len(dims))

    def load(self, node, arr, idx):
        if not isinstance(arr, Var | Const) or not isinstance(arr.type, ArrayT):
            self.refuse(node, "only arrays and tuples can be indexed (and lists, dicts, "
                        "NamedTuples)", cls=TypeMismatch)
        if 0 < len(idx) < arr.type.ndim:  # A[i] on a matrix: the row, as A[i, :]
            idx = [self.int_value(i, node) for i in idx]
            return self.slice_load(node, arr, tuple(("i",) for _ in idx), idx)
        if len(idx) != arr.type.ndim:
            self.refuse(node, f"index with {arr.type.ndim} integers (one per dimension)")
        idx = [self.int_value(i, node) for i in idx]
        return self.b.op("getitem", arr, *idx)

    def store(self, node, arr, idx, value) -> None:
        if not isinstance(arr, Var) or not isinstance(arr.type, ArrayT):
            self.refuse(node, "only arrays can be assigned into", cls=TypeMismatch)
        if 0 < len(idx) < arr.type.ndim:  # A[i] = row
            idx = [self.int_value(i, node) for i in idx]
            self.slice_store(node, arr, tuple(("i",) for _ in idx), idx, value)
            return
        if len(idx) != arr.type.ndim:
            self.refuse(node, f"index with {arr.type.ndim} integers (one per dimension)")
        if isinstance(value, tuple) or isinstance(value, PyObject):
            self.refuse(node, "only numbers can be stored into an array", cls=TypeMismatch)
        idx = [self.int_value(i, node) for i in idx]
        if value.type != arr.type.dtype:
            value = self.coerce(value, arr.type.dtype)
        self.b.effect("setitem", arr, *idx, value)
