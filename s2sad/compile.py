"""Specialisations: one compiled derivative per (function, request, target), built once
and kept while the values it folded hold (frontend/free.py), and the hook that lets the
frontend inline a derivative's IR (nested AD, frontend/nested.py).

A callable s2sad made (a transform, a Jacobian's piece) says what it derives with
`_s2sad_request(arg_types) -> (function, pipeline.Request)`.
"""

from __future__ import annotations

import functools
import time

from . import checks, log, pipeline
from .analysis.indices import min_sizes
from .errors import BadArguments
from .frontend import nested
from .frontend.free import Binding, binding
from .ir.nodes import For, Function, Op, While, walk
from .ir.types import ArrayT

TARGETS = ("cpu", "numba", "python")  # cpu: Numba or NumPy, whichever suits the code


class Compiled:
    """One specialisation: the derivation (IR and source) and the callable built from it."""

    def __init__(self, fn, req: pipeline.Request, target: str, boundscheck: bool = False,
                 times: dict | None = None):
        self.request = req
        self.what = f"{getattr(fn, '__qualname__', fn)!r} ({req.mode}, target {target})"
        with pipeline.stage_times() as t:
            d = pipeline.build(fn, req)
        self.times = {k: v + (times or {}).get(k, 0.0) for k, v in t.items()}
        self.ir, self.primal, self.source = d.ir, d.primal, d.source
        self.binding = binding(self.primal)  # the free values, read at every call
        name = self.ir.name
        if target not in TARGETS:
            raise BadArguments(f"unknown target {target!r}; choose one of {TARGETS}")
        self.backend = choose_backend(self.ir) if target == "cpu" else target
        t0 = time.perf_counter()
        if self.backend == "numba":
            from .backends import cpu as cpu_backend  # noqa: PLC0415  (numba, lazily)

            self.call = cpu_backend.compile_source(name, self.source, boundscheck=boundscheck)
            self.py_func = self.call.py_func
            self._first = True  # Numba compiles on the first call: logged after it
        else:  # "python" or "numpy": the same source run by CPython
            from .backends import python as python_backend  # noqa: PLC0415

            self.call = python_backend.compile_source(name, self.source)
            self.py_func = self.call
            self._first = False
        self.times["codegen"] += time.perf_counter() - t0  # (writing and loading the module)
        if not self._first:
            log.compiled(self.what, self.times)

    def run(self, args, extra=()):
        """The generated function on the arguments, the tangents or cotangents (`extra`)
        and the free values as they are now (the generated function takes those last:
        pipeline._free_last)."""
        if self._first:
            return self._first_run(args, extra)
        return self.call(*args, *extra, *self.binding.values())

    def _first_run(self, args, extra):
        """The first call: Numba compiles (or loads its disk cache) for the argument types;
        its seconds (with the call's own, small beside them) go to the log."""
        t0 = time.perf_counter()
        out = self.call(*args, *extra, *self.binding.values())
        self._first = False
        self.times["numba"] = time.perf_counter() - t0
        log.compiled(self.what, self.times)
        return out

    def check_indices(self, fname: str, args: tuple, names) -> None:
        """Constant indices in bounds for the arguments and the free values as they are."""
        free = self.binding
        names = list(names or [f"argument {i}" for i in range(len(args))])[:len(args)]
        checks.check_indices(fname, self.primal, tuple(args) + tuple(free.values()),
                             names + [r.name for r in free.refs], len(args))


def choose_backend(fn: Function) -> str:
    """target="cpu": Numba for loops and scalar code; NumPy itself for straight-line
    whole-array code, where NumPy's SIMD/BLAS kernels beat Numba's array expressions
    (benchmarks/: 2.4x on the MLP, 1.9x on vectorized Rosenbrock) and nothing compiles."""
    stmts = list(walk(fn.body))
    if any(isinstance(s, (For, While)) for s in stmts):
        return "numba"
    arrays = any(isinstance(s, Op) and s.results and isinstance(s.results[0].type, ArrayT)
                 and s.results[0].type.ndim >= 1 and s.prim not in ("zeros_like",)
                 for s in stmts)
    return "numpy" if arrays else "numba"


_compiled: dict = {}


def maker(fn):
    """The object behind a callable s2sad made (a transform's entry: its Transform), or
    None for the user's own functions."""
    if hasattr(fn, "_s2sad_request"):
        return fn
    tr = getattr(fn, "transform", None)
    return tr if hasattr(tr, "_s2sad_request") else None


def compiled(fn, req: pipeline.Request, target: str, boundscheck: bool = False) -> Compiled:
    made = maker(fn)
    if made is not None:  # nested AD: keyed on the maker (an entry's __code__ changes)
        fn = made
    _refuse_partial(fn)
    boundscheck = bool(boundscheck) and target != "python"
    key = (fn, getattr(fn, "__code__", None), req, target, frozenset(pipeline.disabled())) + \
        (("boundscheck",) if boundscheck else ())
    seen = _compiled.setdefault(key, [])
    for c in seen:
        if c.binding.holds():  # the ints it folded are unchanged (frontend/free.py)
            return c
    # constant indices past arrays of known shape: refused before differentiating
    with pipeline.stage_times() as times:
        min_sizes(pipeline.primal_ir(fn, req.types))
    c = Compiled(fn, req, target, boundscheck, times)
    seen.append(c)
    return c


def _refuse_partial(fun) -> None:
    if isinstance(fun, functools.partial):
        raise BadArguments(f"{fun!r}: functools.partial objects cannot be differentiated "
                           "(s2sad reads the source of a def or lambda)",
                           hint="wrap it: grad(lambda y: f(1.0, y)), or pass the fixed "
                           "arguments and use argnums")


def _derivative_ir(obj, types: tuple) -> tuple[Function, Binding]:
    """Nested AD: the IR of the derivative `obj` computes for these argument types."""
    fn, req = maker(obj)._s2sad_request(tuple(types))
    c = compiled(fn, req, "python")
    return c.ir, c.binding


nested.register(_derivative_ir, lambda obj: maker(obj) is not None)
