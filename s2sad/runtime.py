"""Small helpers the generated code calls (`from s2sad import runtime as _rt`).

Plain Python and NumPy, importable without Numba: the python target runs them as they are
(`PY`); for the cpu target backends/numba_runtime.py compiles them (and adds Numba's
versions of the ones NumPy spells differently).
"""

from __future__ import annotations

import math
import types

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


def _basis(n, k):
    """The unit vector e_k of length n (the seeds of Jacobian loops; zeros for k >= n)."""
    out = np.zeros(n)
    if k < n:
        out[k] = 1.0
    return out


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


# ---------------------------------------------------------------- along one axis, n arrays
# kernel(a0_fiber, a1_fiber, ..., out_fiber) fills out's fiber; axis None: 1-D arrays.


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
    Python loop over the elements would be 20x slower than the derivative's NumPy code.
    (Numba is imported and the loop compiled on the first call: cached on disk.)"""
    compiled = []

    def rows():
        if not compiled:
            import numba  # noqa: PLC0415  (the plain runtime imports no Numba until here)

            k = numba.njit(cache=True)(kernel)

            @numba.njit(cache=True)
            def loop(a, b, out):
                for r in range(a.shape[0]):
                    k(a[r], b[r], out[r])
            compiled.append(loop)
        return compiled[0]

    def py(x, y, axis):
        ax = 0 if axis is None else axis
        dt = np.result_type(x, y)
        xm = np.ascontiguousarray(np.moveaxis(x, ax, -1), dtype=dt)
        ym = np.ascontiguousarray(np.moveaxis(y, ax, -1), dtype=dt)
        out = np.empty(xm.shape, dt)
        n = xm.shape[-1]
        rows()(xm.reshape(-1, n), ym.reshape(-1, n), out.reshape(-1, n))
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


# along an axis: NumPy here; backends/numba_runtime.py gives Numba its fiber loops (the
# kernels above) as overloads of these very functions
def argsort_along(x, axis):
    return np.argsort(x, axis=-1 if axis is None else axis)


def cumprod_along(x, axis):
    return np.cumprod(x, axis=axis)


def take_along(x, idx, axis):
    return np.take_along_axis(x, idx, 0 if axis is None else axis)


def amax_along(x, axis):
    return np.max(x, axis=axis)


def amin_along(x, axis):
    return np.min(x, axis=axis)


def prod_along(x, axis):
    return np.prod(x, axis=axis)


put_along = _put_along_py
cumprod_jvp = _cumprod_jvp_py
cumprod_vjp = _cumprod_vjp_py
prod_others = _prod_others_py

# the plain helpers, under the names generated code calls (`_rt.push`): the python target
# runs them as they are; the cpu target's modules call backends/numba_runtime.py instead
push, push_array, pop_array1, pop_array2 = _push, _push_array, _pop_array1, _pop_array2
trip_count, reserve, eig_gaps, scatter_add = _trip_count, _reserve, _eig_gaps, _scatter_add_py
basis = _basis
erf, erfc, expand_to, sum_to, broadcast_to = _erf, _erfc, _expand_to, _sum_to, _broadcast_to

NAMES = ("push", "trip_count", "reserve", "eig_gaps", "scatter_add", "erf", "erfc",
         "expand_to", "sum_to", "push_array", "pop_array1", "pop_array2", "amax_along",
         "amin_along", "prod_along", "prod_others", "broadcast_to", "argsort_along",
         "cumprod_along", "take_along", "put_along", "cumprod_jvp", "cumprod_vjp", "basis")
PY = types.SimpleNamespace(**{n: globals()[n] for n in NAMES})

# the primitive each helper computes (generated code is itself in the subset s2sad accepts)
PRIMITIVES = {"push": "push", "reserve": "reserve", "trip_count": "trip_count",
              "eig_gaps": "eig_gaps", "expand_to": "expand_to", "sum_to": "sum_to",
              "broadcast_to": "broadcast_to", "push_array": "push_array",
              "pop_array1": "pop_array", "pop_array2": "pop_array", "scatter_add": "scatter_add",
              "amax_along": "amax", "amin_along": "amin", "prod_along": "prod",
              "prod_others": "prod_others", "argsort_along": "argsort",
              "cumprod_along": "cumprod", "take_along": "take_along", "put_along": "put_along",
              "cumprod_jvp": "cumprod_jvp", "cumprod_vjp": "cumprod_vjp", "basis": "basis"}


def _lower_to_primitives() -> None:
    """Generated code's helpers lower back to the primitives they compute, when someone
    differentiates a derivative's source."""
    for name, prim_name in PRIMITIVES.items():
        for obj in (globals()[name], globals().get("_" + name)):
            if obj is not None:
                register(obj, prim_name)


_lower_to_primitives()
