"""The stencil adjoint in gather form: same numbers as the scatter form, readable shape."""

import numpy as np
import pytest

import s2sad
from tests.programs import arrays

U0 = np.random.default_rng(3).normal(size=12)


def test_heat_adjoint_gathers():
    src = s2sad.derivative_source(arrays.heat, "grad", 0, args=(U0, 0.2, 4))
    assert "u_bar[j] = r * un_bar[j - 1]" in src  # a store: passes/overwrite.py
    assert "u_bar[i_3 + 1]" not in src


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_gather_and_scatter_agree(monkeypatch, target):
    g = s2sad.grad(arrays.heat, target=target)(U0, 0.2, 4)
    monkeypatch.setenv("S2SAD_DISABLE", "gather")
    scatter = s2sad.grad(arrays.heat, target=target)
    src = s2sad.derivative_source(arrays.heat, "grad", 0, args=(U0, 0.2, 4))
    assert "u_bar[j]" not in src
    np.testing.assert_allclose(g, scatter(U0, 0.2, 4), rtol=1e-13, atol=1e-15)
    # and both agree with forward mode
    _, t = s2sad.jvp(arrays.heat, (U0, 0.2, 4), (np.ones_like(U0), 0.0, 0), target=target)
    assert t == pytest.approx(np.sum(g), rel=1e-12)


def test_tiny_ranges_use_only_edges():
    u = np.array([0.3, -0.2, 0.5])  # one interior point: the interior gather loop is empty
    g = s2sad.grad(arrays.heat, target="python")(u, 0.25, 2)
    h = 1e-6
    fd = [(arrays.heat(u + h * e, 0.25, 2) - arrays.heat(u - h * e, 0.25, 2)) / (2 * h)
          for e in np.eye(3)]
    np.testing.assert_allclose(g, fd, rtol=1e-7, atol=1e-9)
