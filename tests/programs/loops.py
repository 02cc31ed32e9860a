"""Functions with branches and loops, under test (the frontend needs real source)."""

import math

import numpy as np

N = 1000
t = np.linspace(0, 10, N)
dt = t[1] - t[0]


def integrate(F, x0, v0, gamma):
    """The seed document's Verlet integrator (section 5.4), scalars only."""
    Ef = 0
    fac1 = 1.0 - 0.5 * gamma * dt
    fac2 = 1.0 / (1.0 + 0.5 * gamma * dt)
    for i in range(N - 1):
        vn = fac1 * fac2 * v0 - fac2 * dt * x0 + fac2 * dt * F[i]
        xn = x0 + dt * vn
        Ef = 0.5 * (x0**2 + ((v0 + vn) / 2.0) ** 2)
        v0 = vn
        x0 = xn
    Ef = 0.5 * (x0**2 + v0**2)
    return (x0, v0, Ef)


def final_energy(F, x0, v0, gamma):
    xf, vf, Ef = integrate(F, x0, v0, gamma)
    return Ef


def final_velocity(F, x0, v0, gamma):
    xf, vf, Ef = integrate(F, x0, v0, gamma)
    return vf


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def branchy(x, y):
    if x > y:
        z = math.sin(x) * y
    elif x > 0.0:
        z = x * x
    else:
        z = -y
    return z * x


def loop_branch(x, n):
    s = 0.0
    for i in range(n):
        if s > 1.0:
            s = s * 0.5 + math.cos(x * i)
        else:
            s = s + x * x
    return s


def state_in_arrays(F, x0, v0, gamma):
    """The state lives only in the arrays: each step reads x[i], v[i], writes x[i+1], v[i+1]."""
    x = np.zeros(N)
    v = np.zeros(N)
    x[0] = x0
    v[0] = v0
    fac1 = 1.0 - 0.5 * gamma * dt
    fac2 = 1.0 / (1.0 + 0.5 * gamma * dt)
    for i in range(N - 1):
        v[i + 1] = fac1 * fac2 * v[i] - fac2 * dt * x[i] + fac2 * dt * F[i]
        x[i + 1] = x[i] + dt * v[i + 1]
    return 0.5 * (x[N - 1] ** 2 + v[N - 1] ** 2)


def first_crossing(x, n):
    """for with break: sum terms until the partial sum passes 2."""
    s = 0.0
    for i in range(n):
        s = s + math.sin(x * (i + 1)) ** 2
        if s > 2.0:
            break
    return s * x


def skip_odd(x, n):
    """for with continue."""
    s = 0.0
    for i in range(n):
        if i % 2 == 1:
            continue
        s = s + x ** i / (i + 1)
    return s


def newton_break(a):
    """while True with break: Newton for sqrt(a) with an iteration cap."""
    x = a
    k = 0
    while True:
        x = 0.5 * (x + a / x)
        k += 1
        if abs(x * x - a) < 1e-13 * a or k > 100:
            break
    return x


def countdown(x, n):
    """reversed(range(...)) and a negative step."""
    s = x
    for i in reversed(range(1, n)):
        s = math.sin(s) * i / n + x
    for j in range(n, 0, -2):
        s = s * 0.9 + x / j
    return s


def first_root(x, n):
    """return from inside a for loop: the first partial sum past 1.5, else the total."""
    s = 0.0
    for i in range(n):
        s = s + x * math.cos(x * i) ** 2
        if s > 1.5:
            return s * x
    return s


def bisect_like(a, b):
    """return from inside a while loop."""
    x = a
    k = 0
    while k < 60:
        x = 0.5 * (x + b / x)
        k += 1
        if abs(x * x - b) < 1e-12:
            return x
    return -1.0


def rotate(x, y, z, n):
    """carried values exchanged every iteration (a parallel copy in generated code)."""
    for _ in range(n):
        x, y, z = y, z * x, x
    return x * 2.0 + y * 3.0 + z


def fibonacci_like(x, n):
    a, b = x, 1.0
    for _ in range(n):
        a, b = b, a + b * x
    return a


def restarted_inner(y, n):
    """an inner loop starts from y in every outer iteration (y must keep its name)."""
    s = 0.0
    for _ in range(n):
        v = y
        for _k in range(3):
            v = v * 0.5 + 0.1 * y
        s += v
    return s


def nested_breaks(x, n):
    """break out of an inner loop and out of the outer one (the inner loop's flag must not
    replace or drop the outer loop's)."""
    s = x
    for _ in range(n):
        for _j in range(3):
            s = s * 0.9 + 0.1 * x
            if s > 1.0:
                break
        s = s + 0.5 * x
        if s > 2.0:
            break
    return s


def while_after_break(x, n):
    """a while loop in the body of a for loop with break, after the break."""
    s = x
    for _ in range(n):
        if s > 3.0:
            break
        k = 0
        while k < 2:
            k += 1
            s = s * 0.9 + 0.1 * x
        s = s + 0.5 * x
    return s


def loop_returns_after_inner_loop(x, n):
    """return from a loop whose body has an inner loop (the inner loop is not the one that
    returns)."""
    s = x
    for i in range(n):
        k = 0
        while k < 2:
            k += 1
            s = 0.5 * s + 0.3 * math.sin(x * i)
        if s > 0.6:
            return s * x
    return s


def returning_loop_in_branch(x, n):
    """a loop that may return, inside an `if`: the code after the `if` runs when it does
    not."""
    s = x
    if x > 0.0:
        for i in range(n):
            s = s * 0.8 + x
            if s > 2.0:
                return s * i
    s = s * x
    return s


def return_in_dead_branch(x, n):
    """the loop's only return sits in a branch that is never taken (decided at compile
    time)."""
    s = x
    for _ in range(n):
        s = 0.5 * s + 0.3 * math.cos(s)
        if 2.0 < 0.0:
            return s
    return s * x


def neg_neg_inner(x, n):
    """-(-b) in an inner loop, b carried by the outer one: the reverse sweep recomputes it
    from b's recorded value, and -(-b) must fold to that value, not to the forward b."""
    b = 0.3
    d = x
    for _ in range(n):
        for _k in range(2):
            nb = -b
            d = 0.5 * d + 0.3 * math.cos(-nb)
        b = 0.5 * x + d
    return d


def reversed_break(x, n):
    """break in a reversed range loop: from the range's last element down to its start."""
    s = x
    for i in reversed(range(1, n, 2)):
        s = 0.5 * s + 0.3 * math.sin(x * i)
        if s > 0.9:
            break
    return s


def shift_register(x, y, n):
    """b's final value is unused, but each b passes on to a (dead-code elimination must keep
    it)."""
    a = x
    b = y
    for _ in range(n):
        a, b = b, b * x + y
    return a


def return_first(x, y):
    """a loop that returns in its first iteration; the code after it is dead at run time
    (the reverse if must still pass out the forward values its adjoints read)."""
    d = y
    for i in range(3):
        return x * i
        d = d * 0.5
    d = 0.5 * d + 0.3 * math.atan(d)
    return d * y
