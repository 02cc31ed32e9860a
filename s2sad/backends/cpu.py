"""target="cpu": compile the generated source with numba.njit (nopython, cached on disk)."""

from __future__ import annotations

import numba

from .cache import load_module, write_module


def compile_source(name: str, source: str):
    mod = load_module(write_module(name, source))
    fn = getattr(mod, name)
    return numba.njit(cache=True, error_model="numpy")(fn)
