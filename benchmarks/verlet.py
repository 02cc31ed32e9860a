"""The damped oscillator's Verlet integrator from the seed document (section 5.4), and the
gradient of its final energy Ef with respect to (gamma, v0, x0), with F = zeros(N).

The function is the document's, with two changes so that one definition serves every N:
N is read from len(F), and dt = 10 / (N - 1), which is exactly t[1] - t[0] for the
document's t = np.linspace(0, 10, N). Its in-loop `Ef = ...` line (kept in the document
for plotting) is dead for the final energy: s2sad, Numba and XLA drop it; the eager peers
(PyTorch, HIPS autograd) are written without it so that they do not pay for it.

Contenders: the Numba-compiled primal (numba.njit of this very function); a hand-written
Numba adjoint as an expert writes it (store x and v per step, then one reverse loop);
s2sad grad and value_and_grad (and grad with sqrt(N) checkpointing); JAX with
lax.fori_loop; PyTorch and HIPS autograd on the Python loop.
"""

from __future__ import annotations

import numpy as np

from .harness import Case, Contender, peers

NAME = "verlet"
X0, V0, GAMMA = 1.0, 1.0, 0.05
ARGNUMS = (3, 2, 1)  # d/d(gamma, v0, x0), the document's order


def final_energy(F, x0, v0, gamma):
    N = len(F)
    dt = 10.0 / (N - 1)  # t[1] - t[0] for t = np.linspace(0, 10, N)
    Ef = 0
    fac1 = 1.0 - 0.5 * gamma * dt
    fac2 = 1.0 / (1.0 + 0.5 * gamma * dt)
    for i in range(N - 1):
        vn = fac1 * fac2 * v0 - fac2 * dt * x0 + fac2 * dt * F[i]
        xn = x0 + dt * vn
        Ef = 0.5 * (x0**2 + ((v0 + vn) / 2.0) ** 2)
        v0 = vn
        x0 = xn
    Ef = 0.5 * (x0**2 + v0**2)
    return Ef


def _hand_written_py(F, x0, v0, gamma):
    """Reverse mode by hand: forward loop storing (x, v) per step, then the reverse loop."""
    N = len(F)
    dt = 10.0 / (N - 1)
    fac1 = 1.0 - 0.5 * gamma * dt
    fac2 = 1.0 / (1.0 + 0.5 * gamma * dt)
    a = fac1 * fac2
    b = fac2 * dt
    xs = np.empty(N - 1)
    vs = np.empty(N - 1)
    for i in range(N - 1):
        xs[i] = x0
        vs[i] = v0
        vn = a * v0 - b * x0 + b * F[i]
        x0 = x0 + dt * vn
        v0 = vn
    # Ef = 0.5 (x^2 + v^2): x_bar = x, v_bar = v
    x_bar = x0
    v_bar = v0
    a_bar = 0.0
    b_bar = 0.0
    for i in range(N - 2, -1, -1):
        vn_bar = v_bar + dt * x_bar  # xn = x + dt vn
        a_bar += vs[i] * vn_bar  # vn = a v - b x + b F[i]
        b_bar += (F[i] - xs[i]) * vn_bar
        v_bar = a * vn_bar
        x_bar = x_bar - b * vn_bar
    # a = fac1 fac2, b = fac2 dt, fac1 = 1 - gamma dt/2, fac2 = 1 / (1 + gamma dt/2)
    fac1_bar = fac2 * a_bar
    fac2_bar = fac1 * a_bar + dt * b_bar
    gamma_bar = -0.5 * dt * fac1_bar - 0.5 * dt * fac2 * fac2 * fac2_bar
    return gamma_bar, v_bar, x_bar


def _args(n: int):
    return (np.zeros(n), X0, V0, GAMMA)


def _numba_primal(n):
    import numba

    return lambda: (numba.njit(final_energy), _args(n))


def _hand_written(n):
    import numba

    return lambda: (numba.njit(_hand_written_py), _args(n))


def _s2sad(n, kind, **kw):
    def build():
        import s2sad

        t = getattr(s2sad, kind)
        return t(final_energy, argnums=ARGNUMS, **kw), _args(n)

    return build


