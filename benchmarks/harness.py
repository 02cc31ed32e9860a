"""Timing, correctness checks and reports for the benchmarks.

A workload module describes *cases* (one problem size each); a case lists *contenders*:
the Numba-compiled primal, the hand-written Numba gradient (the reference for
"hand-coded speed"), s2sad's derivatives and the peers (JAX, PyTorch, HIPS autograd).
Every contender is built, called once (compile + first call, timed on its own), checked
against the reference, then timed in steady state:

- a *sample* is `inner` back-to-back calls, with `inner` calibrated so that one sample
  takes at least `target_s` (about 20 ms; a fraction of a millisecond in --quick mode);
- the steady-state figure is the median over `repeats` samples divided by `inner`, with
  the min and max next to it;
- ratios are taken to the Numba primal and to the hand-written gradient of the same case.

Correctness: every gradient (s2sad's, the peers' and any further hand-written one) must
match the hand-written reference component by component to `RTOL` relative; a value
returned alongside (value_and_grad) must match the primal's. One mismatch fails the whole
run. A peer that is not installed is reported as "missing"; an s2sad derivative that
s2sad refuses to build is reported as "unsupported (message)"; neither fails the run.

Gradients are compared as NumPy arrays (a workload's gradient may have 10^6 components);
the JSON keeps the gradient itself only when it is small (`GRAD_KEEP` components).
"""

from __future__ import annotations

import functools
import gc
import importlib
import importlib.metadata
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

RTOL = 1e-9
SLOW_S = 0.5  # a single call this slow is timed without further calibration
GRAD_KEEP = 64  # gradients up to this many components are kept in the results


# ---------------------------------------------------------------- what a workload declares
@dataclass
class Contender:
    """One way of computing the case's primal or gradient.

    build() does the set-up that is not timed (imports, wrapping, converting inputs) and
    returns (fn, args); the timed call is `fn(*args)`. grad_of/value_of turn what fn
    returns into a flat sequence of floats (the gradient) and a float (the value).
    """

    name: str
    # "primal" (the first one is the base of "x primal"; a further one is timed and its
    # value checked), "reference" (the hand-written gradient everything is checked
    # against), "hand" (a further hand-written gradient, checked like the others),
    # "s2sad", "peer"
    role: str
    build: Callable[[], tuple[Callable, tuple]]
    grad_of: Callable[[Any], Sequence[float]] | None = None
    value_of: Callable[[Any], float] | None = None
    package: str | None = None  # the peer's import name (for "missing" and versions)
    extra: Callable[[], dict] | None = None  # cheap extra facts (e.g. storage bytes)
    required: bool = False  # an s2sad contender that must work: failing fails the run


@dataclass
class Case:
    workload: str
    label: str
    params: dict
    contenders: list[Contender]


@dataclass
class Settings:
    target_s: float = 0.02  # one sample lasts at least this long
    repeats: int = 25  # samples per contender (fewer if a sample is slow, see budget_s)
    min_repeats: int = 3
    budget_s: float = 3.0  # steady-state time per contender, roughly
    peers: bool = True
    extras: bool = True  # memory figures; s2sad's stack sizes cost one more compile each

    @classmethod
    def quick(cls, peers: bool = True) -> Settings:
        return cls(target_s=5e-4, repeats=3, min_repeats=3, budget_s=0.05, peers=peers,
                   extras=False)


# ---------------------------------------------------------------- results
@dataclass
class Result:
    name: str
    role: str
    status: str  # ok | missing | unsupported | error | mismatch
    message: str = ""
    first_call_s: float | None = None
    median_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    repeats: int = 0
    inner: int = 0
    ratio_primal: float | None = None
    ratio_reference: float | None = None
    check: str = "n/a"  # reference | passed | failed | n/a
    max_rel_err: float | None = None
    grad: list[float] | None = None  # the gradient, if at most GRAD_KEEP components
    grad_size: int | None = None
    grad_norm: float | None = None
    value: float | None = None
    package: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class CaseReport:
    workload: str
    label: str
    params: dict
    results: list[Result]

    @property
    def passed(self) -> bool:
        return all(r.status != "mismatch" and r.check != "failed" for r in self.results)


