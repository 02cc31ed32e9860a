"""python -m benchmarks.gpu [--smoke] [--n N] [--json PATH] [--markdown PATH]

The GPU check of target="cuda" (at most a few minutes; needs numba-cuda, and JAX with CUDA
for the peer; no network): batched gradients of the damped Verlet oscillator (a sweep over
gamma, benchmarks/batch.py's 1000 steps), the seed function, 2-D Rosenbrock and a 1-D
Gaussian mixture's score d log p(x)/dx, each on N elements (10^6 by default). For each: 4096 samples checked against
target="cpu" to 1e-12; the median of 5 timed runs (after a warm-up, synchronised) of s2sad's
kernel, of JAX jit(vmap(grad)) in float64 on the same GPU, and of the primal as a kernel
(s2sad's vmap of the function itself). --smoke runs everything small in numba-cuda's
simulator (set before numba.cuda is imported), without JAX.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np

from .batch import jax_seed, jax_verlet, seed, verlet

MU = np.array([-1.0, 0.5, 2.0])
SIG = np.array([0.5, 0.3, 0.8])
W = np.array([0.3, 0.5, 0.2])


def rosen2(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def gmm_logp(x, mu, sig, w):
    s = 0.0
    for k in range(mu.shape[0]):
        z = (x - mu[k]) / sig[k]
        s += w[k] / sig[k] * math.exp(-0.5 * z * z)
    return math.log(s / math.sqrt(2.0 * math.pi))


def _jax_fns():
    import jax.numpy as jnp

    def j_gmm(x, mu, sig, w):
        z = (x - mu) / sig
        return jnp.log(jnp.sum(w / sig * jnp.exp(-0.5 * z * z)) / jnp.sqrt(2 * jnp.pi))

    return {"verlet": (jax_verlet(), (0, None), (0, 1)),
            "seed": (jax_seed(), (0, 0), (0, 1)),
            "rosen2": (lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2, (0, 0), (0, 1)),
            "gmm": (j_gmm, (0, None, None, None), 0)}


def cases(n: int) -> list[tuple]:
    """(name, function, in_axes, argnums, arguments)."""
    rng = np.random.default_rng(0)
    return [
        ("verlet", verlet, (0, None), (0, 1), (np.linspace(0.05, 1.0, n), 0.3)),
        ("seed", seed, (0, 0), (0, 1), (rng.uniform(1.0, 3.0, n), rng.uniform(0.0, 2.0, n))),
        ("rosen2", rosen2, (0, 0), (0, 1), (rng.uniform(-2, 2, n), rng.uniform(-1, 3, n))),
        ("gmm", gmm_logp, (0, None, None, None), 0, (rng.uniform(-3, 3, n), MU, SIG, W)),
    ]


def _median(run, sync, reps=5) -> float:
    run()
    sync()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        run()
        sync()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def _flat(out) -> np.ndarray:
    if isinstance(out, tuple):
        return np.concatenate([np.ravel(_host(o)) for o in out])
    return np.ravel(_host(out))


def _host(o):
    return o.copy_to_host() if hasattr(o, "copy_to_host") else np.asarray(o)


def run(n: int, smoke: bool) -> dict:
    from numba import cuda

    import s2sad

    info = {"n": n, "smoke": smoke, "python": platform.python_version(),
            "numba": __import__("numba").__version__}
    try:
        import numba_cuda
        info["numba_cuda"] = numba_cuda.__version__
    except ImportError:
        pass
    if not smoke:
        cuda.detect()
        info["gpu"] = cuda.get_current_device().name.decode() if isinstance(
            cuda.get_current_device().name, bytes) else str(cuda.get_current_device().name)
    jax = None
    if not smoke:
        try:
            import jax as _jax
            _jax.config.update("jax_enable_x64", True)
            jax = _jax
            info["jax"] = jax.__version__
            info["jax_devices"] = [str(d) for d in jax.devices()]
        except Exception as e:  # noqa: BLE001 (the peer is optional)
            info["jax"] = f"unavailable: {type(e).__name__}: {e}"
    rows = []
    jfns = _jax_fns() if jax is not None else {}
    for name, f, axes, nums, args in cases(n):
        row = {"case": name}
        g_gpu = s2sad.vmap(s2sad.grad(f, argnums=nums), in_axes=axes, target="cuda")
        g_cpu = s2sad.vmap(s2sad.grad(f, argnums=nums), in_axes=axes, target="cpu")
        k = min(4096, n)
        sample = tuple(a[:k] if ax is not None else a for a, ax in zip(args, axes))
        got, want = _flat(g_gpu(*sample)), _flat(g_cpu(*sample))
        row["max rel err vs cpu (4096)"] = float(np.max(np.abs(got - want) / np.maximum(
            np.abs(want), 1e-300)))
        row["check"] = bool(np.allclose(got, want, rtol=1e-12, atol=1e-300))
        dev = tuple(cuda.to_device(a) if ax is not None else a for a, ax in zip(args, axes))
        row["s2sad cuda grad (s)"] = _median(lambda g=g_gpu, d=dev: g(*d), cuda.synchronize)
        p_gpu = s2sad.vmap(f, in_axes=axes, target="cuda")
        row["s2sad cuda primal (s)"] = _median(lambda p=p_gpu, d=dev: p(*d), cuda.synchronize)
        if name in jfns:
            jf, jaxes, jnums = jfns[name]
            jg = jax.jit(jax.vmap(jax.grad(jf, argnums=jnums), in_axes=jaxes))
            jargs = tuple(jax.device_put(a) if ax is not None else a
                          for a, ax in zip(args, jaxes))
            jg_out = jg(*jargs)
            jflat = np.concatenate([np.ravel(np.asarray(o)[:k]) for o in (
                jg_out if isinstance(jg_out, tuple) else (jg_out,))])
            row["jax vs cpu (4096)"] = float(np.max(np.abs(jflat - want) / np.maximum(
                np.abs(want), 1e-300)))
            row["jax jit(vmap(grad)) (s)"] = _median(
                lambda g=jg, a=jargs: jax.block_until_ready(g(*a)), lambda: None)
            row["jax / s2sad"] = row["jax jit(vmap(grad)) (s)"] / row["s2sad cuda grad (s)"]
        row["grad / primal"] = row["s2sad cuda grad (s)"] / row["s2sad cuda primal (s)"]
        print(json.dumps(row), flush=True)
        rows.append(row)
    return {"info": info, "rows": rows}


def markdown(rep: dict) -> str:
    info = rep["info"]
    lines = [f"# GPU check (n = {info['n']}{', simulator' if info['smoke'] else ''})", "",
             ", ".join(f"{k}: {v}" for k, v in info.items() if k not in ("n", "smoke")), "",
             "| case | check (4096 vs cpu, 1e-12) | s2sad grad | primal kernel | grad / primal "
             "| JAX jit(vmap(grad)) | JAX / s2sad |", "|---|---|---:|---:|---:|---:|---:|"]
    for r in rep["rows"]:
        def t(key, r=r):
            v = r.get(key)
            return "—" if v is None else f"{v * 1e3:.3g} ms"
        jr = r.get("jax / s2sad")
        lines.append(f"| {r['case']} | {'passed' if r['check'] else 'FAILED'} "
                     f"({r['max rel err vs cpu (4096)']:.1e}) | {t('s2sad cuda grad (s)')} | "
                     f"{t('s2sad cuda primal (s)')} | {r['grad / primal']:.2f}x | "
                     f"{t('jax jit(vmap(grad)) (s)')} | "
                     f"{'—' if jr is None else f'{jr:.2f}x'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="small, in the CUDA simulator")
    p.add_argument("--n", type=int, default=None, help="elements per batch (10^6)")
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    p.add_argument("--json", default=None)
    p.add_argument("--markdown", default=None)
    a = p.parse_args(argv)
    if a.smoke:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    n = a.n or (64 if a.smoke else 1_000_000)
    stem = "gpu_smoke" if a.smoke else "gpu"
    rep = run(n, a.smoke)
    md = markdown(rep)
    print(md)
    for path, text in ((a.json or os.path.join(here, stem + ".json"), json.dumps(rep, indent=1)),
                       (a.markdown or os.path.join(here, stem + ".md"), md)):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
    return 0 if all(r["check"] for r in rep["rows"]) else 1


if __name__ == "__main__":
    sys.exit(main())