def _s2sad_storage(n, **kw):
    def extra():
        from s2sad.api import storage_bytes

        return {"stack bytes": storage_bytes(final_energy, *_args(n), argnums=ARGNUMS, **kw),
                "hand-written stores (bytes)": 16 * (n - 1)}

    return extra


def _jax(n):
    def build():
        import jax
        import jax.numpy as jnp
        from jax import lax

        jax.config.update("jax_enable_x64", True)

        def f_jax(F, x0, v0, gamma):
            N = F.shape[0]
            dt = 10.0 / (N - 1)
            fac1 = 1.0 - 0.5 * gamma * dt
            fac2 = 1.0 / (1.0 + 0.5 * gamma * dt)

            def step(i, state):
                x0, v0 = state
                vn = fac1 * fac2 * v0 - fac2 * dt * x0 + fac2 * dt * F[i]
                xn = x0 + dt * vn
                return xn, vn

            x0, v0 = lax.fori_loop(0, N - 1, step, (x0, v0))
            return 0.5 * (x0**2 + v0**2)

        g = jax.jit(jax.grad(f_jax, argnums=ARGNUMS))
        F = jax.device_put(jnp.zeros(n, dtype=jnp.float64))
        return (lambda *a: jax.block_until_ready(g(*a))), (F, X0, V0, GAMMA)

    return build


def _torch(n):
    def build():
        import torch

        def g(F, x0, v0, gamma):
            x0 = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
            v0 = torch.tensor(v0, dtype=torch.float64, requires_grad=True)
            gamma = torch.tensor(gamma, dtype=torch.float64, requires_grad=True)
            inputs = (gamma, v0, x0)
            return torch.autograd.grad(_integrate_boxed(F, x0, v0, gamma), inputs)

        # F is a constant: a list of Python floats is the cheapest thing to index per step
        return g, (np.zeros(n).tolist(), X0, V0, GAMMA)

    return build


def _integrate_boxed(F, x0, v0, gamma):
    """The final energy in plain Python arithmetic, for the operator-overloading peers
    (PyTorch tensors, autograd boxes); without the dead in-loop Ef line they need not pay."""
    N = len(F)
    dt = 10.0 / (N - 1)
    fac1 = 1.0 - 0.5 * gamma * dt
    fac2 = 1.0 / (1.0 + 0.5 * gamma * dt)
    for i in range(N - 1):
        vn = fac1 * fac2 * v0 - fac2 * dt * x0 + fac2 * dt * F[i]
        xn = x0 + dt * vn
        v0 = vn
        x0 = xn
    return 0.5 * (x0**2 + v0**2)


def _autograd(n):
    def build():
        import autograd

        return (autograd.grad(_integrate_boxed, argnum=ARGNUMS),
                (np.zeros(n).tolist(), X0, V0, GAMMA))

    return build


def _floats(out):
    return [float(v) for v in out]


def sizes(quick: bool) -> tuple[int, ...]:
    return (1000,) if quick else (1000, 100_000)


def cases(quick: bool = False) -> list[Case]:
    out = []
    for n in sizes(quick):
        out.append(Case(NAME, f"N={n}", {"N": n, "x0": X0, "v0": V0, "gamma": GAMMA}, [
            Contender("Numba primal", "primal", _numba_primal(n), value_of=float),
            Contender("hand-written Numba adjoint", "reference", _hand_written(n),
                      grad_of=_floats),
            Contender("s2sad grad", "s2sad", _s2sad(n, "grad"), grad_of=_floats,
                      extra=_s2sad_storage(n)),
            Contender("s2sad value_and_grad", "s2sad", _s2sad(n, "value_and_grad"),
                      grad_of=lambda o: _floats(o[1]), value_of=lambda o: o[0]),
            Contender("s2sad grad, checkpoint='sqrt'", "s2sad",
                      _s2sad(n, "grad", checkpoint="sqrt"), grad_of=_floats,
                      extra=_s2sad_storage(n, checkpoint="sqrt")),
            *peers(_floats, jax=_jax(n), torch=_torch(n), autograd=_autograd(n),
                   autograd_memory=False),
        ]))
    return out
