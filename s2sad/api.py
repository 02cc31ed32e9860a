"""JAX-style transforms: grad, value_and_grad, jvp, vjp, jacfwd, jacrev, hessian.

Each transform specialises on the argument types of the call (float/int/bool scalars,
arrays by dtype and ndim), like Numba's dispatcher, and caches the compiled derivative
per (function, argnums, mode, types, target).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from . import checks, pipeline
from .compile import TARGETS, Compiled, compiled
from .errors import BadArguments, NonDifferentiableOutput
from .frontend.source import parse_function
from .frontend.values import stop_gradient_marker, unflatten
from .ir.types import ArrayT, Type, is_float
from .jacobians import Jacobian


def _types_of(fname: str, args: tuple, names: list[str] | None = None) -> tuple[Type, ...]:
    return checks.arg_types(fname, args, names)


def _norm_argnums(argnums, nargs: int, fname: str) -> tuple[tuple[int, ...], bool]:
    return checks.norm_argnums(argnums, nargs, fname)


def _entry_code(names: list[str], conds: str, nargs: int | None = None,
                reads: tuple = (), free_conds: str = ""):
    """`entry(x=unset, y=unset, /, *more, **kw)`: every parameter of the user's function,
    positional-only, so a call the specialisation does not fit (keywords, defaults, too
    many) reaches the slow path, which binds it or refuses it; Python itself raises
    nothing. `reads`: the free values, read at every call and checked by `free_conds`
    (one that is gone or changed: the slow path)."""
    nargs = len(names) if nargs is None else nargs
    params = ", ".join(names[:nargs])
    sig = "".join(f"{n}=_s2sad_unset, " for n in names)
    unset = [f"{n} is _s2sad_unset" for n in names[nargs:]]
    cond = " and ".join(([conds] if conds else []) + unset + ["not _s2sad_more",
                                                             "not _s2sad_kw"])
    src = f"def entry({sig}{'/, ' if names else ''}*_s2sad_more, **_s2sad_kw):\n"
    if reads or free_conds:
        args = ", ".join(names[:nargs] + [f"_s2sad_v{k}" for k in range(len(reads))])
        src += f"    if {cond}:\n        try:\n"
        src += "".join(f"            _s2sad_v{k} = {r}\n" for k, r in enumerate(reads))
        src += f"            ok = {free_conds or 'True'}\n"
        src += "        except Exception:\n            ok = False\n"
        src += f"        if ok:\n            return _s2sad_call({args})\n"
    elif conds:
        src += f"    if {cond}:\n        return _s2sad_call({params})\n"
    src += f"    return _s2sad_slow(({', '.join(names)}{',' if names else ''}) + _s2sad_more, " \
        "_s2sad_kw)\n"
    ns: dict = {"_s2sad_unset": checks.UNSET}
    exec(compile(src, "<s2sad entry>", "exec"), ns)
    return ns["entry"].__code__


def _make_entry(tr):
    """A plain function (cheaper to call than an object) that runs the last specialisation
    after checking the argument types, and falls back to `tr(...)` otherwise."""
    ns = {"_s2sad_slow": lambda args, kw: tr(*args, **kw), "_s2sad_call": None,
          "_s2sad_key": None, "_s2sad_unset": checks.UNSET, "_s2sad_type": type}
    exec("def entry(*args, **kwargs):\n    return _s2sad_slow(args, kwargs)\n", ns)
    return ns["entry"]


def _param_names(fun, nargs: int) -> list[str]:
    names = checks.positional_names(fun) or []
    if len(names) < nargs or any(n.startswith("_s2sad") or not n.isidentifier()
                                 for n in names):
        names = [f"a{i}" for i in range(nargs)]
    return names


class Transform:
    """A differentiated function; calling it compiles (once per argument types) and runs."""

    def __init__(self, fun: Callable, mode: str, argnums, target: str, name: str,
                 checkpoint=None, boundscheck: bool = False):
        if target not in TARGETS:
            raise BadArguments(f"unknown target {target!r}; choose one of {TARGETS}")
        if not callable(fun):
            raise BadArguments(f"{name}: expected a function to differentiate, got "
                               f"{type(fun).__name__} {fun!r}")
        self.fun = fun
        self.mode = mode
        self.argnums = argnums
        self.target = target
        self._name = name
        self.checkpoint = _norm_checkpoint(checkpoint)
        self.boundscheck = bool(boundscheck)
        self._entry = _make_entry(self)
        functools.update_wrapper(self._entry, fun, updated=())
        self._entry.transform = self
        # No __wrapped__: the frontend unwraps it, and would then lower `fun` itself, so a
        # derivative of grad(f) would silently be a derivative of f.
        del self._entry.__wrapped__

    def __repr__(self) -> str:
        return f"<s2sad.{self._name} of {getattr(self.fun, '__name__', self.fun)}>"

    def specialise(self, args: tuple) -> tuple[Compiled, bool]:
        names = checks.positional_names(self.fun)
        types = _types_of(self._name, args, names)
        nums, single = _norm_argnums(self.argnums, len(args), self._name)
        checks.check_wrt(self._name, args, types, nums, names)
        req = pipeline.Request(self.mode, nums, types, self.checkpoint, single=single)
        c = compiled(self.fun, req, self.target, self.boundscheck)
        outs = c.primal.outputs
        if len(outs) != 1 or not isinstance(outs[0].type, type(outs[0].type)) or \
                isinstance(outs[0].type, ArrayT) or not is_float(outs[0].type):
            what = ("a tuple" if len(outs) != 1 else f"a value of type {outs[0].type}")
            raise NonDifferentiableOutput(
                f"{self._name} needs a function with one float scalar output, but "
                f"{c.primal.name} returns {what}", c.primal.loc,
                "use vjp/jacrev for vector outputs; return a float for grad")
        c.check_indices(self._name, args, names)
        return c, single

    def __call__(self, *args, **kwargs):
        args = checks.bind(self._name, self.fun, args, kwargs)
        c, single = self.specialise(args)
        self._fast(args, c)
        return c.run(args)

    def _fast(self, args: tuple, c: Compiled) -> None:
        """Point the generated entry function at this specialisation."""
        ns = self._entry.__globals__
        ns["_s2sad_call"] = c.call
        names = _param_names(self.fun, len(args))
        conds = []
        for i, (n, a) in enumerate(zip(names, args)):
            conds += _type_checks(ns, n, f"_s2sad_{i}", a)
        reads, free_conds = [], []
        for k, (r, v) in enumerate(zip(c.binding.refs, c.binding.values())):
            ns[f"_s2sad_R{k}"] = r.root
            reads.append(r.code(f"_s2sad_R{k}"))
            free_conds += _type_checks(ns, f"_s2sad_v{k}", f"_s2sad_f{k}", v)
        for k, g in enumerate(c.binding.guards):
            ns[f"_s2sad_G{k}"], ns[f"_s2sad_g{k}"] = g.ref.root, g.value
            got = g.ref.code(f"_s2sad_G{k}")
            free_conds.append(f"len({got}) == _s2sad_g{k}" if g.kind == "len" else
                              f"{got} == _s2sad_g{k}")
        index = checks.index_conditions(c.primal, list(names[:len(args)]) +
                                        [f"_s2sad_v{k}" for k in range(len(reads))])
        (free_conds if reads else conds).extend(index)
        key = (tuple(names), len(args), " and ".join(conds), tuple(reads),
               " and ".join(free_conds))
        if ns.get("_s2sad_key") != key:
            self._entry.__code__ = _entry_code(names, key[2], len(args), reads, key[4])
            self._entry.__defaults__ = (checks.UNSET,) * len(names)
            ns["_s2sad_key"] = key

    def _s2sad_request(self, types: tuple[Type, ...]):
        """What this transform derives for these argument types (nested AD inlines its
        IR: compile.py)."""
        nums, single = _norm_argnums(self.argnums, len(types), self._name)
        return self.fun, pipeline.Request(self.mode, nums, types, self.checkpoint,
                                          single=single)


def _type_checks(ns: dict, name: str, tag: str, value) -> list[str]:
    """Entry-wrapper tests that `name` has value's type (and dtype and rank)."""
    ns[f"{tag}T"] = type(value)
    out = [f"_s2sad_type({name}) is {tag}T"]  # (a parameter may be called `type`)
    if isinstance(value, np.ndarray):
        ns[f"{tag}D"] = value.dtype
        out.append(f"{name}.dtype is {tag}D and {name}.ndim == {value.ndim}")
    return out


