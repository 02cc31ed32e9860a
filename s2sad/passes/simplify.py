"""Algebraic simplification: no `0.0 * x`, `x * 1.0`, `x + 0.0` or `-(-x)` survives.

`ir.fold.fold_op` is applied as ops are emitted (rules, transforms); `simplify`
re-applies it over a whole function after copy propagation.
"""

from __future__ import annotations

import math

from ..analysis.aliases import written_names
from ..ir.builder import const
from ..ir.fold import fold_op
from ..ir.nodes import Block, Const, Function, If, Op, Var, sub_blocks, walk
from ..ir.primitives import PRIMS, result_type
from ..ir.rewrite import substitute, substitute_stmt
from ..ir.types import F32, F64, I64, ArrayT


def simplify(fn: Function) -> Function:
    """Apply fold_op to every op of a function (after transforms built ops directly), with
    constants multiplied together (`2 * x * 0.5` is x) and negations moved out of products
    into the sums that take them (`x + -a * b` is `x - a * b`)."""
    mapping: dict = {}
    written = written_names(fn)
    # an array an element write changes later is not the value its op made
    shapes = {r: s for s in walk(fn.body) if isinstance(s, Op) for r in s.results}
    defs = {r: s for r, s in shapes.items() if id(r) not in written}

    def visit(b: Block) -> None:
        keep = []
        for s in b.stmts:
            if mapping:
                substitute_stmt(s, mapping)
            if isinstance(s, Op) and len(s.results) == 1 and not PRIMS[s.prim].ordered:
                for extra in _rearrange(s, defs, shapes):  # (defs: never written in place)
                    keep.append(extra)
                    defs[extra.results[0]] = extra
                folded = fold_op(s.prim, s.args, s.attrs)
                if isinstance(folded, Var) and isinstance(folded.type, ArrayT) and \
                        (id(s.results[0]) in written or id(folded) in written):
                    folded = None  # `u = x * 1.0` is a new array that element writes change
                if folded is not None:
                    mapping[s.results[0]] = folded
                    continue
            for sb in sub_blocks(s):
                visit(sb)
            keep.append(s)
        b.stmts = keep

    visit(fn.body)
    substitute(fn.body, mapping)
    return fn


def _scalar_const(v) -> bool:
    return isinstance(v, Const) and not isinstance(v.type, ArrayT) and \
        not isinstance(v.value, bool) and v.type in (F64, F32, I64)


def _neg_arg(v, defs):
    """a, where v = -a."""
    d = defs.get(v) if isinstance(v, Var) else None
    return d.args[0] if isinstance(d, Op) and d.prim == "neg" else None


