"""Arrays defined inside loops and branches (or as loop/If results) and then read or
written element by element: reverse mode gives them adjoint buffers where they are
defined (docs/storage.md)."""

import numpy as np

# the common Numba style, a fresh array per time step: the benchmark's own program
from benchmarks.heat import heat_fresh  # noqa: F401


def swap_buffers(u0, r, nt):
    """two buffers swapped every step"""
    u = u0.copy()
    un = np.zeros(len(u0))
    n = len(u0)
    for _ in range(nt):
        for i in range(1, n - 1):
            un[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u, un = un, u
    return np.sum(u * u)


def scratch_row(A):
    """scratch array allocated inside a loop"""
    s = 0.0
    for k in range(A.shape[0]):
        row = np.zeros(A.shape[1])
        for j in range(A.shape[1]):
            row[j] = A[k, j] ** 2
        s += np.sum(row * row)
    return s


def loop_result_sub(x, n):
    """a loop result subscripted after the loop"""
    u = x.copy()
    for _ in range(n):
        u = u * 1.5 + np.sin(u)
    return u[0] * u[2]


def if_result_sub(x):
    """an If result subscripted"""
    if x[0] > 0:
        y = np.exp(x)
    else:
        y = x * x
    return y[1] + y[0] * y[2]


def param_sub(x, n):
    """a rebound array subscripted inside the loop"""
    s = 0.0
    for _ in range(n):
        x = x * 0.9
        s += x[0] ** 2
    return s


# ---------------------------------------------------------------- variations
def heat_fresh_nonlinear(u0, r, nt):
    """the reverse sweep needs the values each read saw"""
    u = u0.copy()
    n = len(u0)
    for _ in range(nt):
        un = np.empty_like(u)
        un[0] = u[0]
        un[n - 1] = u[n - 1]
        for i in range(1, n - 1):
            un[i] = u[i] + r * u[i] * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u = un
    return np.sum(u * u)


def swap_nonlinear(u0, r, nt):
    """after the swap, the next step overwrites the array this step read"""
    u = u0.copy()
    un = u0.copy()
    n = len(u0)
    for _ in range(nt):
        for i in range(1, n - 1):
            un[i] = u[i] + r * np.sin(u[i - 1]) * u[i + 1]
        u, un = un, u
    return np.sum(u * u) + un[1]


def heat_fresh_slices(u0, r, nt):
    u = u0.copy()
    for _ in range(nt):
        un = np.empty_like(u)
        un[0] = u[0]
        un[-1] = u[-1]
        un[1:-1] = u[1:-1] + r * u[1:-1] * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        u = un
    return np.sum(u[:-1] * u[1:])


def heat2d_fresh(U0, r, nt):
    U = U0.copy()
    n = U0.shape[0]
    m = U0.shape[1]
    for _ in range(nt):
        V = np.zeros((n, m))
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                V[i, j] = U[i, j] + r * U[i, j] * (U[i - 1, j] + U[i + 1, j] + U[i, j - 1]
                                                   + U[i, j + 1] - 4.0 * U[i, j])
        U = V
    return np.sum(U * U)


def scratch2d(A, n):
    """a 2-D scratch array allocated in a loop, filled in two inner loops, read whole"""
    s = 0.0
    for t in range(n):
        B = np.zeros((A.shape[0], A.shape[1]))
        for i in range(A.shape[0]):
            for j in range(A.shape[1]):
                B[i, j] = np.sin(A[i, j]) * (t + 1.0)
        s += np.sum(B * B) + B[0, 1]
    return s


def branch_alloc(x, c):
    """an array allocated and filled in one branch of an if"""
    if c > 0.0:
        a = np.zeros(len(x))
        for i in range(len(x)):
            a[i] = x[i] * x[i] * c
    else:
        a = np.sin(x)
    return a[0] + np.sum(a * x)


def loop_branch_alloc(x, n):
    """allocated and filled in a branch inside a loop"""
    s = 0.0
    for t in range(n):
        if t % 2 == 0:
            a = np.zeros(len(x))
            for i in range(len(x)):
                a[i] = x[i] * (t + 1.0) + s
            s = s + a[0] * a[1]
        else:
            s = s + x[2] * s
    return s


def nested_carry(x, n, m):
    """an array carried by an inner loop, rebuilt by the outer one"""
    s = 0.0
    for t in range(n):
        u = x * (t + 1.0)
        for _k in range(m):
            un = np.empty_like(u)
            for i in range(len(u)):
                un[i] = np.sin(u[i]) + 0.5 * u[i - 1]
            u = un
        s += u[0] * u[1]
    return s


def while_fresh(x, tol):
    """a fresh array per iteration of a data-dependent while loop"""
    u = x.copy()
    while np.sum(u * u) > tol:
        un = np.empty_like(u)
        for i in range(len(u)):
            un[i] = 0.5 * u[i] + 0.1 * np.sin(u[i - 1])
        u = un
    return np.sum(u * u * u)


def loop_if_result(x, n):
    """an If result inside a loop, subscripted, and carried"""
    s = 0.0
    u = x.copy()
    for _ in range(n):
        if s > 1.0:
            y = u * 0.5
        else:
            y = np.cos(u)
        s += y[0] * y[1]
        u = y + x
    return s + u[2]


def inner_result_sub(x, n):
    """an inner loop's result subscripted inside the outer loop"""
    s = 0.0
    for t in range(n):
        v = x * 1.5
        for _k in range(3):
            v = v * 0.5 + np.sin(v) * (t + 1.0)
        s += v[0] * v[1]
    return s


def free_array_in_loop(x, n):
    """an array made before the loop, read whole inside it"""
    y = np.exp(x)
    s = 0.0
    for _ in range(n):
        s = s + np.sum(y * s) * 0.1 + np.sum(y)
    return s


def read_only_alias(x, c):
    """two names for one array that nobody writes: fine"""
    a = x * 2.0
    b = np.sin(x)
    if c > 0.0:
        y = a
    else:
        y = b
    return y[0] * a[1] + np.sum(y * b)


def swap_from_copy(x, r):
    """u = x * 1.0 is a new array that the loop writes after the swap: never x itself
    (simplify folded it to x: the gradient overwrote the caller's x, a silent wrong value)"""
    u = x * 1.0
    un = np.zeros_like(u)
    for _ in range(2):
        un[0] = u[0]
        for i in range(1, len(x) - 1):
            un[i] = u[i] * u[i] + r * u[i + 1]
        u, un = un, u
    return np.sum(u)


def swap_from_quotient(x, r):
    """the adjoint of u = x / x[1] reads u, which the loop writes after the swap: the rule
    reads the quotient's own copy (was a silent wrong gradient)"""
    u = x / x[1]
    un = np.zeros_like(u)
    for _ in range(2):
        un[0] = u[0]
        un[-1] = u[-1]
        for i in range(1, len(x) - 1):
            un[i] = u[i] + r * x[i]
        u, un = un, u
    return np.sum(np.tanh(u))


def mask_in_loop(x, n):
    """np.where's mask x[::2] > 0.0 made in each iteration: recomputed from its operands in
    the reverse sweep (a boolean array cannot be recorded: was refused)"""
    c = np.zeros(len(x) // 2)
    for _ in range(n):
        c = np.tanh(c + np.where(x[::2] > 0.0, x[::2], 0.5 * x[1::2]))
    return np.sum(c * c)


def stack3d_in_loop(T, n):
    """a 3-D array recorded in a loop (it crashed: no runtime pop for 3-D arrays)"""
    c = T * 0.5
    for _ in range(n):
        c = np.sin(c) * T
    return np.sum(c)


# ---------------------------------------------------------------- refused
def init_still_used(x, n):
    """a is the loop's initial u and is read after the loop wrote it as un"""
    a = x.copy()
    b = np.zeros(len(x))
    u = a
    un = b
    for _ in range(n):
        for i in range(len(x)):
            un[i] = u[i] * 1.1
        u, un = un, u
    return np.sum(u * u) + a[0]


def branch_alias_written(x):
    """y is another name for a, written through y, and a is read after"""
    a = x.copy()
    b = x * 2.0
    if x[0] > 0.0:
        y = a
    else:
        y = b
    y[1] = y[0] * 3.0
    return a[1] + y[1]


def write_through_view(x):
    a = x * 1.0
    v = a[1:3]
    v[0] = 5.0 * x[0]
    return np.sum(a * a)


def inactive_alias_written(x, c):
    """b looks constant, but x flows into it through its other name y"""
    a = x * 1.5
    b = np.zeros(len(x))
    if c > 0.0:
        y = b
    else:
        y = a
    y[0] = x[1] * 2.0
    return b[0] + np.sum(y * a)


def rebound_f32(x, r, n):
    """float32 state rebound every iteration (recorded on the float64 tape, popped back as
    float32) with a Python float and a float scalar argument in the arithmetic."""
    u = x.copy()
    for _ in range(n):
        u = np.sin(u) * 1.5 + r * u
    return np.sum(u * u)
