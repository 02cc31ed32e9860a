"""Regression tests for valid Python that s2sad lowered wrongly or refused: each test is
one class of failure, checked on both targets against analytic derivatives or central
differences (programs in tests/programs/reliability.py)."""

import numpy as np
import pytest

import s2sad
from s2sad import TypeMismatch
from s2sad.testing import central_difference
from tests.programs import reliability as R

TARGETS = ["python", "cpu"]
FD = dict(rel=1e-6, abs=1e-8)


def value_and_grads(fn, args, argnums, target):
    """value_and_grad, with the jvp of each argument checked against it."""
    v, g = s2sad.value_and_grad(fn, argnums=argnums, target=target)(*args)
    for k, i in enumerate(argnums):
        tan = [0.0 if isinstance(a, float) else 0 for a in args]
        tan[i] = 1.0
        _, t = s2sad.jvp(fn, tuple(args), tuple(tan), target=target)
        assert t == pytest.approx(g[k], rel=1e-12, abs=1e-14)
    return v, g


# ---------------------------------------------------------------- item: `or`/`and` values
@pytest.mark.parametrize("target", TARGETS)
def test_or_and_return_an_operand_not_a_bool(target):
    # `y or 1.0` is `y if y else 1.0`: at (0.6, 2.5) x * w = 1.5, gradient (2.5, 0.6)
    for (x, y), val, grad in [((0.6, 2.5), 1.5, (2.5, 0.6)), ((0.6, 0.0), 0.6, (1.0, 0.0))]:
        v, g = value_and_grads(R.or_default, (x, y), (0, 1), target)
        assert v == pytest.approx(val, rel=1e-15)
        assert g == pytest.approx(grad, rel=1e-15)
    # (x > 0.5 and y or x * x) * x: each of the three outcomes, against central differences
    for args in [(0.6, 2.5), (0.6, 0.0), (0.3, 2.5)]:
        v, g = value_and_grads(R.and_or, args, (0, 1), target)
        assert v == pytest.approx(R.and_or(*args), rel=1e-15)
        # at y == 0 the function jumps in y: only x is differentiated there by differences
        for i in (0, 1) if args[1] else (0,):
            assert g[i] == pytest.approx(central_difference(R.and_or, args, i), **FD)
    if target == "python":  # the rest once, in CPython
        for fn, args in [(R.or_chain, (0.6, 0.0, 0.0)), (R.or_chain, (0.6, 0.0, 1.5)),
                         (R.or_chain, (0.6, 0.7, 1.5)), (R.and_value, (0.6, 2.0)),
                         (R.not_float, (0.6, 2.0)), (R.not_float, (0.6, 0.0)),
                         (R.if_float, (0.6, 2.0)), (R.if_float, (0.6, 0.0)),
                         (R.chained_or, (0.5, 2.0)), (R.chained_or, (0.5, 0.0)),
                         (R.chained_or, (2.5, 0.0)), (R.chained_or, (1.5, 2.0))]:
            v, g = value_and_grads(fn, args, (0,), target)
            assert v == pytest.approx(fn(*args), rel=1e-15), fn.__name__
            assert g[0] == pytest.approx(central_difference(fn, args, 0), **FD), fn.__name__
        assert s2sad.value_and_grad(R.and_value, target=target)(0.6, 0.0) == (0.0, 0.0)
        # an int operand stays an int: n or 3
        assert s2sad.value_and_grad(R.or_int, target=target)(0.5, 0) == (1.5, 3.0)
        assert s2sad.value_and_grad(R.or_int, target=target)(0.5, 2) == (1.0, 2.0)


def test_or_and_on_arrays_are_refused():
    with pytest.raises(s2sad.S2SADError, match="truth value of an array is ambiguous"):
        s2sad.grad(R.or_arrays, target="python")(np.ones(2), np.ones(2))
    with pytest.raises(TypeMismatch, match="cannot be one value") as info:
        s2sad.grad(R.and_scalar_array, target="python")(1.0, np.ones(2))
    assert "x and b" in str(info.value)  # the caret line
