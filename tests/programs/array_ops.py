"""One small function per array primitive or usage, each returning a scalar.

Used by tests/rules/test_arrays.py and tests/rules/test_linalg.py (table-driven over the
rules registry). The arguments each function expects are given by the tables there.
Functions of symmetric matrices symmetrize inside (`0.5 * (A + A.T)`), so that finite
differences over all entries of A agree with the gradient.
"""

import math

import numpy as np

from s2sad.runtime import PY

# ---------------------------------------------------------------- elementwise, broadcasting


def ew_unary_a(x):
    return np.sum(np.exp(np.sin(x)) + np.cos(x) * np.tan(0.5 * x) + np.log(2.0 + x * x))


def ew_unary_b(x):
    return np.sum(np.tanh(x) * np.sinh(x) + np.cosh(0.5 * x) + np.arctan(x) + np.arcsinh(x))


def ew_unary_c(x):
    return np.sum(np.sqrt(1.5 + x) + np.expm1(x) * np.log1p(x + 1.5) + np.abs(x) ** 3)


def ew_binary(x, y):
    return np.sum(np.arctan2(x, y) + np.hypot(x, y) + np.maximum(x, y) * np.minimum(x, y))


def ew_arith(x, y):
    return np.sum((x + y) * (x - y) + x / (2.0 + y * y) + x * y - -x)


def ew_pow(x, y):
    # x, y > 0
    return np.sum(x ** 2 + x ** y + x ** 0.5 + 2.0 ** y + np.power(x, 3))


def ew_scalar_ops(x, s):
    return np.sum(np.sin(x * s + s / (1.0 + x * x) - (s - x) ** 2 + (x + s) / s + s ** 2 * x))


def ew_scalar_add_sum(x, s):
    # the cotangent of a full sum reaching a scalar through + and -
    return np.sum(x + s) + np.sum(s - x) * s + np.mean(x - s)


def ew_math_on_elements(x):
    # math.* on elements, np.* on the array
    return math.sin(x[0]) * math.exp(x[1]) + np.sum(np.cos(x))


def bc_row(A, v):
    # (n, m) + (m,)
    return np.sum(np.sin(A + v) * v)


def bc_col(A, c):
    # (n, m) * (n, 1): size-1 broadcasting between arrays of the same ndim
    return np.sum(np.sin(A * c + c))


def bc_outer_shape(a, b):
    # (n, 1) + (1, m) -> (n, m)
    return np.sum(np.cos(a + b) * (a - b))


def bc_newaxis_sum(x, y):
    """a full sum's scalar cotangent reaching (n, 1) * (1, m): each partial is only (n, 1)
    or (1, m), so the cotangent is made (n, m) first (was a crash reshaping x_bar)"""
    return np.sum(y[:, None] * x[None, :]) + np.sum(y[:, None] - x[None, :] ** 2)


def bc_row_sum(A, v):
    # the cotangent of a full sum reaching a broadcast (m,) operand through + and -
    return np.sum(A + v) - np.sum(A * A - v)


def bc_scalar_array(x, s):
    return np.sum(np.exp(-s * x * x))


# ---------------------------------------------------------------- reductions


def red_sum(x):
    return np.sin(np.sum(x * x))


def red_sum_method(A):
    return np.cos(A.sum())


def red_sum_axis0(A):
    return np.sum(np.sin(np.sum(A, axis=0)))


def red_sum_axis1(A):
    return np.sum(np.sin(A.sum(axis=1)))


def red_sum_axis_neg(A):
    return np.sum(np.sin(np.sum(A * A, axis=-1)))


def red_sum_1d_axis(x):
    return np.sin(np.sum(x, axis=0))


def red_mean(x):
    return np.sin(np.mean(x * x))


def red_mean_axis0(A):
    return np.sum(np.sin(np.mean(A, axis=0)))


def red_mean_axis1(A):
    return np.sum(np.sin(A.mean(axis=1)))


def red_prod(x):
    return np.prod(x)


def red_prod_method(x):
    return np.sin(x.prod())


def red_prod_axis0(A):
    return np.sum(np.sin(np.prod(A, axis=0)))


def red_prod_axis1(A):
    return np.sum(np.sin(np.prod(A, axis=1)))


def red_max(x):
    return np.max(x * x) + np.amax(np.sin(x))


def red_max_method(A):
    return A.max()


def red_min(x):
    return np.min(x * x) + np.amin(np.sin(x))


def red_min_method(A):
    return A.min()


