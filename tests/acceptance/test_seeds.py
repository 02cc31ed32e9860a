"""The seed documents' worked examples, with the numbers they print."""

import math

import numpy as np
import pytest

import s2sad
from tests.programs import loops, seeds

TARGETS = ["python", "cpu"]


def fd(f, args, i, h=1e-6):
    a, b = list(args), list(args)
    a[i] += h
    b[i] -= h
    return (f(*a) - f(*b)) / (2 * h)


@pytest.mark.parametrize("target", TARGETS)
def test_wengert_seed(target):
    g = s2sad.grad(seeds.wengert, argnums=(0, 1), target=target)(2.0, 5.0)
    assert g == pytest.approx((5.5, 1.7163378145367738), rel=1e-15)
    assert round(g[1], 4) == 1.7163


@pytest.mark.parametrize("target", TARGETS)
def test_wengert_numpy_spelling(target):
    g = s2sad.grad(seeds.wengert_np, argnums=(0, 1), target=target)(2.0, 5.0)
    assert g == pytest.approx((5.5, 1.7163378145367738), rel=1e-15)


def test_forward_table_at_2_1():
    # ln x1 + cos x2 - x1 x2 at (2, 1): df/dx1 = 1/x1 - x2 = -0.5, df/dx2 = -sin x2 - x1
    v, g = s2sad.value_and_grad(seeds.forward_table, argnums=(0, 1))(2.0, 1.0)
    assert v == pytest.approx(math.log(2) + math.cos(1) - 2)
    assert g == pytest.approx((-0.5, -math.sin(1.0) - 2.0), rel=1e-14)
    _, t = s2sad.jvp(seeds.forward_table, (2.0, 1.0), (1.0, 0.0))
    assert t == pytest.approx(-0.5)


@pytest.mark.parametrize("target", TARGETS)
def test_mccormick(target):
    g = s2sad.grad(seeds.mccormick, argnums=(0, 1), target=target)(-4.0, 4.0)
    assert g == pytest.approx((-16.5, 19.5), rel=1e-14)


def test_qz_backprop():
    # x = -2, y = 5, z = -4: f = -12, df/dx = df/dy = z = -4, df/dz = q = 3
    v, g = s2sad.value_and_grad(seeds.qz, argnums=(0, 1, 2))(-2.0, 5.0, -4.0)
    assert v == -12.0
    assert g == (-4.0, -4.0, 3.0)


def test_log_sin_tanh():
    args = (1.0, 1.0, 1.0)
    g = s2sad.grad(seeds.log_sin_tanh, argnums=(0, 1, 2))(*args)
    x = y = z = 1.0
    s = math.sin(x) + math.tanh(y**2)
    exact = (math.cos(x) / s / z, (1 - math.tanh(y**2) ** 2) * 2 * y / s / z, -math.log(s) / z**2)
    assert g == pytest.approx(exact, rel=1e-13)
    for i in range(3):
        assert g[i] == pytest.approx(fd(seeds.log_sin_tanh, args, i), rel=1e-7)


def test_logistic_least_squares():
    w, b, x, t = 0.3, -0.2, 1.5, 1.0
    g = s2sad.grad(seeds.logistic_loss, argnums=(0, 1))(w, b, x, t)
    sig = 1 / (1 + math.exp(-(w * x + b)))
    dz = (sig - t) * sig * (1 - sig)
    assert g == pytest.approx((dz * x, dz), rel=1e-13)


def test_backprop_exercise_forward_equals_reverse():
    args = (0.7, -0.4)
    g = s2sad.grad(seeds.backprop_exercise, argnums=(0, 1))(*args)
    for i in range(2):
        tangents = [0.0, 0.0]
        tangents[i] = 1.0
        _, t = s2sad.jvp(seeds.backprop_exercise, args, tangents)
        assert t == pytest.approx(g[i], rel=1e-12)
        assert g[i] == pytest.approx(fd(seeds.backprop_exercise, args, i), rel=1e-7)


