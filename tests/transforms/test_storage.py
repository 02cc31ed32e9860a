"""What the reverse sweep stores: sizes, and checkpointing's trade of memory for time."""

import numpy as np
import pytest

import s2sad
from s2sad.api import storage_bytes
from tests.programs import loops

F = np.zeros(loops.N)
ARGS = (F, 1.0, 1.0, 0.05)


@pytest.mark.parametrize("checkpoint", [1, 7, 10, 100, 5000, True])
def test_checkpointed_gradient_is_identical(checkpoint):
    plain = s2sad.value_and_grad(loops.final_energy, argnums=(3, 2, 1), target="python")(*ARGS)
    ck = s2sad.value_and_grad(loops.final_energy, argnums=(3, 2, 1), target="python",
                              checkpoint=checkpoint)(*ARGS)
    assert ck == plain  # the same operations in the same order: bit-identical


def test_checkpointed_gradient_cpu():
    plain = s2sad.value_and_grad(loops.final_energy, argnums=(3, 2, 1))(*ARGS)
    ck = s2sad.value_and_grad(loops.final_energy, argnums=(3, 2, 1), checkpoint=True)(*ARGS)
    assert ck == plain


@pytest.mark.slow
def test_verlet_storage_at_a_million_steps(monkeypatch):
    n = 10**6
    monkeypatch.setattr(loops, "N", n)  # a module-level int: a new specialisation
    f = np.zeros(n)
    stored_per_iter = 2  # x0 and v0: everything else is recomputed or loop-invariant
    expected = stored_per_iter * 8 * (n - 1)
    plain = storage_bytes(loops.final_energy, f, 1.0, 1.0, 0.05, argnums=(3, 2, 1))
    assert expected <= plain <= 2 * expected
    ck = storage_bytes(loops.final_energy, f, 1.0, 1.0, 0.05, argnums=(3, 2, 1),
                       checkpoint=True)
    assert ck * 10 <= plain
    # sqrt(n) snapshots of the 2-value state plus one segment's records
    assert ck <= 8 * (2 * 1000 + 2 * 1000) * 2
    g1 = s2sad.grad(loops.final_energy, argnums=(3, 2, 1))(f, 1.0, 1.0, 0.05)
    g2 = s2sad.grad(loops.final_energy, argnums=(3, 2, 1), checkpoint=True)(f, 1.0, 1.0, 0.05)
    assert g1 == g2
