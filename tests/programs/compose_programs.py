"""Functions under test for tests/test_compose.py: transforms inside differentiated code,
pytrees, has_aux, custom derivatives, as JAX users write them."""

import math
from typing import NamedTuple

import numpy as np

import s2sad

# ---------------------------------------------------------------- the PINN of the seeds
T_COL = np.linspace(0.0, 1.0, 6)  # collocation points (module level)
LAM = 0.5


def mlp(t, W1, b1, W2, b2, w3, b3):
    """A 4-unit two-layer tanh network u(t)."""
    h1 = np.tanh(W1 * t + b1)
    h2 = np.tanh(W2 @ h1 + b2)
    return np.dot(w3, h2) + b3


def pinn_loss(W1, b1, W2, b2, w3, b3):
    """The residual of du/dt + lam u = 0 at the collocation points, du/dt written inline."""
    loss = 0.0
    for k in range(T_COL.shape[0]):
        t = T_COL[k]
        u = mlp(t, W1, b1, W2, b2, w3, b3)
        du_dt = s2sad.grad(mlp, argnums=0)(t, W1, b1, W2, b2, w3, b3)
        loss += (du_dt + LAM * u) ** 2
    return loss / T_COL.shape[0]


def net(T, W1, b1, W2, b2, w3, b3):
    """The same network on a batch of points T."""
    H1 = np.tanh(np.outer(T, W1) + b1)
    H2 = np.tanh(H1 @ W2.T + b2)
    return H2 @ w3 + b3


def pinn_loss_jvp(W1, b1, W2, b2, w3, b3):
    """du/dt at every point at once: the jvp of the batched network with tangent 1 in T."""
    u, du = s2sad.jvp(net, (T_COL, W1, b1, W2, b2, w3, b3),
                      (np.ones_like(T_COL), 0 * W1, 0 * b1, 0 * W2, 0 * b2, 0 * w3, 0.0))
    return np.mean((du + LAM * u) ** 2)


# ---------------------------------------------------------------- transforms inline
C = np.array([1.0, 2.0, 3.0])


def u(t, w):
    return math.sin(w * t) * t


def sq_sum(x):
    return np.sum(x * x * C)


def quart(x):
    return np.sum(x ** 4)


def inline_grad(t, w):
    return s2sad.grad(u)(t, w) ** 2 + w


def inline_value_and_grad(t, w):
    v, g = s2sad.value_and_grad(u, argnums=(0, 1))(t, w)
    return v * g[0] + g[1]


def inline_vjp(x):
    y, back = s2sad.vjp(sq_sum, x)
    (g,) = back(1.0)
    return np.sum(g * g) + y


def inline_vjp_of_numpy(x):
    y, back = s2sad.vjp(np.sin, x)
    (g,) = back(np.ones_like(x))
    return np.sum(g * y * C)


def inline_linearize(t, w):
    y, f_jvp = s2sad.linearize(u, t, w)
    return f_jvp(1.0, 0.0) * y


def inline_hvp(x):
    return np.sum(s2sad.hvp(quart, (x,), (C,)) * x)


def inline_jacfwd(t, w):
    J = s2sad.jacfwd(u, argnums=(0, 1))(t, w)
    return J[0] * J[1]


def inline_jacrev(t, w):
    return s2sad.jacrev(u, argnums=1)(t, w) ** 2


def inline_hessian(t, w):
    H = s2sad.hessian(u, argnums=(0, 1))(t, w)
    return H[0][1] + H[1][1] * t


def inline_grad_of_grad(t, w):
    return s2sad.grad(s2sad.grad(u))(t, w) * w


def inline_deeper(t, w):
    """A transform inside a function that a transform inside this one differentiates."""
    return s2sad.grad(inline_grad)(t, w) * t


def aux_fn(x):
    s = np.sum(x * x)
    return s, {"top": np.max(x)}


def inline_has_aux(x):
    """The outer derivative goes through aux (JAX does not cut it)."""
    g, aux = s2sad.grad(aux_fn, has_aux=True)(x)
    return np.sum(g) * aux["top"]


def inline_jacobian_of_array(x):
    return np.sum(s2sad.jacfwd(np.sin)(x))


def inline_jacobian_of_matrix(x):
    return np.sum(s2sad.jacfwd(np.sin)(x))


