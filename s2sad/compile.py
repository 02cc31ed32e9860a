"""Specialisations: one compiled derivative per (function, request, target), built once
and kept while the values it folded hold (frontend/free.py), and the hook that lets the
frontend inline a derivative's IR (nested AD, frontend/nested.py).

A callable s2sad made (a transform, a Jacobian's piece) says what it derives with
`_s2sad_request(arg_types) -> (function, pipeline.Request)`.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import sys
import threading
import time

from . import checks, log, pipeline
from .analysis.indices import min_sizes
from .backends.cache import entry_key, load_entry, save_entry
from .errors import BadArguments
from .frontend import nested
from .frontend.free import Binding, binding
from .ir.nodes import For, Function, Op, While, walk
from .ir.types import ArrayT
from .rules import RULES
from .rules.user import USER

TARGETS = ("cpu", "numba", "python")  # cpu: Numba or NumPy, whichever suits the code
BATCH_TARGETS = ("parallel", "cuda")  # the batch's targets (s2sad.vmap)


def check_target(target, who: str = "", targets: tuple = TARGETS) -> None:
    if target in targets:
        return
    pre = f"{who}: " if who else ""
    if target in BATCH_TARGETS:
        raise BadArguments(f"{pre}target={target!r} is a target of s2sad.vmap (many "
                           "derivatives at once), not of one derivative",
                           hint=f"s2sad.vmap(s2sad.grad(f), target={target!r})(xs)")
    raise BadArguments(f"{pre}unknown target {target!r}; choose one of {targets}")


class Compiled:
    """One specialisation: the derivation (IR and source) and the callable built from it."""

    def __init__(self, fn, req: pipeline.Request, target: str, boundscheck: bool = False,
                 times: dict | None = None, derived: pipeline.Derivation | None = None):
        """`derived`: a derivation from the disk cache (the pipeline does not run)."""
        self.request = req
        self.what = f"{getattr(fn, '__qualname__', fn)!r} ({req.mode}, target {target})"
        self.origin = "compiled" if derived is None else "disk cache"
        if derived is None:
            with pipeline.stage_times() as t:
                derived = pipeline.build(fn, req)
            self.times = {k: v + (times or {}).get(k, 0.0) for k, v in t.items()}
        else:
            self.times = dict(times or {})
        d = derived
        self.ir, self.primal, self.source = d.ir, d.primal, d.source
        self.binding = binding(self.primal)  # the free values, read at every call
        name = self.ir.name
        check_target(target)
        self.backend = choose_backend(self.ir) if target == "cpu" else target
        t0 = time.perf_counter()
        self._waiting: list = []  # tiered: what to tell when Numba's code is ready
        self._tier = None
        if self.backend == "numba" and target == "cpu" and tiered():
            # tiered: CPython runs the generated source until Numba has compiled it
            from .backends.tiered import Tiered  # noqa: PLC0415

            def compile_numba():  # (Numba's import too: the first result need not wait)
                from .backends import cpu as cpu_backend  # noqa: PLC0415

                return cpu_backend.compile_source(name, self.source, boundscheck=boundscheck)

            self._tier = self.call = Tiered(name, self.source, compile_numba, self._tiered)
            self.py_func = self._tier.py_func
            self._first = False
        elif self.backend == "numba":
            from .backends import cpu as cpu_backend  # noqa: PLC0415  (numba, lazily)

            self.call = cpu_backend.compile_source(name, self.source, boundscheck=boundscheck)
            self.py_func = self.call.py_func
            self._first = True  # Numba compiles on the first call: logged after it
        else:  # "python" or "numpy": the same source run by CPython
            from .backends import python as python_backend  # noqa: PLC0415

            self.call = python_backend.compile_source(name, self.source)
            self.py_func = self.call
            self._first = False
        # (writing and loading the module)
        self.times["codegen"] = self.times.get("codegen", 0.0) + time.perf_counter() - t0
        if not self._first:
            log.compiled(self.what, self.times, self.origin)

    def run(self, args, extra=()):
        """The generated function on the arguments, the tangents or cotangents (`extra`)
        and the free values as they are now (the generated function takes those last:
        pipeline._free_last)."""
        if self._first:
            return self._first_run(args, extra)
        return self.call(*args, *extra, *self.binding.values())

    def on_ready(self, tell) -> None:
        """tell() when Numba's code replaces the CPython tier (at once if it has)."""
        with _TIER_LOCK:
            if self._tier is not None and self.call is self._tier and not self._tier.failed:
                self._waiting.append(tell)
                return
        tell()

    def dispatcher(self):
        """Numba's dispatcher of this specialisation (waiting for a tiered compile)."""
        return self._tier.wait() if self._tier is not None else self.call

    def _tiered(self, disp, seconds: float) -> None:
        """The tier's compile has finished (disp None: Numba failed, CPython goes on)."""
        if disp is None:
            e = self._tier.error
            log.logger.warning("s2sad: Numba could not compile %s (%s: %s); it runs in "
                               "CPython", self.what, type(e).__name__, e)
            return
        with _TIER_LOCK:
            self.call = disp
            waiting, self._waiting = self._waiting, []
        self.times["numba"] = seconds
        log.compiled(self.what, self.times, self.origin + ", tiered")
        for tell in waiting:
            tell()

    def _first_run(self, args, extra):
        """The first call: Numba compiles (or loads its disk cache) for the argument types;
        its seconds (with the call's own, small beside them) go to the log."""
        t0 = time.perf_counter()
        out = self.call(*args, *extra, *self.binding.values())
        self._first = False
        self.times["numba"] = time.perf_counter() - t0
        log.compiled(self.what, self.times, self.origin)
        return out

    def check_indices(self, fname: str, args: tuple, names) -> None:
        """Constant indices in bounds for the arguments and the free values as they are."""
        free = self.binding
        names = list(names or [f"argument {i}" for i in range(len(args))])[:len(args)]
        checks.check_indices(fname, self.primal, tuple(args) + tuple(free.values()),
                             names + [r.name for r in free.refs], len(args))


