"""Custom derivatives in JAX's shape: `s2sad.custom_jvp` and `s2sad.custom_vjp`.

    @s2sad.custom_jvp
    def log1pexp(x):
        return np.log1p(np.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        (x,), (x_dot,) = primals, tangents
        return log1pexp(x), x_dot / (1.0 + np.exp(-x))

    @s2sad.custom_vjp
    def clip_gradient(x): ...
    clip_gradient.defvjp(fwd, bwd)        # fwd(x) -> (out, residuals); bwd(res, g) -> (x_bar,)

Like `defrule` (its short form), the function becomes one primitive: differentiated code
calls the function itself (compiled by Numba on the Numba targets, so it must be
Numba-compatible) and its derivative comes from the rule. The rule is lowered by s2sad
into the derivative's IR: the tangent is f_jvp at the tangents, the cotangents f_jvp at
unit tangents times the cotangent (custom_jvp: f_jvp is linear in the tangents), or f_bwd
of f_fwd's residuals at the cotangent (custom_vjp), so second derivatives differentiate
the rule itself, as JAX's do. The functions take float scalars; on arrays
they are taken elementwise only when declared so (`custom_jvp(f, elementwise=True)`). The
rule functions may not read arrays or floats from outside themselves (pass them in).
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable

from . import pytree
from .errors import BadArguments, NoRuleError
from .frontend import nested
from .frontend.free import Binding, FreeValues
from .ir.builder import const
from .ir.nodes import Const, Var
from .ir.primitives import PRIMS, prim
from .ir.types import F64, I64, ArrayT, is_float
from .rules import dsl
from .rules.registry import rule as register_rule
from .rules.user import USER


class _Custom:
    """A function with a custom derivative: called as the function; a primitive in code
    s2sad differentiates."""

    kind = "custom"

    def __init__(self, fun: Callable, elementwise: bool = False):
        if not callable(fun):
            raise BadArguments(f"{self.kind}: expected a function, got {fun!r}")
        self.fun = fun
        self.elementwise = bool(elementwise)
        self.prim = None
        functools.update_wrapper(self, fun)
        del self.__wrapped__  # (the frontend would lower fun itself, without the rule)
        try:
            ps = inspect.signature(fun).parameters.values()
        except (TypeError, ValueError):
            ps = []
        self.arity = len(ps)
        if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) or
               p.default is not p.empty for p in ps):
            raise BadArguments(f"{self.kind}: {getattr(fun, '__name__', fun)} must take "
                               "plain positional parameters (no defaults, *args or keywords)")

    def __call__(self, *args):
        return self.fun(*args)

    def __repr__(self) -> str:
        return f"<s2sad.{self.kind} of {getattr(self.fun, '__qualname__', self.fun)}>"

    def __hash__(self) -> int:
        return id(self)

    def _register(self, tangent: Callable, adjoint: Callable) -> None:
        base = getattr(self.fun, "__name__", "")
        base = f"user_{base if base.isidentifier() else 'custom'}"
        name, k = base, 1
        while name in PRIMS and self._other(PRIMS[name]):  # another function of that name
            k += 1
            name = f"{base}_{k}"
        PRIMS.pop(name, None)  # defined again (a notebook cell run twice): the new one counts
        prim(name, self.arity, "float", self, elementwise=True, cost="call")
        fn = self.fun
        if not getattr(fn, "__name__", "").isidentifier() and inspect.isfunction(fn):
            # a lambda: generated code binds it to a module-level name (_u_<name>)
            fn = types.FunctionType(fn.__code__, fn.__globals__, name.removeprefix("user_"),
                                    fn.__defaults__, fn.__closure__)
        USER[name] = fn
        register_rule(name, tangent=tangent, adjoint=adjoint, broadcasts=self.elementwise)
        self.prim = name

    def _other(self, p) -> bool:
        """Primitive `p` belongs to another function than this one's (not an earlier
        definition of the same one, as a notebook cell run twice makes)."""
        if any(o is self for o in p.objects):
            return False
        fn = USER.get(p.name)
        key = (getattr(self.fun, "__module__", None), getattr(self.fun, "__qualname__", ""))
        same = fn is not None and "<lambda>" not in key[1] and (getattr(
            fn, "__module__", None), getattr(fn, "__qualname__", None)) == key
        return not same

    # ------------------------------------------------------------ in lowered code
    def lower_call(self, site, args: list, kw: dict):
        if self.prim is None:
            site.refuse(f"{self!r} has no derivative rule yet",
                        f"give it one with {self.__name__}."
                        f"{'defjvp' if self.kind == 'custom_jvp' else 'defvjp'}(...)")
        if kw or len(args) != self.arity:
            site.refuse(f"{self.__name__} takes {self.arity} positional argument(s)",
                        cls=BadArguments)
        vals = []
        for a in args:
            if not isinstance(a, Var | Const) or (isinstance(a.type, ArrayT) and
                                                   not self.elementwise):
                what = a.type if isinstance(a, Var | Const) else type(a).__name__
                site.refuse(f"{self.kind} {self.__name__} takes float scalars here, got {what}",
                            f"declare it elementwise ({self.kind}({self.__name__}, "
                            "elementwise=True)) if it applies to arrays element by element")
            vals.append(const(float(a.value)) if isinstance(a, Const) and a.type == I64 else a)
        if len({isinstance(v.type, ArrayT) for v in vals}) > 1:
            site.refuse(f"{self.kind} {self.__name__}: arrays and scalars mixed in one call",
                        "pass arrays of one shape (np.full_like(x, c) for a constant)")
        return site.op(self.prim, *vals)


def _rule_ir(fun, types: list, what: str):
    """The IR of a rule function for these argument types: no values from outside it."""
    from .frontend.lower import lower  # noqa: PLC0415  (libcst, lazily)

    ir = lower(fun, types)
    if ir.free is not None and (ir.free.refs or ir.free.guards):
        names = ", ".join(r.name for r in ir.free.refs) or ", ".join(
            g.ref.name for g in ir.free.guards)
        raise NoRuleError(f"the {what} of {getattr(fun, '__name__', fun)} reads {names} from "
                          "outside itself, which a derivative rule cannot", ir.loc,
                          "pass the value in as an argument of the function")
    return ir


def _inline(ir, args: list) -> list:
    return nested.inline(dsl._b(), ir, Binding(), args, FreeValues(), nested.FLAT)


def _unit(v, one: float):
    t = v.type.dtype if isinstance(v.type, ArrayT) else v.type
    return const(one, t if is_float(t) else F64)


def _tuple_type(types: list) -> pytree.TreeType:
    return pytree.TreeType(pytree.structure(tuple(types)), tuple(types))


def _zero(v):
    if isinstance(v.type, ArrayT):
        return dsl.emit("zeros_like", dsl.Sym(v)).value
    return const(0.0, v.type if is_float(v.type) else F64)


class custom_jvp(_Custom):  # noqa: N801  (JAX's name)
    """A function whose forward-mode derivative is given by `f.defjvp(f_jvp)`, with
    `f_jvp(primals, tangents) -> (primal_out, tangent_out)` (JAX's signature), linear in
    the tangents (as JAX requires for reverse mode)."""

    kind = "custom_jvp"

    def defjvp(self, jvp: Callable) -> Callable:
        def tangent(args, ans, dots, attrs):
            xs = [a.value for a in args]
            ds = [d.value if d is not None else _zero(x) for d, x in zip(dots, xs)]
            ir = _rule_ir(jvp, [_tuple_type([v.type for v in xs]),
                                _tuple_type([v.type for v in ds])], "defjvp rule")
            return dsl.Sym(_inline(ir, xs + ds)[-1])

        def adjoint(args, ans, g, attrs):
            # the rule is linear in the tangents: its partial derivatives are its values at
            # unit tangents, each times the cotangent
            xs = [a.value for a in args]
            units = [_unit(x, 1.0) for x in xs]
            ir = _rule_ir(jvp, [_tuple_type([v.type for v in xs]),
                                _tuple_type([u.type for u in units])], "defjvp rule")
            out = []
            for i in range(len(xs)):
                us = [_unit(x, 1.0 if k == i else 0.0) for k, x in enumerate(xs)]
                out.append(dsl.Sym(_inline(ir, xs + us)[-1]) * g)
            return tuple(out)

        self._register(tangent, adjoint)
        self.jvp = jvp
        return jvp


class custom_vjp(_Custom):  # noqa: N801
    """A function whose reverse-mode derivative is given by `f.defvjp(f_fwd, f_bwd)`:
    f_fwd(*args) -> (out, residuals), f_bwd(residuals, g) -> one cotangent per argument
    (JAX's signatures). As in JAX, it has no forward-mode derivative."""

    kind = "custom_vjp"

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        name = getattr(self.fun, "__name__", "f")

        def tangent(args, ans, dots, attrs):
            raise NoRuleError(f"{name} is a custom_vjp function, which has no forward-mode "
                              "derivative (as in JAX)", None,
                              "use custom_jvp for a rule both modes use; for second "
                              "derivatives of a custom_vjp function take jacrev(jacrev(f))")

        def adjoint(args, ans, g, attrs):
            xs = [a.value for a in args]
            fwd_ir = _rule_ir(fwd, [v.type for v in xs], "defvjp forward rule")
            tree = pytree.of_outputs(fwd_ir)
            if tree.kind not in ("tuple", "list") or len(tree.children) != 2:
                raise NoRuleError(f"{getattr(fwd, '__name__', fwd)} must return a pair "
                                  "(output, residuals)", fwd_ir.loc)
            flat = _inline(fwd_ir, xs)
            res_tree = tree.children[1]
            res = flat[tree.children[0].num_leaves:]
            res_type = res[0].type if res_tree.is_leaf else \
                pytree.TreeType(res_tree, tuple(v.type for v in res))
            bwd_ir = _rule_ir(bwd, [res_type, g.value.type], "defvjp backward rule")
            cts = _inline(bwd_ir, list(res) + [g.value])
            if len(cts) != len(xs):
                raise NoRuleError(f"{getattr(bwd, '__name__', bwd)} must return one cotangent "
                                  f"per argument ({len(xs)}), in a tuple", bwd_ir.loc)
            return tuple(dsl.Sym(c) for c in cts)

        self._register(tangent, adjoint)
        self.fwd, self.bwd = fwd, bwd


nested.register_handler(lambda o: isinstance(o, _Custom), lambda s, o, a, k: o.lower_call(s, a, k))
