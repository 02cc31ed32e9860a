# s2sad: gradient (reverse-mode) derivative of heat (heat.py:28) with respect to u0.
# Generated code: edit the source function instead.
import numpy as np


def heat_grad(u0, r, nt):
    # forward sweep: the function, and what the reverse sweep needs
    u0_bar = np.zeros_like(u0)
    u = u0.copy()  # line 29
    u_bar = np.zeros_like(u)
    n = len(u0)  # line 30
    un = np.zeros(n)  # line 31
    un_bar = np.zeros_like(un)
    for _ in range(nt):  # line 32
        v1 = n - 1  # line 33
        for i in range(1, v1):
            v2 = u[i]  # line 34
            un[i] = v2 + r * (u[i - 1] - 2.0 * v2 + u[i + 1])
        for i_1 in range(1, v1):  # line 35
            u[i_1] = un[i_1]  # line 36
    # reverse sweep: the adjoints, last statement first
    for i_2 in range(n):  # line 37
        u_bar[i_2] = 2.0 * u[i_2]
    for __1 in range(nt - 1, -1, -1):  # line 32
        v15 = n - 1
        for i_3 in range(1, v15):  # line 35
            v16 = u_bar[i_3]  # line 36
            u_bar[i_3] = 0.0
            un_bar[i_3] = v16
        if 1 < v15:  # line 33
            j_hi = v15 - 1
            v18 = v15 + 1
            v19 = max(2, j_hi)
            for j_edge in range(2):
                v20 = j_edge - 1
                if v20 >= 1:
                    v22 = v20 < v15
                else:
                    v22 = False
                if v22:
                    v24 = r * un_bar[v20]
                else:
                    v24 = 0.0
                v27 = j_edge + 1
                if v27 >= 1:
                    v29 = v27 < v15
                else:
                    v29 = False
                if v29:
                    v31 = r * un_bar[v27]
                else:
                    v31 = 0.0
                v34 = v24 + v31
                if j_edge >= 1:
                    v36 = j_edge < v15
                else:
                    v36 = False
                if v36:
                    v39 = un_bar[j_edge]
                    v38 = v39 - 2.0 * (r * v39)
                else:
                    v38 = 0.0
                u_bar[j_edge] += v34 + v38
            v47 = 1.0 - 2.0 * r
            for j in range(2, j_hi):
                u_bar[j] = r * un_bar[j - 1] + r * un_bar[j + 1] + v47 * un_bar[j]
            for j_edge_1 in range(v19, v18):
                v58 = j_edge_1 - 1
                if v58 >= 1:
                    v60 = v58 < v15
                else:
                    v60 = False
                if v60:
                    v62 = r * un_bar[v58]
                else:
                    v62 = 0.0
                v65 = j_edge_1 + 1
                if v65 >= 1:
                    v67 = v65 < v15
                else:
                    v67 = False
                if v67:
                    v69 = r * un_bar[v65]
                else:
                    v69 = 0.0
                v72 = v62 + v69
                if j_edge_1 >= 1:
                    v74 = j_edge_1 < v15
                else:
                    v74 = False
                if v74:
                    v77 = un_bar[j_edge_1]
                    v76 = v77 - 2.0 * (r * v77)
                else:
                    v76 = 0.0
                u_bar[j_edge_1] += v72 + v76
    u0_bar += u_bar  # line 29
    return u0_bar
