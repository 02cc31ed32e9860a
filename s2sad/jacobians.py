"""jacfwd, jacrev and hessian as objects that nest: jacfwd(jacrev(f)), hessian(hessian(f)),
grad(jacfwd(f)), ...

A Jacobian is assembled from *pieces*: one call of a generated derivative function per
basis vector. `jacrev(f)(x)[k] = vjp(f, x)(e_k)`: the piece for row k is the reverse-mode
function `f_vjp(x, ct)` called with the fixed cotangent `ct = e_k`. That function is plain
generated Python in the subset s2sad accepts, so an outer transform differentiates it again
(as nested AD does for grad(grad(f))), with `e_k` passed as an extra, never differentiated,
argument: `jacfwd(jacrev(f))(x)[k] = jacfwd(x -> f_vjp(x, e_k)[grads])(x)`. Every level of
nesting turns each piece of the level below into the pieces of its own basis expansion.

The values of all pieces, raveled and concatenated, form one vector `v`; a Jacobian is
`v[I]` for an integer index array `I` built alongside the pieces (-1 indexes a zero: the
derivative of an int output). Placing values is linear, so the index array of a nested
Jacobian is that of the inner one with the new axes appended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import checks, pipeline
from .compile import TARGETS, compiled
from .errors import BadArguments, NonDifferentiableOutput
from .frontend.values import unflatten
from .ir.types import ArrayT, Type, elem, is_float, typeof

_NAMES = {"fwd": "jacfwd", "rev": "jacrev", "grad": "grad", "value_and_grad": "value_and_grad"}


@dataclass(eq=False)
class _Piece:
    """`derivative(fn, mode, wrt)(*args, *extra, *dargs)`, of which the flat outputs `sel`
    are this piece's leaves. `outs`: (shape, float dtype or None) of every flat output."""

    fn: Any
    mode: str  # "primal" | "forward" | "reverse"
    wrt: tuple[int, ...]
    extra: tuple  # parameters of fn after the user's arguments
    dargs: tuple  # tangents or cotangents: parameters of the derivative after fn's
    sel: tuple[int, ...]
    outs: list[tuple[tuple, Any]]
    seed: int = -1  # reverse pieces: the flat output of fn whose cotangent is the basis vector

    def request(self, types: tuple[Type, ...]) -> pipeline.Request:
        return pipeline.Request(self.mode, self.wrt, types)

    def leaves(self) -> list[tuple[tuple, Any]]:
        return [self.outs[i] for i in self.sel]


def _info(value) -> tuple[tuple, Any]:
    if isinstance(value, np.ndarray):
        return value.shape, (value.dtype if value.dtype.kind == "f" else None)
    if isinstance(value, np.float32):
        return (), np.dtype(np.float32)
    if isinstance(value, float | np.floating):
        return (), np.dtype(np.float64)
    return (), None


def _zero(shape: tuple, dtype):
    if shape:
        return np.zeros(shape, dtype=dtype)
    return np.float32(0.0) if dtype == np.float32 else 0.0


def _unit(shape: tuple, dtype, k: int):
    if shape:
        z = np.zeros(shape, dtype=dtype)
        z.flat[k] = 1.0
        return z
    return np.float32(1.0) if dtype == np.float32 else 1.0


def _size(shape: tuple) -> int:
    return int(np.prod(shape, dtype=np.int64))


