"""Checks of a transform's arguments before anything is compiled or run.

Each function here turns one kind of bad call into a `BadArguments` that names the
argument (position and parameter name) and, for shapes, both shapes, instead of letting a
NumPy, Numba or Python error escape from the generated code (or, worse, letting Numba read
past the end of an array). They are called by the transforms in api.py.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from . import pytree
from .analysis.indices import min_sizes
from .backends.cuda import is_device_array
from .errors import BadArguments
from .ir.types import ArrayT, Type, is_float, typeof


class _Unset:
    """A parameter the caller did not pass (the fast entry's default for every parameter)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"


UNSET = _Unset()


# ---------------------------------------------------------------- the user's signature
def user_function(fun):
    """The user's function behind a transform: through s2sad entries and Jacobian objects."""
    seen = 0
    while seen < 64:
        seen += 1
        tr = getattr(fun, "transform", None)
        if hasattr(tr, "_s2sad_request"):
            fun = tr.fun
        elif getattr(fun, "_s2sad_jacobian", False):
            fun = fun.fun
        else:
            return fun
    return fun


def signature(fun) -> inspect.Signature | None:
    """The signature calls are bound against (a bound method's without `self`)."""
    try:
        return inspect.signature(user_function(fun))
    except (TypeError, ValueError):
        return None


def positional_names(fun) -> list[str] | None:
    """Names of the parameters that can be passed by position, or None if unknown."""
    sig = signature(fun)
    if sig is None:
        return None
    return [p.name for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def arg_name(names: list[str] | None, i: int) -> str:
    """`argument 1 (y)`, as messages name an argument."""
    if names and 0 <= i < len(names):
        return f"argument {i} ({names[i]})"
    return f"argument {i}"


def bind(fname: str, fun, args: tuple, kwargs: dict) -> tuple:
    """Positional arguments for a call `fun(*args, **kwargs)`, as Python would bind them.

    Keywords go to the positions of their parameters, a defaulted parameter before one
    passed by keyword gets its default value, defaulted parameters after the last one
    passed are left to the function (its default is part of the source, as before).
    `UNSET` in `args` (from the fast entry) counts as not passed.
    """
    if not kwargs and not any(a is UNSET for a in args):
        return args
    sig = signature(fun)
    name = getattr(user_function(fun), "__name__", "f")
    if sig is None:
        if kwargs:
            raise BadArguments(f"{fname}: cannot bind keyword arguments {sorted(kwargs)} to "
                               f"the parameters of {name}: its signature is unknown",
                               hint="pass the arguments by position")
        return tuple(a for a in args if a is not UNSET)  # (trailing: the fast entry's)
    params = list(sig.parameters.values())
    pos = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    out: list[Any] = list(args)
    if any(p.kind == p.VAR_POSITIONAL for p in params) and len(out) > len(pos):
        raise BadArguments(f"{fname}: {name} takes *args, which s2sad cannot differentiate",
                           hint="list the parameters explicitly")
    if len(out) > len(pos):
        raise BadArguments(f"{fname}: {name}() takes {len(pos)} positional argument(s), got "
                           f"{len(out)}")
    out += [UNSET] * (len(pos) - len(out))
    for k, v in kwargs.items():
        i = next((j for j, p in enumerate(pos) if p.name == k), None)
        if i is None:
            kwonly = any(p.name == k and p.kind == p.KEYWORD_ONLY for p in params)
            raise BadArguments(
                f"{fname}: {name}() got an unexpected keyword argument {k!r}"
                + (" (a keyword-only parameter: s2sad passes arguments by position)"
                   if kwonly else ""),
                hint=f"the parameters of {name} are {', '.join(p.name for p in pos) or 'none'}"
                if not kwonly else "make it an ordinary parameter, or leave it at its default")
        if pos[i].kind == pos[i].POSITIONAL_ONLY:
            raise BadArguments(f"{fname}: {name}() parameter {k!r} is positional-only")
        if out[i] is not UNSET:
            raise BadArguments(f"{fname}: {name}() got multiple values for argument {k!r}")
        out[i] = v
    while out and out[-1] is UNSET:
        out.pop()
    for i, v in enumerate(out):
        if v is UNSET:
            if pos[i].default is inspect.Parameter.empty:
                raise BadArguments(f"{fname}: {name}() missing argument {pos[i].name!r}")
            out[i] = pos[i].default
    return tuple(out)


# ---------------------------------------------------------------- argnums
def norm_argnums(argnums, nargs: int, fname: str) -> tuple[tuple[int, ...], bool]:
    """(positions, single): argnums as non-negative positions, and whether it was an int."""
    single = isinstance(argnums, int | np.integer) and not isinstance(argnums, bool)
    if single:
        nums = (int(argnums),)
    elif isinstance(argnums, tuple | list) and argnums and all(
            isinstance(n, int | np.integer) and not isinstance(n, bool) for n in argnums):
        nums = tuple(int(n) for n in argnums)
    else:
        raise BadArguments(f"{fname}: argnums must be an int or a non-empty tuple of ints, got "
                           f"{argnums!r}", hint="e.g. argnums=0 or argnums=(0, 1)")
    for n in nums:
        if not -nargs <= n < nargs:
            raise BadArguments(f"{fname}: argnums {argnums!r} out of range for {nargs} "
                               "argument(s)")
    out = tuple(n % nargs for n in nums)
    if len(set(out)) != len(out):
        raise BadArguments(f"{fname}: argnums {argnums!r} names an argument twice")
    return out, single


def norm_checkpoint(checkpoint):
    if checkpoint in (None, False):
        return None
    if checkpoint is True or checkpoint == "sqrt":
        return "sqrt"
    if isinstance(checkpoint, int) and checkpoint >= 1:
        return checkpoint
    raise BadArguments(f"checkpoint={checkpoint!r}: use None, True/'sqrt' or a positive int k "
                       "(snapshot every k iterations)")


# ---------------------------------------------------------------- argument types
_DTYPE_HINT = "x.astype(np.float64)"


def _why_not(a) -> tuple[str, str]:
    """(what is wrong with `a` as an argument, the hint)."""
    if a is None:
        return "None", "pass a number or a NumPy array (or leave the argument out to use " \
            "its default)"
    if isinstance(a, list | tuple):
        return f"a {type(a).__name__}", "pass a NumPy array: np.asarray(x, dtype=float)"
    if isinstance(a, np.ndarray):
        k = a.dtype.kind
        if k == "c":
            return f"a complex array ({a.dtype})", "s2sad differentiates real functions: " \
                "pass the real and imaginary parts as two float arrays"
        if k == "f":
            return f"a {a.dtype} array", f"compute in float32 or float64: " \
                f"x.astype(np.float32) or {_DTYPE_HINT}"
        if k == "O":
            return "an array of Python objects (dtype object)", \
                "pass a numeric array: np.asarray(x, dtype=float)"
        return f"an array of dtype {a.dtype}", f"pass a float, int or bool array ({_DTYPE_HINT})"
    if isinstance(a, complex | np.complexfloating):
        return "a complex number", "s2sad differentiates real functions: pass the real and " \
            "imaginary parts as two floats"
    if isinstance(a, np.floating):
        return f"a {type(a).__name__} scalar", "pass float(x) or np.float32(x)"
    return f"a {type(a).__name__}", "pass floats, ints or NumPy arrays"


def _leaf_type(fname: str, a, who: str, gpu: bool = False) -> Type:
    if gpu and is_device_array(a):  # a device array (target="cuda")
        return typeof(np.empty((0,) * len(a.shape), dtype=np.dtype(a.dtype)))
    ok = not (isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.dtype.itemsize not in
              (4, 8)) and not (isinstance(a, np.floating) and not isinstance(
                  a, np.float32 | np.float64))
    t = None
    if ok:
        try:
            t = typeof(a)
        except TypeError:
            t = None
    if t is None:
        what, hint = _why_not(a)
        raise BadArguments(f"{fname}: {who} is {what}; s2sad takes Python or NumPy numbers, "
                           "NumPy arrays of float32, float64, int or bool, and tuples, lists, "
                           "dicts and NamedTuples of them", hint=hint)
    return t


def arg_types(fname: str, args: tuple, names: list[str] | None = None,
              gpu: bool = False) -> tuple:
    """The IR type of each argument (a pytree.TreeType for a tuple, list, dict or
    NamedTuple of them); BadArguments for anything s2sad cannot take (device arrays
    are taken where `gpu`)."""
    out: list = []
    for i, a in enumerate(args):
        if a is not None and pytree.is_node(a):
            leaves, tree = pytree.flatten(a)
            who = arg_name(names, i)
            out.append(pytree.TreeType(tree, tuple(
                _leaf_type(fname, x, who + p) for x, p in zip(leaves, tree.paths()))))
        else:
            out.append(_leaf_type(fname, a, arg_name(names, i), gpu))
    return tuple(out)


def flat_args(args: tuple, types: tuple) -> tuple:
    """The leaves of the arguments, in the order of the lowered function's parameters."""
    if not any(isinstance(t, pytree.TreeType) for t in types):
        return tuple(args)
    out: list = []
    for a, t in zip(args, types):
        out += pytree.leaves(a) if isinstance(t, pytree.TreeType) else [a]
    return tuple(out)


def flat_names(names, types: tuple) -> list[str] | None:
    """A name per leaf (params_W1), for messages about the lowered parameters."""
    if names is None or not any(isinstance(t, pytree.TreeType) for t in types):
        return names
    out: list[str] = []
    for k, t in enumerate(types):
        n = names[k] if k < len(names) else f"a{k}"
        out += [n + p for p in t.tree.paths()] if isinstance(t, pytree.TreeType) else [n]
    return out


def wrt_leaves(types: tuple, nums) -> tuple[int, ...]:
    """The positions, among all the leaves, of the leaves of the arguments `nums`."""
    pos = pytree.leaf_positions(types)
    return tuple(k for n in nums for k in pos[n])


def check_wrt(fname: str, args: tuple | None, types: tuple, nums, names=None) -> None:
    """The arguments to differentiate must be floats (ints and bools never are), every
    leaf of a pytree argument too. `args` may be None (types only: inside code)."""
    for n in nums:
        t = types[n]
        leaf_ts = t.leaves if isinstance(t, pytree.TreeType) else (t,)
        paths = t.tree.paths() if isinstance(t, pytree.TreeType) else [""]
        leaves = (pytree.leaves(args[n]) if isinstance(t, pytree.TreeType) else [args[n]]) \
            if args is not None else [None] * len(leaf_ts)
        for a, lt, path in zip(leaves, leaf_ts, paths):
            if is_float(lt):
                continue
            if a is None:
                hint = "pass a float or leave that argument out of argnums"
            elif isinstance(a, np.ndarray):
                hint = "pass a float array (x.astype(float)) or leave that argument out of " \
                    "argnums"
            else:
                hint = (f"pass a float (e.g. {a!r} -> {float(a)!r}) or leave that argument out "
                        "of argnums")
            raise BadArguments(
                f"{fname} requires float inputs for the arguments it differentiates, but "
                f"{arg_name(names, n)}{path} has type {lt}", hint=hint)


# ---------------------------------------------------------------- tangents, cotangents
def _shape(v) -> tuple:
    return tuple(np.shape(v))


def _numeric(v) -> bool:
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "fiub"
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def _is_zero(v) -> bool:
    if v is None:
        return True
    if isinstance(v, np.ndarray) and v.dtype.name == "void":  # jax-style float0 zeros
        return True
    return _numeric(v) and not np.any(v)


def like(fname: str, what: str, v, shape: tuple, dtype, as_array: bool, owner: str,
         hint: str = ""):
    """`v` as a value of `shape` and float `dtype` (a scalar unless `as_array`), or
    BadArguments naming `what`, `owner` (what it must be shaped like) and both shapes.
    Floats and ints are cast to `dtype`."""
    if v is None or not _numeric(v):
        got = "None" if v is None else f"a {type(v).__name__}" if not isinstance(
            v, np.ndarray) else f"an array of dtype {v.dtype}"
        want = f"an array of shape {shape}" if as_array else "a float"
        raise BadArguments(f"{fname}: {what} must be {want}, got {got}", hint=hint or None)
    got = _shape(v)
    if got != shape:
        raise BadArguments(f"{fname}: {what} has shape {got}, but {owner} has shape {shape}",
                           hint=hint or None)
    if as_array:
        return np.asarray(v, dtype=dtype)
    return float(v) if np.dtype(dtype) == np.float64 else np.dtype(dtype).type(v)


def _dtype_of(value):
    if isinstance(value, np.ndarray):
        return value.dtype
    if isinstance(value, np.float32):
        return np.float32
    return np.float64


def match(fname: str, what: str, tree: pytree.TreeDef, value, like_what: str) -> list:
    """The leaves of `value`, which must have the structure `tree` (a tuple or a list where
    the other is expected, as the docs allow); BadArguments naming the place otherwise."""
    out: list = []

    def walk(t: pytree.TreeDef, v, path: str) -> None:
        if t.is_leaf:
            out.append(v)
            return
        ok = {"tuple": isinstance(v, tuple | list), "list": isinstance(v, tuple | list),
              "namedtuple": isinstance(v, tuple | list), "none": v is None,
              "dict": isinstance(v, dict)}[t.kind]
        if ok and t.kind == "dict":
            ok = sorted(v) == list(t.meta)
        elif ok and t.kind != "none":
            ok = len(v) == len(t.children)
        if not ok:
            got = "None" if v is None else f"{type(v).__name__} {pytree.describe(pytree.structure(v))}" \
                if pytree.is_node(v) else f"a {type(v).__name__}"
            if t.kind == "dict":
                kind = f"a dict with the keys {list(t.meta)}"
            elif t.kind == "namedtuple":
                kind = f"a {t.meta.__name__} of {len(t.children)}"
            else:
                kind = "None" if t.kind == "none" else f"a {t.kind} of {len(t.children)}"
            raise BadArguments(
                f"{fname}: {what}{path} must be {kind} shaped like {like_what} "
                f"{pytree.describe(t)}, got {got}",
                hint="pass one value per leaf, nested as the primal or output is")
        if t.kind == "dict":
            items = [v[k] for k in t.meta]
        elif t.kind == "none":
            items = []
        else:
            items = list(v)
        for step, child, item in zip(t.steps(), t.children, items):
            walk(child, item, path + step)

    walk(tree, value, "")
    return out


def tangents_for(fname: str, primals: tuple, types: tuple, tangents, names=None) -> list:
    """One tangent per float leaf of the primals (cast to its dtype, shape checked); the
    tangent of an int or bool must be zero, None or float0 (they are never
    differentiated). A pytree primal takes a tangent of its structure."""
    if not isinstance(tangents, tuple | list):
        raise BadArguments(f"{fname}: tangents must be a tuple with one tangent per primal, "
                           f"got a {type(tangents).__name__}",
                           hint="jvp(f, (x, y), (dx, dy)); for one argument, (x,) and (dx,)")
    if len(tangents) != len(primals):
        raise BadArguments(f"{fname}: {len(primals)} primal(s) but {len(tangents)} tangent(s); "
                           "give one tangent per primal")
    dots = []
    for i, (p, t, ty) in enumerate(zip(primals, tangents, types)):
        who = arg_name(names, i)
        if isinstance(ty, pytree.TreeType):
            ps, ts, tys = pytree.leaves(p), match(fname, f"the tangent of {who}", ty.tree, t,
                                                  "its primal"), ty.leaves
            paths = ty.tree.paths()
        else:
            ps, ts, tys, paths = [p], [t], [ty], [""]
        for pl, tl, tyl, path in zip(ps, ts, tys, paths):
            what = f"the tangent of {who}{path}"
            if not is_float(tyl):
                if not _is_zero(tl):
                    raise BadArguments(f"{fname}: {who}{path} is of type {tyl}, which is never "
                                       f"differentiated, so its tangent must be 0 or None; got "
                                       f"{tl!r}", hint="pass 0 (or None) for integer arguments")
                continue
            owner = (names[i] if names and i < len(names) else f"argument {i}") + path
            dots.append(like(fname, what, tl, _shape(pl), _dtype_of(pl),
                             isinstance(pl, np.ndarray), owner,
                             hint="a tangent has the shape of its primal"))
    return dots


def check_primals(fname: str, primals) -> tuple:
    if not isinstance(primals, tuple | list):
        raise BadArguments(f"{fname}: primals must be a tuple of arguments, got a "
                           f"{type(primals).__name__}",
                           hint="jvp(f, (x, y), (dx, dy)); for one argument, (x,) and (dx,)")
    return tuple(primals)


def cotangents_for(fname: str, out_tree: pytree.TreeDef, outputs: list, out_types: list,
                   ct, skip: int | None = None) -> list:
    """The cotangent leaves for the float outputs, in order, from `ct` shaped like the
    output (the output's pytree structure). Shapes are checked, floats cast to the
    output's dtype; the cotangent of an int or bool output must be zero or None.
    `skip`: outputs from this leaf on are has_aux's aux (cotangent zero, not passed)."""
    leaves = match(fname, "the cotangent", out_tree, ct, "the output")
    paths = out_tree.paths()
    n = len(outputs) if skip is None else skip
    cts = []
    for i, (c, o, t) in enumerate(zip(leaves + [None] * (len(outputs) - len(leaves)),
                                      outputs, out_types)):
        path = paths[i] if i < len(paths) else ""
        if i >= n:
            if is_float(t):
                cts.append(np.zeros_like(o) if isinstance(t, ArrayT) else
                           _dtype_scalar(o, 0.0))
            continue
        what = f"the cotangent{path} of output {i}" if len(outputs) > 1 else "the cotangent"
        if not is_float(t):
            if not _is_zero(c):
                raise BadArguments(f"{fname}: output {i} is of type {t}, which is never "
                                   f"differentiated, so its cotangent must be 0 or None; got "
                                   f"{c!r}")
            continue
        owner = f"output {i}" if len(outputs) > 1 else "the output"
        cts.append(like(fname, what, c, _shape(o), _dtype_of(o), isinstance(t, ArrayT), owner,
                        hint="a cotangent has the shape of the output it belongs to"))
    return cts


def _dtype_scalar(o, v):
    return np.float32(v) if isinstance(o, np.float32) else float(v)


def flat(value) -> list:
    """The leaves of a result, flat or nested in tuples (the generated code returns either)."""
    if isinstance(value, tuple | list):
        return [x for v in value for x in flat(v)]
    return [value]


# ---------------------------------------------------------------- constant indices
def check_indices(fname: str, fn, args: tuple, names=None, n_user: int | None = None) -> None:
    """Constant indices into the arguments (`x[5]`, `A[:, 3]`) must be in bounds for the
    arrays passed: Numba would read and write past their ends. `args` may go on past the
    user's `n_user` arguments with the free values (module-level arrays) the function
    reads."""
    n_user = len(args) if n_user is None else n_user
    for b in min_sizes(fn):
        a = args[b.param] if b.param < len(args) else None
        if not isinstance(a, np.ndarray) or a.ndim <= b.axis or a.shape[b.axis] >= b.size:
            continue
        line = f" (line {b.loc.line})" if b.loc else ""
        if b.param >= n_user:  # a module-level or closure array
            who = names[b.param] if names and b.param < len(names) else "an array"
            raise BadArguments(
                f"{fname}: {fn.name} indexes {who} with the constant {b.index} on axis "
                f"{b.axis}{line}, but {who} (read from outside the function) has shape "
                f"{a.shape}: the index is out of bounds", b.loc,
                f"make {who} at least {b.size} long on axis {b.axis}, or check the index")
        who = names[b.param] if names and b.param < len(names) else f"argument {b.param}"
        raise BadArguments(
            f"{fname}: {fn.name} indexes {who} with the constant {b.index} on axis {b.axis}"
            f"{line}, but {arg_name(names, b.param)} has shape {a.shape}: the index is out "
            "of bounds", b.loc,
            f"pass an array with shape[{b.axis}] >= {b.size}, or check the index")


def index_conditions(fn, names: list[str]) -> list[str]:
    """The same checks as Python conditions over the entry's parameter names."""
    return [f"{names[b.param]}.shape[{b.axis}] >= {b.size}" for b in min_sizes(fn)
            if b.param < len(names)]
