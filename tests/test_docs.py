"""The docs site's generated page: the rule table lists every rule of the registry."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _gen_rules():
    spec = importlib.util.spec_from_file_location("gen_rules", ROOT / "docs" / "gen_rules.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_rules"] = module
    spec.loader.exec_module(module)
    return module


def test_rule_table_lists_every_rule():
    from s2sad.rules import RULES

    text = _gen_rules().table()
    rows = {line.split("|")[1].strip().strip("`") for line in text.splitlines()
            if line.startswith("| `")}
    assert {str(getattr(k, "name", k)) for k in RULES} == rows


def test_rule_table_rows_read_as_the_rules_module():
    lines = _gen_rules().table().splitlines()
    row = next(line for line in lines if line.startswith("| `sin` |"))
    assert "`math.sin`" in row and "`np.sin`" in row and "`x, ans → cos(x)`" in row
    mul = next(line for line in lines if line.startswith("| `mul` |"))
    assert "`a * b`" in mul and "`x, y, ans → (y, x)`" in mul
