"""The seed PINN (examples/pinn_sir.py): its training gradient, d/dt of the network taken
inside the loss with s2sad.vmap of a jvp, against central differences of the same loss
written out by hand in NumPy (the network's time derivative by the chain rule)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from s2sad.testing import central_difference

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pinn():
    spec = importlib.util.spec_from_file_location("pinn_sir", ROOT / "examples" / "pinn_sir.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["pinn_sir"] = mod
    try:
        spec.loader.exec_module(mod)
        yield mod
    finally:
        del sys.modules["pinn_sir"]


def reference_loss(W1, b1, W2, b2, W3, b3, beta, gamma, t_data, y_data, t_col, lam, T_END,
                   W_PHYS):
    """examples/pinn_sir.py's loss on whole batches, du/dt written out."""
    def net(t):
        h1 = np.tanh(np.outer(t / T_END, W1) + b1)
        dh1 = (1.0 - h1**2) * W1 / T_END
        h2 = np.tanh(h1 @ W2.T + b2)
        dh2 = (1.0 - h2**2) * (dh1 @ W2.T)
        return h2 @ W3.T + b3, dh2 @ W3.T

    data = np.mean((net(t_data)[0] - y_data) ** 2)
    u, du = net(t_col)
    S, I = u[:, 0], u[:, 1]
    res = np.stack([du[:, 0] + beta * S * I, du[:, 1] - beta * S * I + gamma * I,
                    du[:, 2] - gamma * I])
    return data + lam * W_PHYS * np.mean(np.sum(res**2, axis=0))


def _point(pinn, hidden=5, seed=3):
    """A random point of the training: weights, beta, gamma, data, a physics weight."""
    rng = np.random.default_rng(seed)
    t_data = np.sort(rng.uniform(0.0, pinn.T_END, 7))
    y_data = pinn.solve(t_data) + 0.01 * rng.normal(size=(7, 3))
    t_col = np.linspace(0.0, pinn.T_END, 9)
    params = [rng.normal(0.0, 1.0, hidden), rng.normal(0.0, 1.0, hidden),
              rng.normal(0.0, 0.5, (hidden, hidden)), rng.normal(0.0, 0.5, hidden),
              rng.normal(0.0, 0.5, (3, hidden)), rng.normal(0.0, 0.5, 3),
              rng.uniform(0.1, 0.6), rng.uniform(0.05, 0.3)]
    return (*params, t_data, y_data, t_col, 0.7)


def test_the_loss_is_the_written_out_one(pinn):
    args = _point(pinn)
    ref = reference_loss(*args, pinn.T_END, pinn.W_PHYS)
    value, _ = pinn.value_and_grad(*args)
    assert value == pytest.approx(ref, rel=1e-12)
    assert pinn.loss(*args) == pytest.approx(ref, rel=1e-12)  # vmap called from Python


def test_training_gradient_against_central_differences(pinn):
    args = _point(pinn)
    _, grads = pinn.value_and_grad(*args)
    assert len(grads) == pinn.N_PARAMS == 8
    for i, g in enumerate(grads):
        fd = central_difference(reference_loss, (*args, pinn.T_END, pinn.W_PHYS), i, eps=1e-6)
        assert np.shape(g) == np.shape(args[i])
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7 * max(1.0, np.max(np.abs(fd))),
                                   err_msg=f"d loss / d argument {i}")


def test_adam_lowers_the_loss(pinn):
    args = _point(pinn)
    params, data = list(args[:8]), args[8:11]
    params, history = pinn.adam(params, data, 200)
    assert history[-1] < 0.5 * history[0]
    assert np.isfinite(params[6]) and np.isfinite(params[7])
