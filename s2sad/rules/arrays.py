"""Derivatives of NumPy array operations: reductions, products, shape and slicing.

`linear` ops give only their adjoint (the tangent is the op applied to the tangents);
`rule` gives both directions side by side. Adjoints receive (args, ans, g, attrs) and
return one cotangent per argument (None for integer/index arguments).
Elementwise ufuncs on arrays use the scalar table (rules/scalar.py) with broadcasting.
"""

from __future__ import annotations

from .dsl import emit, where
from .registry import (
    DISCRETE,
    SHAPE_ONLY,
    SIZES,
    STRUCTURAL,
    linear,
    no_rule,
    nondiff,
    partials,
    rule,
)
from .scalar import _choice_adjoint, _choice_tangent


def ndim(x) -> int:
    return getattr(x.value.type, "ndim", 0)


def dims(x) -> list:
    return [emit("dim", x, axis=k) for k in range(ndim(x))]


def T(x):
    return emit("transpose", x) if ndim(x) == 2 else x


def mm(a, b):
    return emit("matmul", a, b)


def _mean_adjoint(args, ans, g, at):
    (x,) = args
    ax = at.get("axis")
    count = emit("size", x) if ax is None else emit("dim", x, axis=ax)
    share = g / emit("float", count)
    return (share if ax is None else emit("expand_to", share, x, axis=ax),)


def _along(v, x, ax):
    """v (x reduced over axis ax, or a full reduction) broadcast back over x."""
    return v if ax is None else emit("expand_to", v, x, axis=ax)


def _ties(x, ans, ax):
    """1.0 where x attains its max/min (along ax), else 0.0."""
    return where(x == _along(ans, x, ax), 1.0, 0.0)


def _extreme(args, ans, g, at):
    """max/min: the cotangent is shared equally by the elements that attain it (JAX)."""
    (x,), ax = args, at.get("axis")
    mask = _ties(x, ans, ax)
    return (mask * _along(g / emit("sum", mask, axis=ax), x, ax),)


def _extreme_tangent(args, ans, dots, at):
    (x,), (xd,), ax = args, dots, at.get("axis")
    mask = _ties(x, ans, ax)
    return emit("sum", mask * xd, axis=ax) / emit("sum", mask, axis=ax)


def _matmul_adjoint(args, ans, g, at):
    a, b = args
    shape = (ndim(a), ndim(b))
    if shape == (2, 2):
        return mm(g, T(b)), mm(T(a), g)
    if shape == (2, 1):
        return emit("outer", g, b), mm(T(a), g)
    if shape == (1, 2):
        return mm(b, g), emit("outer", a, g)
    return g * b, g * a


def _bilinear_tangent(prim):
    def tangent(args, ans, dots, at):
        (a, b), (ad, bd) = args, dots
        out = None
        if ad is not None:
            out = emit(prim, ad, b)
        if bd is not None:
            t = emit(prim, a, bd)
            out = t if out is None else out + t
        return out

    return tangent


def _concat_adjoint(args, ans, g, at):
    ax = at.get("axis", 0)
    nd = ndim(g)
    out, lo = [], None
    for x in args:
        n = emit("dim", x, axis=ax)
        hi = n if lo is None else lo + n
        spec, vals = [], []
        for k in range(nd):
            if k == ax:
                spec.append(("s", lo is not None, True, False))
                vals += ([lo] if lo is not None else []) + [hi]
            else:
                spec.append(("s", False, False, False))
        out.append(emit("getslice", g, *vals, spec=tuple(spec)))
        lo = hi
    return tuple(out)


def _stack_adjoint(args, ans, g, at):
    ax = at.get("axis", 0)
    out = []
    for k in range(len(args)):
        spec = [("s", False, False, False)] * ndim(g)
        spec[ax] = ("i",)
        out.append(emit("getslice", g, k, spec=tuple(spec)))
    return tuple(out)


# prod: d prod / d x_i is the product of the other elements, computed without dividing by
# x_i (exact where x has zeros: JAX and PyTorch agree; ans / x would be 0/0 there)
def _others(x, ax):
    return emit("prod_others", x, **({} if ax is None else {"axis": ax}))


def _prod_tangent(args, ans, dots, at):
    (x,), (xd,), ax = args, dots, at.get("axis")
    return emit("sum", _others(x, ax) * xd, axis=ax)


def _prod_adjoint(args, ans, g, at):
    (x,), ax = args, at.get("axis")
    return (_along(g, x, ax) * _others(x, ax),)


# prod_others is only differentiated again (second derivatives of prod), with the
# quotient form: d P_i = P_i * (sum_j dx_j / x_j - dx_i / x_i); not finite at zeros.
def _others_tangent(args, ans, dots, at):
    (x,), (xd,), ax = args, dots, at.get("axis")
    q = xd / x
    return ans * (_along(emit("sum", q, axis=ax), x, ax) - q)


def _others_adjoint(args, ans, g, at):
    (x,), ax = args, at.get("axis")
    gp = g * ans
    return ((_along(emit("sum", gp, axis=ax), x, ax) - gp) / x,)


