"""Collect like terms in the cotangents a loop stores: `g + 2*(-(r*g))` becomes `c*g`, with
`c = 1 + 2*(-r)` computed once before the loop.

Reverse mode adds one term per path from an input to an output, so a value that reaches
an output along several paths (u[i] in `u[i] + r*(u[i-1] - 2*u[i] + u[i+1])`) gets its
cotangent as a sum of products with the same loaded factor. Numba does not reassociate
floating point, so the loop would pay for every term; an expert writes the stencil's
coefficients once. Only stores into derivative buffers (`x_bar[i] = ...`) are rewritten:
the primal's own arithmetic is left exactly as written.
"""

from __future__ import annotations

from ..ir.builder import Builder, const
from ..ir.nodes import Block, Const, For, Function, Op, Var, block_defs, stmt_uses, sub_blocks, walk
from ..ir.types import F64

_MAX_TERMS = 16


def factor(fn: Function) -> Function:
    _visit(fn.body)
    return fn


def _visit(b: Block) -> None:
    out = []
    for s in b.stmts:
        for sb in sub_blocks(s):
            _visit(sb)
        if isinstance(s, For):
            out += _hoisted(s)
        out.append(s)
    b.stmts = out


def _hoisted(loop: For) -> list:
    """Rewrite the loop's derivative stores; return the ops that go before the loop."""
    body = loop.body
    inside = block_defs(body) | {loop.ivar} | set(loop.params)  # carried: not invariant
    defs = {r: t for t in body.stmts if isinstance(t, Op) for r in t.results}
    uses: dict = {}
    for t in walk(body):
        for v in stmt_uses(t):
            if isinstance(v, Var):
                uses[v] = uses.get(v, 0) + 1
    pre = Builder(Block())
    pre.loc = loop.loc
    for t in list(body.stmts):
        if not (isinstance(t, Op) and t.prim == "setitem" and len(t.args) == 3 and
                getattr(t.args[0], "suffix", "") == "_bar" and isinstance(t.args[2], Var)):
            continue
        terms = _linear(t.args[2], defs, uses, inside, root=True)
        if terms is None or len(terms) > _MAX_TERMS:
            continue
        atoms = [a for _, _, a in terms]
        if len({id(a) for a in atoms}) == len(atoms):
            continue  # no like terms
        pre.loc = t.loc
        new = Builder(Block())
        new.loc = t.loc
        total = None
        for atom in dict.fromkeys(atoms):  # first-appearance order
            coef = None
            for sign, factors, a in terms:
                if a is not atom:
                    continue
                prod = const(float(sign)) if not factors else _product(pre, factors, sign)
                coef = prod if coef is None else pre.op("add", coef, prod)
            if atom is None:
                term = coef
            elif isinstance(coef, Const) and coef.value == 1.0:
                term = atom
            else:
                term = new.op("mul", coef, atom)
            total = term if total is None else new.op("add", total, term)
        t.args[2] = total
        body.stmts[body.stmts.index(t):body.stmts.index(t)] = new.block.stmts
    return pre.block.stmts


def _product(b: Builder, factors: list, sign: int):
    out = factors[0]
    for f in factors[1:]:
        out = b.op("mul", out, f)
    return b.op("neg", out) if sign < 0 else out


def _linear(v, defs: dict, uses: dict, inside: set, root: bool = False):
    """v as [(sign, invariant factors, atom or None)], or None."""
    if isinstance(v, Const) or v not in inside:
        return [(1, [v], None)]
    d = defs.get(v)
    if d is None or (uses.get(v, 0) != 1 and not root) or d.prim not in \
            ("add", "sub", "neg", "mul") or v.type != F64:
        return [(1, [], v)]
    parts = [_linear(a, defs, uses, inside) for a in d.args]
    if d.prim == "add":
        return parts[0] + parts[1]
    if d.prim == "sub":
        return parts[0] + [(-s, f, a) for s, f, a in parts[1]]
    if d.prim == "neg":
        return [(-s, f, a) for s, f, a in parts[0]]
    inv = [not isinstance(a, Var) or a not in inside for a in d.args]
    if inv[0] or inv[1]:
        k, other = (d.args[0], parts[1]) if inv[0] else (d.args[1], parts[0])
        return [(s, [k, *f], a) for s, f, a in other]
    return [(1, [], v)]
