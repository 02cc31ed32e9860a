"""Golden stages: the IR after `lower`, after `differentiate` and after every pass, and the
generated source, of the seed programs, kept as files and reviewed as diffs.

    python -m tests.golden          # rewrite the files after an intended change

tests/test_golden.py fails when the pipeline's output for one of them changes.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from s2sad import pipeline
from s2sad.ir.printer import print_function
from s2sad.ir.types import F64, I64, ArrayT

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VEC, MAT = ArrayT(F64, 1), ArrayT(F64, 2)


def _load(rel: str, name: str):
    if not rel.endswith(".py"):  # a module of the repository (benchmarks.heat)
        return getattr(importlib.import_module(rel), name)
    spec = importlib.util.spec_from_file_location(f"golden_{Path(rel).stem}", ROOT / rel)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, name)


# name: (file, function, mode, argnums, types)
PROGRAMS = {
    "wengert": ("examples/wengert.py", "f", "reverse", (0, 1), (F64, F64)),
    "verlet": ("examples/verlet.py", "final_energy", "grad", (1, 2, 3), (VEC, F64, F64, F64)),
    "newton": ("examples/newton.py", "newton_sqrt", "grad", (0,), (F64,)),
    "heat": ("benchmarks.heat", "heat", "grad", (0,), (VEC, F64, I64)),
    "mlp": ("benchmarks.mlp", "mlp_loss", "grad", (0, 1, 2, 3),
            (MAT, VEC, VEC, F64, MAT, VEC)),
}
STAGES = ("lower", "differentiate", "passes")


def render(name: str) -> dict[str, str]:
    """File name -> text, for one program: the IR after each stage and the source."""
    rel, fname, mode, wrt, types = PROGRAMS[name]
    fn = _load(rel, fname)
    req = pipeline.Request(mode, wrt, types, single=len(wrt) == 1)
    out = {}
    for stage in STAGES:
        text = print_function(pipeline.derive(fn, req, stop_after=stage))
        out[f"{name}.{stage}.ir"] = _relative(text)
    out[f"{name}.py"] = _relative(pipeline.source(fn, req))
    return out


def _relative(text: str) -> str:
    return text.replace(str(ROOT) + "/", "").rstrip("\n") + "\n"


def main() -> None:
    for name in PROGRAMS:
        for fname, text in render(name).items():
            (HERE / fname).write_text(text)
            print(f"wrote tests/golden/{fname}")


if __name__ == "__main__":
    main()
