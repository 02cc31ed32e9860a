"""Reverse mode for arrays made inside loops and branches, loop and If results, and
loop variables, read or written element by element (tests/programs/loop_arrays.py):
reverse == forward (dot-product test) == central differences, on the python target for
all and on Numba for a few; two names for one written array are refused, never wrong."""

import numpy as np
import pytest

import s2sad
from s2sad.errors import UnsupportedSyntax
from s2sad.testing import central_difference, check_grads
from tests.programs import loop_arrays as P

rng = np.random.default_rng(7)
X5 = rng.standard_normal(5)
A34 = rng.standard_normal((3, 4))

# (function, args): argument 0 is differentiated
CASES = [
    # the issue's reproducers
    (P.heat_fresh, (X5, 0.2, 3)),
    (P.swap_buffers, (X5, 0.2, 3)),
    (P.scratch_row, (A34,)),
    (P.loop_result_sub, (X5 * 0.3, 3)),
    (P.if_result_sub, (np.abs(X5),)),
    (P.if_result_sub, (-np.abs(X5),)),
    (P.param_sub, (X5, 3)),
    # variations: values the reverse sweep must see as each read saw them
    (P.heat_fresh_nonlinear, (X5, 0.2, 3)),
    (P.swap_nonlinear, (X5, 0.2, 3)),
    (P.heat_fresh_slices, (X5, 0.2, 3)),
    (P.heat2d_fresh, (A34, 0.1, 2)),
    (P.scratch2d, (A34, 2)),
    (P.branch_alloc, (X5, 0.7)),
    (P.branch_alloc, (X5, -0.7)),
    (P.loop_branch_alloc, (X5 * 0.3, 3)),
    (P.nested_carry, (X5 * 0.3, 2, 2)),
    (P.while_fresh, (X5 * 0.5, 0.05)),
    (P.loop_if_result, (X5 * 0.5, 4)),
    (P.inner_result_sub, (X5 * 0.3, 2)),
    (P.free_array_in_loop, (X5 * 0.3, 3)),
    (P.read_only_alias, (X5, 0.5)),
    (P.read_only_alias, (X5, -0.5)),
    # found by generated programs (/tmp generators over 2-D/3-D arrays and stencils)
    (P.swap_from_quotient, (X5 + 2.0, 0.3)),
    (P.mask_in_loop, (X5[:4], 3)),
    (P.stack3d_in_loop, (rng.standard_normal((2, 3, 4)), 2)),
]
IDS = [f"{f.__name__}-{k}" for k, (f, _) in enumerate(CASES)]


@pytest.mark.parametrize("fn,args", CASES, ids=IDS)
def test_reverse_forward_fd_agree(fn, args):
    check_grads(fn, args, argnums=0, target="python")
    value, g = s2sad.value_and_grad(fn, target="python")(*args)
    assert value == pytest.approx(fn(*args), rel=1e-14, abs=1e-14)
    np.testing.assert_allclose(g, central_difference(fn, args, 0), rtol=1e-6, atol=1e-8)


NUMBA = [(P.heat_fresh, (X5, 0.2, 3)), (P.swap_nonlinear, (X5, 0.2, 3)),
         (P.scratch_row, (A34,)), (P.heat2d_fresh, (A34, 0.1, 2)),
         (P.while_fresh, (X5 * 0.5, 0.05)), (P.loop_if_result, (X5 * 0.5, 4))]


@pytest.mark.parametrize("fn,args", NUMBA, ids=[f.__name__ for f, _ in NUMBA])
def test_numba_gradient_matches_python(fn, args):
    """The generated code compiles in nopython mode and gives the same numbers."""
    value, g = s2sad.value_and_grad(fn, argnums=0, target="numba")(*args)
    assert value == pytest.approx(fn(*args), rel=1e-14)
    want = s2sad.grad(fn, argnums=0, target="python")(*args)
    np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-15)


def test_derivatives_leave_their_arguments_alone():
    """u = x * 1.0 stays a copy, and so does its tangent: the loop writing u (and u_dot)
    after a swap never writes into x (or x_dot)"""
    x = X5.copy()
    value, g = s2sad.value_and_grad(P.swap_from_copy, argnums=0, target="python")(x, 0.3)
    np.testing.assert_array_equal(x, X5)
    assert value == pytest.approx(P.swap_from_copy(X5, 0.3), rel=1e-14)
    want = central_difference(P.swap_from_copy, (X5, 0.3), 0)
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)
    u = np.linspace(-1.0, 1.0, len(X5))
    x_dot = u.copy()
    _, t = s2sad.jvp(P.swap_from_copy, (x, 0.3), (x_dot, 0.0), target="python")
    np.testing.assert_array_equal(x_dot, u)
    assert t == pytest.approx(float(want @ u), rel=1e-6)


