"""Builders the loop workloads (ode, lse, llsq, kmeans, gmm_scratch, det, heat_copy)
share: the Numba primal, a hand-written Numba reference, s2sad's grad and value_and_grad
(with its stack bytes), JAX. Each workload module keeps what the user writes and its
hand-written adjoint; this module only wraps them into contenders."""

from __future__ import annotations

from collections.abc import Callable

from .harness import Contender, njit


def same(out):
    return out


def jitted(fn: Callable, args: Callable[[], tuple]) -> Callable:
    return lambda: (njit(fn), args())


def plain(fn: Callable, args: Callable[[], tuple]) -> Callable:
    return lambda: (fn, args())


def s2sad_build(fn: Callable, args: Callable[[], tuple], kind: str = "grad",
                argnums=0) -> Callable:
    def build():
        import s2sad

        return getattr(s2sad, kind)(fn, argnums=argnums), args()

    return build


def s2sad_storage(fn: Callable, args: Callable[[], tuple], argnums=0) -> Callable:
    def extra():
        from s2sad.api import storage_bytes

        from .harness import fmt_bytes

        n = storage_bytes(fn, *args(), argnums=argnums)
        return {"stack bytes": n, "stack": fmt_bytes(n)}

    return extra


def reference(fn: Callable, args: Callable[[], tuple], stores: int,
              name: str = "hand-written Numba adjoint") -> Contender:
    """The hand-written Numba adjoint, with the bytes it keeps for its reverse sweep
    (`stores`: the state a separate reverse sweep must have; 0 where the adjoint
    recomputes everything in one sweep), the figure s2sad's stack is compared with."""
    from .harness import fmt_bytes

    def extra():
        return {"stores bytes": stores, "stores": fmt_bytes(stores)}

    return Contender(name, "reference", jitted(fn, args), grad_of=same, extra=extra)


def s2sad_rows(fn: Callable, args: Callable[[], tuple], argnums=0, grad_of=same,
               label: str = "", value_and_grad: bool = True) -> list[Contender]:
    """s2sad grad (required to work, its stack bytes as an extra) and value_and_grad."""
    sfx = f" ({label})" if label else ""
    rows = [Contender("s2sad grad" + sfx, "s2sad", s2sad_build(fn, args, "grad", argnums),
                      grad_of=grad_of, required=True,
                      extra=s2sad_storage(fn, args, argnums))]
    if value_and_grad:
        rows.append(Contender("s2sad value_and_grad" + sfx, "s2sad",
                              s2sad_build(fn, args, "value_and_grad", argnums),
                              grad_of=lambda o: grad_of(o[1]), value_of=lambda o: o[0],
                              required=True))
    return rows


def jax_row(make: Callable, args: Callable[[], tuple], name: str = "JAX jit(grad)",
            grad_of=same) -> Contender:
    """make(jax, jnp, lax) returns the function to differentiate with respect to its
    first argument; integer arguments (sizes, step counts) are static."""

    def build():
        import jax
        import jax.numpy as jnp
        from jax import lax

        jax.config.update("jax_enable_x64", True)
        f = make(jax, jnp, lax)
        a = args()
        static = tuple(i for i, v in enumerate(a) if isinstance(v, int))
        g = jax.jit(jax.grad(f), static_argnums=static)
        ja = tuple(jax.device_put(v) if hasattr(v, "shape") else v for v in a)
        return (lambda *x: jax.block_until_ready(g(*x))), ja

    return Contender(name, "peer", build, grad_of=grad_of, package="jax")
