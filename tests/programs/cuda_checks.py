"""Run by tests/test_cuda.py in a process with NUMBA_ENABLE_CUDASIM=1: every CUDA path
of vmap, checked against target="cpu" (exactly: the same operations in the same order).
Prints "ok NAME" per check; any failure raises."""

import numpy as np

import s2sad
from s2sad.errors import BadArguments, DeviceUnsupported
from tests.programs import batch_programs as P


def same(name, got, ref):
    for g, r in zip(got if isinstance(got, tuple) else (got,),
                    ref if isinstance(ref, tuple) else (ref,)):
        np.testing.assert_allclose(np.asarray(g), r, rtol=1e-12, atol=1e-14)
    print("ok", name, flush=True)


def both(fun, *args, in_axes=0):
    gpu = s2sad.vmap(fun, in_axes=in_axes, target="cuda")
    cpu = s2sad.vmap(fun, in_axes=in_axes, target="cpu")
    return gpu(*args), cpu(*args)


gam = np.linspace(0.1, 1.0, 300)
same("verlet sweep", *both(s2sad.grad(P.verlet, argnums=(0, 1)), gam, 0.5, in_axes=(0, None)))
x1, x2 = np.linspace(1.0, 2.0, 257), np.linspace(0.0, 1.0, 257)
same("seed", *both(s2sad.grad(P.seed, argnums=(0, 1)), x1, x2))
same("seed value_and_grad", *both(s2sad.value_and_grad(P.seed), x1, x2))
same("primal", *both(P.seed, x1, x2))
k = np.linspace(0.2, 0.9, 40)
# a while loop: the tapes start at 64 values and grow (the overflow flag, a relaunch)
same("tape overflow and relaunch", *both(s2sad.grad(P.harmonic_until), k, 1e-8,
                                        in_axes=(0, None)))
same("reserved tape overflow and relaunch", *both(s2sad.grad(P.n_steps), k, 300,
                                                  in_axes=(0, None)))
f = s2sad.vmap(s2sad.grad(P.verlet), in_axes=(0, None), target="cuda")
from numba import cuda  # noqa: E402

d = f(cuda.to_device(gam), 0.5)
assert hasattr(d, "copy_to_host")  # device arrays in, device arrays out
same("device arrays", d.copy_to_host(), s2sad.vmap(s2sad.grad(P.verlet), in_axes=(0, None))(
    gam, 0.5))
same("shared array argument", *both(s2sad.grad(P.weighted_loop), gam, np.linspace(0, 2, 9),
                                    in_axes=(0, None)))
try:
    s2sad.vmap(s2sad.grad(P.rosen), target="cuda")(np.ones((4, 3)))
    raise AssertionError("array elements on the GPU were not refused")
except DeviceUnsupported as e:
    assert "target='parallel'" in str(e)
    print("ok refuses array elements", flush=True)
try:
    s2sad.grad(P.seed, target="cuda")
    raise AssertionError("grad(target='cuda') was not refused")
except BadArguments as e:
    assert "s2sad.vmap" in str(e)
    print("ok refuses one derivative on the GPU", flush=True)
