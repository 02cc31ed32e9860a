"""Where generated source lives: one file per (source, signature), keyed by a hash.

Writing the derivative to a real file makes tracebacks, `inspect` and Numba's on-disk
cache (`cache=True`) work across processes. Set S2SAD_CACHE_DIR to move it.

The disk cache is an optimisation, so a fault in it never stops a computation: a folder
that cannot be made or written, or a damaged entry, warns once (`S2SADCacheWarning`) and
the derivative is compiled in memory; a damaged entry is replaced by the next write.
"""

from __future__ import annotations

import hashlib
import inspect
import linecache
import os
import pickle
import sys
import types
import warnings
from pathlib import Path

import numpy as np

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


def load(name: str, source: str, extra: str = "", variant: str = ""
         ) -> tuple[types.ModuleType, bool]:
    """(module, on_disk): `source` executed as a module, from its cache file when the file
    can be written, else in memory (its source still readable by `inspect`, so nested AD
    and error messages work). A `variant` is another module object from the same file."""
    path = write_module(name, source, extra)
    modname = f"s2sad_generated.{name}_{source_key(source, extra)}{variant}"
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


# ---------------------------------------------------------------- derivations on disk
# A compile's IR and source, pickled under a key of what decides them (fingerprint): a hit
# skips the whole pipeline (no libcst, no lowering or deriving) and goes straight to the
# generated module and Numba's cached machine code.

_ENTRY_MAGIC = b"s2sad-entry-1\n"
_stamp: list[str] = []


