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
a pytree of `v[I]` for integer index arrays `I` built alongside the pieces (-1 indexes a
zero: the derivative of an int output). Placing values is linear, so the index arrays of a
nested Jacobian are those of the inner one with the new axes appended. The pytree is JAX's:
the output's structure outside, each leaf replaced by the structure of the arguments
(`argnums`) with leaves of shape output_shape + argument_shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import checks, pipeline, pytree
from .backends.cache import made_fingerprint
from .batch import jacobian_loop, kinds
from .compile import check_target, compiled
from .errors import BadArguments, NonDifferentiableOutput
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
    aux: bool = False  # fn is the user's has_aux function (its aux outputs are cut)

    def request(self, types: tuple[Type, ...]) -> pipeline.Request:
        return pipeline.Request(self.mode, self.wrt, types, aux=self.aux)

    def leaves(self) -> list[tuple[tuple, Any]]:
        return [self.outs[i] for i in self.sel]


class _ZeroD(tuple):
    """The shape of a 0-d array: () but true, so _zero/_unit make 0-d arrays (the generated
    code takes an array there), not numbers."""

    def __bool__(self) -> bool:
        return True


def _shape(value, array: bool | None = None) -> tuple:
    shape = np.shape(value)
    if shape == () and (isinstance(value, np.ndarray) if array is None else array):
        return _ZeroD()
    return shape


def _info(value) -> tuple[tuple, Any]:
    if isinstance(value, np.ndarray):
        return _shape(value), (value.dtype if value.dtype.kind == "f" else None)
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


class _Idx:
    """A leaf of a Jacobian's index tree: indices into v, the dtype of the result (None:
    the derivative of an int output, zeros)."""

    __slots__ = ("index", "dtype")

    def __init__(self, index: np.ndarray, dtype):
        self.index, self.dtype = index, dtype


def _is_idx(x) -> bool:
    return isinstance(x, _Idx)


def _idx_leaves(tree) -> list[_Idx]:
    return pytree.leaves(tree, _is_idx)


