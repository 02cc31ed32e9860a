"""Loops and branches in both modes: reverse vs forward vs central differences."""

import math

import numpy as np
import pytest

import s2sad
from tests.programs import loops

CASES = [
    (loops.first_crossing, (0.8, 20)),  # for + break
    (loops.skip_odd, (0.7, 9)),  # for + continue
    (loops.newton_break, (3.0,)),  # while True + break
    (loops.countdown, (0.4, 7)),  # reversed(range), negative step
    (loops.loop_branch, (0.7, 10)),  # if inside a loop
    (loops.newton_sqrt, (2.0,)),  # data-dependent while
    (loops.first_root, (0.8, 20)),  # return inside a for loop (taken)
    (loops.first_root, (0.1, 5)),  # ... and not taken
    (loops.bisect_like, (3.0, 1.0)),  # return inside a while loop
    (loops.rotate, (1.1, 2.0, 0.7, 4)),  # x, y, z = y, z * x, x
    (loops.fibonacci_like, (0.5, 6)),  # a, b = b, a + b * x
    (loops.restarted_inner, (1.3, 3)),  # v = y; inner loop on v; every outer iteration
    (loops.shift_register, (0.7, 1.1, 4)),  # a, b = b, ...: b dead at the end, not before
    (loops.return_first, (0.7, 1.1)),  # returns in the first iteration
    (loops.nested_breaks, (0.3, 5)),  # break in an inner and in the outer loop
    (loops.nested_breaks, (0.95, 5)),
    (loops.while_after_break, (0.3, 5)),  # while loop after a break in a for loop
    (loops.loop_returns_after_inner_loop, (0.7, 5)),  # return after an inner loop (taken)
    (loops.loop_returns_after_inner_loop, (0.1, 3)),  # ... and not taken
    (loops.returning_loop_in_branch, (0.9, 5)),  # a returning loop in an `if` (returns)
    (loops.returning_loop_in_branch, (0.2, 2)),  # ... falls through
    (loops.returning_loop_in_branch, (-0.5, 3)),  # ... the `if` not taken
    (loops.return_in_dead_branch, (0.4, 4)),  # a return never taken
    (loops.neg_neg_inner, (0.7, 3)),  # -(-b) recomputed in a nested reverse loop
    (loops.reversed_break, (0.3, 8)),  # break in reversed(range(1, n, 2)) (taken)
    (loops.reversed_break, (-0.4, 6)),  # ... and not taken
]


def fd(f, args, i, h=1e-6):
    a, b = list(args), list(args)
    a[i] += h
    b[i] -= h
    return (f(*a) - f(*b)) / (2 * h)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("fn,args", CASES, ids=[f"{c[0].__name__}{c[1]}" for c in CASES])
def test_reverse_forward_fd_agree(fn, args, target):
    v, g = s2sad.value_and_grad(fn, target=target)(*args)
    assert v == pytest.approx(fn(*args), rel=1e-15)
    tangents = (1.0,) + (0,) * (len(args) - 1)
    _, t = s2sad.jvp(fn, args, tangents, target=target)
    assert g == pytest.approx(t, rel=1e-12)
    assert g == pytest.approx(fd(fn, args, 0), rel=1e-7)


@pytest.mark.parametrize("fn,args", CASES, ids=[f"{c[0].__name__}{c[1]}" for c in CASES])
def test_every_read_in_scope(fn, args):
    """The IR of every stage reads each value only where its definition is in scope (a
    forward loop's value read in the reverse sweep would read a stale or undefined name)."""
    from s2sad import pipeline
    from s2sad.ir.types import typeof
    from s2sad.ir.verify import verify

    types = tuple(typeof(a) for a in args)
    for mode in ("primal", "forward", "value_and_grad", "reverse"):
        verify(pipeline.derive(fn, pipeline.Request(mode, (0,), types)))


def test_reverse_loop_reads_like_the_forward_loop():
    src = s2sad.derivative_source(loops.final_energy, "grad", (3, 2, 1),
                                  args=(loops.t * 0, 1.0, 1.0, 0.05))
    assert "for i in range(999):" in src
    assert "for i_1 in range(998, -1, -1):" in src
    # room for the whole record reserved once, then plain stores
    assert src.count("_rt.reserve(") == 1
    assert "tape_f[sp_f] = x0" in src and "sp_f -= 1" in src
    # only the two carried values are recorded per iteration
    assert src.count("tape_f[sp_f] = ") == 2 and "_rt.push(" not in src


def test_newton_while_matches_analytic():
    g = s2sad.grad(loops.newton_sqrt, target="python")
    for a in (0.25, 4.0, 10.0):
        assert g(a) == pytest.approx(0.5 / math.sqrt(a), rel=1e-12)


def test_np_full_passes_the_fill_derivative():
    from tests.programs import arrays

    x = np.arange(3.0)
    for target in ("python", "cpu"):
        g = s2sad.grad(arrays.filled, argnums=(0, 1), target=target)(x, 2.0)
        np.testing.assert_allclose(g[0], [2.0, 2.0, 2.0])
        assert g[1] == pytest.approx(np.sum(x) + 6.0)
        _, t = s2sad.jvp(arrays.filled, (x, 2.0), (np.zeros(3), 1.0), target=target)
        assert t == pytest.approx(np.sum(x) + 6.0)


@pytest.mark.parametrize("target", ["python", "numba"])
def test_arrays_recorded_per_iteration_and_across_branches(target):
    from s2sad.testing import check_grads
    from tests.programs import arrays

    x = np.array([0.3, -1.2, 0.8, 0.1, -0.4])
    check_grads(arrays.slices_in_loop, (x, 4), target=target)
    check_grads(arrays.branch_arrays, (x,), target=target)
    check_grads(arrays.branch_arrays, (-np.abs(x),), target=target)


@pytest.mark.parametrize("target", ["python", "numba", "cpu"])
def test_whole_array_reads_of_arrays_written_in_a_loop(target):
    """Regression: np.sum(t * t) after t[k] = ... in the same iteration used t's final
    value in the reverse sweep (a silent wrong gradient); and an axis-sum's broadcast
    cotangent was updated in place (read-only view)."""
    from s2sad.testing import check_grads
    from tests.programs import arrays

    a, x = np.array([0.3, -0.2, 0.5]), np.array([1.0, 2.0, -1.0, 0.5])
    g = s2sad.grad(arrays.scratch_per_iteration, target=target)(a, x)
    np.testing.assert_allclose(g, 2 * a * np.sum(x * x), rtol=1e-14)
    check_grads(arrays.scratch_per_iteration, (a, x), target=target)
    check_grads(arrays.axis_sum_of_slice, (np.full((2, 3), 0.3),), target=target)
