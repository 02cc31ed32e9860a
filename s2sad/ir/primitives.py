"""The op set of the IR as a table: every fact about a primitive in its one entry.

An entry says how the primitive types, how it prints in the IR (`infix`), which Python
callables compute it (`objects`: the frontend finds primitives by object identity,
`CALLABLES[np.sin] == "sin"`, so `np.sin`, `numpy.sin` and `from math import sin as s`
all reach the same one; codegen derives the generated code's spellings from them), and
what passes and analyses need to know:

    effect       it changes state (writes an array, or a recording stack)
    writes       the argument whose elements it writes (setitem: 0)
    fresh        its result is a new array (an allocation, a copy, a constructor)
    fill         a fresh array's first contents: zeros | ones | empty | value | copy
    sized        its arguments are the new array's dimensions (np.zeros(n, m))
    view         its result may be (a view of) its first argument's array
    shape_only   it reads its argument's shape, never its values
    access       element or slice access (the transforms handle it themselves)
    elementwise  applied element by element, with NumPy broadcasting
    cost         free | cheap | costly | call (per element, for elementwise ones);
                 free and cheap pure ops are recomputed rather than recorded
    affine       exact ring arithmetic on ints (a + b, a - b, -a, a * b)
    extremum     the max or min of its arguments
    is_sum       its value is a sum over its arguments' elements (sum, mean, dot)
    reduces      it reduces its argument along attrs["axis"] (None: all of it; keepdims)
    ordered      it keeps its place among ordered ops (stacks, whole-array writes, calls)

Derivatives live in `s2sad.rules` (keyed by these entries); spellings per target in
`s2sad.codegen`. tests/rules/test_registry.py checks that every entry has both.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .types import BOOL, F64, I64, ArrayT, Scalar, Type, elem, float_of, promote

COSTS = ("free", "cheap", "costly", "call")
FILLS = ("zeros", "ones", "empty", "value", "copy")


@dataclass(frozen=True, eq=False)
class Prim:
    name: str
    arity: int  # -1: variadic
    typing: str | Callable  # arith | float | bool | int | same | f64 | none | ... | a function
    objects: tuple = ()  # the Python callables that compute it
    infix: str | None = None  # printed as `a + b` / `-a` instead of a call
    effect: bool = False
    writes: int | None = None
    fresh: bool = False
    fill: str | None = None
    sized: bool = False
    view: bool = False
    shape_only: bool = False
    access: bool = False
    elementwise: bool = False
    cost: str = "call"
    affine: bool = False
    extremum: bool = False
    is_sum: bool = False
    reduces: bool = False
    ordered: bool = False

    def __repr__(self) -> str:
        return f"Prim({self.name})"

    @property
    def recompute(self) -> bool:
        """The reverse sweep may compute it again instead of recording its value."""
        return self.cost in ("free", "cheap") and not (self.effect or self.fresh or
                                                       self.ordered or self.access)


PRIMS: dict[str, Prim] = {}
CALLABLES: dict[object, str] = {}


def prim(name: str, arity: int, typing, *objects, **facts) -> Prim:
    """Declare a primitive (see the module docstring for the facts)."""
    if name in PRIMS:
        raise ValueError(f"primitive {name!r} declared twice")
    p = Prim(name, arity, typing, tuple(objects), **facts)
    if p.cost not in COSTS or (p.fill is not None and p.fill not in FILLS):
        raise ValueError(f"{name}: cost must be one of {COSTS}, fill one of {FILLS}")
    PRIMS[name] = p
    for obj in objects:
        register(obj, name)
    return p


def register(obj, name: str) -> None:
    """`obj` lowers to primitive `name` (the frontend looks callables up by identity)."""
    CALLABLES[obj] = name
    # The frontend unwraps `__wrapped__` before the lookup (NumPy's dispatchers such as
    # np.round, np.fix, np.copy, np.zeros_like have one): register the inner one as well.
    inner = getattr(obj, "__wrapped__", None)
    if inner is not None:
        CALLABLES[inner] = name


ELEM = dict(elementwise=True, cost="cheap")  # + - * comparisons ...: one instruction or so
MATH = dict(elementwise=True, cost="costly")  # exp, sin, ...: a library call per element
FREE = dict(cost="free")  # shapes, sizes, conversions
WRITE = dict(effect=True, writes=0, access=True)  # element and slice writes
STACK = dict(effect=True, writes=0, view=True, ordered=True)  # recording stacks

# fmt: off
# arithmetic                                                  (printed infix)
prim("add",      2, "arith",  infix="+", affine=True, **ELEM)
prim("sub",      2, "arith",  infix="-", affine=True, **ELEM)
prim("mul",      2, "arith",  infix="*", affine=True, **ELEM)
prim("div",      2, "float",  infix="/", **ELEM)
prim("floordiv", 2, "arith",  infix="//", **ELEM)
prim("mod",      2, "arith",  infix="%", **ELEM)
prim("pow",      2, "pow",    np.power, infix="**", **ELEM)
prim("neg",      1, "same",   np.negative, infix="-", affine=True, **ELEM)
prim("pos",      1, "same",   infix="+", elementwise=True, cost="free")
# comparisons and logic (never differentiated)
prim("lt",  2, "bool", infix="<", **ELEM)
prim("le",  2, "bool", infix="<=", **ELEM)
prim("gt",  2, "bool", infix=">", **ELEM)
prim("ge",  2, "bool", infix=">=", **ELEM)
prim("eq",  2, "bool", infix="==", **ELEM)
prim("ne",  2, "bool", infix="!=", **ELEM)
prim("not", 1, "bool", infix="not ", **ELEM)
prim("and", 2, "bool", infix="and", **ELEM)  # on values already computed (no short-circuit)
prim("or",  2, "bool", infix="or", **ELEM)
# elementary functions                          Python objects that compute them
prim("exp",      1, "float", math.exp, np.exp,                    **MATH)
prim("exp2",     1, "float", np.exp2,                             **MATH)
prim("expm1",    1, "float", math.expm1, np.expm1,                **MATH)
prim("log",      1, "float", math.log, np.log,                    **MATH)
prim("log2",     1, "float", math.log2, np.log2,                  **MATH)
prim("log10",    1, "float", math.log10, np.log10,                **MATH)
prim("log1p",    1, "float", math.log1p, np.log1p,                **MATH)
prim("sqrt",     1, "float", math.sqrt, np.sqrt,                  **ELEM)  # one instruction
prim("cbrt",     1, "float", np.cbrt,                             **MATH)
prim("sin",      1, "float", math.sin, np.sin,                    **MATH)
prim("cos",      1, "float", math.cos, np.cos,                    **MATH)
prim("tan",      1, "float", math.tan, np.tan,                    **MATH)
prim("asin",     1, "float", math.asin, np.arcsin,                **MATH)
prim("acos",     1, "float", math.acos, np.arccos,                **MATH)
prim("atan",     1, "float", math.atan, np.arctan,                **MATH)
prim("atan2",    2, "float", math.atan2, np.arctan2,              **MATH)
prim("sinh",     1, "float", math.sinh, np.sinh,                  **MATH)
prim("cosh",     1, "float", math.cosh, np.cosh,                  **MATH)
prim("tanh",     1, "float", math.tanh, np.tanh,                  **MATH)
prim("asinh",    1, "float", math.asinh, np.arcsinh,              **MATH)
prim("acosh",    1, "float", math.acosh, np.arccosh,              **MATH)
prim("atanh",    1, "float", math.atanh, np.arctanh,              **MATH)
prim("hypot",    2, "float", math.hypot, np.hypot,                **MATH)
prim("fpow",     2, "float", math.pow,                            **MATH)
prim("erf",      1, "float", math.erf,                            **MATH)
prim("erfc",     1, "float", math.erfc,                           **MATH)
prim("logaddexp", 2, "float", np.logaddexp,                       **MATH)
prim("copysign", 2, "float", math.copysign, np.copysign,          **ELEM)
prim("abs",      1, "same",  builtins.abs, np.abs, np.absolute,   **ELEM)
prim("fabs",     1, "float", math.fabs, np.fabs,                  **ELEM)
prim("max",      2, "arith", np.maximum, np.fmax,                 extremum=True, **ELEM)
prim("min",      2, "arith", np.minimum, np.fmin,                 extremum=True, **ELEM)
# piecewise constant: zero derivative (float result) or cut (int result)
prim("floor",    1, "float", np.floor,                            **ELEM)
prim("ceil",     1, "float", np.ceil,                             **ELEM)
prim("trunc",    1, "float", np.trunc, np.fix,                    **ELEM)
prim("round",    1, "float", np.round, np.rint, np.around,        **ELEM)
prim("round_to", 2, "float",                                      **ELEM)  # round(x, n)
prim("sign",     1, "same",  np.sign,                             **ELEM)
prim("ifloor",   1, "int",   math.floor,                          cost="cheap")
prim("iceil",    1, "int",   math.ceil,                           cost="cheap")
prim("itrunc",   1, "int",   math.trunc,                          cost="cheap")
prim("iround",   1, "int",   builtins.round,                      cost="cheap")
# conversions (float of an array is np.asarray: the array itself)
prim("float",    1, "f64",   builtins.float, np.float64,          elementwise=True, view=True,
                                                                  **FREE)
prim("int",      1, "int",   builtins.int, np.int64,              **FREE)
prim("opaque",   -1, "float", ordered=True)  # a rule-less library call (attrs path)
prim("stop_gradient", 1, "same", view=True, **FREE)
# select(c, a, b) = a if c else b, both sides evaluated (rules use it for kinks)
prim("select",   3, "select", **ELEM)
# arrays: element access and shapes
prim("getitem",  -1, "getitem", access=True, **FREE)
prim("setitem",  -1, "none",    **WRITE)
prim("len",      1,  "int",  builtins.len, shape_only=True,       **FREE)
prim("dim",      1,  "int",  shape_only=True,                     **FREE)  # a.shape[axis]
prim("size",     1,  "int",  shape_only=True,                     **FREE)  # a.size
# allocation: shape as one int per dimension; attrs: dtype ("f64", "i64", ...)
prim("zeros",    -1, "alloc", np.zeros,          fresh=True, fill="zeros", sized=True)
prim("ones",     -1, "alloc", np.ones,           fresh=True, fill="ones", sized=True)
prim("empty",    -1, "alloc", np.empty,          fresh=True, fill="empty", sized=True)
prim("full",     -1, lambda ts, a: ArrayT(float_of(elem(ts[-1])), len(ts) - 1), np.full,
                                                 fresh=True, fill="value", sized=True)
prim("zeros_like", 1, "same", np.zeros_like,     fresh=True, fill="zeros", shape_only=True)
prim("ones_like",  1, "same", np.ones_like,      fresh=True, fill="ones", shape_only=True)
prim("empty_like", 1, "same", np.empty_like,     fresh=True, fill="empty", shape_only=True)
prim("copy",     1,  "same",  np.copy, np.ascontiguousarray, fresh=True, fill="copy")
# storage of the adjoint's forward sweep (generated code calls s2sad.runtime)
prim("trip_count", 3, "int", **FREE)                            # len(range(...))
prim("push",     3,  "same", **STACK)                           # tape with v at sp
prim("reserve",  2,  "same", effect=True, view=True, ordered=True)  # room for n values
prim("pop",      0,  "none", ordered=True)  # v = pop(): the value the matching push recorded
prim("push_array", 3, "same", **STACK)                          # an array's elements
prim("pop_array", -1, lambda ts, a: ArrayT(F64, len(ts) - 2), ordered=True)  # (tape, sp, *shape)
prim("iadd",     2,  "none", ordered=True, **WRITE)  # a += b, in place
# fmt: on

# math.log(x, base) is lowered to log(x) / log(base) (frontend).

CONSTANTS: dict[object, float] = {}  # filled by the frontend from math/np attributes
NAMED_CONSTANTS = {
    (math, "pi"): math.pi, (np, "pi"): np.pi,
    (math, "e"): math.e, (np, "e"): np.e,
    (math, "inf"): math.inf, (np, "inf"): np.inf,
    (math, "nan"): math.nan, (np, "nan"): np.nan,
    (math, "tau"): math.tau,
}


def result_type(name: str, arg_types: list[Type], attrs: dict | None = None) -> Type:
    """Type of a primitive's result given its argument types (NumPy promotion)."""
    p = PRIMS[name]
    t = p.typing
    if callable(t):
        return t(arg_types, attrs or {})
    if t == "arith":
        return promote(*arg_types)
    if t == "float":
        return float_of(promote(*arg_types))
    if t == "same":
        return arg_types[0]
    if t == "bool":
        nd = max((a.ndim for a in arg_types if isinstance(a, ArrayT)), default=-1)
        return ArrayT(BOOL, nd) if nd >= 0 else BOOL
    if t == "int":
        return I64
    if t == "f64":
        return F64
    if t == "pow":
        base, expo = arg_types
        r = promote(base, expo)
        if elem(r) in (I64, BOOL) and not (attrs or {}).get("nonneg_int_exponent"):
            return float_of(r)
        return r
    if t == "select":
        return promote(arg_types[1], arg_types[2])
    if t == "alloc":
        dt = {"f64": F64, "f32": Scalar("f32"), "i64": I64, "bool": BOOL}[(attrs or {}).get("dtype", "f64")]
        return ArrayT(dt, len(arg_types))
    if t == "getitem":
        arr = arg_types[0]
        assert isinstance(arr, ArrayT)
        return arr.dtype
    raise TypeError(f"no result type for {name}")


