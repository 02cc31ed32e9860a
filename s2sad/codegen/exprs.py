"""Expressions of generated code: one emitter per primitive that needs its own form
(operators, element access, allocation, reductions along an axis, ...), and a call
spelled from codegen/spellings.py for the rest.

An emitter takes (writer, op) and returns (text, precedence); `EMITTERS` is the table the
writer dispatches on (tests/rules/test_registry.py checks every primitive has an emitter
or a spelling).
"""

from __future__ import annotations

from collections.abc import Callable

from ..ir.nodes import Op
from ..ir.primitives import PRIMS
from ..ir.types import F32, F64, ArrayT
from . import spellings

# precedence: higher binds tighter
PREC = {"select": 1, "or": 2, "and": 3, "not": 4, "cmp": 5, "add": 10, "sub": 10, "mul": 11,
        "div": 11, "floordiv": 11, "mod": 11, "neg": 12, "pos": 12, "pow": 14, "atom": 20}
ATOM = PREC["atom"]
_DTYPES = {"i64": "int64", "f32": "float32", "bool": "bool_"}
# NumPy's spelling without an axis, and along one (None: NumPy's own axis=)
_ALONG = {"argsort": ("np.argsort", "_rt.argsort_along"),
          "cumprod": ("np.cumprod", "_rt.cumprod_along"),
          "argmax": ("np.argmax", None), "argmin": ("np.argmin", None),
          "cumsum": ("np.cumsum", None), "prod_others": (None, "_rt.prod_others")}

Emitter = Callable[..., tuple[str, int]]
EMITTERS: dict[str, Emitter] = {}


def emits(*prims: str):
    def register(f: Emitter) -> Emitter:
        for p in prims:
            EMITTERS[p] = f
        return f
    return register


def _args(w, op: Op, args=None) -> str:
    return ", ".join(w.val(x)[0] for x in (op.args if args is None else args))


def _shape(w, dims) -> str:
    texts = [w.val(x)[0] for x in dims]
    return texts[0] if len(texts) == 1 else "(" + ", ".join(texts) + ")"


@emits("add", "sub", "mul", "div", "floordiv", "mod")
def _binary(w, op):
    prec = PREC[op.prim]
    a, b = op.args
    return f"{w.arg(a, prec)} {PRIMS[op.prim].infix} {w.arg(b, prec, right=True)}", prec


@emits("pow")
def _pow(w, op):
    prec = PREC["pow"]
    return f"{w.arg(op.args[0], prec + 1)} ** {w.arg(op.args[1], PREC['neg'])}", prec


@emits("neg", "pos")
def _unary(w, op):
    return f"{PRIMS[op.prim].infix}{w.arg(op.args[0], PREC['neg'])}", PREC["neg"]


@emits("and", "or")
def _logic(w, op):
    prec = PREC[op.prim]
    return f"{w.arg(op.args[0], prec)} {op.prim} {w.arg(op.args[1], prec + 1)}", prec


@emits("lt", "le", "gt", "ge", "eq", "ne")
def _compare(w, op):
    prec = PREC["cmp"]
    a, b = op.args
    return f"{w.arg(a, prec + 1)} {PRIMS[op.prim].infix} {w.arg(b, prec + 1)}", prec


@emits("not")
def _not(w, op):
    return f"not {w.arg(op.args[0], PREC['not'])}", PREC["not"]


@emits("select")
def _select(w, op):
    prec = PREC["select"]
    c, a, b = op.args
    return f"{w.arg(a, prec + 1)} if {w.arg(c, prec + 1)} else {w.arg(b, prec)}", prec


@emits("getitem")
def _getitem(w, op):
    a = op.args
    text = f"{w.arg(a[0], ATOM)}[{_args(w, op, a[1:])}]"
    if op.results[0].type == F32 and a[0].type.dtype == F64:  # popped off tape_f
        text = f"np.float32({text})"
    return text, ATOM


@emits("setitem")
def _setitem(w, op):
    a = op.args
    return f"{w.arg(a[0], ATOM)}[{_args(w, op, a[1:-1])}] = {w.val(a[-1])[0]}", ATOM


@emits("stop_gradient")
def _identity(w, op):
    return w.val(op.args[0])


@emits("empty", "zeros", "ones")
def _alloc(w, op):
    dt = op.attrs.get("dtype", "f64")
    extra = "" if dt == "f64" else f", dtype=np.{_DTYPES[dt]}"
    return f"np.{op.prim}({_shape(w, op.args)}{extra})", ATOM


@emits("full")
def _full(w, op):
    return f"np.full({_shape(w, op.args[:-1])}, {w.val(op.args[-1])[0]})", ATOM


@emits("copy")
def _copy(w, op):
    return f"{w.arg(op.args[0], ATOM)}.copy()", ATOM


@emits("iadd")
def _iadd(w, op):
    return f"{w.val(op.args[0])[0]} += {w.val(op.args[1])[0]}", ATOM


@emits("dim")
def _dim(w, op):
    return f"{w.arg(op.args[0], ATOM)}.shape[{op.attrs['axis']}]", ATOM


