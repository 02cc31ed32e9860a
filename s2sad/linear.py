"""The transforms that apply a derivative to given vectors, as JAX's: jvp (forward mode),
vjp (reverse mode), linearize (forward mode at a fixed point) and hvp (forward over
reverse). Primals, tangents, outputs and cotangents are pytrees; the tangent or
cotangent of an int or bool is JAX's float0 zeros.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import checks, pipeline, pytree, results
from .compile import Compiled, compiled
from .errors import BadArguments
from .ir.types import ArrayT, is_float


def _not_a_jacobian(fname: str, fun) -> None:
    if getattr(fun, "_s2sad_jacobian", False):
        raise BadArguments(f"{fname}({fun!r}, ...): {fname} takes a function or a grad "
                           "transform, not a Jacobian",
                           hint="differentiate the Jacobian with jacfwd/jacrev/grad instead, "
                           "e.g. jacfwd(J)(x) @ v for its jvp")


def float0_zeros(value) -> np.ndarray:
    """JAX's derivative of an int or bool: float0 zeros of its shape."""
    return np.zeros(np.shape(value), dtype=pytree.float0)


class _Point:
    """A function's derivative specialised at given primals: the flat arguments, the
    compiled derivative, the output structure (has_aux: split into out and aux)."""

    def __init__(self, fname: str, fun, primals: tuple, mode: str, target: str,
                 boundscheck: bool, has_aux: bool, checkpoint=None):
        _not_a_jacobian(fname, fun)
        self.names = checks.positional_names(fun)
        self.types = checks.arg_types(fname, primals, self.names)
        self.primals = primals
        self.flat = checks.flat_args(primals, self.types)
        leaf_ts = pytree.leaf_types(self.types)
        self.wrt = tuple(i for i, t in enumerate(leaf_ts) if is_float(t))
        req = pipeline.Request(mode, self.wrt, self.types, checks.norm_checkpoint(checkpoint),
                               aux=has_aux)
        self.c: Compiled = compiled(fun, req, target, boundscheck)
        self.c.check_indices(fname, self.flat, checks.flat_names(self.names, self.types))
        tree = pytree.of_outputs(self.c.primal)
        self.has_aux = has_aux
        if has_aux and (tree.kind not in ("tuple", "list") or len(tree.children) != 2):
            raise BadArguments(f"{fname}(..., has_aux=True) needs a function that returns a "
                               f"pair (output, aux), but it returns {pytree.describe(tree)}")
        self.out_tree = tree.children[0] if has_aux else tree
        self.aux_tree = tree.children[1] if has_aux else None
        self.out_types = [o.type for o in self.c.primal.outputs]
        self.free = self.c.binding.values()  # linearised at the values of now

    def split(self, leaves: list):
        """(out, aux) from the flat primal outputs."""
        n = self.out_tree.num_leaves
        out = pytree.unflatten(self.out_tree, leaves[:n])
        aux = pytree.unflatten(self.aux_tree, leaves[n:]) if self.has_aux else None
        return out, aux

    def tangent_tree(self, tans: list, outs: list):
        """The tangents of the (non-aux) outputs, float0 zeros for int outputs."""
        it = iter(tans)
        full = [results.cast_f32([next(it)], [t])[0] if is_float(t) else float0_zeros(o)
                for o, t in zip(outs, self.out_types)]
        return pytree.unflatten(self.out_tree, full[:self.out_tree.num_leaves])


def jvp(fun: Callable, primals, tangents, *, has_aux: bool = False, target: str = "cpu",
        boundscheck: bool = False):
    """Forward mode: (f(*primals), J @ tangents), as jax.jvp; with has_aux, (out, tangent,
    aux)."""
    primals = checks.check_primals("jvp", primals)
    pt = _Point("jvp", fun, primals, "forward", target, boundscheck, has_aux)
    dots = checks.tangents_for("jvp", primals, pt.types, tangents, pt.names)
    r = checks.flat(pt.c.run(pt.flat, dots))
    n = len(pt.out_types)
    outs = results.cast_f32(r[:n], pt.out_types)
    out, aux = pt.split(outs)
    tan = pt.tangent_tree(r[n:], outs)
    return (out, tan, aux) if has_aux else (out, tan)


def primal_outputs(fun, c: Compiled, args: tuple, types: tuple, target: str,
                   boundscheck: bool = False) -> list:
    """The flat outputs of fun(*args), from the reverse-mode function `c` with zero
    cotangents when every float output is a scalar (no second compile), else from the
    primal (a zero cotangent for an array output needs the array's shape)."""
    outs = c.primal.outputs
    if not any(isinstance(o.type, ArrayT) and is_float(o.type) for o in outs):
        r = c.run(args, [np.float32(0.0) if getattr(o.type, "name", None) == "f32" else 0.0
                         for o in outs if is_float(o.type)])
        return checks.flat(r)[:len(outs)]
    p = compiled(fun, pipeline.Request("primal", (), types), target, boundscheck)
    return checks.flat(p.run(args))


def vjp(fun: Callable, *primals, has_aux: bool = False, target: str = "cpu",
        checkpoint=None, boundscheck: bool = False):
    """Reverse mode: (f(*primals), vjp_fn) with vjp_fn(cotangent) -> one cotangent per
    primal, shaped like it (float0 zeros for ints), as jax.vjp; with has_aux, (out,
    vjp_fn, aux)."""
    pt = _Point("vjp", fun, primals, "reverse", target, boundscheck, has_aux, checkpoint)
    c = pt.c
    leaves = results.cast_f32(primal_outputs(fun, c, pt.flat, pt.types, target, boundscheck),
                              pt.out_types)
    out, aux = pt.split(leaves)
    n = len(leaves)
    skip = pt.out_tree.num_leaves if has_aux else None
    leaf_ts = pytree.leaf_types(pt.types)

    def vjp_fn(ct):
        cts = checks.cotangents_for("vjp_fn", pt.out_tree, leaves, pt.out_types, ct, skip)
        res = checks.flat(c.call(*pt.flat, *cts, *pt.free))
        grads = iter(results.cast_f32(res[n:], [leaf_ts[i] for i in pt.wrt]))
        full: list[Any] = [next(grads) if is_float(t) else float0_zeros(x)
                           for x, t in zip(pt.flat, leaf_ts)]
        out_cts, k = [], 0
        for t in pt.types:
            m = len(t.leaves) if isinstance(t, pytree.TreeType) else 1
            out_cts.append(pytree.unflatten(pytree.arg_tree(t), full[k:k + m]))
            k += m
        return tuple(out_cts)

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def linearize(fun: Callable, *primals, target: str = "cpu", boundscheck: bool = False):
    """(f(*primals), f_jvp) with f_jvp(*tangents) = J @ tangents at the primals, as
    jax.linearize. s2sad keeps no linearization: each f_jvp call runs the compiled
    forward-mode derivative at the saved primals (and the free values of now)."""
    pt = _Point("linearize", fun, primals, "forward", target, boundscheck, False)
    zeros = checks.tangents_for("linearize", primals, pt.types,
                                tuple(pytree.tree_map(np.zeros_like, p) for p in primals),
                                pt.names)
    r = checks.flat(pt.c.run(pt.flat, zeros))
    n = len(pt.out_types)
    outs = results.cast_f32(r[:n], pt.out_types)
    out, _ = pt.split(outs)

    def f_jvp(*tangents):
        dots = checks.tangents_for("f_jvp", primals, pt.types, tangents, pt.names)
        res = checks.flat(pt.c.call(*pt.flat, *dots, *pt.free))
        return pt.tangent_tree(res[n:], outs)

    return out, f_jvp
