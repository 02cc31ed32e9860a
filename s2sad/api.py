"""JAX-style transforms: grad, value_and_grad, jvp, vjp, jacfwd, jacrev, hessian, hvp,
linearize.

Each transform specialises on the argument types of the call (float/int/bool scalars,
arrays by dtype and ndim, pytrees by structure and leaf types), like Numba's dispatcher,
and caches the compiled derivative per (function, argnums, mode, types, target).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

import numpy as np

from . import checks, compose, interop, pipeline, pytree, results
from .backends.cache import made_fingerprint
from .batch import Vmap, vmap  # noqa: F401 (the API)
from .batch import register as batch_register
from .compile import Compiled, check_target, compiled
from .compile import join_tiers as wait_for_compiles  # noqa: F401 (the API)
from .custom import custom_jvp, custom_vjp
from .errors import BadArguments
from .frontend.values import stop_gradient_marker
from .ir.types import Type
from .jacobians import Jacobian
from .linear import jvp, linearize, vjp
from .pytree import float0


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
                 checkpoint=None, boundscheck: bool = False, has_aux: bool = False):
        check_target(target)
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
        self.has_aux = bool(has_aux)
        self._entry = _make_entry(self)
        functools.update_wrapper(self._entry, fun, updated=())
        self._entry.transform = self
        # No __wrapped__: the frontend unwraps it, and would then lower `fun` itself, so a
        # derivative of grad(f) would silently be a derivative of f.
        del self._entry.__wrapped__
        self.public = Transformed(self)

    def __repr__(self) -> str:
        opts = f", argnums={self.argnums!r}" if self.argnums != 0 else ""
        opts += ", has_aux=True" if self.has_aux else ""
        opts += f", target={self.target!r}" if self.target != "cpu" else ""
        return f"<s2sad.{self._name} of {_fun_name(self.fun)}{opts}>"

    def options(self) -> dict:
        return {"target": self.target, "checkpoint": self.checkpoint,
                "boundscheck": self.boundscheck, "has_aux": self.has_aux}

    def _s2sad_fingerprint(self) -> str | None:
        """What the disk cache keys on (backends/cache.py): options and function."""
        return made_fingerprint(f"{self._name} {self.mode} {self.argnums!r} "
                                 f"{sorted(self.options().items())!r}", self.fun)

    def spec(self, types: tuple, args: tuple | None = None, names=None) -> results.GradSpec:
        return results.grad_spec(self._name, self.mode, self.argnums, types, self.checkpoint,
                                 self.has_aux, args, names)

    def specialise(self, args: tuple):
        """(compiled derivative, its GradSpec, the aux structure, the flat arguments)."""
        names = checks.positional_names(self.fun)
        types = _types_of(self._name, args, names)
        spec = self.spec(types, args, names)
        c = compiled(self.fun, spec.request, self.target, self.boundscheck)
        aux = results.check_output(self._name, c.primal, self.has_aux)
        flat = checks.flat_args(args, types)
        c.check_indices(self._name, flat, checks.flat_names(names, types))
        return c, spec, aux, flat

    def __call__(self, *args, **kwargs):
        args = checks.bind(self._name, self.fun, args, kwargs)
        c, spec, aux, flat = self.specialise(args)
        out_types = results.out_types(spec, c.primal)
        if spec.simple and not results.has_f32_scalar(out_types):
            key = self._fast(args, c)  # the next call with these types goes straight to c.call
            out = c.run(args)
            c.on_ready(lambda: _direct(self._entry.__globals__, key, c, args))
            return out
        r = results.cast_f32(checks.flat(c.run(flat)), out_types)
        return spec.assemble(r, aux)

    def _fast(self, args: tuple, c: Compiled) -> tuple:
        """Point the generated entry function at this specialisation."""
        ns = self._entry.__globals__
        ns["_s2sad_call"] = c.call
        first = c.call

        def swap():  # tiered (compile.py): Numba's code replaces CPython's when ready
            if ns.get("_s2sad_call") is first:
                ns["_s2sad_call"] = c.call
        c.on_ready(swap)
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
        return key

    def _s2sad_request(self, types: tuple[Type, ...]):
        """What this transform derives for these argument types (nested AD inlines its
        IR: compile.py, compose.py)."""
        return self.fun, self.spec(tuple(types)).request


class Transformed(functools.partial):
    """What grad(f) and value_and_grad(f) return: called as f is, it runs the derivative
    (through the transform's entry function, a plain function that is cheap to call).
    Readable (`<s2sad.grad of f, argnums=(0, 1)>`), with f's signature, picklable, and
    `.numba`: a function the user's own @numba.njit code can call."""

    def __new__(cls, tr: Transform):
        self = super().__new__(cls, tr._entry)
        self.transform = tr
        for a in ("__module__", "__name__", "__qualname__", "__doc__"):
            if hasattr(tr._entry, a):
                setattr(self, a, getattr(tr._entry, a))
        return self

    def __repr__(self) -> str:
        return repr(self.transform)

    @property
    def __signature__(self):
        return checks.signature(self.transform.fun)

    def __reduce__(self):
        mod = sys.modules.get(getattr(self, "__module__", "") or "")
        if mod is not None and _lookup(mod, getattr(self, "__qualname__", "")) is self:
            return self.__qualname__  # decorated at module level: pickled by name
        tr = self.transform
        return (_rebuild, (tr._name, tr.fun, tr.argnums, tr.options()))

    def __setstate__(self, state):  # (functools.partial's own state is not used)
        pass

    @property
    def numba(self):
        """A function @numba.njit code can call: see docs/api.md (Numba)."""
        return interop.numba_function(self.transform)


def _lookup(mod, qualname: str):
    obj = mod
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _rebuild(name: str, fun, argnums, options: dict):
    return {"grad": grad, "value_and_grad": value_and_grad}[name](fun, argnums, **options)


def _fun_name(fun) -> str:
    f = checks.user_function(fun)
    return getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)


