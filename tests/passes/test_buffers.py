"""Adjoint buffers allocated per loop iteration allocated once and cleared
(passes/buffers.py): the same gradient as with the allocation in the loop
(S2SAD_DISABLE=buffers) bit for bit, and finite differences; not hoisted where the shape
is computed in the loop."""

import numpy as np
import pytest

import s2sad
from benchmarks.heat_copy import heat_copy  # un = u.copy() per step
from s2sad.testing import central_difference

RNG = np.random.default_rng(13)


def inner_scratch(x, m):
    s = 0.0
    for k in range(m):
        for j in range(3):
            t = x.copy()
            t[j] = t[j] * (k + 1.0)
            s += np.sum(np.sin(t) * t)
    return s


def grid_steps(a, nt):
    u = a.copy()
    for _ in range(nt):
        un = u.copy()
        for i in range(1, u.shape[0] - 1):
            for j in range(u.shape[1]):
                u[i, j] = 0.5 * un[i, j] + 0.25 * (un[i - 1, j] * un[i + 1, j])
    return np.sum(u)


def sized_in_loop(x, n):
    s = 0.0
    for k in range(n):
        t = np.zeros(n - 2)
        for i in range(n - 2):
            t[i] = x[i] * (k + 1.0)
        s += np.sum(t * t)
    return s


def empty_steps(u0, r, nt):  # heat with np.empty_like and a slice copy per step
    u = u0.copy()
    n = len(u)
    for _ in range(nt):
        un = np.empty_like(u)
        un[:] = u
        for i in range(1, n - 1):
            u[i] = un[i] + r * (un[i - 1] - 2.0 * un[i] + un[i + 1])
    return np.sum(u * u)


CASES = [
    (heat_copy, (RNG.normal(size=12), 0.2, 7), "un_bar[:] = 0.0"),
    (inner_scratch, (RNG.normal(size=5), 3), "t_bar[:] = 0.0"),
    (grid_steps, (RNG.normal(size=(5, 4)), 4), "un_bar[:, :] = 0.0"),
]


def _grad(f, args, target, off=""):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("S2SAD_DISABLE", off)
        return s2sad.value_and_grad(f, target=target)(*args), \
            s2sad.derivative_source(f, "grad", 0, args=args)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, clear", CASES, ids=[c[0].__name__ for c in CASES])
def test_same_as_allocating_per_iteration(f, args, clear, target):
    (v, g), src = _grad(f, args, target)
    (v_off, g_off), src_off = _grad(f, args, target, "buffers")
    assert clear in src and clear not in src_off
    assert v == v_off and np.array_equal(g, g_off)  # bit for bit
    np.testing.assert_allclose(g, central_difference(f, args, 0), rtol=1e-6, atol=1e-8)


def test_the_buffer_is_allocated_before_the_loop():
    src = s2sad.derivative_source(inner_scratch, "grad", 0, args=CASES[1][1])
    alloc = src.index("t_bar = np.zeros(")
    assert src.count("t_bar = np.zeros(") == 1 and src.count("t_bar[:] = 0.0") == 1
    # out of both loops (cleared once per inner iteration, never twice)
    assert alloc < src.index("for k_1 in range(") < src.index("t_bar[:] = 0.0")


def test_a_buffer_the_iteration_clears_is_not_cleared_again():
    # the adjoint of un[:] = u leaves un_bar all zeros at the end of each step: the
    # hoisted allocation needs no clear of its own (one pass over the buffer, not two)
    args = (RNG.normal(size=12), 0.2, 7)
    (v, g), src = _grad(empty_steps, args, "python")
    (v_off, g_off), src_off = _grad(empty_steps, args, "python", "buffers")
    assert src.count("un_bar = np.zeros(") == 1 and src.count("un_bar[:] = 0.0") == 1
    assert src_off.count("un_bar = np.zeros(") == 1 and "for __1" in src_off
    assert src.index("un_bar = np.zeros(") < src.index("for __1")
    assert v == v_off and np.array_equal(g, g_off)
    np.testing.assert_allclose(g, central_difference(empty_steps, args, 0), rtol=1e-6,
                               atol=1e-8)


def test_a_shape_computed_in_the_loop_is_not_hoisted():
    args = (RNG.normal(size=6), 5)
    (v, g), src = _grad(sized_in_loop, args, "python")
    assert "[:] = 0.0" not in src
    np.testing.assert_allclose(g, central_difference(sized_in_loop, args, 0), rtol=1e-6)


# ---------------------------------------------------------------- on IR built by hand
def _loop(escape: str):
    """for k in range(n): buf = zeros(dim(a)); buf[0] = 1.0; ... with the buffer kept in
    the iteration, carried out of it, or carried out through a view."""
    from s2sad.ir.builder import Builder, const
    from s2sad.ir.nodes import Block, For, Function, Var
    from s2sad.ir.types import F64, I64, ArrayT

    vec = ArrayT(F64, 1)
    a, n = Var("a", vec), Var("n", I64)
    b = Builder()
    d = b.op("dim", a, axis=0)
    k, acc, keep = Var("k", I64), Var("acc", F64), Var("keep", vec)
    body = Builder(Block())
    buf = body.op("zeros", d, dtype="f64")
    buf.base, buf.suffix = a, "_bar"
    body.effect("setitem", buf, const(0), const(1.0))
    view = body.op("getslice", buf, spec=(("s", False, False, False),))
    s = body.op("sum", buf, axis=None)
    out = {"none": keep, "carried": buf, "view": view}[escape]
    body.block.yields = [body.op("add", acc, s), out]
    r_acc, r_keep = Var("acc_out", F64), Var("keep_out", vec)
    b.append(For(k, const(0), n, const(1), [acc, keep], [const(0.0), a], body.block,
                 [r_acc, r_keep]))
    b.block.yields = [r_acc, r_keep]
    return Function("f", [a, n], b.block)


@pytest.mark.parametrize("escape, hoisted", [("none", True), ("carried", False),
                                             ("view", False)])
def test_a_buffer_that_outlives_its_iteration_stays(escape, hoisted):
    from s2sad.ir.nodes import For
    from s2sad.ir.verify import verify
    from s2sad.passes.buffers import hoist_buffers

    fn = hoist_buffers(_loop(escape))
    verify(fn)
    top = [getattr(s, "prim", None) for s in fn.body.stmts]
    loop = next(s for s in fn.body.stmts if isinstance(s, For))
    inner = [s.prim for s in loop.body.stmts]
    assert ("zeros" in top) is hoisted and ("zeros" in inner) is not hoisted
    assert ("setslice" in inner) is hoisted
