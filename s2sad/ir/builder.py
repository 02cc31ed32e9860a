"""Builder: append typed ops to a block (used by the frontend, the rules and the transforms)."""

from __future__ import annotations

from contextlib import contextmanager

from ..errors import SourceLoc
from .nodes import Block, Const, Op, Stmt, Value, Var
from .primitives import PRIMS, result_type
from .types import BOOL, F64, I64, Type


def const(value, type: Type | None = None) -> Const:
    if type is None:
        type = BOOL if isinstance(value, bool) else I64 if isinstance(value, int) else F64
    if type == F64 or (type is not None and getattr(type, "name", "") == "f32"):
        value = float(value)
    return Const(value, type)


class Builder:
    def __init__(self, block: Block | None = None):
        self.block = block if block is not None else Block()
        self.loc: SourceLoc | None = None
        self.written: set[Var] = set()  # arrays whose elements an op built so far writes

    def append(self, stmt: Stmt) -> None:
        if getattr(stmt, "loc", None) is None and self.loc is not None:
            stmt.loc = self.loc
        if isinstance(stmt, Op) and stmt.args:
            w = PRIMS[stmt.prim].writes if stmt.prim in PRIMS else None
            if w is not None and isinstance(stmt.args[w], Var):
                self.written.add(stmt.args[w])
        self.block.stmts.append(stmt)

    def op(self, prim: str, *args: Value, name: str = "", type: Type | None = None,
           **attrs) -> Var:
        t = type if type is not None else result_type(prim, [a.type for a in args], attrs)
        out = Var(name, t)
        op = Op(prim, list(args), [out], attrs, self.loc)
        out.defn = op
        self.append(op)
        return out

    def effect(self, prim: str, *args: Value, **attrs) -> None:
        self.append(Op(prim, list(args), [], attrs, self.loc))

    @contextmanager
    def into(self, block: Block):
        saved = self.block
        self.block = block
        try:
            yield self
        finally:
            self.block = saved
