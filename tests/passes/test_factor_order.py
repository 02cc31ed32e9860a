"""Like terms collected in stored cotangents (passes/factor.py) and independent reversed
loops run forwards (passes/order.py): same numbers as without them, the expert's shape."""

import re

import numpy as np
import pytest

import s2sad
from tests.programs import arrays
from tests.programs.loops import N, final_energy

U0 = np.random.default_rng(5).normal(size=10)


def grads(f, args, disable=""):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("S2SAD_DISABLE", disable)
        return s2sad.grad(f, target="python")(*args), \
            s2sad.derivative_source(f, "grad", 0, args=args)


@pytest.mark.parametrize("off", ["factor", "order"])
def test_heat_stencil_coefficient_once(off):
    g, src = grads(arrays.heat, (U0, 0.2, 5))
    # u[i] reaches un[i] twice (u[i] and -2 r u[i]): one coefficient, computed before the loop
    coef = re.search(r"(\w+) = 1\.0 - 2\.0 \* r", src)
    assert coef and f"{coef.group(1)} * un_bar[j]" in src
    assert re.search(r"for i_\d+ in range\(1, ", src)  # the move loop runs forwards
    g_off, src_off = grads(arrays.heat, (U0, 0.2, 5), off)
    assert src_off != src
    np.testing.assert_allclose(g, g_off, rtol=1e-13, atol=1e-15)


W = np.array([1.0, 2.0, 3.0, 4.0])


def carried_and_stored(x, n):
    """The cotangent stored into x_bar[k % 4] has like terms (W[...] twice), one of them
    scaled by acc_bar, which the reversed loop carries: not a loop invariant."""
    s = 0.0
    acc = 0.0
    for k in range(n):
        s = s + 0.3 * W[(k + 1) % 4] * x[k % 4]
        acc = acc * 0.5 + W[(k + 1) % 4] * x[k % 4]
    return s + acc + np.sum(x * x)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_carried_cotangent_is_not_hoisted(target):
    x = np.array([1.0, 2.0, 3.0, 4.0])
    g = s2sad.grad(carried_and_stored, target=target)(x, 3)  # was NameError: acc_bar
    np.testing.assert_allclose(g, [3.1, 6.4, 11.2, 8.0], rtol=1e-13)


def test_loops_with_a_tape_stay_reversed():
    _, src = grads(final_energy, (np.full(N, 0.1), 0.5, 0.3, 0.2))
    assert re.search(r", -1, -1\):", src)  # the Verlet steps, newest first
