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

from . import pipeline
from .backends import cpu as cpu_backend
from .backends import python as python_backend
from .errors import BadArguments, NonDifferentiableOutput
from .frontend.free import binding
from .frontend.lower import stop_gradient_marker, unflatten
from .ir.types import ArrayT, Type, is_float, typeof

TARGETS = ("cpu", "numba", "python")  # cpu: Numba or NumPy, whichever suits the code


def _types_of(fname: str, args: tuple) -> tuple[Type, ...]:
    out = []
    for i, a in enumerate(args):
        try:
            out.append(typeof(a))
        except TypeError as e:
            raise BadArguments(f"{fname}: argument {i} is a {type(a).__name__}, but only "
                               f"numbers and NumPy arrays can be passed ({e})",
                               hint="pass floats, ints or NumPy arrays") from None
    return tuple(out)


def _norm_argnums(argnums, nargs: int, fname: str) -> tuple[tuple[int, ...], bool]:
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for n in nums:
        if not isinstance(n, int) or not -nargs <= n < nargs:
            raise BadArguments(f"{fname}: argnums {argnums!r} out of range for {nargs} "
                               "argument(s)")
    return tuple(n % nargs for n in nums), single


class Compiled:
    """One specialisation: generated source plus the callable built from it."""

    def __init__(self, fn, req: pipeline.Request, target: str):
        self.request = req
        d = pipeline.build(fn, req)
        self.ir, self.primal, self.source = d.ir, d.primal, d.source
        self.binding = binding(self.primal)  # the free values, read at every call
        name = self.ir.name
        if target not in TARGETS:
            raise BadArguments(f"unknown target {target!r}; choose one of {TARGETS}")
        self.backend = choose_backend(self.ir) if target == "cpu" else target
        if self.backend == "numba":
            self.call = cpu_backend.compile_source(name, self.source)
            self.py_func = self.call.py_func
        else:  # "python" or "numpy": the same source run by CPython
            self.call = python_backend.compile_source(name, self.source)
            self.py_func = self.call

    def run(self, args, extra=()):
        """The generated function on the arguments, the free values as they are now, and
        the tangents or cotangents (`extra`)."""
        return self.call(*args, *self.binding.values(), *extra)


def choose_backend(fn) -> str:
    """target="cpu": Numba for loops and scalar code; NumPy itself for straight-line
    whole-array code, where NumPy's SIMD/BLAS kernels beat Numba's array expressions
    (benchmarks/: 2.4x on the MLP, 1.9x on vectorized Rosenbrock) and nothing compiles."""
    from .ir.nodes import For, Op, While, walk

    stmts = list(walk(fn.body))
    if any(isinstance(s, (For, While)) for s in stmts):
        return "numba"
    arrays = any(isinstance(s, Op) and s.results and isinstance(s.results[0].type, ArrayT)
                 and s.results[0].type.ndim >= 1 and s.prim not in ("zeros_like",)
                 for s in stmts)
    return "numpy" if arrays else "numba"


_compiled: dict = {}


def compiled(fn, req: pipeline.Request, target: str) -> Compiled:
    tr = fn if isinstance(fn, Transform) else getattr(fn, "transform", None)
    if isinstance(tr, Transform):  # nested AD: differentiate the generated derivative
        fn = tr.python_function(req.types)  # (keyed on it: the entry's __code__ changes)
    key = (fn, getattr(fn, "__code__", None), req, target, frozenset(pipeline.disabled()))
    seen = _compiled.setdefault(key, [])
    for c in seen:
        if c.binding.holds():  # the ints it folded are unchanged (frontend/free.py)
            return c
    c = Compiled(fn, req, target)
    seen.append(c)
    return c