def _type_checks(ns: dict, name: str, tag: str, value) -> list[str]:
    """Entry-wrapper tests that `name` has value's type (and dtype and rank; an int: that it
    is in int64's range, where Numba types every int alike)."""
    ns[f"{tag}T"] = type(value)
    out = [f"_s2sad_type({name}) is {tag}T"]  # (a parameter may be called `type`)
    if type(value) is int:
        out.append(f"{-2 ** 63} <= {name} <= {2 ** 63 - 1}")
    elif isinstance(value, np.ndarray):
        ns[f"{tag}D"] = value.dtype
        out.append(f"{name}.dtype is {tag}D and {name}.ndim == {value.ndim}")
    return out


# Python types whose every value Numba types alike (an int: in int64's range, which the
# entry checks); an array's Numba type also has its layout and flags, which it does not
_FIXED = (float, int, bool, complex)


def _direct(ns: dict, key: tuple, c: Compiled, args: tuple) -> None:
    """Once Numba has compiled the specialisation the entry function calls, and if the
    entry's type checks fix the Numba type of every argument and free value (scalars), the
    entry calls Numba's machine code for those types itself, skipping the dispatcher's
    typing of each argument (about half the call of a small function).
    S2SAD_DISABLE=direct_call keeps the dispatcher."""
    if ns.get("_s2sad_key") != key or ns.get("_s2sad_call") is not c.call or \
            c.backend != "numba" or "direct_call" in pipeline.disabled():
        return
    values = (*args, *c.binding.values())
    if not all(type(v) in _FIXED or isinstance(v, np.number | np.bool_) for v in values):
        return
    from .backends import cpu  # noqa: PLC0415  (numba, lazily)

    ep = cpu.entry_point(c.call, values)
    if ep is not None:
        ns["_s2sad_call"] = ep


_norm_checkpoint = checks.norm_checkpoint


def _decorator(mode: str, name: str):
    def make(f, nums, target, checkpoint, boundscheck, has_aux):
        if getattr(f, "_s2sad_jacobian", False):  # grad(jacfwd(g)): by basis expansion
            if has_aux:
                raise BadArguments(f"{name}(..., has_aux=True) of a Jacobian is not supported",
                                   hint="take has_aux on the innermost function only")
            return Jacobian(f, mode, nums, target, name, boundscheck)
        return Transform(f, mode, nums, target, name, checkpoint, boundscheck, has_aux).public

    def transform(fun: Callable | None = None, argnums: int | tuple = 0, *,
                  has_aux: bool = False, target: str = "cpu", checkpoint=None,
                  boundscheck: bool = False):
        if fun is None:
            return lambda f: make(f, argnums, target, checkpoint, boundscheck, has_aux)
        if isinstance(fun, int | tuple) and not callable(fun):
            nums = fun
            return lambda f: make(f, nums, target, checkpoint, boundscheck, has_aux)
        return make(fun, argnums, target, checkpoint, boundscheck, has_aux)

    transform.__name__ = transform.__qualname__ = name
    return transform