def test_numba_reverse_mode_on_the_issue_examples():
    """vjp on Numba (the `reverse` mode, cotangent != 1) against forward mode."""
    check_grads(P.heat_fresh, (X5, 0.2, 3), argnums=0, target="cpu")
    check_grads(P.if_result_sub, (np.abs(X5),), argnums=0, target="cpu")


def test_fresh_array_per_step_allocates_its_buffer_in_the_reverse_step():
    """un_bar is np.zeros of u's recorded length at the start of each reverse step and is
    handed on as the loop variable's buffer: un itself is never recorded or copied."""
    src = s2sad.derivative_source(P.heat_fresh, "grad", (0, 1), args=(X5, 0.2, 3))
    reverse = src[src.index("range(nt - 1, -1, -1)"):]
    assert reverse.count("np.zeros(") == 1
    assert "push_array(tape_f, sp_f, un" not in src
    assert src.count(".copy()") == 1  # u0.copy(), the primal's


def test_swapped_buffers_swap_their_adjoint_buffers():
    src = s2sad.derivative_source(P.swap_buffers, "grad", (0, 1), args=(X5, 0.2, 3))
    assert "u, un = un, u" in src
    reverse = src[src.index("range(nt - 1, -1, -1)"):]
    assert "np.zeros" not in reverse and ".copy()" not in reverse  # no per-step arrays
    assert "push_array" not in src


def test_scratch_array_is_not_copied_before_it_is_read():
    """row is filled, then read whole; the next step writes a new row, so the read needs
    no snapshot copy (one record of row per step)."""
    src = s2sad.derivative_source(P.scratch_row, "grad", 0, args=(A34,))
    assert ".copy()" not in src
    assert src.count("push_array") == 1


def test_heat_with_buffers_before_the_loop_keeps_its_fast_path():
    """tests/programs/arrays.py heat: no array allocated or recorded per step, one float
    recorded per interior point, the gather form of the stencil adjoint."""
    from tests.programs import arrays

    src = s2sad.derivative_source(arrays.heat, "grad", (0, 1), args=(X5, 0.2, 3))
    assert "push_array" not in src and src.count("np.zeros(") == 1  # the primal's un
    assert src.count("tape_f[sp_f] = ") == 1 and "_rt.push(" not in src
    assert "for j in range(2, j_hi):" in src


@pytest.mark.parametrize("fn,args,what", [
    (P.init_still_used, (X5, 3), "a is the initial value of the loop variable u"),
    (P.branch_alias_written, (np.abs(X5),), "y is another name for a"),
    (P.inactive_alias_written, (X5, 1.0), "y is another name for b"),
])
def test_two_names_for_one_written_array_are_refused(fn, args, what):
    with pytest.raises(UnsupportedSyntax, match="two names") as e:
        s2sad.grad(fn, target="python")(*args)
    assert what in str(e.value)
    assert e.value.loc is not None and e.value.hint and ".copy()" in e.value.hint
    # forward mode differentiates them (no adjoint buffers involved)
    check_grads(fn, args, argnums=0, modes=("fwd",), target="python")


def test_writing_through_a_slice_view_is_refused():
    for mode in (s2sad.grad, s2sad.jacfwd):
        with pytest.raises(UnsupportedSyntax, match="writing into a slice of a"):
            mode(P.write_through_view, target="python")(X5)


def test_checkpointed_loop_with_an_array_made_per_iteration():
    def local(x, n):
        s = 0.0
        for t in range(n):
            v = np.sin(x * (t + 1.0))
            s = s + v[0] * v[1] + s * 0.1
        return s

    want = s2sad.grad(local, target="python")(X5, 7)
    for k in (2, 3, "sqrt"):
        np.testing.assert_allclose(s2sad.grad(local, target="python", checkpoint=k)(X5, 7),
                                   want, rtol=1e-14)
    np.testing.assert_allclose(want, central_difference(local, (X5, 7), 0), rtol=1e-7)


# ---------------------------------------------------------------- generated programs
# Loops that combine the statements above in random order: fresh arrays per step, swaps,
# scratch arrays, If results, arrays made in branches, in-place writes, while loops,
# nested loops, and (some of them refused) second names for arrays that are written.
_TERMS = ["u[i]", "u[(i + 1) % 4]", "w[i]", "y", "np.sin(u[i])", "u[i] * w[(i + 3) % 4]",
          "0.5 * s", "np.cos(w[(i + 2) % 4])"]


