"""A while loop that runs to convergence: Newton's iteration for sqrt(a).

Reverse mode records each iteration's values on a stack and replays the iterations
backwards; the derivative matches 1 / (2 sqrt(a)).
"""

import math

import s2sad


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def main(argv=None) -> None:
    from _common import parse_args, row

    parse_args(__doc__, argv)
    d = s2sad.grad(newton_sqrt)
    for a in (0.5, 2.0, 10.0):
        row(f"d sqrt(a)/da at a = {a:g}", d(a), 0.5 / math.sqrt(a), "exact")
    print()
    print(s2sad.derivative_source(newton_sqrt, "grad"))


if __name__ == "__main__":
    main()
