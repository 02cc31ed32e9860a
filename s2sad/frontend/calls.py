"""Lowering of calls: primitives by the identity of the callable, helpers inlined from
their own source, derivatives inlined as IR (nested AD), allocations, round(x, n)."""

from __future__ import annotations

import inspect
import math

import libcst as cst
import numpy as np

from .. import pytree
from ..errors import NoRuleError, S2SADError, TypeMismatch, UnsupportedSyntax
from ..ir.builder import const
from ..ir.nodes import Const, Var
from ..ir.primitives import CALLABLES, PRIMS
from ..ir.types import BOOL, F64, I64, ArrayT, elem
from . import nested, resolve
from .arrays import BoundMethod
from .source import parse_function
from .subset import BANNED_CALLS
from .values import STOP_GRADIENT, PyObject, flatten, hashable, is_tree

MAX_INLINE_DEPTH = 20
TUPLE_CALLS = {np.linalg.slogdet: "slogdet", np.linalg.eigh: "eigh"}


def opaque_path(obj) -> str | None:
    """`math.lgamma` / `np.sinc`: how generated code can call a rule-less library function."""
    name = getattr(obj, "__name__", None)
    if not name:
        return None
    if getattr(math, name, None) is obj:
        return f"math.{name}"
    if getattr(np, name, None) is obj:
        return f"np.{name}"
    return None


def returns_a_number(obj, pos) -> bool:
    """An opaque call is typed as a float: true of math.* and of NumPy's ufuncs on numbers;
    another np.* function is tried on sample numbers of the argument types (the opaque op
    would otherwise stand for an array as a scalar: a silently wrong value and gradient)."""
    if getattr(math, getattr(obj, "__name__", ""), None) is obj or isinstance(obj, np.ufunc):
        return True
    sample = [1 if v.type in (I64, BOOL) else 0.5 for v in pos]
    try:
        return np.ndim(obj(*sample)) == 0
    except Exception:
        return False


