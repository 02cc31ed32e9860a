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

from .ir.primitives import register


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


def _scatter_add_py(x, idx, g):
    out = np.zeros(x.shape, g.dtype)
    np.add.at(out, idx, g)  # repeated indices add up
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
    """c summed to x's shape: over the leading axes broadcasting added and the axes where x
    has size 1 (NumPy broadcasting, reversed)."""
    if c.shape == x.shape:
        return c
    lead = c.ndim - x.ndim
    if lead:
        c = np.sum(c, axis=tuple(range(lead)))
    axes = tuple(k for k in range(c.ndim) if x.shape[k] == 1 and c.shape[k] != 1)
    return np.sum(c, axis=axes, keepdims=True) if axes else c


def _broadcast_to(v, x):
    """v broadcast to x's shape, as an array of its own (v itself if it has that shape)."""
    if np.shape(v) == x.shape:
        return v
    return v + np.zeros(x.shape, np.result_type(v))


@numba.extending.overload(_broadcast_to)
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


@numba.extending.overload(_sum_to)
def _sum_to_numba(c, x):
    if c.ndim == 2 and x.ndim == 1:
        def impl21(c, x):
            if x.shape[0] == c.shape[1]:
                return np.sum(c, axis=0)
            return np.full(1, np.sum(c))
        return impl21
    if c.ndim != x.ndim:
        return _sum_to_any
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


def _sum_to_any(c, x):
    """Higher ranks: add each element of c into the element of x it came from (x's axes
    aligned with c's last ones)."""
    cs, xs = c.shape, x.shape
    lead = c.ndim - x.ndim
    flat = np.ascontiguousarray(c).ravel()
    out = np.zeros(x.size, c.dtype)
    for f in range(flat.size):
        rem, o, mult = f, 0, 1
        for k in range(c.ndim - 1, -1, -1):
            ik = rem % cs[k]
            rem //= cs[k]
            if k >= lead:
                if xs[k - lead] != 1:
                    o += ik * mult
                mult *= xs[k - lead]
        out[o] += flat[f]
    return out.reshape(xs)


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


# ---------------------------------------------------------------- along one axis, n arrays
# kernel(a0_fiber, a1_fiber, ..., out_fiber) fills out's fiber; axis None: 1-D arrays.


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


def _argsort1(v, out):
    out[:] = np.argsort(v)


def _cumprod1(v, out):
    acc = 1.0
    for i in range(v.shape[0]):
        acc *= v[i]
        out[i] = acc


def _take1(v, idx, out):
    for k in range(idx.shape[0]):
        out[k] = v[idx[k]]


def _put1(v, idx, g, out):
    for k in range(idx.shape[0]):
        out[idx[k]] += g[k]


def _cumprod_jvp1(v, t, out):
    """The tangent of P = cumprod(v): T_i = T_(i-1) v_i + P_(i-1) t_i (exact at zeros)."""
    p, d = 1.0, 0.0
    for i in range(v.shape[0]):
        d = d * v[i] + p * t[i]
        p = p * v[i]
        out[i] = d


def _cumprod_vjp1(v, g, out):
    """The cotangent of v for P = cumprod(v): v_bar_j = E_j S_j with E_j = prod_(k<j) v_k
    and S_j = g_j + v_(j+1) S_(j+1) (no division: exact at zeros)."""
    n = v.shape[0]
    s = 0.0
    for j in range(n - 1, -1, -1):
        s = g[j] + (v[j + 1] * s if j + 1 < n else 0.0)
        out[j] = s
    e = 1.0
    for j in range(n):
        out[j] *= e
        e *= v[j]


def _by_rows(kernel):
    """In Python (the python target, and NumPy code on target="cpu"), a recurrence along an
    axis runs as one compiled loop over the fibers, laid out as the rows of a matrix: a
    Python loop over the elements would be 20x slower than the derivative's NumPy code."""
    kernel = numba.njit(cache=True)(kernel)

    @numba.njit(cache=True)
    def rows(a, b, out):
        for r in range(a.shape[0]):
            kernel(a[r], b[r], out[r])

    def py(x, y, axis):
        ax = 0 if axis is None else axis
        dt = np.result_type(x, y)
        xm = np.ascontiguousarray(np.moveaxis(x, ax, -1), dtype=dt)
        ym = np.ascontiguousarray(np.moveaxis(y, ax, -1), dtype=dt)
        out = np.empty(xm.shape, dt)
        n = xm.shape[-1]
        rows(xm.reshape(-1, n), ym.reshape(-1, n), out.reshape(-1, n))
        return np.moveaxis(out, -1, ax)

    return py


_cumprod_jvp_py = _by_rows(_cumprod_jvp1)
_cumprod_vjp_py = _by_rows(_cumprod_vjp1)


