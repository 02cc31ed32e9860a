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

Correctness: every gradient (s2sad's and the peers') must match the hand-written one
component by component to `RTOL` relative; a value returned alongside (value_and_grad)
must match the primal's. One mismatch fails the whole run. A peer that is not installed
is reported as "missing"; an s2sad derivative that s2sad refuses to build is reported as
"unsupported (message)"; neither fails the run.
"""

from __future__ import annotations

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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

RTOL = 1e-9
SLOW_S = 0.5  # a single call this slow is timed without further calibration


# ---------------------------------------------------------------- what a workload declares
@dataclass
class Contender:
    """One way of computing the case's primal or gradient.

    build() does the set-up that is not timed (imports, wrapping, converting inputs) and
    returns (fn, args); the timed call is `fn(*args)`. grad_of/value_of turn what fn
    returns into a flat sequence of floats (the gradient) and a float (the value).
    """

    name: str
    role: str  # "primal" | "reference" | "s2sad" | "peer"
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

    @classmethod
    def quick(cls, peers: bool = True) -> Settings:
        return cls(target_s=5e-4, repeats=3, min_repeats=3, budget_s=0.05, peers=peers)


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
    grad: list[float] | None = None
    value: float | None = None
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
def _flat(xs) -> list[float]:
    out: list[float] = []
    for x in xs:
        if isinstance(x, list | tuple):
            out.extend(_flat(x))
        elif hasattr(x, "ravel") and getattr(x, "ndim", 0) > 0:
            out.extend(float(v) for v in x.ravel())
        else:
            out.append(float(x))
    return out


def rel_err(got: Sequence[float], want: Sequence[float]) -> float:
    """Largest component-wise relative error (an exact zero is compared at 1e-15 of the
    largest component, so it does not divide by zero)."""
    if len(got) != len(want):
        return math.inf
    scale = max((abs(w) for w in want), default=0.0)
    floor = 1e-15 * scale if scale > 0 else 1e-300
    worst = 0.0
    for g, w in zip(got, want):
        if not (math.isfinite(g) and math.isfinite(w)):
            return math.inf if g != w else worst
        worst = max(worst, abs(g - w) / max(abs(w), floor))
    return worst


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


def first_call(c: Contender) -> tuple[Result, tuple[Callable, tuple] | None]:
    """Build, call once (timed: compile + first call), extract the gradient and value."""
    r = Result(c.name, c.role, "ok")
    if c.package is not None:
        try:
            importlib.import_module(c.package)
        except ImportError as e:
            r.status, r.message = "missing", f"{c.package} not importable ({e})"
            return r, None
    try:
        fn, args = c.build()
        t0 = time.perf_counter()
        out = fn(*args)
        r.first_call_s = time.perf_counter() - t0
        if c.grad_of is not None:
            r.grad = _flat(c.grad_of(out))
        if c.value_of is not None:
            r.value = float(c.value_of(out))
    except Exception as e:  # noqa: BLE001 - reported, and re-raised for the references
        if c.role in ("primal", "reference"):
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
        return r, None
    if c.extra is not None:
        try:
            r.extra = c.extra()
        except Exception as e:  # noqa: BLE001 - extras are informative only
            r.extra = {"error": _first_line(e)}
    return r, (fn, args)


def run_case(case: Case, s: Settings, log: Callable[[str], None] = print) -> CaseReport:
    results: list[Result] = []
    live: list[tuple[Result, tuple[Callable, tuple]]] = []
    for c in case.contenders:
        if c.role == "peer" and not s.peers:
            results.append(Result(c.name, c.role, "missing", "peers disabled (--no-peers)"))
            continue
        r, call = first_call(c)
        results.append(r)
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
        if r.grad is not None and ref is not None and ref.grad is not None:
            errs.append(rel_err(r.grad, ref.grad))
        if r.value is not None and primal is not None and primal.value is not None:
            errs.append(rel_err([r.value], [primal.value]))
        if errs:
            r.max_rel_err = max(errs)
            if r.max_rel_err <= RTOL:
                r.check = "passed"
            else:
                r.check, r.status = "failed", "mismatch"
                r.message = (f"differs from the hand-written gradient by {r.max_rel_err:.3g} "
                             f"relative (> {RTOL:g}): got {r.grad}, want {ref.grad if ref else None}")
                log(f"  MISMATCH {case.workload} {case.label} {r.name}: {r.message}")
    return CaseReport(case.workload, case.label, case.params, results)


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
        f"Correctness: every gradient checked against the hand-written Numba gradient to "
        f"{RTOL:g} relative: **{'passed' if report.passed else 'FAILED'}**",
        "",
        "Steady state = median time per call over the repeats (min-max beside it); first "
        "call = compile + first call, measured separately. Ratios are of medians.",
        "",
    ]
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


def plot(report: Report, path: str) -> bool:
    """Bar chart of each contender's median time relative to the hand-written gradient
    (log scale), one group per case. False if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names: list[str] = []
    for c in report.cases:
        for r in c.results:
            if r.role != "reference" and r.name not in names:
                names.append(r.name)
    ncase = len(report.cases)
    per_case = []
    for c in report.cases:
        ref = next((r for r in c.results if r.role == "reference"), None)
        rows = [r for r in c.results if r.role != "reference" and r.ratio_reference is not None]
        per_case.append((ref, rows))
    most = max((len(rows) for _, rows in per_case), default=1) or 1
    width = 0.84 / most
    fig, ax = plt.subplots(figsize=(max(7.0, 0.55 * most * ncase + 2.5), 5.0))
    cmap = plt.get_cmap("tab10")
    labelled: set[str] = set()
    for i, (ref, rows) in enumerate(per_case):
        if ref is None or not ref.median_s:
            continue
        for j, r in enumerate(rows):
            x = i + (j - (len(rows) - 1) / 2) * width
            y = r.ratio_reference
            err = [[y - r.min_s / ref.median_s], [r.max_s / ref.median_s - y]]
            bars = ax.bar([x], [y], width, color=cmap(names.index(r.name) % 10),
                          label=None if r.name in labelled else r.name, yerr=err, capsize=2,
                          error_kw={"elinewidth": 0.8})
            labelled.add(r.name)
            ax.bar_label(bars, labels=[fmt_ratio(y)], fontsize=6, rotation=90, padding=2)
    ax.axhline(1.0, color="black", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_xticks(range(ncase))
    ax.set_xticklabels([f"{c.workload}\n{c.label}" for c in report.cases])
    ax.set_ylabel("time per call / hand-written Numba gradient")
    ax.set_title("s2sad benchmarks: steady-state time relative to hand-written Numba "
                 "(lower is better)" + (" [quick]" if report.quick else ""), fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    ax.margins(y=0.25)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return True


def write_json(report: Report, path: str) -> None:
    with open(path, "w") as f:
        json.dump(report.to_json(), f, indent=2, default=str)
        f.write("\n")
