"""Lowering of expressions: names and values from outside the function, attributes,
operators, comparisons, `and`/`or` as values and as conditions, conditional expressions."""

from __future__ import annotations

import libcst as cst
import numpy as np

from .. import pytree
from ..errors import BadArguments, S2SADError, TypeMismatch
from ..ir.builder import const
from ..ir.fold import fold_constants
from ..ir.nodes import Block, Const, If, Value, Var
from ..ir.primitives import NAMED_CONSTANTS
from ..ir.types import BOOL, F32, F64, I64, ArrayT, unify
from . import resolve
from .arrays import BoundMethod
from .free import FreeRef, Key, Structure, is_bound_kind
from .syntax import BINOPS, CMPOPS
from .values import NoneValue, PyObject, hashable, is_tree, tree_kind


class ExprLowering:
    """Mixed into the Lowerer (frontend/lower.py)."""

    # ---------------------------------------------------------------- expressions
    def expr(self, e, env: dict):
        if isinstance(e, cst.Integer):
            return const(int(e.value.replace("_", ""), 0))
        if isinstance(e, cst.Float):
            return const(float(e.value.replace("_", "")))
        if isinstance(e, cst.Imaginary):
            self.refuse(e, "complex numbers are not supported",
                        "split the value into real and imaginary float parts")
        if isinstance(e, cst.Name):
            return self.name(e, env)
        if isinstance(e, cst.Tuple | cst.List):
            if any(isinstance(el, cst.StarredElement) for el in e.elements):
                self.refuse(e, "starred elements (*xs) are not supported")
            items = [self.expr(el.value, env) for el in e.elements]
            return tuple(items) if isinstance(e, cst.Tuple) else items
        if isinstance(e, cst.Dict):
            return self.dict_display(e, env)
        if isinstance(e, cst.SimpleString):  # a compile-time string: a dict key, a name
            return PyObject(e.evaluated_value)
        if isinstance(e, cst.BinaryOperation):
            op = BINOPS.get(type(e.operator))
            if op is None:
                self.refuse(e, f"operator {type(e.operator).__name__} is not supported")
            return self.binop(op, self.expr(e.left, env), self.expr(e.right, env), e)
        if isinstance(e, cst.UnaryOperation):
            if isinstance(e.operator, cst.Not):
                return self.apply("not", [self.cond(e.expression, env)], e)
            v = self.expr(e.expression, env)
            if isinstance(e.operator, cst.Minus):
                return self.apply("neg", [v], e)
            if isinstance(e.operator, cst.Plus):
                return v
            self.refuse(e, "bitwise operators are not supported",
                        "use `not`, `and`, `or` on conditions, or arithmetic on numbers")
        if isinstance(e, cst.Comparison):
            return self.comparison(e, env)
        if isinstance(e, cst.BooleanOperation):
            return self.boolop(e, env)
        if isinstance(e, cst.IfExp):
            return self.ifexp(e, env)
        if isinstance(e, cst.Call):
            return self.call(e, env)
        if isinstance(e, cst.Attribute):
            return self.attribute(e, env)
        if isinstance(e, cst.Subscript):
            return self.subscript(e, env)
        self._refuse_node(e)

    def dict_display(self, e: cst.Dict, env: dict) -> dict:
        """`{"W": W, "b": b}`: a value tree with constant string (or int) keys."""
        out: dict = {}
        for el in e.elements:
            if isinstance(el, cst.StarredDictElement):  # {**d, "k": v}
                d = self.expr(el.value, env)
                if not isinstance(d, dict):
                    self.refuse(el, "only a dict can be unpacked into a dict", cls=TypeMismatch)
                out.update(d)
                continue
            k = self.expr(el.key, env)
            key = k.obj if isinstance(k, PyObject) and isinstance(k.obj, str) else (
                k.value if isinstance(k, Const) and k.type == I64 else None)
            if key is None:
                self.refuse(el.key, "dict keys must be constant strings or integers",
                            cls=TypeMismatch)
            out[key] = self.expr(el.value, env)
        return out

    def name(self, e: cst.Name, env: dict):
        n = e.value
        if n in env:
            return env[n]
        if n in self.loop_locals:
            self.refuse(e, f"{n!r} may be undefined here (it is assigned only inside a loop or "
                        "one branch)", f"assign {n} before the loop or in every branch")
        obj = resolve.lookup(self.fn, n)
        if resolve.is_missing(obj):
            self.refuse(e, f"name {n!r} is not defined", "define it at module level or pass "
                        "it in as an argument", cls=S2SADError)
        return self.pyconst(obj, e, resolve.where(self.fn, n))

    def pyconst(self, obj, node, ref: FreeRef | None):
        """A value from outside the function (module level, a closure, an attribute):
        arrays and floats are bound (read at every call), ints and bools are folded and
        guarded (see frontend/free.py), other objects are resolved now."""
        if ref is not None and is_bound_kind(obj):
            if isinstance(obj, np.ndarray) and obj.dtype.kind not in "fiub":
                self.refuse(node, f"{ref.name} is an array of dtype {obj.dtype}, which s2sad "
                            "cannot differentiate through", "use float64, float32, int or bool "
                            "arrays", cls=TypeMismatch)
            return self.free.bind(ref, obj)
        if isinstance(obj, bool | np.bool_ | int | np.integer) and ref is not None:
            self.free.guard(ref, obj)
        if isinstance(obj, bool | np.bool_):
            return const(bool(obj))
        if isinstance(obj, int | np.integer):
            return const(int(obj))
        if isinstance(obj, float | np.floating):
            return const(float(obj), F32 if isinstance(obj, np.float32) else F64)
        if isinstance(obj, np.ndarray):
            self.refuse(node, "this array cannot be read here", cls=TypeMismatch)
        if is_tree(obj):  # a module-level pytree: its leaves are read from where they live
            if ref is not None:
                self.free.guard(ref, Structure(pytree.structure(obj)), "tree")
            if isinstance(obj, dict):
                return {k: self.pyconst(v, node, ref.child(Key(k)) if ref is not None else None)
                        for k, v in obj.items()}
            items = [self.pyconst(o, node, ref.child(k) if ref is not None else None)
                     for k, o in enumerate(obj)]
            return items if isinstance(obj, list) else type(obj)(*items) \
                if pytree.is_namedtuple(obj) else tuple(items)
        return PyObject(obj, ref)

    def attribute(self, e: cst.Attribute, env: dict):
        base = self.expr(e.value, env)
        attr = e.attr.value
        if pytree.is_namedtuple(base):  # params.W1
            if attr not in base._fields:
                self.refuse(e, f"{type(base).__name__} has no field {attr!r}", cls=S2SADError)
            return getattr(base, attr)
        if isinstance(base, dict) and attr in ("keys", "values", "items"):
            return BoundMethod(base, attr)
        if is_tree(base):
            self.refuse_tree(e, f".{attr}", base)
        if isinstance(base, PyObject):
            obj = base.obj
            if isinstance(obj, str):
                self.refuse(e, "strings are not supported on the differentiated path (string "
                            "methods)", "strings may name dict keys (params['W']); remove "
                            "string operations from the function you differentiate")
            if hashable(obj) and (obj, attr) in NAMED_CONSTANTS:
                return const(NAMED_CONSTANTS[(obj, attr)])
            if not hasattr(obj, attr):
                self.refuse(e, f"{getattr(obj, '__name__', obj)!r} has no attribute {attr!r}",
                            cls=S2SADError)
            ref = base.ref.child(attr) if base.ref is not None and \
                not resolve.is_library_module(obj) else None
            return self.pyconst(getattr(obj, attr), e, ref)
        if isinstance(base, Var | Const) and isinstance(base.type, ArrayT):
            return self.array_attribute(e, base, attr)
        if isinstance(base, Var | Const) and attr in ("real",):
            return base
        self.refuse(e, f"attribute {attr!r} of a {getattr(base, 'type', 'tuple')} value is not "
                    "supported")

    def _callee(self, func):
        """The Python object a call's function expression names, or None."""
        try:
            v = self.expr(func, {})
        except S2SADError:
            return None
        return v.obj if isinstance(v, PyObject) else None

    # ---------------------------------------------------------------- operators
    def apply(self, prim: str, args: list, node, **attrs) -> Value:
        for a in args:
            if is_tree(a):
                self.refuse_tree(node, prim, a)
            if isinstance(a, NoneValue):
                self.refuse(node, f"{a.origin}() returns None (it has no `return <value>`); "
                            "None cannot be used as a number",
                            f"call {a.origin}(...) as a statement, or return a value from it",
                            cls=TypeMismatch)
            if isinstance(a, PyObject):
                if isinstance(a.obj, str):
                    self.refuse(node, "strings are not supported on the differentiated path",
                                "strings may name dict keys (params['W']); remove string "
                                "operations from the function you differentiate",
                                cls=TypeMismatch)
                self.refuse(node, f"{a.obj!r} cannot be used as a number", cls=TypeMismatch)
        folded = fold_constants(prim, args)
        if folded is not None:
            return folded
        return self.b.op(prim, *args, **attrs)

    def refuse_tree(self, node, prim: str, tree) -> None:
        """A tuple, list or dict used as a number. One that is an argument the user passed
        (a list where an array was meant): BadArguments, with the np.asarray hint."""
        what = tree_kind(tree)
        name = self.tree_params.get(id(tree))
        if name is not None:
            self.refuse(node, f"argument {name} is {what}, which s2sad takes as a pytree (as "
                        f"JAX does: a container of arrays and numbers), but {prim} here needs "
                        "a number or an array", "pass a NumPy array: np.asarray(x, dtype=float)",
                        cls=BadArguments)
        self.refuse(node, f"{prim} of {what} is not supported", "index the container, or "
                    "use np.array / np.stack to make an array", cls=TypeMismatch)

    def binop(self, op: str, a, c, node) -> Value:
        if op == "matmul":
            arrays = all(isinstance(v, Var | Const) and isinstance(v.type, ArrayT) for v in (a, c))
            if not arrays:
                self.refuse(node, "`@` (matrix multiplication) needs arrays, not scalars",
                            "use * for scalars")
            return self.array_call(node, "matmul", [a, c], {})
        if op == "pow" and isinstance(c, Const) and c.type == I64 and c.value >= 0:
            return self.apply("pow", [a, c], node, nonneg_int_exponent=True)
        if op in ("floordiv", "mod") and isinstance(a, Value) and isinstance(c, Value):
            pass
        if op == "add" and ((isinstance(a, tuple) and isinstance(c, tuple)) or (
                isinstance(a, list) and isinstance(c, list))):
            return type(a)(a) + type(c)(c) if isinstance(a, list) else tuple(a) + tuple(c)
        return self.apply(op, [a, c], node)

    def comparison(self, e: cst.Comparison, env: dict):
        left = self.expr(e.left, env)
        result = None
        for target in e.comparisons:
            op = CMPOPS.get(type(target.operator))
            if op is None:
                self.refuse(e, f"comparison {type(target.operator).__name__} is not supported")
            right = self.expr(target.comparator, env)
            c = self.apply(op, [left, right], e)
            result = c if result is None else self._and(result, c)
            left = right
        return result

    def _and(self, a: Value, c: Value) -> Value:
        if isinstance(a, Const):
            return c if a.value else a
        return self.b.op("and", a, c)  # both already computed

    def cond(self, e, env: dict) -> Value:
        """`e` used as a condition (an if/while test, an operand of `not`): a bool.

        Here `a or b` / `a and b` need only the truth of their operands, so they lower to
        boolean logic; as values they are conditional expressions (boolop)."""
        if isinstance(e, cst.BooleanOperation):
            return self.boolop_cond(e, env)
        if isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not):
            return self.apply("not", [self.cond(e.expression, env)], e)
        return self.truth(self.expr(e, env), e)

    def boolop_cond(self, e: cst.BooleanOperation, env: dict) -> Value:
        """`a and b` / `a or b` as a condition, short-circuiting (b lowered in a branch)."""
        left = self.cond(e.left, env)
        is_and = isinstance(e.operator, cst.And)
        if isinstance(left, Const):
            if bool(left.value) == is_and:
                return self.cond(e.right, env)
            return left
        blk = Block()
        with self.b.into(blk):
            right = self.cond(e.right, env)
            blk.yields = [right]
        if not blk.stmts:  # nothing to evaluate lazily
            return self.b.op("and" if is_and else "or", left, right)
        other = Block([], [const(not is_and)])
        out = Var("", BOOL)
        then, orelse = (blk, other) if is_and else (other, blk)
        self.b.append(If(left, then, orelse, [out], self.loc(e)))
        return out

    def boolop(self, e: cst.BooleanOperation, env: dict):
        """`a or b` as a value is `a if a else b`, `a and b` is `b if a else a`: the operand
        itself, not a bool; b is evaluated only when needed (lowered in a branch)."""
        if self._all_bool(e, env):
            return self.boolop_cond(e, env)
        is_and = isinstance(e.operator, cst.And)
        left = self.expr(e.left, env)
        if is_tree(left) or isinstance(left, PyObject):
            self.refuse(e.left, f"`{'and' if is_and else 'or'}` on "
                        f"{tree_kind(left) if is_tree(left) else 'a non-numeric value'} is not "
                        "supported", "compare numbers instead", cls=TypeMismatch)
        t = self.truth(left, e.left)
        if isinstance(t, Const):  # decided at compile time
            return self.expr(e.right, env) if bool(t.value) == is_and else left
        # the left operand is the result only when it is truthy (or) / falsy (and): a bool
        # operand then has a known value
        kept = const(not is_and) if left.type == BOOL else left
        blk = Block()
        with self.b.into(blk):
            right = self.expr(e.right, env)
        if is_tree(right) or isinstance(right, PyObject):
            self.refuse(e.right, "this operand of `and`/`or` is not a number", cls=TypeMismatch)
        if unify(left.type, right.type) is None:
            self.refuse(e, f"`{'and' if is_and else 'or'}` returns one of its operands, here a "
                        f"{left.type} or a {right.type}, which cannot be one value",
                        "write a conditional expression (a if c else b) whose two sides have "
                        "one type", cls=TypeMismatch)
        blocks = [blk, Block()] if is_and else [Block(), blk]
        vals = [right, kept] if is_and else [kept, right]
        return self.merge(e, t, blocks, [[vals[0]], [vals[1]]], [""])[0]

    def _all_bool(self, e, env) -> bool:
        """Every operand of a chain of `and`/`or` is a comparison or a bool value, so the
        value is the boolean logic of the operands (no type to merge)."""
        if isinstance(e, cst.BooleanOperation):
            return self._all_bool(e.left, env) and self._all_bool(e.right, env)
        if isinstance(e, (cst.Comparison,)) or (
                isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not)):
            return True
        if isinstance(e, cst.Name) and e.value in env:
            v = env[e.value]
            return isinstance(v, Var | Const) and v.type == BOOL
        return isinstance(e, cst.Name) and e.value in ("True", "False")

    def ifexp(self, e: cst.IfExp, env: dict):
        cond = self.cond(e.test, env)
        if isinstance(cond, Const):
            return self.expr(e.body if cond.value else e.orelse, env)
        blocks, vals = [], []
        for sub in (e.body, e.orelse):
            blk = Block()
            with self.b.into(blk):
                vals.append(self.expr(sub, env))
            blocks.append(blk)
        if is_tree(vals[0]) or is_tree(vals[1]):
            self.refuse(e, "conditional expressions choosing between tuples are not supported")
        return self.merge(e, cond, blocks, [[vals[0]], [vals[1]]], [""])[0]
