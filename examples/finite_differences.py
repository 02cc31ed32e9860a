"""Finite differences against s2sad's exact derivative: the error as the step shrinks.

The seed function f(x1, x2) = ln(x1) + x1*x2 - sin(x2) at (2, 5), as Fuge ("Taking
Derivatives with Automatic Differentiation", 5.2.2: scipy's approx_fprime) and Kim
("Understanding Automatic Differentiation", 2.2: the U-curve of a forward difference in
x1) compute it. Truncation error falls with h, round-off error grows as h -> 0; the best
step is near sqrt(machine epsilon) ~ 1e-8 and still leaves ~1e-8 of error. s2sad's
derivative is exact to the last bit at every point, with no step to choose.
"""

import numpy as np
from scipy import optimize

import s2sad


def f_np(x):
    return np.log(x[0]) + x[0] * x[1] - np.sin(x[1])


def true_grad(x0, x1):
    return np.array([1 / x0 + x1, x0 - np.cos(x1)])


def main(argv=None) -> None:
    from _common import note, parse_args, pyplot, row, save, section

    args = parse_args(__doc__, argv, plots=["finite_differences.png"])
    x_np = np.array([2.0, 5.0])
    grad = s2sad.grad(f_np)
    g = grad(x_np)

    section("s2sad's gradient (Fuge 5.2: true_grad(2, 5) = [5.5, 1.71633781])")
    row("df/dx1", g[0], "5.5")
    row("df/dx2", g[1], "1.71633781")
    row("df/dx1 - true_grad", g[0] - true_grad(2, 5)[0], 0.0, "exact")
    row("df/dx2 - true_grad", g[1] - true_grad(2, 5)[1], 0.0, "exact")

    section("scipy's approx_fprime (forward differences), as in Fuge 5.2.2")
    fd = optimize.approx_fprime(x_np, f_np, epsilon=1e-4)
    note(f"approx_fprime(eps=1e-4)  = {fd}          (document: [5.4999875  1.71628987])")
    note(f"true_grad - approx_fprime = {true_grad(2, 5) - fd}   (document: "
         "[1.24995903e-05 4.79457300e-05])")
    note(f"true_grad - s2sad         = {true_grad(2, 5) - g}")

    epsilons = np.logspace(-13, 1, num=21)
    errors = [np.linalg.norm(true_grad(2, 5) - optimize.approx_fprime(x_np, f_np, epsilon=e))
              for e in epsilons]
    # Kim's U-curve: d/dx1 of f(x1, 5) at x1 = 2 by a forward difference
    hs = np.logspace(-16, 0, 60 if args.smoke else 200)
    x0 = 2.0
    f1 = lambda x: np.log(x) + x * 5 - np.sin(5.0)
    err = np.abs((f1(x0 + hs) - f1(x0)) / hs - (1.0 / x0 + 5))
    best = hs[np.argmin(err)]
    note(f"smallest forward-difference error {err.min():.1e} at h = {best:.1e} "
         "(Kim: h ~ sqrt(eps) ~ 1e-8)")
    s2_err = abs(float(grad(np.array([x0, 5.0]))[0]) - (1.0 / x0 + 5))
    row("s2sad's error in df/dx1", s2_err, 0.0, "exact")

    plt = pyplot(args)
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.loglog(hs, np.maximum(err, 1e-17), lw=1.4, color="#9C27B0",
              label="forward difference in $x_1$ (Kim)")
    ax.loglog(epsilons, np.maximum(errors, 1e-17), "o", color="#FF9800",
              label="scipy approx_fprime, |error| of both partials (Fuge)")
    ax.axvline(np.sqrt(np.finfo(float).eps), color="black", ls="--", lw=1,
               label=r"$h = \sqrt{\epsilon_{\mathrm{mach}}}$")
    ulp = np.spacing(1.0 / x0 + 5)
    ax.axhline(ulp, color="#2E7D32", lw=2,
               label=f"s2sad: error {s2_err:g} (drawn at 1 ulp = {ulp:.0e})")
    ax.set(xlabel="step size $h$", ylabel="|numerical - true|",
           title=r"Finite differences: error vs step size, $\partial f/\partial x_1$ at (2, 5)")
    ax.set_ylim(1e-17, 1e3)
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0.0, 0.1))
    fig.tight_layout()
    save(fig, args, "finite_differences.png")


if __name__ == "__main__":
    main()
