"""The pipeline, top to bottom: lower -> differentiate -> record storage -> clean up -> emit.

    primal = lower(fn, types)                      frontend
    primal = fuse(primal)                          1-D elementwise chains -> element loops
    deriv  = tangent(primal) | adjoint(primal)     transforms (rules, activity)
    deriv  = thread_tapes(deriv)                   storage for the reverse sweep
    deriv  = simplify / cse / dce                  passes
    source = generate(deriv)                       codegen
    callable = backend.compile_source(source)      backends

`S2SAD_DUMP_AFTER=lower,adjoint,passes` prints the IR after those stages.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from .analysis.views import check_views
from .codegen.python import generate
from .frontend.free import binding
from .frontend.lower import lower
from .ir.nodes import Function
from .ir.types import Type
from .passes.dce import cse, dce, drop_invariant_carries, prune_records
from .passes.factor import factor
from .passes.fuse import fuse
from .passes.gather import gather
from .passes.inputs import copy_written_inputs
from .passes.order import forward_order
from .passes.overwrite import overwrite
from .passes.simplify import fold_boolean_ifs, simplify
from .transforms.adjoint import adjoint
from .transforms.storage import report_storage, thread_tapes
from .transforms.tangent import tangent

MODES = ("primal", "forward", "reverse", "grad", "value_and_grad")


@dataclass(frozen=True)
class Request:
    mode: str  # one of MODES
    wrt: tuple[int, ...]
    types: tuple[Type, ...]
    checkpoint: object = None  # reverse modes: None, k (snapshot every k iterations), "sqrt"
    storage: bool = False  # also return the bytes the reverse sweep's stacks occupied
    single: bool = True  # grad/value_and_grad: argnums was an int (not a tuple)


def _dump(stage: str, fn: Function) -> None:
    wanted = os.environ.get("S2SAD_DUMP_AFTER", "")
    if stage in wanted.split(",") or wanted == "all":
        print(f"---- IR after {stage} ----\n{fn}\n", file=sys.stderr)


_primal_cache: dict = {}


def disabled() -> set[str]:
    """Optional passes turned off with S2SAD_DISABLE=gather,fuse (comparisons, debugging)."""
    return set(filter(None, os.environ.get("S2SAD_DISABLE", "").split(",")))


def primal_ir(fn, types: tuple[Type, ...]) -> Function:
    """The lowered primal, for the free values as they are now (frontend/free.py: a
    specialisation is reused while the ints it folded are unchanged and the bound
    values keep their types)."""
    fused = "fuse" not in disabled()
    key = (fn, getattr(fn, "__code__", None), types) + (() if fused else ("unfused",))
    seen = _primal_cache.setdefault(key, [])
    for ir in seen:
        if binding(ir).holds():
            return ir
    ir = copy_written_inputs(lower(fn, list(types)))
    check_views(ir)
    ir = dce(cse(ir))
    if fused:
        ir = dce(cse(fuse(ir)))
    seen.append(ir)
    _dump("lower", ir)
    return ir


def derive(fn, req: Request, stop_after: str | None = None) -> Function:
    """The derivative IR for one request (after all passes unless `stop_after`)."""
    primal = primal_ir(fn, req.types)
    if req.mode == "primal" or stop_after == "lower":
        return primal
    if req.mode == "forward":
        d = tangent(primal, list(req.wrt))
        _dump("tangent", d)
    else:
        seed = "param" if req.mode == "reverse" else "one"
        d = adjoint(primal, list(req.wrt), seed, req.checkpoint)
        if req.mode in ("grad", "value_and_grad"):
            n_out = len(primal.outputs)
            grads = d.body.yields[n_out:]
            d.body.yields = (d.body.yields[:n_out] if req.mode == "value_and_grad" else []) + \
                grads
            d.name = primal.name + ("_grad" if req.mode == "grad" else "_value_and_grad")
            # return exactly what the API returns: g | (g1, g2) | (value, g) | (value, (g...))
            k = len(grads)
            gshape = 0 if req.single else tuple(range(k))
            if req.mode == "value_and_grad":
                gshape = 1 if req.single else tuple(range(1, k + 1))
                d.ret_shape = (0, gshape)
            else:
                d.ret_shape = gshape
        _dump("adjoint", d)
        if stop_after == "differentiate":
            return d
        d = thread_tapes(prune_records(dce(d)))
    if stop_after == "differentiate":
        return d
    d = dce(cse(simplify(drop_invariant_carries(d))))
    if req.mode not in ("forward", "primal") and "gather" not in disabled():
        d = dce(cse(simplify(gather(d))))
    if req.mode not in ("forward", "primal") and "overwrite" not in disabled():
        d = dce(overwrite(d))
    if req.mode not in ("forward", "primal") and "factor" not in disabled():
        d = dce(cse(factor(d)))
    if req.mode not in ("forward", "primal") and "order" not in disabled():
        d = forward_order(d)
    d = fold_boolean_ifs(d)
    if req.storage:
        report_storage(d)
        d.ret_shape = None
    _dump("passes", d)
    return d


def header(fn, req: Request, primal: Function) -> list[str]:
    kind = {"forward": "forward-mode (tangent)", "reverse": "reverse-mode (adjoint)",
            "grad": "gradient (reverse-mode)", "value_and_grad": "value and gradient "
            "(reverse-mode)", "primal": ""}[req.mode]
    where = f" ({os.path.basename(primal.loc.file)}:{primal.loc.line})" if primal.loc else ""
    names = ", ".join(primal.params[i].name for i in req.wrt)
    wrt = f" with respect to {names}" if names and req.mode != "primal" else ""
    what = f"{kind} derivative of" if req.mode != "primal" else "primal (as lowered) of"
    return [f"# s2sad: {what} {primal.name}{where}{wrt}.",
            "# Generated code: edit the source function instead."]


def source(fn, req: Request) -> str:
    """Generated Python source for one request."""
    d = derive(fn, req)
    primal = primal_ir(fn, req.types)
    defaults = {}
    if req.mode == "reverse":
        n_primal = len(primal.params)
        for p in d.params[n_primal:]:
            defaults[p] = "1.0" if len(d.params) - n_primal == 1 else None
    src, _ = generate(d, header(fn, req, primal), {k: v for k, v in defaults.items() if v})
    return src
