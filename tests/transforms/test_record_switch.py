"""The loop-cost optimisations of the reverse sweep (one reserve per loop nest with plain
stores, `S2SAD_DISABLE=reserve`; affine integer counters recomputed from the loop index
instead of recorded, `S2SAD_DISABLE=tbr`; sparse reverse loops after selections,
`S2SAD_DISABLE=sparse`; loop-invariant loads recorded once per row,
`S2SAD_DISABLE=hoist`; elements an earlier element loop wrote recomputed from its
expression, `S2SAD_DISABLE=refill`) change how the gradient is computed, never what: on the property
tests' generated programs, and on generated loop nests with selections, scratch arrays
and triangular inner loops, the optimised gradient equals the record-everything one
(both switches off) bit for bit, and forward mode."""

import contextlib
import math
import os
import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import s2sad
from s2sad import pipeline
from s2sad.api import derivative_source, storage_bytes
from s2sad.ir.types import F64, I64, ArrayT
from s2sad.ir.verify import verify
from tests.transforms import test_array_properties as arrays
from tests.transforms import test_properties as scalars
from tests.transforms.generated import load

OFF = "buffers,hoist,refill,reserve,select,sparse,tbr"  # (deadcarry may change
# which form the primal takes, NumPy or loops: tests/passes/test_deadcarry.py checks it)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@contextlib.contextmanager
def disabled(names: str):
    old = os.environ.get("S2SAD_DISABLE")
    os.environ["S2SAD_DISABLE"] = names
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("S2SAD_DISABLE")
        else:
            os.environ["S2SAD_DISABLE"] = old


def both(f, args, argnums, target="python", off: str = OFF):
    """value_and_grad with the optimisations on, and with `off` turned off."""
    got = s2sad.value_and_grad(f, argnums=argnums, target=target)(*args)
    with disabled(off):
        want = s2sad.value_and_grad(f, argnums=argnums, target=target)(*args)
    return got, want


def check_switch(src: str, f, args: tuple, rng, off: str = OFF) -> None:
    """f(c, x, n) of a generated program: its IR verifies, value_and_grad is the same bit
    for bit with `off` turned off, and (where the value is finite) the gradient with
    respect to c agrees with forward mode."""
    c, x, n = args
    types = (ArrayT(F64, c.ndim), ArrayT(F64, x.ndim), I64)
    verify(pipeline.derive(f, pipeline.Request("grad", (0, 1), types, single=False)))
    (val, g), (val0, g0) = both(f, args, (0, 1), off=off)
    assert val == val0, src
    for a, b in zip(g, g0):
        same(a, b)
    if not np.isfinite(val) or abs(val) > 1e6:  # (a value squared per step overflows)
        return
    u = rng.normal(size=c.shape)
    _, tan = s2sad.jvp(f, args, (u, np.zeros_like(x), 0), target="python")
    assert abs(float(np.sum(g[0] * u)) - tan) <= 1e-9 * (1 + abs(tan)), src


