"""Generated derivatives are cached: in memory per types, on disk across processes."""

import os
import subprocess
import sys
import textwrap

import s2sad
from s2sad.api import compiled
from s2sad.ir.types import F64
from s2sad.pipeline import Request
from tests.programs import seeds

SCRIPT = textwrap.dedent("""
    import s2sad
    from s2sad import api
    from tests.programs import seeds
    g = s2sad.grad(seeds.mccormick, argnums=(0, 1))(-4.0, 4.0)
    ((c,),) = api._compiled.values()  # one specialisation
    print(g, sum(c.call.stats.cache_hits.values()))  # Numba's on-disk cache hits
""")


def test_in_memory_cache_per_types():
    req = Request("grad", (0, 1), (F64, F64), single=False)
    assert compiled(seeds.wengert, req, "cpu") is compiled(seeds.wengert, req, "cpu")
    other = Request("grad", (0,), (F64, F64))
    assert compiled(seeds.wengert, other, "cpu") is not compiled(seeds.wengert, req, "cpu")


def test_disk_cache_across_processes(tmp_path):
    env = dict(os.environ, S2SAD_CACHE_DIR=str(tmp_path))
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    runs = [subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=root,
                           capture_output=True, text=True, check=True) for _ in range(2)]
    outs = [r.stdout.split(")")[0] + ")" for r in runs]
    assert outs[0] == outs[1] == "(-16.5, 19.5)"
    sources = list(tmp_path.glob("mccormick_grad_*.py"))
    assert len(sources) == 1  # one file per (source, signature), reused by the second run
    # Numba's on-disk cache for the generated function sits next to it
    assert list((tmp_path / "__pycache__").glob("*mccormick_grad*.nbi"))
    hits = [int(r.stdout.split(")")[1]) for r in runs]
    assert hits == [0, 1]  # the second process loads the compiled code


def test_generated_source_is_written_where_the_cache_dir_says(tmp_path, monkeypatch):
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(tmp_path))
    src = s2sad.derivative_source(seeds.qz, "grad", (0, 1, 2))
    s2sad.grad(seeds.qz, argnums=(0, 1, 2), target="python")(-2.0, 5.0, -4.0)
    files = list(tmp_path.glob("qz_grad*_py_*.py"))
    assert files and files[0].read_text() == src
