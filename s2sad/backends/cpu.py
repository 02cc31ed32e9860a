"""target="cpu": compile the generated source with numba.njit (nopython, cached on disk)."""

from __future__ import annotations

import numba

from .cache import load_module, write_module
from .python import bind_user_functions


def compile_source(name: str, source: str):
    mod = load_module(write_module(name, source))
    fn = getattr(mod, name)
    user = "# user rules (s2sad.defrule)" in source
    if user:
        bind_user_functions(mod, jit=numba.njit)
    # a user function is a global the on-disk cache cannot see: compile those afresh
    return numba.njit(cache=not user, error_model="numpy")(fn)
