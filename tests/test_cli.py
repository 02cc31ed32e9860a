"""`s2sad show FILE.py:FUNC`: the printed source and IR, the numbers the printed source
computes, and one-line errors with the right exit status."""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from s2sad.cli import UsageError, main, parse_types
from s2sad.ir.types import BOOL, F32, F64, I64, ArrayT

ROOT = Path(__file__).resolve().parents[1]
WENGERT = ROOT / "examples" / "wengert.py"
UNSUPPORTED = ROOT / "tests" / "programs" / "unsupported.py"
GOLDEN = ROOT / "tests" / "golden"
F_AT_2_5 = math.log(2.0) + 10.0 - math.sin(5.0)
GRAD_AT_2_5 = (5.5, 1.7163378145367738)


@pytest.fixture(autouse=True)
def _restore_import_state(tmp_path_factory):
    """main() puts the file's folder on sys.path and imports it; undo that per test."""
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    imported_here = (str(ROOT / "examples"), str(tmp_path_factory.getbasetemp()))
    for name in set(sys.modules) - modules:
        file = getattr(sys.modules[name], "__file__", None) or ""
        if file.startswith(imported_here):
            del sys.modules[name]


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def show(capsys, *argv):
    rc, out, err = run(capsys, "show", *argv)
    assert rc == 0, err
    assert err == ""
    return out


def load(source: str, name: str):
    ns: dict = {}
    exec(compile(source, f"<s2sad show {name}>", "exec"), ns)
    return ns[name]


def assert_one_line_error(rc, out, err, status):
    assert rc == status
    assert out == ""
    assert err.endswith("\n")
    assert err.count("\n") == 1, err
    assert err.startswith("s2sad: error: ")


def assert_error_with_caret(rc, out, err, code: str):
    """An S2SADError: one line `s2sad: error: ...`, then the source line, the caret under
    `code` in it, and the hint."""
    assert rc == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("s2sad: error: "), err
    assert not lines[1].startswith("s2sad"), err
    col = lines[1].index(code)
    assert lines[2].index("^") == col, err
    assert lines[3].startswith("  hint: "), err
    assert len(lines) == 4, err
    return lines


# ----------------------------------------------------------------------------- source
def test_reverse_source_of_the_seed(capsys):
    src = show(capsys, f"{WENGERT}:f", "--mode", "reverse")
    assert "def f_vjp(" in src
    assert "x1_bar" in src and "x2_bar" in src
    assert src.startswith("# s2sad: reverse-mode")
    f_vjp = load(src, "f_vjp")
    v, x1_bar, x2_bar = f_vjp(2.0, 5.0)
    assert v == pytest.approx(F_AT_2_5, rel=1e-15)
    assert (x1_bar, x2_bar) == pytest.approx(GRAD_AT_2_5, rel=1e-15)
    # the seed is a parameter: scaling it scales the adjoints
    assert f_vjp(2.0, 5.0, 2.0)[1:] == pytest.approx((11.0, 2 * GRAD_AT_2_5[1]), rel=1e-15)


def test_reverse_is_the_default_mode(capsys):
    assert show(capsys, f"{WENGERT}:f") == show(capsys, f"{WENGERT}:f", "--mode", "reverse")


def test_forward_source_of_the_seed(capsys):
    src = show(capsys, f"{WENGERT}:f", "--mode", "forward")
    assert "def f_jvp(" in src
    assert "_dot" in src
    f_jvp = load(src, "f_jvp")
    v, d1 = f_jvp(2.0, 5.0, 1.0, 0.0)
    _, d2 = f_jvp(2.0, 5.0, 0.0, 1.0)
    assert v == pytest.approx(F_AT_2_5, rel=1e-15)
    assert (d1, d2) == pytest.approx(GRAD_AT_2_5, rel=1e-15)


def test_grad_mode_with_wrt(capsys):
    src = show(capsys, f"{WENGERT}:f", "--mode", "grad", "--wrt", "x2")
    assert "def f_grad(" in src
    assert "x1_bar" not in src
    assert load(src, "f_grad")(2.0, 5.0) == pytest.approx(GRAD_AT_2_5[1], rel=1e-15)


def test_wrt_order_and_subset(capsys):
    src = show(capsys, f"{WENGERT}:f", "--wrt", "x1")
    assert "x2_bar" not in src
    assert load(src, "f_vjp")(2.0, 5.0)[1:] == pytest.approx((5.5,), rel=1e-15)
    src = show(capsys, f"{WENGERT}:f", "--mode", "grad", "--wrt", "x2, x1")
    assert load(src, "f_grad")(2.0, 5.0) == pytest.approx(GRAD_AT_2_5[::-1], rel=1e-15)


