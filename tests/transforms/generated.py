"""Loading the functions that property tests generate as source text (s2sad reads a
function's source, so each program is written to a file and imported)."""

import importlib.util
import itertools

_counter = itertools.count()


def load(src: str, tmp_path, name: str = "f"):
    """Write `src` to a fresh module under tmp_path, import it, return its function `name`."""
    path = tmp_path / f"gen_{next(_counter)}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, name)
