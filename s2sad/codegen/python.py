"""IR -> readable Python source.

Out of SSA: a loop's carried values, their initial values and their results share one
Python name where their lifetimes allow it (so `v0 = vn` stays `v0 = vn`), and an If's
results take the names of the values its branches compute. Single-use temporaries are
inlined into the expression that uses them. The output is itself in the subset the
frontend accepts, so a derivative can be differentiated again.
"""

from __future__ import annotations

import math
import re

import libcst as cst
import numpy as np

from ..ir.nodes import Block, Const, For, Function, If, Op, Value, Var, While, blocks, walk
from ..ir.primitives import PRIMS
from ..ir.types import F32, F64, I64, ArrayT, elem
from ..rules.user import USER, fingerprint
from . import spellings
from .coalesce import CoalescedNamer, coalesce
from .exprs import (
    EMITTERS,  # noqa: F401  (the table tests check)
    PREC,
    expression,
)
from .inline import inlinable


class Emitter:
    def __init__(self, fn: Function, header: list[str], defaults: dict[Var, str] | None = None):
        self.fn = fn
        self.header = header
        self.defaults = defaults or {}
        self.alias = coalesce(fn)
        self.names = CoalescedNamer(fn, self.alias)
        self.pairs = _decompositions(fn)
        self.inline = inlinable(fn, self.alias) - {o.results[0] for o in self.pairs.values()}
        self.defs: dict[Var, Op] = {s.results[0]: s for s in walk(fn.body)
                                    if isinstance(s, Op) and len(s.results) == 1}
        _weak_float32_literals(fn)
        self._in_f32 = False
        self.lines: list[str] = []
        self.user: set[str] = set()  # user-rule primitives called (s2sad.defrule)
        self.paired: set[Var] = set()
        self._last_line = fn.loc.line if fn.loc else None

    # ------------------------------------------------------------ expressions
    def val(self, v: Value) -> tuple[str, int]:
        if isinstance(v, Const):
            return self.const(v)
        if self._in_f32 and v.type == F64:  # a float64 scalar in float32 arithmetic
            inner = self.expr(self.defs[v])[0] if v in self.inline else self.names[v]
            return f"np.float32({inner})", PREC["atom"]
        if v in self.inline:
            return self.expr(self.defs[v])
        return self.names[v], PREC["atom"]

    def const(self, c: Const) -> tuple[str, int]:
        x = c.value
        if isinstance(x, np.ndarray):  # arrays reach generated code as parameters
            raise TypeError("array constants have no place in generated code")
        if isinstance(x, bool | np.bool_):
            return repr(bool(x)), PREC["atom"]
        if c.type in (I64,):
            return repr(int(x)), PREC["atom"] if x >= 0 else PREC["neg"]
        x = float(x)
        if math.isinf(x):
            return ("math.inf", PREC["atom"]) if x > 0 else ("-math.inf", PREC["neg"])
        if math.isnan(x):
            return "math.nan", PREC["atom"]
        text = repr(x)
        if c.type == F32:
            return f"np.float32({text})", PREC["atom"]
        return text, PREC["atom"] if x >= 0 and not text.startswith("-") else PREC["neg"]

    def arg(self, v: Value, prec: int, right: bool = False) -> str:
        text, p = self.val(v)
        if p < prec or (right and p == prec):
            return f"({text})"
        return text

    def expr(self, op: Op) -> tuple[str, int]:
        # NumPy 2 keeps float32 with Python floats, Numba widens: float64 scalars in float32
        # arithmetic are written np.float32(...) (see _weak_float32_literals)
        saved = self._in_f32
        self._in_f32 = bool(op.results) and elem(op.results[0].type) == F32
        try:
            return expression(self, op)
        finally:
            self._in_f32 = saved

    def accumulates(self, s: Op) -> bool:
        """setitem(a, i, a[i] + t), with both inlined: written `a[i] += t`."""
        v = s.args[-1]
        d = self.defs.get(v) if isinstance(v, Var) else None
        if d is None or v not in self.inline or d.prim != "add":
            return False
        g = self.defs.get(d.args[0]) if isinstance(d.args[0], Var) else None
        return g is not None and d.args[0] in self.inline and g.prim == "getitem" and \
            g.args == s.args[:-1]

    def maybe_strided(self, v: Value) -> bool:
        """v may be a non-contiguous array: a parameter, a view, or a value merged by a
        region (arithmetic, allocations and copies make contiguous arrays)."""
        d = self.defs.get(v) if isinstance(v, Var) else None
        # sum_to/expand_to may return broadcast views
        return isinstance(v, Var) and (d is None or PRIMS[d.prim].view)

    def index_text(self, spec, vals) -> str:
        it = iter(vals)
        parts = []
        for k in spec:
            if k[0] == "i":
                parts.append(self.val(next(it))[0])
                continue
            lo, hi, st = (self.val(next(it))[0] if has else "" for has in k[1:])
            parts.append(f"{lo}:{hi}" + (f":{st}" if st else ""))
        return ", ".join(parts)

    # ------------------------------------------------------------ statements
    def emit(self, depth: int, text: str, loc=None) -> None:
        line = "    " * depth + text
        if loc is not None and loc.line != self._last_line and loc.file == getattr(
                self.fn.loc, "file", None):
            line += f"  # line {loc.line}"
            self._last_line = loc.line
        self.lines.append(line)

    def copies(self, depth: int, dsts, srcs, loc=None) -> int:
        """dst_k = src_k for all k at once (a parallel copy: loop yields may swap values,
        `x, y = y, x`); the number of lines written."""
        pairs = [(self.names[d], self.val(s)[0]) for d, s in zip(dsts, srcs)
                 if not (isinstance(s, Var) and s not in self.inline and
                         self.names[s] == self.names[d])]
        if not pairs:
            return 0
        clobbers = any(re.search(rf"(?<![\w.]){re.escape(d)}\b", s)
                       for k, (d, _) in enumerate(pairs) for _, s in pairs[k + 1:])
        if clobbers:
            self.emit(depth, f"{', '.join(d for d, _ in pairs)} = "
                      f"{', '.join(s for _, s in pairs)}", loc)
            return 1
        for d, s in pairs:
            self.emit(depth, f"{d} = {s}", loc)
            loc = None
        return len(pairs)

    def block(self, b: Block, depth: int) -> int:
        n0 = len(self.lines)
        for s in b.stmts:
            self.stmt(s, depth)
        return len(self.lines) - n0

    def stmt(self, s, depth: int) -> None:
        if isinstance(s, Op):
            if id(s) in self.pairs:  # eigvalsh(A) and eigh(A)[1]: one decomposition
                other = self.pairs[id(s)]
                w, v = (s, other) if s.prim == "eigvalsh" else (other, s)
                if other.results[0] not in self.paired:
                    self.paired.update((s.results[0], other.results[0]))
                    self.emit(depth, f"{self.names[w.results[0]]}, {self.names[v.results[0]]} "
                              f"= np.linalg.eigh({self.val(s.args[0])[0]})", s.loc)
                return
            if s.prim == "setitem" and self.accumulates(s):  # a[i] = a[i] + t: a[i] += t
                idx = ", ".join(self.val(i)[0] for i in s.args[1:-1])
                t = self.val(self.defs[s.args[-1]].args[1])[0]
                self.emit(depth, f"{self.arg(s.args[0], PREC['atom'])}[{idx}] += {t}", s.loc)
                return
            if s.results and s.results[0] in self.inline:
                return
            text, _ = self.expr(s)
            if not s.results:
                self.emit(depth, text, s.loc)
                return
            r = s.results[0]
            # x_bar = x_bar + t  ->  x_bar += t (scalars only: on an array += would write
            # into an object other names may share, or into a read-only broadcast view)
            if s.prim in ("add", "sub") and isinstance(s.args[0], Var) and \
                    not isinstance(r.type, ArrayT) and \
                    s.args[0] not in self.inline and self.names[s.args[0]] == self.names[r]:
                sym = "+=" if s.prim == "add" else "-="
                self.emit(depth, f"{self.names[r]} {sym} {self.arg(s.args[1], PREC['add'] + 1)}",
                          s.loc)
                return
            self.emit(depth, f"{self.names[r]} = {text}", s.loc)
        elif isinstance(s, If):
            self.emit(depth, f"if {self.val(s.cond)[0]}:", s.loc)
            n = self.block(s.then, depth + 1)
            n += self.copies(depth + 1, s.results, s.then.yields)
            if n == 0:
                self.emit(depth + 1, "pass")
            k = len(self.lines)
            self.emit(depth, "else:")
            n = self.block(s.orelse, depth + 1)
            n += self.copies(depth + 1, s.results, s.orelse.yields)
            if n == 0:
                del self.lines[k:]
        elif isinstance(s, For):
            self.copies(depth, s.params, s.inits, s.loc)
            self.emit(depth, f"for {self.names[s.ivar]} in {self.range_text(s)}:", s.loc)
            n = self.block(s.body, depth + 1)
            n += self.copies(depth + 1, s.params, s.body.yields)
            if n == 0:
                self.emit(depth + 1, "pass")
            self.copies(depth, s.results, s.params)
        elif isinstance(s, While):
            self.copies(depth, s.params, s.inits, s.loc)
            mark = len(self.lines)
            self.block(s.cond, depth + 1)
            if len(self.lines) == mark:  # the condition is one expression
                self.emit(depth, f"while {self.val(s.cond.yields[0])[0]}:", s.loc)
            else:
                self.lines.insert(mark, "    " * depth + "while True:")
                self.emit(depth + 1, f"if not ({self.val(s.cond.yields[0])[0]}):")
                self.emit(depth + 2, "break")
            n = self.block(s.body, depth + 1)
            n += self.copies(depth + 1, s.params, s.body.yields)
            if n == 0:
                self.emit(depth + 1, "pass")
            self.copies(depth, s.results, s.params)

    def range_text(self, s: For) -> str:
        start, stop, step = (self.val(v)[0] for v in (s.start, s.stop, s.step))
        if not s.reverse:
            if isinstance(s.step, Const) and s.step.value == 1:
                if isinstance(s.start, Const) and s.start.value == 0:
                    return f"range({stop})"
                return f"range({start}, {stop})"
            return f"range({start}, {stop}, {step})"
        # reversed(range(start, stop, step)) without building the range
        if isinstance(s.step, Const) and s.step.value == 1:
            return f"range({_minus(stop, 1)}, {_minus(start, 1)}, -1)"
        n = f"_rt.trip_count({start}, {stop}, {step})"
        return (f"range({start} + ({n} - 1) * ({step}), {start} - ({step}), -({step}))")

    def module(self) -> str:
        fn = self.fn
        params = []
        for p in fn.params:
            d = self.defaults.get(p)
            params.append(f"{self.names[p]}={d}" if d else self.names[p])
        body_start = len(self.lines)
        sweep = _reverse_sweep(fn)
        if sweep is None:
            self.block(fn.body, 1)
        else:  # an adjoint: its two sweeps, marked
            self.emit(1, "# forward sweep: the function, and what the reverse sweep needs")
            for k, s in enumerate(fn.body.stmts):
                if k == sweep:
                    self.emit(1, "# reverse sweep: the adjoints, last statement first")
                self.stmt(s, 1)
        outs = [self.val(v)[0] for v in fn.outputs]
        shape = fn.ret_shape
        if shape is not None:
            ret = _nest(shape, outs)
        else:
            ret = outs[0] if len(outs) == 1 else "(" + ", ".join(outs) + ")"
        self.emit(1, f"return {ret}")
        body = _name_long_literals(self.lines[body_start:])
        used = set(re.findall(r"(?<![\w.])(math|np|_rt)\.", "\n".join(body)))
        imports = [line for name, line in (("math", "import math"),
                                           ("np", "import numpy as np"),
                                           ("_rt", "from s2sad import runtime as _rt"))
                   if name in used]
        lines = list(self.header) + imports + [""]
        if self.user:
            lines.append(f"# user rules (s2sad.defrule), bound when loaded: {fingerprint(self.user)}")
            for p in sorted(self.user):
                f = USER[p]
                lines.append(f"{spellings.user_name(p)} = None  # {f.__module__}.{f.__qualname__}")
            lines.append("")
        lines += ["", f"def {fn.name}({', '.join(params)}):"]
        if fn.doc:
            lines.append(f'    """{fn.doc}"""')
        lines += body
        src = "\n".join(lines) + "\n"
        cst.parse_module(src)  # the output must be valid Python
        return src


