"""How generated code spells a primitive's call, per target: the IR holds none of this.

A call's spelling is derived from the Python callables an op-table entry lists: the
`math` or builtin function for scalars (`math.atan2`, `abs`), the NumPy function for
arrays (`np.arctan2`). The tables below hold only what that rule does not give: the
runtime's helpers (`_rt.*`), user rules, and the few cases where the derived spelling
is not what Numba (or CUDA device code) accepts.

    CPython/NumPy and Numba: scalar() and array()
    CUDA device code:        scalar() (math.* and builtins), in the Numba source that
                             codegen/cuda.py rewrites into a kernel (array calls refused)
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..ir.primitives import PRIMS, Prim
from ..rules.user import USER

# scalar operands: where the derived spelling does not suit (NumPy names Numba's scalar
# code lacks, or no Python callable computes the primitive)
SCALAR = {
    "log": "math.log", "max": "max", "min": "min", "round_to": "round", "matmul": "np.dot",
}
# array operands
ARRAY = {
    "float": "np.asarray", "erf": "_rt.erf", "erfc": "_rt.erfc", "fpow": "np.power",
    "round_to": "np.round",  # Numba has round(x, n) for scalars only
    "matmul": "np.dot",  # (Numba's np.dot: vectors and matrices)
}
# helpers in s2sad.runtime, for any operand
RUNTIME = {
    name: f"_rt.{name}" for name in (
        "trip_count", "push", "reserve", "push_array", "sum_to", "broadcast_to", "eig_gaps",
        "scatter_add", "take_along", "put_along", "prod_others", "cumprod_jvp",
        "cumprod_vjp", "basis")
}

def _numpy_name(obj) -> str | None:
    """`np.<name>` (or `np.linalg.<name>`) for a NumPy callable, under its own name (NumPy 2's
    array-API aliases, np.atan2 for np.arctan2, are newer than Numba's support)."""
    name = getattr(obj, "__name__", None)
    for space, prefix in ((np, "np"), (np.linalg, "np.linalg")):
        if name and getattr(space, name, None) is obj:
            return f"{prefix}.{name}"
    return None


def _derived(p: Prim, array: bool) -> str | None:
    if not array:
        for obj in p.objects:
            if getattr(math, getattr(obj, "__name__", ""), None) is obj:
                return f"math.{obj.__name__}"
            if getattr(builtins, getattr(obj, "__name__", ""), None) is obj:
                return obj.__name__
    for obj in p.objects:
        name = _numpy_name(obj)
        if name is not None:
            return name
    return None


def user_name(prim: str) -> str:
    """The module-level name a user rule's function is bound to (`_u_sigmoid`)."""
    return f"_u_{USER[prim].__name__}"


def scalar(prim: str) -> str | None:
    """The callable generated CPython/Numba code calls for `prim` on scalars."""
    if prim in USER:
        return user_name(prim)
    return SCALAR.get(prim) or RUNTIME.get(prim) or _derived(PRIMS[prim], array=False)


def array(prim: str) -> str | None:
    """The callable generated CPython/Numba code calls for `prim` on arrays."""
    if prim in USER:
        return user_name(prim)
    return ARRAY.get(prim) or RUNTIME.get(prim) or _derived(PRIMS[prim], array=True)
