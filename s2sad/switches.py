"""S2SAD_DISABLE=gather,fuse,tbr: the optional stages and optimisations turned off (for
comparisons and debugging; docs/optimizations.md lists them)."""

from __future__ import annotations

import os


def disabled() -> set[str]:
    """The names in S2SAD_DISABLE."""
    return set(filter(None, os.environ.get("S2SAD_DISABLE", "").split(",")))


def off(name: str) -> bool:
    """Whether S2SAD_DISABLE names `name`."""
    return name in disabled()
