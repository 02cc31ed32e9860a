"""The gradient of a composition g(f(x)) with a tuple-returning f, as in Han and Zhu
("Automatic Differentiation with pytorch").

f(x) = (log(x0 x1), sin(x1)) and g(y) = y0 y1, written as the document writes them:
functions of a vector that index it, f returning a tuple. s2sad lowers both helpers into
h(x) = g(f(x)) and differentiates the whole; the gradient at (0.5, 0.75) is checked
against the document's numbers, its manual derivative and its forward differences
(h = 1e-3, which the document prints in float32).
"""

import numpy as np

import s2sad


def f(x):
    return (np.log(x[0] * x[1]), np.sin(x[1]))


def g(x):
    return x[0] * x[1]


def h(x):
    return g(f(x))


def main(argv=None) -> None:
    from _common import parse_args, row, section

    parse_args(__doc__, argv)
    x = np.array([0.5, 0.75])
    y, grad = s2sad.value_and_grad(h)(x)

    section("grad g(f(x)) at (0.5, 0.75) (document: tensor([1.3633, 0.1912]))")
    row("dh/dx0", grad[0], "1.3633")
    row("dh/dx1", grad[1], "0.1912")

    section("the document's manual derivative: sin(x1)/x0, sin(x1)/x1 + log(x0 x1) cos(x1)")
    row("dh/dx0", grad[0], np.sin(x[1]) / x[0], "exact")
    row("dh/dx1", grad[1], np.sin(x[1]) / x[1] + np.log(x[0] * x[1]) * np.cos(x[1]), "exact")

    section("forward differences, step 1e-3 (document: tensor([1.3619, 0.1919]))")
    # the document's numbers are these differences, not the derivative: they differ from
    # s2sad's by the truncation error of the step, which is what they show
    dx = [(h(x + np.array([1e-3, 0])) - y) / 1e-3, (h(x + np.array([0, 1e-3])) - y) / 1e-3]
    print(f"   forward differences: ({dx[0]:.4f}, {dx[1]:.4f})")
    print(f"   s2sad - differences: ({grad[0] - dx[0]:.1e}, {grad[1] - dx[1]:.1e})")
    print()
    print(s2sad.derivative_source(h, "grad", args=(x,)))


if __name__ == "__main__":
    main()