def red_max_tie(x):
    return np.max(x)


def red_max_axis0(A):
    return np.sum(np.sin(np.max(A, axis=0)))


def red_min_axis1(A):
    return np.sum(A.min(axis=1) ** 2)


def red_max_axis_3d(A):
    # (2, 3, 4) -> (2, 4)
    return np.sum(np.cos(np.max(A, axis=1)) * np.min(A, axis=-1)[:, :1])


def red_max_axis_ties(A):
    return np.sum(np.max(A, axis=1))


def red_prod_zeros(x):
    # exact zeros: d prod / d x_i is the product of the others, not ans / x_i (0/0)
    return np.prod(x) + np.prod(x * x)


def red_prod_axis_zeros(A):
    return np.sum(np.prod(A, axis=0) ** 2) + np.sum(np.prod(A, axis=1))


def red_prod_3d(A):
    return np.sum(np.sin(np.prod(A, axis=2)))


# ---------------------------------------------------------------- products


def dot_vv(x, y):
    return np.dot(x, y)


def dot_mv(A, x):
    return np.sum(np.sin(np.dot(A, x)))


def dot_vm(x, A):
    return np.sum(np.sin(np.dot(x, A)))


def dot_mm(A, B):
    return np.sum(np.sin(np.dot(A, B)))


def dot_method(A, x):
    return np.sum(np.sin(A.dot(x)))


def matmul_mm(A, B):
    return np.sum(np.sin(A @ B))


def matmul_mv(A, x):
    return np.sum(np.sin(A @ x))


def matmul_vm(x, A):
    return np.sum(np.sin(x @ A))


def matmul_vv(x, y):
    return np.sin(x @ y)


def matmul_np(A, B):
    return np.sum(np.sin(np.matmul(A, B)))


def matmul_2x1_1x2(a, b, c, d, E):
    # 2-d operands with size-1 dimensions: (1,1)@(1,1), (2,1)@(1,2), (1,2)@(2,1), (2,2)@(2,1)
    return np.sum(a @ b) + np.sum(np.sin(c @ d + E)) + np.sum(d @ c) * np.sum(np.sin(E @ c))


def matmul_chain(A, B, x):
    return x @ (A @ B) @ x


def outer(x, y):
    return np.sum(np.sin(np.outer(x, y)))


def quad_form(A, x):
    return x @ A @ x + np.sum(A @ A)


# ---------------------------------------------------------------- shape


def transpose_attr(A):
    return np.sum(np.sin(A.T) * np.arange(1.0, A.size + 1.0).reshape(A.shape[1], A.shape[0]))


def transpose_np(A, B):
    return np.sum(np.sin(np.transpose(A) @ B))


def transpose_method(A, B):
    return np.sum(A.transpose() * B.T)


def reshape_method(A):
    v = A.reshape(A.size)
    return np.sum(np.sin(v) * np.arange(1.0, A.size + 1.0))


def reshape_np(x):
    A = np.reshape(x, (2, 3))
    return np.sum(np.sin(A @ A.T))


def reshape_args(x):
    A = x.reshape(3, 2)
    return np.sum(np.sin(A[:, 0]) * A[:, 1])


# ---------------------------------------------------------------- slicing reads


def slice_interior(x):
    return np.sum(np.sin(x[1:-1]) * x[2:] - x[:-2] ** 2)


def slice_step(x):
    return np.sum(np.sin(x[::2])) + np.sum(x[1::2] ** 2)


def slice_reverse(x):
    return np.sum(x[::-1] * np.arange(1.0, len(x) + 1.0) * x)


def slice_column(A, j):
    return np.sum(np.sin(A[:, j]) * A[:, 0])


def slice_row(A, i):
    return np.sum(np.sin(A[i, :]) + A[i, :] * A[0, :])


def slice_row_short(A, i):
    # A[i] of a 2-d array: its row i
    return np.sum(np.sin(A[i]) * A[0, :])


def slice_block(A):
    return np.sum(np.sin(A[1:, :2]) * A[:-1, 1:3])


def slice_vars(x, lo, hi):
    return np.sum(np.sin(x[lo:hi]))


# ---------------------------------------------------------------- slicing writes


def setslice_interior(x):
    y = x.copy()
    y[1:-1] = np.sin(x[1:-1]) * x[2:]
    return np.sum(y * y)


def setslice_scalar(x):
    y = x * x
    y[::2] = 0.5
    return np.sum(np.sin(y))


