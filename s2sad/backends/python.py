"""target="python": run the generated source as plain Python (for debugging)."""

from __future__ import annotations

from .. import runtime
from ..codegen.spellings import user_name
from ..rules.user import USER
from .cache import load


def compile_source(name: str, source: str, beside_numba: bool = False):
    """`beside_numba`: from the file Numba compiles (the tiered first calls), as a module
    of its own (its `_rt` is the plain runtime)."""
    mod, _ = load(name, source, variant="_py") if beside_numba else load(name + "_py", source)
    if hasattr(mod, "_rt"):
        mod._rt = runtime.PY
    bind_user_functions(mod, jit=None)
    return getattr(mod, name)


def bind_user_functions(mod, jit) -> None:
    """Set the module's `_u_<name> = None` placeholders to the s2sad.defrule functions."""
    for prim_name, f in USER.items():
        g = user_name(prim_name)
        if hasattr(mod, g):
            setattr(mod, g, jit(f) if jit is not None else f)
