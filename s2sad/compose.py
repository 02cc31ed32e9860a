"""Transforms called inside a function being differentiated, as JAX users write them:

    du_dt = s2sad.grad(mlp, argnums=0)(t, W1, b1)        # a transform made and called inline
    u, du = s2sad.jvp(net, (T, W), (np.ones_like(T), 0 * W))
    y, f_vjp = s2sad.vjp(f, x); g, = f_vjp(ct)

The frontend knows nothing of the API (frontend/nested.py): the API registers its
transform constructors (called when the code is lowered, with compile-time arguments) and
a handler per kind of call, which inlines the IR of the derivative the call computes (the
same specialisation a call from Python compiles). The value tree a handler returns is the
one the API returns from Python: JAX's structures.

Jacobians inside code are expanded into one derivative pass per basis vector, unrolled
when the code is lowered: jacfwd/hessian need scalar arguments (one forward pass each),
jacrev scalar outputs (one reverse pass each); other shapes are refused with the call
that works (jvp, vjp, hvp, or the Jacobian outside).
"""

from __future__ import annotations

from . import checks, pipeline, pytree, results
from .batch import jacobian_loop
from .compile import compiled
from .errors import BadArguments, NonDifferentiableOutput, S2SADError
from .frontend import nested
from .frontend.values import PyObject, flatten, structure
from .ir.builder import const
from .ir.nodes import Const, Var
from .ir.types import ArrayT, is_float
from .jacobians import Jacobian

_API: dict = {}


def register(**api) -> None:
    """Called by api.py with its transforms (this module may not import the API)."""
    _API.update(api)
    nested.register_constructor(api["grad"], api["value_and_grad"], api["jacfwd"],
                                api["jacrev"], api["hessian"], api["vmap"])
    nested.register_handler(_is_transform, _call_transform)
    nested.register_handler(lambda o: isinstance(o, Jacobian), _call_jacobian)
    nested.register_handler(lambda o: isinstance(o, _Closure), lambda s, o, a, k: o.call(s, a, k))
    for name, handler in (("jvp", _jvp), ("vjp", _vjp), ("linearize", _linearize),
                          ("hvp", _hvp)):
        fn = api[name]
        nested.register_handler(lambda o, fn=fn: o is fn, handler)


def _transform_of(obj):
    tr = obj if isinstance(obj, _API["transform"]) else getattr(obj, "transform", None)
    return tr if isinstance(tr, _API["transform"]) else None


def _is_transform(obj) -> bool:
    return _transform_of(obj) is not None


def _guarded(site, fn, *args):
    """fn(*args), an S2SADError without a location pointing at the call."""
    try:
        return fn(*args)
    except S2SADError as err:
        if err.loc is not None:
            raise
        site.refuse(err.message, err.hint, type(err))


def _derivative(site, fun, req: pipeline.Request):
    """The specialisation a call from Python would compile, for its IR (target python:
    nothing is compiled by Numba to inline a derivative)."""
    return _guarded(site, compiled, fun, req, "python")


# ---------------------------------------------------------------- grad(f)(x) inline
def _call_transform(site, obj, args, kw):
    tr = _transform_of(obj)
    if kw:
        site.refuse(f"call {tr!r} with positional arguments inside a differentiated function",
                    cls=BadArguments)
    types = tuple(site.type_of(a) for a in args)
    spec = _guarded(site, tr.spec, types)
    c = _derivative(site, tr.fun, spec.request)
    aux = _guarded(site, results.check_output, tr._name, c.primal, tr.has_aux, site.loc)
    flat = site.inline(c.ir, c.binding, flatten(args), tree=nested.FLAT)
    return spec.assemble(flat, aux)


# ---------------------------------------------------------------- jvp, vjp, linearize, hvp
def _options(site, kw: dict, name: str) -> bool:
    """has_aux=, and the options that mean nothing inline (target=, boundscheck=)."""
    has_aux = kw.pop("has_aux", None)
    for k in ("target", "boundscheck", "checkpoint"):
        kw.pop(k, None)
    if kw:
        site.refuse(f"{name}: unknown keyword argument(s) {sorted(kw)}", cls=BadArguments)
    if has_aux is None:
        return False
    if not isinstance(has_aux, Const):
        site.refuse(f"{name}: has_aux must be a constant True or False", cls=BadArguments)
    return bool(has_aux.value)


def _function(site, v, name: str):
    fun = site.compile_time(v, f"the function {name} differentiates")
    if isinstance(fun, Jacobian):
        site.refuse(f"{name} takes a function or a grad transform, not a Jacobian",
                    "differentiate the Jacobian with jacfwd/jacrev/grad instead",
                    cls=BadArguments)
    if not callable(fun):
        site.refuse(f"{name}: expected a function, got {fun!r}", cls=BadArguments)
    return fun