def setitem_twin(x, s):
    """a and b are the same expression, but a is written: CSE must not make b an alias of a
    (it did: b saw the write, a silent wrong value and gradient in both modes)"""
    a = x * 2.0
    b = x * 2.0
    a[0] = s
    return np.sum(b * b) + np.sum(a * x)


def setslice_overwrite(x):
    y = np.zeros(len(x))
    y[:] = x * x
    y[1:] = y[1:] * x[:-1]
    return np.sum(np.sin(y))


def iaddslice(x):
    y = x.copy()
    y[1:] += np.sin(x[:-1])
    y[:-1] -= x[1:] ** 2
    return np.sum(y * y)


def setslice_column(A, v):
    B = A.copy()
    B[:, 1] = np.sin(v)
    return np.sum(B * B)


def setslice_row(A, v):
    B = np.zeros((A.shape[0], A.shape[1]))
    B[0, :] = v * v
    B[1:, :] = A[1:, :]
    return np.sum(np.sin(B) * A)


# ---------------------------------------------------------------- joining, selecting


def concatenate0(x, y):
    z = np.concatenate((x, np.sin(y), x * y), axis=0)
    return np.sum(z * np.arange(1.0, len(z) + 1.0) * z)


def concatenate_default_axis(x, y):
    z = np.concatenate((x, np.sin(y)))
    return np.sum(z * np.arange(1.0, len(z) + 1.0) * z)


def concatenate_axis1(A, B):
    C = np.concatenate((A, B), axis=1)
    return np.sum(np.sin(C) * C)


def stack0(x, y):
    S = np.stack((x, y * y), axis=0)
    return np.sum(np.sin(S) * S[0, :])


def stack_default_axis(x, y):
    S = np.stack((x, y * y))
    return np.sum(np.sin(S))


def stack1(x, y):
    S = np.stack((x, np.sin(y), x * y), axis=1)
    return np.sum(np.sin(S))


def where_arrays(x, y):
    return np.sum(np.where(x > 0.0, x * y, np.sin(y)))


def where_scalar_branch(x):
    return np.sum(np.where(x > 0.2, np.exp(x), 0.5) * x)


def clip_scalars(x):
    return np.sum(np.clip(x, -0.5, 0.7) ** 2 + x)


def clip_arrays(x, lo, hi):
    return np.sum(np.sin(np.clip(x, lo, hi)))


def norm_vector(x):
    return np.linalg.norm(x) ** 3


def norm_matrix(A):
    return np.sin(np.linalg.norm(A))


def cumsum1(x):
    return np.sum(np.sin(np.cumsum(x)))


def cumsum_axis0(A):
    return np.sum(np.sin(np.cumsum(A, axis=0)))


def cumsum_axis1(A):
    return np.sum(np.cumsum(A, axis=1) ** 2 * A)


def cumsum_flat(A):
    # no axis on a matrix: NumPy cumsums the flattened array
    return np.sum(np.cumsum(A) * np.arange(1.0, A.size + 1.0))


def take_1d(x, idx):
    # repeated indices accumulate
    return np.sum(np.sin(x[idx]) * np.arange(1.0, idx.shape[0] + 1.0))


def take_rows(A, idx):
    return np.sum(A[idx] ** 2 * A[idx[0]])


def newaxis_pairwise(x, y):
    d = x[:, None] - y[None, :]
    return np.sum(np.exp(-d * d))


def newaxis_pairwise_3d(X, C):
    # (n, 1, d) - (1, k, d): size-1 broadcasting in three dimensions
    d = np.sum((X[:, None, :] - C[None, :, :]) ** 2, axis=2)
    return np.sum(np.sqrt(d + 0.1) * np.min(d, axis=1)[:, None])


def softmax_xent(W, X, Y):
    # row-wise softmax: max along an axis, division by a (n, 1) column (masked partials)
    Z = X @ W
    Z = Z - np.max(Z, axis=1)[:, None]
    E = np.exp(Z)
    P = E / np.sum(E, axis=1)[:, None]
    return -np.mean(np.sum(Y * np.log(P), axis=1))


def newaxis_reduce(x, z):
    # the cotangent of a new axis comes back through sum_to/expand_to (broadcast views)
    return np.sum(np.tanh(np.sum(z[:, None] - x[None, :], axis=0)))


def reshape_of_transpose(x):
    return np.sum(np.sin(x.reshape(2, 2).T.reshape(4)) * x)


def newaxis_np(x, A):
    return np.sum(x[np.newaxis, :] * A) + np.sum(x[:, np.newaxis][:2] * A[:2, :1])


