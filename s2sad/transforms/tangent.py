"""Forward mode: each active value v gets a tangent v_dot, computed right after v.

    f(x1, x2) -> y      becomes      f_jvp(x1, x2, x1_dot, x2_dot) -> (y, y_dot)

Regions map structurally: an If yields tangents next to its results, a loop carries
tangents next to its carried values.
"""

from __future__ import annotations

from ..analysis.activity import active_values
from ..analysis.aliases import written_names
from ..ir.builder import Builder
from ..ir.nodes import Block, For, Function, If, Op, Value, Var, While
from ..ir.primitives import PRIMS
from ..ir.types import ArrayT, is_float
from ..rules import RULES
from ..rules.dsl import Sym, emitting
from .common import (
    ShapeRoots,
    add,
    clone_function,
    eval_partials,
    mul,
    name_derivative,
    rule_for,
    zero_of,
)


class Tangent:
    def __init__(self, fn: Function, wrt: list[int]):
        self.fn = clone_function(fn)
        self.wrt = [self.fn.params[i] for i in wrt]
        outs = [o for o in self.fn.outputs if isinstance(o, Var)]
        self.active = active_values(self.fn, self.wrt, outs)
        self.dot: dict[Var, Value] = {}
        self.written = written_names(self.fn)  # arrays element writes may change
        self.roots = ShapeRoots(self.fn.body)  # arrays of one shape

    def tangent_of(self, v: Value) -> Value | None:
        return self.dot.get(v) if isinstance(v, Var) else None

    def zero_like(self, b: Builder, v: Value) -> Value:
        if isinstance(v.type, type(None)):
            raise TypeError
        if isinstance(v.type, ArrayT):
            return b.op("zeros_like", v)
        return zero_of(v.type)

    def run(self) -> Function:
        fn = self.fn
        dots = []
        for p in self.wrt:
            d = Var("", p.type, base=p, suffix="_dot")
            dots.append(d)
            if p in self.active:
                self.dot[p] = d
        body = self.block(fn.body)
        b = Builder(body)
        outs = list(fn.outputs)
        out_dots = []
        for o in outs:
            if not is_float(o.type):
                continue
            t = self.tangent_of(o)
            out_dots.append(t if t is not None else self.zero_like(b, o))
        body.yields = outs + out_dots
        return Function(fn.name + "_jvp", fn.params + dots, body, fn.loc,
                        (fn.out_tree, "tangents"), fn.doc)

    def block(self, blk: Block) -> Block:
        out = Block()
        b = Builder(out)
        for s in blk.stmts:
            b.loc = s.loc
            if isinstance(s, (For, While)):
                self.loop(b, s)  # may put zero tangents for the carried values first
                out.stmts.append(s)
                continue
            out.stmts.append(s)
            if isinstance(s, Op):
                n0 = len(out.stmts)
                self.op(b, s)
                self.own_tangent(b, s, out.stmts[n0:])
            elif isinstance(s, If):
                self.if_(b, s)
        out.yields = list(blk.yields)
        return out

    def own_tangent(self, b: Builder, s: Op, made: list) -> None:
        """An array that element writes change gets a tangent object of its own: a rule
        may have returned another value's tangent as is (u = x * 1.0: u_dot is x_dot), and
        writes into u_dot must not change x_dot."""
        if not s.results or id(s.results[0]) not in self.written:
            return
        t = self.dot.get(s.results[0])
        if isinstance(t, Var) and isinstance(t.type, ArrayT) and \
                not any(t in st.results for st in made):
            self.dot[s.results[0]] = name_derivative(b.op("copy", t), s.results[0], "_dot")

    def op(self, b: Builder, s: Op) -> None:
        if s.prim in ("iadd", "iaddslice"):
            arr, val = s.args[0], s.args[-1]
            t = self.tangent_of(val)
            if arr in self.active and t is not None:
                b.effect(s.prim, self.dot[arr], *s.args[1:-1], t, **s.attrs)
            return
        if s.prim in ("setitem", "setslice"):
            arr, val = s.args[0], s.args[-1]
            if arr in self.active:
                t = self.tangent_of(val)
                b.effect(s.prim, self.dot[arr], *s.args[1:-1],
                         t if t is not None else zero_of(arr.type.dtype), **s.attrs)
            return
        if not s.results or s.results[0] not in self.active:
            return
        ans = s.results[0]
        if s.prim in ("getitem", "getslice"):
            self.dot[ans] = name_derivative(
                b.op(s.prim, self.dot[s.args[0]], *s.args[1:], type=ans.type, **s.attrs),
                ans, "_dot")
            return
        if PRIMS[s.prim].fill in ("zeros", "ones", "empty", "copy"):
            self.dot[ans] = name_derivative(self.alloc_tangent(b, s), ans, "_dot")
            return
        rule = rule_for(s)
        if rule.kind == "nondiff":
            return
        if rule.kind in ("rule", "linear"):
            dots = [self.tangent_of(a) for a in s.args]
            if rule.kind == "linear":
                args = [d if d is not None else (self.zero_like(b, a) if is_float(a.type)
                                                 else a) for a, d in zip(s.args, dots)]
                t = b.op(s.prim, *args, type=ans.type, **s.attrs)
            else:
                with emitting(b):
                    t = rule.tangent([Sym(a) for a in s.args], Sym(ans),
                                     [None if d is None else Sym(d) for d in dots], s.attrs)
                t = t.value if isinstance(t, Sym) else t
            if t is not None:
                if rule.broadcasts:  # np.where: the conditions are in the expression
                    covered = [a for a, d in zip(s.args, dots) if d is not None or
                               not is_float(a.type)]
                    t = self.full_shape(b, t, ans, s, covered)
                self.dot[ans] = name_derivative(t, ans, "_dot")
            return
        n0 = len(b.block.stmts)
        ps = eval_partials(b, s)
        made = {r: st for st in b.block.stmts[n0:] if isinstance(st, Op) for r in st.results}
        acc, covered = None, []
        for a, p in zip(s.args, ps):
            t = self.tangent_of(a)
            if t is None or p is None:
                continue
            acc = add(b, acc, mul(b, p, t))
            covered += [a, *_operands_in(p, made)]  # mul's partial y covers y's shape
        if acc is not None:
            acc = self.full_shape(b, acc, ans, s, covered)
            self.dot[ans] = name_derivative(acc, ans, "_dot")

    def full_shape(self, b: Builder, t: Value, ans: Var, s: Op, covered: list) -> Value:
        """The tangent of an elementwise op with ans's shape. Sum of p_i * x_i_dot has the
        broadcast shape of the operands with a term only: x + s with s alone varied, or
        a[:, None] + b with a alone, give a smaller tangent, which a reduction after it
        would count too few times (np.sum(x + s)' is n s_dot, not s_dot)."""
        if not isinstance(ans.type, ArrayT):
            return t
        if not isinstance(t.type, ArrayT):
            return b.op("expand_to", t, ans, axis=None, type=ans.type)
        have = [self.roots(c) for c in covered]
        if any(c is ans for c in covered) or all(
                any(self.roots(a) is r for r in have) for a in s.args
                if isinstance(a.type, ArrayT)):
            return t
        return b.op("broadcast_to", t, ans)

    def alloc_tangent(self, b: Builder, s: Op) -> Value:
        if s.prim == "copy":
            return b.op("copy", self.dot[s.args[0]])
        return b.op("zeros_like", s.results[0])

    def if_(self, b: Builder, s: If) -> None:
        s.then = self.block(s.then)
        s.orelse = self.block(s.orelse)
        new = []
        for k, r in enumerate(list(s.results)):
            if r not in self.active:
                continue
            ys = []
            for blk in (s.then, s.orelse):
                t = self.tangent_of(blk.yields[k])
                if t is None:
                    t = self.zero_like(Builder(blk), blk.yields[k])
                ys.append(t)
            d = Var("", r.type, base=r, suffix="_dot")
            new.append((d, ys))
            self.dot[r] = d
        for d, (yt, ye) in new:
            s.results.append(d)
            s.then.yields.append(yt)
            s.orelse.yields.append(ye)

    def loop(self, b: Builder, s) -> None:
        act = [k for k, p in enumerate(s.params) if p in self.active]
        tparams = []
        for k in act:
            d = Var("", s.params[k].type, base=s.params[k], suffix="_dot")
            self.dot[s.params[k]] = d
            tparams.append(d)
        if isinstance(s, While):
            s.cond = self.block(s.cond)
        s.body = self.block(s.body)
        for k, d in zip(act, tparams):
            init = s.inits[k]
            t0 = self.tangent_of(init)
            s.params.append(d)
            s.inits.append(t0 if t0 is not None else self.zero_like(b, init))
            y = s.body.yields[k]
            ty = self.tangent_of(y)
            s.body.yields.append(ty if ty is not None else self.zero_like(Builder(s.body), y))
            r = Var("", s.results[k].type, base=s.results[k], suffix="_dot")
            s.results.append(r)
            self.dot[s.results[k]] = r


def tangent(fn: Function, wrt: list[int]) -> Function:
    return Tangent(fn, wrt).run()


def _operands_in(v, made: dict) -> list:
    """The values outside `made` (operands, the result) that an elementwise expression built
    by a rule (`made`: its ops) reads: its result has at least their shape."""
    out, stack, seen = [], [v], set()
    while stack:
        u = stack.pop()
        if not isinstance(u, Var) or id(u) in seen:
            continue
        seen.add(id(u))
        st = made.get(u)
        if st is None:
            out.append(u)
        elif RULES.get(st.prim) is not None and RULES[st.prim].broadcasts:
            stack.extend(st.args)
    return out