def _point(site, name: str, primals):
    """(types, leaves, float leaf positions) of a tuple of primals."""
    if not isinstance(primals, tuple | list):
        site.refuse(f"{name}: primals must be a tuple of arguments", cls=BadArguments)
    types = tuple(site.type_of(p) for p in primals)
    leaves = flatten(list(primals))
    leaf_ts = pytree.leaf_types(types)
    return types, leaves, tuple(i for i, t in enumerate(leaf_ts) if is_float(t)), leaf_ts


def _vectors(site, name: str, what: str, tree_of, vals, like: list, like_types: list,
             keep: list[int]) -> list:
    """The leaves of tangents (or cotangents) `vals`, shaped like `tree_of`, for the leaf
    positions `keep` (float leaves), each of its primal's (output's) type."""
    if structure(vals) != tree_of:
        site.refuse(f"{name}: the {what}s must have the structure of the "
                    f"{'primals' if what == 'tangent' else 'outputs'} "
                    f"{pytree.describe(tree_of)}, got {pytree.describe(structure(vals))}",
                    cls=BadArguments)
    leaves = flatten(vals)
    for i, v in enumerate(leaves):
        if i not in keep and not (isinstance(v, Const) and not v.value) and not (
                isinstance(v, PyObject) and v.obj is None):
            site.refuse(f"{name}: an int or bool is never differentiated, so its {what} must "
                        "be 0 or None", cls=BadArguments)
    out = []
    for i in keep:
        v, t = leaves[i], like_types[i]
        if isinstance(v, Const) and not isinstance(v.type, ArrayT) and not isinstance(t, ArrayT):
            v = const(float(v.value), t)
        if not isinstance(v, Var | Const) or v.type != t:
            got = getattr(v, "type", type(v).__name__)
            site.refuse(f"{name}: a {what} has the type of its "
                        f"{'primal' if what == 'tangent' else 'output'} ({t}), got {got}",
                        cls=BadArguments)
        out.append(v)
    return out


def _known_zero(site, v) -> bool:
    """A value the code writes as zero: a 0 constant, 0 * x, zeros_like/zeros made in
    this block and not written since (`e = np.zeros(n); e[k] = 1.0` is no zero)."""
    if isinstance(v, Const):
        return not isinstance(v.type, ArrayT) and v.value == 0
    op = getattr(v, "defn", None)
    if op is None:
        return False
    if op.prim in ("zeros_like", "zeros"):
        return v not in site.b.written and any(s is op for s in site.b.block.stmts)
    if op.prim == "mul":
        return any(isinstance(a, Const) and not isinstance(a.type, ArrayT) and a.value == 0
                   for a in op.args)
    return False


def _split(c, has_aux: bool):
    tree = pytree.of_outputs(c.primal)
    if not has_aux:
        return tree, None
    if tree.kind not in ("tuple", "list") or len(tree.children) != 2:
        raise NonDifferentiableOutput("has_aux=True needs a function that returns a pair "
                                      f"(output, aux), not {pytree.describe(tree)}")
    return tree.children


def _jvp(site, obj, args, kw):
    has_aux = _options(site, kw, "jvp")
    if len(args) != 3:
        site.refuse("jvp(f, primals, tangents) takes three arguments", cls=BadArguments)
    fun = _function(site, args[0], "jvp")
    types, leaves, wrt, leaf_ts = _point(site, "jvp", args[1])
    if not isinstance(args[2], tuple | list) or len(args[2]) != len(args[1]):
        site.refuse("jvp: give one tangent per primal, in a tuple", cls=BadArguments)
    dots = _vectors(site, "jvp", "tangent", structure(list(args[1])), list(args[2]), leaves,
                    leaf_ts, list(wrt))
    # a tangent that is zero (0 * W, np.zeros_like(W)) differentiates nothing: that primal
    # is left out (the derivative in a zero direction is zero, whatever W holds)
    keep = [k for k, d in enumerate(dots) if not _known_zero(site, d)]
    wrt, dots = tuple(wrt[k] for k in keep), [dots[k] for k in keep]
    c = _derivative(site, fun, pipeline.Request("forward", wrt, types, aux=has_aux))
    out_t, aux_t = _guarded(site, _split, c, has_aux)
    flat = site.inline(c.ir, c.binding, leaves + dots, tree=nested.FLAT)
    n = len(c.primal.outputs)
    tans = iter(flat[n:])
    full = [next(tans) if is_float(o.type) else const(0.0) for o in c.primal.outputs]
    k = out_t.num_leaves
    out = (pytree.unflatten(out_t, flat[:k]), pytree.unflatten(out_t, full[:k]))
    return out + (pytree.unflatten(aux_t, flat[k:n]),) if has_aux else out


