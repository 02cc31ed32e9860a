"""User-defined derivative rules: `s2sad.defrule`.

    @s2sad.defrule(partials=lambda x, ans: ans * (1.0 - ans))
    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

Calls to `sigmoid` in differentiated code are no longer lowered from its source: they
become one primitive whose partials are the given expressions (written with NumPy
functions or arithmetic on the arguments and the result `ans`), like any entry of
rules/scalar.py. The function itself runs in the generated code (compiled with
numba.njit on the Numba target), so it must be elementwise and Numba-compatible.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable

from ..ir.primitives import PRIMS, prim
from .registry import USER_DECLARED, nondiff, partials

USER: dict[str, Callable] = {}  # primitive name -> the user's function


def defrule(fun: Callable | None = None, *, partials: Callable | None = None,
            nondifferentiable: bool = False):
    """Register the derivative of `fun` (a decorator, with or without the function)."""
    if fun is None:
        return lambda f: defrule(f, partials=partials, nondifferentiable=nondifferentiable)
    if partials is None and not nondifferentiable:
        raise TypeError("defrule needs partials=lambda *args, ans: ... or "
                        "nondifferentiable=True")
    name = f"user_{fun.__name__}"
    arity = len(inspect.signature(fun).parameters)
    PRIMS.pop(name, None)  # defined again (a notebook cell run twice): the new one counts
    prim(name, arity, "float", fun, elementwise=True, cost="call")
    USER[name] = fun
    if nondifferentiable:
        nondiff(name, why=USER_DECLARED)
    else:
        _partials(name, partials)
    return fun


_partials = partials


def fingerprint(names) -> str:
    """A hash of the user functions a generated module calls (a changed one recompiles)."""
    h = hashlib.sha256()
    for n in sorted(names):
        try:
            h.update(inspect.getsource(USER[n]).encode())
        except (OSError, TypeError):
            h.update(repr(USER[n]).encode())
    return h.hexdigest()[:12]
