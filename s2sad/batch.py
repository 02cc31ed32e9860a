"""vmap: a function mapped over an axis of its arguments, compiled as one loop.

`vmap(f, in_axes, out_axes)` writes a small Python function, the *batch loop*, and lowers
it like any user function:

    def f_vmap(a0, a1):
        n = a0.shape[0]
        o0 = np.empty(n)
        for b in range(n):
            o0[b] = _s2sad_elem(a0[b], a1)
        return o0

`_s2sad_elem` is the mapped callable (a user function, grad(f), a Jacobian, another vmap):
the frontend inlines its IR, so the generated code is one loop around the derivative's
body, and a vmap called inside a differentiated function (or differentiated itself) is
IR like any other. Outputs that are arrays take their shape from the first element, which
is computed before the loop (the loop then starts at 1).

target="parallel" runs the elements on every core: a `numba.prange` loop over the
element's own compiled function (each call has its own tapes); target="cuda" is
backends/cuda.py.
"""

from __future__ import annotations

import itertools
import linecache

import numpy as np

from . import checks, pipeline, pytree, runtime
from .analysis.shapes import output_dims
from .backends.cache import cached, made_fingerprint
from .backends.cache import source_key as cache_key
from .codegen.batch_loop import shapes_in_args, write_driver, write_loop
from .compile import check_target, compiled, maker, tiered
from .errors import BadArguments, DeviceUnsupported
from .ir.types import ArrayT, Scalar, Type

TARGETS = ("cpu", "numba", "python", "parallel", "cuda")
_serial = itertools.count()


def _norm_in_axes(in_axes, nargs: int) -> tuple:
    if in_axes is None or isinstance(in_axes, int) and not isinstance(in_axes, bool):
        return (in_axes,) * nargs
    if isinstance(in_axes, tuple | list):
        if len(in_axes) != nargs:
            raise BadArguments(f"vmap: in_axes has {len(in_axes)} entries for {nargs} "
                               "argument(s)", hint="give one axis (an int or None) per argument")
        for a in in_axes:
            if not (a is None or isinstance(a, int) and not isinstance(a, bool)):
                raise BadArguments(f"vmap: in_axes entries are ints or None, got {a!r}",
                                   hint="mapping over tuples or dicts of arrays is not "
                                   "supported: pass their arrays as separate arguments")
        return tuple(in_axes)
    raise BadArguments(f"vmap: in_axes must be an int, None or a tuple of them, got "
                       f"{in_axes!r}")


def _check_out_axes(out_axes) -> None:
    ok = isinstance(out_axes, int) and not isinstance(out_axes, bool) or (
        isinstance(out_axes, tuple | list) and all(
            isinstance(a, int) and not isinstance(a, bool) for a in out_axes))
    if not ok:
        raise BadArguments(f"vmap: out_axes must be an int or a tuple of ints, got "
                           f"{out_axes!r}", hint="None (an unmapped output) is not supported")


