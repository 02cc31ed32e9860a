"""Parameter types read off a function's source, for callers that have no example
arguments (the command line): a parameter that is indexed is an array of the rank its
subscripts show, one used as a `range()` bound or an index is an int, the rest are floats.

The guess follows parameters into the module-level helpers they are passed to. Each
guess says whether the source settles it (`sure`) and why, so that a caller can name the
parameter and the `--types` to pass when it is wrong.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import libcst as cst
import numpy as np

from ..errors import S2SADError
from ..ir.types import BOOL, F32, F64, I64, ArrayT, Type, typeof
from . import resolve
from .source import parse_function

MAX_DEPTH = 8

# functions whose argument is an array: the rank they need (0: any rank)
_ARRAY_FUNCS: dict[object, int] = {
    np.sum: 0, np.mean: 0, np.prod: 0, np.max: 0, np.min: 0, np.amax: 0, np.amin: 0,
    np.cumsum: 0, np.dot: 0, np.matmul: 0, np.outer: 1, np.trace: 2, np.diag: 0,
    np.transpose: 0, np.reshape: 0, np.zeros_like: 0, np.ones_like: 0, np.empty_like: 0,
    np.copy: 0, np.linalg.norm: 0, np.linalg.inv: 2, np.linalg.det: 2, np.linalg.slogdet: 2,
    np.linalg.cholesky: 2, np.linalg.eigh: 2, np.linalg.eigvalsh: 2, np.triu: 2, np.tril: 2,
    len: 0,
}
_SOLVE = np.linalg.solve  # (matrix, vector or matrix)
_SHAPE_FUNCS = (np.zeros, np.ones, np.empty, np.eye)  # their first argument is a size
_ARRAY_ATTRS = {"shape", "size", "ndim", "T", "sum", "mean", "prod", "max", "min", "copy",
                "reshape", "transpose", "dot", "cumsum", "trace", "ravel", "flatten"}
_SCALARS = {float: F64, int: I64, bool: BOOL, np.float64: F64, np.float32: F32,
            np.int64: I64, np.bool_: BOOL}


@dataclass
class Guess:
    """The type guessed for one parameter."""

    name: str
    type: Type
    sure: bool  # the source settles it (an annotation, a default, a use)
    why: str  # e.g. "indexed as F[i] in integrate"


@dataclass
class _Evidence:
    array: bool = False
    rank_lo: int = 0  # at least this many dimensions (subscripts, .shape[k])
    ranks: set = field(default_factory=set)  # exactly these (unpacked .shape, linalg)
    indexed: bool = False  # a subscript showed the rank
    int_: bool = False
    why: list = field(default_factory=list)

    def merge(self, other: _Evidence) -> None:
        self.array |= other.array
        self.rank_lo = max(self.rank_lo, other.rank_lo)
        self.ranks |= other.ranks
        self.indexed |= other.indexed
        self.int_ |= other.int_
        self.why += [w for w in other.why if w not in self.why]


def spelling(t: Type) -> str:
    """How `--types` writes a type: f64, i64, f64[:,:]."""
    if isinstance(t, ArrayT):
        return f"{t.dtype}[{','.join(':' * t.ndim)}]"
    return str(t)


def infer_types(fn) -> list[Guess]:
    """A guess for each positional parameter of `fn`, in order."""
    fn = resolve.unwrap(fn)
    pf = parse_function(fn)
    names = _param_names(pf.node)
    evidence = _evidence(fn, 0, set())
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        sig = None
    out = []
    for n in names:
        ev = evidence.get(n, _Evidence())
        p = sig.parameters.get(n) if sig is not None else None
        out.append(_decide(fn, n, ev, p))
    return out


def _decide(fn, name: str, ev: _Evidence, p) -> Guess:
    if p is not None and p.annotation is not inspect.Parameter.empty:
        ann = p.annotation
        if isinstance(ann, str):
            ann = resolve.lookup(fn, ann)
        if _hashable(ann) and ann in _SCALARS:
            return Guess(name, _SCALARS[ann], True, f"annotated {getattr(ann, '__name__', ann)}")
        if ann is np.ndarray:
            rank, sure = _rank(ev)
            return Guess(name, ArrayT(F64, rank), sure, "annotated np.ndarray" +
                         ("" if sure else f"; rank {rank} assumed"))
    if p is not None and p.default is not inspect.Parameter.empty:
        try:
            return Guess(name, typeof(p.default), True, f"default {p.default!r}")
        except TypeError:
            pass
    if ev.array:
        rank, sure = _rank(ev)
        why = "; ".join(ev.why[:2])
        if ev.int_:
            return Guess(name, ArrayT(F64, rank), False, f"{why}; but also used as an int")
        return Guess(name, ArrayT(F64, rank), sure, why + ("" if sure else
                                                           f"; rank {rank} assumed"))
    if ev.int_:
        return Guess(name, I64, True, "; ".join(ev.why[:2]))
    return Guess(name, F64, True, "used as a number")


def _rank(ev: _Evidence) -> tuple[int, bool]:
    exact = sorted(r for r in ev.ranks if r >= ev.rank_lo)
    if len(exact) == 1 and len(ev.ranks) == 1:
        return exact[0], True
    if ev.rank_lo:
        return ev.rank_lo, ev.indexed and not ev.ranks
    return 1, False


def _param_names(node) -> list[str]:
    params = node.params
    return [p.name.value for p in list(params.posonly_params) + list(params.params)]


def _hashable(obj) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


_cache: dict = {}


def _evidence(fn, depth: int, active: set) -> dict[str, _Evidence]:
    """Parameter name -> what the body of fn (and the helpers it passes it to) shows."""
    key = (fn, getattr(fn, "__code__", None))
    if key in _cache:
        return _cache[key]
    if depth > MAX_DEPTH or key in active:
        return {}
    active = active | {key}
    try:
        pf = parse_function(fn)
    except S2SADError:
        return {}
    node = pf.node
    params = set(_param_names(node)) | {p.name.value for p in node.params.kwonly_params}
    scan = _Scan(fn, pf, params, depth, active)
    node.body.visit(scan)
    _cache[key] = scan.ev
    return scan.ev


class _Scan(cst.CSTVisitor):
    def __init__(self, fn, pf, params, depth, active):
        self.fn, self.pf, self.depth, self.active = fn, pf, depth, active
        self.alias = {p: p for p in params}  # local name -> the parameter it names
        self.ev: dict[str, _Evidence] = {p: _Evidence() for p in params}

    # ------------------------------------------------------------------ helpers
    def param(self, node) -> str | None:
        if isinstance(node, cst.Name):
            return self.alias.get(node.value)
        return None

    def note(self, p: str, node, what: str) -> _Evidence:
        ev = self.ev[p]
        text = cst.Module([]).code_for_node(node)
        line = self.pf.loc(node).line
        why = f"{what} {text.strip()[:40]} at line {line}" + \
            (f" in {self.pf.name}" if self.depth else "")
        if why not in ev.why:
            ev.why.append(why)
        return ev

    def callee(self, func):
        if isinstance(func, cst.Name):
            if func.value in self.alias:
                return None
            obj = resolve.lookup(self.fn, func.value)
            return None if resolve.is_missing(obj) else obj
        if isinstance(func, cst.Attribute):
            base = self.callee(func.value)
            if base is None:
                return None
            return getattr(base, func.attr.value, None)
        return None

    def int_use(self, e, node, what: str) -> None:
        """e is an int expression: a parameter in it (alone, or in + / -) is an int."""
        p = self.param(e)
        if p is not None:
            self.note(p, node, what).int_ = True
        elif isinstance(e, cst.BinaryOperation) and isinstance(
                e.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.FloorDivide)):
            self.int_use(e.left, node, what)
            self.int_use(e.right, node, what)
        elif isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Minus):
            self.int_use(e.expression, node, what)

    # ------------------------------------------------------------------ visits
    def visit_FunctionDef(self, node):
        return False

    def visit_Lambda(self, node):
        return False

    def visit_Assign(self, node):
        if len(node.targets) == 1:
            t, v = node.targets[0].target, node.value
            p = self.param(v)
            if p is not None and isinstance(t, cst.Name):
                self.alias[t.value] = p
            # n, m = A.shape: A has exactly that many dimensions
            if isinstance(t, (cst.Tuple, cst.List)) and isinstance(v, cst.Attribute) and \
                    v.attr.value == "shape":
                q = self.param(v.value)
                if q is not None:
                    ev = self.note(q, v, "shape unpacked:")
                    ev.array = True
                    ev.ranks.add(len(t.elements))

    def visit_Subscript(self, node):
        p = self.param(node.value)
        elems = [el for el in node.slice if not _is_newaxis(el)]
        if p is not None:
            ev = self.note(p, node, "indexed:")
            ev.array = True
            if not any(isinstance(el.slice, cst.Index) and isinstance(el.slice.value, cst.Ellipsis)
                       for el in elems):
                ev.rank_lo = max(ev.rank_lo, len(elems))
                ev.indexed = True
        # A.shape[k]: at least k + 1 dimensions
        v = node.value
        if isinstance(v, cst.Attribute) and v.attr.value == "shape" and len(elems) == 1:
            q = self.param(v.value)
            idx = elems[0].slice
            if q is not None and isinstance(idx, cst.Index) and isinstance(idx.value, cst.Integer):
                self.ev[q].rank_lo = max(self.ev[q].rank_lo, int(idx.value.value) + 1)
        for el in elems:  # indices and slice bounds are ints
            s = el.slice
            parts = [s.value] if isinstance(s, cst.Index) else [s.lower, s.upper, s.step]
            for part in parts:
                if part is not None:
                    self.int_use(part, node, "an index:")

    def visit_Attribute(self, node):
        p = self.param(node.value)
        if p is not None and node.attr.value in _ARRAY_ATTRS:
            ev = self.note(p, node, "an array attribute:")
            ev.array = True
            if node.attr.value == "T":
                ev.rank_lo = max(ev.rank_lo, 2)

    def visit_BinaryOperation(self, node):
        if isinstance(node.operator, cst.MatrixMultiply):
            for side in (node.left, node.right):
                p = self.param(side)
                if p is not None:
                    ev = self.note(p, node, "a matrix product:")
                    ev.array, ev.rank_lo = True, max(ev.rank_lo, 1)

    def visit_Call(self, node):
        obj = self.callee(node.func)
        if obj is None:
            return
        args = [a for a in node.args if a.keyword is None and not a.star]
        if obj is range:
            for a in args:
                self.int_use(a.value, node, "a range() bound:")
            return
        if _hashable(obj) and obj in _SHAPE_FUNCS and args:
            first = args[0].value
            dims = [el.value for el in first.elements] if isinstance(first, cst.Tuple) else [first]
            for d in dims:
                self.int_use(d, node, "an array size:")
            return
        if _hashable(obj) and (obj in _ARRAY_FUNCS or obj is _SOLVE):
            rank = 2 if obj is _SOLVE else _ARRAY_FUNCS[obj]
            for k, a in enumerate(args if obj in (np.dot, np.matmul, np.outer, _SOLVE)
                                  else args[:1]):
                p = self.param(a.value)
                if p is None:
                    continue
                ev = self.note(p, node, "passed to an array function:")
                ev.array = True
                r = rank if k == 0 else (1 if obj is np.outer else 0)
                if r:
                    ev.ranks.add(r)
            return
        target = resolve.unwrap(obj)
        if resolve.is_user_function(target):
            self.helper(node, target)

    def helper(self, node, target) -> None:
        """A parameter passed on to a helper: what the helper does with it."""
        try:
            pf = parse_function(target)
        except S2SADError:
            return
        names = _param_names(pf.node)
        sub = _evidence(target, self.depth + 1, self.active)
        k = 0
        for a in node.args:
            if a.star:
                return
            if a.keyword is not None:
                hp = a.keyword.value
            elif k < len(names):
                hp, k = names[k], k + 1
            else:
                continue
            p = self.param(a.value)
            if p is not None and hp in sub:
                self.ev[p].merge(sub[hp])


def _is_newaxis(el: cst.SubscriptElement) -> bool:
    v = el.slice.value if isinstance(el.slice, cst.Index) else None
    return (isinstance(v, cst.Name) and v.value == "None") or \
        (isinstance(v, cst.Attribute) and v.attr.value == "newaxis")
