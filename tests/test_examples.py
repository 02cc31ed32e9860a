"""Every script in examples/ runs as a user runs it (a subprocess, in a scratch folder), and
prints the numbers of the seed documents.

The examples print one number to a line, s2sad's beside its reference
(examples/_common.py):

    df/dx1                      s2sad      5.5   document 5.5

DOCUMENT below is transcribed from the seed documents (../shared/seeds), not from the
scripts' output: each `document` line a script prints must be listed here, with the text
the document prints, and s2sad's number must agree with it to the document's rounding.
`exact` (an analytic formula) and `fd` (central differences) lines are checked too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))
ROW = re.compile(r"^(?P<label>.+?)\s+s2sad\s+(?P<ours>\S+)\s+(?P<kind>document|exact|fd)\s+"
                 r"(?P<ref>\S+)\s*$")

# label -> (the document's text, tolerance); None: half a unit of the last printed digit
DOCUMENT: dict[str, dict[str, tuple[str, float | None]]] = {
    # Kim, "Understanding Automatic Differentiation", 4.1 and 5.2 (v3..v7), 4.3 (Dual), 5.3
    # (Var); Fuge, "Taking Derivatives with AD", 5.1.2-5.1.4 (V2..V6)
    "wengert_tables.py": {
        "v1 = log(x1)      (Fuge V2, Kim v3)": ("0.6931", None),
        "v2 = x1 * x2      (Fuge V3, Kim v4)": ("10", None),
        "v4 = sin(x2)      (Kim v5)": ("-0.959", None),
        "v3 = v1 + v2      (Fuge V5, Kim v6)": ("10.6931", None),
        "v5 = v3 - v4 = f  (Kim v7)": ("11.652", None),
        "v1_dot = x1_dot / x1   (Kim v3 dot)": ("0.5", None),
        "v2_dot   (Kim v4 dot)": ("5", None),
        "v4_dot   (Kim v5 dot)": ("0", None),
        "v3_dot   (Kim v6 dot)": ("5.5", None),
        "v5_dot = df/dx1   (Kim v7 dot)": ("5.5", None),
        "v5_dot = df/dx2": ("1.7163", None),
        "v4_bar = -v5_bar        (Kim v5_bar)": ("-1", None),
        "x2_bar = cos(x2) v4_bar (Fuge, from V4)": ("-0.2837", None),
        "x1_bar = x2 v5_bar      (Kim v1_bar += 5)": ("5", None),
        "x2_bar_1 += x1 v5_bar   (df/dx2)": ("1.7163", None),
        "x1_bar_1 += v5_bar / x1 (df/dx1)": ("5.5", None),
        "jvp seed (1.0, 0.0): f": ("11.6521", None),
        "jvp seed (1.0, 0.0): tangent": ("5.5000", None),
        "jvp seed (0.0, 1.0): f": ("11.6521", None),
        "jvp seed (0.0, 1.0): tangent": ("1.7163", None),
        "value_and_grad: f(2, 5)": ("11.652071", None),
        "value_and_grad: df/dx1": ("5.500000", None),
        "value_and_grad: df/dx2": ("1.716338", None),
    },
    # Fuge 5.2: true_grad(2, 5) = array([5.5, 1.71633781])
    "finite_differences.py": {
        "df/dx1": ("5.5", None),
        "df/dx2": ("1.71633781", None),
    },
    # Fuge 5.3: x.grad = tensor([-16.5000, 19.5000]); AdamW(lr=1) prints x after each step;
    # the optimum is plotted at (-0.54719, -1.54719), truncated rather than rounded
    # (-0.5471975...): one unit of the last digit
    "mccormick.py": {
        "df/dx0": ("-16.5000", None),
        "df/dx1": ("19.5000", None),
        "AdamW step  1: x0": ("-2.9600", None), "AdamW step  1: x1": ("2.9600", None),
        "AdamW step  5: x0": ("0.6508", None), "AdamW step  5: x1": ("-0.7906", None),
        "AdamW step 10: x0": ("1.6423", None), "AdamW step 10: x1": ("-2.9514", None),
        "AdamW step 25: x0": ("-1.5524", None), "AdamW step 25: x1": ("-1.3224", None),
        "AdamW step 50: x0": ("-0.5490", None), "AdamW step 50: x1": ("-1.4935", None),
        "L-BFGS-B minimum: x0": ("-0.54719", 1e-5),
        "L-BFGS-B minimum: x1": ("-1.54719", 1e-5),
        "gradient descent minimum: x0": ("-0.54719", 1e-5),
        "gradient descent minimum: x1": ("-1.54719", 1e-5),
    },
    # Fuge 5.4: print(Ef) tensor([0.6137]); gamma.grad, v_initial.grad, x_initial.grad;
    # print(vf) tensor([-0.2245]); the same .grad after vf.backward() (accumulated)
    "verlet.py": {
        "Ef": ("0.6137", None),
        "dEf/dgamma": ("-5.9562", None),
        "dEf/dv0": ("0.6026", None),
        "dEf/dx0": ("0.6248", None),
        "vf": ("-0.2245", None),
        "dEf/dgamma + dvf/dgamma (.grad)": ("-4.7535", None),
        "dEf/dv0 + dvf/dv0 (.grad)": ("-0.0437", None),
        "dEf/dx0 + dvf/dx0 (.grad)": ("1.0466", None),
    },
    # Han and Zhu: y_train = 2 + x_train + randn(n), n = 100; the final loss 1.0072836875915527
    # is the noise variance of the document's own draw. Another draw of the same data gives
    # the same up to sampling error: 0.3 is three standard errors of b0 and b1 (1/sqrt(n))
    # and two of the sample variance (sqrt(2/n)).
    "linear_regression.py": {
        "b0 (the data are drawn with 2)": ("2", 0.3),
        "b1 (the data are drawn with 1)": ("1", 0.3),
        "final loss (the noise variance, 1)": ("1.0073", 0.3),
    },
    # Han and Zhu: print(x.grad) tensor([1.3633, 0.1912])
    "composition.py": {
        "dh/dx0": ("1.3633", None),
        "dh/dx1": ("0.1912", None),
    },
    # Asch, "Chain Rule - a simple example": q becomes 3, f becomes -12, the gradient on z
    # becomes 3, on q -4; the notes' Example 1: x**2 at 4, x.grad tensor([8.])
    "backprop.py": {
        "q = x + y   ('q becomes 3')": ("3", None),
        "f = q z     ('f becomes -12')": ("-12", None),
        "q_bar = df/dq = z": ("-4", None),
        "z_bar = df/dz = q": ("3", None),
        "grad: df/dz = q": ("3", None),
        "d(x^2)/dx at 4  (tensor([8.]))": ("8", None),
    },
    # Kim, 8: y = 2.2444, dy/dx = 3.1516, d2y/dx2 = 0.1750
    "higher_order.py": {
        "y": ("2.2444", None),
        "dy/dx      grad(y)": ("3.1516", None),
        "dy/dx      the same, dy(x)": ("3.1516", None),
        "d2y/dx2    grad(grad(y))": ("0.1750", None),
        "d2y/dx2    hessian(y)": ("0.1750", None),
    },
}
# the scripts that draw, and what they save
PLOTS = {
    "finite_differences.py": ["finite_differences.png"],
    "mccormick.py": ["mccormick.png"],
    "verlet.py": ["verlet.png"],
    "linear_regression.py": ["linear_regression.png"],
    "higher_order.py": ["higher_order.png"],
    "ground_state.py": ["ground_state.png"],
    "pinn_sir.py": ["pinn_sir.png"],
}


def run(script: Path, *args: str, cwd: Path, env: dict | None = None):
    env = dict(os.environ, MPLBACKEND="Agg", **(env or {}))
    proc = subprocess.run([sys.executable, str(script), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (
        f"{script.name} {' '.join(args)} exited {proc.returncode}\n--- stdout\n"
        f"{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}")
    return proc


def rows(stdout: str) -> list[re.Match]:
    return [m for m in map(ROW.match, stdout.splitlines()) if m]


def half_unit(text: str) -> float:
    exponent = Decimal(text).as_tuple().exponent
    return 0.5 * 10.0 ** exponent


def check_rows(name: str, stdout: str) -> None:
    expected = DOCUMENT.get(name, {})
    seen = set()
    for m in rows(stdout):
        label, ours, kind, ref = m["label"].strip(), float(m["ours"]), m["kind"], m["ref"]
        if kind == "document":
            assert label in expected, (
                f"{name} prints a document number the test does not know: {m.group(0)!r}; "
                "transcribe it from the seed document into DOCUMENT")
            text, tol = expected[label]
            assert ref == text, f"{name}: {label!r}: the script quotes {ref}, the document {text}"
            tol = half_unit(text) * (1 + 1e-9) if tol is None else tol
            assert abs(ours - float(text)) <= tol, (
                f"{name}: {label}: s2sad {ours}, document {text} (tolerance {tol:g})")
            seen.add(label)
        elif kind == "exact":
            assert ours == pytest.approx(float(ref), rel=1e-9, abs=1e-12), m.group(0)
        else:
            assert ours == pytest.approx(float(ref), rel=1e-6, abs=1e-9), m.group(0)
    missing = set(expected) - seen
    assert not missing, f"{name} did not print {sorted(missing)}"


def test_every_example_is_known():
    names = {p.name for p in EXAMPLES}
    assert "wengert.py" in names
    assert set(DOCUMENT) <= names and set(PLOTS) <= names


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_numbers(script: Path, tmp_path: Path):
    proc = run(script, "--smoke", "--no-plot", cwd=tmp_path)
    assert proc.stdout.strip(), f"{script.name} printed nothing"
    check_rows(script.name, proc.stdout)
    if script.name != "wengert.py":  # its output is the README's, unchanged
        assert rows(proc.stdout), f"{script.name} prints no number beside a reference"
    assert not list(tmp_path.iterdir()), "--no-plot wrote files"


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(PLOTS), ids=sorted(PLOTS))
def test_example_plots(script: str, tmp_path: Path):
    import matplotlib.image  # the "examples" extra; the "test" extra brings it
    import numpy as np

    out = tmp_path / "figures"
    proc = run(ROOT / "examples" / script, "--smoke", "--out", str(out), cwd=tmp_path)
    assert sorted(p.name for p in out.iterdir()) == sorted(PLOTS[script])
    for name in PLOTS[script]:
        assert f"saved {out / name}" in proc.stdout
        img = matplotlib.image.imread(out / name)
        assert img.shape[0] >= 300 and img.shape[1] >= 400, img.shape
        rgb = img[..., :3].reshape(-1, 3)
        ink = np.any(np.abs(rgb - rgb[0]) > 0.1, axis=1).mean()  # pixels unlike the corner
        colours = len(np.unique((rgb * 255).astype(np.uint8), axis=0))
        assert ink > 0.02 and colours > 20, f"{name} looks blank: {ink:.3f} ink, {colours} colours"


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_help(script: Path, tmp_path: Path):
    proc = run(script, "--help", cwd=tmp_path)
    assert proc.stdout.startswith("usage:")
    for flag in ("--smoke", "--no-plot", "--out DIR"):
        assert flag in proc.stdout
    assert not rows(proc.stdout), "--help ran the example"
    for png in PLOTS.get(script.name, []):
        assert png in proc.stdout


def test_example_without_matplotlib(tmp_path: Path):
    # a matplotlib that cannot be imported, first on the path
    (tmp_path / "block" / "matplotlib").mkdir(parents=True)
    (tmp_path / "block" / "matplotlib" / "__init__.py").write_text(
        "raise ImportError('matplotlib is blocked for this test')\n")
    path = os.pathsep.join([str(tmp_path / "block"), os.environ.get("PYTHONPATH", "")])
    proc = run(ROOT / "examples" / "mccormick.py", "--smoke", "--out", str(tmp_path / "figs"),
               cwd=tmp_path, env={"PYTHONPATH": path})
    check_rows("mccormick.py", proc.stdout)
    hints = [line for line in proc.stdout.splitlines() if "matplotlib" in line]
    assert hints == ['figures: matplotlib is not installed; pip install -e ".[examples]" draws '
                     'them'], proc.stdout
    assert not (tmp_path / "figs").exists()


def test_wengert_prints_the_seed_gradient(tmp_path: Path):
    # the README's first command, as it is written there
    proc = run(ROOT / "examples" / "wengert.py", cwd=tmp_path)
    assert "grad f(2, 5)   = (5.5, 1.7163378145367738)" in proc.stdout
    assert "def f_vjp(x1, x2" in proc.stdout
    assert "(wengert.py:9)" in proc.stdout  # the README and docs/api.md quote the line


def test_gallery_page_shows_every_example():
    page = (ROOT / "docs" / "gallery.md").read_text()
    for script in EXAMPLES:
        assert f"examples/{script.name}" in page, f"docs/gallery.md does not show {script.name}"
    for pngs in PLOTS.values():
        for png in pngs:
            assert f"(gallery/{png})" in page
            # made by `python examples/SCRIPT --out docs/gallery` (full size)
            assert (ROOT / "docs" / "gallery" / png).stat().st_size > 10_000


def test_figures_go_to_the_current_folder_by_default(tmp_path: Path):
    run(ROOT / "examples" / "higher_order.py", "--smoke", cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["higher_order.png"]