def _put_along_py(x, idx, g, axis):
    """Zeros like x with g[..., k, ...] at [..., idx[..., k, ...], ...] (idx a permutation
    along axis: the adjoint of take_along)."""
    out = np.zeros(x.shape, g.dtype)
    np.put_along_axis(out, idx, g, 0 if axis is None else axis)
    return out


argsort_along = _along_n(lambda x, axis: np.argsort(x, axis=-1 if axis is None else axis),
                         _argsort1, 1, "np.empty(a0.shape, np.int64)")
cumprod_along = _along_n(lambda x, axis: np.cumprod(x, axis=axis), _cumprod1, 1,
                         "np.empty_like(a0)")
take_along = _along_n(lambda x, idx, axis: np.take_along_axis(x, idx, 0 if axis is None
                                                              else axis),
                      _take1, 2, "np.empty(a1.shape, a0.dtype)")
put_along = _along_n(_put_along_py, _put1, 3, "np.zeros(a0.shape, a2.dtype)")
cumprod_jvp = _along_n(_cumprod_jvp_py, _cumprod_jvp1, 2, "np.empty(a0.shape, a1.dtype)")
cumprod_vjp = _along_n(_cumprod_vjp_py, _cumprod_vjp1, 2, "np.empty(a0.shape, a1.dtype)")

amax_along = _along_axis(lambda x, axis: np.max(x, axis=axis), lambda v: np.max(v), True)
amin_along = _along_axis(lambda x, axis: np.min(x, axis=axis), lambda v: np.min(v), True)
prod_along = _along_axis(lambda x, axis: np.prod(x, axis=axis), lambda v: np.prod(v), True)
prod_others = _along_axis(_prod_others_py, _prod_others1, False)

push = numba.njit(cache=True, inline="always")(_push)
push_array = numba.njit(cache=True)(_push_array)
pop_array1 = numba.njit(cache=True)(_pop_array1)
pop_array2 = numba.njit(cache=True)(_pop_array2)
trip_count = numba.njit(cache=True, inline="always")(_trip_count)
reserve = numba.njit(cache=True, inline="always")(_reserve)  # a call per loop costs more than the loop

eig_gaps = numba.njit(cache=True)(_eig_gaps)
scatter_add = numba.njit(cache=True)(_scatter_add)
erf = numba.njit(cache=True)(_erf)
erfc = numba.njit(cache=True)(_erfc)

expand_to = numba.njit(cache=True)(_expand_to)
_sum_to_any_jit = numba.njit(cache=True)(_sum_to_any)
sum_to = numba.njit(cache=True)(lambda c, x: _sum_to(c, x))
broadcast_to = numba.njit(cache=True)(lambda v, x: _broadcast_to(v, x))

PY = types.SimpleNamespace(push=_push, trip_count=_trip_count, reserve=_reserve,
                           eig_gaps=_eig_gaps, scatter_add=_scatter_add_py, erf=_erf, erfc=_erfc, expand_to=_expand_to,
                           sum_to=_sum_to, push_array=_push_array,
                           pop_array1=_pop_array1, pop_array2=_pop_array2,
                           amax_along=amax_along, amin_along=amin_along, prod_along=prod_along,
                           prod_others=prod_others, broadcast_to=_broadcast_to,
                           argsort_along=argsort_along, cumprod_along=cumprod_along,
                           take_along=take_along, put_along=put_along,
                           cumprod_jvp=cumprod_jvp, cumprod_vjp=cumprod_vjp)


def _lower_to_primitives() -> None:
    """Generated code is itself in the subset s2sad accepts: its helpers lower back to the
    primitives they compute, when someone differentiates a derivative's source."""
    for name, prim_name in (("push", "push"), ("reserve", "reserve"),
                            ("trip_count", "trip_count"), ("eig_gaps", "eig_gaps"),
                            ("expand_to", "expand_to"), ("sum_to", "sum_to"),
                            ("broadcast_to", "broadcast_to"),
                            ("push_array", "push_array"), ("pop_array1", "pop_array"),
                            ("pop_array2", "pop_array"), ("scatter_add", "scatter_add")):
        for obj in (globals().get(name), globals()["_" + name], getattr(PY, name)):
            if obj is not None:
                register(obj, prim_name)
    # along an axis: the plain functions serve Python and (through overloads) Numba
    for name, prim_name in (("amax_along", "amax"), ("amin_along", "amin"),
                            ("prod_along", "prod"), ("prod_others", "prod_others"),
                            ("argsort_along", "argsort"), ("cumprod_along", "cumprod"),
                            ("take_along", "take_along"), ("put_along", "put_along"),
                            ("cumprod_jvp", "cumprod_jvp"), ("cumprod_vjp", "cumprod_vjp")):
        register(globals()[name], prim_name)


_lower_to_primitives()
