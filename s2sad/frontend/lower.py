"""Lower a Python function (libcst tree) to the IR: three-address form, SSA, structured regions.

Local names map to IR values, or to compile-time tuples of them. Module-level helper
functions are inlined from their own source. Early `return` outside loops is lowered by
moving the statements after an `if` into its branches; `break`/`continue`/`return` in
loops become flags, so the IR has only structured regions.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import libcst as cst
import numpy as np

from ..errors import BadArguments, NoRuleError, S2SADError, TypeMismatch, UnsupportedSyntax
from ..ir.builder import Builder, const
from ..ir.nodes import Block, Const, For, Function, If, Value, Var, While
from ..ir.primitives import CALLABLES, NAMED_CONSTANTS, PRIMS
from ..ir.types import BOOL, F32, F64, I64, ArrayT, Scalar, Type, elem, is_float, unify
from . import nested, resolve
from .arrays import ArrayLowering, BoundMethod
from .free import FreeRef, FreeValues, is_bound_kind, object_ref
from .source import ParsedFunction, parse_function
from .subset import BANNED_CALLS, REFUSED

MAX_INLINE_DEPTH = 20

_BINOPS = {
    cst.Add: "add", cst.Subtract: "sub", cst.Multiply: "mul", cst.Divide: "div",
    cst.FloorDivide: "floordiv", cst.Modulo: "mod", cst.Power: "pow",
    cst.MatrixMultiply: "matmul",
}
_AUGOPS = {
    cst.AddAssign: "add", cst.SubtractAssign: "sub", cst.MultiplyAssign: "mul",
    cst.DivideAssign: "div", cst.FloorDivideAssign: "floordiv", cst.ModuloAssign: "mod",
    cst.PowerAssign: "pow", cst.MatrixMultiplyAssign: "matmul",
}
_CMPOPS = {
    cst.LessThan: "lt", cst.LessThanEqual: "le", cst.GreaterThan: "gt",
    cst.GreaterThanEqual: "ge", cst.Equal: "eq", cst.NotEqual: "ne",
}
_STOP_GRADIENT = object()  # sentinel: s2sad.stop_gradient resolves to this


def stop_gradient_marker():
    return _STOP_GRADIENT


@dataclass
class Ret:
    """A statement list that returned: the returned value tree."""

    tree: object


_STOP = object()  # a statement list ended in break/continue


@dataclass
class _LoopElse:
    """In a statement list: the `else:` block of the loop before it (`broke`: whether the
    loop ended in a break, None if it has none)."""

    loop: object
    broke: object
_CONTROL = ("%brk", "%cont", "%ret", "%i")  # a loop's flags and index (and "%retv<k>")


def _hint(name: str) -> str:
    """Readable names for the lowering's own variables (%brk -> brk, %retv0 -> result)."""
    if name.startswith("%retv"):
        k = int(name[5:])
        return "result" if k == 0 else f"result_{k}"
    return name.lstrip("%") or "i"


def flatten(tree) -> list[Value]:
    if isinstance(tree, tuple):
        return [v for t in tree for v in flatten(t)]
    return [tree]


def structure(tree):
    """The nesting of a value tree, with leaves replaced by None."""
    if isinstance(tree, tuple):
        return tuple(structure(t) for t in tree)
    return None


def unflatten(shape, leaves: list):
    it = iter(leaves)

    def build(s):
        if isinstance(s, tuple):
            return tuple(build(x) for x in s)
        return next(it)

    return build(shape)


def assigned_names(stmts) -> set[str]:
    """Names a statement list (and its nested blocks) assigns to."""
    out: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_AssignTarget(self, node):
            _target_names(node.target, out)

        def visit_AugAssign(self, node):
            _target_names(node.target, out)

        def visit_AnnAssign(self, node):
            _target_names(node.target, out)

        def visit_For(self, node):
            _target_names(node.target, out)

        def visit_FunctionDef(self, node):
            return False

    for s in stmts:
        s.visit(V())
    return out


def _names_outside(fn_node, loop) -> set[str]:
    """The names that occur in a function outside one of its loops."""
    out: set[str] = set()

    class V(cst.CSTVisitor):
        def on_visit(self, node):
            if node is loop:
                return False
            if isinstance(node, cst.Name):
                out.add(node.value)
            return True

    fn_node.visit(V())
    return out


def _zero(t: Type) -> Const:
    return const(False) if t == BOOL else const(0, t) if t == I64 else const(0.0, t)


def _target_names(t, out: set[str]) -> None:
    if isinstance(t, cst.Name):
        out.add(t.value)
    elif isinstance(t, (cst.Tuple, cst.List)):
        for el in t.elements:
            _target_names(el.value, out)


def _contains(stmts, kinds, into_loops: bool) -> bool:
    found = False

    class V(cst.CSTVisitor):
        def on_visit(self, node):
            nonlocal found
            if isinstance(node, kinds):
                found = True
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                return False
            if not into_loops and isinstance(node, (cst.For, cst.While)):
                if node.orelse is not None:  # a loop's `else:` runs at the level around it
                    node.orelse.visit(self)
                return False
            return not found

    for s in stmts:
        s.visit(V())
    return found


def _body(node) -> list:
    """The statements of an indented block or a one-line suite (`def f(x): return x`)."""
    b = node.body
    if isinstance(b, cst.IndentedBlock):
        return list(b.body)
    return [cst.SimpleStatementLine(body=b.body)]


