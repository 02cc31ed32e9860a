"""The 1-D explicit heat equation, written as element loops over time and space (the
Numba style), and the gradient of sum(u_final**2) with respect to the initial state u0:
1000 points x 1000 steps, r = dt/dx^2 = 0.25, fixed (Dirichlet) end values.

    u[i] <- u[i] + r (u[i-1] - 2 u[i] + u[i+1])      i = 1 .. n-2, nt times

Contenders: the Numba primal (njit of this very function); the hand-written Numba adjoint
as an expert writes it (the reference): one forward sweep, then nt reverse steps in
gather form, u0_bar[i] = r un_bar[i-1] + (1 - 2r) un_bar[i] + r un_bar[i+1], with no
storage (the update is linear in u); s2sad grad and value_and_grad; JAX with
lax.fori_loop over time and vectorized space; PyTorch and HIPS autograd with vectorized
space and a Python loop over time (how their users write it).
"""

from __future__ import annotations

import functools

import numpy as np

from .harness import Case, Contender, njit, peers

NAME = "heat"
R = 0.25


# ---------------------------------------------------------------- what the user writes
def heat(u0, r, nt):
    u = u0.copy()
    n = len(u0)
    un = np.zeros(n)
    for _ in range(nt):
        for i in range(1, n - 1):
            un[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        for i in range(1, n - 1):
            u[i] = un[i]
    return np.sum(u * u)


def heat_fresh(u0, r, nt):
    """The same scheme in the other common Numba style: a fresh array every step."""
    u = u0.copy()
    n = len(u0)
    for _ in range(nt):
        un = np.empty_like(u)
        un[0] = u[0]
        un[n - 1] = u[n - 1]
        for i in range(1, n - 1):
            un[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u = un
    return np.sum(u * u)


# ---------------------------------------------------------------- hand-written adjoint
def heat_adjoint(u0, r, nt):
    """Forward sweep, then nt adjoint steps in gather form (the primal's mirror image)."""
    n = len(u0)
    u = u0.copy()
    un = np.zeros(n)
    for _ in range(nt):
        for i in range(1, n - 1):
            un[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        for i in range(1, n - 1):
            u[i] = un[i]
    u_bar = 2.0 * u
    un_bar = np.zeros(n)  # the interior update's cotangent; stays 0 at both ends
    c = 1.0 - 2.0 * r
    for _ in range(nt):
        for i in range(1, n - 1):  # u[i] = un[i]
            un_bar[i] = u_bar[i]
        # un[i] = r u[i-1] + (1 - 2r) u[i] + r u[i+1] for the interior; the ends keep theirs
        u_bar[0] = u_bar[0] + r * un_bar[1]
        for i in range(1, n - 1):
            u_bar[i] = r * un_bar[i - 1] + c * un_bar[i] + r * un_bar[i + 1]
        u_bar[n - 1] = u_bar[n - 1] + r * un_bar[n - 2]
    return u_bar


@functools.cache
def _u0(n: int) -> np.ndarray:
    x = np.linspace(0.0, 1.0, n)
    return np.sin(np.pi * x) + 0.1 * np.random.default_rng(0).standard_normal(n)


def _args(n, nt):
    return (_u0(n), R, nt)


def _jit(fn, n, nt):
    return lambda: (njit(fn), _args(n, nt))


def _s2sad(n, nt, kind="grad", fn=heat):
    def build():
        import s2sad

        return getattr(s2sad, kind)(fn), _args(n, nt)

    return build


def _s2sad_storage(n, nt):
    def extra():
        from s2sad.api import storage_bytes

        return {"stack bytes": storage_bytes(heat, *_args(n, nt))}

    return extra


def _jax(n, nt):
    def build():
        import jax
        import jax.numpy as jnp
        from jax import lax

        jax.config.update("jax_enable_x64", True)

        def f(u0, r):
            def step(_, u):
                return u.at[1:-1].set(u[1:-1] + r * (u[:-2] - 2.0 * u[1:-1] + u[2:]))

            u = lax.fori_loop(0, nt, step, u0)
            return jnp.sum(u * u)

        g = jax.jit(jax.grad(f))
        return (lambda u0, r: jax.block_until_ready(g(u0, r))), (jax.device_put(_u0(n)), R)

    return build


def _torch(n, nt):
    def build():
        import torch

        def g(u0n, r):
            u0 = torch.from_numpy(u0n).requires_grad_(True)
            u = u0
            for _ in range(nt):
                u = torch.cat((u[:1], u[1:-1] + r * (u[:-2] - 2.0 * u[1:-1] + u[2:]), u[-1:]))
            return torch.autograd.grad(torch.sum(u * u), u0)

        return g, (_u0(n), R)

    return build


def _autograd_build(n, nt):
    import autograd
    import autograd.numpy as anp

    def f(u0, r):
        u = u0
        for _ in range(nt):
            u = anp.concatenate((u[:1], u[1:-1] + r * (u[:-2] - 2.0 * u[1:-1] + u[2:]),
                                 u[-1:]))
        return anp.sum(u * u)

    return autograd.grad(f), (_u0(n), R)


def _autograd(n, nt):
    return lambda: _autograd_build(n, nt)


def _same(out):
    return out


def sizes(quick: bool) -> tuple[tuple[int, int], ...]:
    return ((50, 20),) if quick else ((1000, 1000),)


def cases(quick: bool = False) -> list[Case]:
    out = []
    for n, nt in sizes(quick):
        out.append(Case(NAME, f"{n} x {nt}", {"points": n, "steps": nt, "r": R,
                                              "u0": "sin(pi x) + 0.1 N(0, 1), seed 0"}, [
            Contender("Numba primal", "primal", _jit(heat, n, nt), value_of=float),
            Contender("hand-written Numba adjoint (gather)", "reference",
                      _jit(heat_adjoint, n, nt), grad_of=_same),
            Contender("s2sad grad", "s2sad", _s2sad(n, nt), grad_of=_same, required=True,
                      extra=_s2sad_storage(n, nt)),
            Contender("s2sad value_and_grad", "s2sad", _s2sad(n, nt, "value_and_grad"),
                      grad_of=lambda o: o[1], value_of=lambda o: o[0], required=True),
            Contender("s2sad grad, a fresh array per step", "s2sad",
                      _s2sad(n, nt, fn=heat_fresh), grad_of=_same, required=True),
            *peers(_same, jax=_jax(n, nt), torch=_torch(n, nt), autograd=_autograd(n, nt),
                   jax_name="JAX jit(grad), lax.fori_loop"),
        ]))
    return out