def _entry_code(names: list[str], checks: str, reads: list[str], free_checks: str):
    params = ", ".join(names)
    src = f"def entry({params}):\n"
    if reads or free_checks:  # the free values, read now (a missing one: the slow path)
        args = ", ".join(names + [f"_s2sad_v{k}" for k in range(len(reads))])
        src += f"    if {checks or 'True'}:\n        try:\n"
        src += "".join(f"            _s2sad_v{k} = {r}\n" for k, r in enumerate(reads))
        src += f"            ok = {free_checks or 'True'}\n"
        src += "        except Exception:\n            ok = False\n"
        src += f"        if ok:\n            return _s2sad_call({args})\n"
    elif checks:
        src += f"    if {checks}:\n        return _s2sad_call({params})\n"
    src += f"    return _s2sad_slow({params})\n"
    ns: dict = {}
    exec(compile(src, "<s2sad entry>", "exec"), ns)
    return ns["entry"].__code__


def _make_entry(tr):
    """A plain function (cheaper to call than an object) that runs the last specialisation
    after checking the argument types, and falls back to `tr(...)` otherwise."""
    ns = {"_s2sad_slow": lambda *args: tr(*args), "_s2sad_call": None, "_s2sad_key": None}
    exec("def entry(*args):\n    return _s2sad_slow(*args)\n", ns)
    return ns["entry"]


