"""The ground-state energy of a 1-D Hamiltonian, its gap, and their derivatives w.r.t. the
strength kappa of a Gaussian bump in the potential.

H = T + diag(V) on Nx = 500 points of [-L/2, L/2], L = 10, with T the 3-point
finite-difference kinetic energy -(1/2) d^2/dx^2 and V(x) = x^2/2 + kappa exp(-x^2/2),
as in the computational-graph notes ("Calculating gradients with PyTorch"):
get_energy_ground_state(kappa) is the lowest eigenvalue of np.linalg.eigh(H), get_gap
the difference of the two lowest. s2sad differentiates through the eigensolver; the
derivatives are checked against central differences and against Hellmann-Feynman,
dE_n/dkappa = <psi_n| exp(-x^2/2) |psi_n>. The figure shows the densities of the first
eigenstates and E_GS, the gap and their derivatives over kappa.
"""

import sys

import numpy as np
from numpy.linalg import eigh

import s2sad

L = 10.0
Nx = 100 if "--smoke" in sys.argv else 500
x = np.linspace(-L / 2, L / 2, Nx)
dx = x[1] - x[0]
# -(1/2) d^2/dx^2: (psi[i+1] - 2 psi[i] + psi[i-1]) / dx^2, times -1/2
T = (np.diag(np.full(Nx, 2.0)) - np.diag(np.ones(Nx - 1), 1)
     - np.diag(np.ones(Nx - 1), -1)) / (2.0 * dx * dx)


def get_potential(kappa):
    return 0.5 * x**2 + kappa * np.exp(-(x**2) / 2)


def get_H(kappa):
    return T + np.diag(get_potential(kappa))


def get_energy_ground_state(kappa):
    H = get_H(kappa)
    Energies, Vectors = eigh(H)
    E_GS = Energies[0]
    return E_GS


def get_gap(kappa):
    H = get_H(kappa)
    Energies, Vectors = eigh(H)
    gap = Energies[1] - Energies[0]
    return gap


def main(argv=None) -> None:
    from _common import note, parse_args, pyplot, row, save, section

    args = parse_args(__doc__, argv, plots=["ground_state.png"])
    E_and_dE = s2sad.value_and_grad(get_energy_ground_state)
    gap_and_dgap = s2sad.value_and_grad(get_gap)

    section(f"Nx = {Nx}, L = {L:g}, kappa = 1")
    k, h = 1.0, 1e-5
    E0, dE0 = E_and_dE(k)
    gap, dgap = gap_and_dgap(k)
    energies, psi = eigh(get_H(k))
    bump = np.exp(-(x**2) / 2)
    hf = [float(psi[:, n] @ (bump * psi[:, n])) for n in (0, 1)]
    note(f"E_GS = {E0:.6f}, gap = {gap:.6f}")
    row("dE_GS/dkappa vs central differences", dE0,
        (get_energy_ground_state(k + h) - get_energy_ground_state(k - h)) / (2 * h), "fd")
    row("dE_GS/dkappa vs Hellmann-Feynman", dE0, hf[0], "exact")
    row("dgap/dkappa vs central differences", dgap,
        (get_gap(k + h) - get_gap(k - h)) / (2 * h), "fd")
    row("dgap/dkappa vs Hellmann-Feynman", dgap, hf[1] - hf[0], "exact")
    E00 = E_and_dE(0.0)[0]
    note(f"kappa = 0: E_GS = {E00:.6f}, the harmonic oscillator's 0.5 up to the grid")

    plt = pyplot(args)
    if plt is None:
        return
    kappas = np.linspace(0.0, 5.0, 6 if args.smoke else 21)
    E, dE = np.array([E_and_dE(kk) for kk in kappas]).T
    G, dG = np.array([gap_and_dgap(kk) for kk in kappas]).T
    fig = plt.figure(figsize=(10, 6.2))
    grid = fig.add_gridspec(2, 2, width_ratios=(1.1, 1))
    ax = fig.add_subplot(grid[:, 0])
    ax.plot(x, get_potential(k), "k", lw=1, label=f"V(x), kappa = {k:g}")
    for n in range(4):
        density = psi[:, n] ** 2 / dx
        ax.plot(x, energies[n] + density, label=f"$E_{n}$ + $|\\psi_{n}|^2$")
        ax.axhline(energies[n], color="gray", lw=0.5, ls=":")
    ax.set(xlabel="x", ylabel="energy", ylim=(0, energies[3] + 1.5), xlim=(-L / 2, L / 2),
           title="densities of the first eigenstates")
    ax.legend(fontsize=8, loc="upper center")
    a1 = fig.add_subplot(grid[0, 1])
    a1.plot(kappas, E, "C0", label="$E_{GS}$")
    a1.plot(kappas, G, "C1", label="gap $E_1 - E_0$")
    a1.set(ylabel="energy", title="energies and their s2sad derivatives")
    a1.legend(fontsize=8)
    a2 = fig.add_subplot(grid[1, 1], sharex=a1)
    a2.plot(kappas, dE, "C0", label="$dE_{GS}/d\\kappa$")
    a2.plot(kappas, dG, "C1", label="$d\\,gap/d\\kappa$")
    a2.set(xlabel="$\\kappa$", ylabel="derivative")
    a2.legend(fontsize=8)
    fig.suptitle("Ground state of $H = -\\frac{1}{2}\\,d^2/dx^2 + x^2/2 + \\kappa\\, e^{-x^2/2}$"
                 f" (Nx = {Nx})")
    fig.tight_layout()
    save(fig, args, "ground_state.png")


if __name__ == "__main__":
    main()
