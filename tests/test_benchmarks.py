"""The benchmarks never rot: `--quick` runs here, and every gradient it measures must match
the hand-written Numba one (and the peers', where installed) to 1e-9 relative."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:  # `benchmarks` is a folder of the repository, not installed
    sys.path.insert(0, ROOT)

import benchmarks  # noqa: E402
from benchmarks.__main__ import main  # noqa: E402
from benchmarks.harness import RTOL, rel_err  # noqa: E402


@pytest.fixture(scope="module")
def report():
    return benchmarks.run(["seed_scalar", "verlet"], quick=True, log=lambda _: None)


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
