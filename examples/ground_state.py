"""Ground-state energy of a 1-D Hamiltonian and its derivative w.r.t. a potential's strength.

H = T + diag(V), T the 3-point finite-difference kinetic energy -(1/2) d^2/dx^2 and
V(x) = x^2 / 2 + kappa exp(-x^2 / 2) (the seed notes "Calculating gradients with
PyTorch"). E0 is the lowest eigenvalue (np.linalg.eigvalsh); s2sad differentiates through
the eigensolver. dE0/dkappa is checked against finite differences and against the
Hellmann-Feynman value <psi0| exp(-x^2/2) |psi0>. Saves ground_state.png if matplotlib
is installed.
"""

import os

import numpy as np

import s2sad

n = 101 if not os.environ.get("S2SAD_SMOKE") else 31
x = np.linspace(-6.0, 6.0, n)
dx = x[1] - x[0]
T = (np.diag(np.full(n, 2.0)) - np.diag(np.ones(n - 1), 1) - np.diag(np.ones(n - 1), -1)) / (
    2.0 * dx * dx)


def ground_energy(kappa):
    V = 0.5 * x**2 + kappa * np.exp(-(x**2) / 2.0)
    H = T + np.diag(V)
    return np.linalg.eigvalsh(H)[0]


if __name__ == "__main__":
    dE = s2sad.value_and_grad(ground_energy)
    kappas = np.linspace(0.0, 5.0, 11 if os.environ.get("S2SAD_SMOKE") else 51)
    E0, dE0 = np.array([dE(k) for k in kappas]).T
    k, h = 1.0, 1e-5
    fd = (ground_energy(k + h) - ground_energy(k - h)) / (2 * h)
    w, V = np.linalg.eigh(T + np.diag(0.5 * x**2 + k * np.exp(-(x**2) / 2.0)))
    hf = float(V[:, 0] @ (np.exp(-(x**2) / 2.0) * V[:, 0]))
    print(f"kappa = 0: E0 = {E0[0]:.6f} (harmonic oscillator: 0.5 up to discretisation)")
    print(f"kappa = 1: dE0/dkappa = {dE(k)[1]:.8f}, finite differences {fd:.8f}, "
          f"Hellmann-Feynman {hf:.8f}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
    if plt is not None and not os.environ.get("S2SAD_SMOKE"):
        fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
        ax[0].plot(kappas, E0)
        ax[0].set(xlabel="kappa", ylabel="E0")
        ax[1].plot(kappas, dE0)
        ax[1].set(xlabel="kappa", ylabel="dE0/dkappa")
        fig.tight_layout()
        fig.savefig("ground_state.png", dpi=100)
        print("saved ground_state.png")
