"""A running selection records its winner, one int per run of the loop, not a decision
per iteration (transforms/selection.py, `S2SAD_DISABLE=select`): the same gradient bit
for bit as with the switch off, on generated selections including those it must refuse
(the selected value read in the loop, a second float chosen with it)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from s2sad.api import derivative_source, storage_bytes
from tests.transforms import test_record_switch as record_switch
from tests.transforms.generated import load
from tests.transforms.test_record_switch import SETTINGS, disabled, same

EXPRS = ["(x[i] - c[j]) ** 2", "np.sin(x[i] * c[j])", "c[j] * x[i] + c[j]"]
EXTRAS = ["", "idx = j", "other = d * 2.0", "best = d + 0.0"]
USES = ["", "acc += best", "acc += d * c[j]", "acc += float(idx)"]


@st.composite
def programs(draw):
    expr, extra, use = (draw(st.sampled_from(x)) for x in (EXPRS, EXTRAS, USES))
    comp, init = draw(st.sampled_from([("<", "1e30"), (">", "-1e30"), ("<=", "c[0] * 9.0")]))
    body = ["def f(c, x, n):",
            "    k = c.shape[0]",
            "    total = 0.0",
            "    for i in range(n):",
            f"        best = {init}",
            "        other = 0.0",
            "        idx = 0",
            "        acc = 0.0",
            "        for j in range(k):",
            f"            d = {expr}",
            f"            if d {comp} best:",
            "                best = d"]
    if extra:
        body += [f"                {extra}"]
    if use:
        body += [f"            {use}"]
    body += ["        total += best + acc + other", "    return total"]
    return "import numpy as np\n\n\n" + "\n".join(body) + "\n"


def both(f, args, argnums, target="python"):
    return record_switch.both(f, args, argnums, target, off="select")


@SETTINGS
@given(src=programs(), seed=st.integers(0, 2**16), n=st.integers(0, 3),
       k=st.integers(1, 4), ties=st.booleans())
def test_selections_same_as_recording_every_decision(src, seed, n, k, ties, tmp_path):
    rng = np.random.default_rng(seed)
    c, x = rng.normal(size=k), rng.normal(size=max(n, 1))
    if ties:  # equal candidates: `<=` takes the later one
        c[:] = c[0]
    record_switch.check_switch(src, load(src, tmp_path), (c, x, n), rng, off="select")


def test_kmeans_records_one_int_per_point():
    from benchmarks.kmeans import kmeans

    rng = np.random.default_rng(4)
    c, p = rng.normal(size=(5, 3)), rng.normal(size=(100, 3))
    src = derivative_source(kmeans, mode="grad", args=(c, p))
    with disabled("select"):
        src0 = derivative_source(kmeans, mode="grad", args=(c, p))
    assert "if j_1 == win_" in src and "== win" not in src0
    assert storage_bytes(kmeans, c, p) == 8 * 100  # the winner of each point
    with disabled("select"):
        assert storage_bytes(kmeans, c, p) == 8 * 100 * 5  # every decision
    (val, g), (val0, g0) = both(kmeans, (c, p), 0, target="cpu")
    assert val == val0
    same(g, g0)
