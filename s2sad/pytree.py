"""Pytrees, as JAX has them: tuples, lists, dicts and NamedTuples of leaves (arrays and
numbers), nested to any depth; `None` is an empty node.

    leaves, tree = flatten({"W": W, "b": (b1, b2)})   # [W, b1, b2], a TreeDef
    unflatten(tree, [gW, gb1, gb2])                   # {"W": gW, "b": (gb1, gb2)}

Dict keys are sorted (as JAX sorts them); a NamedTuple keeps its class and field order.
This module imports nothing of s2sad: the frontend's value trees (IR values as leaves)
and the API's arguments and results (NumPy values as leaves) are both pytrees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# JAX's dtype of the tangent or cotangent of an integer or bool (it holds no data)
float0 = np.dtype([("float0", np.void, 0)])


def is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_namedtuple_class(obj) -> bool:
    return isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, "_fields")


def is_node(x) -> bool:
    """A container a pytree looks into (the rest are leaves)."""
    return x is None or isinstance(x, tuple | list | dict)


@dataclass(frozen=True)
class TreeDef:
    """The structure of a pytree: kind "leaf", "tuple", "list", "dict", "namedtuple" or
    "none"; `meta` is the dict's sorted keys or the NamedTuple's class."""

    kind: str = "leaf"
    meta: Any = None
    children: tuple[TreeDef, ...] = ()
    num_leaves: int = field(default=1, compare=False)

    @property
    def is_leaf(self) -> bool:
        return self.kind == "leaf"

    def __str__(self) -> str:
        return describe(self)

    def paths(self) -> list[str]:
        """How each leaf is reached, in order: `['W1']`, `[0][1]`, `.mu` ("" for a leaf)."""
        if self.is_leaf:
            return [""]
        out = []
        for step, child in zip(self.steps(), self.children):
            out += [step + p for p in child.paths()]
        return out

    def steps(self) -> list[str]:
        if self.kind == "dict":
            return [f"[{k!r}]" for k in self.meta]
        if self.kind == "namedtuple":
            return [f".{f}" for f in self.meta._fields]
        return [f"[{i}]" for i in range(len(self.children))]

    def keys(self) -> list:
        """The key of each child: dict keys, field names, positions."""
        if self.kind == "dict":
            return list(self.meta)
        if self.kind == "namedtuple":
            return list(self.meta._fields)
        return list(range(len(self.children)))


LEAF = TreeDef()
NONE = TreeDef("none", None, (), 0)


def _node(kind: str, meta, children: tuple) -> TreeDef:
    return TreeDef(kind, meta, children, sum(c.num_leaves for c in children))


def _sorted_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        raise TypeError(f"pytree dict keys must be sortable, got {list(d)!r}") from None


def flatten(tree, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, TreeDef]:
    """(leaves, structure) of `tree`."""
    leaves: list = []

    def walk(x) -> TreeDef:
        if is_leaf is not None and is_leaf(x):
            leaves.append(x)
            return LEAF
        if x is None:
            return NONE
        t = type(x)
        if t is tuple or t is list:
            return _node(t.__name__, None, tuple(walk(c) for c in x))
        if is_namedtuple(x):
            return _node("namedtuple", t, tuple(walk(c) for c in x))
        if isinstance(x, dict):
            keys = _sorted_keys(x)
            return _node("dict", keys, tuple(walk(x[k]) for k in keys))
        leaves.append(x)
        return LEAF

    tree_def = walk(tree)
    return leaves, tree_def


def structure(tree, is_leaf=None) -> TreeDef:
    return flatten(tree, is_leaf)[1]


def leaves(tree, is_leaf=None) -> list:
    return flatten(tree, is_leaf)[0]


def build(tree: TreeDef, children: list):
    """The node `tree` describes, with these children."""
    if tree.kind == "tuple":
        return tuple(children)
    if tree.kind == "list":
        return list(children)
    if tree.kind == "namedtuple":
        return tree.meta(*children)
    if tree.kind == "dict":
        return dict(zip(tree.meta, children))
    if tree.kind == "none":
        return None
    raise ValueError("a leaf has no children")


def unflatten(tree: TreeDef, leaves_: list):
    """The pytree of structure `tree` with these leaves (in flatten's order)."""
    it = iter(leaves_)

    def make(t: TreeDef):
        if t.is_leaf:
            return next(it)
        return build(t, [make(c) for c in t.children])

    out = make(tree)
    rest = next(it, _END)
    if rest is not _END:
        raise ValueError(f"unflatten: more leaves than the {tree.num_leaves} of {tree}")
    return out


_END = object()


def tree_map(f: Callable, tree, *rest, is_leaf=None):
    """f applied to the leaves of `tree` (and the matching leaves of `rest`)."""
    leaves_, t = flatten(tree, is_leaf)
    others = [flatten(r, is_leaf)[0] for r in rest]
    return unflatten(t, [f(x, *xs) for x, *xs in zip(leaves_, *others)])


def replace_leaves(tree: TreeDef, f: Callable[[int], TreeDef]) -> TreeDef:
    """`tree` with its k-th leaf replaced by the subtree f(k) (JAX's Jacobian structure:
    the output's structure outside, the arguments' inside)."""
    count = iter(range(tree.num_leaves))

    def walk(t: TreeDef) -> TreeDef:
        if t.is_leaf:
            return f(next(count))
        return _node(t.kind, t.meta, tuple(walk(c) for c in t.children))

    return walk(tree)


def tuple_of(trees) -> TreeDef:
    return _node("tuple", None, tuple(trees))


def describe(tree: TreeDef) -> str:
    """A short picture of the structure, leaves as `*`: `{'W': *, 'b': (*, *)}`."""
    if tree.is_leaf:
        return "*"
    if tree.kind == "none":
        return "None"
    parts = [describe(c) for c in tree.children]
    if tree.kind == "dict":
        return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(tree.meta, parts)) + "}"
    if tree.kind == "namedtuple":
        return f"{tree.meta.__name__}(" + ", ".join(
            f"{k}={p}" for k, p in zip(tree.meta._fields, parts)) + ")"
    if tree.kind == "list":
        return "[" + ", ".join(parts) + "]"
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


