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

from ..ir.names import Namer
from ..ir.nodes import (
    Block,
    Const,
    For,
    Function,
    If,
    Op,
    Value,
    Var,
    While,
    stmt_uses,
    sub_blocks,
    use_counts,
    walk,
)
from ..ir.primitives import PRIMS
from ..ir.types import BOOL, F32, F64, I64, ArrayT, elem

# precedence: higher binds tighter
_PREC = {"select": 1, "or": 2, "and": 3, "not": 4, "cmp": 5, "add": 10, "sub": 10, "mul": 11,
         "div": 11, "floordiv": 11, "mod": 11, "neg": 12, "pos": 12, "pow": 14, "atom": 20}
_CMP = {"lt", "le", "gt", "ge", "eq", "ne"}
# (spelling of the whole-array call, spelling along an axis: None for axis=)
_ALONG = {"argsort": ("np.argsort", "_rt.argsort_along"),
          "cumprod": ("np.cumprod", "_rt.cumprod_along"),
          "argmax": ("np.argmax", None), "argmin": ("np.argmin", None)}
_EFFECTS = {"setitem", "push", "iadd", "reserve", "setslice", "iaddslice", "push_array"}


class Emitter:
    def __init__(self, fn: Function, header: list[str], defaults: dict[Var, str] | None = None):
        self.fn = fn
        self.header = header
        self.defaults = defaults or {}
        self.alias = _coalesce(fn)
        self.names = _CoalescedNamer(fn, self.alias)
        self.inline = _inlinable(fn, self.alias)
        self.defs: dict[Var, Op] = {s.results[0]: s for s in walk(fn.body)
                                    if isinstance(s, Op) and len(s.results) == 1}
        _weak_float32_literals(fn)
        self._in_f32 = False
        self.lines: list[str] = []
        self.consts: dict[str, object] = {}
        self.user: set[str] = set()  # user-rule primitives called (s2sad.defrule)
        self.imports = {"math"}
        self._last_line = fn.loc.line if fn.loc else None

    # ------------------------------------------------------------ expressions
    def val(self, v: Value) -> tuple[str, int]:
        if isinstance(v, Const):
            return self.const(v)
        if self._in_f32 and v.type == F64:  # a float64 scalar in float32 arithmetic
            self.imports.add("np")
            inner = self.expr(self.defs[v])[0] if v in self.inline else self.names[v]
            return f"np.float32({inner})", _PREC["atom"]
        if v in self.inline:
            return self.expr(self.defs[v])
        return self.names[v], _PREC["atom"]

    def const(self, c: Const) -> tuple[str, int]:
        x = c.value
        if isinstance(x, np.ndarray):
            name = f"_c{len(self.consts)}"
            for k, arr in self.consts.items():
                if arr is x:
                    name = k
                    break
            self.consts[name] = x
            return name, _PREC["atom"]
        if isinstance(x, bool | np.bool_):
            return repr(bool(x)), _PREC["atom"]
        if c.type in (I64,):
            return repr(int(x)), _PREC["atom"] if x >= 0 else _PREC["neg"]
        x = float(x)
        if math.isinf(x):
            return ("math.inf", _PREC["atom"]) if x > 0 else ("-math.inf", _PREC["neg"])
        if math.isnan(x):
            return "math.nan", _PREC["atom"]
        text = repr(x)
        if c.type == F32:
            self.imports.add("np")
            return f"np.float32({text})", _PREC["atom"]
        return text, _PREC["atom"] if x >= 0 and not text.startswith("-") else _PREC["neg"]

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
            return self._expr(op)
        finally:
            self._in_f32 = saved

    def _expr(self, op: Op) -> tuple[str, int]:
        p = op.prim
        a = op.args
        if p in ("add", "sub", "mul", "div", "floordiv", "mod"):
            prec = _PREC[p]
            sym = PRIMS[p].infix
            return f"{self.arg(a[0], prec)} {sym} {self.arg(a[1], prec, right=True)}", prec
        if p == "pow":
            prec = _PREC["pow"]
            return f"{self.arg(a[0], prec + 1)} ** {self.arg(a[1], _PREC['neg'])}", prec
        if p in ("neg", "pos"):
            sym = "-" if p == "neg" else "+"
            return f"{sym}{self.arg(a[0], _PREC['neg'])}", _PREC["neg"]
        if p in ("and", "or"):
            prec = _PREC[p]
            return f"{self.arg(a[0], prec)} {p} {self.arg(a[1], prec + 1)}", prec
        if p in _CMP:
            prec = _PREC["cmp"]
            return f"{self.arg(a[0], prec + 1)} {PRIMS[p].infix} {self.arg(a[1], prec + 1)}", prec
        if p == "not":
            return f"not {self.arg(a[0], _PREC['not'])}", _PREC["not"]
        if p == "select":
            prec = _PREC["select"]
            return (f"{self.arg(a[1], prec + 1)} if {self.arg(a[0], prec + 1)} else "
                    f"{self.arg(a[2], prec)}"), prec
        if p == "getitem":
            idx = ", ".join(self.val(i)[0] for i in a[1:])
            text = f"{self.arg(a[0], _PREC['atom'])}[{idx}]"
            if op.results[0].type == F32 and a[0].type.dtype == F64:  # popped off tape_f
                self.imports.add("np")
                text = f"np.float32({text})"
            return text, _PREC["atom"]
        if p == "stop_gradient":
            return self.val(a[0])
        if p in ("empty", "zeros", "ones"):
            self.imports.add("np")
            dt = op.attrs.get("dtype", "f64")
            extra = "" if dt == "f64" else ", dtype=np." + {"i64": "int64", "f32": "float32",
                                                            "bool": "bool_"}[dt]
            dims = [self.val(x)[0] for x in a]
            shape = dims[0] if len(dims) == 1 else "(" + ", ".join(dims) + ")"
            return f"np.{p}({shape}{extra})", _PREC["atom"]
        if p == "copy":
            return f"{self.arg(a[0], _PREC['atom'])}.copy()", _PREC["atom"]
        if p == "full":
            self.imports.add("np")
            dims = [self.val(x)[0] for x in a[:-1]]
            shape = dims[0] if len(dims) == 1 else "(" + ", ".join(dims) + ")"
            return f"np.full({shape}, {self.val(a[-1])[0]})", _PREC["atom"]
        if p == "zeros_like":
            self.imports.add("np")
            return f"np.zeros_like({self.val(a[0])[0]})", _PREC["atom"]
        if p == "iadd":
            return f"{self.val(a[0])[0]} += {self.val(a[1])[0]}", _PREC["atom"]
        if p == "dim":
            return f"{self.arg(a[0], _PREC['atom'])}.shape[{op.attrs['axis']}]", _PREC["atom"]
        if p == "size":
            return f"{self.arg(a[0], _PREC['atom'])}.size", _PREC["atom"]
        if p in ("sum", "mean", "prod", "amax", "amin"):
            self.imports.add("np")
            x = self.val(a[0])[0]
            ax = op.attrs.get("axis")
            fn = {"amax": "max", "amin": "min"}.get(p, p)
            if ax is None:
                return f"np.{fn}({x})", _PREC["atom"]
            if p == "mean":  # Numba has no np.mean(axis=)
                return (f"np.sum({x}, axis={ax}) / {self.arg(a[0], _PREC['atom'])}.shape[{ax}]",
                        _PREC["mul"])
            if p != "sum":  # nor np.max/min/prod(axis=)
                self.imports.add("_rt")
                return f"_rt.{p}_along({x}, {ax})", _PREC["atom"]
            return f"np.{fn}({x}, axis={ax})", _PREC["atom"]
        if p in ("cumsum", "prod_others"):
            self.imports.add("_rt" if p == "prod_others" else "np")
            fn = "_rt.prod_others" if p == "prod_others" else "np.cumsum"
            ax = op.attrs.get("axis")
            if p == "cumsum" and ax is None:
                return f"np.cumsum({self.val(a[0])[0]})", _PREC["atom"]
            return f"{fn}({self.val(a[0])[0]}, {'axis=' if p == 'cumsum' else ''}{ax})", \
                _PREC["atom"]
        if p in _ALONG:  # NumPy's spelling without an axis; along one: axis= or _rt
            fn, along = _ALONG[p]
            ax = op.attrs.get("axis")
            x = self.val(a[0])[0]
            self.imports.add("np")
            if ax is None:
                return f"{fn}({x})", _PREC["atom"]
            if along is None:
                return f"{fn}({x}, axis={ax})", _PREC["atom"]
            self.imports.add("_rt")
            return f"{along}({x}, {ax})", _PREC["atom"]
        if p in ("take_along", "put_along", "cumprod_jvp", "cumprod_vjp"):
            self.imports.add("_rt")
            args = ", ".join(self.val(x)[0] for x in a)
            return f"_rt.{p}({args}, {op.attrs.get('axis')})", _PREC["atom"]
        if p == "take":
            return f"{self.arg(a[0], _PREC['atom'])}[{self.val(a[1])[0]}]", _PREC["atom"]
        if p == "transpose":
            return f"{self.arg(a[0], _PREC['atom'])}.T", _PREC["atom"]
        if p == "reshape":
            dims = [self.val(x)[0] for x in a[1:]]
            shape = dims[0] if len(dims) == 1 else "(" + ", ".join(dims) + ")"
            x = self.arg(a[0], _PREC["atom"])
            if self.maybe_strided(a[0]):  # Numba reshapes contiguous arrays only
                self.imports.add("np")
                x = f"np.ascontiguousarray({self.val(a[0])[0]})"
            return f"{x}.reshape({shape})", _PREC["atom"]
        if p in ("getslice",):
            text = f"{self.arg(a[0], _PREC['atom'])}[{self.index_text(op.attrs['spec'], a[1:])}]"
            return text + (".copy()" if op.attrs.get("copy") else ""), _PREC["atom"]
        if p in ("setslice", "iaddslice"):
            target = f"{self.arg(a[0], _PREC['atom'])}[{self.index_text(op.attrs['spec'], a[1:-1])}]"
            return f"{target} {'=' if p == 'setslice' else '+='} {self.val(a[-1])[0]}", _PREC["atom"]
        if p in ("concatenate", "stack"):
            self.imports.add("np")
            parts = ", ".join(self.val(x)[0] for x in a)
            return f"np.{p}(({parts},), axis={op.attrs.get('axis', 0)})", _PREC["atom"]
        if p == "expand_to":
            self.imports.add("np")
            g, x = self.val(a[0])[0], self.arg(a[1], _PREC["atom"])
            ax = op.attrs.get("axis")
            if ax is None:
                return f"np.full({x}.shape, {g})", _PREC["atom"]
            self.imports.add("_rt")
            return f"_rt.expand_to({g}, {self.val(a[1])[0]}, {ax})", _PREC["atom"]
        if p in ("logabsdet", "sign_det"):
            self.imports.add("np")
            k = 1 if p == "logabsdet" else 0
            return f"np.linalg.slogdet({self.val(a[0])[0]})[{k}]", _PREC["atom"]
        if p == "eigh_vecs":
            self.imports.add("np")
            return f"np.linalg.eigh({self.val(a[0])[0]})[1]", _PREC["atom"]
        if p == "opaque":
            path = op.attrs["path"]
            if path.startswith("np."):
                self.imports.add("np")
            return f"{path}({', '.join(self.val(x)[0] for x in a)})", _PREC["atom"]
        if p == "pop_array":
            self.imports.add("_rt")
            text = f"_rt.pop_array{len(a) - 2}({', '.join(self.val(x)[0] for x in a)})"
            if op.results[0].type.dtype == F32:  # tape_f holds float64
                self.imports.add("np")
                text += ".astype(np.float32)"
            return text, _PREC["atom"]
        if p == "eye_like":
            self.imports.add("np")
            return f"np.eye({self.arg(a[0], _PREC['atom'])}.shape[0])", _PREC["atom"]
        if p == "phi":
            self.imports.add("np")
            x = self.val(a[0])[0]
            return f"np.tril({x}) - 0.5 * np.diag(np.diag({x}))", _PREC["add"]
        emit = PRIMS[p].emit
        if isinstance(op.results[0].type, ArrayT) if op.results else False:
            emit = _ARRAY_EMIT.get(p, emit)
        if not emit:
            raise NotImplementedError(f"codegen for {p}")
        if emit.startswith("np."):
            self.imports.add("np")
        if emit.startswith("_rt."):
            self.imports.add("_rt")
        if emit.startswith("_u_"):
            self.user.add(p)
        return f"{emit}({', '.join(self.val(x)[0] for x in a)})", _PREC["atom"]

    def maybe_strided(self, v: Value) -> bool:
        """v may be a non-contiguous array: a parameter, a view, or a value merged by a
        region (arithmetic, allocations and copies make contiguous arrays)."""
        d = self.defs.get(v) if isinstance(v, Var) else None
        # sum_to/expand_to may return broadcast views
        return isinstance(v, Var) and (d is None or d.prim in ("getslice", "transpose",
                                                                "sum_to", "expand_to"))

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
            if s.prim == "setitem":
                arr, idx, v = s.args[0], s.args[1:-1], s.args[-1]
                target = f"{self.arg(arr, _PREC['atom'])}[{', '.join(self.val(i)[0] for i in idx)}]"
                d = self.defs.get(v) if isinstance(v, Var) else None
                if d is not None and v in self.inline and d.prim == "add":
                    g = self.defs.get(d.args[0]) if isinstance(d.args[0], Var) else None
                    if g is not None and d.args[0] in self.inline and g.prim == "getitem" and \
                            g.args == s.args[:-1]:
                        self.emit(depth, f"{target} += {self.val(d.args[1])[0]}", s.loc)
                        return
                self.emit(depth, f"{target} = {self.val(v)[0]}", s.loc)
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
                self.emit(depth, f"{self.names[r]} {sym} {self.arg(s.args[1], _PREC['add'] + 1)}",
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
        self.imports.add("_rt")
        return (f"range({start} + ({n} - 1) * ({step}), {start} - ({step}), -({step}))")

    def module(self) -> str:
        fn = self.fn
        params = []
        for p in fn.params:
            d = self.defaults.get(p)
            params.append(f"{self.names[p]}={d}" if d else self.names[p])
        body_start = len(self.lines)
        self.block(fn.body, 1)
        outs = [self.val(v)[0] for v in fn.outputs]
        shape = fn.ret_shape
        if shape is not None:
            ret = _nest(shape, outs)
        else:
            ret = outs[0] if len(outs) == 1 else "(" + ", ".join(outs) + ")"
        self.emit(1, f"return {ret}")
        body = self.lines[body_start:]
        imports = []
        if "math" in self.imports:
            imports.append("import math")
        if "np" in self.imports:
            imports.append("import numpy as np")
        if "_rt" in self.imports:
            imports.append("from s2sad import runtime as _rt")
        lines = list(self.header) + imports + [""]
        if self.user:
            from ..rules.user import USER, fingerprint

            lines.append(f"# user rules (s2sad.defrule), bound when loaded: {fingerprint(self.user)}")
            for p in sorted(self.user):
                f = USER[p]
                lines.append(f"{PRIMS[p].emit} = None  # {f.__module__}.{f.__qualname__}")
            lines.append("")
        for name, arr in self.consts.items():
            lines.append(f"{name} = np.array({arr.tolist()!r}, dtype=np.{arr.dtype.name})")
            self.imports.add("np")
        if self.consts and "import numpy as np" not in lines:
            lines.insert(len(self.header), "import numpy as np")
        lines += ["", f"def {fn.name}({', '.join(params)}):"]
        if fn.doc:
            lines.append(f'    """{fn.doc}"""')
        lines += body
        src = "\n".join(lines) + "\n"
        cst.parse_module(src)  # the output must be valid Python
        return src


# elementwise functions on arrays: NumPy's ufuncs instead of math's scalar functions
_ARRAY_EMIT = {
    "exp": "np.exp", "expm1": "np.expm1", "log": "np.log", "log2": "np.log2",
    "log10": "np.log10", "log1p": "np.log1p", "sqrt": "np.sqrt", "sin": "np.sin",
    "cos": "np.cos", "tan": "np.tan", "asin": "np.arcsin", "acos": "np.arccos",
    "atan": "np.arctan", "atan2": "np.arctan2", "sinh": "np.sinh", "cosh": "np.cosh",
    "tanh": "np.tanh", "asinh": "np.arcsinh", "acosh": "np.arccosh", "atanh": "np.arctanh",
    "hypot": "np.hypot", "fpow": "np.power", "copysign": "np.copysign", "abs": "np.abs",
    "fabs": "np.fabs", "max": "np.maximum", "min": "np.minimum", "erf": "_rt.erf",
    "erfc": "_rt.erfc", "float": "np.asarray",
    "round_to": "np.round",  # Numba has round(x, n) for scalars only
}


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


class _CoalescedNamer:
    def __init__(self, fn: Function, alias: dict):
        self.alias = alias
        self.namer = Namer(fn)

    def __getitem__(self, v: Var) -> str:
        return self.namer[_find(self.alias, v)]


def _find(alias: dict, v: Var) -> Var:
    while v in alias:
        v = alias[v]
    return v


def _positions(fn: Function):
    """Pre-order position of every statement, the position of each Var's definition, and
    the positions where each Var is read."""
    pos: dict[int, int] = {}
    end: dict[int, int] = {}
    dpos: dict[Var, int] = {}
    upos: dict[Var, list[int]] = {}
    counter = [0]

    def visit(b: Block):
        for s in b.stmts:
            counter[0] += 1
            p = counter[0]
            pos[id(s)] = p
            for v in stmt_uses(s):
                if isinstance(v, Var):
                    upos.setdefault(v, []).append(p)
            if isinstance(s, For):
                dpos[s.ivar] = p
            if isinstance(s, (For, While)):
                for q in s.params:
                    dpos[q] = p
            for sb in sub_blocks(s):
                visit(sb)
                counter[0] += 1
                for v in sb.yields:
                    if isinstance(v, Var):
                        upos.setdefault(v, []).append(counter[0])
            end[id(s)] = counter[0]
            for r in s.results:
                dpos[r] = counter[0]
    for p in fn.params:
        dpos[p] = 0
    visit(fn.body)
    counter[0] += 1
    for v in fn.body.yields:
        if isinstance(v, Var):
            upos.setdefault(v, []).append(counter[0])
    return pos, end, dpos, upos


def _coalesce(fn: Function) -> dict:
    """Which Vars share a Python name: alias[v] = representative."""
    pos, end, dpos, upos = _positions(fn)
    alias: dict[Var, Var] = {}
    members: dict[Var, list[Var]] = {}

    def root(v):
        return _find(alias, v)

    def group(v):
        return members.get(root(v), [root(v)])

    def interferes(a_group, b_group) -> bool:
        # live ranges [def, last use] of any two members overlap
        def rng(v):
            d = dpos.get(v, 0)
            return d, max(upos.get(v, [d]) + [d])
        for a in a_group:
            for c in b_group:
                (a0, a1), (c0, c1) = rng(a), rng(c)
                if a0 < c1 and c0 < a1:
                    return True
        return False

    def union(keep: Var, other: Var) -> bool:
        ra, rb = root(keep), root(other)
        if ra is rb:
            return True
        if ra.type != rb.type:
            return False
        ga, gb = group(ra), group(rb)
        if interferes(ga, gb):
            return False
        alias[rb] = ra
        members[ra] = ga + gb
        members.pop(rb, None)
        return True

    for s in walk(fn.body):
        if isinstance(s, (For, While)):
            for p, r in zip(s.params, s.results):
                if root(p) is not root(r):
                    alias[r] = p  # the result is the last value of the carried variable
                    members[p] = group(p) + [r]
    # a carried variable's name is in use for its whole loop
    for s in walk(fn.body):
        if isinstance(s, (For, While)):
            lo, hi = pos[id(s)], end[id(s)]
            for p in s.params:
                dpos[p] = lo
                upos.setdefault(p, []).append(hi)
            # a value made before a loop and read inside it is read again next iteration
            for v, uses in upos.items():
                if dpos.get(v, 0) < lo and any(lo < u <= hi for u in uses):
                    uses.append(hi)
    # SSA versions of one variable (x_bar, x_bar_1 = x_bar + t) share a name when the old
    # version dies where the new one is made; codegen then writes `x_bar += t`
    for s in walk(fn.body):
        if isinstance(s, Op) and s.prim in ("add", "sub", "push", "reserve", "push_array") and s.results and \
                isinstance(s.args[0], Var) and _stem(s.args[0]) == _stem(s.results[0]) and \
                _stem(s.args[0]) is not None:
            union(s.args[0], s.results[0])
    for s in walk(fn.body):
        if isinstance(s, (For, While)):
            lo, hi = pos[id(s)], end[id(s)]
            for k, (p, i, y) in enumerate(zip(s.params, s.inits, s.body.yields)):
                if isinstance(i, Var):
                    union(i, p)
                if not isinstance(y, Var) or y in s.params or dpos.get(y, -1) <= lo:
                    continue
                # the yield may take p's name if p is not read after it is computed
                ys = group(y)
                if root(y) is root(p) or any(m in s.params or m in fn.params for m in ys):
                    continue
                first_def = min(dpos.get(m, hi) for m in ys)
                p_uses = [u for m in group(p) if lo <= dpos.get(m, -1) <= hi or m is p
                          for u in upos.get(m, []) if lo < u < hi]
                others = [v for j, v in enumerate(s.body.yields) if j != k]
                # nor if p's value is yielded to another carried variable (a swap)
                if any(u > first_def for u in p_uses) or any(v in ys for v in others) or \
                        any(m in others for m in group(p)):
                    continue
                if any(max(upos.get(m, [0])) > hi for m in ys):
                    continue
                ra, rb = root(p), root(y)
                if ra.type != rb.type:
                    continue
                alias[rb] = ra
                members[ra] = group(ra) + ys
                members.pop(rb, None)
        elif isinstance(s, If):
            for k, r in enumerate(s.results):
                for blk in (s.then, s.orelse):
                    y = blk.yields[k]
                    if isinstance(y, Var) and dpos.get(y, -1) > pos[id(s)] and \
                            blk.yields.count(y) == 1:
                        union(r, y)
    return alias


def _stem(v: Var):
    if v.base is not None:
        return (id(v.base), v.suffix)
    return v.name or None


def _inlinable(fn: Function, alias: dict) -> set[Var]:
    """Temporaries used once, later in the same block, with nothing in between that could
    change what they read."""
    uses = use_counts(fn.body)
    for v in fn.body.yields:
        if isinstance(v, Var):
            uses[v] += 1  # returned values keep their names
    out: set[Var] = set()
    defs = {s.results[0]: s for s in walk(fn.body) if isinstance(s, Op) and len(s.results) == 1}

    def visit(b: Block):
        local = {}
        for k, s in enumerate(b.stmts):
            for r in s.results:
                local[r] = k
        for k, s in enumerate(b.stmts):
            for sb in sub_blocks(s):
                visit(sb)
            if not isinstance(s, Op) or len(s.results) != 1 or s.prim in _EFFECTS:
                continue
            r = s.results[0]
            if r.name or r in alias or any(alias.get(x) is r for x in alias):
                continue
            if r.base is not None:
                continue
            if uses.get(r, 0) != 1:
                continue
            # where is it used?
            user = None
            for j in range(k + 1, len(b.stmts)):
                t = b.stmts[j]
                if r in stmt_uses(t):
                    user = j
                    break
            if user is None:
                if r in b.yields and not any(r in _all(sb) for t in b.stmts[k + 1:]
                                             for sb in sub_blocks(t)):
                    user = len(b.stmts)
                else:
                    continue
            between = b.stmts[k + 1:user]
            if any(not isinstance(t, Op) or t.prim in _EFFECTS for t in between) and \
                    _reads_memory(s, out, defs):
                continue
            if any(isinstance(t, (For, While, If)) for t in between):
                continue
            # nothing in between may rebind a name the expression reads
            reads = {_find(alias, v) for v in _operands(s, out, defs)}
            if any(_find(alias, x) in reads for t in between for x in t.results):
                continue
            out.add(r)

    visit(fn.body)
    return out


def _operands(op: Op, inlined: set, defs: dict) -> list[Var]:
    """Vars an inlined expression reads, through the temporaries inlined into it."""
    out = []
    for a in op.args:
        if isinstance(a, Var):
            out.append(a)
            if a in inlined and a in defs:
                out += _operands(defs[a], inlined, defs)
    return out


def _reads_memory(op: Op, inlined: set, defs: dict) -> bool:
    """Whether moving op later could change its value: it reads an array (a write in
    between would show), directly or through the temporaries inlined into it."""
    if op.prim in ("getitem", "getslice"):
        return True
    for a in op.args:
        if isinstance(a.type, ArrayT):
            return True
        if isinstance(a, Var) and a in inlined and a in defs and \
                _reads_memory(defs[a], inlined, defs):
            return True
    return False


def _all(b: Block) -> set:
    out = set()
    for s in b.stmts:
        out.update(stmt_uses(s))
        for sb in sub_blocks(s):
            out |= _all(sb)
    out.update(b.yields)
    return out


def generate(fn: Function, header: list[str], defaults: dict | None = None) -> tuple[str, dict]:
    """Python source for `fn`, and the module-level constants it refers to."""
    e = Emitter(fn, header, defaults)
    src = e.module()
    return src, e.consts


def type_name(t) -> str:
    return str(t) if not isinstance(t, ArrayT) else f"{t.dtype}[{t.ndim}d]"


__all__ = ["generate", "BOOL"]