def _hvp(site, obj, args, kw):
    argnums = kw.pop("argnums", args[3] if len(args) > 3 else const(0))
    if len(args) < 3:
        site.refuse("hvp(f, primals, tangents) takes three arguments", cls=BadArguments)
    nums = site.compile_time(argnums, "hvp's argnums")
    g = _guarded(site, _API["grad"], _function(site, args[0], "hvp"), nums)
    return _jvp(site, _API["jvp"], [PyObject(g), args[1], args[2]], kw)[1]


class _Closure:
    """vjp's vjp_fn / linearize's f_jvp inside code: a compile-time object whose call
    inlines the derivative at the primals it was made for."""

    def __init__(self, name, fun, types, leaves, wrt, outs, c_primal, has_aux):
        self.name, self.fun, self.types, self.leaves, self.wrt = name, fun, types, leaves, wrt
        self.outs = outs  # the primal's flat outputs (IR values), aux included
        self.primal = c_primal
        self.has_aux = has_aux

    def call(self, site, args, kw):
        if kw:
            site.refuse(f"{self.name} takes positional arguments", cls=BadArguments)
        return self._vjp(site, args) if self.name == "vjp_fn" else self._jvp(site, args)

    def _vjp(self, site, args):
        if len(args) != 1:
            site.refuse("vjp_fn(cotangent) takes one argument (a pytree shaped like the "
                        "output)", cls=BadArguments)
        out_t, _ = _split(self.primal, self.has_aux)
        out_types = [o.type for o in self.primal.primal.outputs]
        k = out_t.num_leaves
        floats = [i for i in range(k) if is_float(out_types[i])]
        cts = iter(_vectors(site, "vjp_fn", "cotangent", out_t, args[0], self.outs[:k],
                            out_types[:k], floats))
        full = []
        for i, t in enumerate(out_types):
            if not is_float(t):
                continue
            if i < k:
                full.append(next(cts))
            else:  # aux: cotangent zero
                full.append(site.op("zeros_like", self.outs[i]) if isinstance(t, ArrayT)
                            else const(0.0, t))
        c = _derivative(site, self.fun, pipeline.Request("reverse", self.wrt, self.types,
                                                         aux=self.has_aux))
        flat = site.inline(c.ir, c.binding, self.leaves + full, tree=nested.FLAT)
        grads = iter(flat[len(out_types):])
        leaf_ts = pytree.leaf_types(self.types)
        every = [next(grads) if i in self.wrt else const(0.0) for i in range(len(leaf_ts))]
        return _per_argument(self.types, every)

    def _jvp(self, site, args):
        leaf_ts = pytree.leaf_types(self.types)
        dots = _vectors(site, "f_jvp", "tangent", structure(list(_args_like(self.types))),
                        list(args), self.leaves, leaf_ts, list(self.wrt))
        keep = [k for k, d in enumerate(dots) if not _known_zero(site, d)]
        wrt, dots = tuple(self.wrt[k] for k in keep), [dots[k] for k in keep]
        c = _derivative(site, self.fun, pipeline.Request("forward", wrt, self.types))
        flat = site.inline(c.ir, c.binding, self.leaves + dots, tree=nested.FLAT)
        n = len(c.primal.outputs)
        tans = iter(flat[n:])
        full = [next(tans) if is_float(o.type) else const(0.0) for o in c.primal.outputs]
        return pytree.unflatten(pytree.of_outputs(c.primal), full)


def _args_like(types):
    """Placeholder value trees of these argument types (for their structure)."""
    return [pytree.unflatten(t.tree, [0] * len(t.leaves)) if isinstance(t, pytree.TreeType)
            else 0 for t in types]


def _per_argument(types, every: list) -> tuple:
    out, k = [], 0
    for t in types:
        m = len(t.leaves) if isinstance(t, pytree.TreeType) else 1
        out.append(pytree.unflatten(pytree.arg_tree(t), every[k:k + m]))
        k += m
    return tuple(out)


def _vjp(site, obj, args, kw):
    has_aux = _options(site, kw, "vjp")
    if not args:
        site.refuse("vjp(f, *primals) takes a function", cls=BadArguments)
    fun = _function(site, args[0], "vjp")
    types, leaves, wrt, _ = _point(site, "vjp", list(args[1:]))
    p = _derivative(site, fun, pipeline.Request("primal", (), types))
    out_t, aux_t = _guarded(site, _split, p, has_aux)
    outs = site.inline(p.ir, p.binding, leaves, tree=nested.FLAT)
    fn = _Closure("vjp_fn", fun, types, leaves, wrt, outs, p, has_aux)
    k = out_t.num_leaves
    out = (pytree.unflatten(out_t, outs[:k]), PyObject(fn))
    return out + (pytree.unflatten(aux_t, outs[k:]),) if has_aux else out


