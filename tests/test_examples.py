"""Every script in examples/ runs to completion (S2SAD_SMOKE=1 asks those that can for a
smaller problem), in a subprocess, as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_there_are_examples():
    assert any(p.name == "wengert.py" for p in EXAMPLES)


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path):
    # run from a scratch folder, so that figures an example saves do not land in the repo
    env = dict(os.environ, S2SAD_SMOKE="1", MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (
        f"{script.name} exited {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}"
        f"\n--- stderr\n{proc.stderr[-3000:]}")
    assert proc.stdout.strip(), f"{script.name} printed nothing"


def test_wengert_prints_the_seed_gradient(tmp_path: Path):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "wengert.py")], cwd=tmp_path,
                          env=dict(os.environ, S2SAD_SMOKE="1"), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "(5.5, 1.7163378145367738)" in proc.stdout
    assert "def f_vjp(x1, x2" in proc.stdout
