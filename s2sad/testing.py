"""Derivative checks for users' own test suites (as jax.test_util.check_grads).

    from s2sad.testing import check_grads

    def test_my_model():
        check_grads(my_model, (0.3, np.linspace(0.0, 1.0, 5), 4))

Forward mode (jvp) is compared with central finite differences; reverse mode (vjp) with
forward mode by the dot-product test <u, J v> == <J^T u, v> for random u and v, which
holds to rounding error when both are right. Integer arguments are never differentiated.
Arguments and outputs may be pytrees (tuples, lists, dicts, NamedTuples of arrays and
numbers): every float leaf is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import pytree
from .api import jvp, vjp
from .errors import BadArguments

__all__ = ["check_grads", "central_difference"]


def _is_float_arg(a: Any) -> bool:
    if isinstance(a, np.ndarray):
        return a.dtype.kind == "f"
    return isinstance(a, float | np.floating)


def _has_float(a: Any) -> bool:
    return any(_is_float_arg(x) for x in pytree.leaves(a))


def _copy(a: Any) -> Any:
    return pytree.tree_map(lambda x: x.copy() if isinstance(x, np.ndarray) else x, a)


def _leaves(out: Any) -> list:
    return pytree.leaves(out)


def _float_vector(out: Any, like: Any = None) -> np.ndarray:
    """The float leaves of a (pytree) output, raveled into one vector; with `like`, the
    leaves where `like` (the primal output) has a float."""
    leaves = _leaves(out)
    keep = [_is_float_arg(x) for x in _leaves(out if like is None else like)]
    parts = [np.ravel(np.asarray(x, dtype=np.float64)) for x, k in zip(leaves, keep) if k]
    return np.concatenate(parts) if parts else np.zeros(0)


def _moved(x, d, h: float):
    if not _is_float_arg(x):
        return x
    y = x + h * d
    return y if isinstance(x, np.ndarray) else type(x)(y) if isinstance(x, np.floating) \
        else float(y)


def _shifted(args: Sequence, nums: Sequence[int], dirs: Sequence, h: float) -> list:
    moved = [_copy(a) for a in args]
    for n, d in zip(nums, dirs):
        moved[n] = pytree.tree_map(lambda x, dx: _moved(x, dx, h), args[n], d)
    return moved


def _directional_fd(f: Callable, args: Sequence, nums: Sequence[int], dirs: Sequence,
                    eps: float) -> np.ndarray:
    """(f(x + eps v) - f(x - eps v)) / (2 eps) over the float outputs, as one vector."""
    plus = _float_vector(f(*_shifted(args, nums, dirs, eps)))
    minus = _float_vector(f(*_shifted(args, nums, dirs, -eps)))
    return (plus - minus) / (2.0 * eps)


def central_difference(f: Callable, args: Sequence, argnum: int, eps: float = 1e-6):
    """d f / d args[argnum] by central differences.

    Returns a float for a scalar output and scalar argument, an array shaped like the
    argument for a scalar output, and otherwise an array of shape
    output_shape + argument_shape (a tuple output counts as its float leaves, raveled).
    """
    args = tuple(args)
    x = args[argnum]
    if not _is_float_arg(x):
        raise BadArguments(f"central_difference: argument {argnum} is not a float "
                           f"({type(x).__name__})")
    shape = np.shape(x)
    cols = []
    for k in range(int(np.prod(shape, dtype=int))):
        d = np.zeros(shape)
        d.flat[k] = 1.0
        cols.append(_directional_fd(f, args, [argnum], [d if shape else 1.0], eps))
    J = np.stack(cols, axis=-1) if cols else np.zeros((0,) + shape)
    out = f(*[_copy(a) for a in args])
    if isinstance(out, tuple | list):
        return J.reshape((-1,) + shape)
    J = J.reshape(np.shape(out) + shape)
    return float(J) if J.ndim == 0 else J


def _random_like(a: Any, rng: np.random.Generator):
    def leaf(x):
        if not _is_float_arg(x):
            return _zero_like(x)
        if isinstance(x, np.ndarray):
            return rng.standard_normal(x.shape)
        return float(rng.standard_normal())

    return pytree.tree_map(leaf, a)


def _zero_like(a: Any):
    def leaf(x):
        if isinstance(x, np.ndarray):
            return np.zeros(x.shape) if x.dtype.kind == "f" else np.zeros_like(x)
        return 0.0 if _is_float_arg(x) else 0

    return pytree.tree_map(leaf, a)


def _vdot(a, b, like=None) -> float:
    """<a, b> over the float leaves (of `like`, the primal, when given)."""
    la, lb = pytree.leaves(a), pytree.leaves(b)
    keep = [_is_float_arg(x) for x in pytree.leaves(like if like is not None else b)]
    return float(sum(np.sum(np.asarray(x, dtype=np.float64) * np.asarray(y, dtype=np.float64))
                     for x, y, k in zip(la, lb, keep) if k))


def _close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    return got.shape == want.shape and bool(np.all(np.abs(got - want) <= atol + rtol * np.abs(want)))


def _fail(f: Callable, what: str, args: Sequence, details: str) -> None:
    name = getattr(f, "__qualname__", getattr(f, "__name__", repr(f)))
    shown = ", ".join(np.array2string(a, threshold=6) if isinstance(a, np.ndarray) else repr(a)
                      for a in args)
    raise AssertionError(f"check_grads({name}): {what}\n  at args ({shown})\n{details}")


def check_grads(f: Callable, args: Sequence, argnums: int | Sequence[int] | None = None,
                modes: Sequence[str] = ("fwd", "rev"), target: str = "python",
                rtol: float = 1e-6, atol: float = 1e-8, eps: float = 1e-6, *,
                dot_rtol: float = 1e-12, seed: int = 0) -> None:
    """Check s2sad's derivatives of `f` at `args`; raise AssertionError if they are wrong.

    argnums: the float arguments to check (default: every float scalar or float array).
    modes:   "fwd" compares jvp with central differences (step `eps`, tolerances `rtol`,
             `atol`), one random direction per argument; "rev" compares vjp with jvp by
             the dot-product test to `dot_rtol` (or with central differences when "fwd"
             is not asked for).
    target:  the backend that runs the derivative ("python" or "cpu").
    """
    args = tuple(args)
    floats = [i for i, a in enumerate(args) if _has_float(a)]
    if argnums is None:
        nums = floats
    else:
        nums = [argnums] if isinstance(argnums, int) else list(argnums)
        nums = [n % len(args) for n in nums]
        for n in nums:
            if n not in floats:
                raise BadArguments(f"check_grads: argument {n} is a "
                                   f"{type(args[n]).__name__}; only float scalars and float "
                                   "arrays can be differentiated")
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"check_grads: unknown mode(s) {sorted(unknown)}; use 'fwd', 'rev'")
    rng = np.random.default_rng(seed)
    dirs = {n: _random_like(args[n], rng) for n in nums}
    value = f(*[_copy(a) for a in args])
    primal = _float_vector(value)

    def check_primal(out, how: str) -> None:
        got = _float_vector(out)
        if not _close(got, primal, 1e-12, 1e-14):
            _fail(f, f"the value computed by {how} differs from f(*args)", args,
                  f"  {how}: {got}\n  f:   {primal}")

    Jv: dict[int, np.ndarray] = {}
    if "fwd" in modes:
        for n in nums:
            tangents = [dirs[n] if i == n else _zero_like(a) for i, a in enumerate(args)]
            out, tout = jvp(f, args, tuple(tangents), target=target)
            check_primal(out, "jvp")
            got = _float_vector(tout, like=value)
            want = _directional_fd(f, args, [n], [dirs[n]], eps)
            if not _close(got, want, rtol, atol):
                err = np.max(np.abs(got - want)) if got.shape == want.shape else np.nan
                _fail(f, f"forward mode (jvp) disagrees with central differences for "
                      f"argument {n}", args,
                      f"  jvp:         {got}\n  differences: {want}\n  max abs error "
                      f"{err:.3g} (rtol={rtol}, atol={atol}, eps={eps})")
            Jv[n] = got
    if "rev" in modes:
        out, f_vjp = vjp(f, *args, target=target)
        check_primal(out, "vjp")
        ct = _random_like(out, rng)
        u = _float_vector(ct, like=out)
        grads = f_vjp(ct)
        for n in nums:
            g = grads[n]
            if pytree.structure(g) != pytree.structure(args[n]) or any(
                    np.shape(a) != np.shape(b) for a, b in zip(pytree.leaves(g),
                                                              pytree.leaves(args[n]))):
                _fail(f, f"reverse mode (vjp) gave {g!r} for argument {n}", args,
                      "  expected a cotangent shaped like the argument")
            lhs = _vdot(g, dirs[n], like=args[n])  # <J^T u, v>
            if n in Jv:
                terms = np.abs(u * Jv[n])
                rhs = float(np.sum(u * Jv[n]))  # <u, J v>
                tol = dot_rtol * (float(np.sum(terms)) + abs(lhs)) + 1e-300
                how = "forward mode (dot-product test <u, J v> == <J^T u, v>)"
            else:
                fd = _directional_fd(f, args, [n], [dirs[n]], eps)
                rhs = float(np.sum(u * fd))
                tol = atol + rtol * float(np.sum(np.abs(u * fd)))
                how = "central differences (<u, J v> by differences)"
            if not abs(lhs - rhs) <= tol:
                _fail(f, f"reverse mode (vjp) disagrees with {how} for argument {n}", args,
                      f"  <J^T u, v> = {lhs!r}\n  <u, J v>   = {rhs!r}\n  difference "
                      f"{abs(lhs - rhs):.3g} > tolerance {tol:.3g}")

