"""python -m benchmarks.first_call [--workload NAME] [--json PATH] [--markdown PATH]

The first result, as a scientist who edits a function and runs the script again feels it:
every contender in a fresh process, timed from after its library's import to the first
gradient (compile + first call; the import is reported beside it).

    s2sad cold        a fresh S2SAD_CACHE_DIR (the runtime's helpers stay in Numba's cache
                      next to s2sad/runtime.py, compiled once per installation)
    s2sad disk cache  a second process on those folders (the derivation and Numba's
                      machine code loaded: no parsing, lowering or deriving)
    JAX               jax.jit(jax.grad(...)), first call
    Numba primal      numba.njit of the function itself, first call (no gradient)
    --compile-first   s2sad again with S2SAD_TIERED=0 (Numba compiles before the first
                      call, as target="numba" does), cold and from the disk cache

s2sad's default (target="cpu") is tiered: a new derivative's first calls run in CPython
while Numba compiles in a thread (s2sad/backends/tiered.py).

For s2sad the cold run's compile breakdown comes from the "s2sad" logger (s2sad/log.py):
lower, differentiate, passes, codegen (with the imports of libcst, Numba and the runtime
the first compile pulls in), numba (Numba's compile on the first call).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from . import WORKLOADS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
LIBRARY = {"s2sad": "s2sad", "jax": "jax", "numba": "numba"}


def _pick(case):
    """(column, contender) pairs of a case: its s2sad rows, JAX, the first Numba primal."""
    out = [("s2sad", c) for c in case.contenders if c.role == "s2sad"]
    jax = [c for c in case.contenders if c.name.startswith("JAX")]
    primal = [c for c in case.contenders if c.role == "primal" and "Numba" in c.name]
    out += [("jax", c) for c in jax[:1]] + [("numba", c) for c in primal[:1]]
    return out


def child(workload: str, label: str, name: str) -> dict:
    """In a fresh process: import the contender's library, then build and call once."""
    (case,) = [c for c in WORKLOADS[workload].cases(True) if c.label == label]
    ((kind, c),) = [(k, c) for k, c in _pick(case) if c.name == name]
    times: dict = {}
    origin = None
    t0 = time.perf_counter()
    __import__(LIBRARY[kind])
    t1 = time.perf_counter()
    if kind == "s2sad":
        import logging

        class Grab(logging.Handler):
            def emit(self, record):
                nonlocal origin
                for k, v in getattr(record, "s2sad_times", {}).items():
                    times[k] = times.get(k, 0.0) + v
                origin = getattr(record, "s2sad_origin", origin)

        lg = logging.getLogger("s2sad")
        lg.setLevel(logging.DEBUG)
        lg.addHandler(Grab())
    fn, args = c.build()
    fn(*args)
    t2 = time.perf_counter()
    return {"import_s": t1 - t0, "first_s": t2 - t1, "stages": times, "origin": origin,
            "libcst": "libcst" in sys.modules}


