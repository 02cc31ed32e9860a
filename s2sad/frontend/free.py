"""Free values: the module-level, closure and attribute values a function reads.

Arrays and float scalars are *bound*: each becomes a parameter of the lowered function
(after the user's own), and whoever calls the generated code reads it again at every
call, so a changed value (`mod.C = 7.0`, `A[:] = 10.0`) is seen at once and no data is
pasted into the generated source. Ints and bools are *guarded* compile-time constants,
as in Numba: they decide trip counts, shapes, axes and branches, so they are folded; a
specialisation remembers the values it folded and is used only while they still hold.

A `FreeRef` says where a value lives: a name in a module's globals, a closure cell, or a
compile-time object (a bound method's `self`), then attributes and tuple indices.
"""

from __future__ import annotations

import pickle
import sys
import types
from dataclasses import dataclass, field

import numpy as np

from .. import pytree
from ..ir.nodes import Var
from ..ir.types import Type, typeof

_CELL = types.CellType


@dataclass(frozen=True)
class Key:
    """A dict key on a FreeRef's path (a str step is an attribute)."""

    key: object


@dataclass(frozen=True, eq=False)
class Structure:
    """The guarded value of a module-level pytree: equal to any pytree of this structure
    (so the entry wrapper's `value == guard` test reads it as the folded value)."""

    tree: pytree.TreeDef

    def __eq__(self, other) -> bool:
        try:
            return pytree.structure(other) == self.tree
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.tree)


@dataclass(frozen=True, eq=False)
class FreeRef:
    """Where a free value lives, and how to read it again."""

    root: object  # a globals dict, a closure cell, or a compile-time object
    key: str | None = None  # the name in a globals dict
    path: tuple = ()  # then attribute names (str), tuple indices (int), dict keys (Key)
    name: str = ""  # a readable name for the generated parameter

    @property
    def ident(self) -> tuple:
        return (id(self.root), self.key, self.path)

    def child(self, step: str | int | Key) -> FreeRef:
        text = step.key if isinstance(step, Key) else step
        label = f"{self.name}_{text}" if self.name else str(text)
        return FreeRef(self.root, self.key, self.path + (step,), label)

    def parent(self) -> FreeRef:
        """The object this one is an attribute or element of."""
        return FreeRef(self.root, self.key, self.path[:-1], self.name.rsplit("_", 1)[0])

    def read(self):
        """The value now (KeyError/AttributeError/IndexError if it is gone)."""
        if self.key is not None:
            v = self.root[self.key]
        elif isinstance(self.root, _CELL):
            v = self.root.cell_contents
        else:
            v = self.root
        for step in self.path:
            v = v[step] if isinstance(step, int) else v[step.key] if isinstance(step, Key) \
                else getattr(v, step)
        return v

    def __deepcopy__(self, memo):  # a module's globals are never copied with the IR
        return self

    def __reduce__(self):
        """Pickled (the disk cache keeps IR) as the module whose globals it reads; a closure
        cell or an object cannot be: such IR is kept in memory only."""
        mod = self.root.get("__name__") if isinstance(self.root, dict) else None
        if mod is None or getattr(sys.modules.get(mod), "__dict__", None) is not self.root:
            raise pickle.PicklingError(f"{self.name}: not a module-level value")
        return (_module_ref, (mod, self.key, self.path, self.name))

    def __repr__(self) -> str:
        return f"FreeRef({self.name})"

    def code(self, root_name: str) -> str:
        """A Python expression that reads the value, given the root bound to root_name."""
        if self.key is not None:
            text = f"{root_name}[{self.key!r}]"
        elif isinstance(self.root, _CELL):
            text = f"{root_name}.cell_contents"
        else:
            text = root_name
        for step in self.path:
            text += f"[{step}]" if isinstance(step, int) else f"[{step.key!r}]" if isinstance(
                step, Key) else f".{step}"
        return text


def _module_ref(module: str, key, path, name) -> FreeRef:
    return FreeRef(sys.modules[module].__dict__, key, path, name)


def global_ref(globals_dict: dict, name: str) -> FreeRef:
    return FreeRef(globals_dict, name, (), name)


def cell_ref(cell, name: str) -> FreeRef:
    return FreeRef(cell, None, (), name)


def object_ref(obj, name: str) -> FreeRef:
    return FreeRef(obj, None, (), name)


def is_bound_kind(obj) -> bool:
    """Values read at every call (the others are folded)."""
    return isinstance(obj, np.ndarray) or (
        isinstance(obj, float | np.floating) and not isinstance(obj, bool))


@dataclass(frozen=True)
class Guard:
    """A value folded at compile time: the specialisation holds while ref reads `value`
    (kind "len": a tuple of that length; "tree": a pytree of that structure)."""

    ref: FreeRef
    value: object
    kind: str = "eq"

    def __deepcopy__(self, memo):
        return self

    def holds(self) -> bool:
        try:
            v = self.ref.read()
        except Exception:
            return False
        if self.kind == "len":
            return isinstance(v, tuple) and len(v) == self.value
        if self.kind == "tree":
            return self.value == v
        return type(v) is type(self.value) and v == self.value


@dataclass
class FreeValues:
    """The free values of one lowering (a function and every helper inlined into it)."""

    refs: list[FreeRef] = field(default_factory=list)
    params: list[Var] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    _by_ident: dict = field(default_factory=dict)
    _guarded: set = field(default_factory=set)

    def bind(self, ref: FreeRef, value) -> Var:
        """The parameter that carries ref's value (one per place, however often read)."""
        v = self._by_ident.get(ref.ident)
        if v is None:
            v = Var(_identifier(ref.name), typeof(value))
            self._by_ident[ref.ident] = v
            self.refs.append(ref)
            self.params.append(v)
        return v

    def guard(self, ref: FreeRef, value, kind: str = "eq") -> None:
        if ref.ident not in self._guarded:
            self._guarded.add(ref.ident)
            self.guards.append(Guard(ref, value, kind))

    def adopt(self, refs: list[FreeRef], guards: list[Guard]) -> list[Var]:
        """Bind another lowering's free values here (nested AD): their parameters here."""
        for g in guards:
            self.guard(g.ref, g.value, g.kind)
        return [self.bind(r, r.read()) for r in refs]


@dataclass(frozen=True)
class Binding:
    """What a specialisation needs from the free values at call time."""

    refs: tuple[FreeRef, ...] = ()
    types: tuple[Type, ...] = ()
    guards: tuple[Guard, ...] = ()

    def values(self) -> list:
        return [r.read() for r in self.refs]

    def holds(self) -> bool:
        """The folded values are unchanged and the bound ones have the types compiled for."""
        if not all(g.holds() for g in self.guards):
            return False
        try:
            return all(typeof(r.read()) == t for r, t in zip(self.refs, self.types))
        except Exception:
            return False


def binding(fn) -> Binding:
    """The Binding of a lowered Function (see `FreeValues`)."""
    fv = getattr(fn, "free", None)
    if not fv:
        return Binding()
    return Binding(tuple(fv.refs), tuple(p.type for p in fv.params), tuple(fv.guards))


def _identifier(name: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "free"
    return out if not out[0].isdigit() else "_" + out
