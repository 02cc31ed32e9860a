"""The op set of the IR as a table: name, how it types, how it prints, what lowers to it.

The frontend finds primitives by object identity (`CALLABLES[np.sin] == "sin"`), so
`np.sin`, `numpy.sin` and `from math import sin as s` all reach the same primitive.
Derivatives live in `s2sad.rules`, not here.
"""

from __future__ import annotations

import builtins
import math
from dataclasses import dataclass

import numpy as np

from .types import BOOL, F64, I64, ArrayT, Scalar, Type, elem, float_of, promote


@dataclass(frozen=True)
class Prim:
    name: str
    arity: int  # -1: variadic
    typing: str  # arith | float | bool | int | same | f64 | none | <custom>
    infix: str | None = None  # printed as `a + b` / `-a` instead of a call
    emit: str | None = None  # the callable generated code uses, e.g. "math.exp"
    pure: bool = True  # no side effects (setitem is the exception)


PRIMS: dict[str, Prim] = {}
CALLABLES: dict[object, str] = {}


def prim(name, arity, typing, *objects, infix=None, emit=None, pure=True) -> Prim:
    p = Prim(name, arity, typing, infix, emit, pure)
    PRIMS[name] = p
    for obj in objects:
        CALLABLES[obj] = name
        # The frontend unwraps `__wrapped__` before the lookup (NumPy's dispatchers such as
        # np.round, np.fix, np.copy, np.zeros_like have one): register the inner one as well.
        inner = getattr(obj, "__wrapped__", None)
        if inner is not None:
            CALLABLES[inner] = name
    return p


