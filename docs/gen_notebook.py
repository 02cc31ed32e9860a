"""docs/tutorial.md as a Jupyter notebook: `python docs/gen_notebook.py` writes
docs/tutorial.ipynb (tests/test_tutorial.py checks that it is up to date, runs it, and
compares each cell's output with the page's).

The page is the source. Its fenced blocks become cells:
  ```python title="seed.py"   a %%writefile seed.py cell (the page says: save it as)
  ```python                   a code cell
  ```bash  (s2sad ... lines)  one !s2sad ... cell per line
  ```text                     right after one of those: the output the cell must print
Everything else becomes markdown cells. Keep the page's Markdown plain (no mkdocs-only
syntax) so that it reads the same in Jupyter.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGE = HERE / "tutorial.md"
NOTEBOOK = HERE / "tutorial.ipynb"
FENCE = re.compile(r"^```(?P<lang>\w*)(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$",
                   re.M | re.S)


@dataclass
class Cell:
    kind: str  # "markdown" | "code"
    source: str
    expected: str | None = None  # what a code cell prints (the page's text block after it)


def cells(page: str) -> list[Cell]:
    out: list[Cell] = []
    pos = 0

    def markdown(text: str) -> None:
        text = text.strip()
        if text:
            out.append(Cell("markdown", text))

    for m in FENCE.finditer(page):
        between = page[pos:m.start()]
        pos = m.end()
        lang, info, body = m["lang"], m["info"], m["body"].rstrip("\n")
        title = re.search(r'title="([^"]+)"', info)
        if lang == "text" and out and out[-1].kind == "code" and out[-1].expected is None \
                and not between.strip():
            out[-1].expected = body
            continue
        markdown(between)
        if lang == "python" and title:
            out.append(Cell("code", f"%%writefile {title.group(1)}\n{body}"))
        elif lang == "python":
            out.append(Cell("code", body))
        elif lang == "bash" and all(line.startswith("s2sad ") for line in body.splitlines()):
            out.append(Cell("code", "\n".join("!" + line for line in body.splitlines())))
        else:
            markdown(m.group(0))
    markdown(page[pos:])
    return out


def notebook(page: str):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(c.source) if c.kind == "markdown"
                else nbformat.v4.new_code_cell(c.source) for c in cells(page)]
    for i, cell in enumerate(nb.cells):  # stable ids: the file changes only with the page
        cell["id"] = f"cell-{i}"
    return nb


def main() -> None:
    import nbformat

    nb = notebook(PAGE.read_text())
    NOTEBOOK.write_text(nbformat.writes(nb) + "\n")
    print(f"wrote {NOTEBOOK.relative_to(Path.cwd()) if NOTEBOOK.is_relative_to(Path.cwd()) else NOTEBOOK}"
          f" ({len(nb.cells)} cells)", file=sys.stderr)


if __name__ == "__main__":
    main()
