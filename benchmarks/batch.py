"""Many derivatives at once (s2sad.vmap): a parameter sweep of the damped Verlet
oscillator (the gradient of x(T) with respect to gamma and F, for 10^4 values of gamma),
the seed function's gradient at 10^6 points, and the Jacobian of tanh(A @ x), R^100 ->
R^100.

Contenders: a Numba loop over the Numba primal (the base), a hand-written Numba loop over
the hand-written adjoint (the reference), s2sad vmap on target "cpu" and "parallel"
(numba.prange on every core), a Python loop of s2sad grad calls (what users write today),
and JAX jit(vmap(grad)) — jit(jacfwd) for the Jacobian, with one s2sad gradient beside it.
"""

from __future__ import annotations

import math

import numpy as np

from .harness import Case, Contender, peers

NAME = "batch"
STEPS = 1000
DT = 0.01


def verlet(gamma, F):
    x = 1.0
    v = 0.0
    for _ in range(STEPS):
        a = -x - gamma * v + F
        x = x + DT * v + 0.5 * DT * DT * a
        a2 = -x - gamma * v + F
        v = v + 0.5 * DT * (a + a2)
    return x


def _verlet_adjoint(gamma, F):
    """By hand: store v per step (x is not needed), then one reverse loop."""
    vs = np.empty(STEPS)
    x, v = 1.0, 0.0
    for i in range(STEPS):
        vs[i] = v
        a = -x - gamma * v + F
        x = x + DT * v + 0.5 * DT * DT * a
        a2 = -x - gamma * v + F
        v = v + 0.5 * DT * (a + a2)
    x_bar, v_bar, g_bar, F_bar = 1.0, 0.0, 0.0, 0.0
    for i in range(STEPS - 1, -1, -1):
        v0 = vs[i]
        s = 0.5 * DT * v_bar  # v = v0 + s/(0.5 DT) * (a + a2)
        a_bar = s
        a2_bar = s
        x_bar += -a2_bar  # a2 = -x - gamma v0 + F (x: the new x)
        g_bar += -v0 * a2_bar
        F_bar += a2_bar
        vb = v_bar - gamma * a2_bar
        a_bar += 0.5 * DT * DT * x_bar  # x = x0 + DT v0 + DT^2/2 a
        vb += DT * x_bar
        x0_bar = x_bar - a_bar  # a = -x0 - gamma v0 + F
        g_bar += -v0 * a_bar
        F_bar += a_bar
        vb -= gamma * a_bar
        x_bar, v_bar = x0_bar, vb
    return g_bar, F_bar