@dataclass
class Report:
    command: str
    quick: bool
    started: str
    wall_s: float
    machine: dict
    versions: dict
    cases: list[CaseReport]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.cases)

    def failures(self) -> list[str]:
        return [f"{c.workload} {c.label}: {r.name}: {r.message}" for c in self.cases
                for r in c.results if r.status == "mismatch" or r.check == "failed"]

    def to_json(self) -> dict:
        return {"command": self.command, "quick": self.quick, "started": self.started,
                "wall_s": self.wall_s, "passed": self.passed, "rtol": RTOL,
                "machine": self.machine, "versions": self.versions,
                "summary": summary(self),
                "cases": [{"workload": c.workload, "label": c.label, "params": c.params,
                           "passed": c.passed, "results": [asdict(r) for r in c.results]}
                          for c in self.cases]}


class BenchmarkFailure(AssertionError):
    """A contender that must work (primal, hand-written reference) failed."""


# ---------------------------------------------------------------- timing
def _sample(fn: Callable, args: tuple, inner: int) -> float:
    rng = range(inner)
    t0 = time.perf_counter()
    for _ in rng:
        fn(*args)
    return time.perf_counter() - t0


def calibrate(fn: Callable, args: tuple, target_s: float) -> tuple[int, float]:
    """Smallest inner count from 1, 2, 5, 10, 20, 50, ... whose sample lasts >= target_s."""
    inner = 1
    while True:
        for k in (1, 2, 5):
            n = inner * k
            t = _sample(fn, args, n)
            if t >= target_s:
                return n, t
        inner *= 10


def steady_state(live: list[tuple[Callable, tuple]], s: Settings) -> list[dict]:
    """Calibrate each (fn, args), then take the samples round-robin, so that a slow drift
    in the machine's speed (another process, frequency scaling) hits every contender
    alike instead of whichever happened to run during it."""
    gc_was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        plan = []
        for fn, args in live:
            inner, t = calibrate(fn, args, s.target_s)
            repeats = max(s.min_repeats, min(s.repeats, int(s.budget_s / max(t, 1e-12))))
            # a slow contender (seconds per call) keeps its calibration call as a sample
            plan.append((fn, args, inner, repeats, [t / inner] if t >= SLOW_S else []))
        for _ in range(max((p[3] for p in plan), default=0)):
            for fn, args, inner, repeats, samples in plan:
                if len(samples) < repeats:
                    samples.append(_sample(fn, args, inner) / inner)
    finally:
        if gc_was:
            gc.enable()
    return [{"median_s": statistics.median(sm), "min_s": min(sm), "max_s": max(sm),
             "repeats": rep, "inner": inner} for _, _, inner, rep, sm in plan]


# ---------------------------------------------------------------- checks
def _flat(xs) -> np.ndarray:
    """The gradient's components, flattened into one float64 array (nested tuples and
    lists of arrays and numbers, JAX arrays and detached PyTorch tensors alike)."""
    parts: list[np.ndarray] = []

    def walk(x):
        if isinstance(x, list | tuple):
            for y in x:
                walk(y)
        else:
            if hasattr(x, "detach"):  # a torch tensor
                x = x.detach().cpu().numpy()
            parts.append(np.asarray(x, dtype=np.float64).ravel())

    walk(xs)
    return np.concatenate(parts) if parts else np.zeros(0)


def rel_err(got: Sequence[float], want: Sequence[float]) -> float:
    """Largest component-wise relative error (an exact zero is compared at 1e-15 of the
    largest component, so it does not divide by zero). Non-finite components must agree
    exactly (inf with inf; NaN never agrees)."""
    g = np.asarray(got, dtype=np.float64).ravel()
    w = np.asarray(want, dtype=np.float64).ravel()
    if g.shape != w.shape:
        return math.inf
    if g.size == 0:
        return 0.0
    fin = np.isfinite(g) & np.isfinite(w)
    if not fin.all() and np.any(g[~fin] != w[~fin]):
        return math.inf
    g, w = g[fin], w[fin]
    if g.size == 0:
        return 0.0
    aw = np.abs(w)
    scale = float(aw.max())
    floor = 1e-15 * scale if scale > 0 else 1e-300
    return float(np.max(np.abs(g - w) / np.maximum(aw, floor)))


