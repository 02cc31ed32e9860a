"""The pipeline as a list of named stages, run in order (as Numba's pass manager).

    lower -> inputs -> views -> clean -> fuse                     the primal (cached)
    differentiate -> records -> simplify -> gather -> overwrite
        -> factor -> order -> sparse -> buffers -> fold -> storage      the derivative
    codegen                                                       Python source

Each stage is `(name, function, modes)`: it runs for the request modes listed. Every name
can be dumped (`S2SAD_DUMP_AFTER=lower,gather` or `all`, `s2sad show --ir --after NAME`);
`S2SAD_VERIFY=1` checks the IR after every stage (tests turn it on); `S2SAD_DISABLE=gather`
skips an optional stage. `build` derives once and returns the IR and the source together.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from . import pytree, switches
from .analysis.views import check_views
from .errors import NonDifferentiableOutput
from .frontend.free import binding
from .ir.nodes import Block, Function, Op, Var
from .ir.rewrite import substitute
from .ir.types import Type
from .ir.verify import verify
from .passes.buffers import hoist_buffers
from .passes.dce import cse, dce, drop_invariant_carries, prune_records
from .passes.factor import factor
from .passes.firststore import first_stores
from .passes.fuse import fuse
from .passes.gather import gather
from .passes.inputs import copy_written_inputs
from .passes.order import forward_order
from .passes.overwrite import overwrite
from .passes.simplify import fold_boolean_ifs, simplify
from .passes.sparse import sparse_selections
from .passes.units import unit_columns
from .transforms.adjoint import adjoint
from .transforms.storage import report_storage, thread_tapes
from .transforms.tangent import tangent

MODES = ("primal", "forward", "reverse", "grad", "value_and_grad")
REVERSE = frozenset({"reverse", "grad", "value_and_grad"})
DERIVATIVES = REVERSE | {"forward"}
ALL = frozenset(MODES)


@dataclass(frozen=True)
class Request:
    mode: str  # one of MODES
    wrt: tuple[int, ...]
    types: tuple[Type, ...]
    checkpoint: object = None  # reverse modes: None, k (snapshot every k iterations), "sqrt"
    storage: bool = False  # also return the bytes the reverse sweep's stacks occupied
    single: bool = True  # grad/value_and_grad: argnums was an int (not a tuple)
    aux: bool = False  # has_aux: the output is (out, aux); aux is returned, not differentiated


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Function, Request], Function]
    modes: frozenset
    optional: bool = False  # may be turned off with S2SAD_DISABLE=name
    doc: str = ""


def _cut_aux(fn: Function) -> Function:
    """has_aux: fn returns (out, aux); the leaves of aux are stop_gradient-ed, so only out
    is differentiated (a copy: the primal is cached)."""
    tree = pytree.of_outputs(fn)
    if tree.kind not in ("tuple", "list") or len(tree.children) != 2:
        raise NonDifferentiableOutput(
            f"has_aux=True needs a function that returns a pair (output, aux), but {fn.name} "
            f"returns {tree}", fn.loc, "return (value, aux), aux being any value")
    n = tree.children[0].num_leaves
    body = Block(list(fn.body.stmts), list(fn.body.yields[:n]))
    for v in fn.body.yields[n:]:
        cut = Var(getattr(v, "name", "") or "aux", v.type)
        body.stmts.append(Op("stop_gradient", [v], [cut], {"aux": True}, fn.loc))
        body.yields.append(cut)
    return replace(fn, body=body)


def _uncut(d: Function) -> Function:
    """The derivative returns aux itself: an outer derivative (nested AD) goes through it,
    as JAX's does; only this one was cut."""
    mapping = {}
    keep = []
    for s in d.body.stmts:
        if isinstance(s, Op) and s.prim == "stop_gradient" and s.attrs.get("aux"):
            mapping[s.results[0]] = mapping.get(s.args[0], s.args[0])
        else:
            keep.append(s)
    d.body.stmts = keep
    substitute(d.body, mapping)  # (the yields too)
    return d


def _differentiate(fn: Function, req: Request) -> Function:
    if req.aux:
        return _uncut(_derive(_cut_aux(fn), req))
    return _derive(fn, req)


def _derive(fn: Function, req: Request) -> Function:
    if req.mode == "forward":
        return _free_last(fn, tangent(fn, list(req.wrt)))
    d = adjoint(fn, list(req.wrt), "param" if req.mode == "reverse" else "one", req.checkpoint)
    d = _free_last(fn, d)
    if req.mode in ("grad", "value_and_grad"):
        n_out = len(fn.outputs)
        grads = d.body.yields[n_out:]
        d.body.yields = (d.body.yields[:n_out] if req.mode == "value_and_grad" else []) + grads
        d.name = fn.name + ("_grad" if req.mode == "grad" else "_value_and_grad")
        # return exactly what the API returns: g | (g1, g2) | (value, g) | (value, (g...))
        k = len(grads)
        if req.aux:  # (out, aux leaves, grads), flat: the API nests them
            d.ret_shape = None
        elif req.mode == "value_and_grad":
            d.ret_shape = (0, 1 if req.single else tuple(range(1, k + 1)))
        else:
            d.ret_shape = 0 if req.single else tuple(range(k))
    return d


