"""GradBench's `ode`: the classical 4th-order Runge-Kutta integrator (after cmpad's
runge_kutta by B. Bell) of y' = f(x, y), f_0 = x_0, f_i = x_i y_{i-1}, from y(0) = 0 to
t = 2 in s steps, and the gradient of the last component y_{n-1}(2) with respect to x.
Written by us from the spec in the Numba style: stage arrays k1..k4 and ytmp filled by
element loops every step.

Contenders: the Numba primal; the hand-written Numba adjoint (the reference: the state y
stored once per step, the stages recomputed from it in the reverse sweep, f's transpose
applied to each stage's cotangent); s2sad grad and value_and_grad; JAX jit(grad) with
lax.fori_loop over the steps and f vectorized (GradBench's JAX formulation).
"""

from __future__ import annotations

import functools

import numpy as np

from .common import jax_row, jitted, reference, s2sad_rows
from .harness import Case, Contender

NAME = "ode"
TF = 2.0


# ---------------------------------------------------------------- what the user writes
def ode(x, s):
    n = len(x)
    h = TF / s
    y = np.zeros(n)
    ytmp = np.zeros(n)
    k1 = np.zeros(n)
    k2 = np.zeros(n)
    k3 = np.zeros(n)
    k4 = np.zeros(n)
    for _ in range(s):
        k1[0] = x[0]
        for i in range(1, n):
            k1[i] = x[i] * y[i - 1]
        for i in range(n):
            ytmp[i] = y[i] + 0.5 * h * k1[i]
        k2[0] = x[0]
        for i in range(1, n):
            k2[i] = x[i] * ytmp[i - 1]
        for i in range(n):
            ytmp[i] = y[i] + 0.5 * h * k2[i]
        k3[0] = x[0]
        for i in range(1, n):
            k3[i] = x[i] * ytmp[i - 1]
        for i in range(n):
            ytmp[i] = y[i] + h * k3[i]
        k4[0] = x[0]
        for i in range(1, n):
            k4[i] = x[i] * ytmp[i - 1]
        for i in range(n):
            y[i] = y[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
    return y[n - 1]


# ---------------------------------------------------------------- hand-written adjoint
def ode_adjoint(x, s):
    n = len(x)
    h = TF / s
    ys = np.zeros((s, n))  # the state at the start of each step
    y = np.zeros(n)
    k1 = np.zeros(n)
    k2 = np.zeros(n)
    k3 = np.zeros(n)
    k4 = np.zeros(n)
    y2 = np.zeros(n)
    y3 = np.zeros(n)
    y4 = np.zeros(n)
    for t in range(s):
        ys[t] = y
        k1[0] = x[0]
        for i in range(1, n):
            k1[i] = x[i] * y[i - 1]
        for i in range(n):
            y2[i] = y[i] + 0.5 * h * k1[i]
        k2[0] = x[0]
        for i in range(1, n):
            k2[i] = x[i] * y2[i - 1]
        for i in range(n):
            y3[i] = y[i] + 0.5 * h * k2[i]
        k3[0] = x[0]
        for i in range(1, n):
            k3[i] = x[i] * y3[i - 1]
        for i in range(n):
            y4[i] = y[i] + h * k3[i]
        k4[0] = x[0]
        for i in range(1, n):
            k4[i] = x[i] * y4[i - 1]
        for i in range(n):
            y[i] = y[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
    xb = np.zeros(n)
    yb = np.zeros(n)  # the state's cotangent
    yb[n - 1] = 1.0
    g = np.zeros(n)  # the cotangent of the step's result
    kb = np.zeros(n)  # a stage's cotangent
    sb = np.zeros(n)  # a stage state's cotangent
    c = h / 6.0
    for t in range(s - 1, -1, -1):
        # recompute the stage states from the stored y
        for i in range(n):
            y[i] = ys[t, i]
        k1[0] = x[0]
        for i in range(1, n):
            k1[i] = x[i] * y[i - 1]
        for i in range(n):
            y2[i] = y[i] + 0.5 * h * k1[i]
        k2[0] = x[0]
        for i in range(1, n):
            k2[i] = x[i] * y2[i - 1]
        for i in range(n):
            y3[i] = y[i] + 0.5 * h * k2[i]
        k3[0] = x[0]
        for i in range(1, n):
            k3[i] = x[i] * y3[i - 1]
        for i in range(n):
            y4[i] = y[i] + h * k3[i]
        for i in range(n):
            g[i] = yb[i]
        # k4 = f(y4), cotangent c g
        xb[0] += c * g[0]
        for i in range(1, n):
            xb[i] += c * g[i] * y4[i - 1]
        for i in range(n - 1):
            sb[i] = c * g[i + 1] * x[i + 1]
        sb[n - 1] = 0.0
        # y4 = y + h k3, k3 = f(y3) with cotangent 2c g + h sb
        for i in range(n):
            yb[i] += sb[i]
            kb[i] = 2.0 * c * g[i] + h * sb[i]
        xb[0] += kb[0]
        for i in range(1, n):
            xb[i] += kb[i] * y3[i - 1]
        for i in range(n - 1):
            sb[i] = kb[i + 1] * x[i + 1]
        sb[n - 1] = 0.0
        # y3 = y + h/2 k2, k2 = f(y2) with cotangent 2c g + h/2 sb
        for i in range(n):
            yb[i] += sb[i]
            kb[i] = 2.0 * c * g[i] + 0.5 * h * sb[i]
        xb[0] += kb[0]
        for i in range(1, n):
            xb[i] += kb[i] * y2[i - 1]
        for i in range(n - 1):
            sb[i] = kb[i + 1] * x[i + 1]
        sb[n - 1] = 0.0
        # y2 = y + h/2 k1, k1 = f(y) with cotangent c g + h/2 sb
        for i in range(n):
            yb[i] += sb[i]
            kb[i] = c * g[i] + 0.5 * h * sb[i]
        xb[0] += kb[0]
        for i in range(1, n):
            xb[i] += kb[i] * y[i - 1]
        for i in range(n - 1):
            yb[i] += kb[i + 1] * x[i + 1]
    return xb


@functools.cache
def _x(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(0.0, 1.0, n)


def _args(n, s):
    return lambda: (_x(n), s)


def _jax(n, s):
    def make(jax, jnp, lax):
        h = TF / s

        def f(x, y):
            return jnp.concatenate((x[:1], x[1:] * y[:-1]))

        def loss(x, s_):
            def step(_, y):
                k1 = f(x, y)
                k2 = f(x, y + 0.5 * h * k1)
                k3 = f(x, y + 0.5 * h * k2)
                k4 = f(x, y + h * k3)
                return y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)

            return lax.fori_loop(0, s_, step, jnp.zeros(n))[n - 1]

        return loss

    return jax_row(make, _args(n, s), "JAX jit(grad), lax.fori_loop")


def sizes(quick: bool) -> tuple[tuple[int, int], ...]:
    return ((8, 4),) if quick else ((1000, 10), (40, 100))


def cases(quick: bool = False) -> list[Case]:
    out = []
    for n, s in sizes(quick):
        args = _args(n, s)
        out.append(Case(NAME, f"n={n}, s={s}", {"n": n, "steps": s, "x": "U(0, 1), seed 0"}, [
            Contender("Numba primal", "primal", jitted(ode, args), value_of=float),
            reference(ode_adjoint, args, 8 * n * s),  # y per step
            *s2sad_rows(ode, args),
            _jax(n, s),
        ]))
    return out