def _derivative_stmt(s) -> bool:
    """Defines derivative values only (x_bar, ...), or writes into one; a region also
    writes into no primal array or recording stack (a forward loop that records and writes
    u[i] in place, giving only the stacks out, is primal work)."""
    if isinstance(s, Op) and not s.results:
        return _cotangent(s.args[0] if s.args else None)
    if not all(r.base is not None or r.deriv for r in s.results):
        return False
    if isinstance(s, Op):
        return bool(s.results)
    writes = [t.args[0] if t.args else None for t in walk(Block([s])) if isinstance(t, Op)
              and PRIMS[t.prim].effect and PRIMS[t.prim].writes is not None]
    return bool(s.results or writes) and all(_cotangent(v) for v in writes)


def _recomputed(s, outs: set) -> bool:
    return isinstance(s, Op) and bool(s.results) and not PRIMS[s.prim].effect and \
        not any(r in outs for r in s.results)


def _cotangent(v) -> bool:
    return isinstance(v, Var) and v.base is not None


def _reverse_sweep(fn: Function) -> int | None:
    """Where an adjoint's reverse sweep starts among its top-level statements (every one
    from there on is derivative work), or None for a function that is not an adjoint."""
    stmts = fn.body.stmts
    if not any(isinstance(p, Var) and p.suffix == "_bar" for p in fn.params + fn.outputs):
        return None
    outs = {v for v in fn.outputs if isinstance(v, Var)}
    k = len(stmts)
    # (a pure op after the last primal statement serves only the statements after it,
    # all in the reverse sweep: a primal value it recomputes, unless it is an output)
    while k > 0 and (_derivative_stmt(stmts[k - 1]) or _recomputed(stmts[k - 1], outs)):
        k -= 1
    primal = [s for s in stmts[:k] if not _derivative_stmt(s)]
    return k if primal and k < len(stmts) else None