# ---------------------------------------------------------------- running one case
def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def _is_s2sad_error(e: BaseException) -> bool:
    try:
        from s2sad.errors import S2SADError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(e, S2SADError)


def first_call(c: Contender, extras: bool = True
               ) -> tuple[Result, tuple[Callable, tuple] | None, np.ndarray | None]:
    """Build, call once (timed: compile + first call), extract the gradient and value."""
    r = Result(c.name, c.role, "ok", package=c.package)
    grad = None
    if c.package is not None:
        try:
            importlib.import_module(c.package)
        except ImportError as e:
            r.status, r.message = "missing", f"{c.package} not importable ({e})"
            return r, None, None
    try:
        fn, args = c.build()
        t0 = time.perf_counter()
        out = fn(*args)
        r.first_call_s = time.perf_counter() - t0
        if "s2sad" in sys.modules:  # the steady state is Numba's code, not the CPython tier
            sys.modules["s2sad"].wait_for_compiles()
        if c.grad_of is not None:
            grad = _flat(c.grad_of(out))
            r.grad_size = int(grad.size)
            r.grad_norm = float(np.linalg.norm(grad))
            if grad.size <= GRAD_KEEP:
                r.grad = [float(v) for v in grad]
        if c.value_of is not None:
            r.value = float(c.value_of(out))
    except Exception as e:  # noqa: BLE001 - reported, and re-raised for the references
        if c.role in ("primal", "reference", "hand"):
            raise BenchmarkFailure(f"{c.name} failed: {_first_line(e)}") from e
        if c.role == "s2sad" and c.required:
            r.status, r.check = "error", "failed"
            r.message = f"must work, but raised {_first_line(e)}"
        elif c.role == "s2sad":
            r.status = "unsupported"
            r.message = _first_line(e) if _is_s2sad_error(e) else \
                f"{_first_line(e)} (not an S2SADError)"
        else:
            r.status, r.message = "error", _first_line(e)
        return r, None, None
    if c.extra is not None and extras:
        try:
            r.extra = c.extra()
        except Exception as e:  # noqa: BLE001 - extras are informative only
            r.extra = {"error": _first_line(e)}
    return r, (fn, args), grad


def run_case(case: Case, s: Settings, log: Callable[[str], None] = print) -> CaseReport:
    results: list[Result] = []
    live: list[tuple[Result, tuple[Callable, tuple]]] = []
    grads: dict[int, np.ndarray] = {}
    for c in case.contenders:
        if c.role == "peer" and not s.peers:
            results.append(Result(c.name, c.role, "missing", "peers disabled (--no-peers)",
                                  package=c.package))
            continue
        r, call, grad = first_call(c, s.extras)
        results.append(r)
        if grad is not None:
            grads[id(r)] = grad
        if call is not None:
            live.append((r, call))
    for (r, _), stats in zip(live, steady_state([call for _, call in live], s)):
        r.__dict__.update(stats)
    for r in results:
        if r.median_s is not None:
            log(f"  {case.workload:<12} {case.label:>10}  {r.name:<30} {fmt_time(r.median_s):>10}")
        else:
            log(f"  {case.workload:<12} {case.label:>10}  {r.name:<30} {r.status} ({r.message})")
    primal = next((r for r in results if r.role == "primal"), None)
    ref = next((r for r in results if r.role == "reference"), None)
    for r in results:
        if r.median_s is None:
            continue
        if primal is not None and primal.median_s:
            r.ratio_primal = r.median_s / primal.median_s
        if ref is not None and ref.median_s:
            r.ratio_reference = r.median_s / ref.median_s
        if r is ref:
            r.check = "reference"
            continue
        errs = []
        if id(r) in grads and ref is not None and id(ref) in grads:
            errs.append(rel_err(grads[id(r)], grads[id(ref)]))
        if r.value is not None and primal is not None and primal.value is not None:
            errs.append(rel_err([r.value], [primal.value]))
        if errs:
            r.max_rel_err = max(errs)
            if r.max_rel_err <= RTOL:
                r.check = "passed"
            else:
                r.check, r.status = "failed", "mismatch"
                got, want = grads.get(id(r)), grads.get(id(ref)) if ref else None
                r.message = (f"differs from the hand-written gradient by {r.max_rel_err:.3g} "
                             f"relative (> {RTOL:g}): got {_show(got)}, want {_show(want)}"
                             + (f"; value {r.value}, primal's {primal.value}"
                                if r.value is not None and primal is not None else ""))
                log(f"  MISMATCH {case.workload} {case.label} {r.name}: {r.message}")
    return CaseReport(case.workload, case.label, case.params, results)


