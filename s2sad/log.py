"""Compile logging, like `jax.log_compiles`: `logging.getLogger("s2sad")` reports each
compile with its stage times (lower, differentiate, passes, codegen, numba), at DEBUG, and
at INFO when a compile takes over `SLOW_S` seconds; a disk-cache hit reports its load time.

    S2SAD_LOG=info python script.py      # slow compiles and what they spent, on stderr
    S2SAD_LOG=debug python script.py     # every compile

(Or configure the "s2sad" logger as any other.)
"""

from __future__ import annotations

import logging
import os
import sys

logger = logging.getLogger("s2sad")
SLOW_S = 2.0
STAGES = ("lower", "differentiate", "passes", "codegen", "numba")


def _from_env() -> None:
    level = os.environ.get("S2SAD_LOG", "").strip().upper()
    if not level:
        return
    logger.setLevel(getattr(logging, level, logging.INFO) if not level.isdigit()
                    else int(level))
    if not logger.handlers:
        h = logging.StreamHandler(sys.stderr)
        h.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger.addHandler(h)


_from_env()


def compiled(what: str, times: dict[str, float], source: str = "compiled") -> None:
    """One compile of `what` (a function and its request), with the seconds of each stage;
    `source`: "compiled", or "disk cache" for a hit that skipped the pipeline."""
    total = sum(times.values())
    level = logging.INFO if total > SLOW_S else logging.DEBUG
    if not logger.isEnabledFor(level):
        return
    # (the record carries the figures too: record.s2sad_times, record.s2sad_origin)
    parts = ", ".join(f"{k} {v:.3f} s" for k, v in times.items())
    logger.log(level, "%s %s in %.3f s (%s)", source, what, total, parts,
               extra={"s2sad_times": dict(times), "s2sad_origin": source})