class Lowerer(ArrayLowering):
    """Lowers one function (and, recursively, the helpers it calls)."""

    def __init__(self, pf: ParsedFunction, builder: Builder, depth: int = 0,
                 free: FreeValues | None = None):
        self.pf = pf
        self.fn = pf.fn
        self.b = builder
        self.depth = depth
        self.free = free if free is not None else FreeValues()
        self.loop_locals: set[str] = set()
        self._outside: dict = {}  # id(loop node) -> names used outside that loop
        self._soft: dict = {}  # id -> result of a loop for a name first assigned inside it
        self.loop_depth = 0
        self.ret_shape = None  # structure of values returned from inside a loop
        self.has_ret = False
        self.returns_none = False  # a helper that returns no value (its value is None)
        self._broke = None  # whether the loop just lowered broke off (for its `else:`)

    # ---------------------------------------------------------------- errors
    def loc(self, node):
        return self.pf.loc(node)

    def refuse(self, node, msg, hint=None, cls=UnsupportedSyntax):
        if hint is None:
            hint = "see docs/subset.md for the Python subset s2sad differentiates"
        raise cls(msg, self.loc(node), hint)

    # ---------------------------------------------------------------- entry
    def lower_function(self, args: list, kw: dict | None = None, call=None,
                       caller: Lowerer | None = None) -> object:
        """Bind parameters to `args`/`kw` (values or tuples), lower the body, return the tree.

        `call`/`caller`: the call site of a helper, where binding errors point."""
        node = self.pf.node
        env = self.bind_params(node, args, kw or {}, call, caller)
        if isinstance(node, cst.Lambda):
            self.b.loc = self.loc(node.body)
            return self.expr(node.body, env)
        body = self._strip_docstring(_body(node))
        if self.depth > 0 and _returns_none(body):
            # a helper without `return <value>` (it fills an array): its value is None
            self.returns_none = True
            body = body + [cst.SimpleStatementLine([cst.Return(None)])]
        out = self.stmts(body, env)
        if out is None:
            self.refuse(node, f"{self.pf.name} does not return a value on every path",
                        "end the function with `return <expression>`")
        return out.tree

    @staticmethod
    def _strip_docstring(stmts):
        if stmts and isinstance(stmts[0], cst.SimpleStatementLine):
            first = stmts[0].body[0]
            if isinstance(first, cst.Expr) and isinstance(
                first.value, (cst.SimpleString, cst.ConcatenatedString)
            ):
                return stmts[1:]
        return stmts

    def bind_params(self, node, args: list, kw: dict, call=None, caller=None) -> dict:
        """Python's binding of a call's arguments to the parameters; defaults (evaluated in
        the function's own module) fill the parameters the call does not give."""
        params = node.params
        for bad, what in ((params.star_arg, "*args"), (params.star_kwarg, "**kwargs")):
            if bad not in (None, cst.MaybeSentinel.DEFAULT) and isinstance(bad, cst.Param):
                self.refuse(bad, f"{what} parameters are not supported",
                            "list the parameters explicitly")

        def fail(msg):
            if caller is not None:
                caller.refuse(call, msg, cls=BadArguments)
            self.refuse(node, msg, cls=BadArguments)

        positional = list(params.posonly_params) + list(params.params)
        allp = positional + list(params.kwonly_params)
        names = [p.name.value for p in allp]
        if len(args) > len(positional):
            fail(f"{self.pf.name}() takes {len(positional)} positional argument(s), got "
                 f"{len(args)}")
        env: dict = {p.name.value: a for p, a in zip(positional, args)}
        posonly = {p.name.value for p in params.posonly_params}
        for k, v in kw.items():
            if k not in names or k in posonly:
                fail(f"{self.pf.name}() got an unexpected keyword argument {k!r}")
            if k in env:
                fail(f"{self.pf.name}() got multiple values for argument {k!r}")
            env[k] = v
        for p in allp:
            name = p.name.value
            if name in env:
                continue
            if p.default is None:
                fail(f"{self.pf.name}() missing argument {name!r}")
            env[name] = self.expr(p.default, {})
        return {n: env[n] for n in names}

    # ---------------------------------------------------------------- statements
    def stmts(self, stmts: list, env: dict) -> Ret | None:
        for i, s in enumerate(stmts):
            if isinstance(s, _LoopElse):
                return self.loop_else(s, env, stmts[i + 1:])
            if isinstance(s, cst.If) and _contains([s], cst.Return, into_loops=True):
                # (a return in a loop in the `if` too: the loop may return or fall through)
                # early return: the statements after the `if` continue in its branches
                return self.if_stmt(s, env, rest=stmts[i + 1 :])
            out = self.stmt(s, env)
            if out is _STOP:
                return None  # after break/continue: the rest of this block is dead
            if out is not None:
                return out
            rest = stmts[i + 1:]
            if isinstance(s, (cst.For, cst.While)) and s.orelse is not None:
                rest = [_LoopElse(s, self._broke)] + rest
            if isinstance(s, (cst.For, cst.While)) and "%ret" in env and \
                    _contains(_body(s), cst.Return, into_loops=False):
                return self.after_returning_loop(s, env, rest)
            if isinstance(s, (cst.For, cst.While)) and s.orelse is not None:
                return self.stmts(rest, env)
            if rest and _contains([s], (cst.Break, cst.Continue), into_loops=False):
                # the rest runs only if neither break nor continue happened
                flags = [env[f] for f in ("%brk", "%cont") if f in env]
                guard = None
                for f in flags:
                    nf = self.apply("not", [f], s)
                    guard = nf if guard is None else self._and(guard, nf)
                if guard is not None:
                    return self.branch(s, guard, rest, [], env)
        return None

    def stmt(self, s, env: dict) -> Ret | None:
        self.b.loc = self.loc(s)
        if isinstance(s, cst.SimpleStatementLine):
            for small in s.body:
                self.b.loc = self.loc(small)
                out = self.small_stmt(small, env)
                if out is not None:
                    return out
            return None
        if isinstance(s, cst.If):
            return self.if_stmt(s, env, rest=[])
        if isinstance(s, (cst.For, cst.While)):
            # an enclosing loop's break/continue/return flags and index are not this loop's:
            # hidden while it is lowered (a nested loop would reset or drop them), then back
            saved = {k: env.pop(k) for k in list(env) if k in _CONTROL or
                     k.startswith("%retv")}
            if isinstance(s, cst.For):
                self._broke = self.for_stmt(s, env)
            else:
                self._broke = self.while_stmt(s, env)
            env.update(saved)
            return None
        self._refuse_node(s)

    def _refuse_node(self, node):
        for kind, (msg, hint) in REFUSED.items():
            if isinstance(node, kind):
                self.refuse(node, msg, hint)
        self.refuse(node, f"{type(node).__name__} is not supported by s2sad",
                    "see docs/subset.md for the Python subset s2sad differentiates")

    def small_stmt(self, s, env: dict) -> Ret | None:
        if isinstance(s, cst.Return):
            if self.returns_none:
                if "%ret" in env:
                    self.refuse(s, "`return` without a value inside a loop is not supported",
                                "`break` out of the loop instead")
                return Ret(_NoneValue(self.pf.name))
            if s.value is None:
                self.refuse(s, "a differentiated function must return a value")
            value = self.expr(s.value, env)
            if "%ret" in env:  # inside a loop: remember the value, leave the loop
                if self.has_ret and structure(value) != self.ret_shape:
                    self.refuse(s, "the returns in this function return different numbers "
                                "of values")
                self.ret_shape, self.has_ret = structure(value), True
                for k, leaf in enumerate(flatten(value)):
                    env[f"%retv{k}"] = leaf
                env["%ret"] = const(True)
                env["%brk"] = const(True)
                return _STOP
            return Ret(value)
        if isinstance(s, cst.Assign):
            value = self.expr(s.value, env)
            for t in s.targets:
                self.assign(t.target, value, env)
            return None
        if isinstance(s, cst.AnnAssign):
            if s.value is not None:
                self.assign(s.target, self.expr(s.value, env), env)
            return None
        if isinstance(s, cst.AugAssign):
            op = _AUGOPS.get(type(s.operator))
            if op is None:
                self.refuse(s, "this augmented assignment is not supported")
            if isinstance(s.target, cst.Subscript) and self.index_spec(s.target, env) is not None:
                old = self.subscript(s.target, env)
                new = self.binop(op, old, self.expr(s.value, env), s)
                self.assign(s.target, new, env)
                return None
            if isinstance(s.target, cst.Subscript):
                arr, idx = self.subscript_parts(s.target, env)
                old = self.load(s.target, arr, idx)
                new = self.binop(op, old, self.expr(s.value, env), s)
                self.store(s.target, arr, idx, new)
                return None
            cur = self.expr(s.target, env)
            if isinstance(cur, Var) and isinstance(cur.type, ArrayT):
                # NumPy's a += v is in place: every name bound to that array sees it
                val = self.expr(s.value, env)
                if op not in ("add", "sub"):
                    self.refuse(s, f"in-place `{op}` on an array is not supported",
                                f"write it out: a = a {PRIMS[op].infix} value")
                if op == "sub":
                    val = self.apply("neg", [val], s)
                self.b.effect("iadd", cur, val)
                return None
            self.assign(s.target, self.binop(op, cur, self.expr(s.value, env), s), env)
            return None
        if isinstance(s, cst.Expr):
            if isinstance(s.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)):
                return None  # docstring or `...`
            self.expr(s.value, env)  # evaluated for errors; the value is dropped
            return None
        if isinstance(s, cst.Pass):
            return None
        if isinstance(s, (cst.Break, cst.Continue)):
            flag = "%brk" if isinstance(s, cst.Break) else "%cont"
            if flag not in env:
                self.refuse(s, f"`{'break' if flag == '%brk' else 'continue'}` outside a loop")
            env[flag] = const(True)
            return _STOP
        self._refuse_node(s)

    def assign(self, target, value, env: dict) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            if isinstance(value, Var) and not value.name and value.base is None:
                value.name = name
            env[name] = value
            self.loop_locals.discard(name)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elts = [e.value for e in target.elements]
            if any(isinstance(e, cst.StarredElement) for e in target.elements):
                self.refuse(target, "starred assignment is not supported")
            if not isinstance(value, tuple):
                if isinstance(value, Var) and isinstance(value.type, ArrayT):
                    value = tuple(self.load(target, value, [const(k)]) for k in range(len(elts)))
                else:
                    self.refuse(target, "cannot unpack a non-tuple value")
            if len(value) != len(elts):
                self.refuse(target, f"cannot unpack {len(value)} values into {len(elts)} names")
            for t, v in zip(elts, value):
                self.assign(t, v, env)
        elif isinstance(target, cst.Subscript):
            sliced = self.index_spec(target, env)
            if sliced is not None:
                self.slice_store(target, self.expr(target.value, env), *sliced, value)
                return
            arr, idx = self.subscript_parts(target, env)
            self.store(target, arr, idx, value)
        elif isinstance(target, cst.Attribute):
            self.refuse(target, "assigning to an attribute cannot be differentiated",
                        "return the new value instead of mutating an object")
        else:
            self.refuse(target, f"cannot assign to {type(target).__name__}")

    # ---------------------------------------------------------------- if / else
    def if_stmt(self, s: cst.If, env: dict, rest: list) -> Ret | None:
        self.b.loc = self.loc(s)
        cond = self.cond(s.test, env)
        then_stmts = _body(s) + rest
        if s.orelse is None:
            else_stmts = list(rest)
        elif isinstance(s.orelse, cst.If):
            else_stmts = [s.orelse] + rest
        else:
            else_stmts = _body(s.orelse) + rest
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
            if all(isinstance(t, _NoneValue) for t in trees):  # the blocks' effects only
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
            if isinstance(a, tuple) or isinstance(c, tuple):
                if a is c:
                    env[n] = a
                    continue
                if structure(a) != structure(c):
                    self.refuse(node, f"{n} is a tuple of different lengths in the branches")
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

    def loop_else(self, le: _LoopElse, env: dict, rest: list) -> Ret | None:
        """A loop's `else:` block runs when the loop ended without `break`."""
        body = _body(le.loop.orelse)
        if le.broke is None:  # the loop has no break: its else always runs
            return self.stmts(body + rest, env)
        self.b.loc = self.loc(le.loop.orelse)
        guard = self.apply("not", [le.broke], le.loop.orelse)
        if _contains(body, (cst.Return, cst.Break, cst.Continue), into_loops=False):
            # the else block changes where control goes: the rest follows in both branches
            return self.branch(le.loop.orelse, guard, body + rest, rest, env)
        self.branch(le.loop.orelse, guard, body, [], env)
        return self.stmts(rest, env)

    def after_returning_loop(self, s, env, rest) -> Ret | None:
        """The loop may have returned: its value, else whatever the rest returns."""
        flag = env.pop("%ret")
        n = len(flatten(unflatten(self.ret_shape, [None] * 64))) if self.has_ret else 0
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
        if isinstance(v, tuple):
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
            if isinstance(env[n], tuple):
                self.refuse(node, f"the tuple {n!r} is reassigned inside a loop",
                            "unpack it into separate names before the loop")
        return names

    def for_stmt(self, s: cst.For, env: dict) -> Value | None:
        """Lower a for loop; returns whether it broke off (a bool value), None if it has no
        `break`."""
        if not isinstance(s.target, cst.Name):
            self.refuse(s.target, "the loop variable must be a single name")
        it = s.iter
        reverse = False
        if isinstance(it, cst.Call) and self._callee(it.func) is reversed:
            reverse = True
            it = it.args[0].value
        if not (isinstance(it, cst.Call) and self._callee(it.func) is range):
            self.refuse(s.iter, "only `for i in range(...)` loops are supported",
                        "loop over indices: for i in range(len(a)): ... a[i] ...")
        rargs = [self.int_value(self.expr(a.value, env), a.value) for a in it.args]
        if not 1 <= len(rargs) <= 3:
            self.refuse(it, "range() takes 1 to 3 arguments")
        start, stop, step = (
            (const(0), rargs[0], const(1)) if len(rargs) == 1 else
            (rargs[0], rargs[1], const(1)) if len(rargs) == 2 else tuple(rargs)
        )
        if isinstance(step, Const) and step.value == 0:
            self.refuse(it, "range() step must not be zero")
        body = _body(s)
        target = s.target.value
        if _contains(body, (cst.Break, cst.Return), into_loops=False):
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
        inits = [_zero(t) if n in new else self.coerce(v, t)
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
            outside = self._outside[id(s)] = _names_outside(self.pf.node, s)
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
        if _contains(body, cst.Return, into_loops=False) and self.loop_depth > 0:
            self.refuse(s, "`return` inside a nested loop is not supported",
                        "set a result variable, `break` out of the loops, and return after")

    def loop_body(self, body, benv, names, node) -> None:
        self.loop_depth += 1
        try:
            self._loop_body(body, benv, names, node)
        finally:
            self.loop_depth -= 1

    def _loop_body(self, body, benv, names, node) -> None:
        if _contains(body, cst.Continue, into_loops=False):
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
        body = _body(s)
        self.check_return_depth(s, body)

        def test(benv):
            t = self.cond(s.test, dict(benv))
            if "%brk" not in benv:
                return t
            return self.b.op("and", self.apply("not", [benv["%brk"]], s), t)

        return self.generic_while(s, env, body, test, lambda e: None, lambda e: None, extra=[])

    def generic_while(self, s, env, body, test, before, after, extra) -> Value | None:
        """A while loop; returns its break flag after it (None if it has no break)."""
        has_break = _contains(body, (cst.Break, cst.Return), into_loops=False)
        if has_break:
            env["%brk"] = const(False)
            extra = extra + ["%brk"]
        if _contains(body, cst.Return, into_loops=False):
            env["%ret"] = const(False)
            extra = extra + ["%ret"]
        loc = self.loc(s)
        names = sorted(set(self.carried(body, env, s)) | set(extra))
        new = [n for n in self.loop_outputs(s, body, env) if n not in names]
        inits = [env[n] for n in names] + [const(False) for _ in new]
        names = names + new
        types = [v.type for v in inits]
        for _ in range(8):
            params = [Var(_hint(n), t) for n, t in zip(names, types)]
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
        inits = [_zero(t) if n in new else self.coerce(v, t)
                 for n, v, t in zip(names, inits, types)]
        results = [Var(_hint(n), t) for n, t in zip(names, types)]
        self._soft.update((id(r), r) for n, r in zip(names, results) if n in new)
        self.b.append(While(params, inits, cblk, blk, results, loc))
        env.update(zip(names, results))
        broke = env.pop("%brk", None)
        self._forget_locals(body, env, names)
        return broke

    # ---------------------------------------------------------------- expressions
    def expr(self, e, env: dict):
        if isinstance(e, cst.Integer):
            return const(int(e.value.replace("_", ""), 0))
        if isinstance(e, cst.Float):
            return const(float(e.value.replace("_", "")))
        if isinstance(e, cst.Imaginary):
            self.refuse(e, "complex numbers are not supported",
                        "split the value into real and imaginary float parts")
        if isinstance(e, cst.Name):
            return self.name(e, env)
        if isinstance(e, cst.Tuple):
            return tuple(self.expr(el.value, env) for el in e.elements)
        if isinstance(e, cst.BinaryOperation):
            op = _BINOPS.get(type(e.operator))
            if op is None:
                self.refuse(e, f"operator {type(e.operator).__name__} is not supported")
            return self.binop(op, self.expr(e.left, env), self.expr(e.right, env), e)
        if isinstance(e, cst.UnaryOperation):
            if isinstance(e.operator, cst.Not):
                return self.apply("not", [self.cond(e.expression, env)], e)
            v = self.expr(e.expression, env)
            if isinstance(e.operator, cst.Minus):
                return self.apply("neg", [v], e)
            if isinstance(e.operator, cst.Plus):
                return v
            self.refuse(e, "bitwise operators are not supported",
                        "use `not`, `and`, `or` on conditions, or arithmetic on numbers")
        if isinstance(e, cst.Comparison):
            return self.comparison(e, env)
        if isinstance(e, cst.BooleanOperation):
            return self.boolop(e, env)
        if isinstance(e, cst.IfExp):
            return self.ifexp(e, env)
        if isinstance(e, cst.Call):
            return self.call(e, env)
        if isinstance(e, cst.Attribute):
            return self.attribute(e, env)
        if isinstance(e, cst.Subscript):
            return self.subscript(e, env)
        self._refuse_node(e)

    def name(self, e: cst.Name, env: dict):
        n = e.value
        if n in env:
            return env[n]
        if n in self.loop_locals:
            self.refuse(e, f"{n!r} may be undefined here (it is assigned only inside a loop or "
                        "one branch)", f"assign {n} before the loop or in every branch")
        obj = resolve.lookup(self.fn, n)
        if resolve.is_missing(obj):
            self.refuse(e, f"name {n!r} is not defined", "define it at module level or pass "
                        "it in as an argument", cls=S2SADError)
        return self.pyconst(obj, e, resolve.where(self.fn, n))

    def pyconst(self, obj, node, ref: FreeRef | None):
        """A value from outside the function (module level, a closure, an attribute):
        arrays and floats are bound (read at every call), ints and bools are folded and
        guarded (see frontend/free.py), other objects are resolved now."""
        if ref is not None and is_bound_kind(obj):
            if isinstance(obj, np.ndarray) and obj.dtype.kind not in "fiub":
                self.refuse(node, f"{ref.name} is an array of dtype {obj.dtype}, which s2sad "
                            "cannot differentiate through", "use float64, float32, int or bool "
                            "arrays", cls=TypeMismatch)
            return self.free.bind(ref, obj)
        if isinstance(obj, bool | np.bool_ | int | np.integer) and ref is not None:
            self.free.guard(ref, obj)
        if isinstance(obj, bool | np.bool_):
            return const(bool(obj))
        if isinstance(obj, int | np.integer):
            return const(int(obj))
        if isinstance(obj, float | np.floating):
            return const(float(obj), F32 if isinstance(obj, np.float32) else F64)
        if isinstance(obj, np.ndarray):
            self.refuse(node, "this array cannot be read here", cls=TypeMismatch)
        if isinstance(obj, tuple):
            if ref is not None:
                self.free.guard(ref, len(obj), "len")
            return tuple(self.pyconst(o, node, ref.child(k) if ref is not None else None)
                         for k, o in enumerate(obj))
        if isinstance(obj, str):
            self.refuse(node, "strings are not supported on the differentiated path",
                        "remove string operations from the function you differentiate",
                        cls=TypeMismatch)
        return _PyObject(obj, ref)

    def attribute(self, e: cst.Attribute, env: dict):
        base = self.expr(e.value, env)
        attr = e.attr.value
        if isinstance(base, _PyObject):
            obj = base.obj
            if _hashable(obj) and (obj, attr) in NAMED_CONSTANTS:
                return const(NAMED_CONSTANTS[(obj, attr)])
            if not hasattr(obj, attr):
                self.refuse(e, f"{getattr(obj, '__name__', obj)!r} has no attribute {attr!r}",
                            cls=S2SADError)
            ref = base.ref.child(attr) if base.ref is not None and \
                not resolve.is_library_module(obj) else None
            return self.pyconst(getattr(obj, attr), e, ref)
        if isinstance(base, Var | Const) and isinstance(base.type, ArrayT):
            return self.array_attribute(e, base, attr)
        if isinstance(base, Var | Const) and attr in ("real",):
            return base
        self.refuse(e, f"attribute {attr!r} of a {getattr(base, 'type', 'tuple')} value is not "
                    "supported")

    def _callee(self, func):
        """The Python object a call's function expression names, or None."""
        try:
            v = self.expr(func, {})
        except S2SADError:
            return None
        return v.obj if isinstance(v, _PyObject) else None

    # ---------------------------------------------------------------- operators
    def apply(self, prim: str, args: list, node, **attrs) -> Value:
        for a in args:
            if isinstance(a, tuple):
                self.refuse(node, f"{prim} of a tuple is not supported", cls=TypeMismatch)
            if isinstance(a, _NoneValue):
                self.refuse(node, f"{a.origin}() returns None (it has no `return <value>`); "
                            "None cannot be used as a number",
                            f"call {a.origin}(...) as a statement, or return a value from it",
                            cls=TypeMismatch)
            if isinstance(a, _PyObject):
                self.refuse(node, f"{a.obj!r} cannot be used as a number", cls=TypeMismatch)
        folded = _fold(prim, args)
        if folded is not None:
            return folded
        return self.b.op(prim, *args, **attrs)

    def binop(self, op: str, a, c, node) -> Value:
        if op == "matmul":
            arrays = all(isinstance(v, Var | Const) and isinstance(v.type, ArrayT) for v in (a, c))
            if not arrays:
                self.refuse(node, "`@` (matrix multiplication) needs arrays, not scalars",
                            "use * for scalars")
            return self.array_call(node, "matmul", [a, c], {})
        if op == "pow" and isinstance(c, Const) and c.type == I64 and c.value >= 0:
            return self.apply("pow", [a, c], node, nonneg_int_exponent=True)
        if op in ("floordiv", "mod") and isinstance(a, Value) and isinstance(c, Value):
            pass
        if isinstance(a, tuple) and isinstance(c, tuple) and op == "add":
            return a + c
        return self.apply(op, [a, c], node)

    def comparison(self, e: cst.Comparison, env: dict):
        left = self.expr(e.left, env)
        result = None
        for target in e.comparisons:
            op = _CMPOPS.get(type(target.operator))
            if op is None:
                self.refuse(e, f"comparison {type(target.operator).__name__} is not supported")
            right = self.expr(target.comparator, env)
            c = self.apply(op, [left, right], e)
            result = c if result is None else self._and(result, c)
            left = right
        return result

    def _and(self, a: Value, c: Value) -> Value:
        if isinstance(a, Const):
            return c if a.value else a
        return self.b.op("and", a, c)  # both already computed

    def cond(self, e, env: dict) -> Value:
        """`e` used as a condition (an if/while test, an operand of `not`): a bool.

        Here `a or b` / `a and b` need only the truth of their operands, so they lower to
        boolean logic; as values they are conditional expressions (boolop)."""
        if isinstance(e, cst.BooleanOperation):
            return self.boolop_cond(e, env)
        if isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not):
            return self.apply("not", [self.cond(e.expression, env)], e)
        return self.truth(self.expr(e, env), e)

    def boolop_cond(self, e: cst.BooleanOperation, env: dict) -> Value:
        """`a and b` / `a or b` as a condition, short-circuiting (b lowered in a branch)."""
        left = self.cond(e.left, env)
        is_and = isinstance(e.operator, cst.And)
        if isinstance(left, Const):
            if bool(left.value) == is_and:
                return self.cond(e.right, env)
            return left
        blk = Block()
        with self.b.into(blk):
            right = self.cond(e.right, env)
            blk.yields = [right]
        if not blk.stmts:  # nothing to evaluate lazily
            return self.b.op("and" if is_and else "or", left, right)
        other = Block([], [const(not is_and)])
        out = Var("", BOOL)
        then, orelse = (blk, other) if is_and else (other, blk)
        self.b.append(If(left, then, orelse, [out], self.loc(e)))
        return out

    def boolop(self, e: cst.BooleanOperation, env: dict):
        """`a or b` as a value is `a if a else b`, `a and b` is `b if a else a`: the operand
        itself, not a bool; b is evaluated only when needed (lowered in a branch)."""
        if self._all_bool(e, env):
            return self.boolop_cond(e, env)
        is_and = isinstance(e.operator, cst.And)
        left = self.expr(e.left, env)
        if isinstance(left, tuple) or isinstance(left, _PyObject):
            self.refuse(e.left, f"`{'and' if is_and else 'or'}` on a "
                        f"{'tuple' if isinstance(left, tuple) else 'non-numeric value'} is not "
                        "supported", "compare numbers instead", cls=TypeMismatch)
        t = self.truth(left, e.left)
        if isinstance(t, Const):  # decided at compile time
            return self.expr(e.right, env) if bool(t.value) == is_and else left
        # the left operand is the result only when it is truthy (or) / falsy (and): a bool
        # operand then has a known value
        kept = const(not is_and) if left.type == BOOL else left
        blk = Block()
        with self.b.into(blk):
            right = self.expr(e.right, env)
        if isinstance(right, tuple) or isinstance(right, _PyObject):
            self.refuse(e.right, "this operand of `and`/`or` is not a number", cls=TypeMismatch)
        if unify(left.type, right.type) is None:
            self.refuse(e, f"`{'and' if is_and else 'or'}` returns one of its operands, here a "
                        f"{left.type} or a {right.type}, which cannot be one value",
                        "write a conditional expression (a if c else b) whose two sides have "
                        "one type", cls=TypeMismatch)
        blocks = [blk, Block()] if is_and else [Block(), blk]
        vals = [right, kept] if is_and else [kept, right]
        return self.merge(e, t, blocks, [[vals[0]], [vals[1]]], [""])[0]

    def _all_bool(self, e, env) -> bool:
        """Every operand of a chain of `and`/`or` is a comparison or a bool value, so the
        value is the boolean logic of the operands (no type to merge)."""
        if isinstance(e, cst.BooleanOperation):
            return self._all_bool(e.left, env) and self._all_bool(e.right, env)
        if isinstance(e, (cst.Comparison,)) or (
                isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not)):
            return True
        if isinstance(e, cst.Name) and e.value in env:
            v = env[e.value]
            return isinstance(v, Var | Const) and v.type == BOOL
        return isinstance(e, cst.Name) and e.value in ("True", "False")

    def ifexp(self, e: cst.IfExp, env: dict):
        cond = self.cond(e.test, env)
        if isinstance(cond, Const):
            return self.expr(e.body if cond.value else e.orelse, env)
        blocks, vals = [], []
        for sub in (e.body, e.orelse):
            blk = Block()
            with self.b.into(blk):
                vals.append(self.expr(sub, env))
            blocks.append(blk)
        if isinstance(vals[0], tuple) or isinstance(vals[1], tuple):
            self.refuse(e, "conditional expressions choosing between tuples are not supported")
        return self.merge(e, cond, blocks, [[vals[0]], [vals[1]]], [""])[0]

    # ---------------------------------------------------------------- calls
    def call(self, e: cst.Call, env: dict):
        fv = self.expr(e.func, env)
        if isinstance(fv, BoundMethod):
            pos, kw = self.call_args(e, env)
            return self.call_method(e, fv, pos, kw)
        if not isinstance(fv, _PyObject):
            self.refuse(e.func, "this value is not callable", cls=TypeMismatch)
        obj = fv.obj
        if nested.is_derivative(obj):  # nested AD: the derivative's IR, inlined
            pos = [self.expr(a.value, env) for a in e.args]
            types = tuple(v.type for v in pos if isinstance(v, Var | Const))
            if len(types) != len(pos) or any(a.keyword or a.star for a in e.args):
                self.refuse(e, "call a differentiated function with positional numbers")
            ir, free = nested.derivative_ir(obj, types)
            saved = self.b.loc
            out = nested.inline(self.b, ir, free, pos, self.free)
            self.b.loc = saved
            return out
        known = _hashable(obj) and (obj in CALLABLES or obj in _TUPLE_CALLS)
        if not known:  # a Numba dispatcher or a decorated user function: lower the inside
            obj = resolve.unwrap(obj)
        name = getattr(obj, "__name__", "")
        if name in BANNED_CALLS and getattr(obj, "__module__", None) == "builtins":
            self.refuse(e, f"{name}() cannot be differentiated", BANNED_CALLS[name],
                        cls=UnsupportedSyntax)
        pos, kw = self.call_args(e, env)
        name = getattr(obj, "__name__", "")
        if obj is _STOP_GRADIENT or getattr(obj, "_s2sad_stop_gradient", False):
            return self.apply("stop_gradient", pos, e)
        if not known and resolve.is_user_function(obj):
            return self.inline(e, obj, pos, kw)
        if inspect.ismethod(obj) and resolve.is_user_function(obj.__func__):  # self.helper(x)
            ref = fv.ref.parent() if fv.ref is not None and fv.ref.path else None
            return self.inline(e, obj.__func__, [_PyObject(obj.__self__, ref), *pos], kw)
        if obj is math.log and len(pos) == 2:
            return self.apply("div", [self.apply("log", [pos[0]], e),
                                      self.apply("log", [pos[1]], e)], e)
        if obj is pow or obj is math.pow:
            return self.binop("pow" if obj is pow else "fpow", pos[0], pos[1], e)
        if obj in (min, max) and len(pos) >= 2 and not kw:
            acc = pos[0]
            for v in pos[1:]:
                acc = self.apply(obj.__name__, [acc, v], e)
            return acc
        if obj is float and len(pos) == 1 and pos[0].type in (F64,):
            return pos[0]
        if obj is len and isinstance(pos[0], tuple):
            return const(len(pos[0]))
        if obj in (range, reversed):
            self.refuse(e, f"{name}() is only supported as the iterator of a for loop")
        prim = CALLABLES.get(obj) if _hashable(obj) else None
        if prim in ("round", "iround") and (len(pos) > 1 or kw):
            return self.round_digits(e, prim, pos, kw)
        if prim in ("zeros", "ones", "empty"):
            return self.alloc(e, prim, pos, kw)
        if prim == "full":
            if kw or len(pos) != 2:
                self.refuse(e, "np.full(shape, value): dtype= is not supported")
            dims = list(pos[0]) if isinstance(pos[0], tuple) else [pos[0]]
            fill = pos[1] if pos[1].type not in (I64, BOOL) else self.coerce(pos[1], F64)
            return self.apply("full", [*(self.int_value(d, e) for d in dims), fill], e)
        if prim is not None or obj in _TUPLE_CALLS:
            out = self.array_call(e, prim or _TUPLE_CALLS[obj], list(pos), dict(kw))
            if out is not None:
                return out
        if prim is not None:
            if kw:
                self.refuse(e, f"keyword arguments to {name} are not supported",
                            cls=NoRuleError)
            arity = PRIMS[prim].arity
            if arity >= 0 and len(pos) != arity:
                self.refuse(e, f"{name} takes {arity} argument(s) here, got {len(pos)}")
            return self.apply(prim, pos, e)
        if name in BANNED_CALLS and getattr(obj, "__module__", None) == "builtins":
            self.refuse(e, f"{name}() cannot be differentiated", BANNED_CALLS[name],
                        cls=UnsupportedSyntax)
        what = f"{getattr(obj, '__module__', '') or ''}.{name}".lstrip(".") or repr(obj)
        path = _opaque_path(obj)
        if path is not None and not kw and all(
                isinstance(v, Var | Const) and not isinstance(v.type, ArrayT) for v in pos):
            if not _returns_a_number(obj, pos):  # np.identity(n), np.hanning(n)
                self.refuse(e, f"{what} returns an array, and s2sad has no primitive for it",
                            "use the NumPy functions of docs/subset.md (np.eye, np.linspace, "
                            "...), or pass the array in as an argument", cls=NoRuleError)
            # math.lgamma(m) and the like: called as is; refused only if it turns out to be
            # on the differentiated path (the transforms raise NoRuleError there)
            saved, self.b.loc = self.b.loc, self.loc(e)
            out = self.b.op("opaque", *pos, path=path, what=what)
            self.b.loc = saved
            return out
        self.refuse(e, f"no derivative rule for {what}",
                    "use a supported function (see docs/rules.md), write it in Python so "
                    "s2sad can lower it, give its derivative with @s2sad.defrule, or cut the "
                    "derivative with s2sad.stop_gradient",
                    cls=NoRuleError)

    def round_digits(self, e, prim, pos, kw):
        """round(x, n) / np.round(x, n) / np.around(x, decimals=n): x rounded to n decimal
        digits, a float (derivative 0); n=None (round) or 0 (NumPy) is the one-argument
        form."""
        word = "ndigits" if prim == "iround" else "decimals"
        if not pos or len(pos) + len(kw) > 2 or set(kw) - {word}:
            self.refuse(e, f"{'round' if prim == 'iround' else 'np.round'}(x, {word}) takes "
                        f"x and {word} only")
        x = pos[0]
        n = pos[1] if len(pos) == 2 else kw[word]
        if isinstance(n, _PyObject) and n.obj is None:  # round(x, None) is round(x)
            return self.apply(prim, [x], e)
        if isinstance(n, tuple) or isinstance(n, _PyObject) or n.type != I64:
            self.refuse(e, f"{word} must be an integer", cls=TypeMismatch)
        if isinstance(n, Const) and n.value == 0 and prim == "round":
            return self.apply("round", [x], e)  # np.round(x, 0) is np.round(x)
        if not isinstance(x, tuple) and not isinstance(x, _PyObject) and \
                elem(x.type) in (I64, BOOL):
            if isinstance(n, Const) and n.value >= 0:  # already rounded to n >= 0 digits
                return x if x.type != BOOL else self.apply("int", [x], e)
            self.refuse(e, "rounding an integer to negative or unknown digits is not "
                        "supported", "convert it to float first")
        return self.apply("round_to", [x, n], e)

    def alloc(self, e, prim, pos, kw):
        shape = kw.pop("shape", None) if not pos else pos[0]
        dtype = kw.pop("dtype", None)
        if kw or len(pos) > 1:
            self.refuse(e, f"np.{prim}: only the shape and dtype arguments are supported")
        dims = list(shape) if isinstance(shape, tuple) else [shape]
        dims = [self.int_value(d, e) for d in dims]
        dt = {None: "f64", float: "f64", np.float64: "f64", np.float32: "f32", int: "i64",
              np.int64: "i64", bool: "bool", np.bool_: "bool"}.get(
            dtype.obj if isinstance(dtype, _PyObject) else dtype)
        if dt is None:
            self.refuse(e, f"np.{prim}: dtype {dtype!r} is not supported",
                        "use float (np.float64), np.float32, int or bool")
        return self.b.op(prim, *dims, dtype=dt)

    def call_args(self, e, env):
        pos, kw = [], {}
        for a in e.args:
            if a.star:
                self.refuse(a, "*args / **kwargs in calls are not supported")
            v = self.expr(a.value, env)
            if a.keyword is not None:
                kw[a.keyword.value] = v
            else:
                pos.append(v)
        return pos, kw

    def inline(self, e, obj, pos, kw):
        if self.depth >= MAX_INLINE_DEPTH:
            self.refuse(e, f"calls nest deeper than {MAX_INLINE_DEPTH} (recursion?)",
                        "recursive functions are not supported; write a loop")
        pf = parse_function(obj)
        sub = Lowerer(pf, self.b, self.depth + 1, self.free)
        saved = self.b.loc
        out = sub.lower_function(pos, kw, e, self)
        self.b.loc = saved
        return out

    # ---------------------------------------------------------------- arrays
    def int_value(self, v, node) -> Value:
        if isinstance(v, Var | Const) and isinstance(v.type, ArrayT):
            self.refuse(node, "an array cannot be used as an index here",
                        "index with integers and slices; a 1-D integer array is supported as "
                        "the only index of a read (x[idx]); for a boolean mask use "
                        "np.where(mask, x, 0.0)", cls=TypeMismatch)
        if isinstance(v, tuple) or isinstance(v, _PyObject) or elem(v.type) not in (I64, BOOL):
            self.refuse(node, "expected an integer here", cls=TypeMismatch)
        return v

    def subscript_parts(self, e: cst.Subscript, env: dict):
        arr = self.expr(e.value, env)
        idx = []
        for el in e.slice:
            idx.append(self.expr(el.slice.value, env))
        if len(idx) == 1 and isinstance(idx[0], tuple):
            idx = list(idx[0])
        return arr, idx

    def subscript(self, e: cst.Subscript, env: dict):
        if any(_is_newaxis(el) for el in e.slice):
            return self.newaxis_load(e, env)
        sliced = self.index_spec(e, env)
        if sliced is not None:
            return self.slice_load(e, self.expr(e.value, env), *sliced)
        arr, idx = self.subscript_parts(e, env)
        if len(idx) == 1 and isinstance(idx[0], Var | Const) and isinstance(idx[0].type, ArrayT) \
                and isinstance(arr, Var | Const) and isinstance(arr.type, ArrayT):
            return self.take(e, arr, idx[0])
        if isinstance(arr, tuple):
            if len(idx) != 1 or not isinstance(idx[0], Const) or idx[0].type != I64:
                self.refuse(e, "tuples can only be indexed with a constant integer")
            try:
                return arr[idx[0].value]
            except IndexError:
                self.refuse(e, "tuple index out of range")
        return self.load(e, arr, idx)

    def take(self, node, arr, idx):
        """x[idx] with an integer array: the elements (rows) idx names, repeats allowed."""
        if idx.type.dtype == BOOL:
            self.refuse(node, "boolean mask indexing (x[mask]) is not supported",
                        "use np.where(mask, x, 0.0), or np.sum(np.where(mask, x, 0.0)) for a "
                        "masked sum", cls=TypeMismatch)
        if idx.type.dtype != I64 or idx.type.ndim != 1:
            self.refuse(node, "only a 1-D integer array can index an array",
                        "reshape the index array to 1-D", cls=TypeMismatch)
        return self.apply("take", [arr, idx], node)

    def newaxis_load(self, e: cst.Subscript, env: dict):
        """x[:, None]: the subscript without the new axes, then a reshape that inserts them."""
        rest = [el for el in e.slice if not _is_newaxis(el)]
        arr = self.expr(e.value, env)
        if any(not _is_full_slice(el) for el in rest):
            arr = self.subscript(e.with_changes(slice=rest), env)
        if not isinstance(arr, Var | Const) or not isinstance(arr.type, ArrayT):
            self.refuse(e, "a new axis (None) needs an array", cls=TypeMismatch)
        dims, k = [], 0
        for el in e.slice:
            if _is_newaxis(el):
                dims.append(const(1))
            elif isinstance(el.slice, cst.Slice):
                dims.append(self.b.op("dim", arr, type=I64, axis=k))
                k += 1
        dims += [self.b.op("dim", arr, type=I64, axis=j) for j in range(k, arr.type.ndim)]
        return self.apply("reshape", [arr, *dims], e, ndim=len(dims))

    def load(self, node, arr, idx):
        if not isinstance(arr, Var | Const) or not isinstance(arr.type, ArrayT):
            self.refuse(node, "only arrays and tuples can be indexed", cls=TypeMismatch)
        if 0 < len(idx) < arr.type.ndim:  # A[i] on a matrix: the row, as A[i, :]
            idx = [self.int_value(i, node) for i in idx]
            return self.slice_load(node, arr, tuple(("i",) for _ in idx), idx)
        if len(idx) != arr.type.ndim:
            self.refuse(node, f"index with {arr.type.ndim} integers (one per dimension)")
        idx = [self.int_value(i, node) for i in idx]
        return self.b.op("getitem", arr, *idx)

    def store(self, node, arr, idx, value) -> None:
        if not isinstance(arr, Var) or not isinstance(arr.type, ArrayT):
            self.refuse(node, "only arrays can be assigned into", cls=TypeMismatch)
        if 0 < len(idx) < arr.type.ndim:  # A[i] = row
            idx = [self.int_value(i, node) for i in idx]
            self.slice_store(node, arr, tuple(("i",) for _ in idx), idx, value)
            return
        if len(idx) != arr.type.ndim:
            self.refuse(node, f"index with {arr.type.ndim} integers (one per dimension)")
        if isinstance(value, tuple) or isinstance(value, _PyObject):
            self.refuse(node, "only numbers can be stored into an array", cls=TypeMismatch)
        idx = [self.int_value(i, node) for i in idx]
        if value.type != arr.type.dtype:
            value = self.coerce(value, arr.type.dtype)
        self.b.effect("setitem", arr, *idx, value)


