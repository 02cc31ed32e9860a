"""Nested AD at the IR level: a derivative called inside a function being differentiated
(`grad(f)(x)` in a loss, `grad(grad(f))`, a Jacobian's pieces) is inlined as IR.

The frontend knows nothing of the API: the API registers a hook that, given a callable it
made (a transform, a Jacobian piece) and argument types, returns the derivative's IR and
its free values (frontend/free.py). The derivative's parameters are the caller's
arguments, then its tangents or cotangents, then its free values (pipeline._free_last);
inlined, the free values become the enclosing function's own.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable

from .. import pytree
from ..errors import NoRuleError
from ..ir.builder import Builder
from ..ir.nodes import Const, Function, Var
from ..ir.rewrite import substitute
from .free import Binding, FreeValues
from .values import PyObject, flatten, is_tree, structure

Hook = Callable[[object, tuple], "tuple[Function, Binding]"]
_HOOKS: list[Hook] = []


_KINDS: list[Callable[[object], bool]] = []

# callables the frontend calls at compile time (s2sad.grad(f, argnums=0) inside code: the
# transform object, whose call is then lowered by its handler)
_CONSTRUCTORS: list = []
# (recognises, handler): calls the API lowers itself, handler(site, obj, args, kw) -> value
_HANDLERS: list[tuple[Callable[[object], bool], Callable]] = []
FLAT = object()  # inline(..., tree=FLAT): the flat list of outputs


def register_constructor(*objs) -> None:
    """Calls of these (with compile-time arguments) are made when the code is lowered."""
    _CONSTRUCTORS.extend(objs)


def is_constructor(obj) -> bool:
    return any(obj is c for c in _CONSTRUCTORS)


def register_handler(recognises: Callable[[object], bool], handler: Callable) -> None:
    """Calls of the callables `recognises` accepts are lowered by
    `handler(site: CallSite, obj, args: list, kw: dict) -> value tree`."""
    _HANDLERS.append((recognises, handler))


def handler_for(obj):
    for kind, handler in _HANDLERS:
        try:
            if kind(obj):
                return handler
        except Exception:  # an object whose attributes raise: not one of ours
            continue
    return None


class CallSite:
    """What a handler may do where the call it lowers stands: inline IR, emit ops, refuse
    (pointing at the call)."""

    def __init__(self, builder: Builder, free: FreeValues, refuse: Callable, node_loc=None):
        self.b = builder
        self.free = free
        self._refuse = refuse
        self.loc = node_loc
        self.first: Function | None = None  # the first IR inlined (names a lowered handler)

    def refuse(self, msg: str, hint: str | None = None, cls=NoRuleError):
        self._refuse(msg, hint, cls)
        raise cls(msg, self.loc, hint)  # (refuse raises; this line is for type checkers)

    def inline(self, ir: Function, binding: Binding, args: list, tree=None):
        """ir's body here, its parameters bound to `args` (flat: the leaves, then tangents or
        cotangents); the outputs as `tree` (a TreeDef) nests them, as a flat list for FLAT,
        else as the generated function returns them."""
        if self.first is None:
            self.first = ir
        saved = self.b.loc
        out = inline(self.b, ir, binding, list(args), self.free, tree)
        self.b.loc = saved
        return out

    def op(self, prim: str, *args, **attrs):
        return self.b.op(prim, *args, **attrs)

    def type_of(self, v):
        """The specialisation type of an argument value: its IR type, or a TreeType."""
        if is_tree(v):
            leaves = flatten(v)
            return pytree.TreeType(structure(v), tuple(self.type_of(x) for x in leaves))
        if not isinstance(v, Var | Const):
            what = f"{v.obj!r}" if isinstance(v, PyObject) else type(v).__name__
            self.refuse(f"{what} cannot be an argument of a differentiated function here",
                        "pass numbers, arrays, or tuples/lists/dicts of them")
        return v.type

    def compile_time(self, v, what: str):
        """The Python object a compile-time argument stands for (a function, an int)."""
        if isinstance(v, PyObject):
            return v.obj
        if isinstance(v, Const):
            return v.value
        if isinstance(v, tuple | list):
            items = [self.compile_time(x, what) for x in v]
            return items if isinstance(v, list) else tuple(items)
        self.refuse(f"{what} must be known when the function is compiled (a function, an "
                    "int, a tuple of ints), not a value computed at run time",
                    "write it as a constant", cls=NoRuleError)


def register(hook: Hook, recognises: Callable[[object], bool]) -> None:
    """Teach the frontend to lower the callables `recognises` accepts, by their IR from
    `hook(obj, arg_types) -> (Function, Binding)`."""
    _HOOKS.append(hook)
    _KINDS.append(recognises)


def is_derivative(obj) -> bool:
    return any(k(obj) for k in _KINDS)


def derivative_ir(obj, types: tuple) -> tuple[Function, Binding]:
    for hook, kind in zip(_HOOKS, _KINDS):
        if kind(obj):
            return hook(obj, tuple(types))
    raise TypeError(f"{obj!r} is not a derivative s2sad made")


def _fresh(fn: Function) -> Function:
    """A copy whose Vars are new (the hook's IR may be cached and used again)."""
    free, fn.free = fn.free, None
    try:
        return copy.deepcopy(fn)
    finally:
        fn.free = free


def _outputs_tree(fn: Function, outs: list):
    """The value a call returns: the outputs nested as the generated code returns them."""
    shape = fn.ret_shape

    def build(s):
        if isinstance(s, int):
            return outs[s]
        return tuple(build(x) for x in s)

    if shape is not None:
        return build(shape)
    return outs[0] if len(outs) == 1 else tuple(outs)


def inline(b: Builder, ir: Function, binding: Binding, args: list, free: FreeValues,
           tree=None):
    """Append ir's body to b's block with its parameters bound to `args` (the user's
    arguments and the tangents or cotangents) and to the free values adopted by `free`;
    the returned value tree (`tree`: see CallSite.inline)."""
    d = _fresh(ir)
    n_free = len(binding.refs)
    head = d.params[:len(d.params) - n_free]
    if len(args) != len(head):
        raise TypeError(f"{d.name} takes {len(head)} arguments, got {len(args)}")
    outer = free.adopt(list(binding.refs), list(binding.guards))
    mapping = dict(zip(head + d.params[len(head):], list(args) + outer))
    substitute(d.body, mapping)
    b.block.stmts.extend(d.body.stmts)
    outs = [mapping.get(v, v) if isinstance(v, Var) else v for v in d.body.yields]
    if tree is FLAT:
        return outs
    if tree is not None:
        return pytree.unflatten(tree, outs)
    return _outputs_tree(d, outs)


def lower_handled(fn, handler, arg_types: list, make_params: Callable) -> Function:
    """A callable s2sad made, as a function of its arguments: the IR its handler writes for
    a call of it (differentiating grad(f), jacfwd(f), ... again)."""
    names = _param_names(fn, len(arg_types))
    params, args = make_params(names, arg_types)
    b = Builder()
    free = FreeValues()

    def refuse(msg, hint, cls):
        raise cls(msg, None, hint)

    site = CallSite(b, free, refuse)
    tree = handler(site, fn, args, {})
    outs = flatten(tree)
    for v in outs:
        if not isinstance(v, Var | Const):
            raise NoRuleError(f"{fn!r} returns a value that is not a number or an array")
    b.block.yields = outs
    first = site.first
    name = first.name if first is not None else (getattr(fn, "__name__", "") or "f")
    if not name.isidentifier():
        name = "f"
    return Function(name, params + free.params, b.block, first.loc if first else None,
                    structure(tree), free=free)


def _param_names(fn, n: int) -> list[str]:
    user = fn
    for _ in range(8):  # down to the user's function: its parameter names
        inner = getattr(user, "fun", None)
        if inner is None:
            break
        user = inner
    try:
        ps = [p.name for p in inspect.signature(user).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        ps = []
    if len(ps) < n or len(set(ps)) != len(ps) or any(
            not p.isidentifier() or p.startswith("_s2sad") for p in ps):
        return [f"a{i}" for i in range(n)]
    return ps[:n]


def as_function(ir: Function, binding: Binding, n_args: int) -> Function:
    """ir as a function of its first `n_args` parameters, its free values read by the
    caller (the primal of a derivative of a derivative)."""
    d = _fresh(ir)
    n_free = len(binding.refs)
    if len(d.params) - n_free != n_args:
        raise TypeError(f"{d.name} takes {len(d.params) - n_free} arguments, got {n_args}")
    fv = FreeValues()
    for r, p in zip(binding.refs, d.params[len(d.params) - n_free:]):
        fv.refs.append(r)
        fv.params.append(p)
        fv._by_ident[r.ident] = p
    for g in binding.guards:
        fv.guard(g.ref, g.value, g.kind)
    d.free = fv
    leaves = d.body.yields
    tree = _outputs_tree(d, list(range(len(leaves))))
    d.out_tree = structure(tree)
    if d.ret_shape is not None:  # the outputs are flat from here on
        d.ret_shape = None
    return d
