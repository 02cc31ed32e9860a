"""s2sad benchmarks: `python -m benchmarks [--quick] [--workload NAME] ...`.

One module per workload (seed_scalar, verlet, rosenbrock, heat, mlp, gmm, and the loop
programs written from GradBench's specs in the plain Numba style: ode, lse, llsq, kmeans,
gmm_scratch, det, heat_copy); `harness` times, checks and reports, `common` builds the
loop workloads' contenders.
`run()` is the in-process entry point (the test suite runs `run(quick=True)`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable

from . import (
    batch,
    det,
    gmm,
    gmm_scratch,
    heat,
    heat_copy,
    kmeans,
    llsq,
    lse,
    mlp,
    ode,
    rosenbrock,
    seed_scalar,
    verlet,
)
from .harness import Report, Settings, machine, run_case, versions

LOOPS = (ode, lse, llsq, kmeans, gmm_scratch, det, heat_copy)
WORKLOADS = {m.NAME: m for m in (seed_scalar, verlet, rosenbrock, heat, mlp, gmm, *LOOPS,
                                 batch)}


@contextlib.contextmanager
def _cache_dir(fresh: bool):
    """A fresh S2SAD_CACHE_DIR, so that first-call figures are cold compiles."""
    if not fresh:
        yield
        return
    old = os.environ.get("S2SAD_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="s2sad-bench-") as d:
        os.environ["S2SAD_CACHE_DIR"] = d
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("S2SAD_CACHE_DIR", None)
            else:
                os.environ["S2SAD_CACHE_DIR"] = old


def run(workloads: Iterable[str] | None = None, quick: bool = False, peers: bool = True,
        fresh_cache: bool = True, command: str | None = None,
        log: Callable[[str], None] = print) -> Report:
    names = list(workloads) if workloads else list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        raise KeyError(f"unknown workload(s) {unknown}; choose from {sorted(WORKLOADS)}")
    settings = Settings.quick(peers) if quick else Settings(peers=peers)
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    mach = machine()
    mach["loadavg_at_start"] = _loadavg()
    t0 = time.perf_counter()
    _warm_up()
    reports = []
    with _cache_dir(fresh_cache):
        for n in names:
            for case in WORKLOADS[n].cases(quick):
                reports.append(run_case(case, settings, log))
    mach["loadavg_at_end"] = _loadavg()
    return Report(command or " ".join(["python -m benchmarks", *sys.argv[1:]]), quick,
                  started, time.perf_counter() - t0, mach, versions(), reports)


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return None


def _warm_up() -> None:
    """Pay Numba's and s2sad's one-off start-up (imports, first compilation) before the
    clock runs, so that the first contender's first-call time is its own compile."""
    import numba
    import numpy as np

    import s2sad  # noqa: F401

    numba.njit(lambda a, x: a[0] + x)(np.zeros(1), 1.0)


__all__ = ["WORKLOADS", "run", "Report", "Settings"]