def _spawn(workload: str, label: str, name: str, env: dict) -> dict:
    r = subprocess.run([sys.executable, "-m", "benchmarks.first_call", "--child", workload,
                        label, name], cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def run(workloads=None, log=print, compile_first: bool = False) -> list[dict]:
    rows = []
    for w in workloads or list(WORKLOADS):
        for case in WORKLOADS[w].cases(True):
            for kind, c in _pick(case):
                with tempfile.TemporaryDirectory(prefix="s2sad-first-") as d:
                    env = dict(os.environ, S2SAD_CACHE_DIR=os.path.join(d, "s2sad"))
                    env.pop("S2SAD_LOG", None)
                    row = {"workload": w, "case": case.label, "contender": c.name,
                           "kind": kind, "cold": _spawn(w, case.label, c.name, env)}
                    if kind == "s2sad":
                        row["disk"] = _spawn(w, case.label, c.name, env)
                if kind == "s2sad" and compile_first:  # S2SAD_TIERED=0: a fresh folder
                    with tempfile.TemporaryDirectory(prefix="s2sad-first-") as d:
                        env = dict(os.environ, S2SAD_CACHE_DIR=os.path.join(d, "s2sad"),
                                   S2SAD_TIERED="0")
                        env.pop("S2SAD_LOG", None)
                        row["untiered cold"] = _spawn(w, case.label, c.name, env)
                        row["untiered disk"] = _spawn(w, case.label, c.name, env)
                rows.append(row)
                log(_line(row))
    return rows


def _s(r: dict | None, key: str = "first_s") -> str:
    if not r:
        return "—"
    if "error" in r:
        return "error"
    return f"{r[key]:.2f} s"


def _line(row: dict) -> str:
    extra = f", disk cache {_s(row.get('disk'))}" if "disk" in row else ""
    if "untiered cold" in row:
        extra += (f"; compile first: cold {_s(row['untiered cold'])}, disk cache "
                  f"{_s(row['untiered disk'])}")
    return f"{row['workload']} {row['case']}: {row['contender']}: {_s(row['cold'])}{extra}"


def markdown(rows: list[dict]) -> str:
    tiers = any("untiered cold" in r for r in rows)
    out = ["| workload | case | s2sad contender | s2sad cold | s2sad disk cache | " +
           ("compile first: cold | compile first: disk cache | " if tiers else "") +
           "JAX first call | Numba primal first call |",
           "|---|---|---|---|---|---|---|" + ("---|---|" if tiers else "")]
    by_case: dict = {}
    for r in rows:
        by_case.setdefault((r["workload"], r["case"]), []).append(r)
    for (w, label), rs in by_case.items():
        jax = next((r["cold"] for r in rs if r["kind"] == "jax"), None)
        nb = next((r["cold"] for r in rs if r["kind"] == "numba"), None)
        for r in (r for r in rs if r["kind"] == "s2sad"):
            tier = (f"{_s(r.get('untiered cold'))} | {_s(r.get('untiered disk'))} | "
                    if tiers else "")
            out.append(f"| {w} | {label} | {r['contender']} | {_s(r['cold'])} | "
                       f"{_s(r.get('disk'))} | {tier}{_s(jax)} | {_s(nb)} |")
    out += ["", "Compile breakdown of the cold s2sad runs (seconds; `import` is the "
            "library's, before the clock; from the compile-first runs where measured, since "
            "a tiered first result does not wait for Numba):", "",
            "| workload | case | s2sad contender | import | lower | differentiate | passes | "
            "codegen | numba | disk-cache hit: import, load, codegen, numba |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for (w, label), rs in by_case.items():
        for r in (r for r in rs if r["kind"] == "s2sad"):
            cold = r.get("untiered cold") or r["cold"]
            st = cold.get("stages", {}) if "error" not in cold else {}
            d = r.get("untiered disk") or r.get("disk") or {}
            ds = d.get("stages", {})
            hit = (f"{d['import_s']:.2f}, " + ", ".join(f"{ds.get(k, 0.0):.2f}" for k in
                   ("load", "codegen", "numba"))) if "import_s" in d else "—"
            if d.get("origin") not in (None, "disk cache"):
                hit += f" ({d.get('origin')})"
            out.append(f"| {w} | {label} | {r['contender']} | "
                       f"{cold.get('import_s', 0.0):.2f} | " +
                       " | ".join(f"{st.get(k, 0.0):.2f}" for k in
                                  ("lower", "differentiate", "passes", "codegen", "numba"))
                       + f" | {hit} |")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.first_call",
                                description="first-result times: s2sad cold and from the "
                                "disk cache, JAX and the Numba primal, each in a fresh process")
    p.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    p.add_argument("--json", metavar="PATH", default=os.path.join(RESULTS, "first_call.json"))
    p.add_argument("--markdown", metavar="PATH",
                   default=os.path.join(RESULTS, "first_call.md"))
    p.add_argument("--compile-first", action="store_true",
                   help="also s2sad with S2SAD_TIERED=0 (cold and from the disk cache)")
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(*a.child)))
        return 0
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    rows = run(a.workload, compile_first=a.compile_first)
    md = (f"First result (`python -m benchmarks.first_call`, {started}, load average "
          f"{os.getloadavg()[0]:.2f} at the end)\n\n" + markdown(rows))
    print()
    print(md)
    for path, text in ((a.json, json.dumps(rows, indent=1)), (a.markdown, md + "\n")):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
