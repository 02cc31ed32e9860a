"""The array rule table (s2sad/rules/arrays.py), tested as a table.

Every primitive registered in rules/arrays.py is named by at least one CASE below (a test
fails otherwise, so a new rule without a test fails). Each case is a function of
tests/programs/array_ops.py with an argument recipe and the primitives it exercises; the
primitives must really occur in its primal or derivative IR. The checks, on
target="python" for every case:
  reverse mode (grad w.r.t. every float argument) against elementwise central
  differences, with the argument's shape and dtype;
  forward mode (jvp with one random tangent for all float arguments) against a
  directional central difference;
  forward against reverse by the dot-product test <g, u> == jvp, to 1e-10 relative;
and all three on target="numba" (Numba nopython) for CPU_SUBSET. Rules that generated code only
emits (expand_to, push, reserve, ...) are checked through second derivatives: the
generated gradient differentiated again (Hessian-vector products).
float32 arguments give float32 gradients of the argument's shape.

tests/rules/test_linalg.py imports the machinery (make_args, check_reverse, ...) from here.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass

import numpy as np
import pytest

import s2sad
import s2sad.rules.arrays
from s2sad import pipeline
from s2sad.ir.nodes import Op, walk
from s2sad.ir.types import typeof
from s2sad.testing import central_difference
from tests.programs import array_ops as P

FD_RTOL, FD_ATOL = 1e-6, 1e-7  # gradient vs central differences (step 1e-6)
DOT_RTOL = 1e-10  # forward vs reverse (dot-product test)

# NumPy warns about inf/nan in branches that np.where then discards
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(autouse=True)
def _array_ops_stay_array_ops(monkeypatch):
    """These cases test the array rules: passes/fuse.py would turn some of their elementwise
    chains into element loops (tests/passes/test_fuse.py runs them fused)."""
    monkeypatch.setenv("S2SAD_DISABLE", "fuse")


# ---------------------------------------------------------------- argument recipes
@dataclass(frozen=True)
class Pos:
    """Uniform in [0.5, 1.5): for logs, roots, powers."""

    shape: tuple


@dataclass(frozen=True)
class SPD:
    """Symmetric positive definite n x n, well conditioned."""

    n: int


@dataclass(frozen=True)
class WellCond:
    """Non-symmetric n x n, well conditioned (random + 3 I)."""

    n: int


@dataclass(frozen=True)
class Distinct:
    """Symmetric n x n with eigenvalues 1, 2, ..., n (well separated), plus a small
    non-symmetric perturbation (the functions symmetrize)."""

    n: int


@dataclass(frozen=True)
class Fixed:
    value: tuple


@dataclass(frozen=True)
class Ints:
    """An int64 index array."""

    value: tuple


S = "scalar"  # a random float scalar


def make_args(spec: tuple, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    out = []
    for s in spec:
        if s == S:
            out.append(float(rng.uniform(0.5, 1.5)))
        elif isinstance(s, int) and not isinstance(s, bool):
            out.append(s)
        elif isinstance(s, tuple):
            out.append(rng.normal(size=s))
        elif isinstance(s, Pos):
            out.append(rng.uniform(0.5, 1.5, size=s.shape))
        elif isinstance(s, SPD):
            m = rng.normal(size=(s.n, s.n))
            out.append(m @ m.T + s.n * np.eye(s.n))
        elif isinstance(s, WellCond):
            out.append(rng.normal(size=(s.n, s.n)) + 3.0 * np.eye(s.n))
        elif isinstance(s, Distinct):
            q, _ = np.linalg.qr(rng.normal(size=(s.n, s.n)))
            a = q @ np.diag(np.arange(1.0, s.n + 1.0)) @ q.T
            out.append(a + 0.05 * rng.normal(size=(s.n, s.n)))
        elif isinstance(s, Fixed):
            out.append(np.array(s.value, dtype=np.float64))
        elif isinstance(s, Ints):
            out.append(np.array(s.value, dtype=np.int64))
        else:
            raise TypeError(s)
    return tuple(out)


def float_argnums(args) -> tuple[int, ...]:
    return tuple(i for i, a in enumerate(args)
                 if isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f"))


# ---------------------------------------------------------------- the table
@dataclass(frozen=True)
class Case:
    fn: object
    spec: tuple
    prims: tuple = ()  # the primitives this case exercises (must occur in its IR)

    @property
    def id(self) -> str:
        return self.fn.__name__


V5, V4, V3 = (5,), (4,), (3,)
M34, M43, M33 = (3, 4), (4, 3), (3, 3)

CASES = [
    # elementwise ufuncs on arrays (scalar rules, broadcasting)
    Case(P.ew_unary_a, (V5,), ("sum", "exp", "sin", "tan", "log")),
    Case(P.ew_unary_b, (V5,), ("tanh", "sinh", "cosh", "atan", "asinh")),
    Case(P.ew_unary_c, (V5,), ("sqrt", "expm1", "log1p", "abs", "pow")),
    Case(P.ew_binary, (V5, Pos(V5)), ("atan2", "hypot", "max", "min")),
    Case(P.ew_arith, (V5, V5), ("add", "sub", "mul", "div", "neg")),
    Case(P.ew_pow, (Pos(V5), Pos(V5)), ("pow",)),
    Case(P.ew_scalar_ops, (V5, S)),
    Case(P.ew_scalar_add_sum, (V5, S), ("sum", "mean")),
    Case(P.ew_math_on_elements, (V5,), ("getitem",)),
    Case(P.bc_row, (M34, V4)),
    Case(P.bc_row_sum, (M34, V4)),
    Case(P.bc_col, (M34, (3, 1))),
    Case(P.bc_outer_shape, ((3, 1), (1, 4))),
    Case(P.bc_newaxis_sum, (V4, V3), ("reshape", "sum_to")),
    Case(P.bc_scalar_array, (V5, S)),
    # reductions
    Case(P.red_sum, (V5,), ("sum",)),
    Case(P.red_sum_method, (M34,), ("sum",)),
    Case(P.red_sum_axis0, (M34,), ("sum", "expand_to")),
    Case(P.red_sum_axis1, (M34,), ("sum", "expand_to")),
    Case(P.red_sum_axis_neg, (M34,), ("sum",)),
    Case(P.red_sum_1d_axis, (V5,), ("sum",)),
    Case(P.red_mean, (V5,), ("mean",)),
    Case(P.red_mean_axis0, (M34,), ("mean",)),
    Case(P.red_mean_axis1, (M34,), ("mean",)),
    Case(P.red_prod, (Pos(V5),), ("prod",)),
    Case(P.red_prod_method, (V5,), ("prod",)),
    Case(P.red_prod_axis0, (M34,), ("prod",)),
    Case(P.red_prod_axis1, (M34,), ("prod",)),
    Case(P.red_max, (V5,), ("amax",)),
    Case(P.red_max_method, (M34,), ("amax",)),
    Case(P.red_min, (V5,), ("amin",)),
    Case(P.red_min_method, (M34,), ("amin",)),
    Case(P.red_max_axis0, (M34,), ("amax", "expand_to")),
    Case(P.red_min_axis1, (M34,), ("amin",)),
    Case(P.red_max_axis_3d, ((2, 3, 4),), ("amax", "amin")),
    Case(P.red_prod_zeros, (Fixed((1.5, 0.0, 2.0, -0.5)),), ("prod", "prod_others")),
    Case(P.red_prod_zeros, (Fixed((0.0, 1.5, 0.0)),), ("prod",)),
    Case(P.red_prod_axis_zeros, (Fixed(((1.5, 0.0, 2.0), (0.0, 0.0, -0.5))),), ("prod",)),
    Case(P.red_prod_3d, ((2, 3, 4),), ("prod", "prod_others")),
    # products
    Case(P.dot_vv, (V5, V5), ("matmul",)),
    Case(P.dot_mv, (M34, V4), ("matmul",)),
    Case(P.dot_vm, (V3, M34), ("matmul",)),
    Case(P.dot_mm, (M34, M43), ("matmul",)),
    Case(P.dot_method, (M34, V4), ("matmul",)),
    Case(P.matmul_mm, (M34, M43), ("matmul",)),
    Case(P.matmul_mv, (M34, V4), ("matmul",)),
    Case(P.matmul_vm, (V3, M34), ("matmul",)),
    Case(P.matmul_vv, (V5, V5), ("matmul",)),
    Case(P.matmul_np, (M34, M43), ("matmul",)),
    Case(P.matmul_2x1_1x2, ((1, 1), (1, 1), (2, 1), (1, 2), (2, 2)), ("matmul",)),
    Case(P.matmul_chain, (M34, M43, V3), ("matmul",)),
    Case(P.outer, (V3, V4), ("outer",)),
    Case(P.quad_form, (M33, V3), ("matmul",)),
    # shape
    Case(P.transpose_attr, (M34,), ("transpose", "reshape", "arange", "dim", "size")),
    Case(P.transpose_np, (M34, M33), ("transpose",)),
    Case(P.transpose_method, (M34, M34), ("transpose",)),
    Case(P.reshape_method, (M34,), ("reshape",)),
    Case(P.reshape_np, ((6,),), ("reshape",)),
    Case(P.reshape_args, ((6,),), ("reshape", "getslice")),
    # slicing reads
    Case(P.slice_interior, ((6,),), ("getslice",)),
    Case(P.slice_step, ((7,),), ("getslice",)),
    Case(P.slice_reverse, (V5,), ("getslice",)),
    Case(P.slice_column, (M34, 2), ("getslice",)),
    Case(P.slice_row, (M34, 1), ("getslice",)),
    Case(P.slice_row_short, (M34, 1), ("getslice",)),
    Case(P.slice_block, (M34,), ("getslice",)),
    Case(P.slice_vars, ((7,), 1, 5), ("getslice",)),
    # slicing writes
    Case(P.setslice_interior, ((6,),), ("setslice", "copy")),
    Case(P.setslice_scalar, ((6,),), ("setslice",)),
    Case(P.setslice_overwrite, ((6,),), ("setslice", "zeros")),
    Case(P.setitem_twin, (V5, S), ("setitem",)),
    Case(P.iaddslice, ((6,),), ("copy",)),
    Case(P.setslice_column, (M34, V3), ("setslice",)),
    Case(P.setslice_row, (M34, V4), ("setslice", "zeros")),
    # joining, selecting
    Case(P.concatenate0, (V3, V3), ("concatenate",)),
    Case(P.concatenate_axis1, (M34, (3, 2)), ("concatenate",)),
    Case(P.concatenate_default_axis, (V3, V3), ("concatenate",)),
    Case(P.stack0, (V4, V4), ("stack",)),
    Case(P.stack1, (V4, V4), ("stack",)),
    Case(P.stack_default_axis, (V4, V4), ("stack",)),
    Case(P.where_arrays, ((8,), (8,)), ("where",)),
    Case(P.where_scalar_branch, ((8,),), ("where",)),
    Case(P.where_module_array, (V5,), ("where",)),
    Case(P.clip_scalars, ((8,),), ("clip",)),
    Case(P.clip_arrays, ((8,), Fixed((-0.5,) * 8), Fixed((0.6,) * 8)), ("clip",)),
    Case(P.norm_vector, (V5,), ("norm",)),
    Case(P.norm_matrix, (M34,), ("norm",)),
    Case(P.cumsum1, (V5,), ("cumsum",)),
    Case(P.cumsum_method, (V5,), ("cumsum",)),
    Case(P.cumsum_axis0, (M34,), ("cumsum",)),
    Case(P.cumsum_axis1, (M34,), ("cumsum",)),
    Case(P.cumsum_flat, (M34,), ("cumsum", "reshape")),
    Case(P.take_1d, (V4, Ints((3, 0, 3, -1, 2))), ("take", "scatter_add")),
    Case(P.take_rows, (M34, Ints((2, 0, 2))), ("take", "scatter_add")),
    Case(P.newaxis_pairwise, (V3, V4), ("reshape",)),
    Case(P.newaxis_np, (V4, M34), ("reshape",)),
    Case(P.newaxis_reduce, (V3, (2,)), ("reshape", "expand_to")),
    Case(P.reshape_of_transpose, (V4,), ("reshape", "transpose")),
    Case(P.newaxis_pairwise_3d, (M43, (2, 3)), ("reshape", "sum_to", "amin")),
    Case(P.softmax_xent, (M34, (5, 3), Pos((5, 4))), ("amax", "sum_to", "div", "log")),
    Case(P.norm_at_zero, (Fixed((0.0, 0.0, 0.0)),), ("norm",)),
    Case(P.diag_of_vector, (V4,), ("diag", "outer")),
    Case(P.diag_of_matrix, (M33,), ("diag",)),
    Case(P.trace1, (M33,), ("trace", "eye_like")),
    Case(P.trace_method, (M33,), ("trace",)),
    Case(P.tril1, (M33,), ("tril",)),
    Case(P.triu1, (M33,), ("triu",)),
    Case(P.arange_weights, (V5,), ("arange",)),
    Case(P.eye_plus, (M33,), ("eye",)),
    Case(P.unit_columns, (M33, V3), ("basis",)),
    Case(P.linspace_weights, (V5,), ("linspace",)),
    Case(P.linspace_ends, (S, S), ("linspace",)),
    Case(P.linspace_num_kw, (S,), ("linspace",)),
    Case(P.arange_float, (S, S), ("arange",)),
    # new axes, both orders (the cotangent of a[:, None] is summed over the broadcast axis)
    Case(P.newaxis_col_row, (V3, V4), ("reshape", "sum_to")),
    Case(P.newaxis_reshape_col, (V3, V4), ("reshape", "sum_to")),
    Case(P.newaxis_3d, (V3, V4, (2,)), ("reshape", "sum_to", "amax")),
    Case(P.bc_one_side_varied, (V3, Ints((1, -2, 3, 2)), S), ("broadcast_to", "expand_to")),
    # sorting (take through the permutation), arg-reductions
    Case(P.sort_vector, (V5,), ("argsort", "take", "scatter_add")),
    Case(P.sort_axis0, (M34,), ("argsort", "take_along", "put_along")),
    Case(P.sort_last_axis, (M34,), ("take_along", "put_along")),
    Case(P.sort_flat, (M34,), ("argsort", "take", "reshape")),
    Case(P.argsort_pick, (V5,), ("argsort",)),
    Case(P.argmax_pick, (V5, M34), ("argmax", "argmin")),
    # keepdims=True
    Case(P.keepdims_normalize, (Pos(M34),), ("sum", "reshape", "sum_to")),
    Case(P.keepdims_vector, (Pos(V5),), ("sum", "amax", "full")),
    Case(P.keepdims_methods, (Pos(M34),), ("amax", "amin", "mean", "prod", "full")),
    # logaddexp, cumprod, norms
    Case(P.logaddexp_arrays, (V4, V4), ("logaddexp",)),
    Case(P.cumprod1, (V5,), ("cumprod", "cumprod_jvp", "cumprod_vjp")),
    Case(P.cumprod_method, (V5,), ("cumprod",)),
    Case(P.cumprod_axis0, (M34,), ("cumprod",)),
    Case(P.cumprod_axis1, (M34,), ("cumprod", "cumprod_jvp", "cumprod_vjp")),
    Case(P.cumprod_flat, (M34,), ("cumprod", "reshape")),
    Case(P.cumprod_zeros, (Fixed((1.5, 0.0, 2.0, -0.5, 0.0)),), ("cumprod",)),
    Case(P.norm_orders, (V5,), ("norm", "abs", "sum", "amax", "amin")),
    # element code
    Case(P.elem_loop_read, (V5,), ("getitem", "len")),
    Case(P.elem_loop_2d, (M34,), ("getitem", "dim")),
    Case(P.elem_loop_write, (V5,), ("setitem", "zeros", "reserve")),
    Case(P.elem_overwrite, (V4,), ("setitem", "copy", "reserve", "trip_count")),
    Case(P.elem_while_carry, (V5,), ("push",)),
    Case(P.elem_augmented, (V5,), ("zeros_like", "setitem")),
    Case(P.elem_negative_index, (V5,), ("getitem",)),
    # allocation, shape
    Case(P.alloc_zeros, (V5,), ("zeros",)),
    Case(P.alloc_zeros_2d, (M34,), ("zeros",)),
    Case(P.alloc_zeros_like, (V5,), ("zeros_like",)),
    Case(P.alloc_empty, (V5,), ("empty", "size")),
    Case(P.alloc_ones, (V5,), ("ones",)),
    Case(P.alloc_full, (V5,), ("full",)),
    Case(P.alloc_full_value, (V4, S), ("full",)),
    Case(P.alloc_ones_like, (V5,), ("ones_like",)),
    Case(P.alloc_empty_like, (V5,), ("empty_like",)),
    Case(P.alloc_copy, (V5,), ("copy",)),
    Case(P.alloc_np_copy, (V5,), ("copy",)),
    Case(P.shape_len_size, (M34,), ("dim", "size", "len")),
]

# Rules that only generated derivatives emit (expand_to, push, reserve, ...) are exercised
# when a derivative is differentiated again: forward over reverse (Hessian-vector products)
# against differences of the gradient.
SECOND_ORDER = [
    Case(P.red_sum_axis0, (M34,), ("expand_to",)),
    Case(P.reshape_of_transpose, (V4,)),  # generated np.ascontiguousarray lowers to copy
    Case(P.red_prod_3d, ((2, 3, 4),), ("prod_others",)),
    Case(P.take_rows, (M34, Ints((2, 0, 2))), ("scatter_add",)),
    Case(P.red_max_axis0, (M34,)),
    Case(P.cumsum_axis1, (M34,)),
    Case(P.red_mean_axis1, (M34,), ("expand_to",)),
    Case(P.trace1, (M33,), ("eye_like",)),
    Case(P.elem_loop_write, (V5,), ("reserve",)),
    Case(P.elem_overwrite, (V4,), ("reserve", "trip_count")),
    Case(P.elem_while_carry, (V5,), ("push",)),
    Case(P.alloc_zeros_like, (V5,), ("zeros_like",)),
    Case(P.ew_unary_a, (V5,)),
    Case(P.dot_mv, (M34, V4)),
    Case(P.matmul_mm, (M34, M43)),
    Case(P.outer, (V3, V4)),
    Case(P.slice_interior, ((6,),)),
    Case(P.cumsum1, (V5,)),
    Case(P.concatenate0, (V3, V3)),
    Case(P.where_arrays, ((8,), (8,))),
    Case(P.diag_of_matrix, (M33,)),
    Case(P.bc_col, (M34, (3, 1)), ("sum_to",)),
    Case(P.abs_scalar_kink, (V4,), ("select",)),
    Case(P.slices_in_loop, (V5,), ("push_array", "pop_array")),
    Case(P.cumprod1, (V5,), ("cumprod_jvp", "cumprod_vjp")),
    Case(P.cumprod_axis1, (M34,)),
    Case(P.sort_axis0, (M34,), ("take_along", "put_along")),
    Case(P.newaxis_col_row, (V3, V4), ("sum_to",)),
    Case(P.bc_one_side_varied, (V3, Ints((1, -2, 3, 2)), S)),
    Case(P.linspace_ends, (S, S)),
]

# Compiled with Numba (target="numba", nopython) too: each compile costs seconds here.
CPU_SUBSET = [P.ew_scalar_ops, P.bc_row, P.red_sum_axis0, P.red_max, P.matmul_mm,
              P.matmul_mv, P.outer, P.slice_interior, P.setslice_interior, P.concatenate0,
              P.where_scalar_branch, P.elem_loop_write,
              # Numba has no np.max/min/prod(axis=): generated code calls s2sad.runtime
              P.red_max_axis_3d, P.red_prod_axis1, P.red_prod_axis_zeros, P.cumsum_axis1,
              P.take_rows, P.newaxis_pairwise, P.newaxis_pairwise_3d, P.softmax_xent,
              P.newaxis_reduce,
              P.linspace_ends, P.arange_float, P.newaxis_col_row, P.newaxis_3d,
              P.bc_one_side_varied, P.sort_vector, P.sort_axis0, P.sort_flat, P.argmax_pick,
              P.keepdims_methods, P.logaddexp_arrays, P.cumprod1, P.cumprod_axis1,
              P.cumprod_zeros, P.norm_orders]

# float32 arguments: gradients must stay float32 and have the argument's shape.
FLOAT32 = [P.ew_unary_a, P.bc_row, P.red_sum_axis1, P.red_mean, P.matmul_mv, P.dot_vv,
           P.slice_interior, P.setslice_interior, P.where_arrays, P.elem_loop_read,
           P.alloc_zeros_like, P.cumsum1, P.cumprod1, P.cumprod_axis1, P.sort_vector,
           P.sort_axis0, P.keepdims_normalize, P.logaddexp_arrays, P.newaxis_col_row]

def case_params(cases, check):
    """One pytest parameter per case (`check` names the test kind, for ids only)."""
    return [pytest.param(c, id=c.id) for c in cases]


# ---------------------------------------------------------------- shared machinery
_transforms: dict = {}


def grad_of(fn, argnums, target="python"):
    """grad of fn w.r.t. argnums, built once per (fn, argnums, target) and shared."""
    key = (fn, argnums, target)
    if key not in _transforms:
        _transforms[key] = s2sad.grad(fn, argnums=argnums, target=target)
    return _transforms[key]


def fd_grad(f, args, i, h=1e-6):
    """Central differences of scalar f w.r.t. args[i] (elementwise over an array)."""
    return central_difference(f, args, i, h)


def random_tangents(args, nums, seed=1) -> tuple:
    rng = np.random.default_rng(seed)
    out = []
    for i, a in enumerate(args):
        if i not in nums:
            out.append(np.zeros_like(a) if isinstance(a, np.ndarray) else 0)
        elif isinstance(a, np.ndarray):
            out.append(rng.normal(size=a.shape))
        else:
            out.append(float(rng.normal()))
    return tuple(out)


def assert_dot_product(g, u, t, what=""):
    """<g, u> == t to DOT_RTOL relative to the size of the terms."""
    terms = [np.asarray(gi, dtype=np.float64) * np.asarray(ui) for gi, ui in zip(g, u)]
    lhs = float(sum(np.sum(x) for x in terms))
    scale = float(sum(np.sum(np.abs(x)) for x in terms)) + abs(t) + 1e-300
    assert abs(lhs - t) <= DOT_RTOL * scale, f"{what}: <g, u> = {lhs!r}, jvp = {t!r}"


def _float_copy(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def check_reverse(case: Case, target="python", seed=0):
    """grad w.r.t. every float argument: shapes, dtypes, elementwise central differences."""
    f = case.fn
    args = make_args(case.spec, seed)
    nums = float_argnums(args)
    g = grad_of(f, nums, target)(*args)
    assert isinstance(g, tuple) and len(g) == len(nums)
    for gi, i in zip(g, nums):
        if isinstance(args[i], np.ndarray):
            assert isinstance(gi, np.ndarray), (i, type(gi))
            assert gi.shape == args[i].shape, (i, gi.shape)
            assert gi.dtype == args[i].dtype, (i, gi.dtype)
        else:
            assert np.ndim(gi) == 0
        want = fd_grad(f, args, i)
        err = np.abs(np.asarray(gi) - want)
        tol = FD_ATOL + FD_RTOL * np.abs(want)
        assert np.all(err <= tol), \
            f"reverse vs differences, argument {i}: max err {np.max(err):.3g}\n" \
            f"grad {gi}\nfd   {want}"
    return g


def check_forward(case: Case, target="python", seed=0):
    """jvp with one random tangent for all float arguments vs a directional difference."""
    f = case.fn
    args = make_args(case.spec, seed)
    nums = float_argnums(args)
    u = random_tangents(args, nums)
    out, t = s2sad.jvp(f, args, u, target=target)
    assert out == pytest.approx(f(*_float_copy(args)), rel=1e-12, abs=1e-14)
    assert np.ndim(t) == 0, f"the tangent of a scalar output is {t!r}"
    h = 1e-6
    plus = f(*[a + h * d if i in nums else a for i, (a, d) in enumerate(zip(args, u))])
    minus = f(*[a - h * d if i in nums else a for i, (a, d) in enumerate(zip(args, u))])
    want = (plus - minus) / (2 * h)
    assert t == pytest.approx(want, rel=FD_RTOL, abs=FD_ATOL)
    return t


def check_dot(case: Case, target="python", seed=0):
    """Forward vs reverse: <grad, u> == jvp(u) to DOT_RTOL."""
    f = case.fn
    args = make_args(case.spec, seed)
    nums = float_argnums(args)
    g = grad_of(f, nums, target)(*args)
    u = random_tangents(args, nums)
    _, t = s2sad.jvp(f, args, u, target=target)
    assert_dot_product(g, [u[i] for i in nums], t, f"{f.__name__} forward vs reverse")


def prims_in(fn, types, modes=("primal", "grad", "forward")) -> set[str]:
    found = set()
    wrt = tuple(i for i, t in enumerate(types) if "f" in str(t).lower())
    for mode in modes:
        req = pipeline.Request(mode, wrt if mode != "primal" else (), types,
                               single=False)
        found |= {s.prim for s in walk(pipeline.derive(fn, req).body) if isinstance(s, Op)}
    return found


def registered_in(module) -> dict[str, str]:
    """The primitives a rules module registers, with their entry kind (read from source)."""
    found = {}
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("partials", "linear", "rule", "nondiff"):
            for a in node.args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    found[a.value] = node.func.id
    return found


def hvp_check(case: Case, seed=0):
    """Forward over reverse: jvp of the generated gradient vs differences of the gradient;
    reverse over reverse (vjp of the gradient) vs forward over reverse (symmetry)."""
    f = case.fn
    args = make_args(case.spec, seed)
    nums = float_argnums(args)
    gf = grad_of(f, nums)
    u = random_tangents(args, nums)
    _, hu = s2sad.jvp(gf, args, u, target="python")
    h = 1e-5
    plus = gf(*[a + h * d if i in nums else a for i, (a, d) in enumerate(zip(args, u))])
    minus = gf(*[a - h * d if i in nums else a for i, (a, d) in enumerate(zip(args, u))])
    for k in range(len(nums)):
        want = (np.asarray(plus[k]) - np.asarray(minus[k])) / (2 * h)
        np.testing.assert_allclose(hu[k], want, rtol=1e-5, atol=1e-6)
    # a Hessian is symmetric: <v, H u> == <u, H v>
    v = random_tangents(args, nums, seed=2)
    _, hv = s2sad.jvp(gf, args, v, target="python")
    a = sum(float(np.sum(np.asarray(v[i]) * hu[k])) for k, i in enumerate(nums))
    b = sum(float(np.sum(np.asarray(u[i]) * hv[k])) for k, i in enumerate(nums))
    assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------- registry
ARRAY_RULES = registered_in(s2sad.rules.arrays)


def test_every_array_rule_has_a_case():
    """A rule registered in rules/arrays.py without a case here fails this test."""
    assert {"sum", "matmul", "getslice", "where"} <= set(ARRAY_RULES) <= s2sad.rules.RULES.names()
    covered = {p for c in CASES + SECOND_ORDER for p in c.prims}
    missing = sorted(set(ARRAY_RULES) - covered)
    assert not missing, f"array rules with no test case in CASES/SECOND_ORDER: {missing}"


def test_rules_only_derivatives_emit_are_differentiated_again():
    # expand_to, push, reserve: no source spelling reaches them, only nested AD tests them
    for prim in ("expand_to", "push", "reserve"):
        assert prim in ARRAY_RULES
        assert any(prim in c.prims for c in SECOND_ORDER), prim


def _reach_params():
    seen = set()
    for c in CASES + SECOND_ORDER:
        if (c.fn, c.prims) not in seen:
            seen.add((c.fn, c.prims))
            yield pytest.param(c, id=f"{c.id}-{'-'.join(c.prims)}")


@pytest.mark.parametrize("case", list(_reach_params()))
def test_case_reaches_its_primitives(case):
    args = make_args(case.spec)
    types = tuple(typeof(a) for a in args)
    found = prims_in(case.fn, types)
    missing = set(case.prims) - found
    assert not missing, f"{case.id}: {sorted(missing)} not in its IR ({sorted(found)})"


# ---------------------------------------------------------------- every case, python target


@pytest.mark.parametrize("case", case_params(CASES, "rev"))
def test_reverse(case):
    check_reverse(case)


@pytest.mark.parametrize("case", case_params(CASES, "fwd"))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", case_params(CASES, "dot"))
def test_forward_vs_reverse(case):
    check_dot(case)


@pytest.mark.parametrize("case", case_params(SECOND_ORDER, "hvp"))
def test_second_order(case):
    hvp_check(case)


# ---------------------------------------------------------------- Numba nopython
_BY_FN = {c.fn: c for c in CASES}


@pytest.mark.parametrize("case", case_params([_BY_FN[f] for f in CPU_SUBSET], "numba"))
def test_numba(case):
    g_numba = check_reverse(case, target="numba")
    check_dot(case, target="numba")
    args = make_args(case.spec)
    g_py = grad_of(case.fn, float_argnums(args))(*args)
    for a, b in zip(g_numba, g_py):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_target_cpu():
    # target="cpu" runs straight-line array code with NumPy and loops with Numba
    for f in (P.matmul_mm, P.elem_loop_write):
        c = _BY_FN[f]
        args = make_args(c.spec)
        nums = float_argnums(args)
        g = grad_of(f, nums, "cpu")(*args)
        for a, b in zip(g, grad_of(f, nums)(*args)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- float32
@pytest.mark.parametrize("fn", [pytest.param(f, id=f.__name__) for f in FLOAT32])
def test_float32_gradients_are_float32(fn):
    case = _BY_FN[fn]
    args64 = make_args(case.spec)
    args = tuple(a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in args64)
    nums = float_argnums(args)
    g = grad_of(fn, nums)(*args)
    g64 = grad_of(fn, nums)(*args64)
    for gi, g64i, i in zip(g, g64, nums):
        assert isinstance(gi, np.ndarray)
        assert gi.dtype == np.float32, (i, gi.dtype)
        assert gi.shape == args[i].shape
        np.testing.assert_allclose(gi, g64i, rtol=2e-4, atol=2e-5)


def test_float32_numba():
    x = make_args(_BY_FN[P.elem_loop_write].spec)[0].astype(np.float32)
    (g,) = grad_of(P.elem_loop_write, (0,), "numba")(x)
    assert g.dtype == np.float32 and g.shape == x.shape
    np.testing.assert_allclose(g, grad_of(P.elem_loop_write, (0,))(x.astype(np.float64))[0],
                               rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- rules generated code emits
class IRProgram:
    """Stands in for a Python function whose IR is `sum(sin(prim(a0, a1, ...)))`, placed in
    the primal cache directly: the rules of primitives only derivatives emit (cumprod_jvp,
    put_along, broadcast_to, ...), first and second order, tested without a frontend."""

    def __init__(self, prim: str, types: tuple, **attrs):
        from s2sad import api
        from s2sad.ir.builder import Builder
        from s2sad.ir.nodes import Function, Var

        params = [Var(f"a{i}", t) for i, t in enumerate(types)]
        b = Builder()
        v = b.op("sin", b.op(prim, *params, **attrs))
        b.block.yields = [b.op("sum", v, axis=None)]
        fn = Function(f"ir_{prim}", params, b.block)
        pipeline.use_primal(self, types, fn)
        self.__name__ = f"ir_{prim}_{len(types)}_{attrs.get('axis')}"
        self.primal = api.compiled(self, pipeline.Request("primal", (), types), "python").call

    def __call__(self, *args):
        return self.primal(*args)


PERM34 = ((2, 0, 3, 1), (1, 2, 0, 3), (3, 1, 2, 0))  # a permutation along axis 1 per row
_IR = [
    ("cumprod_jvp", (V5, V5), {}),
    ("cumprod_jvp", (M34, M34), {"axis": 1}),
    ("cumprod_vjp", (V5, V5), {}),
    ("cumprod_vjp", (M34, M34), {"axis": 0}),
    ("take_along", (M34, Ints(PERM34)), {"axis": 1}),
    ("put_along", (M34, Ints(PERM34), M34), {"axis": 1}),
    ("broadcast_to", (V4, M34), {}),
    ("broadcast_to", ((3, 1), M34), {}),
    ("sum_to", (M34, V4), {}),
    ("sum_to", ((2, 3, 4), (3, 1)), {}),
]


def _ir_cases():
    for prim, spec, attrs in _IR:
        args = make_args(spec)
        types = tuple(typeof(a) for a in args)
        yield pytest.param(Case(IRProgram(prim, types, **attrs), spec, (prim,)),
                           id=f"{prim}-{len(spec[0])}d")


@pytest.mark.parametrize("case", list(_ir_cases()))
def test_rule_on_ir(case):
    check_reverse(case)
    check_forward(case)
    check_dot(case)


def test_rules_only_derivatives_emit_are_tested_on_ir():
    # no spelling reaches them: their own rules (second derivatives) are tested on IR
    assert {p for p, _, _ in _IR} >= {"cumprod_jvp", "cumprod_vjp", "take_along",
                                       "put_along", "broadcast_to", "sum_to"}


# ---------------------------------------------------------------- kinks and conventions
def test_max_ties_share_the_cotangent():
    x = np.array([1.0, 3.0, -2.0, 3.0])
    g = s2sad.grad(P.red_max_tie, target="python")(x)
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.0, 0.5])
    _, t = s2sad.jvp(P.red_max_tie, (x,), (np.array([1.0, 2.0, 5.0, 4.0]),), target="python")
    assert t == 3.0


def test_max_along_an_axis_shares_ties_per_row():
    A = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 0.0]])
    g = s2sad.grad(P.red_max_axis_ties, target="python")(A)
    np.testing.assert_array_equal(g, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_prod_with_zeros_is_the_product_of_the_others():
    x = np.array([2.0, 0.0, 3.0, -1.0])
    g = s2sad.grad(P.red_prod, target="python")(x)
    np.testing.assert_array_equal(g, [0.0, -6.0, 0.0, 0.0])
    g = s2sad.grad(P.red_prod, target="python")(np.array([0.0, 5.0, 0.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_norm_at_zero_has_the_zero_subgradient():
    g = s2sad.grad(P.norm_at_zero, target="python")(np.zeros(3))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_fancy_store_is_refused():
    with pytest.raises(s2sad.S2SADError) as info:
        s2sad.grad(P.refused_fancy_store, target="python")(np.ones(3), np.array([0, 1]))
    assert "y[idx] = 0.0" in str(info.value) and "index" in str(info.value)


def test_where_gradient_is_zero_on_the_branch_not_taken():
    x = np.array([-1.0, 0.5, 2.0])
    g = s2sad.grad(P.where_scalar_branch, target="python")(x)
    np.testing.assert_allclose(g, np.where(x > 0.2, np.exp(x) * (1 + x), 0.5))


def test_clip_gradient_is_zero_outside():
    x = np.array([-1.0, 0.0, 0.3, 1.0])
    g = s2sad.grad(P.clip_scalars, target="python")(x)
    np.testing.assert_allclose(g, [1.0, 1.0, 1.6, 1.0])


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize("fn, arg", [
    (P.refused_bool_mask, np.ones(3)),
    (P.refused_matmul_3d, np.ones((2, 2, 2))),
    (P.refused_norm_ord3, np.ones(3)),
    (P.refused_norm_matrix_ord, np.ones((2, 2))),
    (P.refused_sort_in_place, np.ones(3)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_unsupported_forms_are_refused_at_compile_time(fn, arg):
    with pytest.raises(s2sad.S2SADError) as info:
        s2sad.grad(fn, target="python")(arg)
    assert fn.__name__ in str(info.value)  # names the function (file, line, construct)
