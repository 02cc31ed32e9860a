"""A physics-informed neural network for the SIR epidemic: the network t -> (S, I, R) and
the rates beta and gamma learnt together from data, with dS/dt, dI/dt, dR/dt inside the
loss.

The seed document "Revisiting the PINN code" computes the residuals of the SIR equations

    dS/dt = -beta S I,   dI/dt = beta S I - gamma I,   dR/dt = gamma I

with torch.autograd.grad(S, t, create_graph=True) at every collocation point, and trains
with loss.backward(): a derivative inside the function being differentiated. Here the
network is three NumPy arrays deep (weights as plain arguments), d(S, I, R)/dt at one
point is s2sad.jvp of the network with tangent 1 in t, `s2sad.vmap` maps it over the
collocation points inside the loss, and s2sad.grad of that loss (one compiled function)
trains the weights and beta, gamma with Adam in a few lines of NumPy, then scipy's
L-BFGS-B. The data are noisy samples of the solution from scipy.integrate.solve_ivp; the
figure draws the network's S, I, R against it, and the recovered beta and gamma are
printed beside the true ones.
"""

import time

import numpy as np
from scipy import integrate, optimize

import s2sad
from s2sad.testing import central_difference

BETA, GAMMA = 0.4, 0.1  # the true rates (per day)
T_END = 60.0  # days
Y0 = (0.99, 0.01, 0.0)  # S, I, R at t = 0 (fractions of the population)
W_PHYS = T_END**2  # the residuals in units of the time scale T_END: both losses O(1e-4)
NOISE = 0.005  # standard deviation of the noise on the data
MAPPED = (0, None, None, None, None, None, None)  # vmap over t; the weights are shared


def net(t, W1, b1, W2, b2, W3, b3):
    """(S, I, R) at time t: two tanh layers of the time scaled to [0, 1]."""
    h1 = np.tanh(W1 * (t / T_END) + b1)
    h2 = np.tanh(W2 @ h1 + b2)
    return W3 @ h2 + b3


def net_and_rate(t, W1, b1, W2, b2, W3, b3):
    """(S, I, R) and d(S, I, R)/dt at t: the jvp with tangent 1 in t, 0 in the weights."""
    return s2sad.jvp(net, (t, W1, b1, W2, b2, W3, b3),
                     (1.0, 0 * W1, 0 * b1, 0 * W2, 0 * b2, 0 * W3, 0 * b3))


def loss(W1, b1, W2, b2, W3, b3, beta, gamma, t_data, y_data, t_col, lam):
    """The data misfit at t_data plus lam times the SIR residuals at the collocation points
    t_col."""
    y = s2sad.vmap(net, in_axes=MAPPED)(t_data, W1, b1, W2, b2, W3, b3)
    data = np.mean((y - y_data) ** 2)
    u, du = s2sad.vmap(net_and_rate, in_axes=MAPPED)(t_col, W1, b1, W2, b2, W3, b3)
    S, I = u[:, 0], u[:, 1]
    res_S = du[:, 0] + beta * S * I
    res_I = du[:, 1] - beta * S * I + gamma * I
    res_R = du[:, 2] - gamma * I
    return data + lam * W_PHYS * np.mean(res_S**2 + res_I**2 + res_R**2)


N_PARAMS = 8  # the weights and biases, beta, gamma: what loss is differentiated by
value_and_grad = s2sad.value_and_grad(loss, argnums=tuple(range(N_PARAMS)))


def sir(t, y, beta, gamma):
    S, I, R = y
    return [-beta * S * I, beta * S * I - gamma * I, gamma * I]


def solve(t, beta=BETA, gamma=GAMMA):
    sol = integrate.solve_ivp(sir, (0.0, T_END), Y0, t_eval=t, args=(beta, gamma),
                              rtol=1e-10, atol=1e-12)
    return sol.y.T


def init_params(hidden: int, rng: np.random.Generator):
    """Glorot-scaled weights, zero biases but the first layer's (spread over [0, 1]), and
    beta = gamma = 0.2."""
    W1 = rng.normal(0.0, 2.0, hidden)
    b1 = rng.uniform(-2.0, 2.0, hidden)
    W2 = rng.normal(0.0, 1.0 / np.sqrt(hidden), (hidden, hidden))
    W3 = rng.normal(0.0, 1.0 / np.sqrt(hidden), (3, hidden))
    return [W1, b1, W2, np.zeros(hidden), W3, np.zeros(3), 0.2, 0.2]


def adam(params, data, steps, lr=3e-2, betas=(0.9, 0.999), eps=1e-8, warmup=0.3):
    """Adam on the list of parameters (arrays and floats); the learning rate decays to
    lr / 10, and the weight of the physics grows from 0 to 1 over the first `warmup` of
    the steps (the network first fits the data: from the start the residuals pull it to
    the trivial solutions, I = 0 or beta < 0). Returns the parameters and the loss at
    every step."""
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    history = []
    for k in range(1, steps + 1):
        lam = min(1.0, k / (warmup * steps))
        value, grads = value_and_grad(*params, *data, lam)
        history.append(value)
        step = lr * 0.1 ** (k / steps)
        for i, g in enumerate(grads):
            m[i] = betas[0] * m[i] + (1 - betas[0]) * g
            v[i] = betas[1] * v[i] + (1 - betas[1]) * g * g
            mhat, vhat = m[i] / (1 - betas[0] ** k), v[i] / (1 - betas[1] ** k)
            params[i] = params[i] - step * mhat / (np.sqrt(vhat) + eps)
    return params, history