def _show(g: np.ndarray | None) -> str:
    if g is None:
        return "None"
    if g.size <= 8:
        return str([float(v) for v in g])
    return f"[{', '.join(f'{v:.6g}' for v in g[:4])}, ...] ({g.size} components)"


# ---------------------------------------------------------------- helpers for workloads
@functools.cache
def njit(fn: Callable) -> Callable:
    """numba.njit(fn), once per process: a function compiled for one case (or for the
    primal row and a hand-written row alike) is not compiled again for the next. The first
    case to call it shows the compile in its first-call figure; later cases show a call."""
    import numba

    return numba.njit(fn)


def peers(grad_of, jax=None, torch=None, autograd=None, jax_name="JAX jit(grad)",
          autograd_memory: bool = True) -> list:
    """The peer rows of a case: JAX, PyTorch and HIPS autograd (each optional: a missing
    package is reported as missing). Each argument is that peer's build function."""
    rows = []
    if jax is not None:
        rows.append(Contender(jax_name, "peer", jax, grad_of=grad_of, package="jax"))
    if torch is not None:
        rows.append(Contender("PyTorch autograd", "peer", torch, grad_of=grad_of,
                              package="torch"))
    if autograd is not None:
        rows.append(Contender("HIPS autograd", "peer", autograd, grad_of=grad_of,
                              package="autograd",
                              extra=numpy_peak(autograd) if autograd_memory else None))
    return rows


def numpy_peak(build: Callable[[], tuple[Callable, tuple]]) -> Callable[[], dict]:
    """An `extra` that reports the peak of NumPy's allocations during one call, measured
    with tracemalloc (NumPy reports its array buffers to it; Numba's, JAX's and PyTorch's
    allocations are not seen, so this is for NumPy-backed contenders only)."""

    def extra() -> dict:
        fn, args = build()
        fn(*args)
        gc.collect()
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            fn(*args)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return {"peak NumPy memory": fmt_bytes(peak)}

    return extra


def fmt_bytes(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} B"


# ---------------------------------------------------------------- environment facts
PEER_PACKAGES = ("numpy", "numba", "llvmlite", "s2sad", "jax", "jaxlib", "torch", "autograd",
                 "matplotlib")


def versions() -> dict:
    out = {"python": platform.python_version()}
    for p in PEER_PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            out[p] = "missing"
    return out


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        ncpu = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        ncpu = os.cpu_count()
    return {"platform": platform.platform(), "cpu": cpu, "cores": ncpu,
            "python": sys.version.split()[0]}


# ---------------------------------------------------------------- formatting
def fmt_time(t: float | None) -> str:
    if t is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}x" if x < 100 else f"{x:,.0f}x"


PEER_LABELS = {"jax": "JAX", "torch": "PyTorch", "autograd": "autograd"}


