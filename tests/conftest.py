"""Shared test setup: a private cache folder for generated code, a fixed random seed."""

import os
import tempfile

# Generated derivative modules (and Numba's on-disk cache next to them) go to a folder of
# the test run's own rather than ~/.cache/s2sad. s2sad reads the variable on each compile.
os.environ.setdefault("S2SAD_CACHE_DIR", os.path.join(tempfile.gettempdir(), "s2sad-test-cache"))
# every pipeline stage's output is checked by ir.verify (pipeline.py)
os.environ.setdefault("S2SAD_VERIFY", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fixed_seed():
    np.random.seed(0)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
