"""Small helpers the generated code calls (`from s2sad import runtime as _rt`).

They are Numba-compiled for the cpu target; the python target uses the same functions
uncompiled (`PY`).
"""

from __future__ import annotations

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


push = numba.njit(cache=True, inline="always")(_push)
trip_count = numba.njit(cache=True, inline="always")(_trip_count)
reserve = numba.njit(cache=True)(_reserve)

PY = types.SimpleNamespace(push=_push, trip_count=_trip_count, reserve=_reserve)
