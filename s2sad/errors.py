"""Errors raised by s2sad, and the source locations they point at.

Every error that concerns the user's code renders as

    s2sad.errors.UnsupportedSyntax: try/except cannot be differentiated
      File "model.py", line 14, column 9, in loss
            try:
            ^~~
      hint: move the try/except outside the function you differentiate
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLoc:
    """A position in the user's source: 1-based line, 0-based column."""

    file: str
    line: int
    col: int
    func: str = ""
    text: str = ""  # the whole source line
    width: int = 1  # length of the construct on that line, for the ~~~ underline

    def render(self) -> str:
        where = f'  File "{self.file}", line {self.line}, column {self.col + 1}'
        if self.func:
            where += f", in {self.func}"
        if not self.text:
            return where
        caret = " " * self.col + "^" + "~" * max(0, min(self.width, len(self.text) - self.col) - 1)
        return f"{where}\n    {self.text}\n    {caret}"

    def short(self) -> str:
        return f"{self.file}:{self.line}:{self.col + 1}"


class S2SADError(Exception):
    """Base class: something in the user's code s2sad cannot differentiate, or a bad call."""

    def __init__(self, message: str, loc: SourceLoc | None = None, hint: str | None = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts = [self.message]
        if self.loc is not None:
            parts.append(self.loc.render())
        if self.hint:
            parts.append(f"  hint: {self.hint}")
        return "\n".join(parts)

    @property
    def line(self) -> int | None:
        return self.loc.line if self.loc else None

    def one_line(self) -> str:
        where = f"{self.loc.short()}: " if self.loc else ""
        return f"{type(self).__name__}: {where}{self.message}"


class SourceUnavailable(S2SADError):
    """The function's source text cannot be read (REPL, exec, builtins)."""


class UnsupportedSyntax(S2SADError):
    """A Python construct outside the subset s2sad differentiates."""


class NoRuleError(S2SADError):
    """A call to a function that has no derivative rule and no source to lower."""


class TypeMismatch(S2SADError, TypeError):
    """Operand types s2sad cannot reconcile (e.g. a string on the differentiated path)."""


class NonDifferentiableOutput(S2SADError, TypeError):
    """The output asked about is not a float (int, bool) or grad of a non-scalar."""


class BadArguments(S2SADError, TypeError):
    """A transform or compiled derivative was called with arguments it cannot take."""


class DeviceUnsupported(S2SADError):
    """Code that the CUDA target cannot run (array operations inside the element)."""


class DeviceMemory(S2SADError):
    """The tapes of a batch do not fit in the GPU's memory."""


class S2SADCacheWarning(UserWarning):
    """A fault of the on-disk cache (unusable folder, damaged entry): s2sad compiled in
    memory instead, and carries on."""