def _reversed(x, ax=None):
    """x reversed along axis ax (the only axis of a vector by default)."""
    spec = [("s", False, False, False)] * ndim(x)
    spec[ax or 0] = ("s", False, False, True)
    return emit("getslice", x, -1, spec=tuple(spec))


def _cumsum_adjoint(args, ans, g, at):
    ax = at.get("axis")
    attrs = {} if ax is None else {"axis": ax}
    return (_reversed(emit("cumsum", _reversed(g, ax), **attrs), ax),)


def _cumsum(x, ax, reverse=False):
    attrs = {} if ax is None else {"axis": ax}
    if reverse:
        return _reversed(emit("cumsum", _reversed(x, ax), **attrs), ax)
    return emit("cumsum", x, **attrs)


def _axis(at):
    ax = at.get("axis")
    return {} if ax is None else {"axis": ax}


# cumprod: the first derivatives are kernels exact at zeros (runtime.cumprod_jvp/vjp, no
# division); their own derivatives (second order) use the quotient forms
#   J(x, t) = P * cumsum(t / x),  V(x, g) = rcumsum(g * P) / x   (P = cumprod(x)),
# finite where x has no zeros. V(x, .) is the transpose of J(x, .).
def _jvp_tangent(args, ans, dots, at):
    (x, t), (xd, td), ax = args, dots, at.get("axis")
    out = None if td is None else emit("cumprod_jvp", x, td, **_axis(at))
    if xd is not None:
        p = emit("cumprod", x, **_axis(at))
        dx = emit("cumprod_jvp", x, xd, **_axis(at)) * _cumsum(t / x, ax) \
            - p * _cumsum(t * xd / (x * x), ax)
        out = dx if out is None else out + dx
    return out


def _jvp_adjoint(args, ans, g, at):
    (x, t), ax = args, at.get("axis")
    p = emit("cumprod", x, **_axis(at))
    x_bar = emit("cumprod_vjp", x, g * _cumsum(t / x, ax), **_axis(at)) \
        - t / (x * x) * _cumsum(p * g, ax, reverse=True)
    return x_bar, emit("cumprod_vjp", x, g, **_axis(at))


def _vjp_tangent(args, ans, dots, at):
    (x, g), (xd, gd), ax = args, dots, at.get("axis")
    out = None if gd is None else emit("cumprod_vjp", x, gd, **_axis(at))
    if xd is not None:
        dx = _cumsum(g * emit("cumprod_jvp", x, xd, **_axis(at)), ax, reverse=True) / x \
            - ans * xd / x
        out = dx if out is None else out + dx
    return out


def _vjp_adjoint(args, ans, h, at):
    (x, g), ax = args, at.get("axis")
    x_bar = emit("cumprod_vjp", x, g * _cumsum(h / x, ax), **_axis(at)) - ans * h / x
    return x_bar, emit("cumprod_jvp", x, h, **_axis(at))


# linspace(start, stop, n) = start + (stop - start) w, w = linspace(0, 1, n): linear in the
# ends; n (an int) is not differentiated
def _ramp(args):
    return emit("linspace", 0.0, 1.0, args[2])


def _linspace_tangent(args, ans, dots, at):
    w, (sd, ed) = _ramp(args), dots[:2]
    out = None if sd is None else sd * (1.0 - w)
    if ed is not None:
        out = ed * w if out is None else out + ed * w
    return out


def _linspace_adjoint(args, ans, g, at):
    w = _ramp(args)
    return emit("sum", g * (1.0 - w), axis=None), emit("sum", g * w, axis=None), None


# arange(start, stop, step) = start + k step, k = 0, 1, ..., n - 1: linear in start and
# step at a fixed length n; n (from start, stop, step) is piecewise constant, and so is
# arange(stop) (the values 0, 1, ... do not move)
def _steps(ans):
    return emit("arange", emit("dim", ans, axis=0))


def _arange_tangent(args, ans, dots, at):
    if len(args) == 1:
        return None
    out = None if dots[0] is None else emit("expand_to", dots[0], ans, axis=None)
    if len(args) == 3 and dots[2] is not None:
        t = dots[2] * _steps(ans)
        out = t if out is None else out + t
    return out


def _arange_adjoint(args, ans, g, at):
    if len(args) == 1:
        return (None,)
    start_bar = emit("sum", g, axis=None)
    if len(args) == 2:
        return start_bar, None
    return start_bar, None, emit("sum", g * _steps(ans), axis=None)


# fmt: off
def _sum_adjoint(args, ans, g, at):
    ax = at.get("axis")
    # a full sum's cotangent is the same for every element: leave it scalar (broadcasts)
    return (g if ax is None else emit("expand_to", g, args[0], axis=ax),)