@emits("size")
def _size(w, op):
    return f"{w.arg(op.args[0], ATOM)}.size", ATOM


@emits("sum", "mean", "prod", "amax", "amin")
def _reduce(w, op):
    x = w.val(op.args[0])[0]
    ax = op.attrs.get("axis")
    name = {"amax": "max", "amin": "min"}.get(op.prim, op.prim)
    if ax is None:
        return f"np.{name}({x})", ATOM
    if op.prim == "mean":  # Numba has no np.mean(axis=)
        return f"np.sum({x}, axis={ax}) / {w.arg(op.args[0], ATOM)}.shape[{ax}]", PREC["mul"]
    if op.prim != "sum":  # nor np.max/min/prod(axis=)
        return f"_rt.{op.prim}_along({x}, {ax})", ATOM
    return f"np.sum({x}, axis={ax})", ATOM


@emits(*_ALONG)
def _along(w, op):
    whole, along = _ALONG[op.prim]
    ax = op.attrs.get("axis")
    x = w.val(op.args[0])[0]
    if ax is None and whole is not None:
        return f"{whole}({x})", ATOM
    if along is None:
        return f"{whole}({x}, axis={ax})", ATOM
    return f"{along}({x}, {ax})", ATOM


@emits("take_along", "put_along", "cumprod_jvp", "cumprod_vjp")
def _with_axis(w, op):
    return f"_rt.{op.prim}({_args(w, op)}, {op.attrs.get('axis')})", ATOM


@emits("take")
def _take(w, op):
    return f"{w.arg(op.args[0], ATOM)}[{w.val(op.args[1])[0]}]", ATOM


@emits("transpose")
def _transpose(w, op):
    return f"{w.arg(op.args[0], ATOM)}.T", ATOM


@emits("reshape")
def _reshape(w, op):
    x = w.arg(op.args[0], ATOM)
    if w.maybe_strided(op.args[0]):  # Numba reshapes contiguous arrays only
        x = f"np.ascontiguousarray({w.val(op.args[0])[0]})"
    return f"{x}.reshape({_shape(w, op.args[1:])})", ATOM


@emits("getslice")
def _getslice(w, op):
    text = f"{w.arg(op.args[0], ATOM)}[{w.index_text(op.attrs['spec'], op.args[1:])}]"
    return text + (".copy()" if op.attrs.get("copy") else ""), ATOM


@emits("setslice", "iaddslice")
def _setslice(w, op):
    target = f"{w.arg(op.args[0], ATOM)}[{w.index_text(op.attrs['spec'], op.args[1:-1])}]"
    sym = "=" if op.prim == "setslice" else "+="
    return f"{target} {sym} {w.val(op.args[-1])[0]}", ATOM


@emits("concatenate", "stack")
def _join(w, op):
    return f"np.{op.prim}(({_args(w, op)},), axis={op.attrs.get('axis', 0)})", ATOM


@emits("expand_to")
def _expand_to(w, op):
    g, x = w.val(op.args[0])[0], w.arg(op.args[1], ATOM)
    ax = op.attrs.get("axis")
    if ax is None:
        return f"np.full({x}.shape, {g})", ATOM
    return f"_rt.expand_to({g}, {w.val(op.args[1])[0]}, {ax})", ATOM


@emits("logabsdet", "sign_det")
def _slogdet(w, op):
    return f"np.linalg.slogdet({w.val(op.args[0])[0]})[{int(op.prim == 'logabsdet')}]", ATOM


@emits("eigh_vecs")
def _eigh_vecs(w, op):
    return f"np.linalg.eigh({w.val(op.args[0])[0]})[1]", ATOM


@emits("opaque")
def _opaque(w, op):
    return f"{op.attrs['path']}({_args(w, op)})", ATOM


@emits("pop_array")
def _pop_array(w, op):
    text = f"_rt.pop_array{len(op.args) - 2}({_args(w, op)})"
    if op.results[0].type.dtype == F32:  # tape_f holds float64
        text += ".astype(np.float32)"
    return text, ATOM


@emits("eye_like")
def _eye_like(w, op):
    return f"np.eye({w.arg(op.args[0], ATOM)}.shape[0])", ATOM


@emits("phi")
def _phi(w, op):
    x = w.val(op.args[0])[0]
    return f"np.tril({x}) - 0.5 * np.diag(np.diag({x}))", PREC["add"]


def call(w, op: Op) -> tuple[str, int]:
    """A primitive without an emitter: a call spelled per its operands (spellings.py)."""
    on_arrays = bool(op.results) and isinstance(op.results[0].type, ArrayT)
    spelt = spellings.array(op.prim) if on_arrays else spellings.scalar(op.prim)
    if not spelt:
        raise NotImplementedError(f"codegen for {op.prim}")
    if spelt.startswith("_u_"):
        w.user.add(op.prim)
    return f"{spelt}({_args(w, op)})", ATOM


def expression(w, op: Op) -> tuple[str, int]:
    return EMITTERS.get(op.prim, call)(w, op)