_TUPLE_CALLS = {np.linalg.slogdet: "slogdet", np.linalg.eigh: "eigh"}


def _opaque_path(obj) -> str | None:
    """`math.lgamma` / `np.sinc`: how generated code can call a rule-less library function."""
    name = getattr(obj, "__name__", None)
    if not name:
        return None
    if getattr(math, name, None) is obj:
        return f"math.{name}"
    if getattr(np, name, None) is obj:
        return f"np.{name}"
    return None


def _returns_a_number(obj, pos) -> bool:
    """An opaque call is typed as a float: true of math.* and of NumPy's ufuncs on numbers;
    another np.* function is tried on sample numbers of the argument types (the opaque op
    would otherwise stand for an array as a scalar: a silently wrong value and gradient)."""
    if getattr(math, getattr(obj, "__name__", ""), None) is obj or isinstance(obj, np.ufunc):
        return True
    sample = [1 if v.type in (I64, BOOL) else 0.5 for v in pos]
    try:
        return np.ndim(obj(*sample)) == 0
    except Exception:
        return False


def _is_newaxis(el: cst.SubscriptElement) -> bool:
    """`None` or `np.newaxis` as an index."""
    v = el.slice.value if isinstance(el.slice, cst.Index) else None
    return (isinstance(v, cst.Name) and v.value == "None") or \
        (isinstance(v, cst.Attribute) and v.attr.value == "newaxis")