def _norm_checkpoint(checkpoint):
    if checkpoint in (None, False):
        return None
    if checkpoint is True or checkpoint == "sqrt":
        return "sqrt"
    if isinstance(checkpoint, int) and checkpoint >= 1:
        return checkpoint
    raise BadArguments(f"checkpoint={checkpoint!r}: use None, True/'sqrt' or a positive int k "
                       "(snapshot every k iterations)")


def _decorator(mode: str, name: str):
    def make(f, nums, target, checkpoint, boundscheck):
        if getattr(f, "_s2sad_jacobian", False):  # grad(jacfwd(g)): by basis expansion
            return Jacobian(f, mode, nums, target, name, boundscheck)
        return Transform(f, mode, nums, target, name, checkpoint, boundscheck)._entry

    def transform(fun: Callable | None = None, argnums: int | tuple = 0, *,
                  target: str = "cpu", checkpoint=None, boundscheck: bool = False):
        if fun is None:
            return lambda f: make(f, argnums, target, checkpoint, boundscheck)
        if isinstance(fun, int | tuple) and not callable(fun):
            nums = fun
            return lambda f: make(f, nums, target, checkpoint, boundscheck)
        return make(fun, argnums, target, checkpoint, boundscheck)

    transform.__name__ = name
    return transform