class Vmap:
    """`fun` mapped over the batch axis; calling it compiles once per argument types."""

    def __init__(self, fun, in_axes=0, out_axes=0, target: str = "cpu"):
        if not callable(fun):
            raise BadArguments(f"vmap: expected a function, got {type(fun).__name__} {fun!r}")
        check_target(target, "vmap", TARGETS)
        if in_axes is not None and not isinstance(in_axes, int | tuple | list) or \
                isinstance(in_axes, bool):
            raise BadArguments(f"vmap: in_axes must be an int, None or a tuple of them, got "
                               f"{in_axes!r}")
        _check_out_axes(out_axes)
        self.fun = fun
        self.in_axes = in_axes
        self.out_axes = out_axes
        self.target = target
        self._loops: dict = {}
        self._drivers: dict = {}
        self._fast: dict = {}
        self.__name__ = f"{getattr(fun, '__name__', 'f')}_vmap"
        self.__doc__ = getattr(fun, "__doc__", None)

    def __repr__(self) -> str:
        opts = f", in_axes={self.in_axes!r}" if self.in_axes != 0 else ""
        opts += f", out_axes={self.out_axes!r}" if self.out_axes != 0 else ""
        opts += f", target={self.target!r}" if self.target != "cpu" else ""
        return f"<s2sad.vmap of {_name(self.fun)}{opts}>"

    def __reduce__(self):
        return (Vmap, (self.fun, self.in_axes, self.out_axes, self.target))

    def _s2sad_fingerprint(self) -> str | None:
        """What the disk cache keys on (backends/cache.py): axes, target and function."""
        return made_fingerprint(f"vmap {self.in_axes!r} {self.out_axes!r} {self.target}",
                                self.fun)

    # ------------------------------------------------------------ types
    def axes(self, types: tuple) -> tuple:
        """in_axes per argument, non-negative, checked against the argument types."""
        axes = _norm_in_axes(self.in_axes, len(types))
        out = []
        for i, (a, t) in enumerate(zip(axes, types)):
            if a is None:
                out.append(None)
                continue
            if isinstance(t, pytree.TreeType):  # every leaf mapped along the axis
                bad = [p for p, lt in zip(t.tree.paths(), t.leaves)
                       if not isinstance(lt, ArrayT) or not 0 <= a < lt.ndim]
                if bad:
                    raise BadArguments(
                        f"vmap: in_axes[{i}] = {a} maps every leaf of argument {i} ({t.tree}), "
                        f"but its leaf {bad[0]} has no axis {a}", hint="every leaf of a mapped "
                        "tuple or dict needs that axis (a non-negative one); give None for "
                        "arguments shared by every element")
                out.append(a)
                continue
            if not isinstance(t, ArrayT) or t.ndim == 0:
                raise BadArguments(f"vmap: in_axes[{i}] = {a} but argument {i} is {_what(t)}, "
                                   "which has no axis to map over",
                                   hint="give None for arguments shared by every element")
            if not -t.ndim <= a < t.ndim:
                raise BadArguments(f"vmap: in_axes[{i}] = {a} is out of range for argument "
                                   f"{i}, an array of {t.ndim} dimension(s)")
            out.append(a % t.ndim)
        if all(a is None for a in out):
            raise BadArguments("vmap: in_axes maps no argument (all are None)",
                               hint="give the axis of at least one argument")
        return tuple(out)

    def element_types(self, types: tuple) -> tuple:
        axes = self.axes(types)
        return tuple(t if a is None else pytree.TreeType(t.tree, tuple(
            _drop_axis(x) for x in t.leaves)) if isinstance(t, pytree.TreeType) else
            _drop_axis(t) for t, a in zip(types, axes))

    # ------------------------------------------------------------ the batch loop
    def batch_loop(self, types: tuple):
        """The Python function of the batch loop for these argument types."""
        loop = self._loops.get(types)
        if loop is None:
            loop = self._loops[types] = self._write_loop(types)
        return loop

    def element_ir(self, types: tuple):
        elem = maker(self.fun) or self.fun
        return pipeline.primal_ir(elem, self.element_types(types))

    def _write_loop(self, types: tuple):
        name = self.__name__ if self.__name__.isidentifier() else "f_vmap"

        def write():
            axes = self.axes(types)
            ir = self.element_ir(types)
            tree = pytree.of_outputs(ir)
            leaves = [v.type for v in ir.outputs]
            outs = self._leaf_out_axes(tree, leaves)
            classes: dict = {}
            shapes = shapes_in_args(output_dims(ir), types, axes)
            return write_loop(name, axes, tree, leaves, outs, [
                t.tree if isinstance(t, pytree.TreeType) else None for t in types],
                classes, shapes), classes

        src, classes = loop_source("vmap", self, types, write)
        filename = f"<s2sad vmap {next(_serial)}>"
        linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
        ns = {"np": np, "_s2sad_elem": self.fun, "__name__": "s2sad_vmap", **classes}
        exec(compile(src, filename, "exec"), ns)
        fn = ns[name]
        fn._s2sad_vmap = self  # what the loop belongs to (messages, show)
        return fn

    def _leaf_out_axes(self, tree, leaves: list) -> list[int]:
        oa = self.out_axes
        if isinstance(oa, int):
            per = [oa] * len(leaves)
        else:
            if tree.is_leaf or len(oa) != len(tree.children):
                raise BadArguments(f"vmap: out_axes {oa!r} does not match the outputs of "
                                   f"{_name(self.fun)} ({tree})")
            per = []
            for a, child in zip(oa, tree.children):
                per += [a] * child.num_leaves
        out = []
        for a, t in zip(per, leaves):
            nd = t.ndim if isinstance(t, ArrayT) else 0
            if not -(nd + 1) <= a <= nd:
                raise BadArguments(f"vmap: out_axes {a} is out of range for an output of "
                                   f"{nd} dimension(s)")
            out.append(a % (nd + 1))
        return out

    def _s2sad_request(self, types: tuple[Type, ...]):
        """What a call with these argument types computes (nested AD inlines its IR)."""
        return self.batch_loop(tuple(types)), pipeline.Request("primal", (), tuple(types))

    # ------------------------------------------------------------ calls from Python
    def __call__(self, *args, **kwargs):
        if not kwargs:  # the arguments' kinds seen before: straight to the compiled loop
            hit = self._fast.get(kinds(args))
            if hit is not None and hit[1].holds():
                run, free, axes, assemble = hit
                if _batch_size(args, axes):
                    return assemble(run(*args, *free.values()))
        if kwargs:
            args = checks.bind("vmap", self.fun, args, kwargs)
        types = checks.arg_types("vmap", args, gpu=self.target == "cuda")
        axes = self.axes(types)
        n = _batch_size(args, axes)
        if n == 0:
            return self._empty(args, types, axes)
        if self.target == "cuda":
            launch, free = self.device(types)
            out = launch(checks.flat_args(args, types) + tuple(free.values()), n)
            return pytree.unflatten(pytree.of_outputs(self.element_ir(types)), list(out))
        if self.target == "parallel":
            run, elem_free, tree, ready = self.driver(types, args)
            flat = checks.flat_args(args, types)
            if ready is None or ready.is_set():
                return pytree.unflatten(tree, checks.flat(run(*flat, *elem_free.values())))
            # tiered: the serial loop answers while Numba compiles the prange driver
            return self._serial(args, types, axes, "cpu", fast=False)
        return self._serial(args, types, axes, self.target)

    def _serial(self, args, types, axes, target: str, fast: bool = True):
        """The batch loop compiled for `target` ("cpu", "numba", "python") on the
        arguments; `fast`: later calls with these kinds go straight to it."""
        fn, req = self._s2sad_request(types)
        c = compiled(fn, req, target)
        flat = checks.flat_args(args, types)
        c.check_indices("vmap", flat, None)
        tree = pytree.of_outputs(c.primal)
        k = kinds(args)
        if fast and k is not None and not checks.index_conditions(
                c.primal, [f"a{i}" for i in range(len(flat))]):
            self._fast[k] = (c.call, c.binding, axes, _assembler(tree))

            def swap(k=k, first=c.call):  # tiered (compile.py): Numba's code when ready
                got = self._fast.get(k)
                if got is not None and got[0] is first:
                    self._fast[k] = (c.call, *got[1:])
            c.on_ready(swap)
        return pytree.unflatten(tree, checks.flat(c.run(flat)))

    def driver(self, types: tuple, args: tuple = ()):
        """target="parallel": (a prange loop over the element's own compiled function, the
        element's free values, the tree of its outputs, an event set once Numba has
        compiled it in the background (tiered: compile.py), or None: compiled on its first
        call)."""
        got = self._drivers.get(types)
        if got is not None and got[1].holds():
            return got
        elem = maker(self.fun) or self.fun
        etypes = self.element_types(types)
        c = compiled(elem, pipeline.Request("primal", (), etypes), "numba")
        tree = pytree.of_outputs(c.primal)
        leaves = [v.type for v in c.primal.outputs]
        outs = self._leaf_out_axes(tree, leaves)
        n_args = len(checks.flat_args(tuple(range(len(types))), types)) if not any(
            isinstance(t, pytree.TreeType) for t in types) else None
        if n_args is None:
            raise BadArguments("vmap(target='parallel'): tuples or dicts of arrays as "
                               "arguments are not supported", hint="pass their arrays as "
                               "separate arguments, or use target='cpu'")
        import numba  # noqa: PLC0415 (Numba: when first needed)

        from .backends import cpu as cpu_backend  # noqa: PLC0415
        from .backends.tiered import in_background  # noqa: PLC0415

        name = "batch_" + c.ir.name
        src = write_driver(name, self.axes(types), leaves, outs, len(c.binding.refs),
                           cache_key(c.source))
        run = cpu_backend.compile_source(name, src, parallel=True,
                                         globals_={"_s2sad_elem": c.call})
        ready = None
        if tiered() and args:
            sig = [*checks.flat_args(args, types), *c.binding.values()]
            ready = in_background(lambda: run.compile(tuple(numba.typeof(a) for a in sig)),
                                  name)
        self._drivers[types] = got = (run, c.binding, tree, ready)
        return got

    def device(self, types: tuple):
        """target="cuda": (the launcher of the fused kernel, the loop's free values)."""
        got = self._drivers.get(("cuda", types))
        if got is not None and got[1].holds():
            return got
        for i, (t, a) in enumerate(zip(types, self.axes(types))):
            if a is not None and (isinstance(t, pytree.TreeType) or t.ndim != 1):
                raise DeviceUnsupported(
                    f"vmap(target='cuda'): argument {i} ({_what(t)}) maps elements that "
                    "are not numbers", hint="map 1-D arrays of numbers on the GPU (other "
                    "arrays may be shared, in_axes None), or use target='parallel'")
        fn, req = self._s2sad_request(types)
        c = compiled(fn, req, "python")  # the source; numba-cuda compiles the kernel
        from .backends.cuda import Launcher  # noqa: PLC0415 (numba-cuda: this target only)
        from .codegen.cuda import kernel_source  # noqa: PLC0415 (libcst: this target only)
        got = self._drivers[("cuda", types)] = (Launcher(kernel_source(c.source, c.ir.name)),
                                                c.binding)
        return got

    def ptx(self, *args, cc=(9, 0)) -> str:
        """target="cuda": the kernel for these arguments compiled to PTX (no GPU needed;
        numba-cuda's toolkit wheels are)."""
        import numba  # noqa: PLC0415

        types = checks.arg_types("vmap", args)
        launch, free = self.device(types)
        vals = checks.flat_args(args, types) + tuple(free.values())
        return launch.ptx([numba.typeof(v) for v in vals], cc)

    def _empty(self, args, types, axes):
        """A batch of none: the outputs' shapes from one element of ones, none kept."""
        one = tuple(a if ax is None else np.ones_like(np.take(a, [0], axis=ax)) if
                    np.size(a) else np.ones(_one_shape(a, ax), dtype=a.dtype)
                    for a, ax in zip(args, axes))
        out = self(*one)
        leaves, tree = pytree.flatten(out)
        ir = self.element_ir(types)
        axs = self._leaf_out_axes(pytree.of_outputs(ir), [v.type for v in ir.outputs])
        return pytree.unflatten(tree, [np.take(x, [], axis=a) for x, a in zip(leaves, axs)])