linear("sum",       adjoint=_sum_adjoint)
linear("mean",      adjoint=_mean_adjoint)
linear("expand_to", adjoint=lambda args, ans, g, at: (emit("sum", g, axis=at.get("axis")), None))
linear("sum_to",    adjoint=lambda args, ans, g, at: (emit("broadcast_to", g, args[0]), None))
linear("broadcast_to", adjoint=lambda args, ans, g, at: (emit("sum_to", g, args[0]), None))
linear("transpose", adjoint=lambda args, ans, g, at: (T(g),))
linear("reshape",   adjoint=lambda args, ans, g, at: (emit("reshape", g, *dims(args[0]), ndim=ndim(args[0])),)
                                                     + (None,) * (len(args) - 1))
linear("cumsum",    adjoint=_cumsum_adjoint)
rule("cumprod",     tangent=lambda args, ans, dots, at: emit("cumprod_jvp", args[0], dots[0],
                                                         **_axis(at)),
                    adjoint=lambda args, ans, g, at: (emit("cumprod_vjp", args[0], g, **_axis(at)),))
rule("cumprod_jvp", tangent=_jvp_tangent, adjoint=_jvp_adjoint)
rule("cumprod_vjp", tangent=_vjp_tangent, adjoint=_vjp_adjoint)
# np.sort(x) lowers to take(x, argsort(x)) (or take_along with an axis): the reverse sweep
# scatters through the permutation the forward sweep computed
linear("take_along", adjoint=lambda args, ans, g, at: (emit("put_along", args[0], args[1], g,
                                                            **_axis(at)), None))
linear("put_along", adjoint=lambda args, ans, g, at: (None, None, emit("take_along", g, args[1],
                                                                      **_axis(at))))
linear("diag",      adjoint=lambda args, ans, g, at: (emit("diag", g),))
linear("trace",     adjoint=lambda args, ans, g, at: (emit("eye_like", args[0]) * g,))
linear("concatenate", adjoint=_concat_adjoint)
linear("stack",     adjoint=_stack_adjoint)
linear("getslice",  adjoint=lambda args, ans, g, at: None)  # reversed by the transform
rule("matmul",      tangent=_bilinear_tangent("matmul"), adjoint=_matmul_adjoint)
rule("outer",       tangent=_bilinear_tangent("outer"),
                    adjoint=lambda args, ans, g, at: (mm(g, args[1]), mm(T(g), args[0])))
rule("amax",        tangent=_extreme_tangent, adjoint=_extreme)
rule("amin",        tangent=_extreme_tangent, adjoint=_extreme)
rule("prod",        tangent=_prod_tangent, adjoint=_prod_adjoint)
rule("prod_others", tangent=_others_tangent, adjoint=_others_adjoint)
linear("take",      adjoint=lambda args, ans, g, at: (emit("scatter_add", args[0], args[1], g),
                                                      None))
linear("scatter_add", adjoint=lambda args, ans, g, at: (None, None, emit("take", g, args[1])))
rule("where",       tangent=_choice_tangent("where"), adjoint=_choice_adjoint("where"),
                    broadcasts=True)
# norm at 0 (not differentiable): the zero subgradient, as PyTorch (JAX gives NaN)
rule("norm",        tangent=lambda args, ans, dots, at: emit("sum", args[0] * dots[0], axis=None)
                    / where(ans == 0.0, 1.0, ans),
                    adjoint=lambda args, ans, g, at: (args[0] * (g / where(ans == 0.0, 1.0, ans)),))
partials("clip",    lambda x, lo, hi, ans: (where(x < lo, 0.0, where(x > hi, 0.0, 1.0)),
                                            where(x < lo, 1.0, 0.0), where(x > hi, 1.0, 0.0)),
                                                                                   smooth=False)
linear("full",      adjoint=lambda args, ans, g, at: (None,) * (len(args) - 1)
                                                     + (emit("sum", g, axis=None),))
linear("tril",      adjoint=lambda args, ans, g, at: (emit("tril", g),))
linear("triu",      adjoint=lambda args, ans, g, at: (emit("triu", g),))
rule("linspace",    tangent=_linspace_tangent, adjoint=_linspace_adjoint)
rule("arange",      tangent=_arange_tangent, adjoint=_arange_adjoint)
nondiff("eye", "basis",                                                    why=SIZES)
nondiff("argsort", "argmax", "argmin",                                     why=DISCRETE)
# the recording stacks of generated adjoints are linear in what they store (forward over
# reverse differentiates them: push(tape_dot, sp, v_dot))
linear("push",      adjoint=lambda args, ans, g, at: None)
linear("reserve",   adjoint=lambda args, ans, g, at: None)
linear("push_array", adjoint=lambda args, ans, g, at: None)
linear("pop_array", adjoint=lambda args, ans, g, at: None)
nondiff("dim", "size", "trip_count",                                       why=DISCRETE)
nondiff("eye_like", "zeros_like", "ones_like", "empty_like",               why=SHAPE_ONLY)
# element reads and writes, allocations, the reverse sweep's pops: the transforms route
# these themselves (adjoint buffers, docs/storage.md)
no_rule("getitem", "setitem", "setslice", "iaddslice", "iadd", "zeros", "ones", "empty",
        "copy", "pop",                                                     why=STRUCTURAL)
# fmt: on
