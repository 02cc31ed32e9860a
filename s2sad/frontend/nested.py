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
from collections.abc import Callable

from ..ir.builder import Builder
from ..ir.nodes import Function, Var
from ..ir.rewrite import substitute
from .free import Binding, FreeValues

Hook = Callable[[object, tuple], "tuple[Function, Binding]"]
_HOOKS: list[Hook] = []


_KINDS: list[Callable[[object], bool]] = []


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


def inline(b: Builder, ir: Function, binding: Binding, args: list, free: FreeValues):
    """Append ir's body to b's block with its parameters bound to `args` (the user's
    arguments and the tangents or cotangents) and to the free values adopted by `free`;
    the returned value tree."""
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
    return _outputs_tree(d, outs)


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
    d.out_tree = _structure(tree)
    if d.ret_shape is not None:  # the outputs are flat from here on
        d.ret_shape = None
    return d


def _structure(tree):
    if isinstance(tree, tuple):
        return tuple(_structure(t) for t in tree)
    return None
