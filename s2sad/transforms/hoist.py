"""Loop-invariant loads read once per iteration of the loop where they vary.

A load in an inner loop whose array no write of the loop nest changes and whose indices
are defined outside it (`xc[i]` in `for j in range(i + 1, d): qx[j] += L[k, li] * xc[i]`)
reads the same number in every iteration. Recorded where it is, the forward sweep pushes
it once per inner iteration. `invariant_twins` places a copy of the load (its twin)
before the outermost loop of the nest it is invariant in, guarded by the trip counts of
the loops it crosses (a loop that runs no iteration never made the read, whose index may
then be out of bounds), and returns {load result: twin}. The loop itself is unchanged;
the recording (transforms/recording.py) reads the twin instead of recording the load, so
the loop around the twin records it once per its own iteration, and the gradient is the
same bit for bit. A twin nobody reads is dead code. `S2SAD_DISABLE=hoist` turns it off.
"""

from __future__ import annotations

from .. import switches
from ..analysis.aliases import is_write, points_to
from ..ir.builder import Builder
from ..ir.nodes import Block, Const, For, Function, If, Op, Var, While, sub_blocks, walk
from ..ir.primitives import PRIMS
from ..ir.types import ArrayT
from .common import zero_of


def invariant_twins(fn: Function) -> dict[Var, Var]:
    """Twins of the loop-invariant scalar loads of fn (in place: fn is the adjoint's
    clone); {load result: twin}. None under S2SAD_DISABLE=hoist."""
    if switches.off("hoist"):
        return {}
    pts = points_to(fn)
    twins: dict[Var, Var] = {}
    inserts: list[tuple[Block, For, list]] = []
    info: dict[int, tuple[set, frozenset]] = {}

    def facts(loop: For) -> tuple[set, frozenset]:
        """What the loop defines, and the array sites its writes may change."""
        if id(loop) not in info:
            defined = set(loop.params) | {loop.ivar}
            sites: set = set()
            for t in walk(loop.body):
                defined.update(t.results)
                defined.update(getattr(t, "params", ()))
                if isinstance(t, For):
                    defined.add(t.ivar)
                if isinstance(t, Op) and (is_write(t.prim) or PRIMS[t.prim].effect) and \
                        t.args and isinstance(t.args[0], Var):
                    sites |= pts.get(t.args[0], {t.args[0]})
            info[id(loop)] = (defined, frozenset(sites))
        return info[id(loop)]

    def target(op: Op, nest: list[tuple[Block, For]]) -> int | None:
        """The outermost loop of the nest (an index) the load is invariant in."""
        arr = op.args[0]
        for m, (_, loop) in enumerate(nest):
            defined, sites = facts(loop)
            if any(isinstance(a, Var) and a in defined for a in op.args):
                continue
            if pts.get(arr, {arr}) & sites:
                continue
            if any(isinstance(v, Var) and v in defined for _, inner in nest[m + 1:]
                   for v in (inner.start, inner.stop, inner.step)):
                continue
            return m
        return None

    def visit(b: Block, nest: list[tuple[Block, For]]) -> None:
        for s in b.stmts:
            if nest and isinstance(s, Op) and _scalar_load(s):
                m = target(s, nest)
                if m is not None:
                    outer_block, outer = nest[m]
                    stmts, twin = _twin(s, [loop for _, loop in nest[m:]])
                    inserts.append((outer_block, outer, stmts))
                    twins[s.results[0]] = twin
            if isinstance(s, For):
                visit(s.body, nest + [(b, s)])
            elif isinstance(s, (If, While)):  # a guarded read stays where it is
                for sb in sub_blocks(s):
                    visit(sb, [])
    visit(fn.body, [])
    for block, loop, stmts in inserts:
        at = next(k for k, t in enumerate(block.stmts) if t is loop)
        block.stmts[at:at] = stmts
    return twins


def _scalar_load(s: Op) -> bool:
    p = PRIMS[s.prim]
    return (p.access and not p.effect and not p.view and len(s.results) == 1 and s.args
            and isinstance(s.args[0], Var) and isinstance(s.args[0].type, ArrayT)
            and not isinstance(s.results[0].type, ArrayT))


def _twin(load: Op, crossed: list[For]) -> tuple[list, Var]:
    """The statements computing the load's twin before crossed[0]: the load, under an If
    on the crossed loops running at least once where that is not known."""
    r = load.results[0]
    b = Builder(Block())
    b.loc = load.loc
    cond = None
    for loop in crossed:
        if all(isinstance(v, Const) for v in (loop.start, loop.stop, loop.step)) and \
                len(range(loop.start.value, loop.stop.value, loop.step.value)) > 0:
            continue
        runs = b.op("gt", b.op("trip_count", loop.start, loop.stop, loop.step),
                    Const(0, loop.ivar.type))
        cond = runs if cond is None else b.op("and", cond, runs)
    got = Var(r.name, r.type)
    read = Op(load.prim, list(load.args), [got], dict(load.attrs), load.loc)
    got.defn = read
    if cond is None:
        return [*b.block.stmts, read], got
    twin = Var(r.name, r.type)
    b.append(If(cond, Block([read], [got]), Block([], [zero_of(r.type)]), [twin], load.loc))
    return b.block.stmts, twin
