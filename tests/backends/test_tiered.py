"""Tiered first calls (target="cpu", backends/tiered.py): a new derivative's first
calls run its generated source in CPython while Numba compiles it in a thread; later
calls run Numba's code."""

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
    monkeypatch.setenv("S2SAD_TIERED", "1")  # (the default)
    yield
    specs.join_tiers()


def _only(fun):
    (c,) = [c for k, cs in specs._compiled.items() if k[0] is fun for c in cs]
    return c


def test_first_call_in_cpython_then_numba(tiered):
    g = s2sad.grad(_series)
    want = sum((i + 1) * math.cos(2.0 * (i + 1)) for i in range(3)) / 4.0
    assert g(2.0, 4.0) == pytest.approx(want, rel=1e-14)  # CPython (or Numba, if quicker)
    specs.join_tiers()
    c = _only(_series)
    assert type(c.call).__name__ == "CPUDispatcher"
    assert g(2.0, 4.0) == pytest.approx(want, rel=1e-14)  # Numba


def test_a_cpython_error_waits_for_numbas_result(tiered):
    # 1.0 / 0.0 raises in CPython; Numba (error_model="numpy") gives inf, as without tiers
    assert s2sad.grad(_ratio)(1.0, 0.0) == math.inf


def _cube_root_gap(x):
    return (x - 2.0) ** 1.5 + x


def test_a_complex_cpython_result_waits_for_numbas_nan(tiered):
    # (-1.0) ** 1.5 is complex in CPython and nan in Numba: the answer is Numba's
    v, d = s2sad.value_and_grad(_cube_root_gap)(1.0)
    assert math.isnan(v) and math.isnan(d)


def _loop_sum(x, n):  # (one specialisation per test: each test needs its first call)
    s = 0.0
    for i in range(n):
        s += x * i
    return s


def _forever(*args):
    while True:
        pass


@pytest.fixture
def cpython_never_ends(monkeypatch):
    """A CPython tier that never finishes; what escapes into threading's hook."""
    from s2sad.backends import tiered as tiers

    real = tiers.Tiered.__init__

    def patched(self, *a, **k):
        real(self, *a, **k)
        self.py_func = _forever

    monkeypatch.setattr(tiers.Tiered, "__init__", patched)
    escaped = []
    monkeypatch.setattr("threading.excepthook", lambda a: escaped.append(a))
    return tiers, escaped


@pytest.mark.parametrize("budget", [1e6, 0.01], ids=["numba-first", "out-of-budget"])
def test_numba_answers_when_cpython_is_slower(tiered, cpython_never_ends, monkeypatch,
                                              budget):
    # the compile thread stops the CPython call when Numba is ready, or the budget does
    # first and the call waits for Numba; either way the result is Numba's
    tiers, escaped = cpython_never_ends
    monkeypatch.setattr(tiers, "BUDGET_S", budget)
    fun = _loop_sum if budget > 1 else _loop_sum_again
    g = s2sad.grad(fun)
    assert g(3.0, 5) == pytest.approx(10.0)
    c = _only(fun)
    assert c._tier.slow is (budget < 1)
    specs.join_tiers()
    assert type(c.call).__name__ == "CPUDispatcher"
    assert escaped == []
    assert g(3.0, 5) == pytest.approx(10.0)  # (and later calls run Numba's code)


def _loop_sum_again(x, n):
    s = 0.0
    for i in range(n):
        s += x * i
    return s


def test_cpython_results_are_python_numbers(tiered):
    import numpy as np

    def f(x):
        s = 0.0
        for i in range(x.shape[0]):
            s += x[i] * x[i]
        return s

    v, _ = s2sad.value_and_grad(f)(np.arange(3.0))  # CPython's first call (or Numba's)
    assert type(v) is float and v == 5.0


def _pair(x):
    return math.log(x[0]) + x[0] * x[1] - math.sin(x[1])


def test_parallel_vmap_answers_with_the_serial_loop_while_numba_compiles(tiered):
    import numpy as np

    xs = np.random.default_rng(1).uniform(1.0, 2.0, size=(64, 2))
    want = np.stack([1.0 / xs[:, 0] + xs[:, 1], xs[:, 0] - np.cos(xs[:, 1])], axis=1)
    v = s2sad.vmap(s2sad.grad(_pair), target="parallel")
    np.testing.assert_allclose(v(xs), want, rtol=1e-14)  # the serial loop (or the driver)
    specs.join_tiers()
    ((run, _, _, ready),) = v._drivers.values()
    assert ready.is_set() and len(run.signatures) == 1  # compiled in the background
    np.testing.assert_allclose(v(xs), want, rtol=1e-14)  # the prange driver


def _recip_sum(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += 1.0 / x[i]
    return s


def test_the_cpython_tier_warns_as_numba_does(tiered):
    # NumPy scalars divide by zero with a RuntimeWarning; Numba's code gives inf silently
    import warnings

    import numpy as np

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        v, g = s2sad.value_and_grad(_recip_sum)(np.array([0.0, 2.0]))
    assert v == math.inf and g[0] == -math.inf and g[1] == -0.25
    assert [w for w in seen if issubclass(w.category, RuntimeWarning)] == []
