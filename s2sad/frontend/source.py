"""Source text of a function, parsed by libcst with positions kept."""

from __future__ import annotations

import inspect
import linecache
import textwrap
import weakref
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..errors import SourceLoc, SourceUnavailable


@dataclass
class ParsedFunction:
    fn: object  # the Python function
    node: cst.FunctionDef | cst.Lambda
    positions: dict  # libcst node -> CodeRange (relative to the dedented snippet)
    file: str
    first_line: int  # line in `file` of the snippet's first line
    indent: int  # columns removed by dedent
    lines: list[str]  # the file's lines (for carets)
    code: object = None  # fn.__code__ when parsed (a redefined function gets a new one)

    def loc(self, node: cst.CSTNode, func: str | None = None) -> SourceLoc:
        rng = self.positions.get(node)
        if rng is None:
            return SourceLoc(self.file, self.first_line, 0, func or self.name)
        line = self.first_line + rng.start.line - 1
        col = rng.start.column + self.indent
        text = self.lines[line - 1].rstrip("\n") if 0 < line <= len(self.lines) else ""
        width = rng.end.column - rng.start.column if rng.end.line == rng.start.line else len(text) - col
        return SourceLoc(self.file, line, col, func or self.name, text, max(1, width))

    @property
    def name(self) -> str:
        return getattr(self.fn, "__name__", "<lambda>")


_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def parse_function(fn) -> ParsedFunction:
    """Parse the source of `fn` (a def or a lambda) and keep node positions."""
    # keyed by the function object: closures share one code object but not their cells,
    # and equal code in two modules resolves names against different globals
    key = fn
    if key in _cache and _cache[key].code is getattr(fn, "__code__", None):
        return _cache[key]
    name = getattr(fn, "__name__", repr(fn))
    try:
        file = inspect.getsourcefile(fn) or inspect.getfile(fn)
        src_lines, first_line = inspect.getsourcelines(fn)
    except (OSError, TypeError) as e:
        raise SourceUnavailable(
            f"cannot read the source of {name!r} ({e})",
            hint="s2sad reads a function's source; define it in a .py file (not in a REPL or "
            "exec string) so inspect.getsource can find it",
        ) from None
    first_line = max(first_line, 1)
    snippet = "".join(src_lines)
    dedented = textwrap.dedent(snippet)
    indent = len(src_lines[0]) - len(src_lines[0].lstrip()) if src_lines else 0
    lines = linecache.getlines(file) or src_lines
    try:
        wrapper = MetadataWrapper(cst.parse_module(dedented), unsafe_skip_copy=True)
    except cst.ParserSyntaxError:
        # a lambda in the middle of an expression: parse the line as an expression statement
        wrapper = MetadataWrapper(cst.parse_module("(" + dedented.strip() + ")\n"))
        indent -= 1
    positions = wrapper.resolve(PositionProvider)
    node = _find(wrapper.module, fn, name)
    if node is None:
        raise SourceUnavailable(
            f"cannot find the definition of {name!r} in {file}",
            SourceLoc(file, first_line, 0, name),
            hint="write the function with `def` (one lambda per line at most)",
        )
    pf = ParsedFunction(fn, node, positions, file, first_line, indent, lines)
    pf.code = getattr(fn, "__code__", None)
    _cache[key] = pf
    return pf


def _find(module: cst.Module, fn, name: str):
    if name != "<lambda>":
        for node in module.body:
            if isinstance(node, cst.FunctionDef) and node.name.value == name:
                return node
        return None
    code = fn.__code__
    params = list(code.co_varnames[: code.co_argcount])
    found = []

    class Finder(cst.CSTVisitor):
        def visit_Lambda(self, node: cst.Lambda) -> None:
            if [p.name.value for p in node.params.params] == params:
                found.append(node)

    module.visit(Finder())
    return found[0] if len(found) == 1 else None
