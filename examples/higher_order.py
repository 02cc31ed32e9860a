"""Second and third derivatives: s2sad differentiates the derivative it generated.

y = sin(x) x^2 at x = 1.5, as in Kim ("Understanding Automatic Differentiation",
section 8), where PyTorch needs create_graph=True to differentiate its backward pass
again. s2sad's grad is a Python function whose source s2sad wrote, in the subset it
reads, so grad(grad(f)) and grad(grad(grad(f))) are derivatives of generated code;
hessian(f) is forward over reverse. Each is checked against its analytic formula, and the
four curves are drawn.
"""

import math

import numpy as np

import s2sad


def y(x):
    return math.sin(x) * x**2


dy = s2sad.grad(y)
d2y = s2sad.grad(dy)
d3y = s2sad.grad(d2y)


def main(argv=None) -> None:
    from _common import parse_args, pyplot, row, save, section

    args = parse_args(__doc__, argv, plots=["higher_order.png"])
    x = 1.5
    section("y = sin(x) x^2 at x = 1.5")
    value, slope = s2sad.value_and_grad(y)(x)
    row("y", value, "2.2444")
    row("dy/dx      grad(y)", slope, "3.1516")
    row("dy/dx      the same, dy(x)", dy(x), "3.1516")
    row("d2y/dx2    grad(grad(y))", d2y(x), "0.1750")
    row("d2y/dx2    hessian(y)", s2sad.hessian(y)(x), "0.1750")
    row("d3y/dx3    grad(grad(grad(y)))", d3y(x),
        -math.cos(x) * x**2 - 6 * x * math.sin(x) + 6 * math.cos(x), "exact")
    print("   analytic: y' = cos(x) x^2 + 2x sin(x), y'' = -sin(x) x^2 + 4x cos(x) + 2 sin(x),")
    print("   y''' = -cos(x) x^2 - 6x sin(x) + 6 cos(x)")
    print()
    print("the second derivative is the derivative of this generated gradient:")
    print(s2sad.derivative_source(y, "grad"))

    plt = pyplot(args)
    if plt is None:
        return
    xs = np.linspace(-2 * np.pi, 2 * np.pi, 80 if args.smoke else 400)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for fun, label in ((y, "$y = \\sin(x)\\,x^2$"), (dy, "$y'$"), (d2y, "$y''$"),
                       (d3y, "$y'''$")):
        ax.plot(xs, [fun(v) for v in xs], label=label)
    ax.plot([x] * 3, [dy(x), d2y(x), d3y(x)], "ko", ms=4)
    ax.axvline(x, color="gray", lw=0.8, ls=":")
    ax.set(xlabel="x", title="sin(x) x^2 and three derivatives, nested s2sad.grad")
    ax.legend(fontsize=9)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    save(fig, args, "higher_order.png")


if __name__ == "__main__":
    main()
