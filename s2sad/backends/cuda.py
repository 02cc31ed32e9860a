"""target="cuda": launch the fused batch kernel (codegen/cuda.py) with numba-cuda.

The launcher allocates the outputs and the tapes before launch (device code allocates
nothing). A tape holds `cap` values per thread, laid out `T[sp, tid]` so that a warp's
pushes are consecutive addresses; a kernel whose pushes outgrow a capacity sets the
overflow flag, and the launcher grows the capacities and launches again, until the
tapes would not fit in the device's memory (DeviceMemory). Device arrays are accepted as
inputs; the outputs are device arrays then, host arrays otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import DeviceMemory
from .cache import load

if TYPE_CHECKING:  # (libcst, which codegen/cuda.py needs, is imported for this target only)
    from ..codegen.cuda import KernelPlan

THREADS = 128  # per block
MAX_THREADS = 1 << 16  # tapes are per thread: the grid-stride loop bounds their memory
FIRST_CAP = 64


def cuda():
    from numba import cuda as numba_cuda  # noqa: PLC0415 (numba-cuda: only for this target)
    return numba_cuda


def is_device_array(x) -> bool:
    """A numba-cuda device array (the simulator's too), or any CUDA array interface."""
    return hasattr(x, "__cuda_array_interface__") or (
        hasattr(x, "copy_to_host") and hasattr(x, "shape") and hasattr(x, "dtype"))


class Launcher:
    def __init__(self, plan: KernelPlan):
        self.plan = plan
        mod, _ = load(plan.name, plan.source)
        self.py_func = getattr(mod, plan.name)
        self.kernel = cuda().jit(self.py_func)
        self.caps = [max(t.reserve, FIRST_CAP) for t in plan.tapes]

    def __call__(self, args: tuple, n: int):
        cu = cuda()
        on_device = any(is_device_array(a) for a in args)
        d_args = [cu.to_device(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a
                  for a in args]
        outs = [cu.device_array(n, dtype=np.dtype(dt)) for dt in self.plan.outputs]
        threads = min(max(n, 1), MAX_THREADS)
        blocks = (threads + THREADS - 1) // THREADS
        width = blocks * THREADS
        while True:
            tapes = [cu.device_array((max(cap, 1), width), dtype=np.dtype(t.dtype))
                     for cap, t in zip(self.caps, self.plan.tapes)]
            flag = cu.to_device(np.zeros(1, dtype=np.int32))
            self.kernel[blocks, THREADS](*d_args, *outs, *tapes, *self.caps, flag)
            if not flag.copy_to_host()[0]:
                break
            self.caps = [4 * c for c in self.caps]
            self._check_memory(width)
        if on_device:
            return tuple(outs)
        return tuple(o.copy_to_host() for o in outs)

    def _check_memory(self, width: int) -> None:
        need = sum(c * width * np.dtype(t.dtype).itemsize
                   for c, t in zip(self.caps, self.plan.tapes))
        try:
            free, _ = cuda().current_context().get_memory_info()
        except Exception:  # noqa: BLE001 (the simulator has no memory to ask about)
            free = 1 << 33
        if need > 0.8 * free:
            raise DeviceMemory(
                f"target='cuda': the tapes of this batch need {need / 2**20:.0f} MiB of GPU "
                f"memory ({free / 2**20:.0f} MiB free)",
                hint="use fewer loop iterations per element, checkpoint=..., or "
                "target='parallel'")

    def ptx(self, arg_types: list, cc=(9, 0)) -> str:
        """The kernel compiled to PTX for compute capability `cc` (needs the CUDA toolkit
        wheels, not a GPU)."""
        from numba import types as nt  # noqa: PLC0415

        def nb(dt):
            return {"float64": nt.float64, "float32": nt.float32, "int64": nt.int64,
                    "bool": nt.boolean}[dt]

        sig = list(arg_types)
        sig += [nt.Array(nb(dt), 1, "C") for dt in self.plan.outputs]
        sig += [nt.Array(nb(t.dtype), 2, "C") for t in self.plan.tapes]
        sig += [nt.int64] * len(self.plan.tapes) + [nt.Array(nt.int32, 1, "C")]
        ptx, _ = cuda().compile_ptx(self.py_func, tuple(sig), cc=cc)
        return ptx