def test_primal_mode(capsys):
    src = show(capsys, f"{WENGERT}:f", "--mode", "primal")
    assert "_bar" not in src and "_dot" not in src


def test_array_types(capsys, tmp_path):
    prog = tmp_path / "arrprog.py"
    prog.write_text(
        "def sumsq(x, n):\n"
        "    s = 0.0\n"
        "    for i in range(n):\n"
        "        s = s + x[i] * x[i]\n"
        "    return s\n"
    )
    src = show(capsys, f"{prog}:sumsq", "--types", "f64[:], i64")
    x = np.array([1.0, -2.0, 3.0])
    v, x_bar = load(src, "sumsq_vjp")(x, 3)
    assert v == pytest.approx(14.0)
    np.testing.assert_allclose(x_bar, 2 * x)
    ir = show(capsys, f"{prog}:sumsq", "--types", "f64[:],i64", "--ir", "--after", "lower")
    assert ir.startswith("def sumsq(x: f64[:], n: i64) -> f64:")
    assert "for i in range(" in ir


def test_target_python_builds(capsys):
    rc, out, err = run(capsys, "show", f"{WENGERT}:f", "--target", "python")
    assert rc == 0
    assert "def f_vjp(" in out
    assert err == "s2sad: f_vjp builds for target python\n"


def test_target_cpu_builds_whole_array_code(capsys, tmp_path):
    # target cpu runs straight-line array code on NumPy: nothing to compile, no error
    prog = tmp_path / "vec.py"
    prog.write_text("import numpy as np\n\ndef loss(x):\n    return np.sum(np.tanh(x))\n")
    rc, _, err = run(capsys, "show", f"{prog}:loss", "--types", "f64[:]", "--target", "cpu")
    assert rc == 0
    assert err == "s2sad: loss_vjp builds for target cpu\n"


# ----------------------------------------------------------------------------- IR
def test_ir_after_lower_is_the_wengert_list(capsys):
    ir = show(capsys, f"{WENGERT}:f", "--ir", "--after", "lower")
    body = [line.split("#")[0].strip() for line in ir.splitlines()[1:]]
    assert body == ["v1 = log(x1)", "v2 = x1 * x2", "v3 = v1 + v2", "v4 = sin(x2)",
                    "v5 = v3 - v4", "return v5"]
    golden = (GOLDEN / "wengert.lower.ir").read_text()
    assert ir.replace(str(WENGERT), "examples/wengert.py") == golden


def test_after_implies_ir(capsys):
    assert show(capsys, f"{WENGERT}:f", "--after", "lower") == \
        show(capsys, f"{WENGERT}:f", "--ir", "--after", "lower")


def test_ir_final_and_before_passes(capsys):
    final = show(capsys, f"{WENGERT}:f", "--ir")
    assert final.startswith("def f_vjp(x1: f64, x2: f64, v5_bar: f64) -> (f64, f64, f64):")
    assert "x1_bar" in final
    assert final == show(capsys, f"{WENGERT}:f", "--ir", "--after", "passes")
    raw = show(capsys, f"{WENGERT}:f", "--ir", "--after", "differentiate")
    assert raw.startswith("def f_vjp(")
    assert "v1 = log(x1)" in raw
    fwd = show(capsys, f"{WENGERT}:f", "--ir", "--mode", "forward")
    assert fwd.startswith("def f_jvp(") and "x1_dot" in fwd


def test_typed_ir(capsys):
    ir = show(capsys, f"{WENGERT}:f", "--ir", "--after", "lower", "--typed")
    assert "v1: f64 = log(x1)" in ir


# ----------------------------------------------------------------------------- errors
def test_missing_file(capsys, tmp_path):
    rc, out, err = run(capsys, "show", f"{tmp_path / 'nope.py'}:f")
    assert_one_line_error(rc, out, err, 2)
    assert "no such file" in err


def test_no_such_function(capsys):
    rc, out, err = run(capsys, "show", f"{WENGERT}:nope")
    assert_one_line_error(rc, out, err, 2)
    assert "'nope'" in err
    assert "functions defined there: f" in err


def test_not_a_function(capsys):
    rc, out, err = run(capsys, "show", f"{WENGERT}:math")
    assert_one_line_error(rc, out, err, 2)
    assert "not a function" in err


