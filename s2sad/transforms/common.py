"""Helpers shared by the tangent and adjoint transforms."""

from __future__ import annotations

import copy

from ..errors import NoRuleError
from ..ir.builder import Builder, const
from ..ir.nodes import Const, Function, Op, Value, Var
from ..ir.rewrite import substitute  # noqa: F401  (re-exported for the transforms)
from ..ir.types import BOOL, F32, F64, I64, ArrayT, Type
from ..rules import RULES, Rule
from ..rules.dsl import Sym, emitting


def clone_function(fn: Function) -> Function:
    """A deep copy, so a transform may rewrite regions without touching the cached primal."""
    return copy.deepcopy(fn)


def zero_of(t: Type) -> Const:
    if t in (F64, F32):
        return const(0.0, t)
    if t == I64:
        return const(0)
    if t == BOOL:
        return const(False)
    raise TypeError(f"no scalar zero for {t}")


def rule_for(op: Op) -> Rule:
    r = RULES.get(op.prim)
    if r is None and op.prim == "opaque":
        raise NoRuleError(f"no derivative rule for {op.attrs.get('what', op.attrs['path'])}",
                          op.loc, "use a supported function (see docs/rules.md), give its "
                          "derivative with @s2sad.defrule, or cut the derivative with "
                          "s2sad.stop_gradient")
    if r is None:
        raise NoRuleError(f"no derivative rule for primitive {op.prim!r}", op.loc,
                          "add an entry in s2sad/rules (docs/rules.md), or cut the derivative with "
                          "s2sad.stop_gradient")
    return r


def eval_partials(b: Builder, op: Op) -> list:
    """The rule's partials of `op` as IR values (None where zero)."""
    rule = rule_for(op)
    if rule.kind == "nondiff":
        return [None] * len(op.args)
    with emitting(b):
        ps = rule.partials(*[Sym(a) for a in op.args], Sym(op.results[0]))
    if not isinstance(ps, tuple):
        ps = (ps,)
    return [None if p is None else (p.value if isinstance(p, Sym) else const(p, F64))
            for p in ps]


def mul(b: Builder, x: Value, y: Value) -> Value:
    with emitting(b):
        return (Sym(x) * Sym(y)).value


def add(b: Builder, x: Value | None, y: Value | None) -> Value | None:
    if x is None:
        return y
    if y is None:
        return x
    with emitting(b):
        return (Sym(x) + Sym(y)).value


def name_derivative(v: Value, base: Var, suffix: str) -> Value:
    """Give a freshly computed derivative value a readable name (x_bar, vn_dot)."""
    if isinstance(v, Var) and not v.name and v.base is None and getattr(v, "_deriv", False):
        v.base, v.suffix = base, suffix
    return v


def is_array_var(v) -> bool:
    return isinstance(v, Var) and isinstance(v.type, ArrayT)


def fit_to(b: Builder, c: Value, t: Type) -> Value:
    """Sum a contribution over the dimensions broadcasting added, so it has type t's rank."""
    ct = c.type
    if not isinstance(ct, ArrayT):
        return c
    if not isinstance(t, ArrayT):
        return b.op("sum", c, type=ct.dtype, axis=None)
    for _ in range(ct.ndim - t.ndim):
        c = b.op("sum", c, type=ArrayT(ct.dtype, c.type.ndim - 1), axis=0)
    return c


def zero_value(b: Builder, like: Var) -> Value:
    """A zero of like's type: a constant for scalars, np.zeros_like for arrays."""
    if isinstance(like.type, ArrayT):
        return b.op("zeros_like", like)
    return zero_of(like.type)
