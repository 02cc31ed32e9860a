# s2sad: gradient (reverse-mode) derivative of heat (heat.py:28) with respect to u0.
# Generated code: edit the source function instead.
import numpy as np


def heat_grad(u0, r, nt):
    u0_bar = np.zeros_like(u0)
    u = u0.copy()  # line 29
    u_bar = np.empty_like(u)
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
    for i_2 in range(len(u)):  # line 37
        u_bar[i_2] = 2.0 * u[i_2]
    for __1 in range(nt - 1, -1, -1):  # line 32
        v16 = n - 1
        for i_3 in range(1, v16):  # line 35
            v17 = u_bar[i_3]  # line 36
            u_bar[i_3] = 0.0
            un_bar[i_3] = v17
        if 1 < v16:  # line 33
            j_hi = v16 - 1
            v19 = v16 + 1
            v20 = max(2, j_hi)
            for j_edge in range(2):
                v21 = j_edge - 1
                if v21 >= 1:
                    v23 = v21 < v16
                else:
                    v23 = False
                if v23:
                    v25 = r * un_bar[v21]
                else:
                    v25 = 0.0
                v28 = j_edge + 1
                if v28 >= 1:
                    v30 = v28 < v16
                else:
                    v30 = False
                if v30:
                    v32 = r * un_bar[v28]
                else:
                    v32 = 0.0
                v35 = v25 + v32
                if j_edge >= 1:
                    v37 = j_edge < v16
                else:
                    v37 = False
                if v37:
                    v40 = un_bar[j_edge]
                    v39 = v40 + -2.0 * (r * v40)
                else:
                    v39 = 0.0
                u_bar[j_edge] += v35 + v39
            v48 = 1.0 + -2.0 * r
            for j in range(2, j_hi):
                u_bar[j] = r * un_bar[j - 1] + r * un_bar[j + 1] + v48 * un_bar[j]
            for j_edge_1 in range(v20, v19):
                v59 = j_edge_1 - 1
                if v59 >= 1:
                    v61 = v59 < v16
                else:
                    v61 = False
                if v61:
                    v63 = r * un_bar[v59]
                else:
                    v63 = 0.0
                v66 = j_edge_1 + 1
                if v66 >= 1:
                    v68 = v66 < v16
                else:
                    v68 = False
                if v68:
                    v70 = r * un_bar[v66]
                else:
                    v70 = 0.0
                v73 = v63 + v70
                if j_edge_1 >= 1:
                    v75 = j_edge_1 < v16
                else:
                    v75 = False
                if v75:
                    v78 = un_bar[j_edge_1]
                    v77 = v78 + -2.0 * (r * v78)
                else:
                    v77 = 0.0
                u_bar[j_edge_1] += v73 + v77
    u0_bar += u_bar  # line 29
    return u0_bar