def _is_full_slice(el: cst.SubscriptElement) -> bool:
    """A bare `:`."""
    s = el.slice
    return isinstance(s, cst.Slice) and s.lower is None and s.upper is None and s.step is None


class _PyObject:
    """A compile-time Python object (module, function) that is not a number, and where
    it was read from (attributes read through it are read from there again)."""

    __slots__ = ("obj", "ref")

    def __init__(self, obj, ref: FreeRef | None = None):
        self.obj = obj
        self.ref = ref


class _NoneValue(_PyObject):
    """The None a helper without `return <value>` returns."""

    __slots__ = ("origin",)

    def __init__(self, origin: str):
        super().__init__(None)
        self.origin = origin


def _returns_none(body) -> bool:
    """No `return` in `body` gives a value other than None."""
    found = []

    class V(cst.CSTVisitor):
        def visit_Return(self, node):
            v = node.value
            if v is not None and not (isinstance(v, cst.Name) and v.value == "None"):
                found.append(node)

        def visit_FunctionDef(self, node):
            return False

        def visit_Lambda(self, node):
            return False

    for st in body:
        st.visit(V())
    return not found


def _hashable(obj) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


_FOLDABLE = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "neg": lambda a: -a, "floordiv": lambda a, b: a // b, "mod": lambda a, b: a % b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "not": lambda a: not a,
}


