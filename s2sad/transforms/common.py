"""Helpers shared by the tangent and adjoint transforms."""

from __future__ import annotations

import copy

from ..errors import NoRuleError
from ..ir.builder import Builder, const
from ..ir.nodes import Block, Const, Function, Op, Value, Var, walk
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
    try:
        with emitting(b):
            ps = rule.partials(*[Sym(a) for a in op.args], Sym(op.results[0]))
    except NoRuleError as e:
        if e.loc is not None:
            raise
        what = op.prim.removeprefix("user_")  # s2sad.defrule's primitive: the user's function
        raise NoRuleError(f"in the derivative rule of {what}: {e.message}", op.loc,
                          e.hint) from None
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
    if isinstance(v, Var) and not v.name and v.base is None and v.deriv:
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


def shaped(b: Builder, v: Value, like: Var) -> Value:
    """v as an array of like's shape, if v is a scalar standing for one."""
    if isinstance(like.type, ArrayT) and not isinstance(v.type, ArrayT):
        return b.op("expand_to", v, like, axis=None, type=like.type)
    return v


def zero_value(b: Builder, like: Var) -> Value:
    """A zero of like's type: a constant for scalars, np.zeros_like for arrays."""
    if isinstance(like.type, ArrayT):
        return b.op("zeros_like", like)
    return zero_of(like.type)


class ShapeRoots:
    """Which arrays provably have the same shape (the same root): an elementwise op whose
    array operands all share one root has that root too (x * x, np.sin(x) and x), and so
    do copies and *_like allocations. Broadcasting needs no undoing between values with
    one root; between different roots it may ((n, 1) * (m,), or an (n,) parameter times
    another (n,) one: the shapes are only known at run time)."""

    _SAME = ("copy", "zeros_like", "ones_like", "empty_like")

    def __init__(self, body: Block):
        self.defs = {r: s for s in walk(body) if isinstance(s, Op) for r in s.results}
        self.memo: dict[int, Value] = {}

    def __call__(self, v: Value) -> Value:
        key = id(v)
        if key not in self.memo:
            self.memo[key] = v  # (cycles cannot happen in SSA, but stay safe)
            self.memo[key] = self._root(v)
        return self.memo[key]

    def _root(self, v: Value) -> Value:
        d = self.defs.get(v) if isinstance(v, Var) else None
        if d is None or not isinstance(v.type, ArrayT):
            return v
        if d.prim in self._SAME:
            return self(d.args[0])
        rule = RULES.get(d.prim)
        if rule is not None and rule.broadcasts:
            roots = self.distinct(d.args)
            if len(roots) == 1 and roots[0].type.ndim == v.type.ndim:
                return roots[0]
        return v

    def distinct(self, args) -> list:
        out: list = []
        for a in args:
            if isinstance(a.type, ArrayT):
                r = self(a)
                if not any(r is o for o in out):
                    out.append(r)
        return out