_LONG = re.compile(r"(?<![\w.])\d+\.\d{7,}(?:e[-+]?\d+)?(?![\w.])")


def _name_long_literals(body: list[str]) -> list[str]:
    """A long float literal written more than once is named once, at the top (`_k0 =
    0.10010010010010009`): the same number, read more easily."""
    code = [line.split("  # line ")[0] for line in body]
    counts: dict[str, int] = {}
    for line in code:
        for m in _LONG.findall(line):
            counts[m] = counts.get(m, 0) + 1
    names = {lit: f"_k{k}" for k, lit in enumerate(sorted(x for x, n in counts.items() if n > 1))}
    if not names:
        return body
    out = [f"    {name} = {lit}" for lit, name in names.items()]
    for line in body:
        head, sep, tail = line.partition("  # line ")
        out.append(_LONG.sub(lambda m: names.get(m.group(0), m.group(0)), head) + sep + tail)
    return out


def _decompositions(fn: Function) -> dict[int, Op]:
    """eigvalsh(A) and eigh(A)[1] of one A in one block (the forward sweep needs the values,
    the reverse sweep the vectors): id of each op -> the other, written as one np.linalg.eigh."""
    out: dict[int, Op] = {}
    for b in blocks(fn.body):
        seen: dict = {}
        for s in b.stmts:
            if isinstance(s, Op) and s.prim in ("eigvalsh", "eigh_vecs") and \
                    isinstance(s.args[0], Var):
                key = (id(s.args[0]), "eigh_vecs" if s.prim == "eigvalsh" else "eigvalsh")
                other = seen.pop(key, None)
                if other is not None:
                    out[id(s)], out[id(other)] = other, s
                else:
                    seen[(id(s.args[0]), s.prim)] = s
    return out


def _weak_float32_literals(fn: Function) -> None:
    """Float literals in float32 arithmetic are written np.float32(...): in NumPy 2 a Python
    float does not widen float32 (x32 * 1.5 is float32), but Numba widens to float64, and a
    loop variable would then change type."""
    for s in walk(fn.body):
        if isinstance(s, Op) and s.results and elem(s.results[0].type) == F32:
            s.args = [Const(a.value, F32) if isinstance(a, Const) and a.type == F64 else a
                      for a in s.args]


def _nest(shape, outs: list[str]) -> str:
    """Return expression for a nested tuple of output indices, e.g. (0, (1, 2))."""
    if isinstance(shape, int):
        return outs[shape]
    inner = ", ".join(_nest(x, outs) for x in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _minus(text: str, k: int) -> str:
    try:
        return str(int(text) - k)
    except ValueError:
        return f"{text} - {k}"


def generate(fn: Function, header: list[str], defaults: dict | None = None) -> str:
    """Python source for `fn`."""
    return Emitter(fn, header, defaults).module()


def type_name(t) -> str:
    return str(t) if not isinstance(t, ArrayT) else f"{t.dtype}[{t.ndim}d]"


__all__ = ["generate"]
