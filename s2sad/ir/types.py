"""Value types of the IR: float/int/bool scalars and float/int/bool arrays.

Tuples never reach the IR: the frontend flattens them (like JAX pytrees).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class Type:
    __slots__ = ()


@dataclass(frozen=True)
class Scalar(Type):
    name: str  # "f64", "f32", "i64", "bool"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ArrayT(Type):
    dtype: Scalar
    ndim: int

    def __str__(self) -> str:
        return f"{self.dtype}[{', '.join(':' * self.ndim)}]" if self.ndim else f"{self.dtype}[]"


F64 = Scalar("f64")
F32 = Scalar("f32")
I64 = Scalar("i64")
BOOL = Scalar("bool")

_NUMPY_DTYPES = {F64: np.float64, F32: np.float32, I64: np.int64, BOOL: np.bool_}


def is_float(t: Type) -> bool:
    """True for the types that carry derivatives: float scalars and float arrays."""
    if isinstance(t, ArrayT):
        return t.dtype in (F64, F32)
    return t in (F64, F32)


def is_array(t: Type) -> bool:
    return isinstance(t, ArrayT)


def elem(t: Type) -> Scalar:
    return t.dtype if isinstance(t, ArrayT) else t  # type: ignore[return-value]


def numpy_dtype(t: Type):
    return _NUMPY_DTYPES[elem(t)]


_RANK = {BOOL: 0, I64: 1, F32: 2, F64: 3}


def promote(*types: Type) -> Type:
    """NumPy-style result type of an arithmetic op between the given types."""
    scalars = [elem(t) for t in types]
    best = max(scalars, key=lambda s: _RANK[s])
    if best == BOOL:
        best = I64
    # NumPy 2 (NEP 50): a Python float is weak, float32 stays float32 with it; float64
    # arrays are not
    if best == F64 and F32 in scalars and not any(
            isinstance(t, ArrayT) and t.dtype == F64 for t in types):
        best = F32
    # float32 arrays stay float32 with Python/int scalars, as in NumPy 2.
    if best == F32 and any(elem(t) == I64 and isinstance(t, ArrayT) for t in types):
        best = F64
    ndim = max((t.ndim for t in types if isinstance(t, ArrayT)), default=-1)
    return ArrayT(best, ndim) if ndim >= 0 else best


def float_of(t: Type) -> Type:
    """The float type an int/bool value turns into under true division or a float function."""
    s = elem(t)
    f = s if s in (F64, F32) else F64
    return ArrayT(f, t.ndim) if isinstance(t, ArrayT) else f


def unify(a: Type, b: Type) -> Type | None:
    """Type a variable gets when assigned both a and b (loop-carried values, branches)."""
    if a == b:
        return a
    if isinstance(a, ArrayT) or isinstance(b, ArrayT):
        if isinstance(a, ArrayT) and isinstance(b, ArrayT) and a.ndim == b.ndim:
            return ArrayT(promote(a.dtype, b.dtype), a.ndim)  # type: ignore[arg-type]
        return None
    return promote(a, b)


def typeof(value) -> Type:
    """The IR type of a Python argument value."""
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (int, np.integer)):
        return I64
    if isinstance(value, np.float32):
        return F32
    if isinstance(value, (float, np.floating)):
        return F64
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
        if kind == "f":
            dt = F32 if value.dtype == np.float32 else F64
        elif kind in "iu":
            dt = I64
        elif kind == "b":
            dt = BOOL
        else:
            raise TypeError(f"arrays of dtype {value.dtype} are not supported")
        return ArrayT(dt, value.ndim)
    raise TypeError(f"arguments of type {type(value).__name__} are not supported")