@pytest.mark.parametrize("argv, words", [
    ([f"{WENGERT}"], "FILE.py:FUNC"),
    ([f"{WENGERT}:f", "--wrt", "x3"], "'x3'"),
    ([f"{WENGERT}:f", "--wrt", "x1,"], "''"),
    ([f"{WENGERT}:f", "--types", "f64"], "2 parameter"),
    ([f"{WENGERT}:f", "--types", "f64,complex"], "'complex'"),
    ([f"{WENGERT}:f", "--types", "f64,f64[1]"], "f64[1]"),
    ([f"{WENGERT}:f", "--types", "f64,i64", "--wrt", "x2"], "type i64"),
    ([f"{WENGERT}:f", "--mode", "sideways"], "sideways"),
    ([f"{WENGERT}:f", "--after", "codegen"], "codegen"),
])
def test_bad_command_line(capsys, argv, words):
    rc, out, err = run(capsys, "show", *argv)
    assert_one_line_error(rc, out, err, 2)
    assert words in err


def test_unsupported_code(capsys):
    rc, out, err = run(capsys, "show", f"{UNSUPPORTED}:try_except")
    lines = assert_error_with_caret(rc, out, err, "try:")
    line = next(i for i, text in enumerate(UNSUPPORTED.read_text().splitlines(), 1)
                if text.strip().startswith("try:"))
    assert lines[0].startswith("s2sad: error: UnsupportedSyntax: ")
    assert f"unsupported.py:{line}:" in lines[0]
    assert "try/except" in lines[0]
    assert lines[3] == "  hint: move the try/except outside the function you differentiate"


@pytest.mark.parametrize("func, code, argv", [("no_rule_math", "math.gamma(y)", []),
                                              ("uses_print", "print(y)", []),
                                              ("string_global", "LABEL", []),
                                              ("scalar_matmul", "x @ x", ["--types", "f64"]),
                                              ("star_args", "*xs", [])])
def test_every_failure_shows_its_line_caret_and_hint(capsys, func, code, argv):
    # as the Python API prints it: the caret is the point of the message
    rc, out, err = run(capsys, "show", f"{UNSUPPORTED}:{func}", *argv)
    assert_error_with_caret(rc, out, err, code)


def test_traceback_shows_the_full_error(capsys):
    rc, out, err = run(capsys, "show", f"{UNSUPPORTED}:try_except", "--traceback")
    assert rc == 1
    assert "s2sad.errors.UnsupportedSyntax: try/except cannot be differentiated" in err
    assert "^" in err and "hint:" in err


def test_file_that_fails_to_import(capsys, tmp_path):
    bad = tmp_path / "broken_mod.py"
    bad.write_text("import math\nraise RuntimeError('boom')\n\ndef f(x):\n    return x\n")
    rc, out, err = run(capsys, "show", f"{bad}:f")
    assert_one_line_error(rc, out, err, 1)
    assert "RuntimeError: boom" in err
    assert "broken_mod" not in sys.modules


def test_no_command(capsys):
    rc, out, err = run(capsys)
    assert rc == 2
    assert "usage: s2sad" in err


# ----------------------------------------------------------------------------- help
def test_help_shows_examples(capsys):
    rc, out, _ = run(capsys, "show", "--help")
    assert rc == 0
    assert "examples:" in out
    assert "s2sad show examples/wengert.py:f --ir --after lower" in out
    for opt in ("--mode", "--wrt", "--ir", "--after", "--target", "--types"):
        assert opt in out


def test_python_dash_m_help():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "s2sad", "--help"], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: s2sad")
    assert "examples:" in r.stdout
    assert "s2sad show examples/wengert.py:f" in r.stdout


# ----------------------------------------------------------------------------- types
@pytest.mark.parametrize("text, types", [
    ("f64", (F64,)),
    ("f64,i64,bool,f32", (F64, I64, BOOL, F32)),
    ("float, int", (F64, I64)),
    ("f64[:],f64[:,:], i64[:]", (ArrayT(F64, 1), ArrayT(F64, 2), ArrayT(I64, 1))),
    ("f64[ :, :, : ]", (ArrayT(F64, 3),)),
])
def test_parse_types(text, types):
    assert parse_types(text) == types


@pytest.mark.parametrize("text", ["", "f64,", "f128", "f64[2]", "f64[:"])
def test_parse_types_rejects(text):
    with pytest.raises(UsageError):
        parse_types(text)


# ----------------------------------------------------------------------------- inferred types
VERLET = ROOT / "examples" / "verlet.py"


def test_types_are_inferred_from_the_source(capsys):
    # F is indexed in the helper integrate(): an array; the rest are floats
    src = show(capsys, f"{VERLET}:final_energy", "--mode", "grad", "--wrt", "gamma,v0,x0")
    # the module-level float dt is a parameter of the generated code, after the user's
    dt = 10.0 / 999
    g = load(src, "final_energy_grad")(np.zeros(1000), 1.0, 1.0, 0.05, dt)
    assert g == pytest.approx((-5.9562, 0.6026, 0.6248), abs=1e-4)  # the seed's numbers


