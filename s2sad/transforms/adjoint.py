"""Reverse mode without a run-time tape of operations.

    f(x1, x2) -> y    becomes    f_vjp(x1, x2, y_bar) -> (y, x1_bar, x2_bar)

The function body is the forward sweep (the primal, plus what it must record) followed
by the reverse sweep (adjoint statements in reverse order; `x_bar` accumulates).

Regions reverse as regions:
- an If reverses to an If on the same condition; values the reverse branch needs from the
  forward branch are passed out as extra If results;
- a loop reverses to a loop over the same indices in reverse order. Values of one
  iteration that the reverse iteration needs are either recomputed (integer index
  arithmetic, loads from arrays the function never writes, cheap arithmetic on those)
  or recorded: pushed on a typed stack (`tape_f` floats, `tape_i` ints and branch
  decisions) at the end of the forward iteration and popped at the start of the reverse
  one. A while loop also counts its iterations, and the reverse loop runs that many.
Storage is plain NumPy arrays grown by doubling; no Python objects (see docs/storage.md).
"""

from __future__ import annotations

from ..analysis.activity import active_values
from ..analysis.aliases import mark_slice_copies
from ..ir.builder import Builder, const
from ..ir.nodes import (
    Block,
    Const,
    For,
    Function,
    If,
    Op,
    Value,
    Var,
    While,
    block_defs,
    block_uses,
    walk,
)
from ..ir.primitives import PRIMS
from ..ir.rewrite import free_vars
from ..ir.types import F64, I64, ArrayT, is_float
from ..rules import RULES
from ..rules.dsl import Sym, emitting, where
from .buffers import Buffers
from .checkpoint import reverse_checkpointed
from .common import (
    ShapeRoots,
    add,
    clone_function,
    eval_partials,
    fit_to,
    is_array_var,
    mul,
    name_derivative,
    rule_for,
    shaped,
    substitute,
    zero_of,
    zero_value,
)
from .hoist import invariant_twins
from .recording import restore
from .refill import Refill
from .snapshots import drop_unneeded_copies, snapshot_mutable_operands


