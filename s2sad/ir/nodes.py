"""IR nodes: an SSA Wengert list with structured regions (If, For, While).

Every Var is assigned exactly once. Regions take values in and give values out:
an If yields one value per result from each branch; a For/While has loop-carried
`params` (initialised from `inits`, updated from the body's `yields`) whose final
values are its `results`. Arrays are references: `setitem` mutates one in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import SourceLoc
from .types import Type


@dataclass(eq=False)
class Var:
    name: str  # a hint: the user's name, or "" for a temporary; printers make names unique
    type: Type
    base: Var | None = None  # for derivative values: the primal they belong to
    suffix: str = ""  # "_dot", "_bar", ...: printed name is name(base) + suffix
    # made by a derivative rule or transform (named after its primal once it has one)
    deriv: bool = field(default=False, repr=False)
    # the Op that defines it, where the Builder made it: read through it (ir.fold.negated),
    # so a rewrite of the op's operands is seen; a pass that gives the Var another
    # definition clears it
    defn: Op | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Var({self.name or '_'}: {self.type})"


@dataclass(frozen=True)
class Const:
    value: Any
    type: Type

    def __repr__(self) -> str:
        return repr(self.value)


Value = Var | Const


@dataclass(eq=False)
class Op:
    prim: str
    args: list[Value]
    results: list[Var]
    attrs: dict = field(default_factory=dict)
    loc: SourceLoc | None = None

    @property
    def result(self) -> Var:
        return self.results[0]


@dataclass(eq=False)
class Block:
    stmts: list[Stmt] = field(default_factory=list)
    yields: list[Value] = field(default_factory=list)


@dataclass(eq=False)
class If:
    cond: Value
    then: Block
    orelse: Block
    results: list[Var]
    loc: SourceLoc | None = None


@dataclass(eq=False)
class For:
    """`for ivar in range(start, stop, step)`, optionally iterated in reverse order."""

    ivar: Var
    start: Value
    stop: Value
    step: Value
    params: list[Var]
    inits: list[Value]
    body: Block
    results: list[Var]
    loc: SourceLoc | None = None
    reverse: bool = False  # iterate range(start, stop, step) backwards


@dataclass(eq=False)
class While:
    """Loop while `cond` (evaluated over params, yields one bool) holds."""

    params: list[Var]
    inits: list[Value]
    cond: Block
    body: Block
    results: list[Var]
    loc: SourceLoc | None = None


Stmt = Op | If | For | While


@dataclass(eq=False)
class Function:
    name: str
    params: list[Var]
    body: Block  # body.yields are the flat outputs
    loc: SourceLoc | None = None
    out_tree: Any = None  # nesting of the outputs: None (one value) or nested tuples of indices
    doc: str = ""
    # the frontend's FreeValues: the trailing params that carry module-level, closure and
    # attribute values, and the folded values the function was specialised on
    free: Any = None
    # how the generated function returns its outputs: None (flat) or nested output indices
    ret_shape: Any = None
    snapshots: list = field(default_factory=list)  # checkpoint storage (storage_bytes)
    tape_state: Any = None  # the recording stacks' final values (transforms/storage.py)

    @property
    def outputs(self) -> list[Value]:
        return self.body.yields


def sub_blocks(stmt: Stmt) -> list[Block]:
    if isinstance(stmt, If):
        return [stmt.then, stmt.orelse]
    if isinstance(stmt, For):
        return [stmt.body]
    if isinstance(stmt, While):
        return [stmt.cond, stmt.body]
    return []


def stmt_uses(stmt: Stmt) -> list[Value]:
    """Values a statement reads directly (not those read inside its regions)."""
    if isinstance(stmt, Op):
        return list(stmt.args)
    if isinstance(stmt, If):
        return [stmt.cond]
    if isinstance(stmt, For):
        return [stmt.start, stmt.stop, stmt.step, *stmt.inits]
    return list(stmt.inits)


def stmt_defs(stmt: Stmt) -> list[Var]:
    return list(stmt.results)


def walk(block: Block):
    """Every statement in a block and its nested regions, in program order."""
    for s in block.stmts:
        yield s
        for b in sub_blocks(s):
            yield from walk(b)


def walk_inside(s):
    """Every statement in the regions of statement `s` (none for an Op), in order."""
    for b in sub_blocks(s):
        yield from walk(b)


def blocks(block: Block):
    """The block and every block nested in it, outermost first."""
    yield block
    for s in block.stmts:
        for sb in sub_blocks(s):
            yield from blocks(sb)


def block_uses(block: Block) -> set[Var]:
    """Vars read anywhere in a block (including region yields), as a set."""
    out: set[Var] = set()

    def visit(b: Block) -> None:
        for s in b.stmts:
            out.update(v for v in stmt_uses(s) if isinstance(v, Var))
            for sb in sub_blocks(s):
                visit(sb)
        out.update(v for v in b.yields if isinstance(v, Var))

    visit(block)
    return out


def use_counts(block: Block) -> dict[Var, int]:
    """How many times each Var is read in a block: statements, region yields and the
    block's own yields."""
    out: dict[Var, int] = {}

    def visit(b: Block) -> None:
        for s in b.stmts:
            for v in stmt_uses(s):
                if isinstance(v, Var):
                    out[v] = out.get(v, 0) + 1
            for sb in sub_blocks(s):
                visit(sb)
        for v in b.yields:
            if isinstance(v, Var):
                out[v] = out.get(v, 0) + 1

    visit(block)
    return out


def loop_defs(loop) -> set[Var]:
    """Every value a loop defines: its parameters, its index and all its body defines."""
    out = set(loop.params) | block_defs(loop.body)
    if isinstance(loop, For):
        out.add(loop.ivar)
    return out


def block_defs(block: Block) -> set[Var]:
    """Vars defined anywhere in a block, region parameters and loop indices included."""
    out: set[Var] = set()
    for s in walk(block):
        out.update(s.results)
        if isinstance(s, For):
            out.add(s.ivar)
            out.update(s.params)
        elif isinstance(s, While):
            out.update(s.params)
    return out
