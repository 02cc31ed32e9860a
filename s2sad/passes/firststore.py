"""The first contribution to a zeroed adjoint buffer is the buffer: `W_bar =
np.zeros_like(W); ...; W_bar += np.dot(X.T, g)` becomes `W_bar = np.dot(X.T, g)`.

Only where nothing reads or writes the buffer before, and the contribution is an array of
the buffer's type that nothing else reads, new (so later writes into the buffer change no
other value) or not written into later."""

from __future__ import annotations

from ..ir.nodes import Function, Op, Var, stmt_uses, sub_blocks, use_counts
from ..ir.primitives import PRIMS
from ..ir.rewrite import substitute
from ..ir.types import F64


def _mentions(s, v: Var) -> bool:
    if v in stmt_uses(s):
        return True
    return any(v in stmt_uses(t) or v in b.yields for b in sub_blocks(s)
               for t in _all(b)) or any(v in b.yields for b in sub_blocks(s))


def _all(b):
    for s in b.stmts:
        yield s
        for sb in sub_blocks(s):
            yield from _all(sb)


def first_stores(fn: Function) -> Function:
    stmts = fn.body.stmts
    uses = use_counts(fn.body)
    defs = {r: s for s in stmts if isinstance(s, Op) for r in s.results}
    drop: set[int] = set()
    mapping: dict[Var, Var] = {}
    for k, z in enumerate(stmts):
        if not (isinstance(z, Op) and PRIMS[z.prim].fill == "zeros" and z.results):
            continue
        buf = z.results[0]
        if buf.type.dtype != F64:  # `+=` casts a wider contribution (an f64 arange in
            continue               # float32 code) to the buffer's dtype; `=` would not
        for j in range(k + 1, len(stmts)):
            s = stmts[j]
            if not _mentions(s, buf):
                continue
            c = s.args[1] if isinstance(s, Op) and s.prim == "iadd" and s.args[0] is buf \
                and len(s.args) == 2 else None
            d = defs.get(c) if isinstance(c, Var) else None
            # a view of another array (sum_to may return its operand) only if nothing writes
            # into the buffer later
            reads_only = all(isinstance(t, Op) and not PRIMS[t.prim].effect
                             for t in stmts[j + 1:] if _mentions(t, buf))
            if d is not None and c.type == buf.type and uses.get(c, 0) == 1 and \
                    not PRIMS[d.prim].effect and (not PRIMS[d.prim].view or reads_only):
                drop.update((id(z), id(s)))
                mapping[buf] = c
            break
    if mapping:
        fn.body.stmts = [s for s in stmts if id(s) not in drop]
        substitute(fn.body, mapping)
        for b, c in mapping.items():  # the contribution takes the buffer's readable name
            if not c.name and c.base is None:
                c.base, c.suffix, c.deriv = b.base, b.suffix, True
    return fn
