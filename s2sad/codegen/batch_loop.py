"""The batch loop's source (s2sad/batch.py): a Python function that calls the mapped
element once per index of the batch axis and stacks the results, and its `numba.prange`
driver for target="parallel"."""

from __future__ import annotations

from .. import pytree
from ..ir.types import ArrayT

_DTYPES = {"f64": "np.float64", "f32": "np.float32", "i64": "np.int64", "bool": "np.bool_"}
_NAN = {"f64": "np.nan", "f32": "np.float32(np.nan)"}  # (a float32 output stays float32)

def leaf_dtype(t) -> str:
    return (t.dtype if isinstance(t, ArrayT) else t).name


def _index(arg: str, axis: int, i: str) -> str:
    return f"{arg}[{', '.join([':'] * axis + [i])}]"


def _element(arg: str, axis: int, i: str, tree, classes: dict) -> str:
    """The expression of element i of argument `arg` (a value tree: each leaf indexed)."""
    if tree is None or tree.is_leaf:
        return _index(arg, axis, i)
    return _build(tree, iter(_index(arg + p, axis, i) for p in tree.paths()), classes)


def _alloc(out: str, t, dims: list, axis: int) -> str:
    """`out = np.empty(...)`: an output of element type t and shape `dims`, the batch axis
    (n) inserted at `axis`."""
    dims = list(dims)
    dims.insert(axis, "n")
    return f"{out} = np.empty(({', '.join(dims)},), dtype={_DTYPES[leaf_dtype(t)]})"


def _build(tree, names, classes: dict) -> str:
    """The expression of a value tree whose leaves are `names`, in order."""
    if tree.is_leaf:
        return next(names)
    parts = [_build(c, names, classes) for c in tree.children]
    if tree.kind == "dict":
        return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(tree.meta, parts)) + "}"
    if tree.kind == "namedtuple":
        name = f"_s2sad_T{len(classes)}"
        classes[name] = tree.meta
        return f"{name}({', '.join(parts)})"
    if tree.kind == "none":
        return "None"
    inner = ", ".join(parts) + ("," if len(parts) == 1 else "")
    return f"[{inner}]" if tree.kind == "list" else f"({inner})"


def shapes_in_args(dims: list, types: tuple, axes: tuple) -> list:
    """Each output leaf's element shape as expressions of the batch loop's arguments
    (analysis/shapes.py), or None where the element's ops do not say it."""
    where = []  # per element parameter: (argument's expression, its mapped axis)
    for i, (t, a) in enumerate(zip(types, axes)):
        if isinstance(t, pytree.TreeType):
            where += [(f"a{i}{p}", a) for p in t.tree.paths()]
        else:
            where.append((f"a{i}", a))
    out = []
    for d in dims:
        if d is None:
            out.append(None)
            continue
        exprs = []
        for kind, *rest in d:
            if kind == "const":
                exprs.append(str(rest[0]))
            elif rest[0] < len(where):
                arg, a = where[rest[0]]
                j = rest[1] if a is None or rest[1] < a else rest[1] + 1
                exprs.append(f"{arg}.shape[{j}]")
            else:  # a free value's shape: not an argument of the loop
                exprs = None
                break
        out.append(exprs)
    return out