def seed(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def _seed_adjoint(x1, x2):
    return 1.0 / x1 + x2, x1 - math.cos(x2)


def _loops(elem, n_out: int, shared: bool):
    """A Numba loop of `elem` over a batch (the hand-written way to batch): the second
    argument shared by every element, or mapped too."""
    import numba

    e = numba.njit(elem)

    @numba.njit
    def second(y, b):
        return y if shared else y[b]

    if n_out == 1:
        def loop(xs, y):
            out = np.empty(xs.shape[0])
            for b in range(xs.shape[0]):
                out[b] = e(xs[b], second(y, b))
            return out
    else:
        def loop(xs, y):
            o0, o1 = np.empty(xs.shape[0]), np.empty(xs.shape[0])
            for b in range(xs.shape[0]):
                o0[b], o1[b] = e(xs[b], second(y, b))
            return o0, o1
    return numba.njit(loop)


def _stack(out):
    return np.concatenate([np.ravel(np.asarray(o)) for o in out])


def _first(out):
    return np.ravel(np.asarray(out))


def _vmap_rows(primal, adjoint, shared: bool, args, s2) -> list:
    """The base, the reference and s2sad's vmap on cpu and parallel, for one case."""
    return [
        Contender("Numba loop over the primal", "primal",
                  lambda: (_loops(primal, 1, shared), args), value_of=lambda o: float(o[0])),
        Contender("hand-written Numba loop over the hand adjoint", "reference",
                  lambda: (_loops(adjoint, 2, shared), args), grad_of=_stack),
        Contender("s2sad vmap(grad), cpu", "s2sad", s2("cpu"), grad_of=_stack, required=True),
        Contender("s2sad vmap(grad), parallel", "s2sad", s2("parallel"), grad_of=_stack,
                  required=True),
    ]


def jax_verlet():
    """verlet in JAX, as it runs best (lax.fori_loop); also the GPU check's."""
    from jax import lax

    def f(gamma, F):
        def step(_, s):
            x, v = s
            a = -x - gamma * v + F
            x = x + DT * v + 0.5 * DT * DT * a
            a2 = -x - gamma * v + F
            return x, v + 0.5 * DT * (a + a2)
        return lax.fori_loop(0, STEPS, step, (1.0, 0.0))[0]
    return f


def jax_seed():
    import jax.numpy as jnp
    return lambda a, b: jnp.log(a) + a * b - jnp.sin(b)


def _verlet_case(n: int) -> Case:
    gam = np.linspace(0.05, 1.0, n)
    args = (gam, 0.3)

    def s2(target):
        def build():
            import s2sad
            return s2sad.vmap(s2sad.grad(verlet, argnums=(0, 1)), in_axes=(0, None),
                              target=target), args
        return build

    def python_loop():
        import s2sad
        g = s2sad.grad(verlet, argnums=(0, 1))

        def run(gs, F):
            out = [g(x, F) for x in gs]
            return np.array([o[0] for o in out]), np.array([o[1] for o in out])
        return run, args

    def jax_build():
        import jax
        jax.config.update("jax_enable_x64", True)
        g = jax.jit(jax.vmap(jax.grad(jax_verlet(), argnums=(0, 1)), in_axes=(0, None)))
        return (lambda *a: jax.block_until_ready(g(*a))), (jax.device_put(gam), 0.3)

    return Case(NAME, f"Verlet sweep, {n} gammas", {"n": n, "steps": STEPS}, [
        *_vmap_rows(verlet, _verlet_adjoint, True, args, s2),
        Contender("Python loop of s2sad grad calls", "s2sad", python_loop, grad_of=_stack),
        *peers(_stack, jax=jax_build, jax_name="JAX jit(vmap(grad))"),
    ])


def _seed_case(n: int) -> Case:
    x1 = np.linspace(1.0, 3.0, n)
    x2 = np.linspace(0.0, 2.0, n)
    args = (x1, x2)

    def s2(target):
        def build():
            import s2sad
            return s2sad.vmap(s2sad.grad(seed, argnums=(0, 1)), target=target), args
        return build

    def jax_build():
        import jax
        jax.config.update("jax_enable_x64", True)
        g = jax.jit(jax.vmap(jax.grad(jax_seed(), argnums=(0, 1))))
        return (lambda *a: jax.block_until_ready(g(*a))), tuple(map(jax.device_put, args))

    return Case(NAME, f"seed gradient at {n} points", {"n": n}, [
        *_vmap_rows(seed, _seed_adjoint, False, args, s2),
        *peers(_stack, jax=jax_build, jax_name="JAX jit(vmap(grad))"),
    ])


_A = np.random.default_rng(0).normal(size=(100, 100)) / 10


def tanh_layer(x):
    return np.tanh(_A @ x)


def tanh_sum(x):
    return np.sum(np.tanh(_A @ x))


def _jacobian_case() -> Case:
    x = np.linspace(-1.0, 1.0, 100)
    ref = (1 - np.tanh(_A @ x) ** 2)[:, None] * _A

    def hand():
        import numba

        @numba.njit
        def jac(x):
            t = np.tanh(_A @ x)
            return (1 - t * t).reshape(-1, 1) * _A
        return jac, (x,)

    def s2(kind):
        def build():
            import s2sad
            return getattr(s2sad, kind)(tanh_layer), (x,)
        return build

    def one_gradient():
        import s2sad
        return s2sad.grad(tanh_sum), (x,)

    def jax_build():
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        A = jax.device_put(_A)
        J = jax.jit(jax.jacfwd(lambda x: jnp.tanh(A @ x)))
        return (lambda x: jax.block_until_ready(J(x))), (jax.device_put(x),)

    assert ref.shape == (100, 100)
    return Case(NAME, "Jacobian of tanh(A @ x), R^100 -> R^100", {"n": 100}, [
        Contender("one s2sad gradient of sum(tanh(A @ x))", "primal", one_gradient,
                  value_of=lambda g: float(g[0])),
        Contender("hand-written Jacobian (Numba)", "reference", hand, grad_of=_first),
        Contender("s2sad jacfwd", "s2sad", s2("jacfwd"), grad_of=_first, required=True),
        Contender("s2sad jacrev", "s2sad", s2("jacrev"), grad_of=_first, required=True),
        *peers(_first, jax=jax_build, jax_name="JAX jit(jacfwd)"),
    ])


def cases(quick: bool = False) -> list[Case]:
    if quick:
        return [_verlet_case(64), _seed_case(1000), _jacobian_case()]
    return [_verlet_case(10_000), _seed_case(1_000_000), _jacobian_case()]
