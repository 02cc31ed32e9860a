"""Accumulations into known zeros become stores; dead clears go; unread zeros are not filled.

Every case compares the optimised derivative with the accumulating form (the pass turned
off), with central differences and with forward mode."""

import re

import numpy as np
import pytest

import s2sad
from s2sad.testing import check_grads
from tests.programs import arrays


def rosenbrock_grad(x):
    """The expert's gradient (benchmarks/rosenbrock.py's reference)."""
    g = np.zeros_like(x)
    if len(x) > 1:
        g[1:-1] = (200.0 * (x[1:-1] - x[:-2] ** 2) - 400.0 * (x[2:] - x[1:-1] ** 2) * x[1:-1]
                   - 2.0 * (1.0 - x[1:-1]))
        g[0] = -400.0 * x[0] * (x[1] - x[0] ** 2) - 2.0 * (1.0 - x[0])
        g[-1] = 200.0 * (x[-1] - x[-2] ** 2)
    return g


def both(f, *args, argnum=0):
    """(optimised, accumulating) gradients on the python target."""
    fast = s2sad.grad(f, argnum, target="python")(*args)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("S2SAD_DISABLE", "overwrite")
        slow = s2sad.grad(f, argnum, target="python")(*args)
    return fast, slow


def test_rosenbrock_gradient_is_stored_into_an_empty_array():
    x = np.random.default_rng(0).normal(size=8)
    src = s2sad.derivative_source(arrays.rosenbrock_loop, "grad", 0, args=(x,))
    assert "x_bar = np.empty_like(x)" in src
    assert re.search(r"x_bar\[j\] = ", src) and "x_bar[j] +=" not in src


@pytest.mark.parametrize("n", [1, 2, 3, 4, 9])
@pytest.mark.parametrize("target", ["python", "cpu"])
def test_rosenbrock_small_sizes(n, target):
    # n = 1: the gather chain writes nothing and the array is filled with zeros instead
    x = np.random.default_rng(n).normal(size=n)
    g = s2sad.grad(arrays.rosenbrock_loop, target=target)(x)
    np.testing.assert_allclose(g, rosenbrock_grad(x), rtol=1e-12, atol=1e-12)


def test_heat_moves_without_clearing():
    u0 = np.random.default_rng(1).normal(size=12)
    src = s2sad.derivative_source(arrays.heat, "grad", 0, args=(u0, 0.2, 4))
    assert not re.search(r"un_bar\[\w+\] = 0\.0", src)  # the dead clear is gone
    assert not re.search(r"un_bar\[\w+\] \+=", src)  # the move is a store
    fast, slow = both(arrays.heat, u0, 0.2, 4)
    np.testing.assert_allclose(fast, slow, rtol=1e-13, atol=1e-15)
    check_grads(arrays.heat, (u0, 0.2, 4), argnums=0)


def accumulate_twice(x):
    n = len(x)
    y = np.zeros(n)
    for i in range(n):
        y[i] += x[i] * x[i]
    for i in range(1, n):  # y[i] is no longer 0: this one keeps accumulating
        y[i] += np.sin(x[i - 1])
    for i in range(n - 2, n):
        y[i] += x[i]
    return np.sum(y * y)


def wraps_around(x):
    n = len(x)
    y = np.zeros(n)
    for i in range(n):
        y[i] += x[i]
    for i in range(-2, 0):  # y[n-2], y[n-1]: negative indices wrap
        y[i] += 2.0 * x[i]
    return np.sum(y * y)


def clears_then_accumulates(x, k):
    n = len(x)
    y = np.zeros(n)
    for i in range(n):
        y[i] = x[i] * x[i]
    for _ in range(3):
        for i in range(k, n):
            y[i] = 0.0
        for i in range(1, n):  # y[0] and y[1..k) are not cleared when k > 1
            y[i] += x[i] * y[i - 1] + 1.0
    return np.sum(y)


def guarded_chain(x, lo, hi):
    y = np.zeros(len(x))
    for i in range(lo, hi):
        y[i] += x[i]
    for i in range(hi, len(x)):
        y[i] += 3.0 * x[i]
    return np.sum(y * x)


@pytest.mark.parametrize("f, extra", [
    (accumulate_twice, ()),
    (wraps_around, ()),
    (clears_then_accumulates, (1,)),
    (clears_then_accumulates, (3,)),
    (guarded_chain, (0, 4)),
    (guarded_chain, (2, 5)),
    (guarded_chain, (5, 2)),
])
def test_primal_and_adjoint_accumulations_stay_right(f, extra):
    x = np.random.default_rng(2).normal(size=7)
    fast, slow = both(f, x, *extra)
    np.testing.assert_allclose(fast, slow, rtol=1e-13, atol=1e-14)
    check_grads(f, (x, *extra), argnums=0)
    # and the primal inside the derivative still computes the same value
    v, _ = s2sad.value_and_grad(f, target="python")(x, *extra)
    assert v == pytest.approx(f(x, *extra), rel=1e-13)
