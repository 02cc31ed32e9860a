"""The benchmarks never rot: `--quick` runs here (every workload, small sizes), and every
gradient it measures must match the hand-written one (and the peers', where installed) to
1e-9 relative. The hand-written references are checked on their own against central
finite differences, so that a wrong reference cannot pass everything else."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:  # `benchmarks` is a folder of the repository, not installed
    sys.path.insert(0, ROOT)

import benchmarks  # noqa: E402
from benchmarks import (  # noqa: E402
    det,
    gmm,
    gmm_scratch,
    heat,
    heat_copy,
    kmeans,
    llsq,
    lse,
    mlp,
    ode,
    rosenbrock,
)
from benchmarks.__main__ import main  # noqa: E402
from benchmarks.harness import RTOL, numpy_peak, rel_err, summary  # noqa: E402

LOOPS = ("ode", "lse", "llsq", "kmeans", "gmm_scratch", "det", "heat_copy")
ALL = ("seed_scalar", "verlet", "rosenbrock", "heat", "mlp", "gmm", *LOOPS, "batch")


@pytest.fixture(scope="module")
def report():
    return benchmarks.run(None, quick=True, log=lambda _: None)


def test_every_workload_ran(report):
    assert set(benchmarks.WORKLOADS) == set(ALL)
    assert {c.workload for c in report.cases} == set(ALL)


@pytest.mark.parametrize("workload", ("rosenbrock", "heat", "mlp", "gmm", *LOOPS))
def test_array_workloads_s2sad_matches_hand_written(report, workload):
    results = _results(report, workload)
    s2 = [r for r in results if r.role == "s2sad"]
    assert s2
    for r in s2:  # s2sad differentiates all of these: no "unsupported" allowed
        assert r.status == "ok", (r.name, r.status, r.message)
        assert r.check == "passed" and r.max_rel_err <= RTOL, (r.name, r.max_rel_err)
        assert r.median_s > 0 and r.ratio_reference > 0 and r.ratio_primal > 0
    for r in results:
        if r.role in ("hand", "primal") and r.check != "n/a":
            assert r.check == "passed", (r.name, r.message)


def _results(report, workload):
    cases = [c for c in report.cases if c.workload == workload]
    assert cases, f"no case ran for {workload}"
    return [r for c in cases for r in c.results]


def test_quick_run_passes_its_checks(report):
    assert report.passed, report.failures()


def test_seed_gradient_checked_against_hand_written(report):
    res = {r.name: r for r in _results(report, "seed_scalar")}
    ref = res["hand-written Numba gradient"]
    assert ref.check == "reference" and ref.grad == pytest.approx([5.5, 1.7163378145367738])
    for name in ("s2sad grad", "s2sad value_and_grad"):
        r = res[name]
        assert r.status == "ok", r.message
        assert r.check == "passed" and r.max_rel_err <= RTOL
        assert r.median_s > 0 and r.first_call_s > 0 and r.ratio_reference > 0
    assert res["s2sad value_and_grad"].value == pytest.approx(11.652071455223084, rel=1e-12)


def test_verlet_checked_or_reported_unsupported(report):
    results = _results(report, "verlet")
    refs = [r for r in results if r.role == "reference"]
    assert refs and all(r.check == "reference" for r in refs)
    for r in results:
        if r.role == "s2sad":
            # s2sad may not differentiate a construct yet; then it says so, it never crashes
            assert r.status in ("ok", "unsupported"), (r.name, r.status, r.message)
            if r.status == "ok":
                assert r.check == "passed", r.message
            else:
                assert r.message
    ref = refs[0]
    # the seed document's figures for N = 1000: dEf/d(gamma, v0, x0)
    assert ref.grad == pytest.approx([-5.9562, 0.6026, 0.6248], abs=1e-4)


def test_peers_missing_or_matching(report):
    for c in report.cases:
        for r in c.results:
            if r.role == "peer":
                assert r.status in ("ok", "missing", "error"), (r.name, r.status, r.message)
                if r.status == "ok":
                    assert r.check == "passed", (c.label, r.name, r.max_rel_err)


def test_summary_has_every_s2sad_row(report):
    rows = summary(report)
    n_s2sad = sum(1 for c in report.cases for r in c.results if r.role == "s2sad")
    assert len(rows) == n_s2sad
    for row in rows:
        assert row["x hand-written"] and row["x primal"]
        for peer in ("JAX", "PyTorch", "autograd"):
            if row[f"{peer} row"] is not None:
                assert row[f"x {peer}"] > 0


def _fd(f, args, argnums, h=1e-6):
    """Central differences of f with respect to the array arguments `argnums`."""
    out = []
    for a in argnums:
        x = args[a]
        g = np.zeros(x.shape)
        for idx in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[idx] += h
            xm[idx] -= h
            ap, am = list(args), list(args)
            ap[a], am[a] = xp, xm
            g[idx] = (f(*ap) - f(*am)) / (2 * h)
        out.append(g)
    return out


def _close(got, want, tol):
    for g, w in zip(got, want):
        scale = max(1.0, float(np.max(np.abs(w))))
        assert np.max(np.abs(np.asarray(g) - w)) <= tol * scale


def test_rosenbrock_references_against_finite_differences():
    x = np.random.default_rng(1).uniform(-2, 2, 7)
    fd = _fd(rosenbrock.rosenbrock_loop, (x,), (0,))
    for g in (rosenbrock.grad_gather, rosenbrock.grad_scatter, rosenbrock.grad_numpy):
        _close([g(x)], fd, 1e-6)
    assert rosenbrock.rosenbrock_vec(x) == pytest.approx(rosenbrock.rosenbrock_loop(x))


def test_heat_reference_against_finite_differences():
    u0 = np.random.default_rng(2).standard_normal(9)
    fd = _fd(lambda u: heat.heat(u, 0.25, 5), (u0,), (0,))
    _close([heat.heat_adjoint(u0, 0.25, 5)], fd, 1e-6)


def test_mlp_reference_against_finite_differences():
    args = mlp._args(5, 3, 4)
    _close(mlp.mlp_grad(*args), _fd(mlp.mlp_loss, args, mlp.ARGNUMS), 1e-6)


def test_gmm_reference_against_finite_differences():
    args = gmm._args(3, 2, 6)
    want = _fd(gmm.gmm_objective, args, gmm.ARGNUMS)
    _close(gmm.gmm_adjoint(*args), want, 1e-6)
    assert gmm.gmm_objective_vec(*args) == pytest.approx(gmm.gmm_objective(*args), rel=1e-12)


@pytest.mark.parametrize("f, grad, args, argnums", [
    (ode.ode, ode.ode_adjoint, (np.random.default_rng(3).uniform(0, 1, 6), 5), (0,)),
    (lse.lse, lse.lse_grad, (np.random.default_rng(3).standard_normal(7),), (0,)),
    (llsq.llsq, llsq.llsq_grad, (np.random.default_rng(3).standard_normal(4), 9), (0,)),
    (kmeans.kmeans, kmeans.kmeans_grad, kmeans._data(3, 10, 2), (0,)),
    (det.det, det.det_grad, (np.random.default_rng(3).standard_normal((4, 4)),), (0,)),
    (heat_copy.heat_copy, heat.heat_adjoint, (np.random.default_rng(3).standard_normal(9),
                                              0.25, 5), (0,)),
    (heat_copy.heat_concat, heat.heat_adjoint, (np.random.default_rng(3).standard_normal(9),
                                                0.25, 5), (0,)),
    (gmm_scratch.gmm_scratch, gmm.gmm_adjoint, gmm._args(3, 2, 6), gmm.ARGNUMS),
], ids=lambda v: getattr(v, "__name__", ""))
def test_loop_references_against_finite_differences(f, grad, args, argnums):
    got = grad(*args)
    _close(got if len(argnums) > 1 else [got], _fd(f, args, argnums), 1e-6)


def test_det_is_numpys():
    A = np.random.default_rng(4).standard_normal((5, 5))
    assert det.det(A) == pytest.approx(np.linalg.det(A), rel=1e-12)
    assert det.det_grad(A) == pytest.approx(np.linalg.det(A) * np.linalg.inv(A).T, rel=1e-9)


def test_gmm_scratch_is_gmm():
    args = gmm._args(3, 2, 6)
    assert gmm_scratch.gmm_scratch(*args) == pytest.approx(gmm.gmm_objective(*args), rel=1e-12)


def test_numpy_peak_measures_allocations():
    x = np.ones(100_000)
    peak = numpy_peak(lambda: ((lambda a: a * 2.0 + 1.0), (x,)))()["peak NumPy memory"]
    number, unit = peak.split()
    assert float(number) * {"kB": 1e3, "MB": 1e6}[unit] >= 8e5  # one 800 kB temporary


def test_rel_err_on_arrays():
    a = np.linspace(1.0, 2.0, 1000)
    assert rel_err(a, a) == 0.0
    b = a.copy()
    b[500] *= 1 + 1e-8
    assert rel_err(b, a) == pytest.approx(1e-8, rel=1e-6)
    assert rel_err(a[:-1], a) == float("inf")
    nan = a.copy()
    nan[3] = np.nan
    assert rel_err(nan, nan) == float("inf") and rel_err(nan, a) == float("inf")


def test_a_wrong_gradient_fails_the_run():
    from benchmarks.harness import Case, Contender, Settings, run_case

    case = Case("t", "wrong", {}, [
        Contender("primal", "primal", lambda: (lambda x: x * x, (3.0,)), value_of=float),
        Contender("reference", "reference", lambda: (lambda x: (2 * x,), (3.0,)),
                  grad_of=list),
        Contender("off by 1e-8", "s2sad", lambda: (lambda x: (2 * x * (1 + 1e-8),), (3.0,)),
                  grad_of=list),
        Contender("unsupported", "s2sad", lambda: (lambda x: 1 / 0, (3.0,)), grad_of=list),
        Contender("required", "s2sad", lambda: (lambda x: 1 / 0, (3.0,)), grad_of=list,
                  required=True),
        Contender("missing peer", "peer", lambda: (lambda x: x, (3.0,)),
                  package="no_such_peer_package"),
    ])
    cr = run_case(case, Settings.quick(), log=lambda _: None)
    res = {r.name: r for r in cr.results}
    assert not cr.passed
    assert res["off by 1e-8"].status == "mismatch"
    assert res["unsupported"].status == "unsupported" and res["unsupported"].check == "n/a"
    assert res["required"].status == "error" and res["required"].check == "failed"
    assert res["missing peer"].status == "missing"
    assert rel_err([1.0, 0.0], [1.0, 0.0]) == 0.0


def test_cli_writes_json_and_markdown(tmp_path, capsys):
    js, md, png = tmp_path / "r.json", tmp_path / "r.md", tmp_path / "r.png"
    rc = main(["--quick", "--workload", "seed_scalar", "--no-peers", "--json", str(js),
               "--markdown", str(md), "--plot", str(png)])
    assert rc == 0
    data = json.loads(js.read_text())
    assert data["passed"] and data["cases"][0]["workload"] == "seed_scalar"
    assert "| s2sad grad |" in md.read_text()
    assert "hand-written" in capsys.readouterr().out