def kinds(args) -> tuple | None:
    """What the compiled loop's types depend on, cheaply: None for pytree arguments."""
    out = []
    for a in args:
        if isinstance(a, np.ndarray):
            out.append((a.dtype.char, a.ndim))
        elif isinstance(a, float | int | bool | np.generic):
            out.append(type(a))
        else:
            return None
    return tuple(out)


def _assembler(tree):
    if tree.is_leaf:
        return lambda out: out[0] if isinstance(out, tuple) else out
    return lambda out: pytree.unflatten(tree, checks.flat(out))




def _one_shape(a, ax):
    s = list(np.shape(a))
    s[ax] = 1
    return tuple(s)


def _batch_size(args, axes) -> int:
    sizes = {i: np.shape(pytree.leaves(a)[0] if pytree.is_node(a) else a)[ax]
             for i, (a, ax) in enumerate(zip(args, axes)) if ax is not None}
    for i, (a, ax) in enumerate(zip(args, axes)):
        if ax is not None and pytree.is_node(a):
            got = {np.shape(x)[ax] for x in pytree.leaves(a)}
            if len(got) > 1:
                raise BadArguments(f"vmap: the leaves of argument {i} have different sizes "
                                   f"along axis {ax}: {sorted(got)}")
    if len(set(sizes.values())) > 1:
        what = ", ".join(f"argument {i} has {s} along axis {axes[i]}" for i, s in sizes.items())
        raise BadArguments(f"vmap: the mapped axes have different sizes: {what}",
                           hint="every mapped argument needs the same batch size")
    return next(iter(sizes.values()))