def is_scalar_type(t: Type) -> bool:
    return isinstance(t, Scalar)


# ---------------------------------------------------------------- arrays (vectorized NumPy)
def _arr(t: Type) -> ArrayT:
    if not isinstance(t, ArrayT):
        raise TypeError(f"expected an array, got {t}")
    return t


def _reduce_t(ts, attrs):
    a = _arr(ts[0])
    dt = float_of(a.dtype) if attrs.get("float") else a.dtype
    axis = attrs.get("axis")
    return dt if axis is None or a.ndim == 1 else ArrayT(dt, a.ndim - 1)


def _matmul_t(ts, attrs):
    a, b = ts
    dt = promote(elem(a), elem(b))
    nd = {(2, 2): 2, (2, 1): 1, (1, 2): 1, (1, 1): 0}[(a.ndim, b.ndim)]
    return ArrayT(dt, nd) if nd else dt


def _slice_t(ts, attrs):
    a = _arr(ts[0])
    nd = sum(1 for k in attrs["spec"] if k[0] == "s")
    return ArrayT(a.dtype, nd) if nd else a.dtype


def _same_float(ts, attrs):
    return float_of(ts[0])


def _shape_t(ts, attrs):
    return ArrayT(elem(ts[0]), attrs["ndim"])


def _join_t(ts, attrs):
    dt = promote(*[elem(t) for t in ts])
    nd = _arr(ts[0]).ndim + (1 if attrs.get("new_axis") else 0)
    return ArrayT(dt, nd)


