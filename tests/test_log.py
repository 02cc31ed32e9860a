"""Compile logging (s2sad/log.py): each compile on logging.getLogger("s2sad") with its stage
times, at DEBUG, at INFO when slow; S2SAD_LOG=info turns it on from the shell."""

import logging
import math
import os
import subprocess
import sys

import s2sad
from s2sad import log


def _poly(x, y):  # a function of this test's own: compiled afresh here
    return math.log(x) * y + x * x


def test_each_compile_is_logged_with_its_stage_times(caplog):
    with caplog.at_level(logging.DEBUG, logger="s2sad"):
        g = s2sad.grad(_poly, argnums=(0, 1), target="python")(2.0, 3.0)
        s2sad.grad(_poly, argnums=(0, 1), target="python")(2.0, 3.0)  # no compile: no record
    assert g == (3.0 / 2.0 + 4.0, math.log(2.0))
    (rec,) = [r for r in caplog.records if r.name == "s2sad"]
    assert rec.levelno == logging.DEBUG
    msg = rec.getMessage()
    assert "_poly" in msg and "grad" in msg
    for stage in ("lower", "differentiate", "passes", "codegen"):
        assert f"{stage} " in msg


def test_slow_compiles_are_info(caplog, monkeypatch):
    monkeypatch.setattr(log, "SLOW_S", 0.0)
    with caplog.at_level(logging.INFO, logger="s2sad"):
        s2sad.value_and_grad(_poly, target="python")(2.0, 3.0)
    assert [r.levelno for r in caplog.records if r.name == "s2sad"] == [logging.INFO]


def test_S2SAD_LOG_turns_it_on_from_the_shell(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import math, s2sad\n"
                      "s2sad.grad(lambda x: math.sin(x) * x, target='python')(1.0)\n")
    run = [sys.executable, str(script)]
    env = dict(os.environ, S2SAD_CACHE_DIR=str(tmp_path / "cache"))
    loud = subprocess.run(run, capture_output=True, text=True, check=True,
                          env=dict(env, S2SAD_LOG="debug"))
    quiet = subprocess.run(run, capture_output=True, text=True, check=True, env=env)
    assert "s2sad: compiled" in loud.stderr and "differentiate" in loud.stderr
    assert "s2sad:" not in quiet.stderr  # (a disk-cache hit, not logged either)
