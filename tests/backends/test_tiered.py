"""S2SAD_TIERED=1 (compile.py): a new derivative's first calls run its generated source in
CPython while Numba compiles it in a thread; later calls run Numba's code."""

import math

import pytest

import s2sad
from s2sad import compile as specs


def _series(x, d):
    s = 0.0
    for i in range(3):
        s += math.sin(x * (i + 1)) / d
    return s


def _ratio(x, d):
    s = 0.0
    for _i in range(2):
        s += x * x / d
    return s


@pytest.fixture
def tiered(monkeypatch):
    monkeypatch.setenv("S2SAD_TIERED", "1")
    yield
    for th in specs._TIERS:
        th.join()


def _only(fun):
    (c,) = [c for k, cs in specs._compiled.items() if k[0] is fun for c in cs]
    return c


def test_first_call_in_cpython_then_numba(tiered):
    g = s2sad.grad(_series)
    want = sum((i + 1) * math.cos(2.0 * (i + 1)) for i in range(3)) / 4.0
    assert g(2.0, 4.0) == pytest.approx(want, rel=1e-14)  # CPython (or Numba, if quicker)
    for th in specs._TIERS:
        th.join()
    c = _only(_series)
    assert type(c.call).__name__ == "CPUDispatcher"
    assert g(2.0, 4.0) == pytest.approx(want, rel=1e-14)  # Numba


def test_a_cpython_error_waits_for_numbas_result(tiered):
    # 1.0 / 0.0 raises in CPython; Numba (error_model="numpy") gives inf, as without tiers
    assert s2sad.grad(_ratio)(1.0, 0.0) == math.inf
