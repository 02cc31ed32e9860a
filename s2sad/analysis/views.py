"""Refuse code whose meaning depends on NumPy views seeing later writes.

`a = x[1:3]; x[1] = 5.0; use(a)`: `a` is a view, so `use` sees 5.0. s2sad treats a slice
as a value, so such code is refused (with the line of the use) instead of differentiated
wrongly. A slice used before its array is written again, the common case
(`u[1:-1] = u[1:-1] + ...`), is fine. Writing into a slice (`v = x[1:3]; v[0] = 5.0`,
which changes `x`) is refused too.
"""

from __future__ import annotations

from ..errors import UnsupportedSyntax
from ..ir.nodes import Block, For, Function, Op, Var, While, stmt_uses, sub_blocks, walk
from .aliases import is_write


def check_views(fn: Function) -> None:
    _block(fn.body, {}, set())


def _writes(b: Block) -> set:
    return {s.args[0] for s in walk(b) if isinstance(s, Op) and is_write(s.prim)}


def _block(b: Block, views: dict, stale: set) -> None:
    for s in b.stmts:
        for v in stmt_uses(s):
            if isinstance(v, Var) and v in stale:
                _refuse(v, views[v], s)
        if isinstance(s, Op):
            if s.prim == "getslice" and not s.attrs.get("copy"):
                views[s.results[0]] = s.args[0]
            if is_write(s.prim):
                if s.args[0] in views:
                    _refuse_write(s.args[0], views[s.args[0]], s)
                stale.update(v for v, arr in views.items() if arr is s.args[0])
            continue
        written = set().union(*(_writes(sb) for sb in sub_blocks(s)))
        inner_stale = set(stale)
        if isinstance(s, (For, While)):
            # a later iteration sees this iteration's writes
            inner_stale.update(v for v, arr in views.items() if arr in written)
        for sb in sub_blocks(s):
            _block(sb, dict(views), set(inner_stale))
            for v in sb.yields:
                if isinstance(v, Var) and v in inner_stale:
                    _refuse(v, views[v], s)
        stale.update(v for v, arr in views.items() if arr in written)
    for v in b.yields:
        if isinstance(v, Var) and v in stale:
            _refuse(v, views[v], None)


def _refuse(view: Var, arr: Var, at) -> None:
    name = arr.name or "the array"
    raise UnsupportedSyntax(
        f"a slice of {name} is used after {name} was modified: as a NumPy view it would "
        "show the new values, which s2sad does not model",
        getattr(at, "loc", None),
        f"take a copy when you slice ({name}[...].copy()), or use the slice before "
        f"writing into {name}")


def _refuse_write(view: Var, arr: Var, at) -> None:
    name = arr.name or "the array"
    raise UnsupportedSyntax(
        f"writing into a slice of {name}: as a NumPy view it changes {name}, which s2sad "
        "does not model", getattr(at, "loc", None),
        f"write into {name} directly ({name}[i + k] = ...), or take a copy when you slice "
        f"({name}[...].copy()) if {name} must not change")