_TIER_LOCK = threading.Lock()


def tiered() -> bool:
    """target="cpu" runs a new derivative's first calls in CPython while Numba compiles
    it in a thread (backends/tiered.py); S2SAD_TIERED=0 compiles before the first call."""
    return os.environ.get("S2SAD_TIERED", "1") not in ("", "0")


def join_tiers() -> None:
    """Wait until the background compiles of tiered first calls have finished: later
    calls run Numba's code (what a benchmark of the steady state wants)."""
    tiers = sys.modules.get(f"{__package__}.backends.tiered")
    for th in list(tiers.THREADS if tiers else ()):
        th.join()


# background compiles finish (and fill Numba's disk cache for the next process) rather
# than stop half-way at interpreter exit
atexit.register(join_tiers)


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
    c = _from_disk(fn, req, target, boundscheck)
    if c is None:
        # constant indices past arrays of known shape: refused before differentiating
        with pipeline.stage_times() as times:
            min_sizes(pipeline.primal_ir(fn, req.types))
        c = Compiled(fn, req, target, boundscheck, times)
        _to_disk(fn, req, target, boundscheck, c)
    seen.append(c)
    return c


def _disk_key(fn, req, target: str, boundscheck: bool) -> str | None:
    """The disk cache's key for this compile (backends/cache.py: fingerprint), or None
    where the function cannot be cached: it names objects, or user rules are defined."""
    if USER or os.environ.get("S2SAD_DISK_CACHE", "1") == "0":
        return None
    options = repr((req, target, boundscheck, sorted(pipeline.disabled()), _rules_stamp()))
    return entry_key(fn, options)


def _rules_stamp() -> str:
    """Where the rules in force are defined (a rule replaced at run time, as tests do,
    derives differently: it must not meet the entries of the usual one)."""
    out = []
    for name, r in RULES.items():
        for f in (r.partials, r.tangent, r.adjoint):
            code = getattr(f, "__code__", None)
            if code is not None:
                out.append(f"{name}:{code.co_filename}:{code.co_firstlineno}")
    return hashlib.sha256("\n".join(out).encode()).hexdigest()[:16]


def _from_disk(fn, req, target: str, boundscheck: bool) -> Compiled | None:
    """A disk-cache hit: the derivation saved by an earlier process, while the values it
    folded still hold, without lowering or deriving (and without libcst)."""
    t0 = time.perf_counter()
    key = _disk_key(fn, req, target, boundscheck)
    got = load_entry(_entry_name(fn), key) if key else None
    if not isinstance(got, pipeline.Derivation) or not binding(got.primal).holds():
        return None
    pipeline.remember_primal(fn, req.types, got.primal)  # (other requests on fn lower no more)
    return Compiled(fn, req, target, boundscheck, {"load": time.perf_counter() - t0}, got)


def _to_disk(fn, req, target: str, boundscheck: bool, c: Compiled) -> None:
    key = _disk_key(fn, req, target, boundscheck)
    if key:
        save_entry(_entry_name(fn), key, pipeline.Derivation(c.primal, c.ir, c.source))


def _entry_name(fn) -> str:
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() else type(fn).__name__


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
