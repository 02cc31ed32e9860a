"""Values of the lowering besides IR values: compile-time Python objects, the markers of
statement lists that returned or broke, and value trees (tuples of IR values)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import pytree
from ..ir.builder import const
from ..ir.nodes import Const, Value
from ..ir.types import BOOL, I64, Type
from .free import FreeRef

STOP_GRADIENT = object()  # sentinel: s2sad.stop_gradient resolves to this


def stop_gradient_marker():
    return STOP_GRADIENT


@dataclass
class Ret:
    """A statement list that returned: the returned value tree."""

    tree: object


STOP = object()  # a statement list ended in break/continue


@dataclass
class LoopElse:
    """In a statement list: the `else:` block of the loop before it (`broke`: whether the
    loop ended in a break, None if it has none)."""

    loop: object
    broke: object
CONTROL = ("%brk", "%cont", "%ret", "%i")  # a loop's flags and index (and "%retv<k>")


def hint_name(name: str) -> str:
    """Readable names for the lowering's own variables (%brk -> brk, %retv0 -> result)."""
    if name.startswith("%retv"):
        k = int(name[5:])
        return "result" if k == 0 else f"result_{k}"
    return name.lstrip("%") or "i"


def is_tree(v) -> bool:
    """A value tree: a tuple, list, dict or NamedTuple of values (a pytree, as JAX's)."""
    return isinstance(v, tuple | list | dict)


def flatten(tree) -> list[Value]:
    return pytree.leaves(tree, _leaf)


def structure(tree) -> pytree.TreeDef:
    """The nesting of a value tree (pytree.LEAF for one value)."""
    return pytree.structure(tree, _leaf)


def unflatten(shape: pytree.TreeDef, leaves: list):
    return pytree.unflatten(shape, list(leaves))


def _leaf(v) -> bool:
    return not is_tree(v)


def tree_kind(v) -> str:
    """`a tuple`, `a list`, `a dict`, `a NamedTuple Params`: for messages."""
    if pytree.is_namedtuple(v):
        return f"a NamedTuple {type(v).__name__}"
    return "a list" if isinstance(v, list) else "a dict" if isinstance(v, dict) else "a tuple"


def zero_value(t: Type) -> Const:
    return const(False) if t == BOOL else const(0, t) if t == I64 else const(0.0, t)


class PyObject:
    """A compile-time Python object (module, function) that is not a number, and where
    it was read from (attributes read through it are read from there again)."""

    __slots__ = ("obj", "ref")

    def __init__(self, obj, ref: FreeRef | None = None):
        self.obj = obj
        self.ref = ref


class NoneValue(PyObject):
    """The None a helper without `return <value>` returns."""

    __slots__ = ("origin",)

    def __init__(self, origin: str):
        super().__init__(None)
        self.origin = origin


def hashable(obj) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True