def same(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert np.array_equal(a, b, equal_nan=True), (a, b)


@SETTINGS
@given(src=scalars.programs(), x=st.floats(-1.5, 1.5), y=st.floats(-1.5, 1.5),
       n=st.integers(0, 6))
def test_scalar_programs_same_as_recording_everything(src, x, y, n, tmp_path):
    f = load(src, tmp_path)
    v = f(x, y, n)
    if not math.isfinite(v) or abs(v) > 1e6:
        return
    (val, g), (val0, g0) = both(f, (x, y, n), (0, 1))
    assert val == val0, src
    for a, b in zip(g, g0):
        same(a, b)


@SETTINGS
@given(src=arrays.programs(), seed=st.integers(0, 2**16), y=st.floats(-1.2, 1.2),
       n=st.integers(0, 5))
def test_array_programs_same_as_recording_everything(src, seed, y, n, tmp_path):
    f = load(src, tmp_path)
    x = np.random.default_rng(seed).uniform(-1.0, 1.0, size=arrays.N)
    v = f(x, y, n)
    if not math.isfinite(v) or abs(v) > 1e6:
        return
    (val, g), (val0, g0) = both(f, (x, y, n), (0, 1))
    assert val == val0, src
    for a, b in zip(g, g0):
        same(a, b)


# ---------------------------------------------------------------- loop nests
INNER = ["range(m)", "range(j + 1, m)", "range(1, m)", "range(j, m, 2)"]
TERMS = ["x[i, l] - c[j, l]", "x[i, l] * c[j, l]", "np.sin(c[j, l]) * t[l]", "t[l] - c[j, l]"]


@st.composite
def nests(draw):
    """Loops over points and candidates, an inner element loop filling a scratch array
    or a distance, a selection by `if d < best`, a triangular loop, a running counter."""
    inner = draw(st.sampled_from(INNER))
    term = draw(st.sampled_from(TERMS))
    select = draw(st.booleans())
    body = ["def f(c, x, n):",
            "    k = c.shape[0]",
            "    m = c.shape[1]",
            "    t = np.zeros(m)",
            "    total = 0.0",
            "    for i in range(n):",
            "        best = 1e30" if select else "        best = 0.0",
            "        li = 0",
            "        for j in range(k):",
            "            d = 0.0",
            f"            for l in {inner.replace('j', 'j % m')}:",
            f"                t[l] = {term.replace('t[l]', '0.5')}",
            "                d += t[l] * t[l] + 0.1 * li",
            "                li += 1"]
    if select:
        body += ["            if d < best:", "                best = d"]
    else:
        body += ["            best += np.tanh(d)"]
    if draw(st.booleans()):
        body += ["        for l in range(m):", "            total += t[l] * best"]
    body += ["        total += best", "    return total"]
    return "import numpy as np\n\n\n" + "\n".join(body) + "\n"


@SETTINGS
@given(src=nests(), seed=st.integers(0, 2**16), n=st.integers(0, 4),
       k=st.integers(1, 3), m=st.integers(1, 4))
def test_loop_nests_same_as_recording_everything(src, seed, n, k, m, tmp_path):
    rng = np.random.default_rng(seed)
    c, x = rng.normal(size=(k, m)), rng.normal(size=(max(n, 1), m))
    check_switch(src, load(src, tmp_path), (c, x, n), rng)


def test_kmeans_nest_on_numba_same_as_recording_everything():
    from benchmarks.kmeans import kmeans

    rng = np.random.default_rng(5)
    c, p = rng.normal(size=(4, 3)), rng.normal(size=(50, 3))
    (val, g), (val0, g0) = both(kmeans, (c, p), 0, target="cpu")
    assert val == val0
    same(g, g0)
    near = np.argmin(((p[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
    want = np.zeros_like(c)
    for i, j in enumerate(near):
        want[j] += 2.0 * (c[j] - p[i])
    np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-12)


def test_the_switches_change_the_code():
    from benchmarks.kmeans import kmeans
    from s2sad.api import derivative_source

    c, p = np.zeros((2, 2)), np.zeros((3, 2))
    src = derivative_source(kmeans, mode="grad", args=(c, p))
    with disabled(OFF):
        src0 = derivative_source(kmeans, mode="grad", args=(c, p))
    assert "if dist_1_bar != 0.0:" in src and "if dist_1_bar != 0.0:" not in src0
    assert "_rt.push(" not in src and "_rt.push(" in src0


def test_affine_counter_recomputed_not_recorded():
    from benchmarks.gmm_scratch import gmm_scratch
    from s2sad.api import derivative_source

    args = (np.zeros(2), np.zeros((2, 3)), np.zeros((2, 6)), np.zeros((4, 3)), 1.0, 0.0)
    src = derivative_source(gmm_scratch, mode="grad", argnums=(0, 1, 2), args=args)
    with disabled(OFF):
        src0 = derivative_source(gmm_scratch, mode="grad", argnums=(0, 1, 2), args=args)
    # li += 1 in the triangular loop: its value at the start of that loop is recorded once
    # per row, each iteration's is li_start + (j - (i + 1))
    assert re.search(r"li_\d+ = li_\d+ \+ \(j_\d+ - v\d+\)", src)
    assert len(re.findall(r"tape_i\[sp_i\w*\] = li\s", src)) == 1
    assert re.search(r"li_\d+ -= _rt.trip_count\(", src)
    assert "push(tape_i_3, sp_i_2, li)" in src0 and "li_6 = " not in src0


def test_arrays_read_only_for_their_shape_record_their_shape():
    """heat with np.concatenate of slices: the step is linear, so the reverse sweep reads
    the step's temporaries only for their shapes (sum_to's target, slice bounds): ints
    are recorded, not arrays; with tbr off every temporary is recorded whole."""
    from benchmarks.heat import heat_adjoint
    from benchmarks.heat_copy import heat_concat
    from s2sad.api import derivative_source, storage_bytes

    u0 = np.random.default_rng(6).standard_normal(12)
    src = derivative_source(heat_concat, mode="grad", args=(u0, 0.25, 4))
    assert "push_array" not in src and "pop_array" not in src
    with disabled(OFF):
        assert "push_array" in derivative_source(heat_concat, mode="grad",
                                                 args=(u0, 0.25, 4))
    (val, g), (val0, g0) = both(heat_concat, (u0, 0.25, 4), 0, target="cpu")
    assert val == val0
    same(g, g0)
    np.testing.assert_allclose(g, heat_adjoint(u0, 0.25, 4), rtol=1e-12, atol=1e-12)
    assert storage_bytes(heat_concat, u0, 0.25, 4) <= 8 * 4 * 10 + 16 * 8 * 2


STEPPED = """import numpy as np


def f(L, w, n):
    m = w.shape[0]
    s = np.ones(m)
    acc = 0.0
    for r in range(n):
        li = 0
        for i in range(m):
            for j in range(i + 1, m):
                s[j] += np.sin(L[li] * w[i]) * s[i]
                li += 1
        k = 0
        for i in range(m):
            acc += L[k % L.shape[0]] * s[i]
            k += i
    return acc
"""


def test_counters_stepped_back_not_recorded(tmp_path):
    """li stepped by the triangular loop (li + trip_count) and k by the row index (k + i):
    the reversed loops carry them back from the loops' results, taking each iteration's
    step off; tbr off records them per row."""
    f = load(STEPPED, tmp_path)
    rng = np.random.default_rng(3)
    m, n = 6, 3
    L, w = rng.normal(size=m * (m - 1) // 2), rng.normal(size=m)
    src = derivative_source(f, mode="grad", argnums=(0, 1), args=(L, w, n))
    with disabled("tbr"):
        src0 = derivative_source(f, mode="grad", argnums=(0, 1), args=(L, w, n))
    assert re.search(r"li_\d+ -= _rt\.trip_count\(", src) and re.search(r"k_\d+ -= i_\d+", src)
    assert not re.search(r" -= _rt\.trip_count\(", src0)
    got = storage_bytes(f, L, w, n, argnums=(0, 1))
    with disabled("tbr"):
        want = storage_bytes(f, L, w, n, argnums=(0, 1))
    assert got < want, (got, want)
    for target in ("python", "cpu"):
        (val, g), (val0, g0) = both(f, (L, w, n), (0, 1), target=target)
        assert val == val0
        for a, b in zip(g, g0):
            same(a, b)
    eps = 1e-6
    e = np.zeros_like(L)
    e[4] = eps
    fd = (f(L + e, w, n) - f(L - e, w, n)) / (2 * eps)
    assert abs(fd - g[0][4]) <= 1e-6 * (1 + abs(fd))