def _drop_axis(t: ArrayT) -> Type:
    return ArrayT(t.dtype, t.ndim - 1) if t.ndim > 1 else t.dtype


def _what(t) -> str:
    if isinstance(t, Scalar):
        return f"a {t} scalar"
    if isinstance(t, pytree.TreeType):
        return f"a {t.tree}"
    return str(t)


def _name(fun) -> str:
    if hasattr(fun, "transform") or maker(fun) is not None or hasattr(fun, "_s2sad_jacobian"):
        return repr(fun)  # <s2sad.grad of f>: not f (the transform copies f's names)
    return getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)


def vmap(fun=None, in_axes=0, out_axes=0, *, target: str = "cpu"):
    """JAX's vmap: `fun` mapped over axis `in_axes` of its arguments (an int, None for an
    argument every element shares, or a tuple of them), the results stacked along
    `out_axes`. Compiled as one loop over the batch around `fun`'s body (a derivative's,
    for vmap(grad(f))); target "parallel" runs the batch on every core, "cuda" on the GPU.
    """
    if fun is None:
        return lambda f: Vmap(f, in_axes, out_axes, target)
    return Vmap(fun, in_axes, out_axes, target)


# ---------------------------------------------------------------- Jacobians as one loop
_API: dict = {}


def register(**api) -> None:
    """api.py's jvp and vjp, which the Jacobian loops call (this module is below the API)."""
    _API.update(api)


