"""mkdocs hooks: pages generated from the code at build time (mkdocs.yml: hooks)."""

import importlib.util
import sys
from pathlib import Path

from mkdocs.structure.files import File

HERE = Path(__file__).resolve().parent


def _gen_rules():
    if str(HERE.parent) not in sys.path:  # import s2sad from this checkout
        sys.path.insert(0, str(HERE.parent))
    spec = importlib.util.spec_from_file_location("gen_rules", HERE / "gen_rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_files(files, config):
    files.append(File.generated(config, "rules-table.md", content=_gen_rules().table()))
    return files
