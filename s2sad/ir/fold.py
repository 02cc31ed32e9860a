"""Constant folding and algebraic identities on one op, used wherever ops are made: the
rule DSL as rules emit, and the simplify pass over whole functions. It never changes a
result's type; `-(-x)` folds through the defining op of -x (`negated`)."""

from __future__ import annotations

import operator

from .builder import const
from .nodes import Const, Value, Var
from .primitives import PRIMS, result_type
from .types import BOOL, F32, F64, I64, ArrayT, Scalar

_ARITH = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
          "div": operator.truediv}


def _is(v: Value, x: float) -> bool:
    return isinstance(v, Const) and not isinstance(v.type, ArrayT) and \
        not isinstance(v.value, bool) and v.value == x


def negated(v) -> Value | None:
    """a, where v = -a by its defining op (None otherwise)."""
    d = v.defn if isinstance(v, Var) else None
    if d is not None and d.prim == "neg" and d.args and d.results and d.results[0] is v:
        return d.args[0]
    return None


def fold_op(prim: str, args: list[Value], attrs: dict | None = None) -> Value | None:
    """A simpler value equal to prim(*args), or None. Never changes the result type."""
    try:
        rt = result_type(prim, [a.type for a in args], attrs)
    except Exception:
        return None

    def keep(v: Value) -> Value | None:
        if v.type == rt:
            return v
        if isinstance(v, Const) and rt in (F64, F32):
            return const(v.value, rt)
        return None

    def zero() -> Value | None:
        return const(0.0, rt) if rt in (F64, F32) else None

    if prim in ("add", "sub", "mul") and rt == I64 and all(isinstance(a, Const) for a in args):
        return const(_ARITH[prim](args[0].value, args[1].value))
    if prim in _ARITH and all(isinstance(a, Const) for a in args) and rt in (F64, F32):
        try:
            return const(_ARITH[prim](args[0].value, args[1].value), rt)
        except ZeroDivisionError:
            return None
    if prim == "mul":
        x, y = args
        if _is(y, 1.0):
            return keep(x)
        if _is(x, 1.0):
            return keep(y)
        if _is(x, 0.0) or _is(y, 0.0):
            return zero()
        if _is(y, -1.0):
            return fold_op("neg", [x]) or None
        if _is(x, -1.0):
            return fold_op("neg", [y]) or None
    elif prim == "add":
        x, y = args
        if _is(y, 0.0):
            return keep(x)
        if _is(x, 0.0):
            return keep(y)
    elif prim == "sub":
        x, y = args
        if _is(y, 0.0):
            return keep(x)
    elif prim == "div":
        x, y = args
        if _is(y, 1.0):
            return keep(x)
        if _is(x, 0.0):
            return zero()
    elif prim == "neg":
        (x,) = args
        if isinstance(x, Const) and not isinstance(x.type, ArrayT):
            return const(-x.value, x.type)
        if negated(x) is not None:
            return keep(negated(x))
    elif prim == "pow":
        x, y = args
        if _is(y, 1.0):
            return keep(x)
    elif prim in ("floordiv",) and rt == I64:
        x, y = args
        if _is(y, 1):
            return keep(x)
    elif prim in ("dim", "len") and isinstance(args[0], Var) and \
            isinstance(args[0].type, ArrayT):  # np.empty(n).shape[0] is n
        d = args[0].defn
        if d is not None and d.prim in ("empty", "zeros") and d.results and \
                d.results[0] is args[0] and len(d.args) == args[0].type.ndim:
            return keep(d.args[(attrs or {}).get("axis", 0)])
    elif prim == "trip_count" and all(isinstance(a, Const) for a in args):
        start, stop, step = (a.value for a in args)
        return const(len(range(start, stop, step)))
    elif prim == "select":
        c, a, b = args
        if isinstance(c, Const):
            return keep(a if c.value else b)
        if a is b or (isinstance(a, Const) and isinstance(b, Const) and a == b):
            return keep(a)
    return None


_INTS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "neg": lambda a: -a, "floordiv": lambda a, b: a // b, "mod": lambda a, b: a % b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "not": lambda a: not a,
}


def fold_constants(prim: str, args: list) -> Value | None:
    """The value of integer/bool arithmetic and of comparisons on constants, as the
    frontend lowers them (`range(N - 1)` stays readable, `if DEBUG:` is decided)."""
    if prim not in _INTS or not all(isinstance(a, Const) for a in args):
        return None
    if not all(isinstance(a.type, Scalar) and a.type in (I64, BOOL) for a in args):
        if PRIMS[prim].typing == "bool" and prim not in ("and", "or") and all(isinstance(a.type, Scalar) for a in args):
            return const(bool(_INTS[prim](*[a.value for a in args])))
        return None
    try:
        v = _INTS[prim](*[a.value for a in args])
    except ZeroDivisionError:
        return None
    return const(v)