class Jacobian:
    """jacfwd(fun) / jacrev(fun) / hessian(fun), or grad of one of them: callable, nestable."""

    _s2sad_jacobian = True

    def __init__(self, fun, mode: str, argnums, target: str, name: str | None = None,
                 boundscheck: bool = False, has_aux: bool = False):
        check_target(target)
        if not callable(fun):
            raise BadArguments(f"{name or _NAMES[mode]}: expected a function to "
                               f"differentiate, got {type(fun).__name__} {fun!r}")
        if getattr(fun, "_s2sad_jacobian", False) and fun.mode == "value_and_grad":
            raise BadArguments("value_and_grad(...) returns a (value, gradient) pair, which "
                               "cannot be differentiated again",
                               hint="differentiate grad(...) instead")
        if getattr(fun, "_s2sad_jacobian", False) and fun.has_aux or has_aux and getattr(
                fun, "_s2sad_jacobian", False):
            raise BadArguments(f"{name or _NAMES[mode]}: has_aux=True with a Jacobian inside "
                               "another transform is not supported",
                               hint="take has_aux on the outermost transform of the function")
        if getattr(getattr(fun, "transform", None), "has_aux", False):
            raise BadArguments(f"{name or _NAMES[mode]} of {fun!r}: a has_aux transform "
                               "returns a pair, which cannot be differentiated again",
                               hint="differentiate a transform without has_aux")
        self.fun = fun
        self.mode = mode
        self.argnums = argnums
        self.target = target
        self.boundscheck = boundscheck
        self.has_aux = bool(has_aux)
        self._name = name or _NAMES[mode]
        self._fast: dict = {}
        self.__name__ = f"{self._name}_of_{getattr(fun, '__name__', 'f')}"
        self.__doc__ = getattr(fun, "__doc__", None)

    def __repr__(self) -> str:
        opts = f", argnums={self.argnums!r}" if self.argnums != 0 else ""
        opts += ", has_aux=True" if self.has_aux else ""
        inner = getattr(self.fun, "transform", None) if self._name == "hessian" else None
        fun = inner.fun if inner is not None else self.fun
        return f"<s2sad.{self._name} of {_name_of(fun)}{opts}>"

    @property
    def __signature__(self):
        return checks.signature(self.fun)

    def __reduce__(self):
        return (Jacobian, (self.fun, self.mode, self.argnums, self.target, self._name,
                           self.boundscheck, self.has_aux))

    def _s2sad_fingerprint(self) -> str | None:
        """What the disk cache keys on (backends/cache.py): options and function."""
        return made_fingerprint(f"{self._name} {self.mode} {self.argnums!r} {self.target} "
                                f"{self.boundscheck} {self.has_aux}", self.fun)

    # ------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        if not kwargs:  # a loop compiled for arguments of these kinds: call it
            c = self._fast.get(kinds(args))
            if c is not None and c.binding.holds():
                return c.run(args)
        args = checks.bind(self._name, self.fun, args, kwargs)
        names = checks.positional_names(self.fun)
        types = checks.arg_types(self._name, args, names)
        flat = checks.flat_args(args, types)
        loop = jacobian_loop(self, types) if self.target in ("cpu", "numba") else None
        if loop is not None:  # one compiled loop over the basis vectors
            c = compiled(loop, pipeline.Request("primal", (), types), self.target)
            c.check_indices(self._name, flat, checks.flat_names(names, types))
            k = kinds(args)
            if k is not None and not checks.index_conditions(
                    c.primal, [f"a{i}" for i in range(len(flat))]):
                self._fast[k] = c
            return c.run(flat)
        pieces, index = self.expand(args, types, names, flat)
        values = _evaluate(pieces, flat, types, self.target, self.boundscheck)
        v = np.append(np.concatenate([np.ravel(np.asarray(x, dtype=np.float64))
                                      for p in values for x in p[1]] or [np.zeros(0)]), 0.0)
        res = pytree.tree_map(lambda ix: _gather(v, ix), index, is_leaf=_is_idx)
        if self.has_aux:  # the first piece's outputs hold the function's, aux included
            tree, first = self._aux
            outs = list(values[0][0])[first:first + tree.num_leaves]
            return res, pytree.unflatten(tree, [_scalar(o, _dtype(pieces[0].outs, first + i))
                                                for i, o in enumerate(outs)])
        if self.mode != "value_and_grad":
            return res
        # one reverse piece (the output is a scalar); its outputs hold the value too
        return _scalar(values[0][0][pieces[0].seed], _dtype(pieces[0].outs, pieces[0].seed)), res

    def expand(self, args: tuple, types, names, flat) -> tuple[list[_Piece], Any]:
        """(pieces, index tree): self(*args) is the index tree with each leaf I as v[I]."""
        nums, single = checks.norm_argnums(self.argnums, len(args), self._name)
        checks.check_wrt(self._name, args, types, nums, names)
        wrt = checks.wrt_leaves(types, nums)
        inner = self.fun
        outer = "fwd" if self.mode == "fwd" else "rev"
        if getattr(inner, "_s2sad_jacobian", False):
            pieces, index = inner.expand(args, types, names, flat)
        else:
            pieces, index, *self._aux = _base(
                inner, outer, wrt, flat, types, self.target, self.boundscheck,
                checks.flat_names(names, types), self.has_aux)
        leaves = _idx_leaves(index)
        if self.mode in ("grad", "value_and_grad") and (
                len(leaves) != 1 or np.shape(leaves[0].index) != () or
                int(leaves[0].index) < 0):
            shape = np.shape(leaves[0].index) if len(leaves) == 1 else None
            what = (f"an array of shape {shape}" if shape else "an int" if len(leaves) == 1
                    else f"the pytree {pytree.describe(pytree.structure(index, _is_idx))}")
            raise NonDifferentiableOutput(
                f"{self._name} needs a function with one float scalar output, but "
                f"{getattr(inner, '__name__', inner)!r} returns {what}",
                hint="use jacrev for array outputs")
        grow = _forward if outer == "fwd" else _reverse
        new, look = grow(pieces, wrt, flat)
        dtypes = [_info(flat[k])[1] for k in wrt]
        trees = [pytree.arg_tree(types[n]) for n in nums]

        def place(leaf: _Idx):
            parts, k = [], 0
            for t in trees:
                sub = [_Idx(look(k + j, leaf.index), _promote(leaf.dtype, dtypes[k + j]))
                       for j in range(t.num_leaves)]
                parts.append(pytree.unflatten(t, sub))
                k += t.num_leaves
            return parts[0] if single else tuple(parts)

        return new, pytree.tree_map(place, index, is_leaf=_is_idx)


def _name_of(fun) -> str:
    if getattr(fun, "_s2sad_jacobian", False) or hasattr(fun, "transform"):
        return repr(fun)
    return getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)


def _promote(a, b):
    if a is None or b is None:
        return None if a is None else a
    return np.result_type(a, b)


def _dtype(outs, i):
    return outs[i][1]


def _gather(v: np.ndarray, ix: _Idx):
    vals = v[ix.index]
    return _scalar(vals, ix.dtype)


def _scalar(a, dtype=None):
    """A 0-d result as a number (float32 stays float32, as JAX keeps it), else an array of
    the result's dtype."""
    a = np.asarray(a)
    if dtype is not None and np.dtype(dtype) == np.float32:
        return np.float32(a) if a.ndim == 0 else a.astype(np.float32)
    return float(a) if a.ndim == 0 else a


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
    aux: bool = False

    def _s2sad_request(self, types: tuple[Type, ...]):
        inner = tuple(types[:len(types) - self.n_dargs])
        return self.fn, pipeline.Request(self.mode, self.wrt, inner, aux=self.aux)


def _derived(p: _Piece):
    """The function that computes piece `p`, for an outer transform to differentiate."""
    if p.mode == "primal":
        return p.fn
    return Derived(p.fn, p.mode, p.wrt, len(p.dargs), p.aux)


