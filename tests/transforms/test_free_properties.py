"""Property tests for values from outside the function and for writes into its inputs:
generated programs read module-level arrays and floats in loops and write into their
own array argument in place. Every transform leaves its inputs alone, two calls agree,
reverse mode equals forward mode (dot-product test) and central differences, and a
module-level value changed between calls changes the derivative accordingly."""

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import s2sad
from s2sad.testing import central_difference
from tests.transforms.generated import load

N = 4

READS = ["W[k % 4]", "W[(k + 1) % 4] * x[k % 4]", "np.sum(W * x)", "C * x[k % 4]",
         "T[0] * x[(k + 2) % 4]", "np.dot(M[k % 2], x)"]


@st.composite
def statements(draw):
    kind = draw(st.sampled_from(["read", "write", "iadd", "alias", "helper", "acc"]))
    r = draw(st.sampled_from(READS))
    if kind == "read":  # module-level values read in the loop
        return [f"s = s + 0.3 * {r}"]
    if kind == "write":  # an element write into the argument itself
        return [f"x[k % 4] = 0.5 * x[k % 4] * x[(k + 1) % 4] + 0.2 * {r}"]
    if kind == "iadd":  # the whole argument, in place
        return [f"x += 0.1 * {r}"]
    if kind == "alias":  # through another name for the argument
        return ["b = x", f"b[(k + 3) % 4] = b[(k + 3) % 4] * {r}"]
    if kind == "helper":  # through a helper that fills its argument
        return ["_scale(x, k % 4, 0.9)"]
    return [f"acc = acc * 0.5 + {r}"]


@st.composite
def programs(draw):
    w = [round(v, 3) for v in draw(st.lists(st.floats(-1, 1), min_size=4, max_size=4))]
    lines = ["import numpy as np", "",
             f"W = np.array({w!r})",
             "M = np.array([[0.5, -0.25, 1.0, 0.75], [1.5, 0.5, -1.0, 0.25]])",
             f"C = {draw(st.sampled_from(['0.7', '1.3', '-0.4']))}",
             "T = (0.25, 2.0)", "",
             "",
             "def _scale(a, i, c):",
             "    a[i] = c * a[i] * a[i]",
             "", "",
             "def f(x, n):",
             "    s = 0.0",
             "    acc = 0.0",
             "    for k in range(n):"]
    for _ in range(draw(st.integers(1, 3))):
        lines += ["        " + line for line in draw(statements())]
    lines.append(f"    return s + acc + np.sum({draw(st.sampled_from(['x * x', 'np.sin(x)', 'W * x']))})")
    return "\n".join(lines) + "\n"


def smooth(f, x, n, h=1e-6) -> bool:
    for e in np.eye(N):
        f0, right, left = f(x.copy(), n), f(x + h * e, n), f(x - h * e, n)
        d1, d2 = (right - f0) / h, (f0 - left) / h
        if abs(d1 - d2) > 1e-4 * (abs(d1) + abs(d2)) + 1e-9:
            return False
    return True


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(src=programs(), seed=st.integers(0, 2**16), n=st.integers(0, 5))
def test_inputs_untouched_and_derivatives_agree(src, seed, n, tmp_path):
    f = load(src, tmp_path)
    mod = f.__globals__
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=N)
    x0 = x.copy()
    v = f(x.copy(), n)
    if not math.isfinite(v) or abs(v) > 1e6:
        return
    g = s2sad.grad(f, target="python")
    gx = g(x, n)
    np.testing.assert_array_equal(x, x0, err_msg=src)
    np.testing.assert_array_equal(g(x, n), gx, err_msg=src)
    u = rng.normal(size=N)
    u0 = u.copy()
    val, t = s2sad.jvp(f, (x, n), (u, 0), target="python")
    np.testing.assert_array_equal(x, x0, err_msg=src)
    np.testing.assert_array_equal(u, u0, err_msg=src)
    assert abs(val - v) <= 1e-12 * (1 + abs(v)), src
    out, vjp_fn = s2sad.vjp(f, x, n, target="python")
    (ct, _) = vjp_fn(1.0)
    np.testing.assert_array_equal(x, x0, err_msg=src)
    assert abs(float(np.dot(ct, u)) - t) <= 1e-9 * (1 + abs(t)), src
    np.testing.assert_allclose(ct, gx, rtol=1e-12, atol=1e-12, err_msg=src)
    if smooth(f, x, n):
        want = central_difference(lambda a, m: f(a.copy(), m), (x, n), 0)
        np.testing.assert_allclose(gx, want, rtol=1e-5, atol=1e-6, err_msg=src)
    # a module-level value changed between calls: the same transform sees it
    mod["W"][:] = mod["W"][::-1] + 0.5
    mod["C"] = mod["C"] + 1.0
    v2 = f(x.copy(), n)
    if smooth(f, x, n) and math.isfinite(v2) and abs(v2) < 1e6:
        want = central_difference(lambda a, m: f(a.copy(), m), (x, n), 0)
        np.testing.assert_allclose(g(x, n), want, rtol=1e-5, atol=1e-6, err_msg=src)