_ZERO = {"f64": "0.0", "f32": "np.float32(0.0)", "i64": "0", "bool": "False"}


def jacobian_loop(jac, types: tuple):
    """jacfwd/jacrev (and hessian: jacfwd of grad) of one float vector argument whose
    output is one float vector or scalar, as one compiled loop over the basis vectors: a
    jvp per column, or one vjp and a pull-back per row. None where another case applies
    (jacobians.py assembles those from pieces)."""
    key = ("jac", types)
    got = jac.__dict__.setdefault("_loops", {}).get(key, False)
    if got is not False:
        return got
    loop = jac._loops[key] = _jacobian_loop_function(jac, types)
    return loop


def _write_jacobian_source(jac, types: tuple) -> tuple[str, str] | None:
    """(name, source) of the loop, or None."""
    if jac.mode not in ("fwd", "rev") or jac.has_aux or not isinstance(jac.argnums, int):
        return None
    if getattr(jac.fun, "_s2sad_jacobian", False) or any(
            not isinstance(t, Scalar | ArrayT) for t in types):
        return None
    k = jac.argnums % len(types) if -len(types) <= jac.argnums < len(types) else None
    if k is None or types[k] != ArrayT(Scalar("f64"), 1):
        return None
    try:
        ir = pipeline.primal_ir(maker(jac.fun) or jac.fun, types)
    except Exception:  # noqa: BLE001 (the assembled path reports it as it always has)
        return None
    outs = ir.outputs
    if len(outs) != 1 or outs[0].type not in (Scalar("f64"), ArrayT(Scalar("f64"), 1)):
        return None
    vector_out = isinstance(outs[0].type, ArrayT)
    if jac.mode == "rev" and not vector_out:
        return None
    params = [f"a{i}" for i in range(len(types))]
    name = f"{_fun_name(jac.fun)}_{jac._name}"
    if jac.mode == "fwd":
        zeros = [p if i == k else None for i, p in enumerate(params)]
        tans = ["e" if i == k else f"np.zeros_like({p})" if isinstance(t, ArrayT) else
                _ZERO[t.name] for i, (p, t) in enumerate(zip(params, types))]
        del zeros
        jvp = (f"y, t = _s2sad_jvp(_s2sad_f, ({', '.join(params)},), "
               f"({', '.join(tans)},))")
        col = (lambda i: f"J[:, {i}] = t") if vector_out else (lambda i: f"J[{i}] = t")
        alloc = "J = np.empty((t.shape[0], m))" if vector_out else "J = np.empty(m)"
        body = [f"def {name}({', '.join(params)}):",
                f"    m = a{k}.shape[0]", "    e = _s2sad_basis(m, 0)",
                "    " + jvp, "    " + alloc, "    " + col("0"),
                "    for k in range(1, m):", "        e = _s2sad_basis(m, k)",
                "        " + jvp, "        " + col("k"), "    return J"]
    else:
        body = [f"def {name}({', '.join(params)}):",
                f"    y, pull = _s2sad_vjp(_s2sad_f, {', '.join(params)})",
                "    p = y.shape[0]", f"    g = pull(_s2sad_basis(p, 0))[{k}]",
                "    J = np.empty((p, g.shape[0]))", "    J[0] = g",
                "    for k in range(1, p):", f"        J[k] = pull(_s2sad_basis(p, k))[{k}]",
                "    return J"]
    return name, "\n".join(body) + "\n"


def loop_source(kind: str, owner, types: tuple, write):
    """What `write()` returns (a loop's source, written from the element's IR), from the
    disk cache where `owner` can say what it is: a hit does not lower the element."""
    return cached(f"{kind}_loop", owner, repr((types, sorted(pipeline.disabled()))), write)


def _jacobian_loop_function(jac, types: tuple):
    got = loop_source("jacobian", jac, types, lambda: _write_jacobian_source(jac, types))
    if got is None:
        return None
    name, src = got
    filename = f"<s2sad {jac._name} {next(_serial)}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    ns = {"np": np, "_s2sad_f": jac.fun, "_s2sad_jvp": _API["jvp"], "_s2sad_basis": runtime.PY.basis,
          "_s2sad_vjp": _API["vjp"], "__name__": "s2sad_jacobian"}
    exec(compile(src, filename, "exec"), ns)
    return ns[name]


def _fun_name(fun) -> str:
    inner = getattr(fun, "transform", None)
    fun = inner.fun if inner is not None else fun
    name = getattr(fun, "__name__", "f")
    return name if name.isidentifier() else "f"
