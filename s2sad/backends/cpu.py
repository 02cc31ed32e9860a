"""target="cpu": compile the generated source with numba.njit (nopython, cached on disk).

Numba's on-disk cache is used through a checked variant (`_CheckedCache`): every data file
carries a checksum and the key it was written for, so a damaged or mismatched entry reads
as a miss (one S2SADCacheWarning), is compiled again and overwritten, instead of crashing
every later call with an UnpicklingError or loading the wrong machine code. Any other fault
of the cache (an index that cannot be read, a folder that cannot be written) also warns
and compiles in memory.
"""

from __future__ import annotations

import hashlib
import os
import pickle

import numba
from numba.core.caching import FunctionCache, IndexDataCacheFile

from . import numba_runtime
from .cache import load, warn_once
from .python import bind_user_functions

_MAGIC = b"s2sad-nbc-1\n"
_DIGEST = 32


def compile_source(name: str, source: str, boundscheck: bool = False,
                   parallel: bool = False, globals_: dict | None = None):
    """numba.njit of function `name` in `source`; `globals_` are names the source uses
    that are not in it (compiled functions it calls: the source must name what they are,
    so that Numba's disk cache cannot return code built for others)."""
    # Numba's cache index does not key on boundscheck: the checked build gets its own file
    mod, on_disk = load(name, source, "boundscheck" if boundscheck else "")
    if globals_:
        vars(mod).update(globals_)
    fn = getattr(mod, name)
    if hasattr(mod, "_rt"):
        mod._rt = numba_runtime  # the helpers as Numba compiles them
    user = "# user rules (s2sad.defrule)" in source
    if user:
        bind_user_functions(mod, jit=numba.njit)
    disp = numba.njit(error_model="numpy", boundscheck=boundscheck or None,
                      parallel=parallel)(fn)
    # a user function is a global the on-disk cache cannot see: compile those afresh
    if on_disk and not user:
        try:
            disp._cache = _CheckedCache(disp.py_func)
        except Exception as e:  # no usable cache folder for Numba: compile in memory
            warn_once("numba", str(mod.__file__), f"s2sad: Numba cannot cache {name} "
                      f"({type(e).__name__}: {e}); it is compiled in memory")
    return disp


class _Damaged(Exception):
    pass


class _CheckedFile(IndexDataCacheFile):
    """Numba's index and data files; data files hold (key, data) behind a checksum."""

    @classmethod
    def wrap(cls, base: IndexDataCacheFile) -> _CheckedFile:
        obj = cls.__new__(cls)
        obj.__dict__.update(base.__dict__)
        # names of their own: plain Numba files (no checksum) next to them are never read
        stem = base._index_name[:-len(".nbi")] + ".s2sad"
        obj._index_name = f"{stem}.nbi"
        obj._index_path = os.path.join(obj._cache_path, obj._index_name)
        obj._data_name_pattern = f"{stem}.{{number:d}}.nbc"
        return obj

    def _load_index(self):
        try:
            return super()._load_index()
        except Exception as e:  # unreadable: treat as empty, the next save rewrites it
            self._fault(self._index_path, e)
            return {}

    def _save_data(self, name, data):
        raw = self._dump(data)
        with self._open_for_write(self._data_path(name)) as f:
            f.write(_MAGIC + hashlib.sha256(raw).digest() + raw)

    def _load_data(self, name):
        path = self._data_path(name)
        with open(path, "rb") as f:
            blob = f.read()
        head, digest = blob[:len(_MAGIC)], blob[len(_MAGIC):len(_MAGIC) + _DIGEST]
        raw = blob[len(_MAGIC) + _DIGEST:]
        if head != _MAGIC or hashlib.sha256(raw).digest() != digest:
            raise _Damaged(f"{path} is damaged (checksum mismatch)")
        return pickle.loads(raw)

    def load(self, key):
        try:
            got = super().load(key)
        except Exception as e:
            self._fault(self._cache_path, e)
            return None
        if got is None:
            return None
        if not (isinstance(got, tuple) and len(got) == 2 and got[0] == key):
            self._fault(self._cache_path, _Damaged("an entry holds code for another signature"))
            return None
        return got[1]

    def save(self, key, data):
        super().save(key, (key, data))

    def _fault(self, where, e: Exception) -> None:
        warn_once("damaged", str(where), f"s2sad: a damaged entry in Numba's cache "
                  f"({type(e).__name__}: {e}); compiling again and replacing it")


class _CheckedCache(FunctionCache):
    """Numba's FunctionCache over _CheckedFile; a fault while loading or saving is a miss."""

    def __init__(self, py_func):
        super().__init__(py_func)
        self._cache_file = _CheckedFile.wrap(self._cache_file)

    def load_overload(self, sig, target_context):
        try:
            return super().load_overload(sig, target_context)
        except Exception as e:
            self._cache_file._fault(self._cache_path, e)
            return None

    def save_overload(self, sig, data):
        try:
            super().save_overload(sig, data)
        except Exception as e:
            warn_once("save", str(self._cache_path), f"s2sad: cannot save compiled code to "
                      f"Numba's cache in {self._cache_path} ({type(e).__name__}: {e}); it is "
                      "kept in memory only")


def entry_point(disp, args: tuple):
    """The machine code Numba's dispatcher `disp` runs for `args`, as a callable that skips
    the dispatcher's typing of every argument (None: `disp` is no Numba dispatcher, or has
    not compiled for these argument types). Calling it with arguments of other Numba types
    is wrong: the caller must check them first."""
    overloads = getattr(disp, "overloads", None)
    if not isinstance(disp, numba.core.dispatcher.Dispatcher) or overloads is None:
        return None
    try:
        sig = tuple(disp.typeof_pyval(a) for a in args)
    except Exception:  # (a value Numba cannot type: the dispatcher says so itself)
        return None
    cres = overloads.get(sig)
    return None if cres is None else cres.entry_point
