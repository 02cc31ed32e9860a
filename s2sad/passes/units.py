"""Products with unit vectors as columns: `M @ basis(n, k)` is `M[:, k]`, and
`M @ (x * basis(n, k))` is `x[k] * M[:, k]`.

Jacobian loops (batch.py) seed one jvp per column with the unit vector e_k; the first
linear map of the input then costs a matrix-vector product per column where a column
read does (for tanh(A @ x), R^100 -> R^100: 100 products of 10^4 flops against 100 reads
of 100 values). A `basis` no product consumes stays an array (dead code otherwise).
"""

from __future__ import annotations

from ..ir.nodes import Function, Op, Var, blocks
from ..ir.primitives import PRIMS
from ..ir.types import ArrayT

_COLUMN = (("s", False, False, False), ("i",))


def _only_read(fn: Function) -> set:
    """Values that no op writes, views or carries out of a block (a column of M may stand
    for them: it is a view of M)."""
    bad, used = set(), set()
    for b in blocks(fn.body):
        bad.update(v for v in b.yields)
        for s in b.stmts:
            if not isinstance(s, Op):
                continue
            p = PRIMS.get(s.prim)
            for j, a in enumerate(s.args):
                used.add(a)
                if p is None or p.view or p.writes == j:
                    bad.add(a)
    return used - bad


def _unit(v, ok: set):
    """(k, scale or None) when v is e_k, or x * e_k with x a vector or a number whose
    product nothing else reads; else None."""
    d = getattr(v, "defn", None)
    if not isinstance(d, Op):
        return None
    if d.prim == "basis":
        return d.args[1], None
    if d.prim == "mul" and len(d.args) == 2 and v in ok:
        for x, u in (d.args, d.args[::-1]):
            e = getattr(u, "defn", None)
            if isinstance(e, Op) and e.prim == "basis" and (
                    not isinstance(x.type, ArrayT) or x.type.ndim == 1):
                return e.args[1], x
    return None


def unit_columns(fn: Function) -> Function:
    ok = _only_read(fn)
    for b in blocks(fn.body):
        out = []
        for s in b.stmts:
            unit = None
            if isinstance(s, Op) and s.prim == "matmul" and len(s.args) == 2 and \
                    isinstance(s.args[0].type, ArrayT) and s.args[0].type.ndim == 2 and \
                    all(r in ok for r in s.results):
                unit = _unit(s.args[1], ok)
            if unit is None:
                out.append(s)
                continue
            k, x = unit
            m = s.args[0]
            (r,) = s.results
            if x is None:  # M @ e_k = M[:, k]
                new = [Op("getslice", [m, k], [r], {"spec": _COLUMN}, s.loc)]
            else:  # M @ (x * e_k) = x[k] * M[:, k]
                col = Var("", ArrayT(m.type.dtype, 1))
                ops = [Op("getslice", [m, k], [col], {"spec": _COLUMN}, s.loc)]
                if isinstance(x.type, ArrayT):
                    xk = Var("", x.type.dtype)
                    ops.append(Op("getitem", [x, k], [xk], {}, s.loc))
                    x = xk
                ops.append(Op("mul", [x, col], [r], {}, s.loc))
                new = ops
            for op in new:
                for v in op.results:
                    v.defn = op
            out.extend(new)
        b.stmts = out
    return fn
