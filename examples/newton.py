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


if __name__ == "__main__":
    d = s2sad.grad(newton_sqrt)
    for a in (0.5, 2.0, 10.0):
        print(f"a = {a:5.2f}: d sqrt(a)/da = {d(a):.15f}   exact {0.5 / math.sqrt(a):.15f}")
    print()
    print(s2sad.derivative_source(newton_sqrt, "grad"))
