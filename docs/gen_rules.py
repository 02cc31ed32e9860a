"""The rule table of the docs site, generated from s2sad's registry.

Reads s2sad.rules.RULES (the derivative of each primitive) and s2sad.ir.primitives
(PRIMS, and CALLABLES: the Python objects that lower to each primitive) and writes one
Markdown table. mkdocs builds the page from it at every build (docs/hooks.py), so the
page cannot drift from the code; `python docs/gen_rules.py` prints it.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

KINDS = {
    "partials": "partials: forward mode sums `p_i x_i_dot`, reverse mode adds `p_i ans_bar` "
                "to `x_i_bar`",
    "linear": "linear: the tangent is the op applied to the tangents; the entry is the adjoint",
    "rule": "rule: tangent and adjoint given side by side",
    "nondiff": "zero derivative (piecewise constant), declared",
}


def _name(key) -> str:
    return str(getattr(key, "name", key))


def spelling(obj) -> str | None:
    """How a user writes the Python object (math.sin, np.sin, np.linalg.solve, abs), or
    None for s2sad's internal helpers and NumPy's private aliases."""
    import math

    import numpy as np

    import s2sad

    name = getattr(obj, "__name__", None)
    if not isinstance(name, str):
        return None
    for prefix, namespace in (("", __builtins__), ("math.", math), ("np.", np),
                              ("np.linalg.", np.linalg), ("s2sad.", s2sad)):
        ns = namespace if isinstance(namespace, dict) else vars(namespace)
        if ns.get(name) is obj:
            return prefix + name
    return None


@cache
def _lambdas(path: str) -> dict[int, list[ast.Lambda]]:
    text = Path(path).read_text()
    found: dict[int, list[ast.Lambda]] = defaultdict(list)
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Lambda):
            found[node.lineno].append(node)
    return found


def formula(fn) -> str:
    """A rule function as text: a lambda's body (with its parameters), else its name."""
    if fn is None:
        return ""
    code = getattr(fn, "__code__", None)
    if code is None:
        return getattr(fn, "__name__", type(fn).__name__)
    if fn.__name__ != "<lambda>":
        return f"{fn.__name__}()"
    try:
        path = inspect.getsourcefile(fn)
        params = list(code.co_varnames[:code.co_argcount])
        for node in _lambdas(path).get(code.co_firstlineno, []):
            if [a.arg for a in node.args.args] == params:
                body = ast.unparse(node.body)
                return f"{', '.join(params)} → {body}"
    except (OSError, TypeError, SyntaxError):
        pass
    return "lambda"


def _cell(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip().replace("|", "\\|")
    return f"`{text}`" if text else ""


def table() -> str:
    from s2sad.ir import primitives
    from s2sad.rules import RULES

    spellings: dict[str, list[str]] = defaultdict(list)
    for obj, key in getattr(primitives, "CALLABLES", {}).items():
        s = spelling(obj)
        if s is not None and s not in spellings[_name(key)]:
            spellings[_name(key)].append(s)
    prims = {_name(k): p for k, p in getattr(primitives, "PRIMS", {}).items()}

    by_module: dict[str, list] = defaultdict(list)
    for key, rule in RULES.items():
        fns = [getattr(rule, a, None) for a in ("partials", "tangent", "adjoint")]
        module = next((f.__module__ for f in fns if getattr(f, "__module__", None)),
                      "s2sad.rules.scalar")
        by_module[module].append((_name(key), rule))

    out = [
        "# Rule table (generated)",
        "",
        "Generated from the registry at every docs build (`docs/gen_rules.py` reads "
        "`s2sad.rules.RULES` and `s2sad.ir.primitives`): every primitive with a derivative, "
        "the Python spellings that lower to it, and its entry as it is written in the rules "
        "module. The partials are expressions over the arguments and the result `ans`; "
        "[rules.md](rules.md) explains the forms and [conventions.md](conventions.md) the "
        "kinks.",
        "",
        "Entry kinds: " + "; ".join(KINDS.values()) + ".",
        "",
    ]
    for module in sorted(by_module):
        entries = sorted(by_module[module], key=lambda e: e[0])
        out += [f"## `{module}`", "", f"{len(entries)} primitives.", "",
                "| primitive | written as | kind | derivative |", "|---|---|---|---|"]
        for name, rule in entries:
            p = prims.get(name)
            written = list(spellings.get(name, []))
            infix = getattr(p, "infix", None)
            if infix:
                written.insert(0, f"a {infix} b" if getattr(p, "arity", 2) == 2 else f"{infix}a")
            kind = getattr(rule, "kind", "?")
            if kind == "partials":
                deriv = formula(rule.partials)
            elif kind == "nondiff":
                deriv = "0"
            elif kind == "linear":
                deriv = "adjoint: " + formula(rule.adjoint)
            else:
                deriv = f"tangent: {formula(rule.tangent)}; adjoint: {formula(rule.adjoint)}"
            out.append(f"| `{name}` | {', '.join(_cell(w) for w in written[:8])} | {kind} | "
                       f"{_cell(deriv)} |")
        out.append("")
    rest = sorted(set(prims) - {_name(k) for k in RULES})
    out += ["## Primitives without a rule", "",
            "Structural operations the transforms handle themselves (allocation, element "
            "loads and stores, ...); differentiating any other primitive without a rule "
            "raises `NoRuleError`:", "",
            ", ".join(f"`{n}`" for n in rest) + ".", ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(table())