def norm_at_zero(x):
    return np.linalg.norm(x)


def cumsum_method(x):
    return np.sum(x.cumsum() ** 2)


def diag_of_vector(x):
    D = np.diag(x)
    return np.sum(np.sin(D + np.outer(x, x)))


def diag_of_matrix(A):
    return np.sum(np.sin(np.diag(A)) * np.diag(A @ A))


def trace1(A):
    return np.trace(A @ A) + np.sin(np.trace(A))


def trace_method(A):
    return A.trace() ** 2


def tril1(A):
    return np.sum(np.sin(np.tril(A @ A)))


def triu1(A):
    return np.sum(np.sin(np.triu(A)) * A)


def arange_weights(x):
    return np.sum(np.sin(x) * np.arange(len(x)))


def eye_plus(A):
    return np.sum(np.sin(A + np.eye(A.shape[0])) * A)


def linspace_weights(x):
    return np.sum(x * x * np.linspace(0.0, 1.0, len(x)))


# ---------------------------------------------------------------- element code


def elem_loop_read(x):
    s = 0.0
    for i in range(len(x)):
        s += math.sin(x[i]) * x[i - 1]
    return s


def elem_loop_2d(A):
    s = 0.0
    n, m = A.shape
    for i in range(n):
        for j in range(m):
            s += A[i, j] * A[i, j] * (i + 1) - math.cos(A[i, j])
    return s


def elem_loop_write(x):
    n = len(x)
    y = np.zeros(n)
    for i in range(1, n):
        y[i] = y[i - 1] * 0.5 + math.sin(x[i]) * x[i - 1]
    return np.sum(y * y)


def elem_while_carry(x):
    """A while loop carrying a value its reverse sweep needs: a checked push per
    iteration (a range loop reserves its record and stores into it)."""
    s = 1.0
    k = 0
    while k < len(x):
        s = s * math.sin(s + x[k])
        k += 1
    return s


def elem_overwrite(x):
    y = x.copy()
    for _ in range(3):
        for i in range(len(y)):
            y[i] = math.sin(y[i]) + 0.5 * y[i] * y[i]
    return np.sum(y)


def elem_augmented(x):
    y = np.zeros_like(x)
    for i in range(len(x) - 1):
        y[i] += x[i] * x[i + 1]
        y[i + 1] -= 0.5 * x[i]
        y[i] *= 1.5
    return np.sum(y * y)


def elem_negative_index(x):
    return x[-1] * x[0] + x[-2] ** 2


# ---------------------------------------------------------------- allocation and shape


def alloc_zeros(x):
    n = len(x)
    y = np.zeros(n)
    for i in range(n):
        y[i] = x[i] * x[n - 1 - i]
    return np.sum(np.sin(y))


def alloc_zeros_2d(A):
    n, m = A.shape
    B = np.zeros((m, n))
    for i in range(n):
        for j in range(m):
            B[j, i] = A[i, j] * (j + 1.0)
    return np.sum(np.sin(B))


def alloc_zeros_like(x):
    y = np.zeros_like(x)
    y[0] = x[1]
    for i in range(1, len(x)):
        y[i] = x[i - 1] * x[i]
    return np.sum(y ** 2)


def alloc_empty(x):
    y = np.empty(x.size)
    for i in range(x.size):
        y[i] = math.exp(x[i])
    return np.sum(y * x)


def alloc_ones(x):
    y = np.ones(len(x)) * x + np.ones((2, len(x))) * x * x
    return np.sum(np.sin(y))


def alloc_full(x):
    y = np.full(len(x), 2.0) * x * x
    return np.sum(np.sin(y))


def alloc_full_value(x, s):
    # a differentiable fill value, 2-d shape
    F = np.full((2, len(x)), s * s)
    return np.sum(np.sin(F * x)) + np.sum(F[0, :] ** 2)


def alloc_ones_like(x):
    y = np.ones_like(x) * 2.0 + x
    return np.sum(np.sin(y * x))


def alloc_empty_like(x):
    y = np.empty_like(x)
    for i in range(len(x)):
        y[i] = x[i] ** 3
    return np.sum(y)


def alloc_copy(x):
    y = x.copy()
    y[0] = 2.0 * y[0]
    return np.sum(np.sin(y) * x)


def alloc_np_copy(x):
    y = np.copy(x)
    y[1] = y[0] * y[1]
    return np.sum(y * y)


