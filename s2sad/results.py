"""What grad and value_and_grad compile for a call, and how their flat outputs nest as
JAX nests them: the gradient with respect to a pytree argument is a pytree of its
structure, a tuple `argnums` gives a tuple of them, `has_aux` adds the aux value.

Used by the transforms (api.py) on NumPy values and by nested AD (compose.py) on IR
values: the nesting is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks, pipeline, pytree
from .errors import NonDifferentiableOutput
from .ir.types import F32, ArrayT, is_float


@dataclass(frozen=True)
class GradSpec:
    """One specialisation of grad/value_and_grad: the request, and the nesting of its flat
    outputs ([value, aux leaves...] when it returns them, then the gradients' leaves)."""

    request: pipeline.Request
    mode: str  # "grad" | "value_and_grad" (what the user asked for)
    single: bool  # argnums was an int
    arg_trees: tuple  # the structure of each differentiated argument
    simple: bool  # the generated function returns exactly the result (no pytree, no aux)

    @property
    def has_aux(self) -> bool:
        return self.request.aux

    def assemble(self, flat: list, aux_tree: pytree.TreeDef | None = None):
        """The result from the flat outputs (`aux_tree`: the aux value's structure)."""
        i = 0
        value = aux = None
        if self.request.mode == "value_and_grad":
            value, i = flat[0], 1
        if self.has_aux:
            aux = pytree.unflatten(aux_tree, flat[i:i + aux_tree.num_leaves])
            i += aux_tree.num_leaves
        grads = []
        for t in self.arg_trees:
            grads.append(pytree.unflatten(t, flat[i:i + t.num_leaves]))
            i += t.num_leaves
        g = grads[0] if self.single else tuple(grads)
        if self.mode == "grad":
            return g if not self.has_aux else (g, aux)
        return (value, g) if not self.has_aux else ((value, aux), g)


def grad_spec(name: str, mode: str, argnums, types: tuple, checkpoint=None,
              has_aux: bool = False, args: tuple | None = None,
              names=None) -> GradSpec:
    """The request for grad/value_and_grad of a function of these argument types (with
    `args`, the values, for the messages of a bad call)."""
    nums, single = checks.norm_argnums(argnums, len(types), name)
    checks.check_wrt(name, args, types, nums, names)
    wrt = checks.wrt_leaves(types, nums)
    trees = tuple(pytree.arg_tree(types[n]) for n in nums)
    tree_args = any(not t.is_leaf for t in trees)
    # has_aux: the value and gradient, flat, whichever was asked (the API drops the value)
    req_mode = "value_and_grad" if has_aux else mode
    req = pipeline.Request(req_mode, wrt, tuple(types), checkpoint,
                           single=single and not tree_args, aux=has_aux)
    simple = not has_aux and not any(isinstance(t, pytree.TreeType) for t in types)
    return GradSpec(req, mode, single, trees, simple)


def check_output(name: str, primal, has_aux: bool, loc=None) -> pytree.TreeDef | None:
    """grad needs one float scalar output (has_aux: a pair (float scalar, aux)); the aux
    value's structure, or None."""
    tree = pytree.of_outputs(primal)
    outs = primal.outputs
    aux = None
    if has_aux:
        if tree.kind not in ("tuple", "list") or len(tree.children) != 2:
            raise NonDifferentiableOutput(
                f"{name}(..., has_aux=True) needs a function that returns a pair (output, "
                f"aux), but {primal.name} returns {pytree.describe(tree)}", loc or primal.loc,
                "return (loss, aux), aux being any value (a tuple, a dict, an array)")
        first, aux = tree.children
        outs = outs[:first.num_leaves]
        tree = first
    if len(outs) != 1 or not tree.is_leaf or (isinstance(outs[0].type, ArrayT) and
                                               outs[0].type.ndim != 0) or \
            not is_float(outs[0].type):  # (a 0-d array is a scalar, as in JAX)
        what = (f"the pytree {pytree.describe(tree)}" if not tree.is_leaf or len(outs) != 1
                else f"a value of type {outs[0].type}")
        if len(outs) > 1 and tree.kind == "tuple":
            what = "a tuple"
        raise NonDifferentiableOutput(
            f"{name} needs a function with one float scalar output, but "
            f"{primal.name} returns {what}", loc or primal.loc,
            "use vjp/jacrev for vector outputs; return a float for grad"
            + ("" if has_aux else ", or (float, aux) with has_aux=True"))
    return aux


def out_types(spec: GradSpec, primal) -> list:
    """The type of each flat output of the specialisation (to cast float32 scalars)."""
    outs = [o.type for o in primal.outputs]
    types = pytree.leaf_types(spec.request.types)
    grads = [types[k] for k in spec.request.wrt]
    if spec.request.mode == "value_and_grad":
        return (outs if spec.has_aux else outs[:1]) + grads
    return grads


def cast_f32(values: list, types: list) -> list:
    """Numba returns float32 scalars as Python floats: back to float32 (as JAX keeps them)."""
    return [np.float32(v) if t == F32 and not isinstance(v, np.ndarray) else v
            for v, t in zip(values, types)]


def has_f32_scalar(types) -> bool:
    return any(t == F32 for t in types)
