"""The entry function's direct call (api._direct): once Numba has compiled a
specialisation whose arguments and free values are all scalars, the entry calls Numba's
machine code for those types without the dispatcher. It changes how the gradient is
called, never what it returns: the same values as the dispatcher
(S2SAD_DISABLE=direct_call) bit for bit, and the analytic derivative; calls the
direct code cannot take (other types, huge ints, arrays, keywords) reach the slow path or
the dispatcher as before."""

import math

import numpy as np
import pytest

import s2sad
from tests.transforms.test_record_switch import disabled

SCALE = 2.0  # a free value: read at every call


def seed(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def powers(x, n):
    s = 0.0
    for k in range(n):
        s += SCALE * x ** k
    return s


def norm2(v, w):
    return w * np.sum(v * v)


def _callee(g):
    s2sad.wait_for_compiles()  # (tiered: the first calls ran in CPython)
    return g.func.__globals__["_s2sad_call"]


def _direct(g) -> bool:
    return type(_callee(g)).__name__ == "builtin_function_or_method"


def test_seed_same_as_dispatcher_and_analytic():
    g = s2sad.grad(seed, argnums=(0, 1))
    vg = s2sad.value_and_grad(seed, argnums=(0, 1))
    pts = [(2.0, 5.0), (0.3, -1.7), (7.5, 0.25)]
    got = [(g(*p), g(*p), vg(*p)) for p in pts]
    assert _direct(g) and _direct(vg)
    with disabled("direct_call"):
        g_off = s2sad.grad(seed, argnums=(0, 1))
        vg_off = s2sad.value_and_grad(seed, argnums=(0, 1))
        want = [(g_off(*p), g_off(*p), vg_off(*p)) for p in pts]
        assert not _direct(g_off) and not _direct(vg_off)
    assert got == want
    for (x1, x2), (a, b, (v, c)) in zip(pts, got):
        assert a == b == c
        assert a == pytest.approx((1.0 / x1 + x2, x1 - math.cos(x2)), rel=1e-14)
        assert v == pytest.approx(seed(x1, x2), rel=1e-14)


def test_int_argument_and_free_value():
    global SCALE
    g = s2sad.grad(powers)
    assert g(1.5, 4) == g(1.5, 4) == pytest.approx(2.0 * (1 + 2 * 1.5 + 3 * 1.5 ** 2))
    assert _direct(g)
    SCALE = 3.0  # the direct call reads the free value at every call too
    try:
        assert g(1.5, 4) == pytest.approx(3.0 * (1 + 2 * 1.5 + 3 * 1.5 ** 2))
        assert g(1.5, np.int64(3)) == pytest.approx(3.0 * (1 + 2 * 1.5))
        assert g(np.float64(1.5), 3) == pytest.approx(3.0 * (1 + 2 * 1.5))
        with disabled("direct_call"):
            off = s2sad.grad(powers)
            assert off(1.5, 4) == g(1.5, 4) and not _direct(off)
    finally:
        SCALE = 2.0


def test_calls_it_cannot_take_as_before():
    g = s2sad.grad(powers)
    g(1.5, 4)
    g(1.5, 4)
    assert _direct(g)
    # an int beyond int64 (Numba types it otherwise): the slow path decides, as before
    with pytest.raises(Exception) as big:
        g(1.5, 2 ** 70)
    with disabled("direct_call"):
        off = s2sad.grad(powers)
        off(1.5, 4)
        with pytest.raises(Exception) as big_off:
            off(1.5, 2 ** 70)
    assert type(big.value) is type(big_off.value)
    assert g(x=1.5, n=2) == pytest.approx(2.0)  # keywords: the slow path
    with pytest.raises(s2sad.BadArguments, match="grad requires float"):
        g(2, 4)
    with pytest.raises(s2sad.BadArguments):
        g(1.5)
    assert g(1.5, 4) == pytest.approx(2.0 * (1 + 2 * 1.5 + 3 * 1.5 ** 2))


def test_arrays_keep_the_dispatcher():
    g = s2sad.grad(norm2)
    v = np.arange(4.0)
    assert np.array_equal(g(v, 0.5), v)
    assert not _direct(g)  # (an array's layout and flags are part of its Numba type)
    assert np.array_equal(g(v[::2], 0.5), v[::2])
