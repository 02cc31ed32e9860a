"""The 1-D explicit heat equation of benchmarks/heat.py in two more spellings people
write, and the same gradient of sum(u_final**2) with respect to u0:

- **copy**: `un = u.copy()` every step, then an element loop writing u from un (the
  Numba style with a fresh copy of the old state);
- **concatenate**: the vectorized step with slices, the ends glued back by
  `np.concatenate` (the NumPy style; also how the PyTorch and autograd rows of heat.py
  are written).

Contenders per case: the Numba primal (and for the concatenate spelling the NumPy
primal, the function called as it is); the hand-written Numba adjoint of heat.py (the
reference, gather form, no storage: the update is linear); s2sad grad and
value_and_grad; JAX jit(grad) with lax.fori_loop (heat.py's row).
"""

from __future__ import annotations

import numpy as np

from . import heat
from .common import jitted, plain, reference, s2sad_rows
from .harness import Case, Contender

NAME = "heat_copy"


# ---------------------------------------------------------------- what the user writes
def heat_copy(u0, r, nt):
    u = u0.copy()
    n = len(u)
    for _ in range(nt):
        un = u.copy()
        for i in range(1, n - 1):
            u[i] = un[i] + r * (un[i - 1] - 2.0 * un[i] + un[i + 1])
    return np.sum(u * u)


def heat_concat(u0, r, nt):
    u = u0.copy()
    for _ in range(nt):
        u = np.concatenate((u[:1], u[1:-1] + r * (u[:-2] - 2.0 * u[1:-1] + u[2:]), u[-1:]))
    return np.sum(u * u)


def _args(n, nt):
    return lambda: heat._args(n, nt)


def sizes(quick: bool) -> tuple[tuple[int, int], ...]:
    return ((50, 20),) if quick else ((1000, 1000),)


def cases(quick: bool = False) -> list[Case]:
    out = []
    for n, nt in sizes(quick):
        args = _args(n, nt)
        params = {"points": n, "steps": nt, "r": heat.R}
        ref = reference(heat.heat_adjoint, args, 0,
                        "hand-written Numba adjoint (gather)")
        jax = Contender("JAX jit(grad), lax.fori_loop", "peer", heat._jax(n, nt),
                        grad_of=lambda o: o, package="jax")
        out.append(Case(NAME, f"copy {n} x {nt}", {**params, "spelling": "u.copy()"}, [
            Contender("Numba primal", "primal", jitted(heat_copy, args), value_of=float),
            ref, *s2sad_rows(heat_copy, args), jax]))
        out.append(Case(NAME, f"concatenate {n} x {nt}",
                        {**params, "spelling": "np.concatenate"}, [
            Contender("NumPy primal", "primal", plain(heat_concat, args), value_of=float),
            Contender("Numba primal", "primal", jitted(heat_concat, args), value_of=float),
            Contender("Numba primal (loops, heat.py)", "primal", jitted(heat.heat, args),
                      value_of=float),
            ref, *s2sad_rows(heat_concat, args), jax]))
    return out
