"""Elements an earlier element loop wrote, recomputed in the reverse sweep from the
expression it wrote them with instead of recorded (transforms/refill.py,
`S2SAD_DISABLE=refill`): the gradient is the same bit for bit as with the switch off on
generated programs, including those where it must not apply (other bounds, a shifted
index, a write in between, an expression reading what changes later), and the tape is
smaller where it does."""

import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import s2sad
from s2sad.api import derivative_source, storage_bytes
from tests.transforms import test_record_switch as record_switch
from tests.transforms.generated import load
from tests.transforms.test_record_switch import SETTINGS, disabled, same

RANGES = ["m", "1, m", "m - 1"]
EXPRS = ["x[i, l] - c[j, l]", "np.exp(c[j, l]) * x[i, l]", "t[0] + c[j, l]",
         "c[j, l] * c[j, l] + 0.5 * x[i, l]", "s[l] * 0.5 + c[j, l]"]
MIDDLES = ["", "s[0] = 1.0", "t[0] = 0.25"]
READS = ["np.sin(s[l]) * c[j, l]", "s[l] * s[l]", "np.sin(s[l - 1])",
         "inner", "s[l] * c[j, l] + s[0]"]


@st.composite
def programs(draw):
    """A scratch array s refilled per (i, j) by a loop, then read by a second loop (or
    a triangular nest): recomputed where the first loop's expression is what the read
    sees, recorded otherwise."""
    wr, rr = draw(st.sampled_from(RANGES)), draw(st.sampled_from(RANGES))
    expr, mid, read = (draw(st.sampled_from(x)) for x in (EXPRS, MIDDLES, READS))
    body = ["def f(c, x, n):",
            "    k = c.shape[0]",
            "    m = c.shape[1]",
            "    s = np.zeros(m)",
            "    t = np.zeros(1)",
            "    total = 0.0",
            "    for i in range(n):",
            "        for j in range(k):",
            f"            for l in range({wr}):",
            f"                s[l] = {expr}"]
    if mid:
        body += [f"            {mid}"]
    body += ["            acc = 0.0", f"            for l in range({rr}):"]
    if read == "inner":
        body += ["                for q in range(l + 1, m):",
                 "                    acc += np.sin(s[l] * c[j, q])"]
    else:
        body += [f"                acc += {read}"]
    body += ["            t[0] = acc", "            total += acc * acc", "    return total"]
    return "import numpy as np\n\n\n" + "\n".join(body) + "\n"


def both(f, args, argnums, target="python"):
    return record_switch.both(f, args, argnums, target, off="refill")


@SETTINGS
@given(src=programs(), seed=st.integers(0, 2**16), n=st.integers(0, 3),
       k=st.integers(1, 3), m=st.integers(1, 4))
def test_programs_same_as_recording_the_reads(src, seed, n, k, m, tmp_path):
    rng = np.random.default_rng(seed)
    c, x = rng.normal(size=(k, m)), rng.normal(size=(max(n, 1), m))
    record_switch.check_switch(src, load(src, tmp_path), (c, x, n), rng, off="refill")


def test_gmm_scratch_reads_of_xc_recomputed():
    """xc[j] = x[ix, j] - means[k, j]: its reads (xc[j] in qx's loop, xc[i] in the
    triangular loop) are recomputed from x and means; only qx[j] (written twice) and the
    row counters are recorded per point and component."""
    from benchmarks import gmm
    from benchmarks.gmm_scratch import gmm_scratch

    args = gmm._args(10, 4, 20)
    src = derivative_source(gmm_scratch, mode="grad", argnums=gmm.ARGNUMS, args=args)
    with disabled("refill"):
        src0 = derivative_source(gmm_scratch, mode="grad", argnums=gmm.ARGNUMS, args=args)
        want = storage_bytes(gmm_scratch, *args, argnums=gmm.ARGNUMS)
    xc = re.compile(r"= x\[ix_\d+, (j|i)_\d+\] - means\[k_\d+, (j|i)_\d+\]")
    assert len(xc.findall(src)) == 2 and not xc.findall(src0)
    got = storage_bytes(gmm_scratch, *args, argnums=gmm.ARGNUMS)
    d, K, n = 10, 4, 20
    floats = n * (K * d + K + 1) + K * d + K  # qx, exp terms, se; Qdiags; exp(alphas)
    ints = n * K * d + (n + 1) * (K - 1)  # li per row; the max selections
    assert got <= 8 * (floats + ints) < want, (got, want)
    val, g = s2sad.value_and_grad(gmm_scratch, argnums=gmm.ARGNUMS)(*args)
    with disabled("refill"):
        val0, g0 = s2sad.value_and_grad(gmm_scratch, argnums=gmm.ARGNUMS)(*args)
    assert val == val0
    for a, b in zip(g, g0):
        same(a, b)
    np.testing.assert_allclose(g[1], gmm.gmm_adjoint(*args)[1], rtol=1e-9, atol=1e-12)
