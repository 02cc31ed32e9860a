"""The runtime's helpers as Numba compiles them: what the cpu target's generated modules
call as `_rt` (backends/cpu.py binds it), under the same names as s2sad/runtime.py.

Each helper is compiled once per argument type and kept in Numba's disk cache
(`cache=True`); `push`, the one inside loops, is inlined. Where Numba lacks what NumPy
spells (np.max(axis=), broadcasting of a shape, ...) the plain function gets an overload:
one fiber loop per rank and literal axis, made when Numba types the call.
"""

from __future__ import annotations

import numba
import numba.extending
import numpy as np

from .. import runtime as rt
from ..ir.primitives import register


@numba.extending.overload(rt._broadcast_to)
def _broadcast_to_numba(v, x):
    if isinstance(x, numba.types.Number):  # (Numba makes numbers of 0-d arrays' arithmetic)
        return lambda v, x: v
    if isinstance(v, numba.types.Number):
        return lambda v, x: np.full(x.shape, v)
    if v.ndim != x.ndim:
        return lambda v, x: v + np.zeros(x.shape, v.dtype)

    def impl(v, x):
        if v.shape == x.shape:
            return v
        return v + np.zeros(x.shape, v.dtype)
    return impl


@numba.extending.overload(rt._sum_to)
def _sum_to_numba(c, x):
    if c.ndim == 2 and x.ndim == 1:
        def impl21(c, x):
            if x.shape[0] == c.shape[1]:
                return np.sum(c, axis=0)
            return np.full(1, np.sum(c))
        return impl21
    if c.ndim != x.ndim:
        return rt._sum_to_any
    if c.ndim == 1:
        def impl1(c, x):
            if c.shape[0] == x.shape[0]:
                return c
            return np.full(1, np.sum(c))
        return impl1
    if c.ndim == 2:
        def impl2(c, x):
            if c.shape[0] == x.shape[0] and c.shape[1] == x.shape[1]:
                return c
            out = c
            if x.shape[0] == 1 and c.shape[0] != 1:
                out = np.sum(out, axis=0).reshape((1, out.shape[1]))
            if x.shape[1] == 1 and out.shape[1] != 1:
                out = np.sum(out, axis=1).reshape((out.shape[0], 1))
            return out
        return impl2

    def impl(c, x):
        if c.shape == x.shape:
            return c
        return _sum_to_any_jit(c, x)
    return impl


def _fiber_loop(kernel, ndim: int, axis: int, reduce: bool):
    """An njit function applying kernel to every 1-D fiber of x along axis: reduce gives an
    array of the other axes, otherwise kernel(fiber, out_fiber) fills an array like x."""
    other = [k for k in range(ndim) if k != axis]
    fiber = ", ".join(":" if k == axis else f"i{k}" for k in range(ndim))
    lines = ["def along(x):"]
    if reduce:
        shape = "".join(f"x.shape[{k}], " for k in other)
        lines.append(f"    out = np.empty(({shape}), x.dtype)")
    else:
        lines.append("    out = np.empty_like(x)")
    pad = "    "
    for k in other:
        lines.append(f"{pad}for i{k} in range(x.shape[{k}]):")
        pad += "    "
    if reduce:
        lines.append(f"{pad}out[{', '.join(f'i{k}' for k in other)}] = kernel(x[{fiber}])")
    else:
        lines.append(f"{pad}kernel(x[{fiber}], out[{fiber}])")
    lines.append("    return out")
    ns = {"np": np, "kernel": kernel}
    exec("\n".join(lines), ns)
    return numba.njit(ns["along"])


def _along_axis(py, kernel, reduce: bool):
    """py(x, axis) for Python; in Numba, its fiber loop for x's rank and the literal axis."""
    kernel = numba.njit(cache=True)(kernel)
    loops: dict = {}

    @numba.extending.overload(py)
    def _numba(x, axis):
        if isinstance(axis, numba.types.NoneType):
            if reduce:
                return lambda x, axis: kernel(x.ravel())

            def flat(x, axis):
                out = np.empty(x.size, x.dtype)
                kernel(x.ravel(), out)
                return out.reshape(x.shape)
            return flat
        if not isinstance(axis, numba.types.IntegerLiteral):
            return None  # Numba retries with the literal axis of the call
        key = (x.ndim, axis.literal_value)
        if key not in loops:
            loops[key] = _fiber_loop(kernel, *key, reduce)
        along = loops[key]
        return lambda x, axis: along(x)

    return py


def _fibers_n(kernel, ndim: int, axis: int, n_in: int, alloc: str):
    names = [f"a{i}" for i in range(n_in)]
    fiber = ", ".join(":" if k == axis else f"i{k}" for k in range(ndim))
    lines = [f"def along({', '.join(names)}):", f"    out = {alloc}"]
    pad = "    "
    for k in range(ndim):
        if k != axis:
            lines.append(f"{pad}for i{k} in range(a0.shape[{k}]):")
            pad += "    "
    lines.append(f"{pad}kernel({', '.join(f'{n}[{fiber}]' for n in names)}, out[{fiber}])")
    lines.append("    return out")
    ns = {"np": np, "kernel": kernel}
    exec("\n".join(lines), ns)
    return numba.njit(ns["along"])


