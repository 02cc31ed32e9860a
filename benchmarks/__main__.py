"""python -m benchmarks [--quick] [--workload NAME] [--json PATH] [--markdown PATH] [--plot PATH]

Runs the workloads (seed_scalar, verlet, rosenbrock, heat, mlp, gmm, and the loop
programs ode, lse, llsq, kmeans, gmm_scratch, det, heat_copy; all of them by default), prints the Markdown tables (a summary of s2sad's ratios first), writes JSON, Markdown and a PNG bar chart
(default: benchmarks/results/results.{json,md,png}; quick.{json,md,png} with --quick).
Exits 1 if any gradient disagrees with the hand-written one (or a reference fails).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import WORKLOADS, run
from .harness import BenchmarkFailure, markdown, plot, write_json

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="s2sad against the Numba primal, hand-written Numba gradients, JAX, "
        "PyTorch and HIPS autograd, in one run.",
        epilog="examples:\n  python -m benchmarks\n  python -m benchmarks --quick\n"
        "  python -m benchmarks --workload verlet --json /tmp/v.json\n"
        "  python -m benchmarks --workload rosenbrock --workload gmm --no-peers",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="seconds-long smoke run (tiny repeat counts, small sizes)")
    p.add_argument("--workload", action="append", choices=sorted(WORKLOADS),
                   help="run only this workload (repeatable); default: all")
    p.add_argument("--no-peers", action="store_true", help="skip JAX, PyTorch, autograd")
    p.add_argument("--warm-cache", action="store_true",
                   help="use the usual S2SAD_CACHE_DIR instead of a fresh one (first-call "
                   "times then show cache hits, not cold compiles)")
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--markdown", metavar="PATH")
    p.add_argument("--plot", metavar="PATH", help="PNG bar chart (needs matplotlib)")
    a = p.parse_args(argv)

    stem = "quick" if a.quick else "results"
    json_path = a.json or os.path.join(RESULTS, stem + ".json")
    md_path = a.markdown or os.path.join(RESULTS, stem + ".md")
    png_path = a.plot or os.path.join(RESULTS, stem + ".png")
    try:
        report = run(a.workload, quick=a.quick, peers=not a.no_peers,
                     fresh_cache=not a.warm_cache,
                     command=" ".join(["python -m benchmarks",
                                       *(argv if argv is not None else sys.argv[1:])]))
    except BenchmarkFailure as e:
        print(f"benchmarks: {e}", file=sys.stderr)
        return 1
    md = markdown(report)
    print()
    print(md)
    for path in (json_path, md_path, png_path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_json(report, json_path)
    with open(md_path, "w") as f:
        f.write(md)
    wrote = [json_path, md_path]
    if plot(report, png_path):
        wrote.append(png_path)
    else:
        print("matplotlib not importable: no chart", file=sys.stderr)
    print("wrote " + ", ".join(wrote))
    if not report.passed:
        print("benchmarks: FAILED correctness checks:\n  " + "\n  ".join(report.failures()),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
