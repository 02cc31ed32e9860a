"""Loop-invariant loads recorded once per iteration of the loop where they vary
(transforms/hoist.py, `S2SAD_DISABLE=hoist`): the gradient is the same bit for bit as
with the switch off, on generated nests that read scratch arrays inside inner loops
(written before the inner loop, or inside it: then nothing is hoisted), and the tape
is smaller."""

import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from s2sad.api import derivative_source, storage_bytes
from tests.transforms import test_record_switch as record_switch
from tests.transforms.generated import load
from tests.transforms.test_record_switch import SETTINGS, disabled, same

INNER = ["range(m)", "range(l + 1, m)", "range(l, m, 2)", "range(1, l)"]
READS = ["s[l]", "s[l] * s[l]", "np.exp(s[l])", "s[(l + j) % m]", "x[i, l] * s[l]"]


@st.composite
def nests(draw):
    """A scratch array s refilled per candidate j, then a loop over l whose inner loop
    reads s[l] (invariant in it); optionally the inner loop also writes s or a second
    name for it (then the read may change and stays recorded per iteration)."""
    inner = draw(st.sampled_from(INNER))
    read = draw(st.sampled_from(READS))
    write = draw(st.sampled_from(["", "s[q] = 0.5 * s[q]", "u[q] += 0.1"]))
    body = ["def f(c, x, n):",
            "    k = c.shape[0]",
            "    m = c.shape[1]",
            "    s = np.zeros(m)",
            "    u = s",
            "    total = 0.0",
            "    for i in range(n):",
            "        for j in range(k):",
            "            for l in range(m):",
            "                s[l] = np.sin(x[i, l] - c[j, l])",
            "            acc = 0.0",
            "            for l in range(m):",
            f"                for q in {inner}:",
            f"                    acc += {read} * c[j, q]"]
    if write:
        body += [f"                    {write}"]
    body += ["            total += acc * acc", "    return total"]
    return "import numpy as np\n\n\n" + "\n".join(body) + "\n"


def both(f, args, argnums, target="python"):
    return record_switch.both(f, args, argnums, target, off="hoist")


@SETTINGS
@given(src=nests(), seed=st.integers(0, 2**16), n=st.integers(0, 3),
       k=st.integers(1, 3), m=st.integers(1, 4))
def test_nests_same_as_recording_every_read(src, seed, n, k, m, tmp_path):
    rng = np.random.default_rng(seed)
    c, x = rng.normal(size=(k, m)), rng.normal(size=(max(n, 1), m))
    record_switch.check_switch(src, load(src, tmp_path), (c, x, n), rng, off="hoist")


SRC = """import numpy as np


def f(w, n):
    s = np.zeros(n)
    for i in range(n):
        s[i] = w[i] * w[i]
    acc = 0.0
    for i in range(n):
        for j in range(i, n):
            acc += np.sin(s[i] * w[j])
        s[i] = 0.0
    return acc
"""


def test_invariant_read_recorded_once_per_row(tmp_path):
    """s[i] in the inner loop (s written after the nest's row): one float per row, not
    one per inner iteration; the same gradient as recording every read, on Numba too."""
    f = load(SRC, tmp_path)
    w = np.random.default_rng(1).normal(size=30)
    n = 30
    src = derivative_source(f, mode="grad", args=(w, n))
    with disabled("hoist"):
        src0 = derivative_source(f, mode="grad", args=(w, n))
    guard = re.compile(r"if _rt\.trip_count\(i\w*, n, 1\) > 0:.*\n +(v\d+) = s\[i\w*\]")
    assert guard.search(src) and not guard.search(src0)
    # the row's read is pushed after the inner loop, once; nothing is pushed inside it
    # (sin's argument is recomputed from it); off: s[i] and the argument, per iteration
    assert f"tape_f[sp_f] = {guard.search(src).group(1)}" in src
    assert src.count("tape_f[sp_f] =") == 1 and src0.count("tape_f[sp_f] =") == 2
    got = storage_bytes(f, w, n)
    with disabled("hoist"):
        want = storage_bytes(f, w, n)
    assert got < want, (got, want)
    (val, g), (val0, g0) = both(f, (w, n), 0, target="cpu")
    assert val == val0
    same(g, g0)
    eps = 1e-6
    e = np.zeros_like(w)
    e[3] = eps
    fd = (f(w + e, n) - f(w - e, n)) / (2 * eps)
    assert abs(fd - g[3]) <= 1e-6 * (1 + abs(fd))


def test_read_of_an_empty_loop_is_not_made(tmp_path):
    """The inner loop runs no iteration for the rows past m: its read s[i] would be out
    of bounds there. The twin read is guarded by the trip count (Python raises on an
    out-of-bounds read, so an unguarded twin would fail here)."""
    f = load("""import numpy as np


def f(w, n):
    m = w.shape[0]
    s = w * 2.0
    acc = 0.0
    for i in range(n):
        for j in range(i, m):
            acc += s[i] * w[j]
        for j in range(m):
            s[j] = s[j] * 0.5
    return acc
""", tmp_path)
    w = np.random.default_rng(2).normal(size=4)
    (val, g), (val0, g0) = both(f, (w, 7), 0)
    assert val == val0
    same(g, g0)


def test_gmm_scratch_triangular_read_once_per_row():
    from benchmarks import gmm
    from benchmarks.gmm_scratch import gmm_scratch

    args = gmm._args(10, 4, 20)
    with disabled("hoist,refill"):  # refill recomputes xc's reads: none is recorded
        want = storage_bytes(gmm_scratch, *args, argnums=gmm.ARGNUMS)
    with disabled("refill"):
        got = storage_bytes(gmm_scratch, *args, argnums=gmm.ARGNUMS)
    # per point and component: xc[j] (10), xc[i] once per row (10, was 45), qx[j] (10)
    assert got < 0.7 * want, (got, want)
