"""No transform modifies its inputs: copy on entry the array parameters the function
writes into (only those), so a derivative is the derivative of the function as called,
and calling it twice on the same array gives the same answer."""

from __future__ import annotations

from ..analysis.aliases import written_params
from ..ir.nodes import Function, Op, Var
from ..ir.rewrite import substitute


def copy_written_inputs(fn: Function) -> Function:
    written = written_params(fn)
    if not written:
        return fn
    mapping: dict[Var, Var] = {p: Var(p.name, p.type) for p in written}
    substitute(fn.body, mapping)
    fn.body.stmts[:0] = [Op("copy", [p], [c], {}, fn.loc) for p, c in mapping.items()]
    return fn
