"""Minimising the McCormick function with s2sad's gradient: gradient descent, Adam and
scipy's L-BFGS from (-4, 4).

f(x) = sin(x0 + x1) + (x0 - x1)^2 - 1.5 x0 + 2.5 x1 + 1, as in Fuge ("Taking
Derivatives with Automatic Differentiation", 5.3), where PyTorch's AdamW (lr = 1) takes
50 steps. The optimisers here are a few lines of NumPy; AdamW is written as PyTorch
defines it (weight decay 0.01, betas 0.9 and 0.999), so its path is the document's step
for step (the document runs in float32, s2sad in float64). scipy's L-BFGS-B takes the
value and the gradient from one call of s2sad.value_and_grad. The minimum is at
(-0.54719, -1.54719); the three paths are drawn on the contour plot.
"""

import numpy as np
from scipy import optimize

import s2sad


def mccormick(x):
    return np.sin(x[0] + x[1]) + (x[0] - x[1]) ** 2 - 1.5 * x[0] + 2.5 * x[1] + 1


grad = s2sad.grad(mccormick)
value_and_grad = s2sad.value_and_grad(mccormick)

# (step, x0, x1) of the AdamW path the document prints, one line per step
DOCUMENT_ADAM = {1: ("-2.9600", "2.9600"), 5: ("0.6508", "-0.7906"),
                 10: ("1.6423", "-2.9514"), 25: ("-1.5524", "-1.3224"),
                 50: ("-0.5490", "-1.4935")}


def gradient_descent(x, lr=0.05, steps=200):
    path = [x.copy()]
    for _ in range(steps):
        x = x - lr * grad(x)
        path.append(x.copy())
    return np.array(path)


def adamw(x, lr=1.0, steps=50, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    """torch.optim.AdamW's update, in NumPy."""
    m, v = np.zeros_like(x), np.zeros_like(x)
    path = [x.copy()]
    for t in range(1, steps + 1):
        g = grad(x)
        x = x * (1.0 - lr * weight_decay)
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        denom = np.sqrt(v) / np.sqrt(1 - betas[1] ** t) + eps
        x = x - lr / (1 - betas[0] ** t) * m / denom
        path.append(x.copy())
    return np.array(path)


def lbfgs(x):
    path = [x.copy()]
    res = optimize.minimize(value_and_grad, x, jac=True, method="L-BFGS-B",
                            callback=lambda xk: path.append(np.copy(xk)),
                            options={"gtol": 1e-12})
    return res, np.array(path)


def main(argv=None) -> None:
    from _common import note, parse_args, pyplot, row, save, section

    args = parse_args(__doc__, argv, plots=["mccormick.png"])
    x0 = np.array([-4.0, 4.0])

    section("the gradient at (-4, 4) (document: tensor([-16.5000,  19.5000]))")
    g = grad(x0)
    row("df/dx0", g[0], "-16.5000")
    row("df/dx1", g[1], "19.5000")

    section("AdamW, lr = 1, 50 steps (the document's path)")
    adam = adamw(x0)
    for step, (a, b) in DOCUMENT_ADAM.items():
        row(f"AdamW step {step:2d}: x0", adam[step][0], a)
        row(f"AdamW step {step:2d}: x1", adam[step][1], b)

    section("gradient descent, lr = 0.05, and scipy L-BFGS-B")
    sgd = gradient_descent(x0)
    res, bfgs = lbfgs(x0)
    note(f"gradient descent after {len(sgd) - 1} steps: {sgd[-1]}")
    note(f"L-BFGS-B: {res.nit} iterations, {res.nfev} calls of value_and_grad, "
         f"f = {res.fun:.6f}")
    row("L-BFGS-B minimum: x0", res.x[0], "-0.54719")
    row("L-BFGS-B minimum: x1", res.x[1], "-1.54719")
    row("gradient descent minimum: x0", sgd[-1][0], "-0.54719")
    row("gradient descent minimum: x1", sgd[-1][1], "-1.54719")

    plt = pyplot(args)
    if plt is None:
        return
    xs = np.linspace(-5, 4, 100 if args.smoke else 300)
    X = np.array(np.meshgrid(xs, xs, indexing="ij"))
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    cs = ax.contour(X[0], X[1], mccormick(X), levels=30, cmap="viridis", linewidths=0.8)
    fig.colorbar(cs, ax=ax, label="f")
    for path, style, label in ((sgd, "-", f"gradient descent ({len(sgd) - 1} steps)"),
                               (adam, "+-", f"AdamW, lr = 1 ({len(adam) - 1} steps)"),
                               (bfgs, "o-", f"scipy L-BFGS-B ({len(bfgs) - 1} iterations)")):
        ax.plot(path[:, 0], path[:, 1], style, lw=1.4, ms=5, label=label)
    ax.plot([-0.54719], [-1.54719], "*", color="red", ms=14, label="minimum (-0.547, -1.547)")
    ax.plot([-4], [4], "ks", label="start (-4, 4)")
    ax.set(xlabel="$x_0$", ylabel="$x_1$", title="McCormick function: three optimisers, "
           "one s2sad gradient")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    save(fig, args, "mccormick.png")


if __name__ == "__main__":
    main()
