"""Resolve names to Python objects at compile time: closure cells, globals, builtins.

What a name means is decided by the object it refers to, never by its spelling.
"""

from __future__ import annotations

import builtins
import types

from .free import FreeRef, cell_ref, global_ref

_MISSING = object()


def lookup(fn, name: str):
    """The object `name` refers to inside `fn`, or _MISSING."""
    code = getattr(fn, "__code__", None)
    if code is not None and fn.__closure__:
        for var, cell in zip(code.co_freevars, fn.__closure__):
            if var == name:
                try:
                    return cell.cell_contents
                except ValueError:
                    return _MISSING
    g = getattr(fn, "__globals__", {})
    if name in g:
        return g[name]
    return getattr(builtins, name, _MISSING)


def where(fn, name: str) -> FreeRef | None:
    """Where `name` inside `fn` is read from (a closure cell or the globals), so that its
    value can be read again at call time; None for builtins."""
    code = getattr(fn, "__code__", None)
    if code is not None and fn.__closure__:
        for var, cell in zip(code.co_freevars, fn.__closure__):
            if var == name:
                return cell_ref(cell, name)
    g = getattr(fn, "__globals__", None)
    if g is not None and name in g:
        return global_ref(g, name)
    return None


def is_missing(obj) -> bool:
    return obj is _MISSING


def is_module(obj) -> bool:
    return isinstance(obj, types.ModuleType)


_LIBRARIES = {"numpy", "scipy", "math", "builtins", "numba", "jax", "torch", "autograd", "s2sad"}


def is_library_module(obj) -> bool:
    """numpy, math, scipy.special...: their attributes are constants, not user state."""
    return is_module(obj) and obj.__name__.split(".")[0] in _LIBRARIES


def is_user_function(obj) -> bool:
    """A plain Python function whose source we lower: the user's own code, not a
    library's (NumPy implements some functions in Python; those need rules)."""
    if not isinstance(obj, types.FunctionType):
        return False
    root = (getattr(obj, "__module__", None) or "").split(".")[0]
    return root not in _LIBRARIES


def unwrap(obj):
    """A Numba dispatcher or functools.wraps wrapper -> the Python function inside it."""
    py = getattr(obj, "py_func", None)
    if py is not None:
        return py
    return getattr(obj, "__wrapped__", obj)