def test_inferred_ranks_and_ints(capsys, tmp_path):
    prog = tmp_path / "ranks.py"
    prog.write_text(
        "import numpy as np\n\n"
        "def f(A, v, n, c, w):\n"
        "    s = 0.0\n"
        "    for i in range(n):\n"
        "        for j in range(A.shape[1]):\n"
        "            s = s + A[i, j] * v[j] * c\n"
        "    return s + np.sum(w[: n - 1])\n"
    )
    ir = show(capsys, f"{prog}:f", "--ir", "--after", "lower")
    assert ir.startswith("def f(A: f64[:, :], v: f64[:], n: i64, c: f64, w: f64[:]) -> f64:")


def test_an_uncertain_guess_is_named_with_the_types_to_pass(capsys, tmp_path):
    prog = tmp_path / "guess.py"
    prog.write_text("import numpy as np\n\n"
                    "def total(a, b):\n    return np.sum(a) * b\n\n"
                    "def rows(A, n):\n    s = 0.0\n    for i in range(n):\n"
                    "        r = A[i]\n        s = s + r[0] * r[1]\n    return s\n")
    rc, out, err = run(capsys, "show", f"{prog}:total")
    assert rc == 0 and "def total_vjp(a, b" in out
    assert err.startswith("s2sad: note: ") and err.count("\n") == 1
    assert "a is f64[:]" in err and "rank 1 assumed" in err and "--types f64[:],f64" in err
    # A[i] reads as a vector; the row is then indexed: the hint says which --types to pass
    rc, out, err = run(capsys, "show", f"{prog}:rows")
    lines = assert_error_with_caret(rc, out, err, "r[0]")
    assert "only arrays and tuples can be indexed" in lines[0]
    assert "A is f64[:] (indexed: A[i] at line 9)" in lines[3]
    assert "--types f64[:],i64" in lines[3]
    src = show(capsys, f"{prog}:rows", "--types", "f64[:,:],i64")
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    v, A_bar = load(src, "rows_vjp")(A, 2)
    assert v == 14.0
    np.testing.assert_array_equal(A_bar, [[2.0, 1.0], [4.0, 3.0]])


def test_wrong_types_get_the_inferred_ones_in_the_hint(capsys):
    rc, out, err = run(capsys, "show", f"{VERLET}:final_energy", "--types", "f64,f64,f64,f64")
    lines = assert_error_with_caret(rc, out, err, "F[i]")
    assert "--types f64[:],f64,f64,f64" in lines[3]


@pytest.mark.parametrize("alias, mode", [("fwd", "forward"), ("tangent", "forward"),
                                         ("rev", "reverse"), ("adjoint", "reverse")])
def test_mode_aliases(capsys, alias, mode):
    # the spellings derivative_source accepts
    assert show(capsys, f"{WENGERT}:f", "--mode", alias) == \
        show(capsys, f"{WENGERT}:f", "--mode", mode)


def test_infer_types_reads_uses_annotations_and_defaults(tmp_path):
    from s2sad.frontend.infer import infer_types, spelling

    prog = tmp_path / "infer_prog.py"
    prog.write_text(
        "import numpy as np\n\n"
        "def _inner(u, m):\n    return u[m - 1, 0]\n\n"
        "def f(A, B, u, k: int, x: float, flag=True, w=0.5):\n"
        "    n, m = B.shape\n"
        "    C = A\n"
        "    s = np.linalg.det(C) + np.sum(np.zeros(k))\n"
        "    return s + _inner(u, 2) * x * w + n + m\n"
    )
    guesses = {g.name: g for g in infer_types(load_module_function(prog, "f"))}
    assert {n: spelling(g.type) for n, g in guesses.items()} == {
        "A": "f64[:,:]", "B": "f64[:,:]", "u": "f64[:,:]", "k": "i64", "x": "f64",
        "flag": "bool", "w": "f64"}
    assert all(g.sure for g in guesses.values())
    assert "in _inner" in guesses["u"].why


def load_module_function(path, name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, name)


@pytest.mark.parametrize("name", ["decorated", "SWEEP"])
def test_show_a_transform_object_shows_the_function_inside(capsys, name):
    """`@s2sad.grad def f` and `g = s2sad.vmap(s2sad.grad(f))` at module level: show reads
    the user's function inside them."""
    path = Path(__file__).parent / "programs" / "batch_programs.py"
    rc, out, err = run(capsys, "show", f"{path}:{name}", "--mode", "grad")
    assert rc == 0, err
    assert "def decorated_grad(" in out or "def verlet_grad(" in out