def inline_runtime_argnums(x, k):
    return s2sad.grad(u, argnums=k)(x, x)


# ---------------------------------------------------------------- pytrees
class Params(NamedTuple):
    W: np.ndarray
    b: float


def mlp_loss(params, X, y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    return np.mean((h @ params["w2"] - y) ** 2)


def linear_loss(p, X, y):
    return np.sum((X @ p.W + p.b - y) ** 2)


def layers_loss(layers, x):
    h = x
    for W, b in layers:
        h = np.tanh(W @ h + b)
    return np.sum(h * h)


def nested_loss(tree, scale):
    """A dict of a list of a tuple, keys and slices and zip over value trees."""
    total = 0.0
    for (a, b), w in zip(tree["pairs"], tree["weights"]):
        total = total + w * np.sum(a * b)
    first = tree["pairs"][:1][0][0]
    return scale * total + np.sum(first)


def with_dict_output(x, y):
    return {"prod": x * y, "sum": x + y, "arr": np.array([x, y]) * 2.0}


def builds_containers(x, y):
    d = {"a": x, "b": y}
    e = {**d, "c": x * y}
    p = Params(W=x * 2.0, b=y)
    total = 0.0
    for _k, v in e.items():
        total = total + v
    return total * p.W + len(e) * p.b


PARAMS = {"w": np.array([0.5, -1.0]), "c": 2.0}


def reads_module_pytree(x):
    return PARAMS["c"] * np.sum(PARAMS["w"] * x)


def list_as_array(x):
    return np.sum(x * x)


def tree_in_loop(p, n):
    s = 0.0
    for i in range(n):
        s = s + p["a"] * i
    return s


# ---------------------------------------------------------------- has_aux
def loss_and_stats(w, x):
    pred = x * w
    loss = np.sum(pred ** 2)
    return loss, {"pred": pred, "count": x.shape[0]}


def vector_and_aux(x):
    return x * x, np.sum(x)


# ---------------------------------------------------------------- result structures
def polar(r, theta):
    return r * math.cos(theta), r * math.sin(theta)


def wengert(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def quad4(x):
    return np.sum(x ** 4) + x[0] * x[1]


def array_and_scalar(x):
    return x * 2.0, np.sum(x)


def cubed(x):
    return x * x * x * 1.5


# ---------------------------------------------------------------- custom derivatives
@s2sad.custom_jvp
def log1pexp(x):
    return math.log1p(math.exp(x))


@log1pexp.defjvp
def log1pexp_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return log1pexp(x), x_dot / (1.0 + math.exp(-x))


def uses_log1pexp(x, y):
    return log1pexp(x * y) + x


@s2sad.custom_vjp
def doubled_grad(x, y):
    """x * y whose gradient is declared twice the true one (so the rule is seen)."""
    return x * y


def doubled_grad_fwd(x, y):
    return doubled_grad(x, y), (x, y)


def doubled_grad_bwd(res, g):
    x, y = res
    return (2.0 * y * g, 2.0 * x * g)


doubled_grad.defvjp(doubled_grad_fwd, doubled_grad_bwd)


def uses_doubled(x, y):
    return doubled_grad(x, y) + y


@s2sad.custom_vjp
def clipped(x):
    return x


def clipped_fwd(x):
    return clipped(x), x


def clipped_bwd(res, g):
    return (min(max(g, -1.0), 1.0),)


clipped.defvjp(clipped_fwd, clipped_bwd)


def five_clipped(x):
    return 5.0 * clipped(x) * x / x


softplus = s2sad.custom_jvp(lambda x: np.log1p(np.exp(x)), elementwise=True)
softplus.defjvp(lambda p, t: (softplus(p[0]), t[0] / (1.0 + np.exp(-p[0]))))


def sums_softplus(x):
    return np.sum(softplus(x) * C)


def log1pexp_of_array(x):
    return np.sum(log1pexp(x))


# ---------------------------------------------------------------- transform objects
def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


@s2sad.grad
def d_cubed(x):
    return x * x * x


# ---------------------------------------------------------------- Numba callers
def logp(q):
    return -0.5 * np.sum(q * q)


def two(x, y):
    return x * y * y


def reads_C(x):
    return np.sum(C * x)
