"""Gradients of a damped oscillator's final energy w.r.t. its damping and initial state.

The integrator is the seed document's ("Taking Derivatives with Automatic
Differentiation", section 5.4), copied as written: a plain Python loop, no tensors.
s2sad differentiates the loop in reverse mode, recording two numbers per step, and can
checkpoint it to trade memory for time (`checkpoint=True`: sqrt(N) snapshots).
"""

import os

import numpy as np

import s2sad

N = 1000
t = np.linspace(0, 10, N)
dt = t[1] - t[0]


def integrate(F, x0, v0, gamma):
    Ef = 0
    x = np.zeros(N)
    v = np.zeros(N)
    E = np.zeros(N)
    x[0] = x0
    v[0] = v0
    fac1 = 1.0 - 0.5 * gamma * dt
    fac2 = 1.0 / (1.0 + 0.5 * gamma * dt)
    for i in range(N - 1):
        vn = fac1 * fac2 * v0 - fac2 * dt * x0 + fac2 * dt * F[i]
        xn = x0 + dt * vn
        Ef = 0.5 * (x0**2 + ((v0 + vn) / 2.0) ** 2)
        v0 = vn
        x0 = xn
        # For Plotting/Debug
        v[i + 1] = vn
        x[i + 1] = xn
        E[i] = Ef
    Ef = 0.5 * (x0**2 + v0**2)
    E[-1] = Ef
    return ((x0, v0, Ef), (x, v, E))


def final_energy(F, x0, v0, gamma):
    (xf, vf, Ef), _ = integrate(F, x0, v0, gamma)
    return Ef


def final_velocity(F, x0, v0, gamma):
    (xf, vf, Ef), _ = integrate(F, x0, v0, gamma)
    return vf


def main() -> None:
    F = np.zeros(N)
    wrt = (3, 2, 1)  # gamma, v0, x0
    Ef, dEf = s2sad.value_and_grad(final_energy, argnums=wrt)(F, 1.0, 1.0, 0.05)
    print(f"Ef = {Ef:.4f}          (document: 0.6137)")
    print("dEf/d(gamma, v0, x0) = ({:.4f}, {:.4f}, {:.4f})".format(*dEf),
          "  (document: -5.9562, 0.6026, 0.6248)")
    vf, dvf = s2sad.value_and_grad(final_velocity, argnums=wrt)(F, 1.0, 1.0, 0.05)
    # The document prints (-4.7535, -0.0437, 1.0466) for vf: PyTorch's .grad, accumulated on
    # top of the energy gradients because they were never zeroed. These are the true ones,
    # the differences of the two printed rows; a functional API has no such trap.
    print(f"vf = {vf:.4f}          (document: -0.2245)")
    print("dvf/d(gamma, v0, x0) = ({:.4f}, {:.4f}, {:.4f})".format(*dvf))
    ck = s2sad.grad(final_energy, argnums=wrt, checkpoint=True)(F, 1.0, 1.0, 0.05)
    print("with checkpointing:   ({:.4f}, {:.4f}, {:.4f})".format(*ck))
    if not os.environ.get("S2SAD_SMOKE"):
        print()
        print(s2sad.derivative_source(final_energy, "grad", wrt, args=(F, 1.0, 1.0, 0.05)))


if __name__ == "__main__":
    main()
