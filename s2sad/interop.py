"""Derivatives called from the user's own Numba code: `s2sad.grad(f).numba`.

    dlogp = s2sad.grad(logp).numba

    @numba.njit
    def leapfrog(q, p, eps):
        p = p + 0.5 * eps * dlogp(q)
        ...

`.numba` is a Numba-typable function (a stub with Numba `overload`): when Numba compiles
the caller, it types the call, s2sad specialises the derivative to those Numba types and
compiles it with numba.njit (target "numba"), and the caller calls that dispatcher
directly, with no Python in between. Results are nested as the generated function returns
them (a number or array, a tuple for a tuple argnums, (value, gradient) for
value_and_grad).

Values from outside the function (module-level arrays and floats) are refused: Numba would
freeze them into the caller when it compiles it, and a later change of the array would give
a stale derivative without a word. Pass them as arguments instead.
"""

from __future__ import annotations

from . import checks
from .compile import compiled
from .errors import BadArguments
from .ir.types import BOOL, F32, F64, I64, ArrayT


def _s2sad_type(t):
    """The s2sad type of a Numba type (the argument types of a call in njit code)."""
    from numba.core import types as nt  # noqa: PLC0415  (Numba is loaded only for this)

    if isinstance(t, nt.Array):
        return ArrayT(_s2sad_type(t.dtype), t.ndim)
    if isinstance(t, nt.Boolean):
        return BOOL
    if isinstance(t, nt.Integer):
        return I64
    if isinstance(t, nt.Float):
        return F32 if t.bitwidth == 32 else F64
    raise BadArguments(f"s2sad cannot take a Numba value of type {t} (numbers and arrays "
                       "only)")


def numba_function(tr):
    """The Numba-callable function of a grad/value_and_grad transform (made once)."""
    made = getattr(tr, "_numba", None)
    if made is not None:
        return made
    from numba.extending import overload  # noqa: PLC0415  (Numba is loaded only for this)

    if tr.has_aux:
        raise BadArguments(f"{tr!r}.numba: has_aux is not supported from Numba code",
                           hint="return the aux value from a separate function")
    names = _names(tr)
    params = ", ".join(names)
    ns: dict = {"_tr": tr}
    exec(f"def {_ident(tr)}({params}):\n    return _tr.public({params})\n", ns)  # noqa: S102
    stub = ns[_ident(tr)]

    def typer(*args):
        types = tuple(_s2sad_type(a) for a in args)
        spec = tr.spec(types)
        c = compiled(tr.fun, spec.request, "numba", tr.boundscheck)
        if c.binding.refs:
            raise BadArguments(
                f"{tr!r}.numba: {c.primal.name} reads "
                f"{', '.join(r.name for r in c.binding.refs)} from outside the function, "
                "which Numba would freeze into the caller (a stale derivative once it "
                "changes)", hint="pass it as an argument of the function instead")
        impl_ns = {"_disp": c.call}
        exec(f"def impl({params}):\n    return _disp({params})\n", impl_ns)  # noqa: S102
        return impl_ns["impl"]

    gen: dict = {"_typer": typer}
    exec(f"def ov({params}):\n    return _typer({params})\n", gen)  # noqa: S102
    overload(stub, jit_options={"error_model": "numpy"})(gen["ov"])
    stub.__doc__ = f"{tr!r}, callable from @numba.njit code."
    tr._numba = stub
    return stub


def _names(tr) -> list[str]:
    names = checks.positional_names(tr.fun) or []
    if not names or any(not n.isidentifier() or n.startswith("_") for n in names):
        raise BadArguments(f"{tr!r}.numba needs a function with named positional parameters")
    return names


def _ident(tr) -> str:
    name = getattr(tr.fun, "__name__", "f")
    return f"{tr._name}_of_{name}" if name.isidentifier() else tr._name

