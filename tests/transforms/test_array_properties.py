"""Property tests for array programs: generated functions mixing whole-array NumPy
expressions, element reads and writes, loops carrying arrays, arrays computed before a loop
and read inside it, and branches; reverse mode equals forward mode (dot-product test) and
central differences (where the program is smooth at the point)."""

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import s2sad
from s2sad.testing import central_difference
from tests.transforms.generated import load

N = 4  # length of the vector argument x

UNARY = ["np.sin({})", "np.cos({})", "np.tanh({})", "np.sqrt(1.0 + {0} * {0})", "-{}",
         "0.5 * {}"]
BINARY = ["({} + {})", "({} - {})", "({} * {})", "np.maximum({}, {})"]
REDUCE = ["np.sum({})", "np.mean({})", "np.dot({0}, {0})", "np.max({})", "{}[1]", "{}[-1]"]


def arrays(names):
    """A vector-valued expression over the vector names (and the scalar y)."""
    leaf = st.sampled_from(names + ["y * x", "x[::-1]"])
    return st.recursive(
        leaf,
        lambda sub: st.one_of(
            st.builds(lambda f, a: f.format(a), st.sampled_from(UNARY), sub),
            st.builds(lambda f, a, b: f.format(a, b), st.sampled_from(BINARY), sub, sub),
        ),
        max_leaves=4,
    )


def scalar(names):
    return st.builds(lambda f, a: f.format(a), st.sampled_from(REDUCE), arrays(names))


@st.composite
def loop_statement(draw):
    names = ["x", "c", "acc"]
    kind = draw(st.sampled_from(["carry", "reduce", "element", "store", "branch", "free",
                                 "stencil", "mask"]))
    if kind == "carry":  # an array carried from iteration to iteration
        return [f"acc = 0.5 * acc + 0.3 * {draw(arrays(names))}"]
    if kind == "reduce":
        return [f"s = s + {draw(scalar(names))}"]
    if kind == "element":  # element reads of a carried array and of a free one
        return [f"s = s + acc[k % {N}] * c[(k + 1) % {N}]"]
    if kind == "store":  # element writes into a buffer allocated before the loop
        return [f"buf[k % {N}] = buf[k % {N}] * 0.5 + {draw(scalar(names))}"]
    if kind == "branch":
        return [f"if {draw(scalar(names))} > {draw(st.sampled_from(['0.0', '0.5']))}:",
                f"    acc = acc * {draw(scalar(names))}",
                "else:",
                f"    s = s - {draw(scalar(names))}"]
    if kind == "stencil":  # swapped buffers, u made by a whole-array op the rule reads
        return ["un[0] = u[0]",
                f"for j in range(1, {N}):",
                f"    un[j] = u[j] * {draw(st.sampled_from(['0.5', 'u[j - 1]', 'c[j]']))} "
                "+ 0.3 * u[j - 1]",
                "u, un = un, u"]
    if kind == "mask":  # a boolean array made in the loop, for np.where
        return [f"acc = np.where({draw(arrays(names))} > 0.0, acc, 0.5 * {draw(arrays(names))})"]
    return [f"s = s + 0.2 * {draw(scalar(['x', 'c']))}"]  # arrays from before the loop


@st.composite
def programs(draw):
    body = ["def f(x, y, n):",
            f"    c = {draw(arrays(['x']))}",
            f"    acc = {draw(st.sampled_from(['np.zeros_like(x)', 'x.copy()', 'c * 1.0']))}",
            f"    buf = np.zeros({N})",
            f"    u = {draw(st.sampled_from(['np.sin(x) * 1.0', 'x * 1.0', 'c / (1.5 + x[1] ** 2)', 'np.cos(c) + 0.0']))}",
            f"    un = np.zeros({N})",
            "    s = 0.0",
            "    for k in range(n):"]
    for _ in range(draw(st.integers(1, 3))):
        body += ["        " + line for line in draw(loop_statement())]
    body.append(f"    return s + {draw(scalar(['x', 'c', 'acc', 'buf', 'u']))}")
    return "import numpy as np\n\n\n" + "\n".join(body) + "\n"


def smooth_at(f, args, i, u, h=1e-6) -> bool:
    """One-sided differences along u agree: no kink or branch boundary within h."""
    a, b = list(args), list(args)
    a[i] = args[i] + h * u
    b[i] = args[i] - h * u
    f0 = f(*args)
    right, left = (f(*a) - f0) / h, (f0 - f(*b)) / h
    return abs(right - left) <= 1e-4 * (abs(right) + abs(left)) + 1e-9


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(src=programs(), seed=st.integers(0, 2**16), y=st.floats(-1.2, 1.2),
       n=st.integers(0, 5))
def test_array_programs_forward_reverse_fd_agree(src, seed, y, n, tmp_path):
    f = load(src, tmp_path)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=N)
    args = (x, y, n)
    v = f(*args)
    if not math.isfinite(v) or abs(v) > 1e6:
        return
    val, (gx, gy) = s2sad.value_and_grad(f, argnums=(0, 1), target="python")(*args)
    assert abs(val - v) <= 1e-12 * (1 + abs(v)), src
    u = rng.normal(size=N)
    _, t = s2sad.jvp(f, args, (u, 0.0, 0), target="python")
    assert abs(float(np.dot(gx, u)) - t) <= 1e-9 * (1 + abs(t)), src
    _, ty = s2sad.jvp(f, args, (np.zeros(N), 1.0, 0), target="python")
    assert abs(gy - ty) <= 1e-9 * (1 + abs(ty)), src
    if all(smooth_at(f, args, 0, e) for e in np.eye(N)):
        want = central_difference(f, args, 0)
        np.testing.assert_allclose(gx, want, rtol=1e-5, atol=1e-6, err_msg=src)


