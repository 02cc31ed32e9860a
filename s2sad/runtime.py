"""Small helpers the generated code calls (`from s2sad import runtime as _rt`).

They are Numba-compiled for the cpu target; the python target uses the same functions
uncompiled (`PY`).
"""

from __future__ import annotations

import math
import types

import numba
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


push = numba.njit(cache=True, inline="always")(_push)
trip_count = numba.njit(cache=True, inline="always")(_trip_count)
reserve = numba.njit(cache=True)(_reserve)

eig_gaps = numba.njit(cache=True)(_eig_gaps)
erf = numba.njit(cache=True)(_erf)
erfc = numba.njit(cache=True)(_erfc)

PY = types.SimpleNamespace(push=_push, trip_count=_trip_count, reserve=_reserve,
                           eig_gaps=_eig_gaps, erf=_erf, erfc=_erfc)