@pytest.mark.parametrize("target", TARGETS)
def test_g_of_f_tuple_helper(target):
    g = s2sad.grad(seeds.g_of_f, argnums=(0, 1), target=target)(0.5, 0.75)
    assert (round(g[0], 4), round(g[1], 4)) == (1.3633, 0.1912)
    x1, x2 = 0.5, 0.75
    exact = (math.sin(x2) / x1, math.sin(x2) / x2 + math.log(x1 * x2) * math.cos(x2))
    assert g == pytest.approx(exact, rel=1e-14)


# ---------------------------------------------------------------- Verlet (section 5.4)
F = np.zeros(loops.N)


@pytest.fixture(scope="module", params=TARGETS)
def verlet(request):
    t = request.param
    return (s2sad.value_and_grad(loops.final_energy, argnums=(3, 2, 1), target=t),
            s2sad.value_and_grad(loops.final_velocity, argnums=(3, 2, 1), target=t))


def test_verlet_energy_gradient(verlet):
    Ef, g = verlet[0](F, 1.0, 1.0, 0.05)
    assert round(Ef, 4) == 0.6137
    assert [round(x, 4) for x in g] == [-5.9562, 0.6026, 0.6248]
    args = (F, 1.0, 1.0, 0.05)
    for k, i in enumerate((3, 2, 1)):
        assert g[k] == pytest.approx(fd(loops.final_energy, args, i), rel=1e-7, abs=1e-9)


def test_verlet_velocity_gradient_is_not_accumulated(verlet):
    # The document prints (-4.7535, -0.0437, 1.0466): PyTorch's .grad accumulated on top of
    # the energy gradients. The true derivatives are the differences.
    vf, g = verlet[1](F, 1.0, 1.0, 0.05)
    assert round(vf, 4) == -0.2245
    assert [round(x, 4) for x in g] == [1.2027, -0.6463, 0.4218]


@pytest.mark.parametrize("target", TARGETS)
def test_newton_sqrt_while(target):
    for a in (0.5, 2.0, 9.0):
        g = s2sad.grad(loops.newton_sqrt, target=target)(a)
        assert g == pytest.approx(1 / (2 * math.sqrt(a)), rel=1e-12)


def _example(name):
    """A script of examples/ as a module (the Verlet example is the document's function
    copied as written, with its plotting arrays x[i + 1] = xn, ...)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


VERLET_EXAMPLE = _example("verlet")


@pytest.mark.parametrize("fn", [VERLET_EXAMPLE.final_energy, loops.state_in_arrays],
                         ids=["document_with_arrays", "state_in_arrays"])
@pytest.mark.parametrize("target", TARGETS)
def test_verlet_with_arrays(fn, target):
    Ef, g = s2sad.value_and_grad(fn, argnums=(3, 2, 1), target=target)(F, 1.0, 1.0, 0.05)
    assert round(Ef, 4) == 0.6137
    assert [round(x, 4) for x in g] == [-5.9562, 0.6026, 0.6248]
    # forward mode agrees with reverse mode
    _, t = s2sad.jvp(fn, (F, 1.0, 1.0, 0.05), (np.zeros(loops.N), 0.3, -0.2, 0.7), target=target)
    assert t == pytest.approx(0.7 * g[0] - 0.2 * g[1] + 0.3 * g[2], rel=1e-12)


@pytest.mark.parametrize("target", TARGETS)
def test_branches_and_loop_branches(target):
    g = s2sad.grad(loops.branchy, argnums=(0, 1), target=target)
    for args in [(2.0, 1.0), (0.5, 1.0), (-0.5, 1.0)]:
        got = g(*args)
        for i in range(2):
            assert got[i] == pytest.approx(fd(loops.branchy, args, i), rel=1e-7, abs=1e-9)
    h = s2sad.grad(loops.loop_branch, target=target)
    assert h(0.7, 10) == pytest.approx(fd(loops.loop_branch, (0.7, 10), 0), rel=1e-7)
