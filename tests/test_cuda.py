"""target="cuda" without a GPU: the kernels run in numba-cuda's simulator (a subprocess:
NUMBA_ENABLE_CUDASIM must be set before numba.cuda is imported), and compile to PTX for
sm_90 where the CUDA toolkit wheels are installed (numba-cuda[cu13], the `cuda` extra).
The simulator accepts code a GPU rejects; PTX is the check that it would compile."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import s2sad
from tests.programs import batch_programs as P

ROOT = Path(__file__).resolve().parents[1]

def _toolkit() -> bool:
    """NVVM from the toolkit wheels (numba-cuda[cu13] or [cu12])."""
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("nvidia-nvvm", "nvidia-cuda-nvcc-cu12"):
        try:
            version(dist)
            return True
        except PackageNotFoundError:
            continue
    return False


def test_cuda_paths_in_the_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "tests.programs.cuda_checks"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("ok ") == 10, r.stdout


# A platform limit, not a missing feature: NVIDIA ships the toolkit wheels (the `cuda`
# extra, in `test`) for Linux x86_64/aarch64 and Windows only; elsewhere PTX cannot be made.
needs_toolkit = pytest.mark.skipif(not _toolkit(), reason="the CUDA toolkit wheels "
                                   "(pip install 'numba-cuda[cu13]') compile PTX")


@needs_toolkit
@pytest.mark.slow
def test_kernels_compile_to_ptx_for_sm90():
    """Every kernel the GPU check launches, and one whose tapes have no known length."""
    from benchmarks import gpu

    for name, f, axes, nums, args in gpu.cases(8):
        v = s2sad.vmap(s2sad.grad(f, argnums=nums), in_axes=axes, target="cuda")
        ptx = v.ptx(*args, cc=(9, 0))
        assert ".target sm_90" in ptx and "st.global.f64" in ptx, name
    w = s2sad.vmap(s2sad.grad(P.harmonic_until), in_axes=(0, None), target="cuda")
    ptx = w.ptx(np.linspace(0.1, 0.9, 8), 1e-3)
    assert ".target sm_90" in ptx and "ld.global.f64" in ptx


@pytest.mark.slow
def test_gpu_check_runs_in_the_simulator(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "benchmarks.gpu", "--smoke", "--n", "40",
                        "--json", str(tmp_path / "g.json"), "--markdown",
                        str(tmp_path / "g.md")], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    md = (tmp_path / "g.md").read_text()
    assert md.count("| passed") == 4 and "FAILED" not in md


def test_kernel_source_reads_as_device_code():
    f = s2sad.vmap(s2sad.grad(P.harmonic_until), in_axes=(0, None), target="cuda")
    launch, _ = f.device(s2sad.checks.arg_types("t", (np.ones(3), 1e-3)))
    src = launch.plan.source
    assert "np." not in src.split("from numba import cuda")[1]  # nothing allocated
    assert "T_tape_f[sp_f, tid] = " in src and "overflow[0] = 1" in src
    assert "range(tid, n, cuda.gridsize(1))" in src
