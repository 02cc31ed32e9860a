"""The tutorial (docs/tutorial.md) is also a notebook (docs/tutorial.ipynb, generated from
the page by docs/gen_notebook.py): it is up to date, it runs under Jupyter (nbclient, a
real kernel, so s2sad reads functions from the notebook's cells), and every cell prints
what the page says it prints."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _gen():
    spec = importlib.util.spec_from_file_location("gen_notebook", ROOT / "docs" / "gen_notebook.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_notebook"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def normalise(text: str) -> str:
    # s2sad show prints the file it read as given to Python: absolute in the kernel's folder
    text = re.sub(r"# /\S*/([^/\s]+\.py:\d+)", r"# \1", text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def test_notebook_is_generated_from_the_page():
    import nbformat

    gen = _gen()
    fresh = nbformat.writes(gen.notebook(gen.PAGE.read_text())) + "\n"
    assert gen.NOTEBOOK.read_text() == fresh, "run: python docs/gen_notebook.py"


def test_page_cells():
    cells = _gen().cells((ROOT / "docs" / "tutorial.md").read_text())
    code = [c for c in cells if c.kind == "code"]
    assert code[0].source.startswith("%%writefile seed.py\n")
    assert any(c.source.startswith("!s2sad show seed.py:f --ir") for c in code)
    assert sum(c.expected is not None for c in code) >= 10


@pytest.mark.slow
def test_notebook_runs_and_prints_what_the_page_says(tmp_path, monkeypatch):
    import nbclient
    import nbformat

    gen = _gen()
    expected = [c.expected for c in gen.cells(gen.PAGE.read_text()) if c.kind == "code"]
    nb = nbformat.read(gen.NOTEBOOK, as_version=4)
    # the kernel inherits this environment: `!s2sad` is the console script beside python
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == len(expected)
    for cell, want in zip(code, expected):
        got = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{cell.source}\n raised {errors[0]['ename']}: {errors[0]['evalue']}"
        if want is not None:
            assert normalise(got) == normalise(want), f"cell:\n{cell.source}"
    assert (tmp_path / "seed.py").exists()
