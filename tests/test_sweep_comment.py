"""The generated adjoint's "# reverse sweep" comment sits where the reverse sweep starts:
after every forward loop (one that records or writes a primal array in place), before the
first statement that serves the reverse sweep alone (codegen/python.py `_reverse_sweep`)."""

import numpy as np

import s2sad
from benchmarks.kmeans import kmeans
from benchmarks.lse import lse
from tests.passes.test_buffers import grid_steps

MARK = "    # reverse sweep: the adjoints, last statement first"


def _sweeps(f, args):
    src = s2sad.derivative_source(f, "grad", 0, args=args)
    lines = src.splitlines()
    k = lines.index(MARK)
    return lines[:k], lines[k + 1:]


def test_after_a_forward_loop_that_records_and_writes_in_place():
    fwd, rev = _sweeps(grid_steps, (np.ones((4, 5)), 3))
    assert any("u[i, j] = " in line for line in fwd)
    assert any("_rt.push(" in line for line in fwd) and not any("_rt.push(" in line
                                                                  for line in rev)
    assert rev[0].strip().startswith("u_bar += 1.0")


def test_after_a_forward_loop_that_only_records():
    fwd, rev = _sweeps(lse, (np.ones(6),))
    assert any("tape_f[sp_f] = " in line for line in fwd)
    assert not any("tape_f[sp_f] = " in line for line in rev)
    assert rev[0].strip().startswith("s_1_bar = ")  # a reciprocal only the reverse reads


def test_after_the_forward_loop_of_a_selection():
    fwd, rev = _sweeps(kmeans, (np.ones((3, 2)), np.ones((6, 2))))
    assert any("tape_i[sp_i] = " in line for line in fwd)
    assert rev[0].strip().startswith("for i_1 in range(")