grad = _decorator("grad", "grad")
grad.__doc__ = """Gradient of a scalar-output function w.r.t. argument(s) `argnums`.

    grad(f)(x, y)                    -> df/dx
    grad(f, argnums=(0, 1))(x, y)    -> (df/dx, df/dy)
    @grad / @grad(argnums=1)         decorator forms
"""
value_and_grad = _decorator("value_and_grad", "value_and_grad")
value_and_grad.__doc__ = "Like grad, but returns (f(*args), gradient)."


def _float_args(args: tuple, types) -> tuple[int, ...]:
    return tuple(i for i, t in enumerate(types) if is_float(t))


def jvp(fun: Callable, primals: tuple, tangents: tuple, *, target: str = "cpu",
        boundscheck: bool = False):
    """Forward mode: (f(*primals), J @ tangents), as jax.jvp."""
    _not_a_jacobian("jvp", fun)
    primals = checks.check_primals("jvp", primals)
    names = checks.positional_names(fun)
    types = _types_of("jvp", primals, names)
    wrt = _float_args(primals, types)
    dots = checks.tangents_for("jvp", primals, types, tangents, names)
    c = compiled(fun, pipeline.Request("forward", wrt, types), target, boundscheck)
    c.check_indices("jvp", primals, names)
    r = c.run(primals, dots)
    r = r if isinstance(r, tuple) else (r,)
    n = len(c.primal.outputs)
    out_tree = c.primal.out_tree
    outs = unflatten(out_tree, list(r[:n]))
    float_outs = [i for i, o in enumerate(c.primal.outputs) if is_float(o.type)]
    tans = list(r[n:])
    full = [0.0] * n
    for i, t in zip(float_outs, tans):
        full[i] = t
    return outs, unflatten(out_tree, full)


def _not_a_jacobian(fname: str, fun) -> None:
    if getattr(fun, "_s2sad_jacobian", False):
        raise BadArguments(f"{fname}({fun!r}, ...): {fname} takes a function or a grad "
                           "transform, not a Jacobian",
                           hint="differentiate the Jacobian with jacfwd/jacrev/grad instead, "
                           "e.g. jacfwd(J)(x) @ v for its jvp")


def _zero_ct(t: Type):
    return np.float32(0.0) if getattr(t, "name", None) == "f32" else 0.0


def primal_outputs(fun, c: Compiled, args: tuple, types: tuple, target: str,
                   boundscheck: bool = False) -> list:
    """The flat outputs of fun(*args), from the reverse-mode function `c` with zero
    cotangents when every float output is a scalar (no second compile), else from the
    primal (a zero cotangent for an array output needs the array's shape)."""
    outs = c.primal.outputs
    if not any(isinstance(o.type, ArrayT) and is_float(o.type) for o in outs):
        r = c.run(args, [_zero_ct(o.type) for o in outs if is_float(o.type)])
        r = r if isinstance(r, tuple) else (r,)
        return list(r[:len(outs)])
    p = compiled(fun, pipeline.Request("primal", (), types), target, boundscheck)
    return checks.flat(p.run(args))