# ---------------------------------------------------------------- new axes, both orders
# a (3,), b (4,), C (3, 4), d (2,): expressions that broadcast through new axes
# (a[:, None], a.reshape(3, 1), b[None, :], a[:, None, None]) with the new axis on either
# side of the operator, then reductions. Reverse mode must sum each operand's cotangent
# back over the axes it was broadcast along (a[:, None] * b gave "cannot reshape array of
# size 12 into shape (3,)"), and forward mode must give the tangent the result's shape
# when one operand is not varied (the module-level arrays in g).
COL = ["a[:, None]", "a.reshape(3, 1)", "np.sin(a)[:, None]", "(a * a)[:, None]"]
ROW = ["b", "b[None, :]", "np.cos(b)", "b.reshape(1, 4)"]
MAT = ["C", "np.tanh(C)"]
OPS = ["+", "-", "*"]


@st.composite
def newaxis_2d(draw):
    """A (3, 4) expression."""
    col, row, mat = (draw(st.sampled_from(x)) for x in (COL, ROW, MAT))
    op = draw(st.sampled_from(OPS))
    kind = draw(st.sampled_from(["col-row", "row-col", "mat-col", "col-mat", "row-mat",
                                 "max", "where"]))
    return {"col-row": f"({col} {op} {row})", "row-col": f"({row} {op} {col})",
            "mat-col": f"({mat} {op} {col})", "col-mat": f"({col} {op} {mat})",
            "row-mat": f"({row} {op} {mat})", "max": f"np.maximum({col}, {row})",
            "where": f"np.where({mat} > 0.0, {col}, {row})"}[kind]


@st.composite
def newaxis_expr(draw):
    e = draw(newaxis_2d())
    if draw(st.booleans()):
        e = f"({e} {draw(st.sampled_from(OPS))} {draw(newaxis_2d())})"
    if draw(st.booleans()):
        e = f"{draw(st.sampled_from(['np.sin', 'np.tanh', 'np.exp']))}(0.5 * {e})"
    if draw(st.booleans()):  # a third axis, on either side
        e = draw(st.sampled_from([f"({e}[:, :, None] * d)", f"(d * {e}[:, :, None])",
                                  f"(a[:, None, None] - {e}[None, :, :])"]))
    return e


REDUCE_NEW = ["np.sum({})", "np.sum(np.sum({}, axis=0) ** 2)", "np.sum(np.max({}, axis=1))",
              "np.sum({0} / (1.0 + np.sum({0} * {0}, axis=-1, keepdims=True)))",
              "np.mean({})", "np.sum(np.sum({}, axis=1) * np.arange(1.0, 4.0)[:, None])"]


@st.composite
def newaxis_programs(draw):
    e = draw(newaxis_expr())
    r = draw(st.sampled_from(REDUCE_NEW))
    if "[:, None]" in r and "[:, :, None]" in e:  # a (3, 4) weight cannot meet (3, 4, 2)
        r = "np.sum({})"
    body = r.format(e)
    return ("import numpy as np\n\n"
            "B0 = np.array([0.3, -0.7, 1.1, 0.4])\n"
            "C0 = np.array([[0.5, -0.2, 0.9, 1.3], [-1.1, 0.6, 0.1, -0.4], "
            "[0.8, 0.2, -0.6, 0.7]])\n"
            "D0 = np.array([0.9, -0.5])\n\n\n"
            f"def f(a, b, C, d):\n    return {body}\n\n\n"
            "def g(a):\n    return f(a, B0, C0, D0)\n")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(src=newaxis_programs(), seed=st.integers(0, 2**16))
def test_newaxis_broadcasting_forward_reverse_fd_agree(src, seed, tmp_path):
    f = load(src, tmp_path)
    g = load(src, tmp_path, "g")
    rng = np.random.default_rng(seed)
    args = (rng.normal(size=3), rng.normal(size=4), rng.normal(size=(3, 4)), rng.normal(size=2))
    grads = s2sad.grad(f, argnums=(0, 1, 2, 3), target="python")(*args)
    for gi, a in zip(grads, args):
        assert gi.shape == a.shape, src
    us = tuple(rng.normal(size=a.shape) for a in args)
    _, t = s2sad.jvp(f, args, us, target="python")
    dot = sum(float(np.sum(gi * u)) for gi, u in zip(grads, us))
    assert abs(dot - t) <= 1e-9 * (1 + abs(t)), src
    # a alone varied: b, C, d are module-level arrays (not differentiated)
    a0 = args[0]
    _, ta = s2sad.jvp(g, (a0,), (us[0],), target="python")
    ga = s2sad.grad(g, target="python")(a0)
    assert abs(float(np.dot(ga, us[0])) - ta) <= 1e-9 * (1 + abs(ta)), src
    for i, a in enumerate(args):
        if all(smooth_at(f, args, i, e.reshape(a.shape)) for e in np.eye(a.size)):
            np.testing.assert_allclose(grads[i], central_difference(f, args, i), rtol=1e-5,
                                       atol=1e-6, err_msg=src)
