"""The CUDA spelling of a batch loop: the generated Numba source of vmap's loop (scalar
elements) rewritten into one fused numba-cuda kernel.

- the batch loop becomes a grid-stride loop, `for b in range(cuda.grid(1), n, stride)`;
- the outputs are arguments the launcher allocates (`o0[b] = ...` stays);
- each recording stack becomes a slice of a global tape `T_x[sp, tid]` allocated before
  launch with a capacity `cap_x`: neighbouring threads touch neighbouring addresses, and
  a push (or a store into a reserved tape) past the capacity sets the overflow flag (the launcher grows the tape and runs
  again: never silent corruption); reads clamp to the capacity;
- nothing is allocated in device code: any other NumPy or runtime call in the element is
  refused (DeviceUnsupported), so what compiles to PTX is what was checked here.
One kernel, no device functions: compiling a call to a device function asks for a GPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ..errors import DeviceUnsupported


@dataclass
class Tape:
    name: str  # the stack's name in the Numba source (tape_f)
    dtype: str  # "float64" or "int64"
    reserve: int = 0  # the constant room its reserves ask for (a first capacity)


@dataclass
class KernelPlan:
    name: str
    source: str
    n_in: int  # the loop's parameters (the batch arguments, then the free values)
    outputs: list[str] = field(default_factory=list)  # dtypes of o0, o1, ...
    tapes: list[Tape] = field(default_factory=list)


def _refuse(what: str) -> None:
    raise DeviceUnsupported(
        f"target='cuda' cannot run {what} inside a batch element (device code allocates "
        "nothing and calls no NumPy)", hint="map scalar elements on the GPU (arrays as "
        "shared arguments are fine), or use target='parallel' for elements that are arrays")


_STATEMENTS = ("np.empty", "_rt.reserve", "_rt.push")  # the stack statements rewritten


def _calls(node) -> list[str]:
    out = []

    class V(cst.CSTVisitor):
        def visit_Call(self, c):
            out.append(_dotted(c.func))

    node.visit(V())
    return out


def _dotted(e) -> str:
    if isinstance(e, cst.Name):
        return e.value
    if isinstance(e, cst.Attribute):
        return f"{_dotted(e.value)}.{e.attr.value}"
    return ""


class _Kernel(cst.CSTTransformer):
    def __init__(self, name: str):
        self.name = name
        self.tapes: dict[str, Tape] = {}
        self.outputs: list[str] = []
        self.depth = 0  # loop depth inside the function
        self.n_in = 0

    # -- the tapes
    def _tape(self, node) -> Tape | None:
        return self.tapes.get(node.value) if isinstance(node, cst.Name) else None

    def leave_SimpleStatementLine(self, orig, node):
        s = node.body[0]
        if isinstance(s, cst.Assign) and len(s.targets) == 1:
            tgt, val = s.targets[0].target, s.value
            call = _dotted(val.func) if isinstance(val, cst.Call) else ""
            if isinstance(tgt, cst.Name) and call == "np.empty" and self.depth == 0 and \
                    tgt.value.startswith("o") and tgt.value[1:].isdigit():
                dt = "float64"
                for a in val.args:
                    if a.keyword is not None and a.keyword.value == "dtype":
                        dt = _dotted(a.value).split(".")[-1].replace("bool_", "bool")
                self.outputs.append(dt)
                return cst.RemoveFromParent()
            if isinstance(tgt, cst.Name) and call == "np.empty" and self.depth > 0 and \
                    tgt.value.startswith("tape"):
                dt = "int64" if "int64" in cst.Module([]).code_for_node(val) else "float64"
                self.tapes[tgt.value] = Tape(tgt.value, dt)
                return cst.RemoveFromParent()
            if call == "_rt.reserve" and self._tape(tgt) is not None:
                room = val.args[1].value
                if isinstance(room, cst.Integer):
                    self._tape(tgt).reserve += int(room.value)
                return cst.RemoveFromParent()
            if call == "_rt.push" and self._tape(tgt) is not None:
                t = self._tape(tgt)
                sp, v = val.args[1].value, val.args[2].value
                code = cst.Module([]).code_for_node
                stmt = cst.parse_statement(
                    f"if {code(sp)} < cap_{t.name}:\n"
                    f"    T_{t.name}[{code(sp)}, tid] = {code(v)}\n"
                    f"else:\n    overflow[0] = 1\n")
                return cst.FlattenSentinel([stmt])
        if isinstance(s, cst.Assign) and len(s.targets) == 1 and isinstance(
                s.targets[0].target, cst.Subscript) and self._tape(s.targets[0].target.value):
            # a plain store into a reserved tape (tape[sp] = v): guarded like a push
            sub = s.targets[0].target
            t = self._tape(sub.value)
            code = cst.Module([]).code_for_node
            idx = code(sub.slice[0].slice.value)
            return cst.FlattenSentinel([cst.parse_statement(
                f"if {idx} < cap_{t.name}:\n    T_{t.name}[{idx}, tid] = {code(s.value)}\n"
                f"else:\n    overflow[0] = 1\n")])
        if isinstance(s, cst.Return):
            return cst.RemoveFromParent()
        for c in _calls(s):
            if c in _STATEMENTS:
                _refuse(f"{c}(...)")
        return node

    def visit_AssignTarget(self, node):
        self.target = True

    def leave_AssignTarget(self, orig, node):
        self.target = False
        return node

    def leave_Subscript(self, orig, node):
        t = self._tape(node.value)
        if t is None or getattr(self, "target", False):  # stores: leave_SimpleStatementLine
            return node
        code = cst.Module([]).code_for_node
        idx = code(node.slice[0].slice.value)
        return cst.parse_expression(f"T_{t.name}[min({idx}, cap_{t.name} - 1), tid]")

    def leave_Call(self, orig, node):
        name = _dotted(node.func)
        if name == "_rt.trip_count":  # len(range(a, b, c)), written out (no device functions)
            a, b, c = (cst.Module([]).code_for_node(x.value) for x in node.args)
            up, down = f"max(0, ({b} - {a} + {c} - 1) // {c})", \
                f"max(0, ({a} - {b} - {c} - 1) // (-{c}))"
            try:
                step = int(c)
            except ValueError:
                return cst.parse_expression(f"({up} if {c} > 0 else {down})")
            return cst.parse_expression(up if step > 0 else down)
        if name.startswith(("np.", "_rt.", "numpy.")) and name not in _STATEMENTS:
            _refuse(f"{name}(...)")
        return node

    # -- loops
    def visit_For(self, node):
        self.depth += 1

    def leave_For(self, orig, node):
        self.depth -= 1
        if self.depth == 0:  # the batch loop: a grid-stride loop
            it = node.iter
            if not (isinstance(it, cst.Call) and _dotted(it.func) == "range" and
                    len(it.args) == 1):
                _refuse("a batch loop that does not start at 0 (array outputs)")
            n = cst.Module([]).code_for_node(it.args[0].value)
            return node.with_changes(iter=cst.parse_expression(
                f"range(tid, {n}, cuda.gridsize(1))"),
                body=node.body.with_changes(body=[
                    *node.body.body]))
        return node

    def visit_While(self, node):
        self.depth += 1

    def leave_While(self, orig, node):
        self.depth -= 1
        return node

    def leave_FunctionDef(self, orig, node):
        params = [p.name.value for p in node.params.params]
        self.n_in = len(params)
        extra = [f"o{j}" for j in range(len(self.outputs))]
        extra += [f"T_{t}" for t in self.tapes] + [f"cap_{t}" for t in self.tapes]
        extra.append("overflow")
        ps = node.params.with_changes(params=[
            *node.params.params, *[cst.Param(cst.Name(x)) for x in extra]])
        first = cst.parse_statement("tid = cuda.grid(1)\n")
        stmts = list(node.body.body)
        loops = [i for i, st in enumerate(stmts) if isinstance(st, cst.For)]
        if loops:  # after the batch loop: the checks of calls from inside code (launches
            stmts = stmts[:loops[-1] + 1]  # come from Python, which checked the sizes)
        body = node.body.with_changes(body=[first, *stmts])
        return node.with_changes(params=ps, body=body, name=cst.Name(self.name))


def kernel_source(numba_source: str, fn_name: str) -> KernelPlan:
    """The fused kernel for the generated batch loop `fn_name` in `numba_source`."""
    mod = cst.parse_module(numba_source)
    fdef = next(s for s in mod.body if isinstance(s, cst.FunctionDef) and
                s.name.value == fn_name)
    name = f"{fn_name}_kernel"
    k = _Kernel(name)
    new = fdef.visit(k)
    header = [ln for ln in numba_source.splitlines() if ln.startswith("# s2sad")]
    lines = [*header, "# CUDA kernel: one thread per batch element (grid-stride), tapes in "
             "global memory.", "import math", "", "from numba import cuda", "", "",
             cst.Module([new]).code.strip("\n"), ""]
    return KernelPlan(name, "\n".join(lines), k.n_in, k.outputs, list(k.tapes.values()))