def vjp(fun: Callable, *primals, target: str = "cpu", checkpoint=None,
        boundscheck: bool = False):
    """Reverse mode: (f(*primals), vjp_fn) with vjp_fn(cotangent) -> one cotangent per
    primal (None for integer arguments), as jax.vjp."""
    _not_a_jacobian("vjp", fun)
    names = checks.positional_names(fun)
    types = _types_of("vjp", primals, names)
    wrt = _float_args(primals, types)
    c = compiled(fun, pipeline.Request("reverse", wrt, types, _norm_checkpoint(checkpoint)),
                 target, boundscheck)
    c.check_indices("vjp", primals, names)
    n = len(c.primal.outputs)
    out_tree = c.primal.out_tree
    free = c.binding.values()  # the function is linearised at the values of now
    leaves = primal_outputs(fun, c, primals, types, target, boundscheck)
    out = unflatten(out_tree, leaves)
    out_types = [o.type for o in c.primal.outputs]

    def vjp_fn(ct):
        cts = checks.cotangents_for("vjp_fn", out_tree, leaves, out_types, ct)
        res = c.call(*primals, *cts, *free)
        res = res if isinstance(res, tuple) else (res,)
        grads = list(res[n:])
        full: list[Any] = [None] * len(primals)
        for i, g in zip(wrt, grads):
            full[i] = g
        return tuple(full)

    return out, vjp_fn


def jacfwd(fun: Callable, argnums: int | tuple = 0, *, target: str = "cpu",
           boundscheck: bool = False):
    """Jacobian by forward mode (one jvp per input element). Nests: jacfwd(jacrev(f))."""
    return Jacobian(fun, "fwd", argnums, target, "jacfwd", boundscheck)


def jacrev(fun: Callable, argnums: int | tuple = 0, *, target: str = "cpu",
           boundscheck: bool = False):
    """Jacobian by reverse mode (one vjp per output element). Nests: jacrev(jacfwd(f))."""
    return Jacobian(fun, "rev", argnums, target, "jacrev", boundscheck)


def hessian(fun: Callable, argnums: int | tuple = 0, *, target: str = "cpu",
            boundscheck: bool = False):
    """Hessian as jacfwd(grad(f)): forward mode over the generated gradient's source
    (jacfwd(jacrev(f)) when f is itself a Jacobian, whose output need not be a scalar)."""
    if getattr(fun, "_s2sad_jacobian", False):
        inner = Jacobian(fun, "rev", argnums, target, "jacrev", boundscheck)
    else:
        inner = grad(fun, argnums, target=target, boundscheck=boundscheck)
    return Jacobian(inner, "fwd", argnums, target, "hessian", boundscheck)


def stop_gradient(x):
    """Identity whose derivative is zero (as jax.lax.stop_gradient)."""
    return x


stop_gradient._s2sad_stop_gradient = True  # type: ignore[attr-defined]


def storage_bytes(fun: Callable, *args, argnums: int | tuple = 0, checkpoint=None,
                  target: str = "cpu") -> int:
    """Bytes the reverse sweep's stacks held at the end of grad(fun)(*args): the memory
    reverse mode needs beyond the primal (what checkpoint= trades for time)."""
    types = _types_of("storage_bytes", args)
    nums, _ = _norm_argnums(argnums, len(args), "storage_bytes")
    req = pipeline.Request("grad", nums, types, _norm_checkpoint(checkpoint), storage=True)
    r = compiled(fun, req, target).run(args)
    return 8 * (int(r[-2]) + int(r[-1]))


def derivative_source(fun: Callable, mode: str = "reverse", argnums: int | tuple = 0,
                      args: tuple | None = None, types: tuple | None = None) -> str:
    """The generated source of a derivative, for reading.

    mode: "reverse" (vjp), "forward" (jvp), "grad", "value_and_grad" or "primal".
    Specialised to `args` (example values) or `types`; by default every parameter is a
    float scalar.
    """
    if types is None:
        if args is None:
            names = checks.positional_names(fun)  # (a bound method's without self)
            if names is None:
                node = parse_function(fun).node
                names = list(node.params.posonly_params) + list(node.params.params)
            args = (1.0,) * len(names)
        types = _types_of("derivative_source", tuple(args))
    nums, single = _norm_argnums(argnums, len(types), "derivative_source")
    mode = {"fwd": "forward", "rev": "reverse", "tangent": "forward",
            "adjoint": "reverse"}.get(mode, mode)
    if mode not in pipeline.MODES:
        raise BadArguments(f"unknown mode {mode!r}; choose one of {pipeline.MODES}")
    return pipeline.source(fun, pipeline.Request(mode, nums, tuple(types), single=single))


__all__ = ["grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian",
           "stop_gradient", "derivative_source", "stop_gradient_marker"]