def _along_n(py, kernel, n_in: int, alloc: str):
    """py(a0, ..., axis) for Python; in Numba, the fiber loop of kernel for a0's rank and
    the literal axis (None: a0 is 1-D)."""
    kernel = numba.njit(cache=True)(kernel)
    loops: dict = {}
    params = ", ".join(f"a{i}" for i in range(n_in))

    def pick(a0, axis):
        if isinstance(axis, numba.types.NoneType):
            key = (a0.ndim, 0)
        elif isinstance(axis, numba.types.IntegerLiteral):
            key = (a0.ndim, axis.literal_value)
        else:
            return None  # Numba retries with the literal axis of the call
        if key not in loops:
            loops[key] = _fibers_n(kernel, *key, n_in, alloc)
        return loops[key]

    ns = {"pick": pick}
    exec(f"def ol({params}, axis):\n"
         f"    along = pick(a0, axis)\n"
         f"    if along is None:\n"
         f"        return None\n"
         f"    return lambda {params}, axis: along({params})\n", ns)
    numba.extending.overload(py)(ns["ol"])
    return py


_along_n(rt.argsort_along, rt._argsort1, 1, "np.empty(a0.shape, np.int64)")
_along_n(rt.cumprod_along, rt._cumprod1, 1, "np.empty_like(a0)")
_along_n(rt.take_along, rt._take1, 2, "np.empty(a1.shape, a0.dtype)")
_along_n(rt.put_along, rt._put1, 3, "np.zeros(a0.shape, a2.dtype)")
_along_n(rt.cumprod_jvp, rt._cumprod_jvp1, 2, "np.empty(a0.shape, a1.dtype)")
_along_n(rt.cumprod_vjp, rt._cumprod_vjp1, 2, "np.empty(a0.shape, a1.dtype)")
_along_axis(rt.amax_along, lambda v: np.max(v), True)
_along_axis(rt.amin_along, lambda v: np.min(v), True)
_along_axis(rt.prod_along, lambda v: np.prod(v), True)
_along_axis(rt.prod_others, rt._prod_others1, False)

# the plain functions, overloaded above: Numba compiles their overloads
argsort_along, cumprod_along, take_along = rt.argsort_along, rt.cumprod_along, rt.take_along
put_along, cumprod_jvp, cumprod_vjp = rt.put_along, rt.cumprod_jvp, rt.cumprod_vjp
amax_along, amin_along, prod_along = rt.amax_along, rt.amin_along, rt.prod_along
prod_others = rt.prod_others

# The stacks grow by copying in a loop, not with `new[:sp] = tape[:sp]` as runtime.py
# does: Numba compiles a slice assignment's shape check and its error message in about
# 1.7 s per array type, a loop in milliseconds (the Verlet gradient's cold first call:
# 4.0 s -> 1.2 s). push is inlined (it runs in loops: a call per push is 5x slower).


def _push(tape, sp, v):
    """tape[sp] = v, growing the stack by doubling when it is full."""
    if sp >= tape.shape[0]:
        new = np.empty(max(2 * tape.shape[0], 16), tape.dtype)
        for k in range(sp):
            new[k] = tape[k]
        new[sp] = v
        return new
    tape[sp] = v
    return tape


def _push_array(tape, sp, v):
    """v's elements at tape[sp:sp + v.size], growing the stack when it is full."""
    n = v.size
    if sp + n > tape.shape[0]:
        new = np.empty(max(2 * tape.shape[0], sp + n), tape.dtype)
        for k in range(sp):
            new[k] = tape[k]
        tape = new
    k = 0
    for x in v.flat:
        tape[sp + k] = x
        k += 1
    return tape


def _reserve(tape, n):
    """A stack with room for n values (the same one if it has room already)."""
    if n <= tape.shape[0]:
        return tape
    new = np.empty(max(n, 2 * tape.shape[0]), tape.dtype)
    for k in range(tape.shape[0]):
        new[k] = tape[k]
    return new


push = numba.njit(cache=True, inline="always")(_push)
push_array = numba.njit(cache=True)(_push_array)
pop_array1 = numba.njit(cache=True)(rt._pop_array1)
pop_array2 = numba.njit(cache=True)(rt._pop_array2)
trip_count = numba.njit(cache=True)(rt._trip_count)
reserve = numba.njit(cache=True, inline="always")(_reserve)  # a call per loop costs more than the loop

eig_gaps = numba.njit(cache=True)(rt._eig_gaps)
basis = numba.njit(cache=True)(rt._basis)
scatter_add = numba.njit(cache=True)(rt._scatter_add)
erf = numba.njit(cache=True)(rt._erf)
erfc = numba.njit(cache=True)(rt._erfc)

expand_to = numba.njit(cache=True)(rt._expand_to)
_sum_to_any_jit = numba.njit(cache=True)(rt._sum_to_any)
sum_to = numba.njit(cache=True)(lambda c, x: rt._sum_to(c, x))
broadcast_to = numba.njit(cache=True)(lambda v, x: rt._broadcast_to(v, x))

assert all(n in globals() for n in rt.NAMES), "numba_runtime lacks a helper of runtime"
for _name, _prim in rt.PRIMITIVES.items():
    register(globals()[_name], _prim)  # (a derivative's source, differentiated again)