# fmt: off
# arithmetic                                                  (printed infix)
prim("add",      2, "arith",  infix="+")
prim("sub",      2, "arith",  infix="-")
prim("mul",      2, "arith",  infix="*")
prim("div",      2, "float",  infix="/")
prim("floordiv", 2, "arith",  infix="//")
prim("mod",      2, "arith",  infix="%")
prim("pow",      2, "pow",    np.power, infix="**")
prim("neg",      1, "same",   np.negative, infix="-")
prim("pos",      1, "same",   infix="+")
# comparisons and logic (never differentiated)
prim("lt",  2, "bool", infix="<")
prim("le",  2, "bool", infix="<=")
prim("gt",  2, "bool", infix=">")
prim("ge",  2, "bool", infix=">=")
prim("eq",  2, "bool", infix="==")
prim("ne",  2, "bool", infix="!=")
prim("not", 1, "bool", infix="not ")
prim("and", 2, "bool", infix="and")  # on values already computed (no short-circuit needed)
prim("or",  2, "bool", infix="or")
# elementary functions                          Python objects that lower to them
prim("exp",      1, "float", math.exp, np.exp,                    emit="math.exp")
prim("exp2",     1, "float", np.exp2,                             emit="np.exp2")
prim("expm1",    1, "float", math.expm1, np.expm1,                emit="math.expm1")
prim("log",      1, "float", np.log,                              emit="math.log")
prim("log2",     1, "float", math.log2, np.log2,                  emit="math.log2")
prim("log10",    1, "float", math.log10, np.log10,                emit="math.log10")
prim("log1p",    1, "float", math.log1p, np.log1p,                emit="math.log1p")
prim("sqrt",     1, "float", math.sqrt, np.sqrt,                  emit="math.sqrt")
prim("cbrt",     1, "float", np.cbrt,                             emit="np.cbrt")
prim("sin",      1, "float", math.sin, np.sin,                    emit="math.sin")
prim("cos",      1, "float", math.cos, np.cos,                    emit="math.cos")
prim("tan",      1, "float", math.tan, np.tan,                    emit="math.tan")
prim("asin",     1, "float", math.asin, np.arcsin,                emit="math.asin")
prim("acos",     1, "float", math.acos, np.arccos,                emit="math.acos")
prim("atan",     1, "float", math.atan, np.arctan,                emit="math.atan")
prim("atan2",    2, "float", math.atan2, np.arctan2,              emit="math.atan2")
prim("sinh",     1, "float", math.sinh, np.sinh,                  emit="math.sinh")
prim("cosh",     1, "float", math.cosh, np.cosh,                  emit="math.cosh")
prim("tanh",     1, "float", math.tanh, np.tanh,                  emit="math.tanh")
prim("asinh",    1, "float", math.asinh, np.arcsinh,              emit="math.asinh")
prim("acosh",    1, "float", math.acosh, np.arccosh,              emit="math.acosh")
prim("atanh",    1, "float", math.atanh, np.arctanh,              emit="math.atanh")
prim("hypot",    2, "float", math.hypot, np.hypot,                emit="math.hypot")
prim("fpow",     2, "float", math.pow,                            emit="math.pow")
prim("erf",      1, "float", math.erf,                            emit="math.erf")
prim("erfc",     1, "float", math.erfc,                           emit="math.erfc")
prim("copysign", 2, "float", math.copysign, np.copysign,          emit="math.copysign")
prim("abs",      1, "same",  builtins.abs, np.abs, np.absolute,   emit="abs")
prim("fabs",     1, "float", math.fabs, np.fabs,                  emit="math.fabs")
prim("logaddexp", 2, "float", np.logaddexp,                      emit="np.logaddexp")
prim("max",      2, "arith", np.maximum, np.fmax,                 emit="max")
prim("min",      2, "arith", np.minimum, np.fmin,                 emit="min")
# piecewise constant: zero derivative (float result) or cut (int result)
prim("floor",    1, "float", np.floor,                            emit="np.floor")
prim("ceil",     1, "float", np.ceil,                             emit="np.ceil")
prim("trunc",    1, "float", np.trunc, np.fix,                    emit="np.trunc")
prim("round",    1, "float", np.round, np.rint, np.around,        emit="np.round")
prim("round_to", 2, "float",                                   emit="round")  # round(x, n)
prim("sign",     1, "same",  np.sign,                             emit="np.sign")
prim("ifloor",   1, "int",   math.floor,                          emit="math.floor")
prim("iceil",    1, "int",   math.ceil,                           emit="math.ceil")
prim("itrunc",   1, "int",   math.trunc,                          emit="math.trunc")
prim("iround",   1, "int",   builtins.round,                      emit="round")
# conversions
prim("float",    1, "f64",   builtins.float, np.float64,          emit="float")
prim("int",      1, "int",   builtins.int, np.int64,              emit="int")
prim("opaque",   -1, "float")  # a rule-less library call (attrs path): fine off the diff path
prim("stop_gradient", 1, "same",                                  emit="")
# select(c, a, b) = a if c else b, both sides evaluated (rules use it for kinks)
prim("select",   3, "select")
# arrays: element access (issue: arrays)
prim("getitem",  -1, "getitem")
prim("setitem",  -1, "none", pure=False)
prim("len",      1,  "int",  builtins.len,                        emit="len")
prim("dim",      1,  "int")   # a.shape[axis]
prim("size",     1,  "int")   # a.size
# allocation: shape as one int per dimension; attrs: dtype ("f64", "i64", ...)
prim("zeros",    -1, "alloc", np.zeros,                           emit="np.zeros")
prim("ones",     -1, "alloc", np.ones,                            emit="np.ones")
prim("empty",    -1, "alloc", np.empty,                           emit="np.empty")
prim("full",     -1, lambda ts, a: ArrayT(float_of(elem(ts[-1])), len(ts) - 1), np.full,
                                                                 emit="np.full")
