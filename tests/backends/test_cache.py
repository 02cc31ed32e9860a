"""Generated derivatives are cached: in memory per types, on disk across processes."""

import importlib.util
import math
import os
import subprocess
import sys
import textwrap
import warnings

import pytest

import s2sad
from s2sad.backends import cpu as cpu_backend
from s2sad.backends import python as python_backend
from s2sad.compile import compiled
from s2sad.ir.types import F64
from s2sad.pipeline import Request
from tests.programs import seeds

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = textwrap.dedent("""
    import sys
    import s2sad
    from s2sad import compile as specs
    from tests.programs import seeds
    g = s2sad.grad(seeds.mccormick, argnums=(0, 1))(-4.0, 4.0)
    ((c,),) = specs._compiled.values()  # one specialisation
    s2sad.wait_for_compiles()  # (the first call ran in CPython while Numba compiled)
    # Numba's on-disk cache hits; where the derivation came from; libcst read the source?
    print(g, sum(c.call.stats.cache_hits.values()), c.origin, "libcst" in sys.modules)
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
    hits = [r.stdout.split(")")[1].split() for r in runs]
    # the second process loads the derivation and the machine code, and never parses
    assert hits == [["0", "compiled", "True"], ["1", "disk", "cache", "False"]]


TRANSFORMS = textwrap.dedent("""
    import sys
    import numpy as np
    import s2sad
    from tests.programs import seeds

    def f(x):
        return seeds.mccormick(x[0], x[1])

    xs = np.array([[-4.0, 4.0], [1.0, 2.0]])
    g = s2sad.vmap(s2sad.grad(f))(xs)
    j = s2sad.jacfwd(np.tanh)(np.array([0.5, 1.0]))
    print(g.tolist(), j.tolist(), "libcst" in sys.modules)
""")


def test_vmap_and_jacobians_hit_the_disk_cache(tmp_path):
    # the loops' sources and derivations come from the cache: nothing is lowered again
    (tmp_path / "prog.py").write_text(TRANSFORMS)
    env = dict(os.environ, S2SAD_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    outs = [subprocess.run([sys.executable, str(tmp_path / "prog.py")], env=env, cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
            for _ in range(2)]
    assert outs[0][:-1] == outs[1][:-1]
    assert outs[0][0].startswith("[[-16.5,")
    assert (outs[0][-1], outs[1][-1]) == ("True", "False")


def test_transforms_say_what_they_are():
    from s2sad.backends.cache import fingerprint

    prints = {fingerprint(t) for t in (
        s2sad.grad(seeds.mccormick), s2sad.grad(seeds.mccormick, argnums=1),
        s2sad.value_and_grad(seeds.mccormick), s2sad.vmap(s2sad.grad(seeds.mccormick)),
        s2sad.vmap(s2sad.grad(seeds.mccormick), in_axes=(0, None)),
        s2sad.jacfwd(seeds.mccormick), s2sad.jacrev(seeds.mccormick))}
    assert None not in prints and len(prints) == 7
    assert fingerprint(s2sad.grad(seeds.mccormick)) == fingerprint(s2sad.grad(seeds.mccormick))


def test_import_loads_neither_numba_nor_libcst():
    """`import s2sad` is cheap: Numba comes with the first CPU compile, libcst with the
    first function read (a disk-cache hit reads none)."""
    code = "import sys, s2sad; print(sorted(m for m in ('numba', 'libcst') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_generated_source_is_written_where_the_cache_dir_says(tmp_path, monkeypatch):
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(tmp_path))
    src = s2sad.derivative_source(seeds.qz, "grad", (0, 1, 2))
    s2sad.grad(seeds.qz, argnums=(0, 1, 2), target="python")(-2.0, 5.0, -4.0)
    files = list(tmp_path.glob("qz_grad*_py_*.py"))
    assert files and files[0].read_text() == src


# ---------------------------------------------------------------- cache faults
# The disk cache is an optimisation: a fault in it warns once (S2SADCacheWarning) and the
# code is compiled in memory; a damaged entry is replaced. A new dispatcher for the same
# generated module reads the cache again, as a second process would.
SRC = "def {name}(x):\n    return x * 3.0 + 1.0\n"


def _damage(path, at=0.5):
    data = bytearray(path.read_bytes())
    k = int(len(data) * at)
    data[k:k + 32] = b"\x00" * 32
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("which", ["nbc", "nbi"])
def test_damaged_numba_entry_is_replaced(tmp_path, monkeypatch, which):
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(tmp_path))
    name = f"damaged_{which}"
    src = SRC.format(name=name)
    assert cpu_backend.compile_source(name, src)(2.0) == 7.0  # compiled, saved
    (entry,) = (tmp_path / "__pycache__").glob(f"*{name}*.{which}")
    _damage(entry, at=0.8)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        again = cpu_backend.compile_source(name, src)
        assert again(2.0) == 7.0  # compiled again instead of an UnpicklingError
    if which == "nbc":  # (a damaged index may also read as another Numba version's: a miss)
        assert any(issubclass(w.category, s2sad.S2SADCacheWarning) and "damaged entry" in
                   str(w.message) for w in rec)
    assert sum(again.stats.cache_misses.values()) == 1
    third = cpu_backend.compile_source(name, src)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the entry was replaced: no warning, a cache hit
        assert third(2.0) == 7.0
    assert sum(third.stats.cache_hits.values()) == 1


def test_truncated_generated_source_is_regenerated(tmp_path, monkeypatch):
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(tmp_path))
    name = "truncated"
    src = SRC.format(name=name)
    assert cpu_backend.compile_source(name, src)(2.0) == 7.0
    (path,) = tmp_path.glob(f"{name}_*.py")
    path.write_text(src[:20])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cpu_backend.compile_source(name, src)(2.0) == 7.0
        assert python_backend.compile_source(name, src)(2.0) == 7.0
    assert path.read_text() == src


@pytest.mark.parametrize("where", ["file", "under_a_file"])
def test_unusable_cache_folder_compiles_in_memory(tmp_path, monkeypatch, where):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    folder = blocker if where == "file" else blocker / "sub"
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(folder))
    mod_path = tmp_path / f"mem_{where}.py"
    mod_path.write_text("import math\n\n\ndef f(x):\n    return math.sin(x) * x\n")
    spec = importlib.util.spec_from_file_location(f"mem_{where}", mod_path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    x = 0.7
    with pytest.warns(s2sad.S2SADCacheWarning, match="cannot be used") as rec:
        g = s2sad.grad(mod.f)(x)  # Numba, in memory
        # nested AD lowers the generated source again: readable without a file
        h = s2sad.hessian(mod.f, target="python")(x)
    assert len(rec) == 1  # once
    assert g == pytest.approx(math.cos(x) * x + math.sin(x), rel=1e-14)
    assert h == pytest.approx(2 * math.cos(x) - x * math.sin(x), rel=1e-12)
    assert blocker.is_file()


@pytest.mark.slow
def test_concurrent_processes_share_one_cache(tmp_path):
    env = dict(os.environ, S2SAD_CACHE_DIR=str(tmp_path))
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, cwd=root, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        assert out.startswith("(-16.5, 19.5)") and "Warning" not in err
