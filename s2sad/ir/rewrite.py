"""Rewriting IR in place: substitution of values."""

from __future__ import annotations

from .nodes import Block, For, If, Op, Var, While, block_defs, stmt_uses, sub_blocks


def substitute_stmt(s, mapping: dict) -> None:
    """Replace the values one statement reads directly (not inside its regions)."""
    def m(v):
        return mapping.get(v, v) if isinstance(v, Var) else v

    if isinstance(s, Op):
        s.args = [m(a) for a in s.args]
    elif isinstance(s, If):
        s.cond = m(s.cond)
    elif isinstance(s, For):
        s.start, s.stop, s.step = m(s.start), m(s.stop), m(s.step)
        s.inits = [m(v) for v in s.inits]
    elif isinstance(s, While):
        s.inits = [m(v) for v in s.inits]


def substitute(block: Block, mapping: dict) -> None:
    """Replace uses of Vars in `block` (recursively) according to `mapping`, in place."""
    if not mapping:
        return

    def m(v):
        return mapping.get(v, v) if isinstance(v, Var) else v

    for s in block.stmts:
        if isinstance(s, Op):
            s.args = [m(a) for a in s.args]
        elif isinstance(s, If):
            s.cond = m(s.cond)
            substitute(s.then, mapping)
            substitute(s.orelse, mapping)
        elif isinstance(s, For):
            s.start, s.stop, s.step = m(s.start), m(s.stop), m(s.step)
            s.inits = [m(v) for v in s.inits]
            substitute(s.body, mapping)
        elif isinstance(s, While):
            s.inits = [m(v) for v in s.inits]
            substitute(s.cond, mapping)
            substitute(s.body, mapping)
    block.yields = [m(v) for v in block.yields]


def free_vars(blk: Block) -> list[Var]:
    """Vars read in blk but defined outside it, in first-use order."""
    defs = block_defs(blk)
    seen: dict[Var, None] = {}

    def visit(b: Block):
        for s in b.stmts:
            for v in stmt_uses(s):
                if isinstance(v, Var) and v not in defs:
                    seen.setdefault(v)
            for sb in sub_blocks(s):
                visit(sb)
        for v in b.yields:
            if isinstance(v, Var) and v not in defs:
                seen.setdefault(v)

    visit(blk)
    return list(seen)