def lbfgs(params, data, maxiter):
    """scipy's L-BFGS-B on the parameters raveled into one vector; returns the parameters,
    scipy's result and the loss after every iteration."""
    shapes = [np.shape(p) for p in params]
    sizes = [int(np.prod(s)) for s in shapes]

    def unravel(x):
        out, k = [], 0
        for s, n in zip(shapes, sizes):
            out.append(x[k:k + n].reshape(s) if s else float(x[k]))
            k += n
        return out

    def fun(x):
        value, grads = value_and_grad(*unravel(x), *data, 1.0)
        return value, np.concatenate([np.ravel(g) for g in grads])

    history = []
    x0 = np.concatenate([np.ravel(p) for p in params])
    res = optimize.minimize(fun, x0, jac=True, method="L-BFGS-B",
                            callback=lambda intermediate_result: history.append(
                                intermediate_result.fun),
                            options={"maxiter": maxiter, "gtol": 1e-12, "ftol": 1e-15})
    return unravel(res.x), res, history


def main(argv=None) -> None:
    from _common import note, parse_args, pyplot, row, save, section

    args = parse_args(__doc__, argv, plots=["pinn_sir.png"])
    rng = np.random.default_rng(0)
    hidden = 8 if args.smoke else 20
    t_data = np.linspace(0.0, T_END, 16 if args.smoke else 31)
    y_data = solve(t_data) + NOISE * rng.normal(size=(t_data.size, 3))
    t_col = np.linspace(0.0, T_END, 24 if args.smoke else 121)
    data = (t_data, y_data, t_col)
    params = init_params(hidden, rng)

    section("the training gradient at the initial weights")
    t0 = time.perf_counter()
    value, grads = value_and_grad(*params, *data, 1.0)
    note(f"loss {value:.6g}; value_and_grad compiled and ran in "
         f"{time.perf_counter() - t0:.1f} s (once: every later call reuses it)")

    def compiled_loss(*a):  # the loss, from the compiled value_and_grad
        return value_and_grad(*a)[0]

    fd = central_difference(compiled_loss, (*params, *data, 1.0), 6)
    row("dL/dbeta", grads[6], fd, "fd")
    fd = central_difference(compiled_loss, (*params, *data, 1.0), 7)
    row("dL/dgamma", grads[7], fd, "fd")
    fd = central_difference(compiled_loss, (*params, *data, 1.0), 5)
    for k, name in enumerate("SIR"):
        row(f"dL/db3[{k}] (the output bias of {name})", grads[5][k], fd[k], "fd")

    section("training: Adam, then L-BFGS-B")
    steps, polish = (1500, 300) if args.smoke else (6000, 3000)
    t0 = time.perf_counter()
    params, history = adam(params, data, steps)
    t_adam = time.perf_counter() - t0
    note(f"Adam, {steps} steps: loss {history[0]:.3g} -> {history[-1]:.3g} in {t_adam:.1f} s "
         f"({1e3 * t_adam / steps:.2f} ms a step)")
    t0 = time.perf_counter()
    params, res, more = lbfgs(params, data, polish)
    history += more
    note(f"L-BFGS-B, {res.nit} iterations: loss {res.fun:.3g} in "
         f"{time.perf_counter() - t0:.1f} s")
    beta, gamma = params[6], params[7]
    note(f"beta  = {beta:.4f}   (true {BETA}, error {abs(beta - BETA) / BETA:.1%})")
    note(f"gamma = {gamma:.4f}   (true {GAMMA}, error {abs(gamma - GAMMA) / GAMMA:.1%})")
    t_fine = np.linspace(0.0, T_END, 301)
    y_net = s2sad.vmap(net, in_axes=MAPPED)(t_fine, *params[:6])
    y_ode = solve(t_fine)
    note(f"max |network - ODE solution| over [0, {T_END:g}] days: "
         f"{np.max(np.abs(y_net - y_ode)):.2g}")
    if not args.smoke:
        print()
        print(s2sad.derivative_source(loss, "grad", tuple(range(N_PARAMS)),
                                      args=(*params, *data, 1.0)))

    plt = pyplot(args)
    if plt is None:
        return
    fig, ax = plt.subplots(1, 2, figsize=(11, 5.0))
    for k, (name, color) in enumerate(zip("SIR", ("C0", "C3", "C2"))):
        ax[0].plot(t_fine, y_ode[:, k], color=color, lw=4, alpha=0.3,
                   label=f"{name}, solve_ivp")
        ax[0].plot(t_fine, y_net[:, k], color=color, lw=1.5, label=f"{name}, network")
        ax[0].plot(t_data, y_data[:, k], "o", color=color, ms=3.5,
                   label=f"{name}, data (noise {NOISE})")
    ax[0].set(xlabel="t (days)", ylabel="fraction of the population",
              title=fr"SIR: $\beta$ = {beta:.3f} (true {BETA}), "
                    fr"$\gamma$ = {gamma:.3f} (true {GAMMA})")
    ax[0].legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    ax[1].semilogy(history, "k-", lw=1)
    ax[1].axvline(steps, color="gray", ls=":")
    ax[1].set(xlabel="step (Adam, then L-BFGS-B)", ylabel="loss",
              title="training loss: data misfit + SIR residuals")
    for a in ax:
        a.grid(True, alpha=0.3)
    fig.tight_layout()
    save(fig, args, "pinn_sir.png")


if __name__ == "__main__":
    main()