prim("zeros_like", 1, "same", np.zeros_like,                      emit="np.zeros_like")
prim("ones_like",  1, "same", np.ones_like,                       emit="np.ones_like")
prim("empty_like", 1, "same", np.empty_like,                      emit="np.empty_like")
prim("copy",     1,  "same",  np.copy, np.ascontiguousarray,      emit="np.copy")
# storage of the adjoint's forward sweep (generated code calls s2sad.runtime)
prim("trip_count", 3, "int",                        emit="_rt.trip_count")  # len(range(...))
prim("push",     3,  "same",  pure=False,          emit="_rt.push")     # tape with v at sp
prim("reserve",  2,  "same",  pure=False,          emit="_rt.reserve")  # tape with room for n
prim("pop",      0,  "none")  # v = pop(): the value recorded by the matching push
prim("push_array", 3, "same", pure=False, emit="_rt.push_array")  # an array's elements
prim("pop_array", -1, lambda ts, a: ArrayT(F64, len(ts) - 2))     # (tape, sp, *shape)
prim("iadd",     2,  "none",  pure=False)  # a += b, in place
# fmt: on

# math.log(x, base) is lowered to log(x) / log(base); np.log shares "log".
CALLABLES[math.log] = "log"

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
prim("sum",       1, _reduce_t,  np.sum,                      emit="np.sum")
prim("mean",      1, lambda ts, a: _reduce_t(ts, {**a, "float": True}), np.mean, emit="np.mean")
prim("prod",      1, _reduce_t,  np.prod,                     emit="np.prod")
prim("amax",      1, _reduce_t,  np.max, np.amax,             emit="np.max")
prim("amin",      1, _reduce_t,  np.min, np.amin,             emit="np.min")
prim("matmul",    2, _matmul_t,  np.matmul, np.dot,           emit="np.dot")
prim("outer",     2, lambda ts, a: ArrayT(promote(elem(ts[0]), elem(ts[1])), 2), np.outer,
                                                              emit="np.outer")
prim("transpose", 1, _transpose_t, np.transpose,              emit="np.transpose")
prim("reshape",   -1, _shape_t,  np.reshape,                  emit="np.reshape")
prim("where",     3, lambda ts, a: _where_t(ts), np.where,    emit="np.where")
prim("clip",      3, "same",     np.clip,                     emit="np.clip")
prim("norm",      1, _scalar_of, np.linalg.norm,              emit="np.linalg.norm")
prim("cumsum",    1, "same",     np.cumsum,                   emit="np.cumsum")  # attrs: axis
prim("cumprod",   1, "same",     np.cumprod,                  emit="np.cumprod")  # attrs: axis
prim("cumprod_jvp", 2, lambda ts, a: ts[0], emit="_rt.cumprod_jvp")  # (x, t): exact at zeros
prim("cumprod_vjp", 2, lambda ts, a: ts[0], emit="_rt.cumprod_vjp")  # (x, g): exact at zeros
prim("argsort",   1, lambda ts, a: ArrayT(I64, _arr(ts[0]).ndim), np.argsort,
                                                              emit="np.argsort")  # axis
prim("argmax",    1, _argreduce_t, np.argmax,                 emit="np.argmax")  # attrs: axis
prim("argmin",    1, _argreduce_t, np.argmin,                 emit="np.argmin")
prim("take_along", 2, lambda ts, a: ts[0], emit="_rt.take_along")  # x[..., idx, ...] (axis)
prim("put_along", 3, lambda ts, a: ts[0], emit="_rt.put_along")  # zeros like x, += g at idx
prim("prod_others", 1, "same",                                emit="_rt.prod_others")  # axis
prim("take",      2, lambda ts, a: ArrayT(_arr(ts[0]).dtype, _arr(ts[0]).ndim), np.take)
prim("scatter_add", 3, lambda ts, a: ts[0], emit="_rt.scatter_add")  # zeros like x, += g at idx
prim("diag",      1, _diag_t,    np.diag,                     emit="np.diag")
prim("trace",     1, _scalar_of, np.trace,                    emit="np.trace")
prim("concatenate", -1, _join_t, np.concatenate,              emit="np.concatenate")
prim("stack",     -1, lambda ts, a: _join_t(ts, {**a, "new_axis": True}), np.stack,
                                                              emit="np.stack")
