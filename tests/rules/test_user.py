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