def shape_len_size(A):
    n, m = A.shape
    return np.sum(A * A) * len(A) / (A.size + m) + A.shape[0] * np.sum(A)


# ---------------------------------------------------------------- linear algebra


def la_solve_vec(A, b):
    x = np.linalg.solve(A, b)
    return np.sum(np.sin(x)) + x @ x


def la_solve_mat(A, B):
    X = np.linalg.solve(A, B)
    return np.sum(np.sin(X))


def la_inv(A):
    return np.sum(np.sin(np.linalg.inv(A)))


def la_det(A):
    return np.linalg.det(A)


def la_det_sin(A):
    return np.sin(np.linalg.det(A @ A.T + A))


def la_slogdet(A):
    s, ld = np.linalg.slogdet(A)
    return ld * s + np.sin(ld)


def la_cholesky(A):
    L = np.linalg.cholesky(0.5 * (A + A.T))
    return np.sum(np.sin(L) * (1.0 + np.arange(A.size).reshape(A.shape[0], A.shape[1])))


def la_eigvalsh(A):
    w = np.linalg.eigvalsh(0.5 * (A + A.T))
    return np.sum(np.sin(w) * np.arange(1.0, len(w) + 1.0))


def la_eigh_w(A):
    w, V = np.linalg.eigh(0.5 * (A + A.T))
    return w[0] * w[-1] + np.sum(w ** 2)


def la_eig_symmetric(A):
    # a symmetric function of the eigenvalues: differentiable even where they repeat
    w = np.linalg.eigvalsh(0.5 * (A + A.T))
    return np.sum(w ** 2 + np.exp(w))


def la_eigh_V(A):
    w, V = np.linalg.eigh(0.5 * (A + A.T))
    # sign-invariant: depends on V only through squares and outer products of columns
    return np.sum(V[:, 0] ** 2 * np.arange(1.0, A.shape[0] + 1.0)) + \
        np.sum(np.outer(V[:, 1], V[:, 1]) * A)


def la_trace_inv(A):
    return np.trace(np.linalg.inv(A) @ A.T)


# ---------------------------------------------------------------- refused (not supported yet)


def refused_bool_mask(x):
    return np.sum(x[x > 0.0])


def refused_fancy_store(x, idx):
    y = x.copy()
    y[idx] = 0.0
    return np.sum(y)


def refused_matmul_3d(A):
    return np.sum(A @ A)


def abs_scalar_kink(x):
    # the adjoint of a scalar abs is select(x >= 0, 1, -1): nested AD differentiates it
    s = np.sum(x * x) - 1.0
    return abs(s) * np.sum(x)


def slices_in_loop(x):
    # whole arrays recorded per iteration (push_array / pop_array in the adjoint)
    u = x.copy()
    for _ in range(3):
        u[1:] = u[1:] + 0.1 * u[:-1] * u[:-1]
    return np.sum(u * u)


# ---------------------------------------------------------------- array constructors


def linspace_ends(a, b):
    # linear in both ends (was a zero derivative: linspace was declared non-differentiable)
    return np.sum(np.sin(np.linspace(a, b, 7)) * np.linspace(b, 2.0, 7))


def linspace_num_kw(x):
    return np.sum(np.linspace(0.0, x, num=4) ** 2) + np.sum(np.linspace(x, 1, 3)) + \
        np.sum(np.sin(np.linspace(start=x, stop=2.0, num=3)))


def arange_float(x, s):
    # x + k s for k = 0, 1, ...: linear in the start and the step (the length is not)
    return np.sum(np.arange(x, 3.0, s) ** 2) + np.sum(np.sin(np.arange(x, 4.5))) + \
        np.sum(np.arange(start=x, stop=2.6, step=s * s) ** 3)


# ---------------------------------------------------------------- new axes, both orders


def newaxis_col_row(a, b):
    # (3, 1) * (4,): the cotangent of a[:, None] is summed over the broadcast axis
    return np.sum(np.sin(a[:, None] * b)) + np.sum(b * a[:, None] ** 2)


def newaxis_reshape_col(a, b):
    return np.sum(np.cos(a.reshape(len(a), 1) - b) * (b + a.reshape(len(a), 1))) + \
        np.sum(np.expand_dims(a, 1) * np.expand_dims(b, axis=0) ** 2)


def newaxis_3d(a, b, c):
    # (3, 1, 1) * (4, 1) + (2,) -> (3, 4, 2), then reductions over each axis
    E = a[:, None, None] * b[:, None] + c
    return np.sum(np.max(E, axis=1) ** 2) + np.sum(np.tanh(E)) + np.sum(np.sum(E, axis=0) * c)


