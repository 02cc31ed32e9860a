"""Dead code by liveness through loop carries (passes/dce.py `_live`): Python's loop
variable carried out of nested loops and branches, read by no one, is no longer carried;
the same numbers as with use counts only (S2SAD_DISABLE=deadcarry) bit for bit, and the
analytic or finite-difference derivative."""

import re

import numpy as np
import pytest

import s2sad
from benchmarks.det import det  # the Leibniz sum by Heap's algorithm
from s2sad.testing import central_difference


def final_indices(a, x):
    """`j` leaks out of the inner loops (and k of the outer): nothing reads them."""
    j = 0
    s = 0.0
    for k in range(a.shape[0]):
        for j in range(a.shape[1]):
            s += a[k, j] * x[j]
        for j in range(a.shape[1], 2 * a.shape[1]):
            s += 0.5 * x[j - a.shape[1]] ** 2
    return s


def loop_value_read(x, n):
    """The final index is read after the loop: it stays."""
    k = 0
    s = 0.0
    for k in range(n):
        s += x * k
    return s * k


RNG = np.random.default_rng(3)


def _both(f, args, target="python", argnums=0):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("S2SAD_DISABLE", "")
        on = s2sad.value_and_grad(f, argnums=argnums, target=target)(*args)
        src = s2sad.derivative_source(f, "grad", argnums, args=args)
        mp.setenv("S2SAD_DISABLE", "deadcarry")
        off = s2sad.value_and_grad(f, argnums=argnums, target=target)(*args)
        src_off = s2sad.derivative_source(f, "grad", argnums, args=args)
    return on, off, src, src_off


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_final_indices_no_longer_carried(target):
    args = (RNG.normal(size=(3, 4)), RNG.normal(size=4))
    (v, g), (v0, g0), src, src_off = _both(final_indices, args, target, (0, 1))
    assert re.search(r"\bj = j_\d+", src_off) and not re.search(r"\bj = j_\d+", src)
    assert v == v0 and all(np.array_equal(a, b) for a, b in zip(g, g0))
    for k in (0, 1):
        np.testing.assert_allclose(g[k], central_difference(final_indices, args, k),
                                   rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_permutation_determinant(target):
    A = RNG.normal(size=(5, 5))
    (v, g), (v0, g0), src, src_off = _both(det, (A,), target)
    assert len(src) < len(src_off)
    assert v == v0 and np.array_equal(g, g0)
    assert v == pytest.approx(np.linalg.det(A), rel=1e-12)
    np.testing.assert_allclose(g, np.linalg.det(A) * np.linalg.inv(A).T, rtol=1e-10)


def test_a_final_index_that_is_read_stays():
    (v, g), (v0, g0), _, _ = _both(loop_value_read, (1.5, 4))
    assert (v, g) == (v0, g0) == (1.5 * 6 * 3, 6.0 * 3)