prim("getslice",  -1, _slice_t)                     # a[1:-1], a[:, j]: attrs["spec"]
prim("setslice",  -1, "none", pure=False)           # a[1:-1] = v
prim("iaddslice", -1, "none", pure=False)           # a[1:-1] += v
prim("expand_to", 2, lambda ts, a: ts[1])           # broadcast g back over x's shape (axis)
prim("sum_to",    2, lambda ts, a: ts[1], emit="_rt.sum_to")  # undo broadcasting: c to x
prim("broadcast_to", 2, lambda ts, a: ts[1], emit="_rt.broadcast_to")  # v over like's shape
# linear algebra
prim("solve",     2, lambda ts, a: ts[1],  np.linalg.solve,   emit="np.linalg.solve")
prim("inv",       1, "same",     np.linalg.inv,               emit="np.linalg.inv")
prim("det",       1, _scalar_of, np.linalg.det,               emit="np.linalg.det")
prim("logabsdet", 1, _scalar_of)                    # slogdet(a)[1]
prim("sign_det",  1, _scalar_of)                    # slogdet(a)[0]
prim("cholesky",  1, "same",     np.linalg.cholesky,          emit="np.linalg.cholesky")
prim("eigvalsh",  1, lambda ts, a: ArrayT(elem(ts[0]), 1), np.linalg.eigvalsh,
                                                              emit="np.linalg.eigvalsh")
prim("eigh_vecs", 1, "same")                        # eigh(a)[1]
prim("tril",      1, "same",     np.tril,                     emit="np.tril")
prim("triu",      1, "same",     np.triu,                     emit="np.triu")
prim("arange",    -1, lambda ts, a: ArrayT(elem(promote(*ts)) if any(elem(t) == F64 for t in ts)
                                          else I64, 1), np.arange, emit="np.arange")
prim("eye",       1, lambda ts, a: ArrayT(F64, 2), np.eye,   emit="np.eye")
prim("linspace",  3, lambda ts, a: ArrayT(F64, 1), np.linspace, emit="np.linspace")
prim("eig_gaps",  1, lambda ts, a: ArrayT(elem(ts[0]), 2), emit="_rt.eig_gaps")  # 1/(w_j-w_i)
prim("phi",       1, "same")                        # lower triangle, half the diagonal
prim("eye_like",  1, "same")                        # identity of a square matrix's shape
# fmt: on

# Names the frontend lowers to other primitives (frontend/arrays.py), never in the IR:
# np.sort(x) is take(x, argsort(x)), so the reverse sweep reuses the permutation;
# np.expand_dims(x, k) is a reshape.
LOWERED = {"sort", "expand_dims"}
for _obj, _name in ((np.sort, "sort"), (np.expand_dims, "expand_dims")):
    for _o in (_obj, getattr(_obj, "__wrapped__", None)):
        if _o is not None:
            CALLABLES[_o] = _name


def _register_runtime() -> None:
    """The generated code's helpers lower back to their primitives (for nested AD)."""
    from .. import runtime

    for name, prim_name in (("push", "push"), ("reserve", "reserve"),
                            ("trip_count", "trip_count"), ("eig_gaps", "eig_gaps"),
                            ("expand_to", "expand_to"), ("sum_to", "sum_to"),
                            ("broadcast_to", "broadcast_to"),
                            ("push_array", "push_array"), ("pop_array1", "pop_array"),
                            ("pop_array2", "pop_array"), ("scatter_add", "scatter_add")):
        for obj in (getattr(runtime, name), getattr(runtime, "_" + name),
                    getattr(runtime.PY, name)):
            CALLABLES[obj] = prim_name
    # along an axis: the plain functions serve Python and (through overloads) Numba
    for name, prim_name in (("amax_along", "amax"), ("amin_along", "amin"),
                            ("prod_along", "prod"), ("prod_others", "prod_others"),
                            ("argsort_along", "argsort"), ("cumprod_along", "cumprod"),
                            ("take_along", "take_along"), ("put_along", "put_along"),
                            ("cumprod_jvp", "cumprod_jvp"), ("cumprod_vjp", "cumprod_vjp")):
        CALLABLES[getattr(runtime, name)] = prim_name


_register_runtime()
