"""IR well-formedness: every Var is defined once, and read only where its definition is in
scope (earlier in its block or an enclosing one; a region's params and loop index inside
it). A pass that leaves a read of a value from another region (a forward loop's carried
value read in the reverse sweep) makes code that reads a stale or undefined name: this
finds it at the IR, before code generation hides it."""

from __future__ import annotations

from .nodes import Block, For, Function, If, Op, Var, While


class IRError(AssertionError):
    pass


def verify(fn: Function) -> None:
    """Raise IRError naming the first ill-formed use or definition in fn."""
    defined: set[int] = set()

    def define(v: Var, scope: set, where: str) -> None:
        if id(v) in defined:
            raise IRError(f"{fn.name}: {v!r} defined twice ({where})")
        defined.add(id(v))
        scope.add(id(v))

    def use(v, scope: set, where: str) -> None:
        if isinstance(v, Var) and id(v) not in scope:
            raise IRError(f"{fn.name}: {v!r} read out of scope in {where}")

    def block(b: Block, scope: set, where: str) -> None:
        scope = set(scope)
        for s in b.stmts:
            if isinstance(s, Op):
                for a in s.args:
                    use(a, scope, f"{s.prim} ({where})")
            elif isinstance(s, If):
                use(s.cond, scope, f"if condition ({where})")
                block(s.then, scope, "then")
                block(s.orelse, scope, "else")
                for blk in (s.then, s.orelse):
                    if len(blk.yields) != len(s.results):
                        raise IRError(f"{fn.name}: if yields {len(blk.yields)} values for "
                                      f"{len(s.results)} results")
            elif isinstance(s, (For, While)):
                kind = "for" if isinstance(s, For) else "while"
                heads = [s.start, s.stop, s.step] if isinstance(s, For) else []
                for v in heads + list(s.inits):
                    use(v, scope, f"{kind} header ({where})")
                if not len(s.params) == len(s.inits) == len(s.body.yields) == len(s.results):
                    raise IRError(f"{fn.name}: {kind} loop with {len(s.params)} params, "
                                  f"{len(s.inits)} inits, {len(s.body.yields)} yields, "
                                  f"{len(s.results)} results")
                inner = set(scope)
                if isinstance(s, For):
                    define(s.ivar, inner, f"{kind} index")
                for p in s.params:
                    define(p, inner, f"{kind} param")
                if isinstance(s, While):
                    block(s.cond, inner, "while condition")
                block(s.body, inner, f"{kind} body")
            for r in s.results:
                define(r, scope, where)
        for v in b.yields:
            use(v, scope, f"yield of {where}")

    scope: set[int] = set()
    for p in fn.params:
        define(p, scope, "parameter")
    block(fn.body, scope, "function body")