def _free_last(primal: Function, d: Function) -> Function:
    """The derivative's parameters: the user's, its tangents or cotangents, then the free
    values (frontend/free.py), so that every caller passes the free values last."""
    k = len(primal.free.params) if primal.free is not None else 0
    if k:
        n = len(primal.params)
        d.params = d.params[:n - k] + d.params[n:] + d.params[n - k:n]
    return d


def _storage(fn: Function, req: Request) -> Function:
    report_storage(fn)
    fn.ret_shape = None
    return fn


def _when_storage(stage_run):
    return lambda fn, req: stage_run(fn, req) if req.storage else fn


def _lower(fn, req: Request) -> Function:
    from .frontend.lower import lower  # noqa: PLC0415  (libcst: a disk-cache hit needs none)

    return lower(fn, list(req.types))


PRIMAL_STAGES = [
    Stage("lower", _lower, ALL,
          doc="the function's source as IR (frontend)"),
    Stage("inputs", lambda fn, req: copy_written_inputs(fn), ALL,
          doc="copies of the array arguments the function writes into"),
    Stage("views", lambda fn, req: (check_views(fn), fn)[1], ALL,
          doc="refuse slices read after their array is written"),
    Stage("clean", lambda fn, req: dce(cse(unit_columns(fn))), ALL,
          doc="CSE and dead code; products with unit vectors as columns"),
    Stage("fuse", lambda fn, req: dce(cse(fuse(fn))), ALL, optional=True,
          doc="1-D elementwise NumPy chains as element loops"),
]
DERIVATIVE_STAGES = [
    Stage("differentiate", _differentiate, DERIVATIVES,
          doc="tangent (forward) or adjoint (reverse) program"),
    Stage("records", lambda fn, req: thread_tapes(prune_records(dce(fn))), REVERSE,
          doc="the values the reverse sweep reads back, on typed stacks"),
    Stage("simplify", lambda fn, req: dce(cse(simplify(drop_invariant_carries(fn)))),
          DERIVATIVES, doc="algebra, CSE, dead code, invariant loop carries"),
    Stage("gather", lambda fn, req: dce(cse(simplify(gather(fn)))), REVERSE, optional=True,
          doc="scatter-adds of stencils as gathers"),
    Stage("overwrite", lambda fn, req: dce(first_stores(overwrite(fn))), REVERSE,
          optional=True, doc="accumulations into known zeros as stores"),
    Stage("factor", lambda fn, req: dce(cse(factor(fn))), REVERSE, optional=True,
          doc="like terms of stored cotangents collected"),
    Stage("order", lambda fn, req: forward_order(fn), REVERSE, optional=True,
          doc="independent reversed element loops run forwards"),
    Stage("sparse", lambda fn, req: sparse_selections(fn), REVERSE, optional=True,
          doc="loops whose writes are products with a selection's zero cotangent "
          "guarded by it"),
    Stage("buffers", lambda fn, req: hoist_buffers(fn), REVERSE, optional=True,
          doc="adjoint buffers allocated per loop iteration allocated once, cleared"),
    Stage("fold", lambda fn, req: dce(cse(simplify(fold_boolean_ifs(fn)))), DERIVATIVES,
          doc="Ifs that only choose between booleans as expressions; a last clean-up"),
    Stage("storage", _when_storage(_storage), REVERSE,
          doc="storage_bytes: the stacks' sizes as extra outputs"),
]
STAGES = PRIMAL_STAGES + DERIVATIVE_STAGES
STAGE_NAMES = tuple(s.name for s in STAGES)
_PRIMAL_NAMES = frozenset(s.name for s in PRIMAL_STAGES)
_ALIASES = {"passes": STAGES[-1].name}  # older spelling: after every pass


def disabled() -> set[str]:
    """Optional stages turned off with S2SAD_DISABLE=gather,fuse (comparisons, debugging)."""
    return switches.disabled()


def _dump(stage: str, fn: Function) -> None:
    wanted = os.environ.get("S2SAD_DUMP_AFTER", "")
    if stage in wanted.split(",") or wanted == "all":
        print(f"---- IR after {stage} ----\n{fn}\n", file=sys.stderr)


_timing: list[dict[str, float]] = []  # the stage times of the builds under way (log.py)


def _run(stages, fn, req: Request, stop_after: str | None):
    off = disabled()
    check = os.environ.get("S2SAD_VERIFY", "") not in ("", "0")
    for st in stages:
        if req.mode in st.modes and not (st.optional and st.name in off):
            t0 = time.perf_counter()
            fn = st.run(fn, req)
            if _timing:
                _tally(_timing[-1], st.name, time.perf_counter() - t0)
            if check:
                verify(fn)
            _dump(st.name, fn)
        if st.name == stop_after:
            break
    return fn


