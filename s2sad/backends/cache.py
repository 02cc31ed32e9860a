"""Where generated source lives: one file per (source, signature), keyed by a hash.

Writing the derivative to a real file makes tracebacks, `inspect` and Numba's on-disk
cache (`cache=True`) work across processes. Set S2SAD_CACHE_DIR to move it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

VERSION = "0.1.0"


def cache_dir() -> Path:
    d = os.environ.get("S2SAD_CACHE_DIR")
    if d:
        p = Path(d)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        p = Path(base) / "s2sad"
    p.mkdir(parents=True, exist_ok=True)
    return p


def source_key(source: str, extra: str = "") -> str:
    h = hashlib.sha256()
    h.update(VERSION.encode())
    h.update(source.encode())
    h.update(extra.encode())
    return h.hexdigest()[:16]


def write_module(name: str, source: str, extra: str = "") -> Path:
    path = cache_dir() / f"{name}_{source_key(source, extra)}.py"
    if not path.exists() or path.read_text() != source:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)  # atomic: concurrent processes never see half a file
    return path


def load_module(path: Path):
    modname = f"s2sad_generated.{path.stem}"
    if modname in sys.modules:
        return sys.modules[modname]
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sys.modules[modname] = mod
    return mod
