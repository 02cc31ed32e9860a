"""The layering is a test: every import in s2sad (at module level and inside functions)
goes down the pipeline, never up; no import cycles; no import repeated inside a function.

    {errors, pytree, log, switches} <- ir <- rules <- {frontend, analysis} <- transforms <- passes
           <- {codegen, runtime} <- backends <- pipeline
           <- {checks, compile, jacobians, results, linear, compose, interop, custom}
           <- api <- {testing, cli} <- {__init__, __main__}

(docs/index.md draws the same arrows.) ir imports nothing of s2sad but errors, and
nothing below the API imports the API.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "s2sad"

# layer of each part of the package: a module may import from its own layer's part and
# from the parts of lower layers
LAYERS = {
    "errors": 0, "pytree": 0, "log": 0, "switches": 0,
    "ir": 1,
    "rules": 2,
    "frontend": 3, "analysis": 3,
    "transforms": 4,
    "passes": 5,
    "codegen": 6, "runtime": 6,
    "backends": 7,
    "pipeline": 8,
    "checks": 9, "compile": 9, "jacobians": 9, "results": 9, "linear": 9, "compose": 9,
    "interop": 9, "custom": 9, "batch": 9,
    "api": 10,
    "testing": 11, "cli": 11,
    "__init__": 12, "__main__": 12,
}
# parts of one layer that may use each other, in this direction only
SIDEWAYS = {("compile", "checks"), ("jacobians", "checks"), ("jacobians", "compile"),
            ("results", "checks"), ("linear", "checks"), ("linear", "compile"),
            ("linear", "results"), ("compose", "checks"), ("compose", "compile"),
            ("compose", "results"), ("compose", "jacobians"), ("interop", "checks"),
            ("interop", "compile"), ("batch", "checks"), ("batch", "compile"), ("jacobians", "batch"),
            ("compose", "batch")}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 2:
            parts = parts[:-1]
        yield ".".join(parts), path


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(module: str, path: Path):
    """(target module, line, inside a function) for every import of s2sad modules."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    inside = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
              for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            names = [f"{target}.{a.name}" for a in node.names] if node.module is None \
                else [target]
            for t in names:
                yield t, node.lineno, id(node) in inside
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("s2sad"):
            yield node.module, node.lineno, id(node) in inside
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("s2sad"):
                    yield a.name, node.lineno, id(node) in inside


MODULES = dict(_modules())


def _resolve(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_pipeline(module):
    me = _part(module)
    for target, line, _ in _imports(module, MODULES[module]):
        t = _resolve(target)
        if t is None or t == module:
            continue
        other = _part(t)
        if other == me or (me, other) in SIDEWAYS:
            continue
        assert LAYERS[other] < LAYERS[me], (
            f"{module}:{line} imports {t}: {me} (layer {LAYERS[me]}) may not import {other} "
            f"(layer {LAYERS[other]})")


def test_ir_imports_nothing_of_s2sad_but_errors():
    for module, path in MODULES.items():
        if _part(module) == "ir":
            for target, line, _ in _imports(module, path):
                part = _part(_resolve(target) or target)
                assert part in ("ir", "errors"), f"{module}:{line} imports {target}"
            assert "numba" not in path.read_text(), f"{module} mentions numba"


def test_no_import_cycles():
    graph = {m: {_resolve(t) for t, _, _ in _imports(m, p)} - {None, m} for m, p in MODULES.items()}
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for n in graph.get(m, ()):
            if state.get(n) == 1:
                pytest.fail("import cycle: " + " -> ".join(path[path.index(n):] + [n]))
            if n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [m])


def test_no_repeated_lazy_imports():
    """An import inside a function is there for a reason (numba is loaded only when a CPU
    compile needs it); one that repeats a module-level import is noise."""
    for module, path in MODULES.items():
        imports = list(_imports(module, path))
        top = {t for t, _, lazy in imports if not lazy}
        again = [(t, line) for t, line, lazy in imports if lazy and t in top]
        assert not again, f"{module}: imports again inside a function: {again}"


def test_modules_are_small():
    """Small modules with one job: none over 500 lines."""
    big = {str(p.relative_to(ROOT)): n for _, p in _modules()
           if (n := len(p.read_text().splitlines())) > 500}
    assert big == {}