def _param_names(fun, nargs: int) -> list[str]:
    try:
        import inspect

        names = [p.name for p in inspect.signature(fun).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    if len(names) != nargs or any(n.startswith("_s2sad") for n in names):
        names = [f"a{i}" for i in range(nargs)]
    return names


class Transform:
    """A differentiated function; calling it compiles (once per argument types) and runs."""

    def __init__(self, fun: Callable, mode: str, argnums, target: str, name: str,
                 checkpoint=None):
        if target not in TARGETS:
            raise BadArguments(f"unknown target {target!r}; choose one of {TARGETS}")
        self.fun = fun
        self.mode = mode
        self.argnums = argnums
        self.target = target
        self._name = name
        self.checkpoint = _norm_checkpoint(checkpoint)
        self._entry = _make_entry(self)
        functools.update_wrapper(self._entry, fun, updated=())
        self._entry.transform = self
        # No __wrapped__: the frontend unwraps it, and would then lower `fun` itself, so a
        # derivative of grad(f) would silently be a derivative of f.
        del self._entry.__wrapped__

    def __repr__(self) -> str:
        return f"<s2sad.{self._name} of {getattr(self.fun, '__name__', self.fun)}>"

    def specialise(self, args: tuple) -> tuple[Compiled, bool]:
        types = _types_of(self._name, args)
        nums, single = _norm_argnums(self.argnums, len(args), self._name)
        for n in nums:
            if not is_float(types[n]):
                raise BadArguments(
                    f"{self._name} requires float inputs for the arguments it differentiates, "
                    f"but argument {n} has type {types[n]}",
                    hint=f"pass a float (e.g. {args[n]!r} -> {float(np.sum(args[n]))!r}) or "
                    "leave that argument out of argnums")
        req = pipeline.Request(self.mode, nums, types, self.checkpoint, single=single)
        c = compiled(self.fun, req, self.target)
        outs = c.primal.outputs
        if len(outs) != 1 or not isinstance(outs[0].type, type(outs[0].type)) or \
                isinstance(outs[0].type, ArrayT) or not is_float(outs[0].type):
            what = ("a tuple" if len(outs) != 1 else f"a value of type {outs[0].type}")
            raise NonDifferentiableOutput(
                f"{self._name} needs a function with one float scalar output, but "
                f"{c.primal.name} returns {what}", c.primal.loc,
                "use vjp/jacrev for vector outputs; return a float for grad")
        return c, single

    def __call__(self, *args):
        c, single = self.specialise(args)
        self._fast(args, c)
        return c.run(args)

    def _fast(self, args: tuple, c: Compiled) -> None:
        """Point the generated entry function at this specialisation."""
        ns = self._entry.__globals__
        ns["_s2sad_call"] = c.call
        names = _param_names(self.fun, len(args))
        checks = []
        for i, (n, a) in enumerate(zip(names, args)):
            checks += _type_checks(ns, n, f"_s2sad_{i}", a)
        reads, free_checks = [], []
        for k, (r, v) in enumerate(zip(c.binding.refs, c.binding.values())):
            ns[f"_s2sad_R{k}"] = r.root
            reads.append(r.code(f"_s2sad_R{k}"))
            free_checks += _type_checks(ns, f"_s2sad_v{k}", f"_s2sad_f{k}", v)
        for k, g in enumerate(c.binding.guards):
            ns[f"_s2sad_G{k}"], ns[f"_s2sad_g{k}"] = g.ref.root, g.value
            got = g.ref.code(f"_s2sad_G{k}")
            free_checks.append(f"len({got}) == _s2sad_g{k}" if g.kind == "len" else
                               f"{got} == _s2sad_g{k}")
        key = (tuple(names), " and ".join(checks), tuple(reads), " and ".join(free_checks))
        if ns.get("_s2sad_key") != key:
            self._entry.__code__ = _entry_code(names, key[1], reads, key[3])
            ns["_s2sad_key"] = key

    def python_function(self, types: tuple[Type, ...]):
        """The generated Python function for these argument types (used by nested AD),
        with the free values its trailing parameters carry (`_s2sad_binding`)."""
        nums, _ = _norm_argnums(self.argnums, len(types), self._name)
        req = pipeline.Request(self.mode, nums, types, self.checkpoint, single=_)
        c = compiled(self.fun, req, "python")
        c.py_func._s2sad_binding = c.binding
        return c.py_func


def _type_checks(ns: dict, name: str, tag: str, value) -> list[str]:
    """Entry-wrapper tests that `name` has value's type (and dtype and rank)."""
    ns[f"{tag}T"] = type(value)
    out = [f"type({name}) is {tag}T"]
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
    def transform(fun: Callable | None = None, argnums: int | tuple = 0, *,
                  target: str = "cpu", checkpoint=None):
        if fun is None:
            return lambda f: Transform(f, mode, argnums, target, name, checkpoint)._entry
        if isinstance(fun, int | tuple) and not callable(fun):
            nums = fun
            return lambda f: Transform(f, mode, nums, target, name, checkpoint)._entry
        return Transform(fun, mode, argnums, target, name, checkpoint)._entry

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


def jvp(fun: Callable, primals: tuple, tangents: tuple, *, target: str = "cpu"):
    """Forward mode: (f(*primals), J @ tangents), as jax.jvp."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise BadArguments("jvp: primals and tangents must have the same length")
    types = _types_of("jvp", primals)
    wrt = _float_args(primals, types)
    c = compiled(fun, pipeline.Request("forward", wrt, types), target)
    dots = [np.asarray(tangents[i], dtype=np.float64) if isinstance(primals[i], np.ndarray)
            else float(tangents[i]) for i in wrt]
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


def vjp(fun: Callable, *primals, target: str = "cpu", checkpoint=None):
    """Reverse mode: (f(*primals), vjp_fn) with vjp_fn(cotangent) -> one cotangent per
    primal (None for integer arguments), as jax.vjp."""
    types = _types_of("vjp", primals)
    wrt = _float_args(primals, types)
    c = compiled(fun, pipeline.Request("reverse", wrt, types, _norm_checkpoint(checkpoint)),
                 target)
    n = len(c.primal.outputs)
    out_tree = c.primal.out_tree
    float_outs = [i for i, o in enumerate(c.primal.outputs) if is_float(o.type)]
    zero_ct = [np.zeros_like(o) if False else 0.0 for o in range(len(float_outs))]
    free = c.binding.values()  # the function is linearised at the values of now
    r = c.call(*primals, *free, *zero_ct)
    r = r if isinstance(r, tuple) else (r,)
    out = unflatten(out_tree, list(r[:n]))

    def vjp_fn(ct):
        cts = _flatten_ct(ct)
        if len(cts) != n:
            raise BadArguments(f"vjp_fn expects a cotangent with {n} leaves, got {len(cts)}")
        cts = [cts[i] for i in float_outs]
        res = c.call(*primals, *free, *cts)
        res = res if isinstance(res, tuple) else (res,)
        grads = list(res[n:])
        full: list[Any] = [None] * len(primals)
        for i, g in zip(wrt, grads):
            full[i] = g
        return tuple(full)

    return out, vjp_fn


def _flatten_ct(ct) -> list:
    if isinstance(ct, tuple):
        return [x for c in ct for x in _flatten_ct(c)]
    return [ct]


def jacfwd(fun: Callable, argnums: int | tuple = 0, *, target: str = "cpu"):
    """Jacobian by forward mode (one jvp per input element)."""

    def jac(*args):
        nums, single = _norm_argnums(argnums, len(args), "jacfwd")
        cols = []
        for n in nums:
            x = args[n]
            size = np.size(x)
            rows = []
            for k in range(size):
                tangents = [np.zeros_like(a, dtype=np.float64) if isinstance(a, np.ndarray)
                            else 0.0 for a in args]
                if isinstance(x, np.ndarray):
                    t = np.zeros(x.shape)
                    t.flat[k] = 1.0
                    tangents[n] = t
                else:
                    tangents[n] = 1.0
                _, tout = jvp(fun, args, tangents, target=target)
                rows.append(np.asarray(tout, dtype=np.float64))
            out_shape = np.shape(rows[0])
            J = np.stack(rows, axis=-1).reshape(out_shape + np.shape(x))
            cols.append(J if J.shape else float(J))
        return cols[0] if single else tuple(cols)

    return jac


def jacrev(fun: Callable, argnums: int | tuple = 0, *, target: str = "cpu"):
    """Jacobian by reverse mode (one vjp per output element)."""

    def jac(*args):
        nums, single = _norm_argnums(argnums, len(args), "jacrev")
        out, f_vjp = vjp(fun, *args, target=target)
        flat = np.atleast_1d(np.asarray(out, dtype=np.float64))
        per_arg: list[list] = [[] for _ in nums]
        for k in range(flat.size):
            ct = np.zeros(flat.shape)
            ct.flat[k] = 1.0
            cts = ct.reshape(np.shape(out))
            ctarg = tuple(float(c) for c in cts.flat) if isinstance(out, tuple) else \
                (float(cts) if not np.shape(out) else cts)
            g = f_vjp(ctarg)
            for j, n in enumerate(nums):
                per_arg[j].append(np.asarray(g[n], dtype=np.float64))
        res = []
        for j, n in enumerate(nums):
            J = np.stack(per_arg[j]).reshape(np.shape(out) + np.shape(args[n]))
            res.append(J if J.shape else float(J))
        return res[0] if single else tuple(res)

    return jac


def hessian(fun: Callable, argnums: int | tuple = 0, *, target: str = "cpu"):
    """Hessian as jacfwd(grad(f)): forward mode over the generated gradient's source."""
    return jacfwd(grad(fun, argnums, target=target), argnums, target=target)


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
            from .frontend.source import parse_function

            node = parse_function(fun).node
            nparams = len(node.params.params) + len(node.params.posonly_params)
            args = (1.0,) * nparams
        types = _types_of("derivative_source", tuple(args))
    nums, single = _norm_argnums(argnums, len(types), "derivative_source")
    mode = {"fwd": "forward", "rev": "reverse", "tangent": "forward",
            "adjoint": "reverse"}.get(mode, mode)
    if mode not in pipeline.MODES:
        raise BadArguments(f"unknown mode {mode!r}; choose one of {pipeline.MODES}")
    return pipeline.source(fun, pipeline.Request(mode, nums, tuple(types), single=single))


__all__ = ["grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian",
           "stop_gradient", "derivative_source", "stop_gradient_marker"]
