"""Gradients of a damped oscillator's final energy w.r.t. its damping and initial state,
and the damping that reaches a target energy.

The integrator is the seed document's (Fuge, "Taking Derivatives with Automatic
Differentiation", 5.4), copied as written: a plain Python loop, no tensors, with the
arrays it fills for plotting. s2sad differentiates the loop in reverse mode, recording two
numbers per step, and can checkpoint it to trade memory for time (`checkpoint=True`:
sqrt(N) snapshots). The document's second row of gradients (of the final velocity) is
PyTorch's .grad accumulated on top of the first; the true ones are printed. Then scipy's
Newton iteration, with s2sad's derivative as fprime, finds the gamma whose final energy is
a target, and x(t), E(t) are drawn for both gammas.
"""

import numpy as np
from scipy import optimize

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


def main(argv=None) -> None:
    from _common import note, parse_args, pyplot, row, save, section

    args = parse_args(__doc__, argv, plots=["verlet.png"])
    F = np.zeros(N)
    wrt = (3, 2, 1)  # gamma, v0, x0
    names = ("gamma", "v0", "x0")

    section("d Ef / d(gamma, v0, x0) at x0 = v0 = 1, gamma = 0.05")
    Ef, dEf = s2sad.value_and_grad(final_energy, argnums=wrt)(F, 1.0, 1.0, 0.05)
    row("Ef", Ef, "0.6137")
    for name, d, doc in zip(names, dEf, ("-5.9562", "0.6026", "0.6248")):
        row(f"dEf/d{name}", d, doc)
    ck = s2sad.grad(final_energy, argnums=wrt, checkpoint=True)(F, 1.0, 1.0, 0.05)
    for name, d, ref in zip(names, ck, dEf):
        row(f"dEf/d{name}, checkpoint=True", d, ref, "exact")

    section("d vf / d(gamma, v0, x0)")
    vf, dvf = s2sad.value_and_grad(final_velocity, argnums=wrt)(F, 1.0, 1.0, 0.05)
    row("vf", vf, "-0.2245")
    note("The document prints (-4.7535, -0.0437, 1.0466) here: vf.backward() added to the")
    note(".grad fields that Ef.backward() had filled, never zeroed. The sum is that row:")
    for name, e, d, doc in zip(names, dEf, dvf, ("-4.7535", "-0.0437", "1.0466")):
        row(f"dEf/d{name} + dvf/d{name} (.grad)", e + d, doc)
    note("and the true derivatives of vf, the differences of the document's two rows:")
    for name, d in zip(names, dvf):
        print(f"   dvf/d{name:<6} = {d: .4f}")

    section("the gamma whose final energy is a target (scipy Newton, fprime from s2sad)")
    energy = s2sad.value_and_grad(final_energy, argnums=3)
    target = 0.1
    sol = optimize.root_scalar(lambda g: energy(F, 1.0, 1.0, g)[0] - target, x0=0.05,
                               fprime=lambda g: energy(F, 1.0, 1.0, g)[1], method="newton",
                               xtol=1e-14)
    gamma_star = sol.root
    note(f"target Ef = {target}: gamma = {gamma_star:.6f} after {sol.iterations} Newton steps")
    row("Ef(gamma found)", energy(F, 1.0, 1.0, gamma_star)[0], target, "exact")
    if not args.smoke:
        print()
        print(s2sad.derivative_source(final_energy, "grad", wrt, args=(F, 1.0, 1.0, 0.05)))

    plt = pyplot(args)
    if plt is None:
        return
    gammas = np.logspace(-1.5, 1.0, 10 if args.smoke else 40)  # the document: -0.5 to 1
    Efs = [energy(F, 1.0, 1.0, g)[0] for g in gammas]
    fig, ax = plt.subplots(3, 1, figsize=(6.4, 7.6))
    for g, color in ((0.05, "C0"), (gamma_star, "C3")):
        _, (x, v, E) = integrate(F, 1.0, 1.0, g)
        ax[0].plot(t, x, color=color, label=fr"$\gamma = {g:.3f}$")
        ax[1].plot(t, E, color=color, label=fr"$\gamma = {g:.3f}$")
    ax[0].set(ylabel="x(t)")
    ax[1].axhline(target, color="gray", ls=":", label=f"target E = {target}")
    ax[1].set(ylabel="E(t)", xlabel="time", ylim=(0, 1.0))
    ax[1].legend(loc="center right")
    ax[2].semilogx(gammas, Efs, "k-", label="final energy (the plateau: gamma 1 to 3)")
    ax[2].plot([0.05], [Ef], "o", color="C0")
    ax[2].plot([gamma_star], [target], "o", color="C3")
    ax[2].legend(loc="upper right")
    ax[2].set(xlabel=r"$\gamma$", ylabel="E final")
    ax[0].set_title("Damped oscillator (Verlet): the damping for a target final energy")
    for a in ax:
        a.grid(True, alpha=0.3)
    fig.tight_layout()
    save(fig, args, "verlet.png")


if __name__ == "__main__":
    main()
