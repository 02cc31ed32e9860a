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
    v14 = 1.0 + 1.0  # line 37
    for i_2 in range(len(u)):
        u_bar[i_2] = v14 * u[i_2]
    for __1 in range(nt - 1, -1, -1):  # line 32
        v17 = n - 1
        for i_3 in range(1, v17):  # line 35
            v18 = u_bar[i_3]  # line 36
            u_bar[i_3] = 0.0
            un_bar[i_3] = v18
        if 1 < v17:  # line 33
            j_hi = v17 - 1
            v20 = v17 + 1
            v21 = max(2, j_hi)
            for j_edge in range(2):
                v22 = j_edge - 1
                if v22 >= 1:
                    v24 = v22 < v17
                else:
                    v24 = False
                if v24:
                    v26 = r * un_bar[v22]
                else:
                    v26 = 0.0
                v29 = j_edge + 1
                if v29 >= 1:
                    v31 = v29 < v17
                else:
                    v31 = False
                if v31:
                    v33 = r * un_bar[v29]
                else:
                    v33 = 0.0
                v36 = v26 + v33
                if j_edge >= 1:
                    v38 = j_edge < v17
                else:
                    v38 = False
                if v38:
                    v41 = un_bar[j_edge]
                    v40 = v41 + 2.0 * -(r * v41)
                else:
                    v40 = 0.0
                u_bar[j_edge] += v36 + v40
            v51 = 1.0 + -(2.0 * r)
            for j in range(2, j_hi):
                u_bar[j] = r * un_bar[j - 1] + r * un_bar[j + 1] + v51 * un_bar[j]
            for j_edge_1 in range(v21, v20):
                v62 = j_edge_1 - 1
                if v62 >= 1:
                    v64 = v62 < v17
                else:
                    v64 = False
                if v64:
                    v66 = r * un_bar[v62]
                else:
                    v66 = 0.0
                v69 = j_edge_1 + 1
                if v69 >= 1:
                    v71 = v69 < v17
                else:
                    v71 = False
                if v71:
                    v73 = r * un_bar[v69]
                else:
                    v73 = 0.0
                v76 = v66 + v73
                if j_edge_1 >= 1:
                    v78 = j_edge_1 < v17
                else:
                    v78 = False
                if v78:
                    v81 = un_bar[j_edge_1]
                    v80 = v81 + 2.0 * -(r * v81)
                else:
                    v80 = 0.0
                u_bar[j_edge_1] += v76 + v80
    u0_bar += u_bar  # line 29
    return u0_bar
