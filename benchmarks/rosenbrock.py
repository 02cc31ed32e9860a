"""The n-dimensional Rosenbrock function, f(x) = sum_i 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2,
and its gradient, n = 10^6, written the two ways scientists write it:

- **loop**: an element loop, the Numba style. Contenders: the Numba primal; the hand-written
  Numba gradient as an expert writes it (the reference: gather form, each g[i] computed
  once from x[i-1], x[i], x[i+1], the loop vectorises); the mechanical scatter form of the
  same adjoint (g[i] += ...; g[i+1] += ..., what reverse mode produces from the loop) for
  comparison; s2sad grad and value_and_grad; JAX with lax.fori_loop. PyTorch and HIPS
  autograd are not run on the element loop: 10^6 Python-level iterations with a tape take
  minutes per call; their users write the vectorized form (next case).
- **vectorized**: `np.sum(100 (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)`. Contenders: the
  Numba primal (njit of the same function) and the NumPy primal (the function itself);
  the hand-written NumPy gradient (the reference: scipy.optimize.rosen_der's form); the
  hand-written Numba gather loop again, for context; s2sad grad with target="cpu" (which
  runs this straight-line array code on NumPy) and target="numba"; JAX jit(grad), PyTorch,
  HIPS autograd on the vectorized function.
"""

from __future__ import annotations

import functools

import numpy as np

from .harness import Case, Contender, njit, numpy_peak, peers

NAME = "rosenbrock"


# ---------------------------------------------------------------- what the user writes
def rosenbrock_loop(x):
    s = 0.0
    for i in range(len(x) - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosenbrock_vec(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


# ---------------------------------------------------------------- hand-written gradients
def grad_gather(x):
    """The expert's Numba gradient: every g[i] in one go (gather), no read-modify-write."""
    n = len(x)
    g = np.empty(n)
    if n == 1:
        g[0] = 0.0
        return g
    g[0] = -400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0])
    for i in range(1, n - 1):
        xi = x[i]
        xm = x[i - 1]
        g[i] = (200.0 * (xi - xm * xm) - 400.0 * xi * (x[i + 1] - xi * xi)
                - 2.0 * (1.0 - xi))
    g[n - 1] = 200.0 * (x[n - 1] - x[n - 2] * x[n - 2])
    return g


def grad_scatter(x):
    """The mechanical adjoint of rosenbrock_loop: each term scatters into g[i], g[i+1]."""
    n = len(x)
    g = np.zeros(n)
    for i in range(n - 1):
        t = x[i + 1] - x[i] * x[i]
        g[i] += -400.0 * x[i] * t - 2.0 * (1.0 - x[i])
        g[i + 1] += 200.0 * t
    return g


def grad_numpy(x):
    """The hand-written NumPy gradient (the form of scipy.optimize.rosen_der)."""
    xm = x[1:-1]
    xm_m1 = x[:-2]
    xm_p1 = x[2:]
    g = np.zeros_like(x)
    g[1:-1] = 200.0 * (xm - xm_m1 ** 2) - 400.0 * (xm_p1 - xm ** 2) * xm - 2.0 * (1.0 - xm)
    g[0] = -400.0 * x[0] * (x[1] - x[0] ** 2) - 2.0 * (1.0 - x[0])
    g[-1] = 200.0 * (x[-1] - x[-2] ** 2)
    return g


@functools.cache
def _x(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-2.0, 2.0, n)


def _plain(fn, n):
    return lambda: (fn, (_x(n),))


def _jit(fn, n):
    return lambda: (njit(fn), (_x(n),))


def _s2sad(fn, n, kind="grad", **kw):
    def build():
        import s2sad

        return getattr(s2sad, kind)(fn, **kw), (_x(n),)

    return build


def _s2sad_storage(fn, n):
    def extra():
        from s2sad.api import storage_bytes

        return {"stack bytes": storage_bytes(fn, _x(n))}

    return extra


def _jax_loop(n):
    def build():
        import jax
        from jax import lax

        jax.config.update("jax_enable_x64", True)

        def f(x):
            def body(i, s):
                return s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2

            return lax.fori_loop(0, x.shape[0] - 1, body, 0.0)

        g = jax.jit(jax.grad(f))
        x = jax.device_put(_x(n))
        return (lambda x: jax.block_until_ready(g(x))), (x,)

    return build


def _jax_vec(n):
    def build():
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)

        def f(x):
            return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

        g = jax.jit(jax.grad(f))
        x = jax.device_put(_x(n))
        return (lambda x: jax.block_until_ready(g(x))), (x,)

    return build


def _torch(n):
    def build():
        import torch

        def g(xn):
            x = torch.from_numpy(xn).requires_grad_(True)
            f = torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
            return torch.autograd.grad(f, x)

        return g, (_x(n),)

    return build


def _autograd(n):
    def build():
        import autograd
        import autograd.numpy as anp

        def f(x):
            return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

        return autograd.grad(f), (_x(n),)

    return build


def _same(out):
    return out


def sizes(quick: bool) -> tuple[int, ...]:
    return (1000,) if quick else (1_000_000,)


def cases(quick: bool = False) -> list[Case]:
    out = []
    for n in sizes(quick):
        label = f"n={n:.0e}".replace("e+0", "e") if n >= 10**5 else f"n={n}"
        params = {"n": n, "x": "uniform(-2, 2), seed 0"}
        out.append(Case(NAME, f"loop, {label}", {**params, "spelling": "loop"}, [
            Contender("Numba primal", "primal", _jit(rosenbrock_loop, n), value_of=float),
            Contender("hand-written Numba adjoint (gather)", "reference",
                      _jit(grad_gather, n), grad_of=_same),
            Contender("hand-written Numba adjoint (scatter)", "hand", _jit(grad_scatter, n),
                      grad_of=_same),
            Contender("s2sad grad", "s2sad", _s2sad(rosenbrock_loop, n), grad_of=_same,
                      required=True, extra=_s2sad_storage(rosenbrock_loop, n)),
            Contender("s2sad value_and_grad", "s2sad",
                      _s2sad(rosenbrock_loop, n, "value_and_grad"),
                      grad_of=lambda o: o[1], value_of=lambda o: o[0], required=True),
            Contender("JAX jit(grad), lax.fori_loop", "peer", _jax_loop(n), grad_of=_same,
                      package="jax"),
        ]))
        out.append(Case(NAME, f"vectorized, {label}", {**params, "spelling": "vectorized"}, [
            Contender("Numba primal", "primal", _jit(rosenbrock_vec, n), value_of=float),
            Contender("NumPy primal", "primal", _plain(rosenbrock_vec, n), value_of=float),
            Contender("hand-written NumPy gradient", "reference", _plain(grad_numpy, n),
                      grad_of=_same, extra=numpy_peak(_plain(grad_numpy, n))),
            Contender("hand-written Numba adjoint (gather loop)", "hand",
                      _jit(grad_gather, n), grad_of=_same),
            Contender("s2sad grad", "s2sad", _s2sad(rosenbrock_vec, n), grad_of=_same,
                      required=True, extra=numpy_peak(_s2sad(rosenbrock_vec, n))),
            Contender("s2sad grad, target='numba'", "s2sad",
                      _s2sad(rosenbrock_vec, n, target="numba"), grad_of=_same,
                      required=True),
            *peers(_same, jax=_jax_vec(n), torch=_torch(n), autograd=_autograd(n)),
        ]))
    return out
