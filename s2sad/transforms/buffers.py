"""Where reverse mode keeps the adjoints of arrays that are read or written element by
element: in-place *buffers*, one per array, placed where the array is defined.

An active array that is read or written element by element (or allocated and filled, or
read inside a loop that does not define it) gets an adjoint buffer that the reverse sweep
updates in place:
- defined at the top level (or a parameter): allocated right after the definition,
  `u_bar = np.zeros_like(u)`, and alive for the whole reverse sweep;
- defined in a loop body or a branch (a fresh array per iteration, a loop variable, a
  loop's or If's result there): allocated at the start of the reverse block,
  `un_bar = np.zeros(n_un)`, from its shape recorded in the forward sweep (ints).
Loop variables pass their buffers on: the buffer of a loop variable is what the reversed
body yields, and the carried buffer becomes the buffer of the value the forward body
yielded (no copy), so `u, un = un, u` swaps buffers.
"""

from __future__ import annotations

from ..analysis.aliases import alias_hazards
from ..errors import UnsupportedSyntax
from ..ir.builder import Builder
from ..ir.nodes import (
    Block,
    For,
    Function,
    If,
    Op,
    Value,
    Var,
    While,
    block_defs,
    block_uses,
    blocks,
    walk,
)
from ..ir.primitives import PRIMS
from ..ir.types import I64, ArrayT
from ..rules import RULES
from .common import is_array_var, shaped, zero_value


