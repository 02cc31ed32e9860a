"""Adjoint buffers allocated per loop iteration allocated once and cleared
(passes/hoist.py): the same gradient as with the allocation in the loop
(S2SAD_DISABLE=hoist) bit for bit, and finite differences; not hoisted where the shape
is computed in the loop."""

import numpy as np
import pytest

import s2sad
from s2sad.testing import central_difference

RNG = np.random.default_rng(13)


def copy_steps(u0, r, nt):
    u = u0.copy()
    n = len(u)
    for _ in range(nt):
        un = u.copy()
        for i in range(1, n - 1):
            u[i] = un[i] + r * (un[i - 1] - 2.0 * un[i] + un[i + 1])
    return np.sum(u * u)


def inner_scratch(x, m):
    s = 0.0
    for k in range(m):
        for j in range(3):
            t = x.copy()
            t[j] = t[j] * (k + 1.0)
            s += np.sum(np.sin(t) * t)
    return s


def grid_steps(a, nt):
    u = a.copy()
    for _ in range(nt):
        un = u.copy()
        for i in range(1, u.shape[0] - 1):
            for j in range(u.shape[1]):
                u[i, j] = 0.5 * un[i, j] + 0.25 * (un[i - 1, j] * un[i + 1, j])
    return np.sum(u)


def sized_in_loop(x, n):
    s = 0.0
    for k in range(n):
        t = np.zeros(n - 2)
        for i in range(n - 2):
            t[i] = x[i] * (k + 1.0)
        s += np.sum(t * t)
    return s


CASES = [
    (copy_steps, (RNG.normal(size=12), 0.2, 7), "un_bar[:] = 0.0"),
    (inner_scratch, (RNG.normal(size=5), 3), "t_bar[:] = 0.0"),
    (grid_steps, (RNG.normal(size=(5, 4)), 4), "un_bar[:, :] = 0.0"),
]


def _grad(f, args, target, off=""):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("S2SAD_DISABLE", off)
        return s2sad.value_and_grad(f, target=target)(*args), \
            s2sad.derivative_source(f, "grad", 0, args=args)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, clear", CASES, ids=[c[0].__name__ for c in CASES])
def test_same_as_allocating_per_iteration(f, args, clear, target):
    (v, g), src = _grad(f, args, target)
    (v_off, g_off), src_off = _grad(f, args, target, "hoist")
    assert clear in src and clear not in src_off
    assert v == v_off and np.array_equal(g, g_off)  # bit for bit
    np.testing.assert_allclose(g, central_difference(f, args, 0), rtol=1e-6, atol=1e-8)


def test_the_buffer_is_allocated_before_the_loop():
    src = s2sad.derivative_source(inner_scratch, "grad", 0, args=CASES[1][1])
    alloc = src.index("t_bar = np.zeros(")
    assert src.count("t_bar = np.zeros(") == 1 and src.count("t_bar[:] = 0.0") == 1
    # out of both loops (cleared once per inner iteration, never twice)
    assert alloc < src.index("for k_1 in range(") < src.index("t_bar[:] = 0.0")


def test_a_shape_computed_in_the_loop_is_not_hoisted():
    args = (RNG.normal(size=6), 5)
    (v, g), src = _grad(sized_in_loop, args, "python")
    assert "[:] = 0.0" not in src
    np.testing.assert_allclose(g, central_difference(sized_in_loop, args, 0), rtol=1e-6)
