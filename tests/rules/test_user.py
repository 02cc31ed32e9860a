"""s2sad.defrule: the user's partials replace lowering the function's source."""

import math

import numpy as np
import pytest

import s2sad
from s2sad.testing import check_grads
from tests.programs import user_rules as U


@pytest.mark.parametrize("target", ["python", "numba"])
def test_user_rules_scalar(target):
    a, b = 0.7, -1.3
    g = s2sad.grad(U.uses_rules, argnums=(0, 1), target=target)(a, b)
    s = 1 / (1 + math.exp(-a * b))
    st = math.sin(a) * b
    exact = (s * (1 - s) * b + 2 * st * math.cos(a) * b, s * (1 - s) * a + 2 * st * math.sin(a))
    assert g == pytest.approx(exact, rel=1e-14)
    check_grads(U.uses_rules, (a, b), target=target)


def test_user_rule_is_called_not_lowered():
    src = s2sad.derivative_source(U.uses_rules, "grad", (0, 1))
    assert "_u_sigmoid(" in src and "np.exp" not in src


def test_user_rules_on_arrays():
    x = np.array([-1.0, 0.5, 2.0])
    s = 1 / (1 + np.exp(-x))
    g = s2sad.grad(U.uses_rules_on_arrays, target="python")(x)
    np.testing.assert_allclose(g, s * (1 - s) * x + s, rtol=1e-14)


def test_defrule_needs_partials():
    with pytest.raises(TypeError):
        s2sad.defrule(lambda x: x)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("fn, what", [(U.uses_scipy_partial, "scipy.special.expit"),
                                      (U.uses_math_partial, "math.* function")])
def test_partials_calling_a_function_without_a_primitive_are_refused(fn, what, target):
    """scipy.special.expit(x) inside partials was a raw TypeError (__array_ufunc__ returned
    NotImplemented); math.exp(x) another. Now a NoRuleError at the call, naming the
    function and saying how to write the partial instead."""
    with pytest.raises(s2sad.NoRuleError) as info:
        s2sad.grad(fn, target=target)(0.3)
    msg = str(info.value)
    assert what in msg and "ans" in msg and fn.__name__ in msg
    assert "derivative rule of sig_" in msg


def test_partials_written_with_ans_call_scipy_in_the_function_only():
    x = 0.3
    s = 1.0 / (1.0 + math.exp(-2.0 * x))
    g = s2sad.grad(U.uses_scipy_ans, target="python")(x)
    assert g == pytest.approx(2.0 * s * (1.0 - s) * x + s, rel=1e-14)


@pytest.mark.parametrize("target", ["python", "numba"])
def test_numpy_functions_in_partials(target):
    # ufuncs (np.expm1) and array functions (np.where) inside partials reach primitives
    x = np.array([-1.0, 0.5, 2.0])
    g = s2sad.grad(U.uses_softplus, target=target)(x)
    np.testing.assert_allclose(g, np.log1p(np.exp(x)) + x / (1.0 + np.exp(-x)), rtol=1e-13)