def bc_one_side_varied(x, k, s):
    # only x (3,) and s vary: a tangent of x[:, None] + k (or of s + k) is smaller than the
    # result, and the sum after it must count every element
    return np.sum(x[:, None] + k) * s + np.sum(s + k) ** 2 + np.sum(np.sin(x[:, None] * k)) + \
        np.sum(x * k[:3])


# ---------------------------------------------------------------- sorting, arg-reductions


def sort_vector(x):
    return np.sum(np.sort(x) * np.arange(1.0, len(x) + 1.0)) + np.sort(x)[0] ** 3


def sort_axis0(A):
    return np.sum(np.sin(np.sort(A, axis=0)) * np.arange(1.0, A.size + 1.0).reshape(A.shape[0], A.shape[1]))


def sort_last_axis(A):
    # NumPy's default axis is the last one
    return np.sum(np.sort(A) * np.arange(1.0, A.shape[1] + 1.0))


def sort_flat(A):
    s = np.sort(A, axis=None)
    return np.sum(s[:5] * s[1:6])


def argsort_pick(x):
    idx = np.argsort(x)
    return np.sum(x[idx][:3] ** 2) + x[idx[-1]] * x.argsort()[0]


def argmax_pick(x, A):
    return x[np.argmax(x)] * x[x.argmin()] + \
        np.sum(A * np.argmax(A, axis=1)[:, None]) + np.sum(A.T * np.argmin(A, axis=0)[None, :].T)


# ---------------------------------------------------------------- keepdims


def keepdims_normalize(A):
    return np.sum(np.sin(A / np.sum(A, axis=1, keepdims=True)))


def keepdims_vector(x):
    # a vector's only axis, kept: shape (1,)
    return np.sum(x / np.sum(x * x, axis=0, keepdims=True)) + np.sum(x - x.max(keepdims=True))


def keepdims_methods(A):
    return np.sum(A * A.max(axis=0, keepdims=True)) + np.sum(A / A.mean(keepdims=True)) + \
        np.sum(np.prod(A, axis=1, keepdims=True) * np.min(A, axis=-1, keepdims=True) * A) + \
        np.sum(np.mean(A, axis=0, keepdims=True) - A)


# ---------------------------------------------------------------- logaddexp, cumprod, norms


def logaddexp_arrays(x, y):
    return np.sum(np.logaddexp(x, y) * x) + np.logaddexp(x[0], y[1]) + np.sum(np.logaddexp(x, 2.0))


def cumprod1(x):
    return np.sum(np.cumprod(x) * np.arange(1.0, len(x) + 1.0))


def cumprod_method(x):
    return np.sum(np.sin(x.cumprod()))


def cumprod_axis0(A):
    return np.sum(np.sin(np.cumprod(A, axis=0)))


def cumprod_axis1(A):
    return np.sum(np.cumprod(A, axis=1) ** 2 * A)


def cumprod_flat(A):
    # no axis on a matrix: NumPy takes the products of the flattened array
    return np.sum(np.cumprod(A) * np.arange(1.0, A.size + 1.0))


def cumprod_zeros(x):
    # exact zeros: no division by x in the derivative (it would be 0/0)
    return np.sum(np.cumprod(x) * np.arange(1.0, len(x) + 1.0))


def norm_orders(x):
    return np.linalg.norm(x, 1) + np.linalg.norm(x, ord=np.inf) * np.linalg.norm(x, 2) + \
        np.linalg.norm(x, -np.inf) ** 2 + np.linalg.norm(x, ord=None)


def refused_norm_matrix_ord(A):
    return np.linalg.norm(A, 2)


def refused_norm_ord3(x):
    return np.linalg.norm(x, 3)


def refused_sort_in_place(x):
    y = x.copy()
    y.sort()
    return np.sum(y)


W0 = np.array([0.5, -1.0, 2.0, -0.1, 0.3])


def where_module_array(x):
    # a module-level array compared with a constant (was folded: a raw ValueError)
    return np.sum(np.where(W0 > 0.0, x * x, np.sin(x)) * W0)


def unit_columns(A, x):
    """A @ e_k (s2sad's Jacobian seeds) read as a column, then differentiated through."""
    n = A.shape[1]
    return np.sum(np.sin(A @ PY.basis(n, 1)) * (A @ x)) + np.sum(np.cos(A @ x) * PY.basis(n, 2))
