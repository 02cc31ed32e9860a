# s2sad: gradient (reverse-mode) derivative of final_energy (verlet.py:48) with respect to x0, v0, gamma.
# Generated code: edit the source function instead.
import numpy as np
from s2sad import runtime as _rt


def final_energy_grad(F, x0, v0, gamma, dt):
    tape_f = np.empty(16)
    x = np.zeros(1000)  # line 26
    v = np.zeros(1000)  # line 27
    E = np.zeros(1000)  # line 28
    x[0] = x0  # line 29
    v[0] = v0  # line 30
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
        Ef = 0.5 * (x0 ** 2 + ((v0 + vn) / 2.0) ** 2)  # line 36
        v17 = i + 1  # line 40
        v[v17] = vn
        x[v17] = xn  # line 41
        E[i] = Ef  # line 42
        tape_f = _rt.push(tape_f, sp_f, x0)  # line 33
        sp_f += 1
        tape_f = _rt.push(tape_f, sp_f, v0)
        sp_f += 1
        v0 = vn
        x0 = xn
    Ef_1 = 0.5 * (x0 ** 2 + v0 ** 2)  # line 43
    E[-1] = Ef_1  # line 44
    v0_2_bar = 2 * v0 * 0.5  # line 43
    x0_2_bar = 2 * x0 * 0.5
    fac1_bar = 0.0  # line 33
    fac2_bar = 0.0
    for i_1 in range(998, -1, -1):
        sp_f -= 1
        v0_3 = tape_f[sp_f]
        sp_f -= 1
        x0_3 = tape_f[sp_f]
        vn_bar = v0_2_bar + dt * x0_2_bar  # line 35
        v6_bar = F[i_1] * vn_bar  # line 34
        v7_bar = -vn_bar
        v6_bar += x0_3 * v7_bar
        x0_2_bar += fac2 * dt * v7_bar
        fac2_bar += dt * v6_bar
        v4_bar = v0_3 * vn_bar
        v0_2_bar = fac1 * fac2 * vn_bar
        fac1_bar += fac2 * v4_bar
        fac2_bar += fac1 * v4_bar
    v3_bar = -fac2 / v3 * fac2_bar  # line 32
    v2_bar = v3_bar - fac1_bar  # line 31
    v1_bar = dt * v2_bar
    gamma_bar = 0.5 * v1_bar
    return (x0_2_bar, v0_2_bar, gamma_bar)
