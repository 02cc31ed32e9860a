"""Functions with branches and loops, under test (the frontend needs real source)."""

import math

import numpy as np

N = 1000
t = np.linspace(0, 10, N)
dt = t[1] - t[0]


def integrate(F, x0, v0, gamma):
    """The seed document's Verlet integrator (section 5.4), scalars only."""
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
    return (x0, v0, Ef)


def final_energy(F, x0, v0, gamma):
    xf, vf, Ef = integrate(F, x0, v0, gamma)
    return Ef


def final_velocity(F, x0, v0, gamma):
    xf, vf, Ef = integrate(F, x0, v0, gamma)
    return vf


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def branchy(x, y):
    if x > y:
        z = math.sin(x) * y
    elif x > 0.0:
        z = x * x
    else:
        z = -y
    return z * x


def loop_branch(x, n):
    s = 0.0
    for i in range(n):
        if s > 1.0:
            s = s * 0.5 + math.cos(x * i)
        else:
            s = s + x * x
    return s