class Buffers:
    """The adjoint buffers of one reverse-mode function: where they are placed, their
    shapes, and how loops and branches hand them over (the Adjoint owns one)."""

    def __init__(self, fn: Function, fwd: Block, active: set, written: set):
        self.fn = fn
        self.active = active
        self.written = written  # arrays element writes may change (analysis/aliases.py)
        self.subscripted = {t.args[0] for t in walk(fwd) if isinstance(t, Op) and
                            PRIMS[t.prim].access}
        self.bufs: dict[Var, Var] = {}  # active array -> its adjoint buffer
        self.home: dict[Var, tuple] = {}  # Var -> (block that defines it, defining stmt)
        self.local: dict[int, list[Var]] = {}  # id(block) -> buffered Vars it defines
        self.dims: dict[Var, list] = {}  # buffered Var defined in a region -> its shape
        self.loop_of: dict[Var, object] = {}  # loop variable -> its loop
        self.index(fwd, None)
        self.need = self.needs(fwd)
        self.refuse_hazards()

    def index(self, blk: Block, loop) -> None:
        """Where each Var is defined: (block, statement); loop variables: (body, None)."""
        if loop is not None:
            for p in loop.params:
                self.home[p] = (blk, None)
                self.loop_of[p] = loop
        for s in blk.stmts:
            for r in s.results:
                self.home[r] = (blk, s)
            if isinstance(s, (For, While)):
                self.index(s.body, s)
                if isinstance(s, While):
                    self.index(s.cond, None)
            elif isinstance(s, If):
                self.index(s.then, None)
                self.index(s.orelse, None)

    def needs(self, fwd: Block) -> set[Var]:
        def wants(v) -> bool:
            return is_array_var(v) and v in self.active

        need = {p for p in self.fn.params if wants(p)}
        loops = []
        for s in walk(fwd):
            if isinstance(s, Op):
                if s.results and wants(s.results[0]) and (
                        _needs_buffer(s.prim) or s.results[0] in self.subscripted):
                    need.add(s.results[0])
                continue
            need.update(r for r in s.results if wants(r) and r in self.subscripted)
            if isinstance(s, (For, While)):
                loops.append(s)
                need.update(p for p in s.params if wants(p) and p in self.subscripted)
                # arrays a loop reads but does not define: their adjoints accumulate in
                # place over the iterations
                inner = block_defs(s.body) | set(s.params)
                need.update(v for v in block_uses(s.body) if wants(v) and v not in inner)
        changed = True
        while changed:  # a loop variable with a buffer hands it to the loop's result
            changed = False
            for s in loops:
                for p, r in zip(s.params, s.results):
                    if p in need and wants(r) and r not in need:
                        need.add(r)
                        changed = True
        return need

    def group_local(self, fwd: Block) -> None:
        for v, (blk, _) in self.home.items():
            if v in self.need and blk is not fwd:
                self.local.setdefault(id(blk), []).append(v)
        order = {}
        for k, s in enumerate(walk(fwd)):
            for r in s.results:
                order[r] = k
        for vs in self.local.values():
            vs.sort(key=lambda v: order.get(v, -1))

    def adopt(self, pairs, loop) -> None:
        """Copies of Vars (checkpointing re-runs a copy of a loop) need what the originals
        needed."""
        for old, new in pairs:
            if old in self.need:
                self.need.add(new)
        self.index(loop.body, loop)
        inside = {id(b) for b in blocks(loop.body)}
        for v, (b, _) in self.home.items():
            if v in self.need and b is not None and id(b) in inside:
                lst = self.local.setdefault(id(b), [])
                if v not in lst:
                    lst.append(v)

    def refuse_hazards(self) -> None:
        """Two live names for one array that element writes change: a buffer per name
        cannot say which name a write changes, so reverse mode refuses (docs/storage.md)."""
        for h in alias_hazards(self.fn, self.written, self.active):
            v = h["var"]
            name = v.name or "an array"
            names = ", ".join(q.name or "?" for q in h["names"])
            first = h["names"][0].name or "the copy"
            msg, hint = {
                "init-live": (f"{name} is the initial value of the loop variable {names} and "
                              f"is still used after the loop starts, which writes into the "
                              f"same array element by element",
                              f"start the loop from a copy ({first} = {name}.copy())"),
                "init-twice": (f"{name} is the initial value of two loop variables ({names}) "
                               "and the array is written element by element",
                               f"give one of them a copy ({name}.copy())"),
                "yield-twice": (f"{name} becomes two variables at once ({names}) and the "
                                "array is written element by element",
                                f"assign a copy ({name}.copy()) to one of them"),
                "yield-outer": (f"the loop variable {names} becomes {name}, an array defined "
                                "before the loop and written element by element while both "
                                "names are in use",
                                f"assign a copy ({first} = {name}.copy())"),
                "branch-outer": (f"after this if, {names} is another name for {name}, which "
                                 "is still used, and the array is written element by element",
                                 f"assign a copy in the branch ({first} = {name}.copy())"),
            }[h["kind"]]
            raise UnsupportedSyntax(
                f"reverse mode cannot differentiate element writes into an array with two "
                f"names: {msg}", h["stmt"].loc, hint)

    def alloc(self, blk: Block) -> None:
        """Adjoint buffers for arrays defined at the top level, right after them."""
        new = []
        for s in blk.stmts:
            new.append(s)
            for r in s.results:
                if r in self.need and r not in self.bufs:
                    buf = Var("", r.type, base=r, suffix="_bar")
                    new.append(Op("zeros_like", [r], [buf], {}, s.loc))
                    self.bufs[r] = buf
        blk.stmts = new

    def open(self, blk: Block, b: Builder, preset: dict) -> None:
        """At the start of a reverse block: the buffers of the arrays its forward block
        defines (given ones from `preset`, zeros otherwise)."""
        for v in self.local.get(id(blk), ()):
            if v in preset:
                self.bufs[v] = preset[v]
                continue
            buf = Var("", v.type, base=v, suffix="_bar")
            b.append(Op("zeros", self.shape(v), [buf], {"dtype": v.type.dtype.name}, b.loc))
            self.bufs[v] = buf

    def shape(self, v: Var) -> list:
        """The shape of an array defined in a region, as ints of the forward sweep (the
        reverse sweep recomputes or records them like any other value): the sizes an
        allocation was given, the shape of the array an elementwise op or a copy takes it
        from, or `dim` ops on the array itself."""
        if v in self.dims:
            return self.dims[v]
        blk, st = self.home.get(v, (None, None))
        nd = v.type.ndim
        if isinstance(st, Op) and PRIMS[st.prim].sized:
            args = st.args[:-1] if st.prim == "full" else st.args
            if len(args) == nd and all(a.type == I64 for a in args):
                self.dims[v] = list(args)
                return self.dims[v]
        src = _shape_source(st, v)
        if src is not None:
            self.dims[v] = self.shape(src)
            return self.dims[v]
        if blk is None:  # a parameter: its shape at the start of the function
            blk = self.fn.body
        loc = st.loc if st is not None else getattr(self.loop_of.get(v), "loc", self.fn.loc)
        ops = [Op("dim", [v], [Var(f"{v.name}_n" if nd == 1 else f"{v.name}_n{k}", I64)],
                  {"axis": k}, loc) for k in range(nd)]
        at = 0 if st is None else next(i for i, t in enumerate(blk.stmts) if t is st) + 1
        blk.stmts[at:at] = ops
        self.dims[v] = [o.results[0] for o in ops]
        return self.dims[v]

    def zeros(self, b: Builder, like: Var) -> Value:
        """A zero adjoint for like: a constant for scalars; for an array defined inside a
        region np.zeros of its recorded shape (np.zeros_like would need the array itself)."""
        if isinstance(like.type, ArrayT) and like in self.home and \
                self.home[like][0] is not self.fn.body:
            buf = Var("", like.type, base=like, suffix="_bar")
            b.append(Op("zeros", self.shape(like), [buf], {"dtype": like.type.dtype.name},
                        b.loc))
            return buf
        return zero_value(b, like)

    def owned(self, b: Builder, g: Value, like: Var) -> Var:
        """A buffer of its own holding g (an adjoint value others may share)."""
        g = shaped(b, g, like)
        buf = Var("", like.type, base=like, suffix="_bar")
        b.append(Op("copy", [g], [buf], {}, b.loc))
        return buf


def _shape_source(st, v: Var) -> Var | None:
    """The array whose shape v has, by how st makes it: a copy or *_like, or an
    elementwise op whose only array operand has v's rank."""
    if not isinstance(st, Op) or not st.args:
        return None
    if PRIMS[st.prim].fill is not None and not PRIMS[st.prim].sized:
        a = st.args[0]
        return a if isinstance(a, Var) and a.type == v.type else None
    rule = RULES.get(st.prim)
    arrays = [a for a in st.args if isinstance(a.type, ArrayT)]
    if rule is not None and rule.kind == "partials" and len(arrays) == 1 and \
            isinstance(arrays[0], Var) and arrays[0].type.ndim == v.type.ndim:
        return arrays[0]
    return None


def _needs_buffer(prim: str) -> bool:
    """Fresh arrays the program fills get an adjoint buffer; a copy only if subscripted."""
    return PRIMS[prim].fill in ("zeros", "ones", "empty", "value")
