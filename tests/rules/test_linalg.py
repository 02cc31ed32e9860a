"""The linear-algebra rule table (s2sad/rules/linalg.py), tested as a table.

Same machinery as tests/rules/test_arrays.py: every primitive registered in rules/linalg.py
is named by a case (a new rule without a case fails), each case is checked in reverse
mode against elementwise central differences, in forward mode against a directional
difference, forward against reverse by the dot-product test (1e-10), and a second time
differentiated (forward over reverse) against differences of the gradient. A subset runs
compiled by Numba (nopython). Symmetric-matrix functions symmetrize inside, so
differences over every entry agree with the gradient; eigen-derivatives assume distinct
eigenvalues (the documented limitation; checked below).
"""

from __future__ import annotations

import numpy as np
import pytest

import s2sad
import s2sad.rules.linalg
from s2sad.ir.types import typeof
from tests.programs import array_ops as P
from tests.rules.test_arrays import (
    SPD,
    V3,
    Case,
    Distinct,
    WellCond,
    check_dot,
    check_forward,
    check_reverse,
    float_argnums,
    grad_of,
    hvp_check,
    make_args,
    prims_in,
    registered_in,
)

CASES = [
    Case(P.la_solve_vec, (WellCond(3), V3), ("solve",)),
    Case(P.la_solve_mat, (WellCond(3), (3, 2)), ("solve",)),
    Case(P.la_inv, (WellCond(3),), ("inv",)),
    Case(P.la_det, (WellCond(3),), ("det",)),
    Case(P.la_det_sin, (WellCond(3),), ("det", "transpose")),
    Case(P.la_slogdet, (WellCond(3),), ("logabsdet", "sign_det")),
    Case(P.la_cholesky, (SPD(3),), ("cholesky", "phi")),
    Case(P.la_eigvalsh, (Distinct(3),), ("eigvalsh",)),
    Case(P.la_eigh_w, (Distinct(4),), ("eigvalsh",)),
    Case(P.la_eig_symmetric, (Distinct(3),), ("eigvalsh",)),
    Case(P.la_eigh_V, (Distinct(3),), ("eigh_vecs", "eig_gaps")),
    Case(P.la_trace_inv, (WellCond(3),), ("inv", "trace")),
]

CPU_SUBSET = [P.la_solve_vec, P.la_slogdet, P.la_cholesky, P.la_eigh_V]

def _params(check, cases=CASES):
    return [pytest.param(c, id=c.id) for c in cases]


LINALG_RULES = registered_in(s2sad.rules.linalg)
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_every_linalg_rule_has_a_case():
    assert {"solve", "inv", "det", "cholesky", "eigvalsh"} <= set(LINALG_RULES)
    assert set(LINALG_RULES) <= s2sad.rules.RULES.names()
    covered = {p for c in CASES for p in c.prims}
    missing = sorted(set(LINALG_RULES) - covered)
    assert not missing, f"linalg rules with no test case in CASES: {missing}"


@pytest.mark.parametrize("case", _params("reach"))
def test_case_reaches_its_primitives(case):
    args = make_args(case.spec)
    found = prims_in(case.fn, tuple(typeof(a) for a in args))
    assert not set(case.prims) - found, sorted(found)


@pytest.mark.parametrize("case", _params("rev"))
def test_reverse(case):
    check_reverse(case)


@pytest.mark.parametrize("case", _params("fwd"))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", _params("dot"))
def test_forward_vs_reverse(case):
    check_dot(case)


@pytest.mark.parametrize("case", _params("hvp"))
def test_second_order(case):
    hvp_check(case)


_BY_FN = {c.fn: c for c in CASES}


@pytest.mark.parametrize("case", _params("numba", [_BY_FN[f] for f in CPU_SUBSET]))
def test_numba(case):
    g = check_reverse(case, target="numba")
    check_dot(case, target="numba")
    args = make_args(case.spec)
    for a, b in zip(g, grad_of(case.fn, float_argnums(args))(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- closed forms
def test_closed_forms():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(4, 4)) + 4.0 * np.eye(4)
    Ainv = np.linalg.inv(A)
    # d det(A) / dA = det(A) A^-T;  d log|det A| / dA = A^-T
    np.testing.assert_allclose(s2sad.grad(P.la_det, target="python")(A),
                               np.linalg.det(A) * Ainv.T, rtol=1e-12)
    # slogdet: sign * logabsdet + sin(logabsdet); here det > 0
    s, ld = np.linalg.slogdet(A)
    assert s > 0
    np.testing.assert_allclose(s2sad.grad(P.la_slogdet, target="python")(A),
                               (1.0 + np.cos(ld)) * Ainv.T, rtol=1e-12)


def test_eigenvalue_gradient_is_the_outer_product_of_eigenvectors():
    A = make_args((Distinct(4),))[0]
    S = 0.5 * (A + A.T)
    w, V = np.linalg.eigh(S)
    g = s2sad.grad(P.la_eigh_w, target="python")(A)
    # f = w0 w3 + sum w^2: df/dS = sum_k (df/dw_k) v_k v_k^T, symmetric
    dw = 2.0 * w
    dw[0] += w[-1]
    dw[-1] += w[0]
    np.testing.assert_allclose(g, (V * dw) @ V.T, rtol=1e-10, atol=1e-12)


def test_degenerate_eigenvalues():
    # A symmetric function of the eigenvalues stays differentiable where they repeat:
    # d/dA sum(w^2 + exp(w)) = 2 S + expm(S), which is (2 + e) I at A = I.
    I3 = np.eye(3)
    g = s2sad.grad(P.la_eig_symmetric, target="python")(I3)
    np.testing.assert_allclose(g, (2.0 + np.e) * I3, rtol=1e-12, atol=1e-12)
    # Eigenvector derivatives need distinct eigenvalues (the documented limitation): at a
    # repeated eigenvalue the gradient must not come out finite (and wrong).
    g = s2sad.grad(P.la_eigh_V, target="python")(I3)
    assert not np.all(np.isfinite(g))