grad = _decorator("grad", "grad")
grad.__doc__ = """Gradient of a scalar-output function w.r.t. argument(s) `argnums`.

    grad(f)(x, y)                    -> df/dx
    grad(f, argnums=(0, 1))(x, y)    -> (df/dx, df/dy)
    @grad / @grad(argnums=1)         decorator forms
"""
value_and_grad = _decorator("value_and_grad", "value_and_grad")
value_and_grad.__doc__ = "Like grad, but returns (f(*args), gradient)."


def jacfwd(fun: Callable, argnums: int | tuple = 0, *, has_aux: bool = False,
           target: str = "cpu", boundscheck: bool = False):
    """Jacobian by forward mode (one jvp per input element), nested as JAX nests it: the
    output's structure outside, the arguments' inside. Nests: jacfwd(jacrev(f))."""
    return Jacobian(fun, "fwd", argnums, target, "jacfwd", boundscheck, has_aux)


def jacrev(fun: Callable, argnums: int | tuple = 0, *, has_aux: bool = False,
           target: str = "cpu", boundscheck: bool = False):
    """Jacobian by reverse mode (one vjp per output element). Nests: jacrev(jacfwd(f))."""
    return Jacobian(fun, "rev", argnums, target, "jacrev", boundscheck, has_aux)


def hessian(fun: Callable, argnums: int | tuple = 0, *, target: str = "cpu",
            boundscheck: bool = False):
    """Hessian as jacfwd(grad(f)): forward mode over the generated gradient's source
    (jacfwd(jacrev(f)) when f is itself a Jacobian, whose output need not be a scalar).
    As JAX's: ((Hxx, Hxy), (Hyx, Hyy)) for argnums=(0, 1)."""
    if getattr(fun, "_s2sad_jacobian", False):
        inner = Jacobian(fun, "rev", argnums, target, "jacrev", boundscheck)
    else:
        inner = grad(fun, argnums, target=target, boundscheck=boundscheck)
    return Jacobian(inner, "fwd", argnums, target, "hessian", boundscheck)


def hvp(fun: Callable, primals, tangents, argnums: int | tuple = 0, *,
        target: str = "cpu", boundscheck: bool = False):
    """H @ v: the Hessian of a scalar `fun` with respect to args[argnums] times the
    tangents (one per primal), as JAX's cookbook writes it:
    jvp(grad(fun, argnums), primals, tangents)[1]. One compiled function, forward mode over
    the generated gradient."""
    g = grad(fun, argnums, target=target, boundscheck=boundscheck)
    return jvp(g, primals, tangents, target=target, boundscheck=boundscheck)[1]


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
    req = pipeline.Request("grad", checks.wrt_leaves(types, nums), types,
                           _norm_checkpoint(checkpoint), storage=True, single=False)
    r = compiled(fun, req, target).run(checks.flat_args(args, types))
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
                from .frontend.source import parse_function  # noqa: PLC0415  (libcst, lazily)

                node = parse_function(fun).node
                names = list(node.params.posonly_params) + list(node.params.params)
            args = (1.0,) * len(names)
        types = _types_of("derivative_source", tuple(args))
    nums, single = _norm_argnums(argnums, len(types), "derivative_source")
    mode = {"fwd": "forward", "rev": "reverse", "tangent": "forward",
            "adjoint": "reverse"}.get(mode, mode)
    if mode not in pipeline.MODES:
        raise BadArguments(f"unknown mode {mode!r}; choose one of {pipeline.MODES}")
    trees = any(isinstance(types[n], pytree.TreeType) for n in nums)
    return pipeline.source(fun, pipeline.Request(mode, checks.wrt_leaves(types, nums),
                                                 tuple(types), single=single and not trees))


batch_register(jvp=jvp, vjp=vjp)
compose.register(vmap=vmap, grad=grad, value_and_grad=value_and_grad, jacfwd=jacfwd, jacrev=jacrev,
                 hessian=hessian, jvp=jvp, vjp=vjp, hvp=hvp, linearize=linearize,
                 transform=Transform)

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian", "hvp",
           "linearize", "stop_gradient", "derivative_source", "stop_gradient_marker", "float0",
           "custom_jvp", "custom_vjp"]