def summary(report: Report) -> list[dict]:
    """One row per s2sad contender: its median time divided by the hand-written
    reference's, the fastest primal's (Numba's, or NumPy's where NumPy runs the same
    function faster), and each peer's (the fastest row of that peer in the case).
    Below 1: s2sad is faster."""
    rows = []
    for c in report.cases:
        ref = next((r for r in c.results if r.role == "reference"), None)
        primals = [r for r in c.results if r.role == "primal" and r.median_s]
        fastest = min(primals, key=lambda r: r.median_s) if primals else None
        best: dict[str, Result] = {}
        for r in c.results:
            if r.role == "peer" and r.median_s and r.package in PEER_LABELS:
                if r.package not in best or r.median_s < best[r.package].median_s:
                    best[r.package] = r
        for r in c.results:
            if r.role != "s2sad":
                continue
            row = {"workload": c.workload, "case": c.label, "contender": r.name,
                   "status": r.status, "median_s": r.median_s,
                   "x hand-written": r.ratio_reference,
                   "x primal": (r.median_s / fastest.median_s
                                if fastest is not None and r.median_s else None),
                   "reference": ref.name if ref else None,
                   # the reverse sweep's stacks, and what the hand-written adjoint keeps
                   "stack": r.extra.get("stack"),
                   "hand stores": ref.extra.get("stores") if ref else None,
                   "primal": fastest.name if fastest is not None else None}
            for pkg, label in PEER_LABELS.items():
                peer = best.get(pkg)
                row[f"x {label}"] = (r.median_s / peer.median_s
                                     if peer is not None and r.median_s else None)
                row[f"{label} row"] = peer.name if peer is not None else None
            rows.append(row)
    return rows