def _linearize(site, obj, args, kw):
    _options(site, kw, "linearize")
    fun = _function(site, args[0], "linearize")
    types, leaves, wrt, _ = _point(site, "linearize", list(args[1:]))
    p = _derivative(site, fun, pipeline.Request("primal", (), types))
    outs = site.inline(p.ir, p.binding, leaves, tree=nested.FLAT)
    fn = _Closure("f_jvp", fun, types, leaves, wrt, outs, p, False)
    return pytree.unflatten(pytree.of_outputs(p.primal), outs), PyObject(fn)


# ---------------------------------------------------------------- Jacobians inline
def _call_jacobian(site, jac: Jacobian, args, kw):
    if kw:
        site.refuse(f"call {jac!r} with positional arguments", cls=BadArguments)
    types = tuple(site.type_of(a) for a in args)
    nums, single = _guarded(site, checks.norm_argnums, jac.argnums, len(types), jac._name)
    _guarded(site, checks.check_wrt, jac._name, None, types, nums)
    wrt = checks.wrt_leaves(types, nums)
    leaves = flatten(args)
    leaf_ts = pytree.leaf_types(types)
    trees = [pytree.arg_tree(types[n]) for n in nums]
    if jac.mode in ("grad", "value_and_grad"):  # grad(jacfwd(g)): reverse over the Jacobian
        spec = _guarded(site, results.grad_spec, jac._name, jac.mode, jac.argnums, types)
        c = _derivative(site, jac.fun, spec.request)
        _guarded(site, results.check_output, jac._name, c.primal, False, site.loc)
        return spec.assemble(site.inline(c.ir, c.binding, leaves, tree=nested.FLAT))
    loop = _guarded(site, jacobian_loop, jac, types)
    if loop is not None:  # one loop over the basis vectors (batch.py)
        c = _derivative(site, loop, pipeline.Request("primal", (), types))
        return site.inline(c.ir, c.binding, leaves)
    works = ("jvp(f, primals, tangents) or hvp for a product with a vector, or the "
             "Jacobian outside the function you differentiate")
    if jac.mode == "fwd":
        arrays = [k for k in wrt if isinstance(leaf_ts[k], ArrayT)]
        if arrays:
            site.refuse(f"{jac._name} inside a differentiated function needs scalar "
                        "arguments (one forward pass per argument, unrolled), but it is "
                        f"taken with respect to an array ({leaf_ts[arrays[0]]})", f"use {works}")
        columns = []
        for k in wrt:
            c = _derivative(site, jac.fun, pipeline.Request("forward", (k,), types,
                                                            aux=jac.has_aux))
            flat = site.inline(c.ir, c.binding, leaves + [const(1.0, leaf_ts[k])],
                               tree=nested.FLAT)
            n = len(c.primal.outputs)
            tans = iter(flat[n:])
            columns.append([next(tans) if is_float(o.type) else const(0.0)
                            for o in c.primal.outputs])
        out_t, aux_t = _guarded(site, _split, c, jac.has_aux)
        rows = list(zip(*columns))  # per output leaf: its derivative by each wrt leaf
        values = flat[:n]
    else:  # jacrev: one reverse pass per (scalar) output
        c = _derivative(site, jac.fun, pipeline.Request("reverse", wrt, types,
                                                        aux=jac.has_aux))
        out_t, aux_t = _guarded(site, _split, c, jac.has_aux)
        outs = c.primal.outputs
        k_out = out_t.num_leaves
        if any(isinstance(o.type, ArrayT) for o in outs):
            site.refuse(f"{jac._name} inside a differentiated function needs scalar outputs "
                        "(one reverse pass per output, unrolled), but the function returns "
                        "an array", f"use vjp(f, *primals) and its vjp_fn, or {works}")
        floats = [i for i, o in enumerate(outs) if is_float(o.type)]
        rows = []
        for i in range(k_out):
            if i not in floats:
                rows.append([const(0.0)] * len(wrt))
                continue
            cts = [const(1.0 if j == i else 0.0, outs[j].type) for j in floats]
            flat = site.inline(c.ir, c.binding, leaves + cts, tree=nested.FLAT)
            rows.append(flat[len(outs):])
        values = flat[:len(outs)]
    res = []
    for row in rows[:out_t.num_leaves]:
        parts, k = [], 0
        for t in trees:
            parts.append(pytree.unflatten(t, list(row[k:k + t.num_leaves])))
            k += t.num_leaves
        res.append(parts[0] if single else tuple(parts))
    out = pytree.unflatten(out_t, res)
    if jac.has_aux:
        return out, pytree.unflatten(aux_t, values[out_t.num_leaves:])
    return out