def package_stamp() -> str:
    """s2sad's own code, as the sizes and times of its files (an edited s2sad derives
    differently: its old entries are never read)."""
    if not _stamp:
        root = Path(__file__).resolve().parents[1]
        h = hashlib.sha256(VERSION.encode())
        for p in sorted(root.rglob("*.py")):
            st = p.stat()
            h.update(f"{p.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        _stamp.append(h.hexdigest()[:16])
    return _stamp[0]


_SCALARS = (bool, int, float, complex, str, bytes, type(None))


def fingerprint(fn) -> str | None:
    """The text a derivation of `fn` depends on, read without parsing: its source and the
    sources of the functions it names, the values of the scalars and the dtypes and shapes
    of the arrays it names (module-level or closure), the modules it names. None where it
    names something else (an object, a class), whose effect on the derivation this cannot
    see: such functions are not cached on disk. Transforms s2sad made say what they are
    (`_s2sad_fingerprint`)."""
    parts: list[str] = []
    seen: set[int] = set()

    def value(name: str, v) -> bool:
        if isinstance(v, types.ModuleType):
            parts.append(f"{name}=module {v.__name__}")
        elif isinstance(v, types.FunctionType | types.MethodType) and _made(v) is None and \
                (v.__module__ or "").split(".")[0] == __package__.split(".")[0]:
            # s2sad's own function (jvp, a runtime helper): its code is in the key's stamp
            parts.append(f"{name}=s2sad {v.__module__}.{getattr(v, '__qualname__', '?')}")
        elif isinstance(v, types.FunctionType):
            parts.append(f"{name}=function")
            return function(v)
        elif isinstance(v, _SCALARS) or isinstance(v, np.generic):
            parts.append(f"{name}={type(v).__name__} {v!r}")
        elif isinstance(v, np.ndarray):
            parts.append(f"{name}=array {v.dtype} {v.shape}")
        elif isinstance(v, tuple) and len(v) <= 64 and all(isinstance(x, _SCALARS) for x in v):
            parts.append(f"{name}=tuple {v!r}")
        elif _made(v) is not None:  # a transform s2sad made: its options and function
            text = _made(v)()
            if text is None:
                return False
            parts.append(f"{name}={text}")
        elif isinstance(v, types.BuiltinFunctionType | np.ufunc) or (
                callable(v) and type(v).__module__.split(".")[0] == "numpy"):
            parts.append(f"{name}=builtin {getattr(v, '__module__', '')}."
                         f"{getattr(v, '__qualname__', getattr(v, '__name__', '?'))}")
        else:
            return False
        return True

    def function(f) -> bool:
        if id(f) in seen:
            return True
        seen.add(id(f))
        try:
            src = inspect.getsource(f)
        except (OSError, TypeError):
            return False
        code = f.__code__
        # the bytecode too: two lambdas on one line share their source text; the place,
        # for the line numbers the derivation quotes
        parts.append(f"def {f.__module__}.{f.__qualname__} {code.co_filename}:"
                     f"{code.co_firstlineno}\n{src}\n{_code_text(code)}")
        for i, d in enumerate(f.__defaults__ or ()):
            if not value(f"default {i}", d):
                return False
        names: set[str] = set()
        codes = [f.__code__]
        while codes:
            c = codes.pop()
            names.update(c.co_names)
            codes.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        g = f.__globals__
        if not all(value(n, g[n]) for n in sorted(names) if n in g):
            return False
        for n, cell in zip(f.__code__.co_freevars, f.__closure__ or ()):
            try:
                v = cell.cell_contents
            except ValueError:
                return False
            if not value(n, v):
                return False
        return True

    if not function(fn) if isinstance(fn, types.FunctionType) else not value("fn", fn):
        return None  # (not a function: a transform s2sad made, np.tanh, or no key)
    return "\n".join(parts)


def made_fingerprint(what: str, fun) -> str | None:
    """A transform's `_s2sad_fingerprint`: `what` it is (kind and options) and the
    fingerprint of the function it transforms (None if that has none)."""
    text = fingerprint(fun)
    return None if text is None else f"{what}\n{text}"


def _made(v):
    """The `_s2sad_fingerprint` method of a transform s2sad made (grad(f), vmap(f),
    jacfwd(f)): the text of its options and of its function's fingerprint, or None."""
    got = getattr(v, "_s2sad_fingerprint", None)
    if got is None and not isinstance(v, types.FunctionType):
        got = getattr(getattr(v, "transform", None), "_s2sad_fingerprint", None)
    return got if callable(got) else None


def _code_text(code: types.CodeType) -> str:
    consts = [_code_text(k) if isinstance(k, types.CodeType) else repr(k) for k in code.co_consts]
    return f"{code.co_code.hex()} {consts} {code.co_names} {code.co_varnames}"


def entry_key(fn, options: str) -> str | None:
    text = fingerprint(fn)
    if text is None:
        return None
    h = hashlib.sha256()
    for part in (VERSION, package_stamp(), sys.version, np.__version__, options, text):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


def cached(kind: str, owner, options: str, write):
    """write(), or what an earlier process saved for (kind, owner's fingerprint, options):
    a value derived from `owner` alone, kept on disk where owner can say what it is."""
    key = entry_key(owner, f"{kind} {options}")
    got = load_entry(kind, key) if key else None
    if isinstance(got, tuple) and len(got) == 2 and got[0] == kind:
        return got[1]
    out = write()
    if key:
        save_entry(kind, key, (kind, out))
    return out


def _entry_path(name: str, key: str) -> Path | None:
    d = cache_dir()
    return None if d is None else d / "derivations" / f"{name}_{key}.pkl"


def load_entry(name: str, key: str):
    """The object saved under key, or None (a miss; a damaged entry warns once)."""
    path = _entry_path(name, key)
    if path is None or not path.is_file():
        return None
    try:
        blob = path.read_bytes()
        head = blob[:len(_ENTRY_MAGIC)]
        digest, raw = blob[len(_ENTRY_MAGIC):len(_ENTRY_MAGIC) + 32], blob[len(_ENTRY_MAGIC) + 32:]
        if head != _ENTRY_MAGIC or hashlib.sha256(raw).digest() != digest:
            raise ValueError("checksum mismatch")
        return pickle.loads(raw)
    except Exception as e:
        warn_once("damaged", str(path), f"s2sad: a damaged derivation in the cache ({path}: "
                  f"{type(e).__name__}: {e}); deriving again and replacing it")
        return None


def save_entry(name: str, key: str, obj) -> bool:
    """Save obj under key; False (quietly) where it cannot be pickled or written."""
    path = _entry_path(name, key)
    if path is None:
        return False
    try:
        raw = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # IR that reads a closure cell or an object: in memory only
        return False
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        tmp.write_bytes(_ENTRY_MAGIC + hashlib.sha256(raw).digest() + raw)
        os.replace(tmp, path)
    except OSError as e:
        warn_once("write", str(path.parent), f"s2sad: cannot write to the cache folder "
                  f"{path.parent} ({type(e).__name__}: {e}); derivations are kept in memory")
        return False
    return True
