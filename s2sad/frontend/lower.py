"""Lower a Python function (libcst tree) to the IR: three-address form, SSA, structured regions.

Local names map to IR values, or to compile-time tuples of them. Module-level helper
functions are inlined from their own source. Early `return` outside loops is lowered by
moving the statements after an `if` into its branches; `break`/`continue`/`return` in
loops become flags, so the IR has only structured regions.
"""

from __future__ import annotations

import inspect

import libcst as cst

from .. import pytree
from ..errors import BadArguments, TypeMismatch, UnsupportedSyntax
from ..ir.builder import Builder, const
from ..ir.nodes import Function, Var
from ..ir.primitives import CALLABLES, PRIMS
from ..ir.types import ArrayT, Type, is_float
from . import nested, resolve
from .arrays import ArrayLowering
from .calls import CallLowering
from .control import ControlLowering
from .exprs import ExprLowering
from .free import FreeValues, object_ref
from .source import ParsedFunction, parse_function
from .subset import REFUSED
from .syntax import AUGOPS, body_of, contains, returns_none
from .values import (
    CONTROL,
    STOP,
    LoopElse,
    NoneValue,
    PyObject,
    Ret,
    flatten,
    hashable,
    is_tree,
    structure,
    tree_kind,
    unflatten,
)


class Lowerer(ControlLowering, ExprLowering, CallLowering, ArrayLowering):
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
        self.tree_params: dict = {}  # id(value tree an argument was passed as) -> its name

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
        body = self._strip_docstring(body_of(node))
        if self.depth > 0 and returns_none(body):
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
            if isinstance(s, LoopElse):
                return self.loop_else(s, env, stmts[i + 1:])
            if isinstance(s, cst.If) and contains([s], cst.Return, into_loops=True):
                # (a return in a loop in the `if` too: the loop may return or fall through)
                # early return: the statements after the `if` continue in its branches
                return self.if_stmt(s, env, rest=stmts[i + 1 :])
            out = self.stmt(s, env)
            if out is STOP:
                return None  # after break/continue: the rest of this block is dead
            if out is not None:
                return out
            rest = stmts[i + 1:]
            if isinstance(s, (cst.For, cst.While)) and s.orelse is not None:
                rest = [LoopElse(s, self._broke)] + rest
            if isinstance(s, (cst.For, cst.While)) and "%ret" in env and \
                    contains(body_of(s), cst.Return, into_loops=False):
                return self.after_returning_loop(s, env, rest)
            if isinstance(s, (cst.For, cst.While)) and s.orelse is not None:
                return self.stmts(rest, env)
            if rest and contains([s], (cst.Break, cst.Continue), into_loops=False):
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
            saved = {k: env.pop(k) for k in list(env) if k in CONTROL or
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
                return Ret(NoneValue(self.pf.name))
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
                return STOP
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
            op = AUGOPS.get(type(s.operator))
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
            return STOP
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
            if isinstance(value, dict):
                value = tuple(PyObject(k) for k in value)  # (Python unpacks the keys)
            if not isinstance(value, tuple | list):
                if isinstance(value, Var) and isinstance(value.type, ArrayT):
                    value = tuple(self.load(target, value, [const(k)]) for k in range(len(elts)))
                else:
                    self.refuse(target, "cannot unpack a non-tuple value")
            if len(value) != len(elts):
                self.refuse(target, f"cannot unpack {len(value)} values into {len(elts)} names")
            for t, v in zip(elts, value):
                self.assign(t, v, env)
        elif isinstance(target, cst.Subscript):
            base = self.expr(target.value, env) if isinstance(target.value, cst.Name) else None
            if is_tree(base):
                self.refuse(target, f"{tree_kind(base)} cannot be changed in differentiated "
                            "code (lists, tuples and dicts are values here)",
                            "build a new one ({**d, 'k': v}, xs[:i] + [v] + xs[i + 1:]), or "
                            "use a NumPy array")
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


def lower(fn, arg_types: list[Type], name: str | None = None) -> Function:
    """Lower `fn` specialised to `arg_types` into an IR Function."""
    prim = CALLABLES.get(fn) if hashable(fn) else None
    if prim is not None and PRIMS[prim].elementwise and len(arg_types) == PRIMS[prim].arity:
        return _lower_primitive(fn, prim, list(arg_types))  # vjp(np.sin, x)
    handler = nested.handler_for(fn)
    if handler is not None:  # a transform s2sad made (grad(f), jacfwd(f), ...): its IR
        return nested.lower_handled(fn, handler, list(arg_types), _tree_params)
    if nested.is_derivative(fn):  # differentiating a derivative: its IR
        ir, free = nested.derivative_ir(fn, tuple(arg_types))
        return nested.as_function(ir, free, len(pytree.leaf_types(arg_types)))
    if not inspect.isfunction(fn) and not hasattr(fn, "py_func") and \
            inspect.isfunction(getattr(type(fn), "__call__", None)):  # noqa: B004
        fn = fn.__call__  # a callable object: its __call__ method
    bound: list = []  # a bound method: `self` is a compile-time object (obj.k folds)
    if inspect.ismethod(fn):
        # `self.k` is read from the object at every call, as module-level values are
        bound, fn = [PyObject(fn.__self__, object_ref(fn.__self__, "self"))], fn.__func__
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
    lw = Lowerer(pf, b)
    params, args = _tree_params(names, arg_types, lw.tree_params)
    if isinstance(node, cst.FunctionDef):
        for bad, what in ((node.params.star_arg, "*args"), (node.params.star_kwarg, "**kwargs")):
            if isinstance(bad, cst.Param):
                lw.refuse(bad, f"{what} parameters are not supported",
                          "list the parameters explicitly")
    tree = lw.lower_function(bound + args)
    outs = flatten(tree)
    for v in outs:
        if isinstance(v, PyObject):
            raise TypeMismatch(f"{pf.name} returns a non-numeric value ({v.obj!r})",
                               pf.loc(node))
    b.block.yields = outs
    shape = structure(tree)
    fname = name or pf.name
    if not fname.isidentifier():  # a lambda: generated code needs a Python name
        fname = "lambda_"
    return Function(fname, params + lw.free.params, b.block, pf.loc(node), shape,
                    free=lw.free)


def _lower_primitive(fn, prim: str, arg_types: list) -> Function:
    """A NumPy or math function differentiated directly (jax.vjp(jnp.sin, x) style)."""
    if any(isinstance(t, pytree.TreeType) for t in arg_types):
        raise TypeMismatch(f"{prim} takes numbers or arrays, not tuples, lists or dicts")
    b = Builder()
    params = [Var(f"x{i}" if len(arg_types) > 1 else "x", t) for i, t in enumerate(arg_types)]
    b.block.yields = [b.op(prim, *params)]
    name = getattr(fn, "__name__", prim)
    return Function(name if name.isidentifier() else prim, params, b.block, None,
                    pytree.LEAF, free=FreeValues())


def _tree_params(names: list[str], arg_types, trees: dict | None = None):
    """(parameters, arguments): one parameter per leaf of a pytree argument (named after
    its path: params_W1), the argument the value tree of those parameters."""
    params: list[Var] = []
    args: list = []
    for k, (n, t) in enumerate(zip(names, arg_types)):
        if not isinstance(t, pytree.TreeType):
            params.append(Var(n, t))
            args.append(params[-1])
            continue
        leaves = [Var(_leaf_name(n, p), lt) for p, lt in zip(t.tree.paths(), t.leaves)]
        params += leaves
        args.append(unflatten(t.tree, leaves))
        if trees is not None:
            trees[id(args[-1])] = f"{k} ({n})"
    return params, args


def _leaf_name(name: str, path: str) -> str:
    tail = "".join(c if c.isalnum() else "_" for c in path)
    return "_".join([name] + [p for p in tail.split("_") if p])


def is_differentiable_type(t: Type) -> bool:
    return is_float(t)
