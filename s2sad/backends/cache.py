"""Where generated source lives: one file per (source, signature), keyed by a hash.

Writing the derivative to a real file makes tracebacks, `inspect` and Numba's on-disk
cache (`cache=True`) work across processes. Set S2SAD_CACHE_DIR to move it.

The disk cache is an optimisation, so a fault in it never stops a computation: a folder
that cannot be made or written, or a damaged entry, warns once (`S2SADCacheWarning`) and
the derivative is compiled in memory; a damaged entry is replaced by the next write.
"""

from __future__ import annotations

import hashlib
import linecache
import os
import sys
import types
import warnings
from pathlib import Path

from ..errors import S2SADCacheWarning

VERSION = "0.1.0"

_warned: set[tuple[str, str]] = set()


def warn_once(kind: str, where: str, message: str) -> None:
    """One S2SADCacheWarning per kind of fault and place."""
    if (kind, where) in _warned:
        return
    _warned.add((kind, where))
    warnings.warn(message, S2SADCacheWarning, stacklevel=3)


def cache_dir() -> Path | None:
    """The cache folder, made if needed; None (after a warning) if it cannot be used."""
    d = os.environ.get("S2SAD_CACHE_DIR")
    if d:
        p = Path(d)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        p = Path(base) / "s2sad"
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        warn_once("folder", str(p), f"s2sad: the cache folder {p} cannot be used "
                  f"({type(e).__name__}: {e}); derivatives are compiled in memory and not "
                  "kept on disk (set S2SAD_CACHE_DIR to a writable folder)")
        return None
    return p


def source_key(source: str, extra: str = "") -> str:
    h = hashlib.sha256()
    h.update(VERSION.encode())
    h.update(source.encode())
    h.update(extra.encode())
    return h.hexdigest()[:16]


def write_module(name: str, source: str, extra: str = "") -> Path | None:
    """The file holding `source` (written if missing or different); None if it cannot be."""
    d = cache_dir()
    if d is None:
        return None
    path = d / f"{name}_{source_key(source, extra)}.py"
    want = source.encode()
    try:
        have = path.read_bytes() if path.is_file() else None
    except OSError:
        have = None
    if have == want:
        return path
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_bytes(want)
        os.replace(tmp, path)  # atomic: concurrent processes never see half a file
    except OSError as e:
        warn_once("write", str(d), f"s2sad: cannot write generated code to the cache folder "
                  f"{d} ({type(e).__name__}: {e}); compiling in memory instead")
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return None
    return path


class _SourceLoader:
    """Gives `inspect`/`linecache` the source of a module that has no file."""

    def __init__(self, source: str):
        self.source = source

    def get_source(self, fullname: str) -> str:
        return self.source


def load(name: str, source: str, extra: str = "") -> tuple[types.ModuleType, bool]:
    """(module, on_disk): `source` executed as a module, from its cache file when the file
    can be written, else in memory (its source still readable by `inspect`, so nested AD
    and error messages work)."""
    path = write_module(name, source, extra)
    modname = f"s2sad_generated.{name}_{source_key(source, extra)}"
    mod = sys.modules.get(modname)
    if mod is not None:
        return mod, getattr(mod, "_s2sad_on_disk", False)
    filename = str(path) if path is not None else f"<s2sad-generated {name}_" \
        f"{source_key(source, extra)}>"
    mod = types.ModuleType(modname)
    mod.__file__ = filename
    if path is None:
        mod.__loader__ = _SourceLoader(source)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    mod._s2sad_on_disk = path is not None  # type: ignore[attr-defined]
    # compiled from the text, not imported: no .pyc to go stale or be damaged
    exec(compile(source, filename, "exec"), mod.__dict__)
    sys.modules[modname] = mod
    return mod, path is not None
