"""The seed example: f(x1, x2) = ln(x1) + x1*x2 - sin(x2), its gradient at (2, 5), and the
source s2sad generates for it (the Wengert list of the seed documents, reversed)."""

import math

import s2sad


def f(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


df = s2sad.grad(f, argnums=(0, 1))


def main(argv=None) -> None:
    from _common import parse_args

    parse_args(__doc__, argv)  # --help; nothing here is big enough to shrink or draw
    g = df(2.0, 5.0)
    print(f"f(2, 5)        = {f(2.0, 5.0):.6f}")
    print(f"grad f(2, 5)   = {g}")
    print("expected       = (5.5, 1.7163378145367738)  [1/x1 + x2, x1 - cos(x2)]")
    print()
    print(s2sad.derivative_source(f, mode="reverse", argnums=(0, 1)))


if __name__ == "__main__":
    main()