class Adjoint:
    def __init__(self, fn: Function, wrt: list[int], seed: str, checkpoint=None):
        self.fn = clone_function(fn)
        # loop-invariant loads read again before their loop nest: recorded there, once
        self.twins = invariant_twins(self.fn)
        self.refill = None
        self.wrt_idx = wrt
        self.wrt = [self.fn.params[i] for i in wrt]
        self.seed = seed  # "one": grad of a scalar output; "param": cotangent parameters
        self.checkpoint = checkpoint  # None, an int k (snapshot every k iterations) or "sqrt"
        # which arrays an element write may change later (directly, or through another
        # name for the same object: u = un in a loop). Slices of them become copies and
        # whole-array ops read snapshots, since the reverse sweep needs the values they saw
        self.aliases = mark_slice_copies(self.fn)
        self.written = self.aliases.mutable()
        self.result_copies = snapshot_mutable_operands(self.fn.body, self.aliases)
        outs = [o for o in self.fn.outputs if isinstance(o, Var)]
        self.active = active_values(self.fn, self.wrt, outs)
        self.snapshots: list[Var] = []  # checkpoint storage (reported by storage_bytes)
        self.pairs: dict[Var, int] = {}  # recorded value -> the number of its push/pop pair

    # ------------------------------------------------------------------ entry
    def run(self) -> Function:
        fn = self.fn
        fwd = fn.body
        pre = Block()
        self.buffers = Buffers(fn, fwd, self.active, self.written)
        # the buffers' tables, read throughout the reversal
        self.bufs, self.home, self.need = self.buffers.bufs, self.buffers.home, self.buffers.need
        for p in fn.params:
            if p in self.active and is_array_var(p):
                buf = Var("", p.type, base=p, suffix="_bar")
                pre.stmts.append(Op("zeros_like", [p], [buf], {}, fn.loc))
                self.bufs[p] = buf
        self.buffers.group_local(fwd)
        self.buffers.alloc(fwd)
        # seed the output adjoints
        adj: dict[Var, Value] = {}
        ct_params: list[Var] = []
        float_outs = [o for o in fn.outputs if is_float(o.type)]
        rev = Block()
        rb = Builder(rev)
        for o in float_outs:
            if self.seed == "one":
                seed: Value = const(1.0, o.type)
            else:
                seed = Var("", o.type, base=o if isinstance(o, Var) else None, suffix="_bar")
                if seed.base is None:
                    seed.name = "out_bar"
                ct_params.append(seed)
            if isinstance(o, Var) and o in self.active:
                self.contribute(rb, o, seed, adj)
        self.top_level = set(map(id, fwd.stmts))
        self.defs = {r: t for t in walk(fwd) if isinstance(t, Op) for r in t.results}
        self.roots = ShapeRoots(fwd)
        self.reverse_block(fwd, rev, adj)
        results = []
        for p in self.wrt:
            if is_array_var(p):
                results.append(self.bufs[p] if p in self.bufs else rb.op("zeros_like", p))
            else:
                v = adj.get(p)
                results.append(v if v is not None else zero_of(p.type))
        body = Block(pre.stmts + fwd.stmts + rev.stmts, [])
        body.yields = list(fn.outputs) + results
        out = Function(fn.name + "_vjp", fn.params + ct_params, body, fn.loc,
                       (fn.out_tree, "adjoints"), fn.doc)
        out.snapshots = self.snapshots
        drop_unneeded_copies(out, self.result_copies)
        return out

    # ------------------------------------------------------------------ statements
    def reverse_block(self, fwd: Block, rev: Block, adj: dict) -> None:
        b = Builder(rev)
        for s in reversed(list(fwd.stmts)):
            b.loc = s.loc
            if isinstance(s, Op):
                self.reverse_op(b, s, adj)
            elif isinstance(s, If):
                self.reverse_if(b, s, adj)
            elif isinstance(s, For) and self.checkpoint and id(s) in self.top_level:
                reverse_checkpointed(self, b, s, adj, self.checkpoint)
            elif isinstance(s, (For, While)):
                self.reverse_loop(b, s, adj)

    def reverse_op(self, b: Builder, s: Op, adj: dict) -> None:
        if s.prim in ("iadd", "iaddslice"):  # a[...] += v: v_bar += a_bar[...]
            arr, idx, val = s.args[0], s.args[1:-1], s.args[-1]
            if arr in self.active and isinstance(val, Var) and val in self.active:
                buf = self.bufs[arr]
                g = b.op("getslice", buf, *idx, **s.attrs) if idx else buf
                self.contribute(b, val, self._kept(b, val, g), adj)
            return
        if s.prim in ("setitem", "setslice"):
            arr, idx, val = s.args[0], s.args[1:-1], s.args[-1]
            if arr not in self.active:
                return
            buf = self.bufs[arr]
            if isinstance(val, Var) and val in self.active:
                if s.prim == "setitem":
                    g = b.op("getitem", buf, *idx)
                else:  # the slice is a view, and is cleared next
                    g = self._kept(b, val, b.op("getslice", buf, *idx, **s.attrs))
                self.contribute(b, val, g, adj)
            zero = zero_of(arr.type.dtype)
            b.effect(s.prim, buf, *idx, zero, **s.attrs)
            return
        if not s.results or s.results[0] not in self.active:
            return
        ans = s.results[0]
        if PRIMS[s.prim].fill in ("zeros", "ones", "empty"):
            return  # the buffer was zeroed at allocation
        g = self.take_adjoint(ans, adj)
        if g is None:
            return
        if s.prim in ("getitem", "getslice"):
            buf = self.bufs[s.args[0]]
            if s.prim == "getitem":
                old = b.op("getitem", buf, *s.args[1:])
                b.effect("setitem", buf, *s.args[1:], add(b, old, g))
            else:
                b.effect("iaddslice", buf, *s.args[1:], g, **s.attrs)
            return
        if s.prim == "copy":
            self.contribute(b, s.args[0], g, adj)
            return
        rule = rule_for(s)
        if rule.kind == "nondiff":
            return
        # two array operands may broadcast ((n, 1) * (m,), (n, m) + (m,)): each one's
        # cotangent is summed back to its own shape (sum_to: leading and size-1 axes)
        broadcast = rule.broadcasts and len(self.roots.distinct(s.args)) > 1
        if rule.kind == "partials":
            if isinstance(ans.type, ArrayT) and not isinstance(g.type, ArrayT) and any(
                    isinstance(a, Var) and a in self.active and
                    (getattr(a.type, "ndim", 0) < ans.type.ndim or broadcast)
                    for a in s.args):
                # the broadcast sum must count every element: p * g has the shape of the
                # partial p (z[:, None] for x[None, :]), not of the result
                g = shaped(b, g, ans)
            ps = eval_partials(b, s)
            for a, p in zip(s.args, ps):
                if p is None or not isinstance(a, Var) or a not in self.active:
                    continue
                c = mul(b, p, g)
                finite = rule.finite or (s.prim in ("pow", "fpow") and
                                         isinstance(s.args[1], Const) and s.args[1].value >= 1)
                if not finite and isinstance(ans.type, ArrayT):
                    # 0 where the cotangent is 0, even where the partial is inf/nan: the
                    # branch np.where did not take contributes nothing (no NaN leaks);
                    # masked elementwise, before broadcasting is summed away
                    with emitting(b):
                        c = where(Sym(g) == 0.0, 0.0, Sym(c)).value
                if broadcast and isinstance(a.type, ArrayT) and isinstance(c.type, ArrayT):
                    c = b.op("sum_to", c, a)
                self.contribute(b, a, c, adj)
            return
        g = shaped(b, g, ans)
        with emitting(b):
            cts = rule.adjoint([Sym(a) for a in s.args], Sym(ans), Sym(g), s.attrs)
        if not isinstance(cts, tuple):
            cts = (cts,)
        for a, c in zip(s.args, cts):
            if c is None or not isinstance(a, Var) or a not in self.active:
                continue
            c = c.value if isinstance(c, Sym) else const(c, F64)
            if broadcast and isinstance(a.type, ArrayT) and isinstance(c.type, ArrayT):
                c = b.op("sum_to", c, a)
            self.contribute(b, a, c, adj)

    def take_adjoint(self, v: Var, adj: dict) -> Value | None:
        """The accumulated adjoint of v, once every use of v has been reversed."""
        if v in self.bufs:
            return self.bufs[v]
        return adj.pop(v, None)

    def _kept(self, b: Builder, a: Var, view: Value) -> Value:
        """A view of a cotangent buffer as a's contribution: added into a's own buffer at
        once (an effect, in order), or copied where it would become a's cotangent itself
        and the buffer is cleared or added to later."""
        return view if a in self.bufs else b.op("copy", view)

    def contribute(self, b: Builder, a: Var, c: Value, adj: dict) -> None:
        """a_bar += c, summing c over the dimensions broadcasting added.

        A scalar c for an array a stands for a constant array (the adjoint of np.sum);
        it stays scalar while only elementwise ops consume it, so no array of ones is made.
        """
        c = fit_to(b, c, a.type)
        if a in self.bufs:
            b.effect("iadd", self.bufs[a], c)
            return
        if isinstance(a.type, ArrayT) and not isinstance(c.type, ArrayT):
            d = self.defs.get(a)
            rule = RULES.get(d.prim) if d is not None else None
            if rule is None or rule.kind != "partials":
                c = shaped(b, c, a)
        adj[a] = name_derivative(add(b, adj.get(a), c), a, "_bar")

    # ------------------------------------------------------------------ if
    def reverse_if(self, b: Builder, s: If, adj: dict) -> None:
        # adjoints of results flow into the yields of both branches
        envs, blocks = [], []
        for fwd in (s.then, s.orelse):
            env = dict(adj)
            rblk = Builder(Block())
            rblk.loc = s.loc
            preset, extra = {}, []
            for y, r in zip(fwd.yields, s.results):
                g = self.bufs.get(r, adj.get(r))
                if g is None or not isinstance(y, Var) or y not in self.active:
                    continue
                if y in self.need:
                    if self.home.get(y, (None,))[0] is fwd and y not in preset:
                        # the result's buffer is dead after the If: it becomes the branch's
                        preset[y] = g if r in self.bufs else self.buffers.owned(rblk, g, y)
                    else:
                        extra.append((y, g))
                else:
                    env[y] = add(rblk, env.get(y), g)
            self.buffers.open(fwd, rblk, preset)
            for y, g in extra:
                self.contribute(rblk, y, g, env)
            for r in s.results:
                env.pop(r, None)
            self.reverse_block(fwd, rblk.block, env)
            envs.append(env)
            blocks.append(rblk.block)
        for r in s.results:
            adj.pop(r, None)
        keys = [k for k in dict.fromkeys(list(envs[0]) + list(envs[1]))
                if (envs[0].get(k) is not adj.get(k) or envs[1].get(k) is not adj.get(k))
                and (envs[0].get(k) is not None or envs[1].get(k) is not None)]
        results = []
        for k in keys:
            for env, blk in zip(envs, blocks):
                v = env.get(k)
                blk.yields.append(shaped(Builder(blk), v, k) if v is not None
                                  else self.buffers.zeros(Builder(blk), k))
            r = Var("", k.type, base=k, suffix="_bar")
            results.append(r)
            adj[k] = r
        for fwd, blk in zip((s.then, s.orelse), blocks):  # after the yields: they may read
            self.export(s, fwd, blk)                      # forward values too
        b.append(If(s.cond, blocks[0], blocks[1], results, s.loc))

    def export(self, s: If, fwd: Block, rblk: Block) -> None:
        """Pass values the reverse branch needs out of the forward branch as If results."""
        inner = block_defs(fwd)
        need = [v for v in free_vars(rblk) if v in inner]
        if not need:
            return
        mapping = {}
        other = s.orelse if fwd is s.then else s.then
        for v in need:
            r = Var(v.name, v.type, v.base, v.suffix)
            s.results.append(r)
            fwd.yields.append(v)
            if isinstance(v.type, ArrayT):  # the branch not taken passes an empty array
                ob = Builder(other)
                ob.loc = s.loc
                dt = {"f64": "f64", "f32": "f32", "i64": "i64", "bool": "bool"}[v.type.dtype.name]
                other.yields.append(ob.op("empty", *[const(0)] * v.type.ndim, type=v.type,
                                          dtype=dt))
            else:
                other.yields.append(zero_of(v.type))
            mapping[v] = r
        substitute(rblk, mapping)

    # ------------------------------------------------------------------ loops
    def reverse_loop(self, b: Builder, s, adj: dict) -> None:
        is_for = isinstance(s, For)
        if not is_for:
            self._count_iterations(s)
        act = [k for k, p in enumerate(s.params) if p in self.active]
        # loop variables with buffers carry them through the reversed loop
        passing = {k for k in act if s.params[k] in self.need}
        inner_defs = block_defs(s.body) | set(s.params)
        if is_for:
            inner_defs.add(s.ivar)
        # outer active scalars whose adjoints the reverse body accumulates
        used = block_uses(s.body)
        free_act = [v for v in free_vars(s.body) if v in used and v not in inner_defs
                    and v in self.active and not is_array_var(v)]
        carried_bar = [Var("", s.params[k].type, base=s.params[k], suffix="_bar") for k in act]
        free_bar = [Var("", v.type, base=v, suffix="_bar") for v in free_act]
        rbody = Block()
        rb = Builder(rbody)
        rb.loc = s.loc
        env: dict[Var, Value] = dict(zip(free_act, free_bar))
        preset, extra = {}, []
        for k, c in zip(act, carried_bar):
            y = s.body.yields[k]
            if not isinstance(y, Var) or y not in self.active:
                continue
            if y in self.need:
                if self.home.get(y, (None,))[0] is s.body and y not in preset:
                    preset[y] = c if k in passing else self.buffers.owned(rb, c, y)
                else:
                    extra.append((y, c))
            else:
                env[y] = add(rb, env.get(y), c)
        self.buffers.open(s.body, rb, preset)
        for y, c in extra:
            self.contribute(rb, y, c, env)
        self.reverse_block(s.body, rbody, env)
        zb = Builder(rbody)
        zb.loc = s.loc

        def out(v):
            if v in self.bufs:
                return self.bufs[v]
            a = env.get(v)
            return shaped(zb, a, v) if a is not None else self.buffers.zeros(zb, v)

        rbody.yields = [out(s.params[k]) for k in act] + [out(v) for v in free_act]
        rivar = Var(s.ivar.name if is_for else "_", I64)
        undone = self.restore(s, rbody, rivar)  # counters the reversed loop steps back

        def start(k):
            r = s.results[k]
            if r in self.bufs:  # dead after the loop: the reversed loop may update it
                return self.bufs[r]
            g = adj.pop(r, None)
            if g is None:
                return self.buffers.zeros(b, r)
            if k in passing:
                return self.buffers.owned(b, g, r)
            return shaped(b, g, r)

        inits = [start(k) for k in act]
        inits += [adj.get(v) if adj.get(v) is not None else zero_value(b, v) for v in free_act]
        ret_bar = [Var("", s.params[k].type, base=s.inits[k] if isinstance(s.inits[k], Var)
                       else s.params[k], suffix="_bar") for k in act]
        new_free = [Var("", v.type, base=v, suffix="_bar") for v in free_act]
        params = carried_bar + free_bar + [after for after, _, _ in undone]
        inits += [last for _, last, _ in undone]
        rbody.yields += [now for _, _, now in undone]
        results = ret_bar + new_free + [Var(after.name, after.type) for after, _, _ in undone]
        if is_for:
            rloop = For(rivar, s.start, s.stop, s.step, params, inits, rbody, results,
                        s.loc, reverse=not s.reverse)
        else:
            rloop = For(rivar, const(0), s.results[-1], const(1), params, inits, rbody,
                        results, s.loc)
        b.append(rloop)
        self.after_reversed_loop(b, s, adj, act, ret_bar, free_act, new_free)

    def after_reversed_loop(self, b, s, adj, act, carried_bars, free, free_bars) -> None:
        """The reversed loop's results: the free values' adjoints, then the initial carried
        values' (in that order: an initial value may also be a free value)."""
        for v, r in zip(free, free_bars):
            adj[v] = r
        for k, r in zip(act, carried_bars):
            init = s.inits[k]
            if isinstance(init, Var) and init in self.active:
                if init in self.bufs:
                    b.effect("iadd", self.bufs[init], r)
                else:
                    adj[init] = name_derivative(add(b, adj.get(init), r), init, "_bar")

    def _count_iterations(self, s: While) -> None:
        it = Var("n_iter", I64)
        fb = Builder(s.body)
        fb.loc = s.loc
        nxt = fb.op("add", it, const(1), name="n_iter")
        s.params.append(it)
        s.inits.append(const(0))
        s.body.yields.append(nxt)
        s.results.append(Var("n_iter", I64))

    def _changes_after(self, arr: Var, st: Op) -> bool:
        """An element write may change arr after the read st (statements the transform
        made, e.g. checkpointing's copies of a loop: after arr is defined)."""
        if id(st) in self.aliases.at.pos:
            return self.aliases.written_after(arr, st)
        return arr in self.written

    def restore(self, s, rbody: Block, rivar: Var) -> list:
        """Recompute, or record and restore, the forward values the reverse body reads;
        [(param, init, yield)]: the counters the reversed loop carries."""
        if self.refill is None:  # the forward sweep's loops, as they are by now
            self.refill = Refill(self.fn, self.aliases.pts, self._changes_after)
        return restore(s, rbody, rivar, self._changes_after, self.pairs, self.twins,
                       self.refill)


def adjoint(fn: Function, wrt: list[int], seed: str = "one", checkpoint=None) -> Function:
    return Adjoint(fn, wrt, seed, checkpoint).run()