@contextlib.contextmanager
def stage_times():
    """The seconds of the stages run inside, by group (lower, differentiate, passes,
    codegen), in the dict this yields; a build inside adds to it."""
    times = {k: 0.0 for k in ("lower", "differentiate", "passes", "codegen")}
    _timing.append(times)
    try:
        yield times
    finally:
        _timing.pop()


def _tally(times: dict[str, float], stage: str, seconds: float) -> None:
    """A stage's seconds under the log's names: the primal stages are "lower", the
    derivative's after "differentiate" are "passes"."""
    group = "lower" if stage in _PRIMAL_NAMES else stage if stage in ("differentiate",
                                                                        "codegen") else "passes"
    times[group] = times.get(group, 0.0) + seconds


_primal_cache: dict = {}


def primal_ir(fn, types: tuple[Type, ...], stop_after: str | None = None) -> Function:
    """The lowered primal, for the free values as they are now (frontend/free.py: a
    specialisation is reused while the ints it folded are unchanged and the bound
    values keep their types). `stop_after` a primal stage: a fresh, uncached run."""
    req = Request("primal", (), tuple(types))
    if stop_after is not None:
        return _run(PRIMAL_STAGES, fn, req, stop_after)
    seen = _primal_cache.setdefault(_primal_key(fn, types), [])
    for ir in seen:
        if binding(ir).holds():
            return ir
    ir = _run(PRIMAL_STAGES, fn, req, None)
    seen.append(ir)
    return ir


def _primal_key(fn, types, fused: bool | None = None, dead: bool | None = None) -> tuple:
    # the switches the primal stages read: the optional stage, and the dead code's
    fused = ("fuse" not in disabled()) if fused is None else fused
    dead = ("deadcarry" not in disabled()) if dead is None else dead
    return (fn, getattr(fn, "__code__", None), tuple(types), fused, dead)


def remember_primal(fn, types: tuple[Type, ...], ir: Function) -> None:
    """A primal from the disk cache: later requests on fn for these types use it."""
    _primal_cache.setdefault(_primal_key(fn, types), []).append(ir)


def use_primal(fn, types: tuple[Type, ...], ir: Function) -> None:
    """Make `ir` the primal of `fn` for these types (tests give rules IR directly)."""
    for fused in (True, False):
        for dead in (True, False):
            _primal_cache[_primal_key(fn, types, fused, dead)] = [ir]


def derive(fn, req: Request, stop_after: str | None = None) -> Function:
    """The IR for one request, after every stage or after `stop_after`."""
    stop_after = _ALIASES.get(stop_after, stop_after)
    if stop_after is not None and stop_after not in STAGE_NAMES:
        raise ValueError(f"no stage {stop_after!r}; the stages are {', '.join(STAGE_NAMES)}")
    if stop_after in {s.name for s in PRIMAL_STAGES}:
        return primal_ir(fn, req.types, stop_after)
    primal = primal_ir(fn, req.types)
    if req.mode == "primal":
        return primal
    return _run(DERIVATIVE_STAGES, primal, req, stop_after)


@dataclass(frozen=True)
class Derivation:
    """One request, derived once: the primal IR, the derivative IR and its source."""

    primal: Function
    ir: Function
    source: str
    times: dict = None  # seconds per stage group (lower, differentiate, passes, codegen)


def header(req: Request, primal: Function) -> list[str]:
    kind = {"forward": "forward-mode (tangent)", "reverse": "reverse-mode (adjoint)",
            "grad": "gradient (reverse-mode)", "value_and_grad": "value and gradient "
            "(reverse-mode)", "primal": ""}[req.mode]
    where = f" ({os.path.basename(primal.loc.file)}:{primal.loc.line})" if primal.loc else ""
    names = ", ".join(primal.params[i].name for i in req.wrt)
    wrt = f" with respect to {names}" if names and req.mode != "primal" else ""
    what = f"{kind} derivative of" if req.mode != "primal" else "primal (as lowered) of"
    return [f"# s2sad: {what} {primal.name}{where}{wrt}.",
            "# Generated code: edit the source function instead."]


def build(fn, req: Request) -> Derivation:
    """Derive `req` for `fn` and generate its source (stage "codegen")."""
    with stage_times() if not _timing else contextlib.nullcontext(_timing[-1]) as times:
        primal = primal_ir(fn, req.types)
        d = derive(fn, req)
        t0 = time.perf_counter()
        defaults = {}
        if req.mode == "reverse" and not binding(primal).refs:  # one cotangent: 1.0
            cts = d.params[len(primal.params):]
            if len(cts) == 1:
                defaults[cts[0]] = "1.0"
        from .codegen.python import generate  # noqa: PLC0415  (libcst, lazily)

        src = generate(d, header(req, primal), defaults)
        _tally(times, "codegen", time.perf_counter() - t0)
    return Derivation(primal, d, src, times)


def source(fn, req: Request) -> str:
    """Generated Python source for one request."""
    return build(fn, req).source