class CallLowering:
    """Mixed into the Lowerer (frontend/lower.py)."""

    # ---------------------------------------------------------------- calls
    def call(self, e: cst.Call, env: dict):
        fv = self.expr(e.func, env)
        if isinstance(fv, BoundMethod):
            pos, kw = self.call_args(e, env)
            return self.call_method(e, fv, pos, kw)
        if not isinstance(fv, PyObject):
            self.refuse(e.func, "this value is not callable", cls=TypeMismatch)
        obj = fv.obj
        if nested.is_constructor(obj):  # s2sad.grad(f, argnums=0): made now, called next
            return self.construct(e, obj, env)
        handler = nested.handler_for(obj)
        if handler is not None:  # grad(f)(x), jvp(f, ...), a Jacobian: the API lowers it
            pos, kw = self.call_args(e, env)
            site = nested.CallSite(self.b, self.free, lambda m, h, c: self.refuse(e, m, h, c),
                                   self.loc(e))
            saved = self.b.loc
            out = handler(site, obj, pos, kw)
            self.b.loc = saved
            return out
        if nested.is_derivative(obj):  # nested AD: the derivative's IR, inlined
            pos = [self.expr(a.value, env) for a in e.args]
            if any(a.keyword or a.star for a in e.args):
                self.refuse(e, "call a differentiated function with positional arguments")
            site = nested.CallSite(self.b, self.free, lambda m, h, c: self.refuse(e, m, h, c),
                                   self.loc(e))
            types = tuple(site.type_of(v) for v in pos)
            ir, free = nested.derivative_ir(obj, types)
            return site.inline(ir, free, flatten(pos))
        if pytree.is_namedtuple_class(obj):  # Params(W=W, b=b): a value tree
            pos, kw = self.call_args(e, env)
            try:
                return obj(*pos, **kw)
            except TypeError as err:
                self.refuse(e, f"{obj.__name__}(...): {err}", cls=TypeMismatch)
        if obj in (zip, enumerate) and not any(a.keyword for a in e.args):
            pos, _ = self.call_args(e, env)
            if all(is_tree(p) for p in pos):  # zip(Ws, bs) over value trees: a tuple
                seqs = [list(p) if not isinstance(p, dict) else [PyObject(k) for k in p]
                        for p in pos]
                if obj is zip:
                    return tuple(zip(*seqs))
                return tuple((const(i), x) for i, x in enumerate(seqs[0])) if len(seqs) == 1 \
                    else self.refuse(e, "enumerate(xs, start) is not supported")
        known = hashable(obj) and (obj in CALLABLES or obj in TUPLE_CALLS)
        if not known:  # a Numba dispatcher or a decorated user function: lower the inside
            obj = resolve.unwrap(obj)
        name = getattr(obj, "__name__", "")
        if name in BANNED_CALLS and getattr(obj, "__module__", None) == "builtins":
            self.refuse(e, f"{name}() cannot be differentiated", BANNED_CALLS[name],
                        cls=UnsupportedSyntax)
        pos, kw = self.call_args(e, env)
        name = getattr(obj, "__name__", "")
        if obj is STOP_GRADIENT or getattr(obj, "_s2sad_stop_gradient", False):
            return self.apply("stop_gradient", pos, e)
        if not known and resolve.is_user_function(obj):
            return self.inline(e, obj, pos, kw)
        if inspect.ismethod(obj) and resolve.is_user_function(obj.__func__):  # self.helper(x)
            ref = fv.ref.parent() if fv.ref is not None and fv.ref.path else None
            return self.inline(e, obj.__func__, [PyObject(obj.__self__, ref), *pos], kw)
        if obj is math.log and len(pos) == 2:
            return self.apply("div", [self.apply("log", [pos[0]], e),
                                      self.apply("log", [pos[1]], e)], e)
        if obj is pow or obj is math.pow:
            return self.binop("pow" if obj is pow else "fpow", pos[0], pos[1], e)
        if obj in (min, max) and len(pos) >= 2 and not kw:
            acc = pos[0]
            for v in pos[1:]:
                acc = self.apply(obj.__name__, [acc, v], e)
            return acc
        if obj is float and len(pos) == 1 and pos[0].type in (F64,):
            return pos[0]
        if obj is len and is_tree(pos[0]):
            return const(len(pos[0]))
        if obj in (tuple, list) and len(pos) == 1 and is_tree(pos[0]) and not kw:
            seq = pos[0] if not isinstance(pos[0], dict) else [PyObject(k) for k in pos[0]]
            return obj(seq)
        if obj in (range, reversed):
            self.refuse(e, f"{name}() is only supported as the iterator of a for loop")
        if obj in (np.array, np.asarray) and len(pos) == 1 and is_tree(pos[0]) and not kw:
            return self.array_of(e, pos[0])  # np.array([x, y]): the array of the values
        prim = CALLABLES.get(obj) if hashable(obj) else None
        if prim == "stack" and pos and isinstance(pos[0], tuple | list) and pos[0] and \
                all(isinstance(v, Var | Const) and not isinstance(v.type, ArrayT)
                    for v in pos[0]) and not kw and len(pos) == 1:
            return self.array_of(e, pos[0])
        if prim in ("round", "iround") and (len(pos) > 1 or kw):
            return self.round_digits(e, prim, pos, kw)
        if prim in PRIMS and PRIMS[prim].typing == "alloc":  # np.zeros(shape, dtype)
            return self.alloc(e, prim, pos, kw)
        if prim == "full":
            if kw or len(pos) != 2:
                self.refuse(e, "np.full(shape, value): dtype= is not supported")
            dims = list(pos[0]) if isinstance(pos[0], tuple) else [pos[0]]
            fill = pos[1] if pos[1].type not in (I64, BOOL) else self.coerce(pos[1], F64)
            return self.apply("full", [*(self.int_value(d, e) for d in dims), fill], e)
        if prim is not None or obj in TUPLE_CALLS:
            out = self.array_call(e, prim or TUPLE_CALLS[obj], list(pos), dict(kw))
            if out is not None:
                return out
        if prim is not None:
            if kw:
                self.refuse(e, f"keyword arguments to {name} are not supported",
                            cls=NoRuleError)
            arity = PRIMS[prim].arity
            if arity >= 0 and len(pos) != arity:
                self.refuse(e, f"{name} takes {arity} argument(s) here, got {len(pos)}")
            return self.apply(prim, pos, e)
        if name in BANNED_CALLS and getattr(obj, "__module__", None) == "builtins":
            self.refuse(e, f"{name}() cannot be differentiated", BANNED_CALLS[name],
                        cls=UnsupportedSyntax)
        what = f"{getattr(obj, '__module__', '') or ''}.{name}".lstrip(".") or repr(obj)
        path = opaque_path(obj)
        if path is not None and not kw and all(
                isinstance(v, Var | Const) and not isinstance(v.type, ArrayT) for v in pos):
            if not returns_a_number(obj, pos):  # np.identity(n), np.hanning(n)
                self.refuse(e, f"{what} returns an array, and s2sad has no primitive for it",
                            "use the NumPy functions of docs/subset.md (np.eye, np.linspace, "
                            "...), or pass the array in as an argument", cls=NoRuleError)
            # math.lgamma(m) and the like: called as is; refused only if it turns out to be
            # on the differentiated path (the transforms raise NoRuleError there)
            saved, self.b.loc = self.b.loc, self.loc(e)
            out = self.b.op("opaque", *pos, path=path, what=what)
            self.b.loc = saved
            return out
        self.refuse(e, f"no derivative rule for {what}",
                    "use a supported function (see docs/rules.md), write it in Python so "
                    "s2sad can lower it, give its derivative with @s2sad.defrule, or cut the "
                    "derivative with s2sad.stop_gradient",
                    cls=NoRuleError)

    def array_of(self, e, items):
        """np.array([x, y]) / np.array([[a, b], [c, d]]) / np.array([u, v]) of arrays: a new
        float array holding the values (written element by element, or stacked)."""
        if isinstance(items, dict) or not items:
            self.refuse(e, "np.array takes a non-empty list or tuple of numbers or arrays",
                        cls=TypeMismatch)
        rows = [self.array_of(e, v) if is_tree(v) else v for v in items]
        for v in rows:
            if not isinstance(v, Var | Const):
                self.refuse(e, "np.array takes numbers or arrays", cls=TypeMismatch)
        if all(isinstance(v.type, ArrayT) for v in rows):
            return self.apply("stack", rows, e, axis=0)
        if any(isinstance(v.type, ArrayT) for v in rows):
            self.refuse(e, "np.array of numbers and arrays mixed is not supported",
                        cls=TypeMismatch)
        t = elem(rows[0].type)
        for v in rows[1:]:
            t = F64 if t != elem(v.type) and F64 in (t, elem(v.type)) else t
        dt = {F64: "f64", I64: "i64", BOOL: "bool"}.get(t, "f32" if t.name == "f32" else "f64")
        arr = self.b.op("zeros", const(len(rows)), dtype=dt)
        for i, v in enumerate(rows):
            self.store(e, arr, [const(i)], v)
        return arr

    def construct(self, e: cst.Call, obj, env: dict):
        """`s2sad.grad(f, argnums=(0, 1))` inside code: called now, with its compile-time
        arguments; the transform it returns is a compile-time object."""
        site = nested.CallSite(self.b, self.free, lambda m, h, c: self.refuse(e, m, h, c),
                               self.loc(e))
        pos, kw = self.call_args(e, env)
        name = getattr(obj, "__name__", "transform")
        args = [site.compile_time(v, f"the arguments of {name}") for v in pos]
        kws = {k: site.compile_time(v, f"{name}'s {k}=") for k, v in kw.items()}
        try:
            made = obj(*args, **kws)
        except S2SADError as err:
            self.refuse(e, err.message, err.hint, cls=type(err))
        return PyObject(made)

    def round_digits(self, e, prim, pos, kw):
        """round(x, n) / np.round(x, n) / np.around(x, decimals=n): x rounded to n decimal
        digits, a float (derivative 0); n=None (round) or 0 (NumPy) is the one-argument
        form."""
        word = "ndigits" if prim == "iround" else "decimals"
        if not pos or len(pos) + len(kw) > 2 or set(kw) - {word}:
            self.refuse(e, f"{'round' if prim == 'iround' else 'np.round'}(x, {word}) takes "
                        f"x and {word} only")
        x = pos[0]
        n = pos[1] if len(pos) == 2 else kw[word]
        if isinstance(n, PyObject) and n.obj is None:  # round(x, None) is round(x)
            return self.apply(prim, [x], e)
        if isinstance(n, tuple) or isinstance(n, PyObject) or n.type != I64:
            self.refuse(e, f"{word} must be an integer", cls=TypeMismatch)
        if isinstance(n, Const) and n.value == 0 and prim == "round":
            return self.apply("round", [x], e)  # np.round(x, 0) is np.round(x)
        if not isinstance(x, tuple) and not isinstance(x, PyObject) and \
                elem(x.type) in (I64, BOOL):
            if isinstance(n, Const) and n.value >= 0:  # already rounded to n >= 0 digits
                return x if x.type != BOOL else self.apply("int", [x], e)
            self.refuse(e, "rounding an integer to negative or unknown digits is not "
                        "supported", "convert it to float first")
        return self.apply("round_to", [x, n], e)

    def alloc(self, e, prim, pos, kw):
        shape = kw.pop("shape", None) if not pos else pos[0]
        dtype = kw.pop("dtype", None)
        if kw or len(pos) > 1:
            self.refuse(e, f"np.{prim}: only the shape and dtype arguments are supported")
        dims = list(shape) if isinstance(shape, tuple) else [shape]
        dims = [self.int_value(d, e) for d in dims]
        dt = {None: "f64", float: "f64", np.float64: "f64", np.float32: "f32", int: "i64",
              np.int64: "i64", bool: "bool", np.bool_: "bool"}.get(
            dtype.obj if isinstance(dtype, PyObject) else dtype)
        if dt is None:
            self.refuse(e, f"np.{prim}: dtype {dtype!r} is not supported",
                        "use float (np.float64), np.float32, int or bool")
        return self.b.op(prim, *dims, dtype=dt)

    def call_args(self, e, env):
        pos, kw = [], {}
        for a in e.args:
            if a.star:
                self.refuse(a, "*args / **kwargs in calls are not supported")
            v = self.expr(a.value, env)
            if a.keyword is not None:
                kw[a.keyword.value] = v
            else:
                pos.append(v)
        return pos, kw

    def inline(self, e, obj, pos, kw):
        if self.depth >= MAX_INLINE_DEPTH:
            self.refuse(e, f"calls nest deeper than {MAX_INLINE_DEPTH} (recursion?)",
                        "recursive functions are not supported; write a loop")
        pf = parse_function(obj)
        sub = type(self)(pf, self.b, self.depth + 1, self.free)
        saved = self.b.loc
        out = sub.lower_function(pos, kw, e, self)
        self.b.loc = saved
        return out