def write_loop(name: str, axes: tuple, tree, leaves: list, out_axes: list,
               arg_trees: list | None = None, classes: dict | None = None,
               shapes: list | None = None) -> str:
    """The source of the batch loop (see the module docstring); `arg_trees` the structure
    of pytree arguments (None for the others), `classes` gets the NamedTuple classes the
    source names, `shapes` the element shape of each output leaf as expressions of the
    arguments where known (else element 0 is computed before the loop)."""
    arg_trees = arg_trees or [None] * len(axes)
    classes = {} if classes is None else classes
    shapes = shapes or [None] * len(leaves)
    params = [f"a{i}" for i in range(len(axes))]
    k = len(leaves)
    ls, os_ = [f"l{j}" for j in range(k)], [f"o{j}" for j in range(k)]
    peel = any(isinstance(t, ArrayT) and t.ndim and sh is None
               for t, sh in zip(leaves, shapes))

    def call(i: str) -> str:
        got = ", ".join(p if a is None else _element(p, a, i, t, classes)
                        for p, a, t in zip(params, axes, arg_trees))
        if tree.is_leaf:
            return f"{ls[0]} = _s2sad_elem({got})"
        # element 0 is computed before the loop (its own name: no tuple is carried)
        pad, r = ("\n    ", "r0") if i == "0" else ("\n        ", "r")
        return f"{r} = _s2sad_elem({got})" + "".join(
            f"{pad}{lj} = {r}{path}" for lj, path in zip(ls, tree.paths()))

    def alloc(j: int) -> str:
        nd = leaves[j].ndim if isinstance(leaves[j], ArrayT) else 0
        dims = shapes[j] if shapes[j] is not None and not peel else \
            [f"{ls[j]}.shape[{d}]" for d in range(nd)]
        return _alloc(os_[j], leaves[j], dims, out_axes[j])

    def store(j: int, i: str) -> str:
        return f"{_index(os_[j], out_axes[j], i)} = {ls[j]}"

    sizes = [f"a{i}" + (arg_trees[i].paths()[0] if arg_trees[i] else "") + f".shape[{a}]"
             for i, a in enumerate(axes) if a is not None]
    n = sizes[0] if len(sizes) == 1 else "min(" + ", ".join(sizes) + ")"
    body = [f"def {name}({', '.join(params)}):", f"    n = {n}"]
    if peel:
        body.append("    " + call("0"))
        body += ["    " + alloc(j) for j in range(k)]
        body += ["    " + store(j, "0") for j in range(k)]
        body.append("    for b in range(1, n):")
    else:
        body += ["    " + alloc(j) for j in range(k)]
        body.append("    for b in range(n):")
    body.append("        " + call("b"))
    body += ["        " + store(j, "b") for j in range(k)]
    floats = [j for j, t in enumerate(leaves) if leaf_dtype(t) in _NAN]
    if len(sizes) > 1 and floats:  # (calls from Python refuse this with BadArguments)
        body.append(f"    if {' or '.join(f'n != {z}' for z in sizes)}:  # mapped axes of "
                    "different sizes: no number is right")
        body += [f"        {os_[j]} = {os_[j]} * {_NAN[leaf_dtype(leaves[j])]}"
                 for j in floats]  # (derivatives too)
    body.append(f"    return {_build(tree, iter(os_), classes)}")
    return "\n".join(body) + "\n"


def write_driver(name: str, axes: tuple, leaves: list, out_axes: list, n_free: int,
                 key: str) -> str:
    """target="parallel": the source of a numba.prange loop over `_s2sad_elem`, the
    element's compiled function (the element of generated source `key`)."""
    params = [f"a{i}" for i in range(len(axes))]
    free = [f"f{i}" for i in range(n_free)]
    first = next(i for i, a in enumerate(axes) if a is not None)
    k = len(leaves)
    pick = (lambda j: "r") if k == 1 else (lambda j: f"r[{j}]")

    def call(i: str) -> str:
        got = [p if a is None else _index(p, a, i) for p, a in zip(params, axes)]
        return f"r = _s2sad_elem({', '.join(got + free)})"

    def alloc(j: int) -> str:
        nd = leaves[j].ndim if isinstance(leaves[j], ArrayT) else 0
        return _alloc(f"o{j}", leaves[j], [f"{pick(j)}.shape[{d}]" for d in range(nd)],
                      out_axes[j])

    lines = [f"# s2sad: the batch loop over the element of source {key}, on every core.",
             "import numba", "import numpy as np", "", "",
             f"def {name}({', '.join(params + free)}):",
             f"    n = a{first}.shape[{axes[first]}]"]
    if any(isinstance(t, ArrayT) and t.ndim for t in leaves):
        lines.append("    " + call("0"))
    lines += ["    " + alloc(j) for j in range(k)]
    lines.append("    for b in numba.prange(n):")
    lines.append("        " + call("b"))
    lines += [f"        {_index(f'o{j}', out_axes[j], 'b')} = {pick(j)}" for j in range(k)]
    lines.append(f"    return {', '.join(f'o{j}' for j in range(k))}" + ("," if k == 1 else ""))
    return "\n".join(lines) + "\n"