def _expr(r):
    return " + ".join(f"{r.choice(['0.3', '0.5', '0.2'])} * {r.choice(_TERMS)}"
                      for _ in range(r.randint(1, 3)))


def _statement(r, depth=0):
    kind = r.choice(["fresh", "swap", "scratch", "whole", "ifres", "balloc", "slice", "elem",
                     "reduce", "while", "nested", "alias_read", "alias_write", "rebind"])
    fill = ["for i in range(4):", f"    {{}}[i] = {_expr(r)}"]
    return {
        "fresh": ["un = np.empty_like(u)", fill[0], fill[1].format("un"), "u = un"],
        "swap": [fill[0], fill[1].format("w"), "u, w = w, u"],
        "scratch": ["a = np.zeros(4)", fill[0], fill[1].format("a"),
                    "s = s + np.sum(a * a) * 0.1 + a[0]"],
        "whole": ["u = 0.5 * u + 0.3 * np.sin(w)"],
        "ifres": ["if s > 0.5:", "    v = u * 0.5", "else:", "    v = np.cos(w)",
                  "s = s + v[0] * v[2]"],
        "balloc": ["if u[0] > 0.0:", "    b = np.zeros(4)", "    " + fill[0],
                   "    " + fill[1].format("b"), "    s = s + b[1] * b[2]", "else:",
                   "    s = s * 0.9"],
        "slice": ["u[1:] = u[1:] * 0.5 + 0.1 * w[:-1]"],
        "elem": ["w[t % 4] = w[t % 4] * 0.5 + u[(t + 1) % 4] * y"],
        "reduce": ["s = s + np.sum(u * w) * 0.1"],
        "while": ["k = 0", "while k < 2:", "    un = np.empty_like(u)", "    " + fill[0],
                  "    " + fill[1].format("un"), "    u = un", "    k += 1"],
        "nested": ["for t2 in range(2):"] + ["    " + ln for ln in (
            _statement(r, depth + 1) if depth < 1 else ["s = s + u[0] * 0.1"])],
        "alias_read": ["if s > 0.3:", "    v = u", "else:", "    v = w", "s = s + v[1] * 0.5"],
        "alias_write": ["if s > 0.2:", "    v = u", "else:", "    v = w",
                        "v[0] = v[0] * 0.5 + y * v[1]", "s = s + v[0]"],
        "rebind": ["u = w"],
    }[kind]


def _program(seed: int) -> str:
    import random

    r = random.Random(seed)
    w = "np.zeros(4) + 0.1 * x[::-1]" if r.random() < 0.5 else "x * 0.5"
    lines = ["def f(x, y, n):", "    u = x.copy()", f"    w = {w}", "    s = 0.0",
             "    for t in range(n):"]
    for _ in range(r.randint(1, 4)):
        lines += ["        " + ln for ln in _statement(r)]
    lines.append("    return s + np.sum(u * w) + u[1] * w[2]")
    return "import numpy as np\n\n\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(40))
def test_generated_programs_agree_or_are_refused(seed, tmp_path):
    import importlib.util

    path = tmp_path / f"gen_loop_arrays_{seed}.py"
    path.write_text(_program(seed))
    spec = importlib.util.spec_from_file_location(f"gen_loop_arrays_{seed}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    args = (np.array([0.3, -0.2, 0.5, 0.1]), 0.7, 3)
    try:
        check_grads(mod.f, args, argnums=(0, 1), target="python", rtol=1e-5, atol=1e-7)
    except UnsupportedSyntax as e:  # only two names for a written array
        assert "two names" in str(e)
        check_grads(mod.f, args, argnums=(0, 1), modes=("fwd",), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_float32_loops_stay_float32(target):
    """NumPy 2 keeps float32 with Python floats; so do the generated derivatives, also
    under Numba (which would widen to float64 without the np.float32 casts)."""
    x = np.linspace(-0.5, 0.8, 5)
    g32 = s2sad.grad(P.rebound_f32, argnums=0, target=target)(x.astype(np.float32), 0.3, 3)
    g64 = s2sad.grad(P.rebound_f32, argnums=0, target=target)(x, 0.3, 3)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, g64, rtol=2e-5, atol=1e-6)
    _, t32 = s2sad.jvp(P.rebound_f32, (x.astype(np.float32), 0.3, 3),
                       (np.ones(5, dtype=np.float32), 0.0, 0), target=target)
    assert t32 == pytest.approx(float(np.sum(g64)), rel=1e-4)
