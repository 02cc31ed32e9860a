"""Print an IR function as a Wengert list in the seed documents' notation (`v3 = log(v1)`)."""

from __future__ import annotations

from .names import Namer
from .nodes import Block, Const, For, Function, If, Op, Value, Var, While
from .primitives import PRIMS


class Printer:
    def __init__(self, fn: Function, types: bool = False):
        self.fn = fn
        self.names = Namer(fn)
        self.types = types
        self.lines: list[str] = []
        self._last_line: int | None = None

    def val(self, v: Value) -> str:
        if isinstance(v, Const):
            return repr(v.value)
        return self.names[v]

    def emit(self, depth: int, text: str, loc=None) -> None:
        comment = ""
        if loc is not None and loc.line != self._last_line:
            comment = f":{loc.line}"
            self._last_line = loc.line
        line = "    " * depth + text
        self.lines.append(f"{line:<42} # {comment}" if comment else line)

    def op_text(self, op: Op) -> str:
        p = PRIMS[op.prim]
        args = [self.val(a) for a in op.args]
        if op.prim == "getitem":
            rhs = f"{args[0]}[{', '.join(args[1:])}]"
        elif op.prim == "setitem":
            return f"{args[0]}[{', '.join(args[1:-1])}] = {args[-1]}"
        elif p.infix and len(args) == 2:
            rhs = f"{args[0]} {p.infix} {args[1]}"
        elif p.infix and len(args) == 1:
            rhs = f"{p.infix}{args[0]}"
        else:
            attrs = "".join(f", {k}={v!r}" for k, v in op.attrs.items() if not k.startswith("_"))
            rhs = f"{op.prim}({', '.join(args)}{attrs})"
        return f"{self.targets(op.results)} = {rhs}"

    def targets(self, vs: list[Var]) -> str:
        if self.types:
            return ", ".join(f"{self.names[v]}: {v.type}" for v in vs)
        return ", ".join(self.names[v] for v in vs) if vs else "_"

    def block(self, b: Block, depth: int) -> None:
        for s in b.stmts:
            self.stmt(s, depth)

    def yields(self, b: Block, depth: int) -> None:
        if b.yields:
            self.emit(depth, "yield " + ", ".join(self.val(v) for v in b.yields))

    def stmt(self, s, depth: int) -> None:
        res = self.targets(s.results) + " = " if s.results else ""
        if isinstance(s, Op):
            self.emit(depth, self.op_text(s), s.loc)
        elif isinstance(s, If):
            self.emit(depth, f"{res}if {self.val(s.cond)}:", s.loc)
            self.block(s.then, depth + 1)
            self.yields(s.then, depth + 1)
            self.emit(depth, "else:")
            self.block(s.orelse, depth + 1)
            self.yields(s.orelse, depth + 1)
        elif isinstance(s, For):
            rng = ", ".join(self.val(v) for v in (s.start, s.stop, s.step))
            it = f"reversed(range({rng}))" if s.reverse else f"range({rng})"
            self.emit(depth, f"{res}for {self.val(s.ivar)} in {it}{self.carry(s)}:", s.loc)
            self.block(s.body, depth + 1)
            self.yields(s.body, depth + 1)
        elif isinstance(s, While):
            self.emit(depth, f"{res}while{self.carry(s)}:", s.loc)
            self.emit(depth + 1, "cond:")
            self.block(s.cond, depth + 2)
            self.yields(s.cond, depth + 2)
            self.emit(depth + 1, "body:")
            self.block(s.body, depth + 2)
            self.yields(s.body, depth + 2)

    def carry(self, s) -> str:
        if not s.params:
            return ""
        pairs = ", ".join(f"{self.names[p]} = {self.val(i)}" for p, i in zip(s.params, s.inits))
        return f" carry ({pairs})"

    def function(self) -> str:
        fn = self.fn
        params = ", ".join(f"{self.names[p]}: {p.type}" for p in fn.params)
        outs = [self.val(v) for v in fn.outputs]
        rtypes = ", ".join(str(v.type) for v in fn.outputs)
        rt = f"({rtypes})" if len(fn.outputs) != 1 else rtypes
        head = f"def {fn.name}({params}) -> {rt}:"
        where = f"{fn.loc.file}:{fn.loc.line}" if fn.loc else ""
        self.lines.append(f"{head:<42} # {where}" if where else head)
        if fn.loc is not None:
            self._last_line = fn.loc.line
        self.block(fn.body, 1)
        self.emit(1, "return " + ", ".join(outs))
        return "\n".join(self.lines)


def print_function(fn: Function, types: bool = False) -> str:
    return Printer(fn, types).function()
