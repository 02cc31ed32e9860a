# s2sad: gradient (reverse-mode) derivative of final_energy (verlet.py:48) with respect to x0, v0, gamma.
# Generated code: edit the source function instead.
import numpy as np
from s2sad import runtime as _rt


def final_energy_grad(F, x0, v0, gamma, dt):
    # forward sweep: the function, and what the reverse sweep needs
    tape_f = np.empty(16)
    v2 = 0.5 * gamma * dt  # line 31
    fac1 = 1.0 - v2
    v3 = 1.0 + v2  # line 32
    fac2 = 1.0 / v3
    tape_f = _rt.reserve(tape_f, 1998)  # line 33
    sp_f = 0
    for i in range(999):
        v6 = fac2 * dt  # line 34
        vn = fac1 * fac2 * v0 - v6 * x0 + v6 * F[i]
        xn = x0 + dt * vn  # line 35
        tape_f[sp_f] = x0  # line 33
        sp_f += 1
        tape_f[sp_f] = v0
        sp_f += 1
        v0 = vn
        x0 = xn
    # reverse sweep: the adjoints, last statement first
    v0_bar = v0
    x0_bar = x0
    fac1_bar = 0.0
    fac2_bar = 0.0
    for i_1 in range(998, -1, -1):
        sp_f -= 1
        v0_3 = tape_f[sp_f]
        sp_f -= 1
        x0_3 = tape_f[sp_f]
        vn_bar = v0_bar + dt * x0_bar  # line 35
        v6_bar = F[i_1] * vn_bar  # line 34
        v6_bar -= x0_3 * vn_bar
        x0_bar -= fac2 * dt * vn_bar
        fac2_bar += dt * v6_bar
        v4_bar = v0_3 * vn_bar
        v0_bar = fac1 * fac2 * vn_bar
        fac1_bar += fac2 * v4_bar
        fac2_bar += fac1 * v4_bar
    v3_bar = -(fac2 / v3 * fac2_bar)  # line 32
    v2_bar = v3_bar - fac1_bar  # line 31
    v1_bar = dt * v2_bar
    gamma_bar = 0.5 * v1_bar
    return (x0_bar, v0_bar, gamma_bar)
