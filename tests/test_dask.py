"""Past one machine: transforms are picklable, and a batch of gradients computed by Dask
workers (separate processes) equals the one computed here (docs/distributed.md).

Dask is optional (the "distributed" extra, which the "test" extra brings). The function
is module-level, so the workers import it (as they must: s2sad reads its source there).
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import s2sad
from s2sad.testing import central_difference

W = np.array([0.5, -1.0, 2.0])


def energy(x, w):
    """A scalar of one sample x (3,) and shared weights w (3,)."""
    return np.sum(np.tanh(w * x) ** 2) + 0.5 * np.dot(x, x) * w[0]


def _batch(n: int) -> np.ndarray:
    return np.random.default_rng(7).normal(size=(n, 3))


def test_transforms_pickle():
    x = _batch(1)[0]
    g = s2sad.grad(energy, argnums=(0, 1))
    gx, gw = pickle.loads(pickle.dumps(g))(x, W)
    np.testing.assert_array_equal(gx, g(x, W)[0])
    np.testing.assert_array_equal(gw, g(x, W)[1])
    np.testing.assert_allclose(gx, central_difference(energy, (x, W), 0), rtol=1e-7)

    X = _batch(5)
    vg = s2sad.vmap(s2sad.grad(energy), in_axes=(0, None))
    back = pickle.loads(pickle.dumps(vg))
    assert repr(back) == repr(vg)
    np.testing.assert_array_equal(back(X, W), vg(X, W))
    np.testing.assert_allclose(vg(X, W)[3], g(X[3], W)[0], rtol=1e-14)


@pytest.mark.slow
def test_a_batch_of_gradients_on_dask_workers():
    import dask.array as da  # (the `distributed` extra, in `test`)
    import dask.distributed as distributed
    X = _batch(1000)
    vg = s2sad.vmap(s2sad.grad(energy), in_axes=(0, None))
    local = vg(X, W)
    chunks = np.array_split(X, 8)
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        futures = client.map(vg, chunks, [W] * len(chunks))
        parts = client.gather(futures)
        pids = set(client.run(os.getpid).values())
        # the same with dask.array: the client is the default scheduler inside the block
        blocks = da.from_array(X, chunks=(250, 3)).map_blocks(vg, W, dtype=float).compute()
    assert len(pids) == 2 and os.getpid() not in pids  # two other processes
    remote = np.concatenate(parts)
    assert remote.shape == (1000, 3)
    np.testing.assert_array_equal(remote, local)
    np.testing.assert_array_equal(blocks, local)
