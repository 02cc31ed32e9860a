"""Backpropagation by hand and by s2sad: the worked examples of Asch's slides ("SciML -
Automatic Differentiation") and of the computational-graph notes ("Calculating gradients
with PyTorch: torch.autograd").

- the circuit f = (x + y) z at (-2, 5, -4): s2sad's adjoint IR is the slides' "backward
  pass" snippet, line for line (q_bar = z f_bar, z_bar = q f_bar);
- logistic least squares L = (sigma(w x + b) - t)^2 / 2: the slides' "calculus approach"
  formula against the "structured approach", which is the adjoint s2sad generates;
- the slides' exercise (x + sigma(y)) / (sigma(x) + (x + y)^2): reverse mode, forward
  mode and finite differences agree;
- the notes' torch.autograd examples: x^2 at 4, log(sin x + tanh y^2) / z at (1, 1, 1).
"""

import math

import s2sad


def circuit(x, y, z):
    q = x + y
    f = q * z
    return f


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def logistic_loss(w, b, x, t):
    z = w * x + b
    y = sigmoid(z)
    L = 0.5 * (y - t) ** 2
    return L


def exercise(x, y):
    return (x + sigmoid(y)) / (sigmoid(x) + (x + y) ** 2)


def square(x):
    return x**2


def log_sin_tanh(x, y, z):
    return math.log(math.sin(x) + math.tanh(y**2)) / z


def central(fun, args, i, h=1e-6):
    a, b = list(args), list(args)
    a[i] += h
    b[i] -= h
    return (fun(*a) - fun(*b)) / (2 * h)


def main(argv=None) -> None:
    from _common import evaluate_ir, parse_args, row, section, show_ir

    parse_args(__doc__, argv)

    section("the circuit f = (x + y) z at x = -2, y = 5, z = -4")
    adjoint = show_ir(__file__, "circuit", "--ir", "--after", "differentiate")
    print(adjoint, end="")
    r = evaluate_ir(adjoint, {"x": -2.0, "y": 5.0, "z": -4.0, "f_bar": 1.0})
    row("q = x + y   ('q becomes 3')", r["q"], "3")
    row("f = q z     ('f becomes -12')", r["f"], "-12")
    row("q_bar = df/dq = z", r["q_bar"], "-4")
    row("z_bar = df/dz = q", r["z_bar"], "3")
    f, (dx, dy, dz) = s2sad.value_and_grad(circuit, argnums=(0, 1, 2))(-2.0, 5.0, -4.0)
    row("grad: df/dx = df/dq * 1", dx, -4.0, "exact")
    row("grad: df/dy = df/dq * 1", dy, -4.0, "exact")
    row("grad: df/dz = q", dz, "3")

    section("logistic least squares at w = 0.3, b = -0.2, x = 1.5, t = 1")
    w, b, x, t = 0.3, -0.2, 1.5, 1.0
    gw, gb = s2sad.grad(logistic_loss, argnums=(0, 1))(w, b, x, t)
    s = sigmoid(w * x + b)
    ds = s * (1.0 - s)  # sigma'(z)
    row("dL/dw = (sigma(z) - t) sigma'(z) x", gw, (s - t) * ds * x, "exact")
    row("dL/db = (sigma(z) - t) sigma'(z)", gb, (s - t) * ds, "exact")
    print("the structured approach (z, y, L forwards; dL/dy, dL/dz, dL/dw backwards),")
    print("as s2sad writes it:")
    print(s2sad.derivative_source(logistic_loss, "reverse", (0, 1)))

    section("the slides' exercise: (x + sigma(y)) / (sigma(x) + (x + y)^2) at (0.5, -1)")
    args = (0.5, -1.0)
    g = s2sad.grad(exercise, argnums=(0, 1))(*args)
    for i, name in enumerate(("x", "y")):
        seed = [0.0, 0.0]
        seed[i] = 1.0
        _, tangent = s2sad.jvp(exercise, args, tuple(seed))
        row(f"df/d{name} (reverse)", g[i], central(exercise, args, i), "fd")
        row(f"df/d{name} (forward)", tangent, g[i], "exact")

    section("the notes' torch.autograd examples")
    row("d(x^2)/dx at 4  (tensor([8.]))", s2sad.grad(square)(4.0), "8")
    args = (1.0, 1.0, 1.0)
    g = s2sad.grad(log_sin_tanh, argnums=(0, 1, 2))(*args)
    sx = math.sin(1.0) + math.tanh(1.0)
    exact = (math.cos(1.0) / sx, 2.0 * (1.0 - math.tanh(1.0) ** 2) / sx, -math.log(sx))
    for i, name in enumerate(("x", "y", "z")):
        row(f"log(sin x + tanh y^2)/z: d/d{name}", g[i], exact[i], "exact")


if __name__ == "__main__":
    main()
