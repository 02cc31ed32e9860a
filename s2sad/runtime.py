"""Small helpers the generated code calls (`from s2sad import runtime as _rt`).

They are Numba-compiled for the cpu target; the python target uses the same functions
uncompiled (`PY`).
"""

from __future__ import annotations

import math
import types

import numba
import numba.extending
import numpy as np


def _push(tape, sp, v):
    """tape[sp] = v, growing the stack by doubling when it is full."""
    if sp >= tape.shape[0]:
        new = np.empty(max(2 * tape.shape[0], 16), tape.dtype)
        new[:sp] = tape[:sp]
        new[sp] = v
        return new
    tape[sp] = v
    return tape


def _push_array(tape, sp, v):
    """v's elements at tape[sp:sp + v.size], growing the stack when it is full."""
    n = v.size
    if sp + n > tape.shape[0]:
        new = np.empty(max(2 * tape.shape[0], sp + n), tape.dtype)
        new[:sp] = tape[:sp]
        tape = new
    k = 0
    for x in v.flat:
        tape[sp + k] = x
        k += 1
    return tape


def _pop_array1(tape, sp, n0):
    return tape[sp:sp + n0].copy()


def _pop_array2(tape, sp, n0, n1):
    return tape[sp:sp + n0 * n1].copy().reshape((n0, n1))


def _scatter_add(x, idx, g):
    """An array of zeros like x with g[k] added at x[idx[k]] (the adjoint of x[idx])."""
    out = np.zeros(x.shape, g.dtype)
    for k in range(idx.shape[0]):
        out[idx[k]] = out[idx[k]] + g[k]
    return out


def _reserve(tape, n):
    """A stack with room for n values (the same one if it has room already)."""
    if n <= tape.shape[0]:
        return tape
    new = np.empty(max(n, 2 * tape.shape[0]), tape.dtype)
    new[: tape.shape[0]] = tape
    return new


def _trip_count(start, stop, step):
    """len(range(start, stop, step))."""
    if step > 0:
        return max(0, (stop - start + step - 1) // step)
    return max(0, (start - stop - step - 1) // (-step))


def _erf(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out.flat[i] = math.erf(x.flat[i])
    return out


def _erfc(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out.flat[i] = math.erfc(x.flat[i])
    return out


def _eig_gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it (distinct eigenvalues)."""
    n = w.shape[0]
    f = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                f[i, j] = 1.0 / (w[j] - w[i])
    return f


def _expand_to(g, x, axis):
    """g (x reduced over `axis`) broadcast back to x's shape."""
    return np.broadcast_to(np.expand_dims(g, axis), x.shape)


def _sum_to(c, x):
    """c summed over the axes where x has size 1 (NumPy broadcasting, reversed)."""
    if c.shape == x.shape:
        return c
    axes = tuple(k for k in range(c.ndim) if x.shape[k] == 1 and c.shape[k] != 1)
    return np.sum(c, axis=axes, keepdims=True)


@numba.extending.overload(_sum_to)
def _sum_to_numba(c, x):
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

    def impl(c, x):  # higher ranks: add each element of c into the element of x it came from
        if c.shape == x.shape:
            return c
        cs, xs = c.shape, x.shape
        flat = np.ascontiguousarray(c).ravel()
        out = np.zeros(x.size, c.dtype)
        for f in range(flat.size):
            rem, o, mult = f, 0, 1
            for k in range(c.ndim - 1, -1, -1):
                ik = rem % cs[k]
                rem //= cs[k]
                if xs[k] != 1:
                    o += ik * mult
                mult *= xs[k]
            out[o] += flat[f]
        return out.reshape(xs)
    return impl


# ---------------------------------------------------------------- along one axis
# Numba's np.max, np.min and np.prod take no axis=: generated code calls these instead. In
# Python they are NumPy; in Numba, one 1-D kernel per fiber of the axis (a loop nest over
# the other axes, made for the array's rank and the constant axis when Numba types the call).


def _prod_others1(v, out):
    """out[i] = the product of the elements of v other than v[i], without division (prefix
    times suffix products), so it is exact where v has zeros."""
    acc = 1.0
    for i in range(v.shape[0]):
        out[i] = acc
        acc *= v[i]
    acc = 1.0
    for i in range(v.shape[0] - 1, -1, -1):
        out[i] *= acc
        acc *= v[i]


def _prod_others_py(x, axis):
    """The product of the other elements along axis (all elements when axis is None)."""
    if axis is None:
        out = np.empty(x.size, dtype=x.dtype)
        _prod_others1(np.ravel(x), out)
        return out.reshape(x.shape)
    out = np.empty_like(x)
    for idx in np.ndindex(*(x.shape[:axis] + x.shape[axis + 1:])):
        fiber = idx[:axis] + (slice(None),) + idx[axis:]
        _prod_others1(x[fiber], out[fiber])
    return out


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


amax_along = _along_axis(lambda x, axis: np.max(x, axis=axis), lambda v: np.max(v), True)
amin_along = _along_axis(lambda x, axis: np.min(x, axis=axis), lambda v: np.min(v), True)
prod_along = _along_axis(lambda x, axis: np.prod(x, axis=axis), lambda v: np.prod(v), True)
prod_others = _along_axis(_prod_others_py, _prod_others1, False)

push = numba.njit(cache=True, inline="always")(_push)
push_array = numba.njit(cache=True)(_push_array)
pop_array1 = numba.njit(cache=True)(_pop_array1)
pop_array2 = numba.njit(cache=True)(_pop_array2)
trip_count = numba.njit(cache=True, inline="always")(_trip_count)
reserve = numba.njit(cache=True)(_reserve)

eig_gaps = numba.njit(cache=True)(_eig_gaps)
scatter_add = numba.njit(cache=True)(_scatter_add)
erf = numba.njit(cache=True)(_erf)
erfc = numba.njit(cache=True)(_erfc)

expand_to = numba.njit(cache=True)(_expand_to)
sum_to = numba.njit(cache=True)(lambda c, x: _sum_to(c, x))

PY = types.SimpleNamespace(push=_push, trip_count=_trip_count, reserve=_reserve,
                           eig_gaps=_eig_gaps, scatter_add=_scatter_add, erf=_erf, erfc=_erfc, expand_to=_expand_to,
                           sum_to=_sum_to, push_array=_push_array,
                           pop_array1=_pop_array1, pop_array2=_pop_array2,
                           amax_along=amax_along, amin_along=amin_along, prod_along=prod_along,
                           prod_others=prod_others)
