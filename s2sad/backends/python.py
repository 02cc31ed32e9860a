"""target="python": run the generated source as plain Python (for debugging)."""

from __future__ import annotations

from .. import runtime
from .cache import load_module, write_module


def compile_source(name: str, source: str):
    mod = load_module(write_module(name + "_py", source))
    if hasattr(mod, "_rt"):
        mod._rt = runtime.PY
    return getattr(mod, name)