class Jacobian:
    """jacfwd(fun) / jacrev(fun) / hessian(fun), or grad of one of them: callable, nestable."""

    _s2sad_jacobian = True

    def __init__(self, fun, mode: str, argnums, target: str, name: str | None = None,
                 boundscheck: bool = False):
        if target not in TARGETS:
            raise BadArguments(f"unknown target {target!r}; choose one of {TARGETS}")
        if not callable(fun):
            raise BadArguments(f"{name or _NAMES[mode]}: expected a function to "
                               f"differentiate, got {type(fun).__name__} {fun!r}")
        if getattr(fun, "_s2sad_jacobian", False) and fun.mode == "value_and_grad":
            raise BadArguments("value_and_grad(...) returns a (value, gradient) pair, which "
                               "cannot be differentiated again",
                               hint="differentiate grad(...) instead")
        self.fun = fun
        self.mode = mode
        self.argnums = argnums
        self.target = target
        self.boundscheck = boundscheck
        self._name = name or _NAMES[mode]
        self.__name__ = f"{self._name}_of_{getattr(fun, '__name__', 'f')}"
        self.__doc__ = getattr(fun, "__doc__", None)

    def __repr__(self) -> str:
        return f"<s2sad.{self._name} of {self.fun!r}>"

    def __reduce__(self):
        return (Jacobian, (self.fun, self.mode, self.argnums, self.target, self._name,
                           self.boundscheck))

    # ------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        args = checks.bind(self._name, self.fun, args, kwargs)
        names = checks.positional_names(self.fun)
        types = checks.arg_types(self._name, args, names)
        pieces, index = self.expand(args, types, names)
        values = _evaluate(pieces, args, types, self.target, self.boundscheck)
        v = np.append(np.concatenate([np.ravel(np.asarray(x, dtype=np.float64))
                                      for p in values for x in p[1]] or [np.zeros(0)]), 0.0)
        res = tuple(_scalar(v[i]) for i in index) if isinstance(index, tuple) else \
            _scalar(v[index])
        if self.mode != "value_and_grad":
            return res
        # one reverse piece (the output is a scalar); its outputs hold the value too
        return _scalar(values[0][0][pieces[0].seed]), res

    def expand(self, args: tuple, types, names) -> tuple[list[_Piece], Any]:
        """(pieces, index): self(*args) is v[index] (a tuple of indices for tuple argnums)."""
        nums, single = checks.norm_argnums(self.argnums, len(args), self._name)
        checks.check_wrt(self._name, args, types, nums, names)
        inner = self.fun
        outer = "fwd" if self.mode == "fwd" else "rev"
        if getattr(inner, "_s2sad_jacobian", False):
            pieces, index = inner.expand(args, types, names)
            index = _one_index(inner, index)
        else:
            pieces, index = _base(inner, outer, nums, args, types, self.target,
                                  self.boundscheck, names)
        if self.mode in ("grad", "value_and_grad") and (np.shape(index) != () or
                                                       int(index) < 0):
            what = f"an array of shape {np.shape(index)}" if np.shape(index) else "an int"
            raise NonDifferentiableOutput(
                f"{self._name} needs a function with one float scalar output, but "
                f"{getattr(inner, '__name__', inner)!r} returns {what}",
                hint="use jacrev for array outputs")
        grow = _forward if outer == "fwd" else _reverse
        new, per_arg = grow(pieces, index, nums, args, types)
        return new, (per_arg[0] if single else tuple(per_arg))


def _scalar(a):
    a = np.asarray(a)
    return float(a) if a.ndim == 0 else a


def _one_index(inner: Jacobian, index):
    """The inner Jacobian's index as one array: a tuple (tuple argnums) is stacked, as a
    tuple output is (its entries must have one shape)."""
    if not isinstance(index, tuple):
        return index
    try:
        return np.asarray(index)
    except ValueError:
        raise BadArguments(f"{inner!r} returns a tuple of Jacobians of different shapes "
                           f"{[np.shape(i) for i in index]}, which an outer transform cannot "
                           "differentiate as one array",
                           hint="use one argnums for the inner transform") from None


def _compiled(fn, req, target: str, boundscheck: bool = False):
    return compiled(fn, req, target, boundscheck)


@dataclass(frozen=True)
class Derived:
    """Piece `p`'s derivative as a function an outer transform differentiates again: its
    parameters are the user's arguments, then p.extra + p.dargs; the frontend inlines its
    IR (compile.py). Equal pieces are equal (one specialisation)."""

    fn: Any
    mode: str
    wrt: tuple[int, ...]
    n_dargs: int

    def _s2sad_request(self, types: tuple[Type, ...]):
        inner = tuple(types[:len(types) - self.n_dargs])
        return self.fn, pipeline.Request(self.mode, self.wrt, inner)


def _derived(p: _Piece, types: tuple[Type, ...]):
    """The function that computes piece `p`, for an outer transform to differentiate."""
    if p.mode == "primal":
        return p.fn
    return Derived(p.fn, p.mode, p.wrt, len(p.dargs))


def _types(values: tuple) -> tuple[Type, ...]:
    return tuple(typeof(v) for v in values)


def _base(fun, outer: str, nums, args, types, target, boundscheck, names):
    """The pieces of `fun` itself: one, whose leaves are its flat outputs. Their shapes
    come from one call of the derivative the outer transform compiles anyway (forward mode
    returns the primal outputs; reverse mode too, given zero cotangents, when they are all
    scalars), else from the primal."""
    mode = "forward" if outer == "fwd" else "reverse"
    c = _compiled(fun, pipeline.Request(mode, nums, types), target, boundscheck)
    c.check_indices(_NAMES.get(outer, outer), args, names)
    outs = c.primal.outputs
    n = len(outs)
    if mode == "forward":
        dots = [_zero(np.shape(args[i]), _info(args[i])[1]) for i in nums]
        r = checks.flat(c.run(args, dots))[:n]
    elif not any(isinstance(o.type, ArrayT) and is_float(o.type) for o in outs):
        cts = [_zero((), np.float32 if elem(o.type).name == "f32" else np.float64)
               for o in outs if is_float(o.type)]
        r = checks.flat(c.run(args, cts))[:n]
    else:
        p = _compiled(fun, pipeline.Request("primal", (), types), target, boundscheck)
        r = checks.flat(p.run(args))
    # float-ness from the IR, as the derivative's signature has it (one tangent/cotangent
    # per float output), the shape from the value
    info = [(np.shape(v), np.dtype(np.float32 if elem(o.type).name == "f32" else np.float64)
             if is_float(o.type) else None) for v, o in zip(r, outs)]
    piece = _Piece(fun, "primal", (), (), (), tuple(range(n)), info)
    tree = c.primal.out_tree
    idx, off = [], 0
    for shape, dt in info:
        if dt is None:
            idx.append(np.full(shape, -1, dtype=np.int64))
        else:
            idx.append(np.arange(off, off + _size(shape), dtype=np.int64).reshape(shape))
            off += _size(shape)
    value = unflatten(tree, idx)
    try:
        index = np.asarray(value) if isinstance(value, tuple) else value
    except ValueError:
        raise BadArguments(f"{getattr(fun, '__name__', fun)!r} returns a tuple of arrays of "
                           f"different shapes {[i.shape for i in idx]}; its Jacobian is not "
                           "one array", hint="return one array (np.concatenate the outputs), "
                           "or take the Jacobian of each output separately") from None
    return [piece], index


