"""The symbolic values derivative rules are written over.

A rule is an ordinary Python function. The transforms call it once, at compile time,
with `Sym` values; arithmetic on them appends IR ops through the active Builder, so
`lambda x, ans: -sin(x)` becomes `v7 = sin(x); v8 = -v7` in the derivative's IR.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

from ..errors import NoRuleError
from ..ir.builder import Builder, const
from ..ir.fold import fold_op, negated
from ..ir.nodes import Const, Value
from ..ir.primitives import CALLABLES, PRIMS
from ..ir.types import F64, elem, is_array

_builders: list[Builder] = []


@contextmanager
def emitting(builder: Builder):
    _builders.append(builder)
    try:
        yield
    finally:
        _builders.pop()


def _b() -> Builder:
    return _builders[-1]


class Sym:
    __slots__ = ("value",)

    def __init__(self, value: Value):
        self.value = value

    def __bool__(self):
        raise TypeError("rules must be branch-free: use where(cond, a, b)")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """np.exp(x) on a Sym emits the exp primitive (the frontend's identity table)."""
        name = CALLABLES.get(ufunc)
        if method != "__call__" or name not in PRIMS or kwargs:
            _no_primitive(ufunc, method if method != "__call__" else None)
        return emit(name, *inputs)

    def __array_function__(self, func, types, args, kwargs):
        """np.where(c, a, b), np.clip(...) on Syms: the primitive, positional arguments only."""
        name = CALLABLES.get(func) if _hashable(func) else None
        if name not in PRIMS or kwargs or any(isinstance(a, tuple | list) for a in args):
            _no_primitive(func)
        if name == "where":
            return where(*args)
        return emit(name, *args)

    def __array__(self, *args, **kwargs):
        raise _symbolic_error("a NumPy function that converts its argument to an array")

    def __float__(self):
        raise _symbolic_error("float() or a math.* function (write np.exp for math.exp)")

    __int__ = __index__ = __complex__ = __float__

    __add__ = lambda a, b: emit("add", a, b)  # noqa: E731
    __radd__ = lambda a, b: emit("add", b, a)  # noqa: E731
    __sub__ = lambda a, b: emit("sub", a, b)  # noqa: E731
    __rsub__ = lambda a, b: emit("sub", b, a)  # noqa: E731
    __mul__ = lambda a, b: emit("mul", a, b)  # noqa: E731
    __rmul__ = lambda a, b: emit("mul", b, a)  # noqa: E731
    __truediv__ = lambda a, b: emit("div", a, b)  # noqa: E731
    __rtruediv__ = lambda a, b: emit("div", b, a)  # noqa: E731
    __pow__ = lambda a, b: emit("pow", a, b)  # noqa: E731
    __neg__ = lambda a: emit("neg", a)  # noqa: E731
    __lt__ = lambda a, b: emit("lt", a, b)  # noqa: E731
    __le__ = lambda a, b: emit("le", a, b)  # noqa: E731
    __gt__ = lambda a, b: emit("gt", a, b)  # noqa: E731
    __ge__ = lambda a, b: emit("ge", a, b)  # noqa: E731

    def __eq__(self, other):  # type: ignore[override]
        return emit("eq", self, other)

    def __ne__(self, other):  # type: ignore[override]
        return emit("ne", self, other)

    __hash__ = object.__hash__


_HINT = ("write the partials with the result `ans` (for a sigmoid: partials=lambda x, ans: "
         "ans * (1.0 - ans)), arithmetic, and the NumPy functions of docs/rules.md "
         "(np.exp, np.where, ...)")


def _symbolic_error(what: str):
    return NoRuleError(f"a derivative rule's partials are symbolic values, which {what} "
                       "cannot take", None, _HINT)


def _no_primitive(func, method: str | None = None):
    """A function with no primitive called inside a rule's partials (scipy.special.expit):
    s2sad cannot write it into the derivative's code."""
    name = getattr(func, "__name__", repr(func))
    # ufuncs do not know their module: look for it where users find them
    mod = next((m for m in ("numpy", "scipy.special", "math") if sys.modules.get(m) is not None
                and getattr(sys.modules[m], name, None) is func),
               getattr(func, "__module__", None))
    full = f"{'np' if mod == 'numpy' else mod}.{name}" if mod else name
    full += f".{method}" if method else ""
    raise NoRuleError(f"{full} has no primitive in s2sad, so a derivative rule's partials "
                      "cannot call it", None, _HINT)


def _hashable(obj) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def lift(x, like: Value | None = None) -> Value:
    if isinstance(x, Sym):
        return x.value
    if isinstance(x, (Const,)) or hasattr(x, "type"):
        return x
    if isinstance(x, bool) or isinstance(x, int):
        return const(x)
    t = elem(like.type) if like is not None else F64
    if t.name not in ("f64", "f32"):
        t = F64
    return const(x, t)


def emit(prim: str, *args, **attrs) -> Sym:
    like = next((a.value for a in args if isinstance(a, Sym)), None)
    vals = [lift(a, like) for a in args]
    folded = fold_op(prim, vals, attrs)
    if folded is not None:
        return Sym(folded)
    if prim == "mul":
        for a, c in ((vals[0], vals[1]), (vals[1], vals[0])):
            if isinstance(a, Const) and not is_array(a.type) and \
                    not isinstance(a.value, bool) and a.value == -1.0 and \
                    elem(a.type) == elem(c.type):
                return emit("neg", Sym(c))
    if prim in ("add", "sub"):
        neg_of = negated(vals[1])
        if neg_of is not None:  # x + (-y) -> x - y ; x - (-y) -> x + y
            return emit("sub" if prim == "add" else "add", Sym(vals[0]), Sym(neg_of))
    out = _b().op(prim, *vals, **attrs)
    out.deriv = True
    return Sym(out)


def _fn(prim):
    return lambda *a: emit(prim, *a)


exp, log, sqrt, sin, cos, tan = map(_fn, ("exp", "log", "sqrt", "sin", "cos", "tan"))
sinh, cosh, tanh = map(_fn, ("sinh", "cosh", "tanh"))
abs_, sign, floor = _fn("abs"), _fn("sign"), _fn("floor")
erf_exp = None


def where(c, a, b) -> Sym:
    """Elementwise choice: `a if c else b` on scalars, np.where on arrays."""
    arrays = any(isinstance(v, Sym) and is_array(v.value.type) for v in (c, a, b))
    return emit("where" if arrays else "select", c, a, b)


def is_arr(x) -> bool:
    return is_array(lift(x).type)
