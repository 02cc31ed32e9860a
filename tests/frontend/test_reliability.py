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


# ---------------------------------------------------------------- item: names after loops
X5 = np.array([0.3, 0.9, 1.7, 0.6, 0.8])


@pytest.mark.parametrize("target", TARGETS)
def test_loop_variable_after_the_loop(target):
    # Python leaves the last value in the loop variable: i == n - 1
    for n in (1, 4):
        v, g = s2sad.value_and_grad(R.last_index, target=target)(X5, n)
        s = X5[:n].sum()
        assert v == pytest.approx(s * X5[n - 1] + n - 1, rel=1e-15)
        expect = np.zeros(5)
        expect[:n] += X5[n - 1]
        expect[n - 1] += s
        np.testing.assert_allclose(g, expect, rtol=1e-15)
    # after a reversed, a stepped, a broken-off loop, a loop with no trips, a while loop
    for n in (2, 3, 5):
        args = (X5, n)
        v, g = s2sad.value_and_grad(R.last_index_each_loop, target=target)(*args)
        assert v == pytest.approx(R.last_index_each_loop(*args), rel=1e-14)
        np.testing.assert_allclose(g, central_difference(R.last_index_each_loop, args, 0),
                                   rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("target", TARGETS)
def test_names_first_assigned_in_a_loop(target):
    for n in (3, 5):
        args = (X5, n)
        v, g = s2sad.value_and_grad(R.first_assigned_in_loop, target=target)(*args)
        assert v == pytest.approx(R.first_assigned_in_loop(*args), rel=1e-15)
        np.testing.assert_allclose(g, central_difference(R.first_assigned_in_loop, args, 0),
                                   rtol=1e-6, atol=1e-8)
    # an array first made in a loop is not carried out of it: refused, not wrong
    with pytest.raises(s2sad.S2SADError, match="'a' may be undefined"):
        s2sad.grad(R.array_first_made_in_loop, target=target)(X5, 2)


# ---------------------------------------------------------------- item: helper calls
@pytest.mark.parametrize("target", TARGETS)
def test_helper_keyword_arguments_and_defaults(target):
    x = 0.7
    v, g = s2sad.value_and_grad(R.keyword_calls, target=target)(x)
    assert v == pytest.approx(R.keyword_calls(x), rel=1e-15)
    # x - 2x^2, 3x - x^2/2, x - x^2/4, (2x + 1) * x^2, 1.5x * x^2
    expect = ((1 - 4 * x) + (3 - x) + (1 - 0.5 * x) + (6 * x * x + 2 * x)
              + 4.5 * x * x)
    assert g == pytest.approx(expect, rel=1e-14)
    for fn, words in [(R.unexpected_keyword, "unexpected keyword argument 'd'"),
                      (R.twice_given, "multiple values for argument 'k'"),
                      (R.missing_keyword_only, "missing argument 'off'")]:
        with pytest.raises(s2sad.BadArguments, match=words) as info:
            s2sad.grad(fn, target=target)(x)
        assert f"return {fn.__code__.co_names[0]}(" in str(info.value)  # caret at the call


@pytest.mark.parametrize("target", TARGETS)
def test_helper_that_returns_none_fills_an_array(target):
    for x in (0.7, 0.3):  # x * x - 0.25 > 0, < 0: each branch of _set_one
        v, g = s2sad.value_and_grad(R.fill_with_helpers, target=target)(x)
        a = np.array([x, 2 * x, 3 * x])
        da = np.array([1.0, 2.0, 3.0])
        a[0 if x * x > 0.25 else 1], da[0 if x * x > 0.25 else 1] = x * x - 0.25, 2 * x
        assert v == pytest.approx(np.sum(a * a), rel=1e-15)
        assert g == pytest.approx(np.sum(2 * a * da), rel=1e-15)
    with pytest.raises(TypeMismatch, match=r"_fill\(\) returns None") as info:
        s2sad.grad(R.none_as_a_number, target=target)(0.7)
    assert "y * 2.0" in str(info.value)


# ---------------------------------------------------------------- item: round(x, n), loop else
@pytest.mark.parametrize("target", TARGETS)
def test_round_to_digits(target):
    x, n = 0.7777, 2
    v, g = s2sad.value_and_grad(R.round_digits, target=target)(x, n)
    assert v == pytest.approx(R.round_digits(x, n), rel=1e-15)
    # rounding is piecewise constant: only the factors x count
    assert g == pytest.approx(round(x, 1) + np.round(x, 2) + round(x, n) + round(n, 2),
                              rel=1e-15)
    a = np.array([0.123, 1.456, -2.789])
    v, g = s2sad.value_and_grad(R.round_array_digits, target=target)(a)
    assert v == pytest.approx(R.round_array_digits(a), rel=1e-15)
    np.testing.assert_array_equal(g, np.round(a, 1))


@pytest.mark.parametrize("target", TARGETS)
def test_loop_else_runs_when_the_loop_did_not_break(target):
    a = np.array([0.3, 0.9, 1.7, 0.6])
    # the search breaks (at 1.7) for x = 0.95 and 1.1, not for 1.8; the while loop breaks
    # (at 7.6, 7.2) for x = 0.95 and 1.8, not for 1.1; the nested loops break and continue
    for x in (0.95, 1.1, 1.8):
        args = (a, x)
        v, g = s2sad.value_and_grad(R.loop_else, argnums=(0, 1), target=target)(*args)
        assert v == pytest.approx(R.loop_else(*args), rel=1e-14)
        np.testing.assert_allclose(g[0], central_difference(R.loop_else, args, 0), rtol=1e-6,
                                   atol=1e-8)
        assert g[1] == pytest.approx(central_difference(R.loop_else, args, 1), **FD)
    for n in (0, 2, 5):  # the else block returns; the loop returns; 0 trips
        v, g = s2sad.value_and_grad(R.loop_else_returns, target=target)(1.1, n)
        assert v == pytest.approx(R.loop_else_returns(1.1, n), rel=1e-15)
        assert g == pytest.approx(central_difference(R.loop_else_returns, (1.1, n), 0), **FD)