@dataclass(frozen=True)
class TreeType:
    """The type of a pytree argument: its structure and the type of each leaf. A
    specialisation's argument types hold one per pytree argument (the lowered function
    takes the leaves, in order, as parameters)."""

    tree: TreeDef
    leaves: tuple

    def __str__(self) -> str:
        it = iter(str(t) for t in self.leaves)

        def show(t: TreeDef) -> str:
            if t.is_leaf:
                return next(it)
            if t.kind == "none":
                return "None"
            parts = [show(c) for c in t.children]
            if t.kind == "dict":
                return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(t.meta, parts)) + "}"
            if t.kind == "namedtuple":
                return f"{t.meta.__name__}(" + ", ".join(parts) + ")"
            if t.kind == "list":
                return "[" + ", ".join(parts) + "]"
            return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"

        return show(self.tree)


def leaf_types(types) -> list:
    """The flat leaf types of a specialisation's argument types (TreeTypes expanded)."""
    out = []
    for t in types:
        out += list(t.leaves) if isinstance(t, TreeType) else [t]
    return out


def leaf_positions(types) -> list[list[int]]:
    """For each argument, the positions of its leaves among all the leaves."""
    out, k = [], 0
    for t in types:
        n = len(t.leaves) if isinstance(t, TreeType) else 1
        out.append(list(range(k, k + n)))
        k += n
    return out


def of_outputs(fn) -> TreeDef:
    """The structure of a lowered function's outputs (IR built by hand has none: its
    outputs are one value, or a flat tuple)."""
    t = getattr(fn, "out_tree", None)
    if isinstance(t, TreeDef):
        return t
    n = len(fn.outputs)
    return LEAF if n == 1 else tuple_of([LEAF] * n)


def arg_tree(t) -> TreeDef:
    return t.tree if isinstance(t, TreeType) else LEAF