def _fold(prim: str, args: list) -> Value | None:
    """Constant-fold integer/bool arithmetic on constants (keeps `range(N - 1)` readable)."""
    if prim not in _FOLDABLE or not all(isinstance(a, Const) for a in args):
        return None
    if not all(isinstance(a.type, Scalar) and a.type in (I64, BOOL) for a in args):
        if prim in ("lt", "le", "gt", "ge", "eq", "ne", "not") and \
                all(isinstance(a.type, Scalar) for a in args):  # not a module-level array
            return const(bool(_FOLDABLE[prim](*[a.value for a in args])))
        return None
    try:
        v = _FOLDABLE[prim](*[a.value for a in args])
    except ZeroDivisionError:
        return None
    return const(v)


def lower(fn, arg_types: list[Type], name: str | None = None) -> Function:
    """Lower `fn` specialised to `arg_types` into an IR Function."""
    if nested.is_derivative(fn):  # differentiating a derivative: its IR
        ir, free = nested.derivative_ir(fn, tuple(arg_types))
        return nested.as_function(ir, free, len(arg_types))
    if not inspect.isfunction(fn) and not hasattr(fn, "py_func") and \
            inspect.isfunction(getattr(type(fn), "__call__", None)):  # noqa: B004
        fn = fn.__call__  # a callable object: its __call__ method
    bound: list = []  # a bound method: `self` is a compile-time object (obj.k folds)
    if inspect.ismethod(fn):
        # `self.k` is read from the object at every call, as module-level values are
        bound, fn = [_PyObject(fn.__self__, object_ref(fn.__self__, "self"))], fn.__func__
    pf = parse_function(resolve.unwrap(fn))
    b = Builder()
    node = pf.node
    params_nodes = (list(node.params.posonly_params) + list(node.params.params)) \
        if isinstance(node, cst.FunctionDef) else list(node.params.params)
    names = [p.name.value for p in params_nodes][len(bound):]
    if isinstance(node, cst.FunctionDef):
        for bad, what in ((node.params.star_arg, "*args"), (node.params.star_kwarg, "**kwargs")):
            if isinstance(bad, cst.Param):
                raise UnsupportedSyntax(f"{what} parameters are not supported", pf.loc(bad),
                                        "list the parameters explicitly")
    if len(arg_types) > len(names) and isinstance(node, cst.FunctionDef):
        raise BadArguments(f"{pf.name}() takes {len(names)} arguments, got {len(arg_types)}",
                           pf.loc(node))
    params = [Var(n, t) for n, t in zip(names, arg_types)]
    lw = Lowerer(pf, b)
    if isinstance(node, cst.FunctionDef):
        for bad, what in ((node.params.star_arg, "*args"), (node.params.star_kwarg, "**kwargs")):
            if isinstance(bad, cst.Param):
                lw.refuse(bad, f"{what} parameters are not supported",
                          "list the parameters explicitly")
    tree = lw.lower_function(bound + list(params))
    outs = flatten(tree)
    for v in outs:
        if isinstance(v, _PyObject):
            raise TypeMismatch(f"{pf.name} returns a non-numeric value ({v.obj!r})",
                               pf.loc(node))
    b.block.yields = outs
    shape = structure(tree)
    fname = name or pf.name
    if not fname.isidentifier():  # a lambda: generated code needs a Python name
        fname = "lambda_"
    return Function(fname, params + lw.free.params, b.block, pf.loc(node), shape,
                    free=lw.free)


def is_differentiable_type(t: Type) -> bool:
    return is_float(t)
