"""Derivatives of dense linear algebra (symmetric eigenproblems: distinct eigenvalues).

References: Giles, "An extended collection of matrix derivative results for forward and
reverse mode AD" (2008); Murray, "Differentiation of the Cholesky decomposition" (2016).
"""

from __future__ import annotations

from .arrays import T, mm
from .dsl import emit
from .registry import PIECEWISE, linear, nondiff, rule


def _solve_tangent(args, ans, dots, at):
    (a, _), (ad, bd) = args, dots
    rhs = bd
    if ad is not None:
        t = mm(ad, ans)
        rhs = -t if rhs is None else rhs - t
    return emit("solve", a, rhs)


def _solve_adjoint(args, ans, g, at):
    a, b = args
    b_bar = emit("solve", T(a), g)
    a_bar = -emit("outer", b_bar, ans) if getattr(ans.value.type, "ndim", 0) == 1 \
        else -mm(b_bar, T(ans))
    return a_bar, b_bar


def _inv_adjoint(args, ans, g, at):
    return (-mm(T(ans), mm(g, T(ans))),)


def _logdet_tangent(args, ans, dots, at):
    return emit("trace", emit("solve", args[0], dots[0]))


def _cholesky_tangent(args, ans, dots, at):
    # dL = L Phi(L^-1 dA L^-T), Phi: lower triangle with half the diagonal
    linv = emit("inv", ans)
    return mm(ans, emit("phi", mm(linv, mm(dots[0], T(linv)))))


def _cholesky_adjoint(args, ans, g, at):
    linv = emit("inv", ans)
    s = emit("phi", mm(T(ans), g))
    a_bar = mm(T(linv), mm(s, linv))
    return (0.5 * (a_bar + T(a_bar)),)


def _eigvals_tangent(args, ans, dots, at):
    v = emit("eigh_vecs", args[0])
    return emit("diag", mm(T(v), mm(dots[0], v)))


def _eigvals_adjoint(args, ans, g, at):
    v = emit("eigh_vecs", args[0])
    return (mm(v * g, T(v)),)


def _eigvecs_tangent(args, ans, dots, at):
    w = emit("eigvalsh", args[0])
    f = emit("eig_gaps", w)
    return mm(ans, f * mm(T(ans), mm(dots[0], ans)))


def _eigvecs_adjoint(args, ans, g, at):
    w = emit("eigvalsh", args[0])
    f = emit("eig_gaps", w)
    a_bar = mm(ans, mm(f * mm(T(ans), g), T(ans)))
    return (0.5 * (a_bar + T(a_bar)),)


# fmt: off
rule("solve",     tangent=_solve_tangent, adjoint=_solve_adjoint)
rule("inv",       tangent=lambda args, ans, dots, at: -mm(ans, mm(dots[0], ans)),
                  adjoint=_inv_adjoint)
rule("det",       tangent=lambda args, ans, dots, at: ans * _logdet_tangent(args, ans, dots, at),
                  adjoint=lambda args, ans, g, at: (g * ans * T(emit("inv", args[0])),))
rule("logabsdet", tangent=_logdet_tangent,
                  adjoint=lambda args, ans, g, at: (g * T(emit("inv", args[0])),))
rule("cholesky",  tangent=_cholesky_tangent, adjoint=_cholesky_adjoint)
rule("eigvalsh",  tangent=_eigvals_tangent, adjoint=_eigvals_adjoint)
rule("eigh_vecs", tangent=_eigvecs_tangent, adjoint=_eigvecs_adjoint)
nondiff("sign_det", why=PIECEWISE)
# F_ij = 1/(w_j - w_i): dF_ij = -F_ij^2 (dw_j - dw_i)
rule("eig_gaps",  tangent=lambda args, ans, dots, at: -(ans * ans) * (
                      emit("expand_to", dots[0], ans, axis=0) - emit("expand_to", dots[0], ans, axis=1)),
                  adjoint=lambda args, ans, g, at: (emit("sum", ans * ans * g, axis=1)
                                                    - emit("sum", ans * ans * g, axis=0),))
linear("phi",     adjoint=lambda args, ans, g, at: (emit("phi", g),))
# fmt: on