def _rearrange(s: Op, defs: dict, shapes: dict) -> list[Op]:
    """Rewrite s in place into an equal, simpler form (exact in floating point); the new
    ops it needs before it. `shapes`: every definition (element writes keep shapes)."""
    a = s.args
    p = PRIMS[s.prim]
    if p.shape_only and not p.fresh and a and isinstance(a[0], Var):
        s.args = [_same_shape(a[0], shapes), *a[1:]]  # (x * 2.0).size is x.size
        return []
    if s.prim == "mul" and len(a) == 2:
        for c, t in ((a[0], a[1]), (a[1], a[0])):
            d = defs.get(t) if isinstance(t, Var) else None
            if not _scalar_const(c) or not isinstance(d, Op):
                continue
            if d.prim == "mul" and any(_scalar_const(x) for x in d.args):
                c2, x = (d.args[0], d.args[1]) if _scalar_const(d.args[0]) else d.args[::-1]
                s.args = [_product(c, c2), x]  # c * (c2 * x) = (c c2) * x
                return []
            if d.prim == "neg":
                s.args = [_product(c, const(-1)), d.args[0]]  # c * -x = (-c) * x
                return []
    if s.prim == "mul" and len(a) == 2 and isinstance(s.results[0].type, ArrayT):
        for t, k in ((a[0], a[1]), (a[1], a[0])):
            d = defs.get(t) if isinstance(t, Var) else None
            if isinstance(k.type, ArrayT) or not isinstance(d, Op) or d.prim != "mul" or \
                    d.results[0].type != s.results[0].type:
                continue
            c = next((x for x in d.args if _scalar_const(x) and _power_of_two(x.value)), None)
            x = d.args[1] if d.args[0] is c else d.args[0]
            if c is not None and isinstance(x.type, ArrayT):
                # (c * X) * k = (c * k) * X for c = 2^n (exact): one array product less
                inner = Op("mul", [c, k], [Var("", result_type("mul", [c.type, k.type]),
                                                 deriv=s.results[0].deriv)], {}, s.loc)
                s.args = [inner.results[0], x]
                return [inner]
    if s.prim in ("mul", "div") and len(a) == 2:
        na, nb = _neg_arg(a[0], defs), _neg_arg(a[1], defs)
        if na is not None and nb is not None:  # (-a) * (-b) = a * b
            s.args = [na, nb]
        elif (na is not None or nb is not None) and not any(_scalar_const(x) for x in a):
            inner = Op(s.prim, [na if na is not None else a[0],
                                nb if nb is not None else a[1]],
                       [Var("", s.results[0].type, deriv=s.results[0].deriv)], dict(s.attrs),
                       s.loc)
            s.prim, s.args, s.attrs = "neg", [inner.results[0]], {}
            return [inner]  # -(a * b): for the sum that takes it
    if s.prim in ("add", "sub") and len(a) == 2:
        d = defs.get(a[1]) if isinstance(a[1], Var) else None
        if isinstance(d, Op) and d.prim == "mul" and d.results[0].type == a[1].type:
            c = next((x for x in d.args if _scalar_const(x) and x.value < 0), None)
            if c is not None:  # x + (-c) * t = x - c * t
                t = d.args[1] if d.args[0] is c else d.args[0]
                pos = Op("mul", [const(-c.value, c.type), t],
                         [Var("", a[1].type, deriv=a[1].deriv)], {}, d.loc)
                s.prim, s.args = ("sub" if s.prim == "add" else "add"), [a[0], pos.results[0]]
                return [pos]
        n = _neg_arg(a[1], defs)
        if n is not None and n.type == a[1].type:  # x + -y = x - y, x - -y = x + y
            s.prim, s.args = ("sub" if s.prim == "add" else "add"), [a[0], n]
        elif s.prim == "add" and _neg_arg(a[0], defs) is not None and \
                _neg_arg(a[0], defs).type == a[0].type:
            s.prim, s.args = "sub", [a[1], _neg_arg(a[0], defs)]  # -x + y = y - x
    return []


def _same_shape(v: Var, shapes: dict) -> Var:
    """The earliest array known to have v's shape: through elementwise ops with one array
    operand of v's rank, copies and *_like allocations."""
    for _ in range(64):
        d = shapes.get(v)
        if not isinstance(d, Op) or not isinstance(v.type, ArrayT):
            return v
        p = PRIMS[d.prim]
        arrays = [x for x in d.args if isinstance(x, Var) and isinstance(x.type, ArrayT)]
        if (p.elementwise or p.fill in ("copy", "zeros", "ones", "empty") and not p.sized) \
                and len(arrays) == 1 and arrays[0].type.ndim == v.type.ndim and \
                (p.elementwise or d.args[0] is arrays[0]):
            v = arrays[0]
        else:
            return v
    return v


def _power_of_two(x) -> bool:
    m, _ = math.frexp(abs(float(x)))
    return x != 0 and m == 0.5


def _product(c1: Const, c2: Const) -> Const:
    v = c1.value * c2.value
    t = I64 if c1.type == I64 and c2.type == I64 else (F32 if F32 in (c1.type, c2.type) else F64)
    return const(v, t)


def fold_boolean_ifs(fn: Function) -> Function:
    """`r = if c: yield a else: yield False` with empty branches is `r = c and a` (and the
    `or` form): both operands are already computed, so nothing lazy is lost, and loop
    conditions print as `while not brk and i < n:`."""
    for s in list(walk(fn.body)):
        for b in sub_blocks(s) if not isinstance(s, Op) else []:
            b.stmts = [_as_boolop(t) for t in b.stmts]
    fn.body.stmts = [_as_boolop(t) for t in fn.body.stmts]
    return fn


def _as_boolop(s):
    if not isinstance(s, If) or s.then.stmts or s.orelse.stmts or len(s.results) != 1:
        return s
    a, b = s.then.yields[0], s.orelse.yields[0]
    r = s.results[0]
    if r.type.__class__.__name__ != "Scalar" or r.type.name != "bool":
        return s
    if isinstance(b, Const) and b.value is False:
        return Op("and", [s.cond, a], [r], {}, s.loc)
    if isinstance(a, Const) and a.value is True:
        return Op("or", [s.cond, b], [r], {}, s.loc)
    return s
