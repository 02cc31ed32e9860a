"""Lowering of control flow: if/else with early returns, for and while loops (carried
values, break/continue/return as flags, loop else blocks)."""

from __future__ import annotations

import libcst as cst

from ..ir.builder import const
from ..ir.nodes import Block, Const, For, If, Value, Var, While
from ..ir.types import BOOL, F32, F64, I64, ArrayT, Type, unify
from .syntax import assigned_names, body_of, contains, names_outside
from .values import (
    LoopElse,
    NoneValue,
    PyObject,
    Ret,
    flatten,
    hint_name,
    is_tree,
    structure,
    tree_kind,
    unflatten,
    zero_value,
)


class ControlLowering:
    """Mixed into the Lowerer (frontend/lower.py)."""

    # ---------------------------------------------------------------- if / else
    def if_stmt(self, s: cst.If, env: dict, rest: list) -> Ret | None:
        self.b.loc = self.loc(s)
        cond = self.cond(s.test, env)
        then_stmts = body_of(s) + rest
        if s.orelse is None:
            else_stmts = list(rest)
        elif isinstance(s.orelse, cst.If):
            else_stmts = [s.orelse] + rest
        else:
            else_stmts = body_of(s.orelse) + rest
        return self.branch(s, cond, then_stmts, else_stmts, env)

    def branch(self, node, cond: Value, then_stmts, else_stmts, env: dict) -> Ret | None:
        if isinstance(cond, Const):  # decided at compile time
            return self.stmts(then_stmts if cond.value else else_stmts, env)
        loc = self.b.loc
        envs, rets, blocks = [], [], []
        for stmts in (then_stmts, else_stmts):
            e = dict(env)
            blk = Block()
            with self.b.into(blk):
                r = self.stmts(stmts, e)
            envs.append(e)
            rets.append(r)
            blocks.append(blk)
        self.b.loc = loc
        if rets[0] is not None and rets[1] is not None:
            trees = [r.tree for r in rets]
            if all(isinstance(t, NoneValue) for t in trees):  # the blocks' effects only
                self.merge(node, cond, blocks, [[], []], [])
                return rets[0]
            if structure(trees[0]) != structure(trees[1]):
                self.refuse(node, "the branches return different numbers of values")
            results = self.merge(node, cond, blocks, [flatten(t) for t in trees], ["" for _ in
                                 flatten(trees[0])])
            return Ret(unflatten(structure(trees[0]), results))
        if rets[0] is not None or rets[1] is not None:
            self.refuse(node, "only one branch of this `if` returns a value",
                        "return on every path (add an else branch that returns)")
        # both fall through: merge the names either branch changed
        for n in sorted(set(envs[0]) ^ set(envs[1])):
            if n.startswith("%retv"):  # returned in one branch only: a placeholder in the other
                have, lack = (envs[0], envs[1]) if n in envs[0] else (envs[1], envs[0])
                t = have[n].type
                lack[n] = const(0, t) if t in (I64, BOOL) else const(0.0, t)
                continue
            env.pop(n, None)
            self.loop_locals.add(n)
        names = [n for n in envs[0] if n in envs[1] and
                 (envs[0][n] is not env.get(n) or envs[1][n] is not env.get(n))]
        merged_names, leaves0, leaves1 = [], [], []
        for n in names:
            a, c = envs[0][n], envs[1][n]
            if is_tree(a) or is_tree(c):
                if a is c:
                    env[n] = a
                    continue
                if structure(a) != structure(c):
                    self.refuse(node, f"{n} is {tree_kind(a) if is_tree(a) else 'a number'} of "
                                "another structure in the other branch")
            merged_names.append(n)
            leaves0.append(a)
            leaves1.append(c)
        flat0 = [v for x in leaves0 for v in flatten(x)]
        flat1 = [v for x in leaves1 for v in flatten(x)]
        hints = [n.lstrip("%") for n, x in zip(merged_names, leaves0) for _ in flatten(x)]
        results = self.merge(node, cond, blocks, [flat0, flat1], hints)
        it = iter(results)
        for n, x in zip(merged_names, leaves0):
            env[n] = unflatten(structure(x), [next(it) for _ in flatten(x)])
        return None

    def merge(self, node, cond, blocks, yields, hints) -> list[Var]:
        results = []
        for k in range(len(yields[0])):
            a, c = yields[0][k], yields[1][k]
            if a is c and isinstance(a, Var):
                results.append(a)
                continue
            t = unify(a.type, c.type)
            if t is None:
                self.refuse(node, f"{hints[k] or 'a value'} has type {a.type} in one branch and "
                            f"{c.type} in the other")
            results.append(Var(hints[k], t))
        for blk, ys in zip(blocks, yields):
            with self.b.into(blk):
                blk.yields = [self.coerce(y, r.type) if y is not r else y
                              for y, r in zip(ys, results)]
        fresh = [i for i, (r, a) in enumerate(zip(results, yields[0])) if r is not a or
                 a is not yields[1][i]]
        if not fresh:
            # nothing merges: keep both blocks' statements only if they do something
            pass
        outs = [results[i] for i in fresh]
        for blk in blocks:
            blk.yields = [blk.yields[i] for i in fresh]
        self.b.append(If(cond, blocks[0], blocks[1], outs, self.b.loc))
        return results

    def loop_else(self, le: LoopElse, env: dict, rest: list) -> Ret | None:
        """A loop's `else:` block runs when the loop ended without `break`."""
        body = body_of(le.loop.orelse)
        if le.broke is None:  # the loop has no break: its else always runs
            return self.stmts(body + rest, env)
        self.b.loc = self.loc(le.loop.orelse)
        guard = self.apply("not", [le.broke], le.loop.orelse)
        if contains(body, (cst.Return, cst.Break, cst.Continue), into_loops=False):
            # the else block changes where control goes: the rest follows in both branches
            return self.branch(le.loop.orelse, guard, body + rest, rest, env)
        self.branch(le.loop.orelse, guard, body, [], env)
        return self.stmts(rest, env)

    def after_returning_loop(self, s, env, rest) -> Ret | None:
        """The loop may have returned: its value, else whatever the rest returns."""
        flag = env.pop("%ret")
        n = self.ret_shape.num_leaves if self.has_ret else 0
        if n == 0 or "%retv0" not in env:  # its returns are in branches never taken
            return self.stmts(rest, env)
        leaves = [env.pop(f"%retv{k}") for k in range(n)]
        then = Block([], [])
        other = Block()
        e = dict(env)
        with self.b.into(other):
            r = self.stmts(rest, e)
        if r is None:
            self.refuse(s, f"{self.pf.name} does not return a value on every path",
                        "end the function with `return <expression>`")
        if structure(r.tree) != self.ret_shape:
            self.refuse(s, "the returns in this function return different numbers of values")
        results = self.merge(s, flag, [then, other], [leaves, flatten(r.tree)],
                             ["result"] * n)
        return Ret(unflatten(self.ret_shape, results))

    def coerce(self, v: Value, t: Type) -> Value:
        if v.type == t:
            return v
        if isinstance(v, Const) and not isinstance(t, ArrayT):
            return const(v.value, t) if t in (F64, F32) else Const(v.value, t)
        if isinstance(t, ArrayT) or t in (F64, F32):
            return self.b.op("float", v, type=t) if not isinstance(t, ArrayT) else v
        return v

    def truth(self, v, node) -> Value:
        if is_tree(v):
            return const(bool(v))
        if v.type == BOOL:
            return v
        if isinstance(v.type, ArrayT):
            self.refuse(node, "the truth value of an array is ambiguous",
                        "use np.any(...) / np.all(...) or compare elements")
        if isinstance(v, Const):
            return const(bool(v.value))
        return self.b.op("ne", v, const(0, v.type) if v.type == I64 else const(0.0, v.type))

    # ---------------------------------------------------------------- loops
    def carried(self, stmts, env: dict, node) -> list[str]:
        names = sorted(assigned_names(stmts) & set(env))
        for n in names:
            if is_tree(env[n]):
                what = tree_kind(env[n])
                self.refuse(node, f"{n!r} ({what}) is reassigned inside a loop",
                            "unpack it into separate names before the loop")
        return names

    def for_stmt(self, s: cst.For, env: dict) -> Value | None:
        """Lower a for loop; returns whether it broke off (a bool value), None if it has no
        `break`."""
        it = s.iter
        reverse = False
        if isinstance(it, cst.Call) and self._callee(it.func) is reversed:
            reverse = True
            it = it.args[0].value
        if not (isinstance(it, cst.Call) and self._callee(it.func) is range):
            items = self.expr(it, env)
            if is_tree(items):
                return self.for_tree(s, items, env, reverse)
            self.refuse(it, "only `for i in range(...)` loops (and loops over tuples, lists "
                        "and dicts) are supported",
                        "loop over indices: for i in range(len(a)): ... a[i] ...")
        if not isinstance(s.target, cst.Name):
            self.refuse(s.target, "the loop variable must be a single name")
        rargs = [self.int_value(self.expr(a.value, env), a.value) for a in it.args]
        if not 1 <= len(rargs) <= 3:
            self.refuse(it, "range() takes 1 to 3 arguments")
        start, stop, step = (
            (const(0), rargs[0], const(1)) if len(rargs) == 1 else
            (rargs[0], rargs[1], const(1)) if len(rargs) == 2 else tuple(rargs)
        )
        if isinstance(step, Const) and step.value == 0:
            self.refuse(it, "range() step must not be zero")
        body = body_of(s)
        target = s.target.value
        if contains(body, (cst.Break, cst.Return), into_loops=False):
            return self.for_as_while(s, env, start, stop, step, reverse, body)
        loc = self.loc(s)
        names = self.carried(body, env, s)
        known = all(isinstance(v, Const) for v in (start, stop, step))
        trips = len(range(start.value, stop.value, step.value)) if known else None
        if target in env and target not in names and not known:
            names.append(target)  # after zero trips it keeps its value: carried
        new = [n for n in self.loop_outputs(s, body, env) if n not in names]
        inits = [env[n] for n in names] + [const(False) for _ in new]
        names = names + new
        types = [v.type for v in inits]
        for _ in range(6):  # re-lower until the carried types are stable
            params = [Var(n, t) for n, t in zip(names, types)]
            ivar = Var(target, I64)
            benv = dict(env)
            benv.update(zip(names, params))
            benv[target] = ivar
            blk = Block()
            with self.b.into(blk):
                self.loop_body(body, benv, names, s)
                yields = [benv.get(n) for n in names]
            if self._drop_nonscalar(new, names, inits, types, yields):
                continue
            new_types = [unify(t, y.type) for t, y in zip(types, yields)]
            if self._renew(new, names, inits, types, new_types):
                continue
            if new_types == types:
                break
            if None in new_types:
                bad = names[new_types.index(None)]
                self.refuse(s, f"{bad!r} changes type inside the loop")
            types = new_types
        self.b.loc = loc
        with self.b.into(blk):
            blk.yields = [self.coerce(y, t) for y, t in zip(yields, types)]
        inits = [zero_value(t) if n in new else self.coerce(v, t)
                 for n, v, t in zip(names, inits, types)]
        results = [Var(n, t) for n, t in zip(names, types)]
        self._soft.update((id(r), r) for n, r in zip(names, results) if n in new)
        self.b.append(For(ivar, start, stop, step, params, inits, blk, results, loc, reverse))
        env.update(zip(names, results))
        self._forget_locals(body, env, names)
        if target not in names:
            # Python keeps the last value of the loop variable; where it would raise (zero
            # trips, no value before the loop) s2sad gives start - step
            if known and trips:
                last = start.value if reverse else start.value + (trips - 1) * step.value
                env[target] = const(last)
            elif known and target not in env:
                env[target] = const(start.value if reverse else start.value - step.value)
            elif not known:
                env[target] = self._last_index(start, stop, step, reverse)
        return None

    def for_tree(self, s: cst.For, items, env: dict, reverse: bool) -> None:
        """`for W, b in layers:` over a value tree: unrolled when the code is lowered (its
        length is known), one copy of the body per element."""
        body = body_of(s)
        if contains(body, (cst.Break, cst.Continue, cst.Return), into_loops=False) or \
                s.orelse is not None:
            self.refuse(s, "break, continue, return and else: are not supported in a loop over "
                        f"{tree_kind(items)}", "loop over range(len(...)) instead, or set a flag")
        seq = [PyObject(k) for k in items] if isinstance(items, dict) else list(items)
        for item in reversed(seq) if reverse else seq:
            self.assign(s.target, item, env)
            self.stmts(body, env)
        return None

    def _last_index(self, start, stop, step, reverse) -> Value:
        """The loop variable after `for i in range(start, stop, step)`: its last value;
        start - step after zero trips (reversed: start, its last value)."""
        if reverse:
            return start
        n = self.b.op("trip_count", start, stop, step)
        return self.b.op("add", start, self.b.op("mul", self.b.op("sub", n, const(1)), step))

    def loop_outputs(self, s, body, env) -> list[str]:
        """Names first assigned in a loop's body and read outside it: carried out of the
        loop, as Python keeps their last value (from a zero of their type: after zero trips,
        where Python raises UnboundLocalError)."""
        outside = self._outside.get(id(s))
        if outside is None:
            outside = self._outside[id(s)] = names_outside(self.pf.node, s)
        return sorted(n for n in assigned_names(body) - set(env) if n in outside)

    def _renew(self, new, names, inits, types, new_types) -> bool:
        """A value an earlier loop carried out (a name first assigned there) that this loop
        gives another type: a new name here too, not a change of type; True if any."""
        renew = [k for k, t in enumerate(new_types) if t is None and
                 self._soft.get(id(inits[k])) is inits[k]]
        for k in renew:
            inits[k], types[k] = const(False), BOOL
            new.append(names[k])
        return bool(renew)

    def _drop_nonscalar(self, new, names, inits, types, yields) -> bool:
        """Arrays and tuples first made inside a loop are not carried out of it (they stay
        refused after the loop): drop them from the lists; True if any was dropped."""
        drop = [k for k, (n, y) in enumerate(zip(names, yields)) if n in new and not (
            isinstance(y, Var | Const) and not isinstance(y.type, ArrayT))]
        for k in reversed(drop):
            new.remove(names[k])
            del names[k], inits[k], types[k]
        return bool(drop)

    def check_return_depth(self, s, body) -> None:
        if contains(body, cst.Return, into_loops=False) and self.loop_depth > 0:
            self.refuse(s, "`return` inside a nested loop is not supported",
                        "set a result variable, `break` out of the loops, and return after")

    def loop_body(self, body, benv, names, node) -> None:
        self.loop_depth += 1
        try:
            self._loop_body(body, benv, names, node)
        finally:
            self.loop_depth -= 1

    def _loop_body(self, body, benv, names, node) -> None:
        if contains(body, cst.Continue, into_loops=False):
            benv["%cont"] = const(False)
        r = self.stmts(body, benv)
        benv.pop("%cont", None)
        if r is not None:  # every path through the body returns: it runs at most once
            self.refuse(node, "this loop returns on every path through its body",
                        "write it without the loop, or `break` and return after the loop")

    def _forget_locals(self, body, env, names) -> None:
        for n in assigned_names(body) - set(names):
            env.pop(n, None)
            self.loop_locals.add(n)

    def for_as_while(self, s, env, start, stop, step, reverse, body) -> Value | None:
        """`for` with `break`/`return`: a while loop over the index with a break flag."""
        self.check_return_depth(s, body)
        if not isinstance(step, Const):
            self.refuse(s, "`break` is supported in range loops with a constant step")
        name = s.target.value
        idx = "%i"
        cmp = "lt" if step.value > 0 else "gt"
        if name not in env:  # its value after zero trips (where Python raises)
            env[name] = start if reverse else self.apply("sub", [start, step], s)
        if reverse:  # from the last element of the range back to its start, inclusive
            if isinstance(start, Const) and isinstance(stop, Const):
                n = len(range(start.value, stop.value, step.value))
                last = const(start.value + (n - 1) * step.value)
            else:
                n = self.b.op("trip_count", start, stop, step)
                last = self.b.op("add", start, self.b.op("mul", self.b.op("sub", n, const(1)),
                                                          step), name=name)
            start, stop, step = last, start, const(-step.value)
            cmp = "ge" if step.value < 0 else "le"
        env[idx] = start

        def test(benv):
            c = self.b.op(cmp, benv[idx], stop)
            nb = self.apply("not", [benv["%brk"]], s)
            return self._and(nb, c)

        def before(benv):
            benv[name] = benv[idx]

        def after(benv):
            benv[idx] = self.b.op("add", benv[idx], step, name=name)

        # the loop variable is carried: after the loop it holds its last value (at a break
        # too), or its value from before the loop after zero trips
        broke = self.generic_while(s, env, body, test, before, after, extra=[idx, name])
        env.pop(idx, None)
        return broke

    def while_stmt(self, s: cst.While, env: dict) -> Value | None:
        body = body_of(s)
        self.check_return_depth(s, body)

        def test(benv):
            t = self.cond(s.test, dict(benv))
            if "%brk" not in benv:
                return t
            return self.b.op("and", self.apply("not", [benv["%brk"]], s), t)

        return self.generic_while(s, env, body, test, lambda e: None, lambda e: None, extra=[])

    def generic_while(self, s, env, body, test, before, after, extra) -> Value | None:
        """A while loop; returns its break flag after it (None if it has no break)."""
        has_break = contains(body, (cst.Break, cst.Return), into_loops=False)
        if has_break:
            env["%brk"] = const(False)
            extra = extra + ["%brk"]
        if contains(body, cst.Return, into_loops=False):
            env["%ret"] = const(False)
            extra = extra + ["%ret"]
        loc = self.loc(s)
        names = sorted(set(self.carried(body, env, s)) | set(extra))
        new = [n for n in self.loop_outputs(s, body, env) if n not in names]
        inits = [env[n] for n in names] + [const(False) for _ in new]
        names = names + new
        types = [v.type for v in inits]
        for _ in range(8):
            params = [Var(hint_name(n), t) for n, t in zip(names, types)]
            benv = dict(env)
            benv.update(zip(names, params))
            cblk = Block()
            with self.b.into(cblk):
                self.b.loc = self.loc(getattr(s, "test", s))
                cblk.yields = [test(benv)]
            blk = Block()
            with self.b.into(blk):
                before(benv)
                self.loop_body(body, benv, names, s)
                after(benv)
                yields = [benv.get(n) for n in names]
            if self._drop_nonscalar(new, names, inits, types, yields):
                continue
            new_types = [unify(t, y.type) for t, y in zip(types, yields)]
            if self._renew(new, names, inits, types, new_types):
                continue
            # a `return` inside: its value is carried out of the loop (found on this pass)
            found = sorted(k for k in benv if k.startswith("%retv") and k not in names)
            for k in found:
                v = benv[k]
                if isinstance(v.type, ArrayT):
                    self.refuse(s, "returning an array from inside a loop is not supported",
                                "assign it to a variable, `break`, and return after the loop")
                env[k] = const(0, v.type) if v.type in (I64, BOOL) else const(0.0, v.type)
                names.append(k)
                inits.append(env[k])
                types.append(v.type)
                new_types.append(v.type)
            if new_types == types and not found:
                break
            if None in new_types:
                self.refuse(s, f"{names[new_types.index(None)]!r} changes type inside the loop")
            types = new_types
        self.b.loc = loc
        with self.b.into(blk):
            blk.yields = [self.coerce(y, t) for y, t in zip(yields, types)]
        inits = [zero_value(t) if n in new else self.coerce(v, t)
                 for n, v, t in zip(names, inits, types)]
        results = [Var(hint_name(n), t) for n, t in zip(names, types)]
        self._soft.update((id(r), r) for n, r in zip(names, results) if n in new)
        self.b.append(While(params, inits, cblk, blk, results, loc))
        env.update(zip(names, results))
        broke = env.pop("%brk", None)
        self._forget_locals(body, env, names)
        return broke