def markdown(report: Report) -> str:
    v = report.versions
    m = report.machine
    lines = [
        "# s2sad benchmarks" + (" (quick mode: timings are not meaningful)" if report.quick
                                else ""),
        "",
        f"Command: `{report.command}`  ",
        f"Run: {report.started}, {report.wall_s:.0f} s in all  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['platform']}; load average "
        f"{m.get('loadavg_at_start')} at start, {m.get('loadavg_at_end')} at end  ",
        "Versions: " + ", ".join(f"{k} {v[k]}" for k in v) + "  ",
        f"Correctness: every gradient checked against the hand-written gradient to "
        f"{RTOL:g} relative: **{'passed' if report.passed else 'FAILED'}**",
        "",
        "Steady state = median time per call over the repeats (min-max beside it); first "
        "call = compile + first call, measured separately. Ratios are of medians.",
        "",
        "## Summary: s2sad's time divided by the others' (below 1: s2sad is faster)",
        "",
        "x primal: the fastest primal of the case (the Numba primal, except where NumPy "
        "runs the same function faster); x JAX, x PyTorch, x autograd: that peer's "
        "fastest row in the case.",
        "",
        "stack: the bytes s2sad's reverse sweep kept on its stacks (where measured); hand: "
        "what the hand-written adjoint keeps for its reverse sweep (0: it recomputes).",
        "",
        "| workload | case | s2sad | x hand-written | x primal | x JAX | x PyTorch "
        "| x autograd | stack (hand) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary(report):
        if row["median_s"] is None:
            lines.append(f"| {row['workload']} | {row['case']} | {row['contender']} | "
                         f"{row['status']} | | | | | |")
            continue
        lines.append(f"| {row['workload']} | {row['case']} | {row['contender']} | "
                     + " | ".join(fmt_ratio(row[k]) for k in (
                         "x hand-written", "x primal", "x JAX", "x PyTorch", "x autograd"))
                     + " | " + _stack(row) + " |")
    lines.append("")
    for c in report.cases:
        lines += [f"## {c.workload}: {c.label}", "",
                  "| contender | first call | median | min - max | x primal | x hand-written "
                  "| check |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for r in c.results:
            if r.median_s is None:
                what = f"{r.status} ({r.message})" if r.message else r.status
                lines.append(f"| {r.name} | - | - | - | - | - | {what.replace('|', '/')} |")
                continue
            check = r.check if r.max_rel_err is None else f"{r.check} ({r.max_rel_err:.1e})"
            if r.status == "mismatch":
                check = f"**FAILED** ({r.max_rel_err:.1e})"
            lines.append(
                f"| {r.name} | {fmt_time(r.first_call_s)} | {fmt_time(r.median_s)} | "
                f"{fmt_time(r.min_s)} - {fmt_time(r.max_s)} | {fmt_ratio(r.ratio_primal)} | "
                f"{fmt_ratio(r.ratio_reference)} | {check} |")
        extras = [f"{r.name}: " + ", ".join(f"{k} = {val}" for k, val in r.extra.items())
                  for r in c.results if r.extra]
        if extras:
            lines += [""] + [f"- {e}" for e in extras]
        lines.append("")
    return "\n".join(lines)


def _stack(row: dict) -> str:
    if row.get("stack") is None:
        return ""
    hand = row.get("hand stores")
    return row["stack"] + (f" ({hand})" if hand is not None else "")


def _colour(r: Result) -> Any:
    if r.role == "s2sad":
        return "tab:red"
    if r.role == "primal":
        return "0.6"
    if r.role in ("reference", "hand"):
        return "0.25"
    return {"jax": "tab:blue", "torch": "tab:orange", "autograd": "tab:purple"}.get(
        r.package or "", "tab:green")


def plot(report: Report, path: str) -> bool:
    """One panel per case: each contender's median time relative to the hand-written
    reference (horizontal bars, log scale, min-max as whiskers). False if matplotlib is
    missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    cases = [c for c in report.cases if any(r.ratio_reference for r in c.results)]
    if not cases:
        return False
    ncol = 2 if len(cases) > 1 else 1
    nrow = -(-len(cases) // ncol)
    heights = [max(3, sum(1 for r in c.results if r.ratio_reference)) for c in cases]
    rows_h = [max(heights[i:i + ncol]) for i in range(0, len(cases), ncol)]
    fig, axes = plt.subplots(nrow, ncol, figsize=(13, 0.27 * sum(rows_h) + 1.1 * nrow + 0.8),
                             gridspec_kw={"height_ratios": rows_h}, squeeze=False)
    lo, hi = math.inf, 0.0
    for r in (r for c in cases for r in c.results if r.ratio_reference):
        ref_med = r.median_s / r.ratio_reference
        lo, hi = min(lo, r.min_s / ref_med), max(hi, r.max_s / ref_med)
    for ax, c in zip(axes.flat, cases):
        ref = next(r for r in c.results if r.role == "reference")
        rows = [r for r in c.results if r.ratio_reference]
        ys = list(range(len(rows)))[::-1]
        for y, r in zip(ys, rows):
            x = r.ratio_reference
            err = [[x - r.min_s / ref.median_s], [r.max_s / ref.median_s - x]]
            ax.barh([y], [x], color=_colour(r), xerr=err, capsize=1.5, height=0.7,
                    error_kw={"elinewidth": 0.7})
            ax.text(max(1.0, r.max_s / ref.median_s) * 1.2, y,
                    f"{fmt_ratio(x)}  ({fmt_time(r.median_s)})", va="center", fontsize=6.5)
        ax.set_yticks(ys)
        ax.set_yticklabels([r.name for r in rows], fontsize=7)
        ax.set_xscale("log")
        ax.set_xlim(min(0.3, lo / 1.5), max(10.0, hi * 40))
        ax.axvline(1.0, color="black", lw=0.8, ls="--")
        ax.set_title(f"{c.workload}: {c.label}", fontsize=8.5)
        ax.tick_params(axis="x", labelsize=7)
    for ax in list(axes.flat)[len(cases):]:
        ax.axis("off")
    fig.suptitle("s2sad benchmarks: steady-state time per call / the hand-written gradient "
                 "(log scale, lower is better)" + (" [quick]" if report.quick else "")
                 + "\nred: s2sad; light grey: primal; dark grey: hand-written; blue: JAX; "
                 "orange: PyTorch; purple: HIPS autograd", fontsize=9)
    fig.tight_layout(rect=(0.0, 0.0, 1.0, 1.0 - 0.55 / fig.get_figheight()))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def write_json(report: Report, path: str) -> None:
    with open(path, "w") as f:
        json.dump(report.to_json(), f, indent=2, default=str)
        f.write("\n")