def _diag_t(ts, attrs):
    a = _arr(ts[0])
    return ArrayT(a.dtype, 2 if a.ndim == 1 else 1)


def _transpose_t(ts, attrs):
    return _arr(ts[0])


def _where_t(ts):
    dt = elem(promote(ts[1], ts[2]))
    nd = max((t.ndim for t in ts if isinstance(t, ArrayT)), default=-1)
    return ArrayT(dt, nd) if nd >= 0 else dt


def _scalar_of(ts, attrs):
    return float_of(elem(ts[0]))


def _argreduce_t(ts, attrs):
    a = _arr(ts[0])
    return I64 if attrs.get("axis") is None else ArrayT(I64, a.ndim - 1)


# fmt: off
prim("sum",       1, _reduce_t,  np.sum,                      is_sum=True, reduces=True)
prim("mean",      1, lambda ts, a: _reduce_t(ts, {**a, "float": True}), np.mean, is_sum=True,
                                                              reduces=True)
prim("prod",      1, _reduce_t,  np.prod,                     reduces=True)
prim("amax",      1, _reduce_t,  np.max, np.amax,             reduces=True)
prim("amin",      1, _reduce_t,  np.min, np.amin,             reduces=True)
prim("matmul",    2, _matmul_t,  np.matmul, np.dot,           is_sum=True)
prim("outer",     2, lambda ts, a: ArrayT(promote(elem(ts[0]), elem(ts[1])), 2), np.outer)
prim("transpose", 1, _transpose_t, np.transpose,              view=True)
prim("reshape",   -1, _shape_t,  np.reshape,                  view=True)
prim("where",     3, lambda ts, a: _where_t(ts), np.where,    **ELEM)
prim("clip",      3, "same",     np.clip)
prim("norm",      1, _scalar_of, np.linalg.norm)
prim("cumsum",    1, "same",     np.cumsum)  # attrs: axis
prim("cumprod",   1, "same",     np.cumprod)  # attrs: axis
prim("cumprod_jvp", 2, lambda ts, a: ts[0])  # (x, t): exact at zeros
prim("cumprod_vjp", 2, lambda ts, a: ts[0])  # (x, g): exact at zeros
prim("argsort",   1, lambda ts, a: ArrayT(I64, _arr(ts[0]).ndim), np.argsort)  # attrs: axis
prim("argmax",    1, _argreduce_t, np.argmax)  # attrs: axis
prim("argmin",    1, _argreduce_t, np.argmin)
prim("take_along", 2, lambda ts, a: ts[0])  # x[..., idx, ...] (attrs: axis)
prim("put_along", 3, lambda ts, a: ts[0])  # zeros like x, += g at idx
prim("prod_others", 1, "same")  # the product of the other elements (attrs: axis)
prim("take",      2, lambda ts, a: ArrayT(_arr(ts[0]).dtype, _arr(ts[0]).ndim), np.take)
prim("scatter_add", 3, lambda ts, a: ts[0])  # zeros like x, += g at idx
prim("diag",      1, _diag_t,    np.diag,                     view=True)
prim("trace",     1, _scalar_of, np.trace)
prim("concatenate", -1, _join_t, np.concatenate)
prim("stack",     -1, lambda ts, a: _join_t(ts, {**a, "new_axis": True}), np.stack)
prim("getslice",  -1, _slice_t, access=True, view=True, **FREE)  # a[1:-1], a[:, j]: spec
prim("setslice",  -1, "none", ordered=True, **WRITE)  # a[1:-1] = v
prim("iaddslice", -1, "none", ordered=True, **WRITE)  # a[1:-1] += v
prim("expand_to", 2, lambda ts, a: ts[1], view=True)     # broadcast g back over x (axis)
prim("sum_to",    2, lambda ts, a: ts[1], view=True)     # undo broadcasting: c to x's shape
prim("broadcast_to", 2, lambda ts, a: ts[1], view=True)  # v over like's shape
# linear algebra
prim("solve",     2, lambda ts, a: ts[1],  np.linalg.solve)
prim("inv",       1, "same",     np.linalg.inv)
prim("det",       1, _scalar_of, np.linalg.det)
prim("logabsdet", 1, _scalar_of)                    # slogdet(a)[1]
prim("sign_det",  1, _scalar_of)                    # slogdet(a)[0]
prim("cholesky",  1, "same",     np.linalg.cholesky)
prim("eigvalsh",  1, lambda ts, a: ArrayT(elem(ts[0]), 1), np.linalg.eigvalsh)
prim("eigh_vecs", 1, "same")                        # eigh(a)[1]
prim("tril",      1, "same",     np.tril)
prim("triu",      1, "same",     np.triu)
prim("arange",    -1, lambda ts, a: ArrayT(elem(promote(*ts)) if any(elem(t) == F64 for t in ts)
                                          else I64, 1), np.arange, fresh=True)
prim("eye",       1, lambda ts, a: ArrayT(F64, 2), np.eye,   fresh=True)
prim("basis",     2, lambda ts, a: ArrayT(F64, 1),           fresh=True)  # e_k (n, k)
prim("linspace",  3, lambda ts, a: ArrayT(F64, 1), np.linspace, fresh=True)
prim("eig_gaps",  1, lambda ts, a: ArrayT(elem(ts[0]), 2))  # 1/(w_j - w_i) off the diagonal
prim("phi",       1, "same")                        # lower triangle, half the diagonal
prim("eye_like",  1, "same")                        # identity of a square matrix's shape
# fmt: on

# Names the frontend lowers to other primitives (frontend/arrays.py), never in the IR:
# np.sort(x) is take(x, argsort(x)), so the reverse sweep reuses the permutation;
# np.expand_dims(x, k) is a reshape.
LOWERED = {"sort", "expand_dims"}
register(np.sort, "sort")
register(np.expand_dims, "expand_dims")