def _types(values: tuple) -> tuple[Type, ...]:
    return tuple(typeof(v) for v in values)


def _base(fun, outer: str, wrt, flat, types, target, boundscheck, names, has_aux=False):
    """The pieces of `fun` itself: one, whose leaves are its flat outputs (has_aux: those
    of its first output). Their shapes come from one call of the derivative the outer
    transform compiles anyway (forward mode returns the primal outputs; reverse mode too,
    given zero cotangents, when they are all scalars), else from the primal. Returns
    (pieces, index tree, aux structure, position of aux's first leaf)."""
    mode = "forward" if outer == "fwd" else "reverse"
    c = _compiled(fun, pipeline.Request(mode, wrt, types, aux=has_aux), target, boundscheck)
    c.check_indices(_NAMES.get(outer, outer), flat, names)
    outs = c.primal.outputs
    n = len(outs)
    if mode == "forward":
        dots = [_zero(*_info(flat[i])) for i in wrt]
        r = checks.flat(c.run(flat, dots))[:n]
    elif not any(isinstance(o.type, ArrayT) and is_float(o.type) for o in outs):
        cts = [_zero((), np.float32 if elem(o.type).name == "f32" else np.float64)
               for o in outs if is_float(o.type)]
        r = checks.flat(c.run(flat, cts))[:n]
    else:
        p = _compiled(fun, pipeline.Request("primal", (), types), target, boundscheck)
        r = checks.flat(p.run(flat))
    # float-ness from the IR, as the derivative's signature has it (one tangent/cotangent
    # per float output), the shape from the value
    info = [(_shape(v, isinstance(o.type, ArrayT)),
             np.dtype(np.float32 if elem(o.type).name == "f32" else np.float64)
             if is_float(o.type) else None) for v, o in zip(r, outs)]
    tree = pytree.of_outputs(c.primal)
    aux_tree, n_out = None, n
    if has_aux:
        if tree.kind not in ("tuple", "list") or len(tree.children) != 2:
            raise BadArguments(f"has_aux=True needs a function that returns a pair (output, "
                               f"aux), but {getattr(fun, '__name__', fun)!r} returns "
                               f"{pytree.describe(tree)}")
        tree, aux_tree = tree.children
        n_out = tree.num_leaves
    piece = _Piece(fun, "primal", (), (), (), tuple(range(n_out)), info, aux=has_aux)
    idx, off = [], 0
    for shape, dt in info[:n_out]:
        if dt is None:
            idx.append(_Idx(np.full(shape, -1, dtype=np.int64), None))
        else:
            idx.append(_Idx(np.arange(off, off + _size(shape), dtype=np.int64).reshape(shape),
                            dt))
            off += _size(shape)
    return [piece], pytree.unflatten(tree, idx), aux_tree, n_out


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


def _reverse(pieces, nums, args):
    """One reverse piece per element of the inner value: the cotangent is that basis
    vector, the leaves are the gradients with respect to args[nums] (flat leaves). Returns
    (pieces, look) with look(j, I) the indices of the derivatives of v[I] by leaf j."""
    rows, total = _leaf_offsets(pieces)
    shapes = [_info(args[j])[0] for j in nums]
    dtypes = [_info(args[j])[1] for j in nums]
    maps = [np.full((total + 1,) + s, -1, dtype=np.int64) for s in shapes]
    new: list[_Piece] = []
    off = 0
    for p, row in zip(pieces, rows):
        fn = _derived(p)
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
                                  tuple(range(n, n + len(nums))), outs, seed=i,
                                  aux=p.aux and p.mode == "primal"))
                for j, s in enumerate(shapes):
                    maps[j][voff + m] = np.arange(off, off + _size(s)).reshape(s)
                    off += _size(s)
    return new, lambda j, ix: maps[j][ix]


def _forward(pieces, nums, args):
    """One forward piece per (argument, element) and inner piece: the tangent is that basis
    vector, the leaves are the tangents of the inner piece's leaves."""
    rows, total = _leaf_offsets(pieces)
    new: list[_Piece] = []
    shapes = [_info(args[j])[0] for j in nums]
    dtypes = [_info(args[j])[1] for j in nums]
    maps = [np.full((total + 1, _size(s)), -1, dtype=np.int64) for s in shapes]
    off = 0
    derived = [_derived(p) for p in pieces]
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
                                  tuple(sel), outs, aux=p.aux and p.mode == "primal"))
    return new, lambda j, ix: maps[j][ix].reshape(np.shape(ix) + shapes[j])


def _evaluate(pieces: list[_Piece], args: tuple, types, target: str, boundscheck: bool):
    """(all flat outputs, the leaves) of every piece, in order."""
    out = []
    for p in pieces:
        c = _compiled(p.fn, p.request(types + _types(p.extra)), target, boundscheck)
        r = checks.flat(c.run(args, p.extra + p.dargs))
        out.append((r, [r[i] for i in p.sel]))
    return out