def _leaf_offsets(pieces: list[_Piece]):
    """For each piece, for each of its leaves: (flat output position, shape, dtype, offset
    in v or None for a non-float leaf)."""
    off = 0
    out = []
    for p in pieces:
        row = []
        for i in p.sel:
            shape, dt = p.outs[i]
            if dt is None:
                row.append((i, shape, dt, None))
            else:
                row.append((i, shape, dt, off))
                off += _size(shape)
        out.append(row)
    return out, off


def _reverse(pieces, index, nums, args, types):
    """One reverse piece per element of the inner value: the cotangent is that basis
    vector, the leaves are the gradients with respect to args[nums]."""
    rows, total = _leaf_offsets(pieces)
    shapes = [np.shape(args[j]) for j in nums]
    dtypes = [_info(args[j])[1] for j in nums]
    maps = [np.full((total + 1,) + s, -1, dtype=np.int64) for s in shapes]
    new: list[_Piece] = []
    off = 0
    for p, row in zip(pieces, rows):
        fn = _derived(p, types)
        extra = p.extra + p.dargs
        float_outs = [i for i, (_, dt) in enumerate(p.outs) if dt is not None]
        n = len(p.outs)
        outs = p.outs + list(zip(shapes, dtypes))
        for i, shape, _dt, voff in row:
            if voff is None:
                continue
            for m in range(_size(shape)):
                cts = tuple(_unit(p.outs[o][0], p.outs[o][1], m) if o == i else
                            _zero(*p.outs[o]) for o in float_outs)
                new.append(_Piece(fn, "reverse", tuple(nums), extra, cts,
                                  tuple(range(n, n + len(nums))), outs, seed=i))
                for j, s in enumerate(shapes):
                    maps[j][voff + m] = np.arange(off, off + _size(s)).reshape(s)
                    off += _size(s)
    return new, [mp[index] for mp in maps]


def _forward(pieces, index, nums, args, types):
    """One forward piece per (argument, element) and inner piece: the tangent is that basis
    vector, the leaves are the tangents of the inner piece's leaves."""
    rows, total = _leaf_offsets(pieces)
    new: list[_Piece] = []
    shapes = [np.shape(args[j]) for j in nums]
    dtypes = [_info(args[j])[1] for j in nums]
    maps = [np.full((total + 1, _size(s)), -1, dtype=np.int64) for s in shapes]
    off = 0
    derived = [_derived(p, types) for p in pieces]
    for j, s in enumerate(shapes):
        for m in range(_size(s)):
            dots = tuple(_unit(s2, d2, m) if jj == j else _zero(s2, d2)
                         for jj, (s2, d2) in enumerate(zip(shapes, dtypes)))
            for p, row, fn in zip(pieces, rows, derived):
                float_outs = [i for i, (_, dt) in enumerate(p.outs) if dt is not None]
                n = len(p.outs)
                outs = p.outs + [p.outs[i] for i in float_outs]
                sel = []
                for i, shape, _dt, voff in row:
                    if voff is None:
                        continue
                    sel.append(n + float_outs.index(i))
                    maps[j][voff:voff + _size(shape), m] = np.arange(off, off + _size(shape))
                    off += _size(shape)
                new.append(_Piece(fn, "forward", tuple(nums), p.extra + p.dargs, dots,
                                  tuple(sel), outs))
    return new, [mp[index].reshape(np.shape(index) + s) for mp, s in zip(maps, shapes)]


def _evaluate(pieces: list[_Piece], args: tuple, types, target: str, boundscheck: bool):
    """(all flat outputs, the leaves) of every piece, in order."""
    out = []
    for p in pieces:
        c = _compiled(p.fn, p.request(types + _types(p.extra)), target, boundscheck)
        r = checks.flat(c.run(args, p.extra + p.dargs))
        out.append((r, [r[i] for i in p.sel]))
    return out
