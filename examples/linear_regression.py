"""Linear regression by gradient descent, as in Han and Zhu ("Automatic Differentiation
with pytorch").

The data are drawn as the document draws them: n = 100, x ~ N(0, 1), y = 2 + x + N(0, 1)
noise, b0 and b1 started at random; 500 steps of gradient descent with lr = 0.1 on
loss(b0, b1) = mean((y - (b0 + b1 x))^2), the loss and the gradient printed every 100
epochs. s2sad writes and compiles the gradient; the loop is plain Python. The fit is
compared with the least-squares solution of the same data (np.polyfit): b0 ~ 2 and
b1 ~ 1 up to the noise (the document's own draw gave 1.8190 and 1.0083).
"""

import numpy as np

import s2sad


def loss(b0, b1, x, y):
    return np.mean((y - (b0 + b1 * x)) ** 2)


def fit(x, y, b0, b1, epochs=500, lr=0.1, report=None):
    value_and_grad = s2sad.value_and_grad(loss, argnums=(0, 1))
    losses = []
    for epoch in range(epochs):
        value, (g0, g1) = value_and_grad(b0, b1, x, y)
        losses.append(value)
        if report is not None and epoch % 100 == 0:
            report(epoch, value, g0, g1)
        b0, b1 = b0 - lr * g0, b1 - lr * g1
    return b0, b1, np.array(losses)


def main(argv=None) -> None:
    from _common import note, parse_args, pyplot, row, save, section

    args = parse_args(__doc__, argv, plots=["linear_regression.png"])
    rng = np.random.default_rng(0)
    n = 100
    x = rng.standard_normal(n)
    y = 2 + x + rng.standard_normal(n)
    b0, b1 = rng.standard_normal(2)

    section("gradient descent, lr = 0.1, 500 epochs")

    def report(epoch, value, g0, g1):
        print(f"Epoch {epoch}: Loss = {value:.10f}")
        print(f"   gradient w.r.t. b0: {g0: .4e}   w.r.t. b1: {g1: .4e}")

    b0, b1, losses = fit(x, y, b0, b1, report=report)
    slope, intercept = np.polyfit(x, y, 1)
    row("b0 (least squares)", b0, intercept, "exact")
    row("b1 (least squares)", b1, slope, "exact")
    row("b0 (the data are drawn with 2)", b0, "2")
    row("b1 (the data are drawn with 1)", b1, "1")
    row("final loss (the noise variance, 1)", losses[-1], "1.0073")
    note("document (its own random draw): Loss = 1.0072836875915527, b0: 1.818988561630249, "
         "b1: 1.00831937789917")
    if not args.smoke:
        print()
        print(s2sad.derivative_source(loss, "grad", (0, 1), args=(0.0, 0.0, x, y)))

    plt = pyplot(args)
    if plt is None:
        return
    fig, ax = plt.subplots(1, 2, figsize=(9.6, 3.8))
    xs = np.linspace(x.min(), x.max(), 2)
    ax[0].plot(x, y, ".", color="gray", label="data: y = 2 + x + noise")
    ax[0].plot(xs, 2 + xs, "k--", lw=1, label="y = 2 + x")
    ax[0].plot(xs, b0 + b1 * xs, "C3", lw=2, label=f"fit: {b0:.3f} + {b1:.3f} x")
    ax[0].set(xlabel="x", ylabel="y", title="Linear regression by gradient descent")
    ax[0].legend(fontsize=8)
    ax[1].plot(losses, "C0")
    ax[1].set(xlabel="epoch", ylabel="loss", yscale="log", title="Loss (mean squared error)")
    fig.tight_layout()
    save(fig, args, "linear_regression.png")


if __name__ == "__main__":
    main()
