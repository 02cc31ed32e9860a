"""Questions about the source's syntax tree (libcst) the lowering asks: which names a
block assigns, whether it contains a return or a break, its statements."""

from __future__ import annotations

import libcst as cst

BINOPS = {
    cst.Add: "add", cst.Subtract: "sub", cst.Multiply: "mul", cst.Divide: "div",
    cst.FloorDivide: "floordiv", cst.Modulo: "mod", cst.Power: "pow",
    cst.MatrixMultiply: "matmul",
}
AUGOPS = {
    cst.AddAssign: "add", cst.SubtractAssign: "sub", cst.MultiplyAssign: "mul",
    cst.DivideAssign: "div", cst.FloorDivideAssign: "floordiv", cst.ModuloAssign: "mod",
    cst.PowerAssign: "pow", cst.MatrixMultiplyAssign: "matmul",
}
CMPOPS = {
    cst.LessThan: "lt", cst.LessThanEqual: "le", cst.GreaterThan: "gt",
    cst.GreaterThanEqual: "ge", cst.Equal: "eq", cst.NotEqual: "ne",
}
def assigned_names(stmts) -> set[str]:
    """Names a statement list (and its nested blocks) assigns to."""
    out: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_AssignTarget(self, node):
            target_names(node.target, out)

        def visit_AugAssign(self, node):
            target_names(node.target, out)

        def visit_AnnAssign(self, node):
            target_names(node.target, out)

        def visit_For(self, node):
            target_names(node.target, out)

        def visit_FunctionDef(self, node):
            return False

    for s in stmts:
        s.visit(V())
    return out


def names_outside(fn_node, loop) -> set[str]:
    """The names that occur in a function outside one of its loops."""
    out: set[str] = set()

    class V(cst.CSTVisitor):
        def on_visit(self, node):
            if node is loop:
                return False
            if isinstance(node, cst.Name):
                out.add(node.value)
            return True

    fn_node.visit(V())
    return out


def target_names(t, out: set[str]) -> None:
    if isinstance(t, cst.Name):
        out.add(t.value)
    elif isinstance(t, (cst.Tuple, cst.List)):
        for el in t.elements:
            target_names(el.value, out)


def contains(stmts, kinds, into_loops: bool) -> bool:
    found = False

    class V(cst.CSTVisitor):
        def on_visit(self, node):
            nonlocal found
            if isinstance(node, kinds):
                found = True
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                return False
            if not into_loops and isinstance(node, (cst.For, cst.While)):
                if node.orelse is not None:  # a loop's `else:` runs at the level around it
                    node.orelse.visit(self)
                return False
            return not found

    for s in stmts:
        s.visit(V())
    return found


def body_of(node) -> list:
    """The statements of an indented block or a one-line suite (`def f(x): return x`)."""
    b = node.body
    if isinstance(b, cst.IndentedBlock):
        return list(b.body)
    return [cst.SimpleStatementLine(body=b.body)]

def returns_none(body) -> bool:
    """No `return` in `body` gives a value other than None."""
    found = []

    class V(cst.CSTVisitor):
        def visit_Return(self, node):
            v = node.value
            if v is not None and not (isinstance(v, cst.Name) and v.value == "None"):
                found.append(node)

        def visit_FunctionDef(self, node):
            return False

        def visit_Lambda(self, node):
            return False

    for st in body:
        st.visit(V())
    return not found


def is_newaxis(el: cst.SubscriptElement) -> bool:
    """`None` or `np.newaxis` as an index."""
    v = el.slice.value if isinstance(el.slice, cst.Index) else None
    return (isinstance(v, cst.Name) and v.value == "None") or \
        (isinstance(v, cst.Attribute) and v.attr.value == "newaxis")


def is_full_slice(el: cst.SubscriptElement) -> bool:
    """A bare `:`."""
    s = el.slice
    return isinstance(s, cst.Slice) and s.lower is None and s.upper is None and s.step is None
