"""The seed documents' forward and reverse tables of f(x1, x2) = ln(x1) + x1*x2 - sin(x2)
at (2, 5), computed from the Wengert list s2sad prints.

`s2sad show wengert_tables.py:f --ir --after lower` is the forward table's left column;
evaluated line by line it gives the values (Kim, "Understanding Automatic
Differentiation", section 3-4; Fuge, "Taking Derivatives with Automatic Differentiation",
5.1). The tangent IR (`--mode forward`) is the table of dotted values, seeded once per
input; the adjoint IR (`--mode reverse`) is the reverse table, `x2_bar` accumulating over
the two uses of x2 as the documents' `+=`. Then the same numbers from the API (`jvp` as
Kim's dual numbers, `value_and_grad` as his tape), and the exercise of the
computational-graph notes: ln(x1) + cos(x2) - x1*x2 at (2, 1).

Node names: s2sad's v1..v5 are Kim's v3..v7 (his v1, v2 are the inputs); Fuge writes the
sine node as V4 = -sin(V1) and adds it.
"""

import math

import s2sad


def f(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def exercise(x1, x2):
    return math.log(x1) + math.cos(x2) - x1 * x2


def main(argv=None) -> None:
    from _common import evaluate_ir, note, parse_args, row, section, show_ir

    def show(*flags):
        return show_ir(__file__, "f", *flags)

    parse_args(__doc__, argv)
    x1, x2 = 2.0, 5.0

    section("the Wengert list: s2sad show wengert_tables.py:f --ir --after lower")
    primal = show("--ir", "--after", "lower")
    print(primal, end="")

    section("forward pass at (2, 5): the list evaluated line by line")
    v = evaluate_ir(primal, {"x1": x1, "x2": x2})
    row("v1 = log(x1)      (Fuge V2, Kim v3)", v["v1"], "0.6931")
    row("v2 = x1 * x2      (Fuge V3, Kim v4)", v["v2"], "10")
    row("v4 = sin(x2)      (Kim v5)", v["v4"], "-0.959")
    row("v3 = v1 + v2      (Fuge V5, Kim v6)", v["v3"], "10.6931")
    row("v5 = v3 - v4 = f  (Kim v7)", v["v5"], "11.652")

    section("forward mode: s2sad show wengert_tables.py:f --mode forward --ir --after "
            "differentiate")
    tangent = show("--mode", "forward", "--ir", "--after", "differentiate")
    print(tangent, end="")
    print("case A, derivative w.r.t. x1 (x1_dot = 1, x2_dot = 0):")
    a = evaluate_ir(tangent, {"x1": x1, "x2": x2, "x1_dot": 1.0, "x2_dot": 0.0})
    row("v1_dot = x1_dot / x1   (Kim v3 dot)", a["v1_dot"], "0.5")
    row("v2_dot   (Kim v4 dot)", a["v2_dot"], "5")
    row("v4_dot   (Kim v5 dot)", a["v4_dot"], "0")
    row("v3_dot   (Kim v6 dot)", a["v3_dot"], "5.5")
    row("v5_dot = df/dx1   (Kim v7 dot)", a["v5_dot"], "5.5")
    print("case B, derivative w.r.t. x2 (x1_dot = 0, x2_dot = 1), Fuge's exercise:")
    b = evaluate_ir(tangent, {"x1": x1, "x2": x2, "x1_dot": 0.0, "x2_dot": 1.0})
    row("v1_dot = 0", b["v1_dot"], 0.0, "exact")
    row("v2_dot = x1", b["v2_dot"], x1, "exact")
    row("v4_dot = cos(x2)", b["v4_dot"], math.cos(x2), "exact")
    row("v3_dot = v1_dot + v2_dot", b["v3_dot"], x1, "exact")
    row("v5_dot = df/dx2", b["v5_dot"], "1.7163")

    section("reverse mode: s2sad show wengert_tables.py:f --ir --after differentiate")
    adjoint = show("--ir", "--after", "differentiate")
    print(adjoint, end="")
    r = evaluate_ir(adjoint, {"x1": x1, "x2": x2, "v5_bar": 1.0})
    note("v5_bar = 1 is the seed (Kim: v7_bar = 1; Fuge: V6_bar = 1). Bars of the sums")
    note("(v3_bar = v2_bar = v1_bar = 1) are v5_bar itself: the passes fold them away.")
    row("v4_bar = -v5_bar        (Kim v5_bar)", r["v4_bar"], "-1")
    row("x2_bar = cos(x2) v4_bar (Fuge, from V4)", r["x2_bar"], "-0.2837")
    row("x1_bar = x2 v5_bar      (Kim v1_bar += 5)", r["x1_bar"], "5")
    row("x2_bar_1 += x1 v5_bar   (df/dx2)", r["x2_bar_1"], "1.7163")
    row("x1_bar_1 += v5_bar / x1 (df/dx1)", r["x1_bar_1"], "5.5")
    print()
    print("the same adjoint as the Python s2sad compiles "
          "(s2sad show wengert_tables.py:f --mode reverse):")
    print(s2sad.derivative_source(f, mode="reverse", argnums=(0, 1)))

    section("the API: Kim's dual numbers are jvp, his tape is value_and_grad")
    for seed, doc in (((1.0, 0.0), "5.5000"), ((0.0, 1.0), "1.7163")):
        y, t = s2sad.jvp(f, (x1, x2), seed)
        row(f"jvp seed {seed}: f", y, "11.6521")
        row(f"jvp seed {seed}: tangent", t, doc)
    y, (g1, g2) = s2sad.value_and_grad(f, argnums=(0, 1))(x1, x2)
    row("value_and_grad: f(2, 5)", y, "11.652071")
    row("value_and_grad: df/dx1", g1, "5.500000")
    row("value_and_grad: df/dx2", g2, "1.716338")
    note("Fuge's true_grad - x.grad is (0, 1.45e-08) for PyTorch in float32; s2sad in")
    note("float64 against the analytic gradient 1/x1 + x2, x1 - cos(x2):")
    row("df/dx1 - (1/x1 + x2)", g1 - (1 / x1 + x2), 0.0, "exact")
    row("df/dx2 - (x1 - cos x2)", g2 - (x1 - math.cos(x2)), 0.0, "exact")

    section("computational-graph notes, exercise: ln(x1) + cos(x2) - x1 x2 at (2, 1)")
    y, (g1, g2) = s2sad.value_and_grad(exercise, argnums=(0, 1))(2.0, 1.0)
    row("f(2, 1)", y, math.log(2.0) + math.cos(1.0) - 2.0, "exact")
    row("df/dx1 = 1/x1 - x2 (reverse)", g1, 1 / 2.0 - 1.0, "exact")
    row("df/dx2 = -sin(x2) - x1 (reverse)", g2, -math.sin(1.0) - 2.0, "exact")
    _, t = s2sad.jvp(exercise, (2.0, 1.0), (1.0, 0.0))
    row("df/dx1 (forward, one pass)", t, 1 / 2.0 - 1.0, "exact")


if __name__ == "__main__":
    main()
