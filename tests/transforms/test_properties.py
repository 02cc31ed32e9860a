"""Property tests: small generated programs with branches and loops; forward mode, reverse
mode and central differences agree (finite differences only where the program is smooth at
the point, i.e. where two step sizes agree)."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import s2sad
from s2sad import pipeline
from s2sad.ir.types import F64, I64
from s2sad.ir.verify import verify
from tests.transforms.generated import load

UNARY = ["math.sin({})", "math.cos({})", "math.tanh({})", "math.sqrt(1.0 + {0} * {0})",
         "math.log(1.0 + {0} * {0})", "math.exp(math.tanh({}))", "abs({})", "-{}", "-(-{})"]
BINARY = ["({} + {})", "({} - {})", "({} * {})", "({} / (1.5 + math.tanh({})))",
          "max({}, {})", "min({}, {})"]


def exprs(names):
    leaf = st.sampled_from(names + ["0.5", "1.25", "2.0"])
    return st.recursive(
        leaf,
        lambda sub: st.one_of(
            st.builds(lambda f, a: f.format(a), st.sampled_from(UNARY), sub),
            st.builds(lambda f, a, b: f.format(a, b), st.sampled_from(BINARY), sub, sub),
        ),
        max_leaves=6,
    )


@st.composite
def programs(draw):
    body = ["def f(x, y, n):"]
    body.append(f"    s = {draw(exprs(['x', 'y']))}")
    kind = draw(st.sampled_from(["for", "for_if", "while", "nested", "break", "return",
                                 "swap", "restart", "nested_break", "inner_while",
                                 "branch_return", "outer_carried", "boolval"]))
    inner = ["x", "y", "s", "i"]
    e1, e2 = draw(exprs(inner)), draw(exprs(inner))
    if kind == "for":
        body += ["    for i in range(n):", f"        s = 0.5 * s + 0.3 * {e1}"]
    elif kind == "for_if":
        body += ["    for i in range(n):",
                 f"        if {draw(exprs(inner))} > {draw(exprs(inner))}:",
                 f"            s = 0.5 * s + 0.3 * {e1}",
                 "        else:",
                 f"            s = 0.7 * s - 0.2 * {e2}"]
    elif kind == "while":
        e1 = draw(exprs(["x", "y", "s", "k"]))
        body += ["    k = 0", "    while k < n:", f"        s = 0.5 * s + 0.3 * {e1}",
                 "        k += 1"]
    elif kind == "nested":
        body += ["    for i in range(n):", "        for j in range(1, i + 2):",
                 f"            s = 0.6 * s + 0.2 * {e1} / j"]
    elif kind == "swap":  # carried values exchanged: a parallel copy in generated code
        body += ["    for i in range(n):", f"        s, y = 0.5 * y + 0.3 * {e1}, s"]
    elif kind == "restart":  # an inner loop restarted from an outer value every iteration
        start = draw(st.sampled_from(["y", "x", "s"]))
        body += ["    for i in range(n):", f"        v = {start}",
                 "        for j in range(2):", f"            v = 0.5 * v + 0.3 * {e1}",
                 "        s = s + v"]
    elif kind == "nested_break":  # each loop has its own break flag
        body += ["    for i in range(n):", "        for j in range(3):",
                 f"            s = 0.5 * s + 0.3 * {e1}",
                 f"            if s > {draw(st.sampled_from(['1.0', '0.5', 'y']))}:",
                 "                break", "        s = s + 0.1 * x",
                 f"        if s > {draw(st.sampled_from(['2.0', '1.5', 'x']))}:",
                 "            break"]
    elif kind == "inner_while":  # a loop inside a loop that breaks or returns
        exit_ = draw(st.sampled_from(["break", f"return s * {e2}"]))
        body += ["    for i in range(n):", "        k = 0", "        while k < 2:",
                 "            k += 1", f"            s = 0.5 * s + 0.3 * {e1}",
                 f"        if s > {draw(st.sampled_from(['1.0', '0.5', 'y']))}:",
                 f"            {exit_}"]
    elif kind == "branch_return":  # a loop that may return, inside an if
        body += [f"    if {draw(exprs(['x', 'y']))} > 0.0:", "        for i in range(n):",
                 f"            s = 0.5 * s + 0.3 * {e1}",
                 f"            if s > {draw(st.sampled_from(['1.0', '0.5', 'y']))}:",
                 f"                return s * {e2}", "        s = s * x"]
    elif kind == "outer_carried":  # an inner loop reads a value the outer loop carries
        e1 = draw(exprs(["x", "y", "s", "b", "i"]))
        body += ["    b = y", "    for i in range(n):", "        for j in range(2):",
                 f"            s = 0.5 * s + 0.3 * {e1}", f"        b = 0.5 * b + 0.2 * {e2}"]
    elif kind == "boolval":  # `or`/`and` return an operand (z is exactly 0.0 at times)
        z = draw(st.sampled_from(["max(x, 0.0)", "min(y, 0.0)", "max(x - y, 0.0)", "0.0 * s",
                                  "x", "y"]))
        forms = ["(z or {})", "(z and {})", "(z or s or {})", "(x > 0.5 and z or {})",
                 "(z and s or {})", "(s or z or {})", "((y < 0.0 or z) * {})",
                 "(not z and {} or z)"]
        f1, f2 = draw(st.sampled_from(forms)), draw(st.sampled_from(forms))
        body += [f"    z = {z}", "    for i in range(n):",
                 f"        s = 0.5 * s + 0.3 * {f1.format(e1)}",
                 f"    s = s * {f2.format(draw(exprs(['x', 'y', 's', 'z'])))}"]
    elif kind == "break":
        body += ["    for i in range(n):", f"        s = 0.5 * s + 0.3 * {e1}",
                 f"        if s > {draw(st.sampled_from(['2.0', '0.5', 'x']))}:",
                 "            break"]
    else:
        body += ["    for i in range(n):", f"        s = 0.5 * s + 0.3 * {e1}",
                 f"        if s > {draw(st.sampled_from(['2.0', '0.5', 'y']))}:",
                 f"            return s * {e2}"]
    body.append(f"    return s * {draw(exprs(['x', 'y', 's']))}")
    return "import math\n\n\n" + "\n".join(body) + "\n"


def fd(f, x, y, n, i, h):
    a, b = [x, y], [x, y]
    a[i] += h
    b[i] -= h
    return (f(*a, n) - f(*b, n)) / (2 * h)


def smooth_at(f, x, y, n, i, h=1e-6) -> bool:
    """One-sided differences agree: no kink or branch boundary within h."""
    a, b = [x, y], [x, y]
    a[i] += h
    b[i] -= h
    f0 = f(x, y, n)
    right, left = (f(*a, n) - f0) / h, (f0 - f(*b, n)) / h
    return abs(right - left) <= 1e-4 * (abs(right) + abs(left)) + 1e-9


def ad_continuous_at(f, x, y, n, i, gi, h=1e-6) -> bool:
    """The derivative s2sad gives at the point is the one it gives next to it: not a branch
    taken only at the point itself (`if log(1 + y * y) > 0` is false at y = 0 alone, and a
    tie of max(x, min(x, y)) at x = y), where one-sided differences agree with each other
    but not with the derivative of the branch the point takes."""
    grad = s2sad.grad(f, argnums=i, target="python")
    for d in (h, -h):
        a = [x, y]
        a[i] += d
        if grad(*a, n) != pytest.approx(gi, rel=1e-4, abs=1e-6):
            return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(src=programs(), x=st.floats(-1.5, 1.5), y=st.floats(-1.5, 1.5), n=st.integers(0, 6))
def test_forward_reverse_fd_agree(src, x, y, n, tmp_path):
    f = load(src, tmp_path)
    v = f(x, y, n)
    if not math.isfinite(v) or abs(v) > 1e6:
        return
    types = (F64, F64, I64)
    for mode in ("primal", "forward", "value_and_grad", "reverse"):  # reads in scope
        verify(pipeline.derive(f, pipeline.Request(mode, (0, 1), types, single=False)))
    val, g = s2sad.value_and_grad(f, argnums=(0, 1), target="python")(x, y, n)
    assert val == pytest.approx(v, rel=1e-12, abs=1e-12), src
    for i in range(2):
        tan = [0.0, 0.0, 0]
        tan[i] = 1.0
        _, t = s2sad.jvp(f, (x, y, n), tan, target="python")
        assert g[i] == pytest.approx(t, rel=1e-9, abs=1e-9), src
        # away from kinks and branch boundaries; abs=1e-5 allows for O(h) difference errors
        # where a second derivative jumps (abs(x) * x at x = 0: the difference is 1.25 h)
        if smooth_at(f, x, y, n, i) and ad_continuous_at(f, x, y, n, i, g[i]):
            assert g[i] == pytest.approx(fd(f, x, y, n, i, 1e-6), rel=1e-5, abs=1e-5), src
