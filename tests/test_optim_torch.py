"""The optimizers and schedulers of issue 11 against PyTorch, step by step.

Each case starts chainrule and PyTorch from the same parameters of a small tanh
MLP (or the Rosenbrock function, for L-BFGS), takes each library's gradient of the
same loss, steps each library's optimizer, and compares every parameter after
every step: float64 to about 1e-12, float32 to about 1e-6.
"""

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

torch = pytest.importorskip("torch")

STEPS = 12
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}


def _data():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((8, 3))
    y = rng.standard_normal((8, 2))
    init = [rng.standard_normal((4, 3)) * 0.7, rng.standard_normal(4) * 0.1,
            rng.standard_normal((2, 4)) * 0.7, rng.standard_normal(2) * 0.1]
    return x, y, init


def _loss(lib, params, x, y):
    """Mean squared error of a 3-4-2 tanh MLP."""
    w1, b1, w2, b2 = params
    x, y = lib.tensor(x, dtype=w1.dtype), lib.tensor(y, dtype=w1.dtype)
    h = lib.tanh(x @ w1.T + b1)
    out = h @ w2.T + b2
    return ((out - y) ** 2).mean()


def _params(lib, init, dtype):
    tdtype = {np.float64: lib.float64, np.float32: lib.float32}[dtype]
    return [lib.tensor(a.astype(dtype), dtype=tdtype, requires_grad=True) for a in init]


def _spec(params, groups):
    """All parameters in one group, or the two layers as two groups with their own settings."""
    if not groups:
        return params
    return [{"params": params[:2]}, {"params": params[2:], **groups}]


def _train(lib, mod, make, params, steps, x, y, groups=None, sched=None, every=None):
    opt = make(mod, _spec(params, groups))
    scheduler = sched(mod.lr_scheduler, opt) if sched else None
    history = []
    for i in range(steps):
        opt.zero_grad()
        _loss(lib, params, x, y).backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        history.append([np.array(p.detach().numpy()) for p in params])
        if every is not None:
            every(i, opt, scheduler)
    return history, opt, scheduler


def _compare(mine, theirs, dtype, what="parameters"):
    for step, (p1, p2) in enumerate(zip(mine, theirs)):
        for a, b in zip(p1, p2):
            assert a.dtype == dtype
            np.testing.assert_allclose(a, b, **TOL[dtype],
                                       err_msg=f"{what} after step {step + 1}")


OPTIMIZERS = {
    "adagrad": lambda m, p: m.Adagrad(p, lr=0.1),
    "adagrad-all": lambda m, p: m.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.1,
                                          initial_accumulator_value=0.5, eps=1e-6),
    "adadelta": lambda m, p: m.Adadelta(p),
    "adadelta-all": lambda m, p: m.Adadelta(p, lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1),
    "adamax": lambda m, p: m.Adamax(p, lr=0.05),
    "adamax-all": lambda m, p: m.Adamax(p, lr=0.05, betas=(0.8, 0.9), eps=1e-4,
                                        weight_decay=0.1),
    "nadam": lambda m, p: m.NAdam(p, lr=0.05),
    "nadam-all": lambda m, p: m.NAdam(p, lr=0.05, betas=(0.8, 0.95), eps=1e-6,
                                      weight_decay=0.1, momentum_decay=0.01),
    "nadamw": lambda m, p: m.NAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    "radam": lambda m, p: m.RAdam(p, lr=0.05),
    # beta2 = 0.9: rho_t passes 5 at step 6, so both branches of the rectification run
    "radam-all": lambda m, p: m.RAdam(p, lr=0.05, betas=(0.7, 0.9), eps=1e-6,
                                      weight_decay=0.1),
    "radamw": lambda m, p: m.RAdam(p, lr=0.05, betas=(0.9, 0.9), weight_decay=0.1,
                                   decoupled_weight_decay=True),
    "asgd": lambda m, p: m.ASGD(p, lr=0.05),
    "asgd-averaging": lambda m, p: m.ASGD(p, lr=0.05, lambd=0.01, alpha=0.5, t0=4,
                                          weight_decay=0.1),
    "rprop": lambda m, p: m.Rprop(p, lr=0.01),
    "rprop-all": lambda m, p: m.Rprop(p, lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.08)),
    "adafactor": lambda m, p: m.Adafactor(p),
    "adafactor-all": lambda m, p: m.Adafactor(p, lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2),
                                              d=1.5, weight_decay=0.1),
}
FLOAT = [pytest.param(np.float64, id="f64"), pytest.param(np.float32, id="f32")]


@pytest.mark.parametrize("dtype", FLOAT)
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_follows_torch(name, dtype):
    x, y, init = _data()
    mine = _train(cr, optim, OPTIMIZERS[name], _params(cr, init, dtype), STEPS, x, y)
    theirs = _train(torch, torch.optim, OPTIMIZERS[name], _params(torch, init, dtype),
                    STEPS, x, y)
    _compare(mine[0], theirs[0], dtype)


GROUP_SETTINGS = {
    "adagrad": {"lr": 0.03, "lr_decay": 0.1},
    "adadelta": {"rho": 0.5, "weight_decay": 0.2},
    "adamax": {"lr": 0.01, "betas": (0.5, 0.9)},
    "nadam": {"momentum_decay": 0.1, "weight_decay": 0.05, "decoupled_weight_decay": True},
    "radam": {"lr": 0.2, "betas": (0.9, 0.5)},
    "asgd": {"lr": 0.1, "t0": 2},
    "rprop": {"lr": 0.2, "etas": (0.1, 1.1)},
    "adafactor": {"lr": 0.2, "d": 2.0},
}


@pytest.mark.parametrize("name", sorted(GROUP_SETTINGS))
def test_param_groups_follow_torch(name):
    x, y, init = _data()
    groups = GROUP_SETTINGS[name]
    runs = [_train(lib, mod, OPTIMIZERS[name], _params(lib, init, np.float64), STEPS, x, y,
                   groups=groups) for lib, mod in ((cr, optim), (torch, torch.optim))]
    _compare(runs[0][0], runs[1][0], np.float64)


@pytest.mark.parametrize("name", sorted(GROUP_SETTINGS))
def test_maximize_follows_torch(name):
    x, y, init = _data()

    def make(mod, params):
        opt = OPTIMIZERS[name](mod, params)
        for group in opt.param_groups:
            group["maximize"] = True
        return opt

    runs = [_train(lib, mod, make, _params(lib, init, np.float64), 6, x, y)
            for lib, mod in ((cr, optim), (torch, torch.optim))]
    _compare(runs[0][0], runs[1][0], np.float64)


@pytest.mark.parametrize("name", ["adagrad-all", "adadelta-all", "adamax-all", "nadam-all",
                                  "radam-all", "asgd-averaging", "rprop-all", "adafactor-all"])
def test_state_dict_round_trip_mid_run(name, tmp_path):
    """Save the optimizer's state through a file after 5 steps, rebuild, and go on: the
    run still follows PyTorch's uninterrupted one."""
    x, y, init = _data()
    make = OPTIMIZERS[name]
    theirs, _, _ = _train(torch, torch.optim, make, _params(torch, init, np.float64),
                          STEPS, x, y, groups={"lr": 0.02})
    params = _params(cr, init, np.float64)
    first, opt, _ = _train(cr, optim, make, params, 5, x, y, groups={"lr": 0.02})
    cr.save({"optimizer": opt.state_dict()}, tmp_path / "opt.npz")
    opt.step()  # a step after the checkpoint: lost, as after a crash...
    for p, saved in zip(params, first[-1]):
        p.data[...] = saved  # ...so the parameters go back too
    state = cr.load(tmp_path / "opt.npz")["optimizer"]
    rest, _, _ = _train(cr, optim, lambda mod, spec: _rebuilt(mod, spec, make, state),
                        params, STEPS - 5, x, y, groups={"lr": 0.02})
    _compare(first + rest, theirs, np.float64)


def _rebuilt(mod, spec, make, state):
    opt = make(mod, spec)
    opt.load_state_dict(state)
    return opt


@pytest.mark.parametrize("name", ["adagrad-all", "adadelta", "adamax", "nadam-all",
                                  "radam", "asgd-averaging", "rprop-all", "adafactor"])
def test_loads_pytorchs_optimizer_state_mid_run(name):
    """PyTorch's state dict (its tensors, its keys) taken over mid-run by chainrule."""
    x, y, init = _data()
    make = OPTIMIZERS[name]
    tparams = _params(torch, init, np.float64)
    theirs, topt, _ = _train(torch, torch.optim, make, tparams, 4, x, y)
    params = [cr.tensor(p.detach().numpy().copy(), requires_grad=True) for p in tparams]
    opt = make(optim, params)
    opt.load_state_dict(topt.state_dict())
    rest_theirs, _, _ = _train(torch, torch.optim, lambda mod, spec: topt, tparams, 6, x, y)
    rest_mine, _, _ = _train(cr, optim, lambda mod, spec: opt, params, 6, x, y)
    _compare(rest_mine, rest_theirs, np.float64)


def test_adagrad_state_exists_before_the_first_step():
    p, q = cr.zeros(2, requires_grad=True), cr.zeros(3, requires_grad=True)
    opt = optim.Adagrad([p, q], initial_accumulator_value=0.25)
    state = opt.state_dict()["state"]
    assert sorted(state) == [0, 1]
    assert state[1]["step"] == 0
    np.testing.assert_array_equal(state[1]["sum"], np.full(3, 0.25, np.float32))
    tp = torch.zeros(2, requires_grad=True)
    tstate = torch.optim.Adagrad([tp]).state_dict()["state"]
    assert set(tstate[0]) == set(state[0])


@pytest.mark.parametrize("name, keys", [
    ("nadam", {"step", "mu_product", "exp_avg", "exp_avg_sq"}),
    ("asgd", {"step", "eta", "mu", "ax"}),
    ("rprop", {"step", "prev", "step_size"}),
    ("adadelta", {"step", "square_avg", "acc_delta"}),
    ("adamax", {"step", "exp_avg", "exp_inf"}),
    ("radam", {"step", "exp_avg", "exp_avg_sq"}),
    ("adafactor", {"step", "variance"}),
])
def test_state_keys_are_pytorchs(name, keys):
    states = []
    for lib, mod in ((cr, optim), (torch, torch.optim)):
        p = lib.ones(3, requires_grad=True)
        opt = OPTIMIZERS[name](mod, [p])
        (p * p).sum().backward()
        opt.step()
        states.append(opt.state_dict())
    assert set(states[0]["state"][0]) == set(states[1]["state"][0]) == keys
    mine = {k for k in states[0]["param_groups"][0]}
    theirs = {k for k in states[1]["param_groups"][0]}
    # PyTorch's groups also carry its implementation switches, which chainrule has no use for
    assert theirs - mine <= {"foreach", "differentiable", "capturable", "fused"}
    assert mine <= theirs


def test_scalar_state_is_float32_like_pytorchs():
    """NAdam's mu_product and ASGD's eta/mu are 0-d float32 tensors in PyTorch (with the
    default dtype float32) even for float64 parameters; their rounding shows in the
    trajectory, and chainrule rounds the same way."""
    p = cr.ones(2, dtype=cr.float64, requires_grad=True)
    opt = optim.NAdam([p])
    p.grad = cr.ones(2, dtype=cr.float64)
    opt.step()
    assert opt.state[p]["mu_product"].dtype == np.float32
    opt = optim.ASGD([p])
    opt.step()
    assert opt.state[p]["eta"].dtype == np.float32


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
    (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
    (lambda p: optim.Adamax(p, betas=(0.9, 1.0)), "beta parameter at index 1"),
    (lambda p: optim.NAdam(p, momentum_decay=-0.1), "Invalid momentum_decay value"),
    (lambda p: optim.RAdam(p, eps=-1), "Invalid epsilon value"),
    (lambda p: optim.ASGD(p, weight_decay=-1), "Invalid weight_decay value"),
    (lambda p: optim.Rprop(p, etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
    (lambda p: optim.LBFGS(p, line_search_fn="armijo"), "strong_wolfe"),
])
def test_bad_hyperparameters_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make([cr.zeros(2, requires_grad=True)])


# ---------------------------------------------------------------------------
# L-BFGS
# ---------------------------------------------------------------------------

def _rosenbrock(x):
    return ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum()


def _lbfgs_run(lib, mod, x0, steps, loss=_rosenbrock, **kwargs):
    x = lib.tensor(x0, requires_grad=True)
    opt = mod.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        value = loss(x)
        value.backward()
        return value

    history, losses = [], []
    for _ in range(steps):
        losses.append(opt.step(closure).item())
        history.append(x.detach().numpy().copy())
    return np.array(history), losses, opt.state[x]


LBFGS_SETTINGS = {
    "default": {},
    "strong-wolfe": {"line_search_fn": "strong_wolfe"},
    "short-history": {"history_size": 3, "max_iter": 7, "lr": 0.5},
    "strong-wolfe-short": {"line_search_fn": "strong_wolfe", "history_size": 2,
                           "max_iter": 5, "max_eval": 9},
}


@pytest.mark.parametrize("setting", sorted(LBFGS_SETTINGS))
def test_lbfgs_follows_torch_on_rosenbrock(setting):
    """Same iterates, evaluation counts and iteration counts as torch.optim.LBFGS.

    Rosenbrock's valley amplifies a last-bit difference (a dot product summed in
    another order) by about 10x per few iterations, so the first steps agree to
    1e-12 and the end point, after 100 to 160 iterations, to 1e-6."""
    kwargs = LBFGS_SETTINGS[setting]
    x0 = np.array([-1.2, 1.0, -0.5, 0.8])
    mine = _lbfgs_run(cr, optim, x0, 8, **kwargs)
    theirs = _lbfgs_run(torch, torch.optim, x0, 8, **kwargs)
    np.testing.assert_allclose(mine[0][0], theirs[0][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mine[0], theirs[0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-6, atol=1e-9)
    assert mine[2]["func_evals"] == theirs[2]["func_evals"]
    assert mine[2]["n_iter"] == theirs[2]["n_iter"]
    assert len(mine[2]["old_dirs"]) == len(theirs[2]["old_dirs"])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_reaches_rosenbrocks_minimum(line_search_fn):
    x = _lbfgs_run(cr, optim, np.array([-1.5, 2.0]), 6, line_search_fn=line_search_fn)[0][-1]
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-4)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_float32_follows_torch_on_a_quadratic(line_search_fn):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((12, 6)).astype(np.float32)
    b = rng.standard_normal(12).astype(np.float32)

    def make_loss(lib):
        at, bt = lib.tensor(a), lib.tensor(b)
        return lambda x: ((at @ x - bt) ** 2).sum() + 0.1 * (x * x).sum()

    x0 = np.zeros(6, np.float32)
    mine = _lbfgs_run(cr, optim, x0, 2, loss=make_loss(cr), max_iter=6,
                      line_search_fn=line_search_fn)
    theirs = _lbfgs_run(torch, torch.optim, x0, 2, loss=make_loss(torch), max_iter=6,
                        line_search_fn=line_search_fn)
    assert mine[0].dtype == np.float32
    np.testing.assert_allclose(mine[0], theirs[0], rtol=1e-4, atol=1e-5)


def test_lbfgs_state_dict_round_trip(tmp_path):
    x0 = np.array([-1.2, 1.0, -0.5])
    straight = _lbfgs_run(cr, optim, x0, 4, line_search_fn="strong_wolfe", max_iter=4)[0]

    x = cr.tensor(x0, requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=4)

    def closure():
        opt.zero_grad()
        value = _rosenbrock(x)
        value.backward()
        return value

    opt.step(closure)
    opt.step(closure)
    cr.save({"x": x.detach(), "opt": opt.state_dict()}, tmp_path / "lbfgs.npz")
    saved = cr.load(tmp_path / "lbfgs.npz")
    y = cr.tensor(saved["x"].numpy(), requires_grad=True)
    resumed = optim.LBFGS([y], line_search_fn="strong_wolfe", max_iter=4)
    resumed.load_state_dict(saved["opt"])

    def closure2():
        resumed.zero_grad()
        value = _rosenbrock(y)
        value.backward()
        return value

    resumed.step(closure2)
    resumed.step(closure2)
    np.testing.assert_array_equal(y.detach().numpy(), straight[-1])


def test_lbfgs_loads_pytorchs_state():
    x0 = np.array([-1.2, 1.0, -0.5])
    tx = torch.tensor(x0, requires_grad=True)
    topt = torch.optim.LBFGS([tx], max_iter=3)

    def tclosure():
        topt.zero_grad()
        value = _rosenbrock(tx)
        value.backward()
        return value

    topt.step(tclosure)
    x = cr.tensor(tx.detach().numpy().copy(), requires_grad=True)
    opt = optim.LBFGS([x], max_iter=3)
    opt.load_state_dict(topt.state_dict())

    def closure():
        opt.zero_grad()
        value = _rosenbrock(x)
        value.backward()
        return value

    for _ in range(2):
        topt.step(tclosure)
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), tx.detach().numpy(), rtol=1e-12)


def test_lbfgs_rejects_groups_and_a_missing_closure():
    a, b = cr.zeros(2, requires_grad=True), cr.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = optim.LBFGS([a])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [b]})
    with pytest.raises(TypeError, match="needs a closure"):
        opt.step()


# ---------------------------------------------------------------------------
# Learning-rate schedulers
# ---------------------------------------------------------------------------

class _Warmup:
    """A callable object as lr_lambda: its attributes go into the state dict."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


SGD_M = lambda m, p: m.SGD(p, lr=0.05, momentum=0.9)  # noqa: E731
ADAM = lambda m, p: m.Adam(p, lr=0.02)  # noqa: E731

SCHEDULERS = {
    "lambda": (SGD_M, lambda s, o: s.LambdaLR(o, lambda e: 0.9 ** e + 0.1 * (e % 3))),
    "lambda-per-group": (SGD_M, lambda s, o: s.LambdaLR(o, [lambda e: 1 / (1 + e),
                                                            _Warmup(4)])),
    "multiplicative": (ADAM, lambda s, o: s.MultiplicativeLR(o, lambda e: 0.95 if e % 2
                                                             else 1.02)),
    "multistep": (SGD_M, lambda s, o: s.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.5)),
    "constant": (SGD_M, lambda s, o: s.ConstantLR(o)),
    "constant-factor": (ADAM, lambda s, o: s.ConstantLR(o, factor=0.2, total_iters=7)),
    "linear": (SGD_M, lambda s, o: s.LinearLR(o)),
    "linear-decay": (ADAM, lambda s, o: s.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                                   total_iters=8)),
    "exponential": (ADAM, lambda s, o: s.ExponentialLR(o, gamma=0.8)),
    "polynomial": (SGD_M, lambda s, o: s.PolynomialLR(o, total_iters=8, power=2.0)),
    "sequential": (SGD_M, lambda s, o: s.SequentialLR(
        o, [s.LinearLR(o, start_factor=0.1, total_iters=3), s.CosineAnnealingLR(o, T_max=6)],
        milestones=[3])),
    "sequential-three": (ADAM, lambda s, o: s.SequentialLR(
        o, [s.ConstantLR(o, factor=0.5, total_iters=2), s.ExponentialLR(o, gamma=0.7),
            s.StepLR(o, step_size=2, gamma=0.3)], milestones=[3, 7])),
    "chained": (SGD_M, lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, factor=0.3, total_iters=4), s.ExponentialLR(o, gamma=0.9)])),
    "chained-multistep-poly": (ADAM, lambda s, o: s.ChainedScheduler(
        [s.MultiStepLR(o, milestones=[3, 6]), s.PolynomialLR(o, total_iters=10)], o)),
    "cyclic": (SGD_M, lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3)),
    "cyclic-triangular2": (SGD_M, lambda s, o: s.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=2, step_size_down=3,
        mode="triangular2", base_momentum=0.7, max_momentum=0.95)),
    "cyclic-exp-range-adam": (ADAM, lambda s, o: s.CyclicLR(
        o, base_lr=0.005, max_lr=0.05, step_size_up=2, mode="exp_range", gamma=0.9)),
    "cyclic-no-momentum": (lambda m, p: m.Adagrad(p), lambda s, o: s.CyclicLR(
        o, base_lr=0.01, max_lr=0.2, step_size_up=4, cycle_momentum=False)),
    "cyclic-scale-fn": (SGD_M, lambda s, o: s.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=lambda x: 1 / (1 + x),
        scale_mode="iterations")),
    "warm-restarts": (SGD_M, lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=3)),
    "warm-restarts-mult": (ADAM, lambda s, o: s.CosineAnnealingWarmRestarts(
        o, T_0=2, T_mult=2, eta_min=0.001)),
    "onecycle": (SGD_M, lambda s, o: s.OneCycleLR(o, max_lr=0.1, total_steps=STEPS)),
}


def _with_momentum(opt):
    group = opt.param_groups[0]
    return [g["lr"] for g in opt.param_groups], group.get("momentum", group.get("betas"))


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_follows_torch(name):
    x, y, init = _data()
    make_opt, make_sched = SCHEDULERS[name]
    runs = []
    for lib, mod in ((cr, optim), (torch, torch.optim)):
        seen = []
        history, opt, sched = _train(
            lib, mod, make_opt, _params(lib, init, np.float64), STEPS, x, y,
            groups={"lr": 0.03}, sched=make_sched,
            every=lambda i, o, s, seen=seen: seen.append((_with_momentum(o), s.get_last_lr())))
        runs.append((history, seen))
    (mine, my_lrs), (theirs, their_lrs) = runs
    for step, (a, b) in enumerate(zip(my_lrs, their_lrs)):
        np.testing.assert_allclose(np.array(a[0][0]), np.array(b[0][0]), rtol=1e-13,
                                   err_msg=f"lr after step {step + 1}")
        if b[0][1] is None:  # an optimizer without momentum
            assert a[0][1] is None
        else:
            np.testing.assert_allclose(np.array(a[0][1]), np.array(b[0][1]), rtol=1e-13,
                                       err_msg=f"momentum after step {step + 1}")
        np.testing.assert_allclose(a[1], b[1], rtol=1e-13, err_msg="get_last_lr")
    _compare(mine, theirs, np.float64)


def _state_keys(state):
    return {k for k in state if k not in ("_get_lr_called_within_step",
                                          "_anneal_func_type", "anneal_strategy")}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_state_dict_round_trip_and_pytorchs_state(name, tmp_path):
    """Mid-run, (a) the state dict's keys are PyTorch's, (b) a chainrule state saved to a
    file and (c) PyTorch's state dict, loaded into fresh schedulers, carry on exactly as
    the uninterrupted run."""
    make_opt, make_sched = SCHEDULERS[name]

    def build(lib, mod):
        p = lib.zeros(2, dtype=lib.float64, requires_grad=True)
        q = lib.zeros(3, dtype=lib.float64, requires_grad=True)
        opt = make_opt(mod, [{"params": [p]}, {"params": [q], "lr": 0.03}])
        return opt, make_sched(mod.lr_scheduler, opt)

    def advance(opt, sched, n):
        lrs = []
        for _ in range(n):
            opt.step()
            sched.step()
            lrs.append(list(sched.get_last_lr()))
        return lrs

    topt, tsched = build(torch, torch.optim)
    opt, sched = build(cr, optim)
    advance(topt, tsched, 5)
    advance(opt, sched, 5)
    assert _state_keys(sched.state_dict()) == _state_keys(tsched.state_dict())
    cr.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "s.npz")
    expected = advance(topt, tsched, 7)

    saved = cr.load(tmp_path / "s.npz")
    for state in (saved, None):
        opt2, sched2 = build(cr, optim)
        if state is None:  # PyTorch's state, taken at the same point
            topt3, tsched3 = build(torch, torch.optim)
            advance(topt3, tsched3, 5)
            state = {"opt": topt3.state_dict(), "sched": tsched3.state_dict()}
        opt2.load_state_dict(state["opt"])
        sched2.load_state_dict(state["sched"])
        np.testing.assert_allclose(advance(opt2, sched2, 7), expected, rtol=1e-13)


@pytest.mark.parametrize("kwargs", [
    {},
    {"mode": "max", "factor": 0.5, "patience": 1},
    {"threshold_mode": "abs", "threshold": 0.05, "patience": 0, "cooldown": 2},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.1, "patience": 2},
    {"factor": 0.3, "patience": 0, "min_lr": [0.004, 0.01], "eps": 1e-3},
    {"factor": 0.5, "patience": 1, "cooldown": 1, "min_lr": 0.002},
])
def test_reduce_lr_on_plateau_follows_torch(kwargs):
    rng = np.random.default_rng(5)
    metrics = np.concatenate([np.linspace(1.0, 0.8, 5), 0.8 + 0.02 * rng.standard_normal(25)])
    seen = []
    for lib, mod in ((cr, optim), (torch, torch.optim)):
        p = lib.zeros(2, requires_grad=True)
        q = lib.zeros(2, requires_grad=True)
        opt = mod.SGD([{"params": [p]}, {"params": [q], "lr": 0.05}], lr=0.1)
        sched = mod.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        lrs = []
        for i, metric in enumerate(metrics):
            opt.step()
            sched.step(metric if i % 2 else lib.tensor(metric))
            lrs.append(sched.get_last_lr() + [sched.num_bad_epochs, sched.cooldown_counter,
                                              sched.best])
        seen.append(lrs)
    np.testing.assert_allclose(seen[0], seen[1], rtol=1e-13)
    assert min(lr[0] for lr in seen[0]) < 0.1  # the schedule did reduce


def test_reduce_lr_on_plateau_state_dict_matches_torch():
    states = []
    for mod in (optim, torch.optim):
        opt = mod.SGD([torch.zeros(1) if mod is torch.optim else cr.zeros(1)], lr=0.1)
        sched = mod.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=0)
        for metric in (1.0, 0.5, 0.4):
            sched.step(metric)
        states.append(sched.state_dict())
    assert set(states[0]) == set(states[1])
    for key in states[1]:
        assert states[0][key] == states[1][key], key
    opt = optim.SGD([cr.zeros(1)], lr=0.1)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt)
    sched.load_state_dict(states[1])
    assert sched.mode == "max" and sched.mode_worse == -np.inf
    assert sched.get_last_lr() == pytest.approx([0.001])


def test_warm_restarts_fractional_epochs_follow_torch():
    """step(epoch + i / iters): annealing within epochs, as PyTorch's docs show."""
    seen = []
    for mod in (optim, torch.optim):
        p = torch.zeros(1) if mod is torch.optim else cr.zeros(1)
        opt = mod.SGD([p], lr=0.1)
        sched = mod.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3,
                                                             eta_min=1e-3)
        lrs = []
        for epoch in range(9):
            for i in range(4):
                opt.step()
                sched.step(epoch + i / 4)
                lrs.append(sched.get_last_lr()[0])
        seen.append(lrs)
    np.testing.assert_allclose(seen[0], seen[1], rtol=1e-13)


@pytest.mark.parametrize("name, kwargs", [
    ("StepLR", {"step_size": 3}), ("MultiStepLR", {"milestones": [2, 4]}),
    ("ConstantLR", {}), ("LinearLR", {}), ("ExponentialLR", {"gamma": 0.9}),
    ("PolynomialLR", {"total_iters": 6}), ("CosineAnnealingLR", {"T_max": 5}),
    ("LambdaLR", {"lr_lambda": lambda e: 0.5 ** e}),
])
def test_step_with_epoch_uses_the_closed_form_and_warns_like_torch(name, kwargs):
    seen = []
    for mod in (optim, torch.optim):
        opt = mod.SGD([torch.zeros(1) if mod is torch.optim else cr.zeros(1)], lr=0.1)
        sched = getattr(mod.lr_scheduler, name)(opt, **kwargs)
        lrs = []
        for epoch in (3, 1, 7, 2):
            opt.step()
            with pytest.warns(UserWarning, match="epoch parameter"):
                sched.step(epoch)
            lrs.append(sched.get_last_lr()[0])
        seen.append(lrs)
    np.testing.assert_allclose(seen[0], seen[1], rtol=1e-13)


def test_lambda_lr_restores_a_callable_objects_attributes():
    opt = optim.SGD([cr.zeros(1)], lr=1.0)
    sched = optim.lr_scheduler.LambdaLR(opt, _Warmup(10))
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"steps": 10}]
    fresh = optim.lr_scheduler.LambdaLR(opt, _Warmup(3))
    fresh.load_state_dict(state)
    assert fresh.lr_lambdas[0].steps == 10


@pytest.mark.parametrize("make, error, message", [
    (lambda s, o: s.ConstantLR(o, factor=2.0), ValueError, "between 0 and 1"),
    (lambda s, o: s.LinearLR(o, start_factor=0), ValueError, "greater than 0"),
    (lambda s, o: s.LambdaLR(o, [lambda e: 1, lambda e: 1]), ValueError, "Expected 1 lr_lambdas"),
    (lambda s, o: s.MultiplicativeLR(o, 0.5), TypeError, "lr_lambda should be a function"),
    (lambda s, o: s.SequentialLR(o, [s.ExponentialLR(o, 0.5)], milestones=[2]), ValueError,
     "one more than the number of milestone"),
    (lambda s, o: s.SequentialLR(o, [], milestones=[]), ValueError, "at least one scheduler"),
    (lambda s, o: s.ChainedScheduler([s.ReduceLROnPlateau(o)]), ValueError,
     "does not support `ReduceLROnPlateau`"),
    (lambda s, o: s.ReduceLROnPlateau(o, mode="up"), ValueError, "mode up is unknown"),
    (lambda s, o: s.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold mode x"),
    (lambda s, o: s.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda s, o: s.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "expected 1 min_lrs"),
    (lambda s, o: s.CyclicLR(o, 0.1, 1.0, mode="sine"), ValueError, "mode is invalid"),
    (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "positive integer T_0"),
    (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError, "T_mult"),
])
def test_bad_scheduler_arguments_raise(make, error, message):
    opt = optim.SGD([cr.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    with pytest.raises(error, match=message):
        make(optim.lr_scheduler, opt)


def test_cyclic_lr_needs_momentum_to_cycle_it():
    opt = optim.Adagrad([cr.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1)


def test_sequential_lr_refuses_a_wrong_nested_state():
    opt = optim.SGD([cr.zeros(1, requires_grad=True)], lr=0.1)
    s = optim.lr_scheduler
    sched = s.SequentialLR(opt, [s.ConstantLR(opt), s.ExponentialLR(opt, 0.5)], milestones=[2])
    state = sched.state_dict()
    bad = dict(state, _schedulers=[state["_schedulers"][0], {"gamma": 0.5}])
    with pytest.raises(ValueError, match="ExponentialLR.load_state_dict: missing key"):
        sched.load_state_dict(bad)
    assert sched.state_dict() == state


# ---------------------------------------------------------------------------
# swa_utils: AveragedModel, update_bn, SWALR
# ---------------------------------------------------------------------------

def _bn_model(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Tanh(),
                             lib.nn.Linear(4, 2))


def _same_weights(theirs, mine):
    mine.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("kind", ["swa", "ema-multi", "ema-fn", "swa-buffers"])
def test_averaged_model_follows_torch(kind):
    from chainrule.optim import swa_utils

    def averaged(lib_swa, model):
        if kind == "ema-multi":
            return lib_swa.AveragedModel(model, multi_avg_fn=lib_swa.get_ema_multi_avg_fn(0.9))
        if kind == "ema-fn":
            return lib_swa.AveragedModel(model, avg_fn=lib_swa.get_ema_avg_fn(0.8))
        return lib_swa.AveragedModel(model, use_buffers=kind == "swa-buffers")

    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 3)).astype(np.float32)
    y = rng.standard_normal((16, 2)).astype(np.float32)
    tmodel = _bn_model(torch)
    model = _bn_model(cr)
    _same_weights(tmodel, model)
    runs = []
    for lib, mod, swa_mod, net in ((cr, optim, swa_utils, model),
                                   (torch, torch.optim, torch.optim.swa_utils, tmodel)):
        opt = mod.SGD(net.parameters(), lr=0.1, momentum=0.5)
        avg = averaged(swa_mod, net)
        for _ in range(6):
            opt.zero_grad()
            ((net(lib.tensor(x)) - lib.tensor(y)) ** 2).mean().backward()
            opt.step()
            avg.update_parameters(net)
        runs.append({k: np.array(v.detach().numpy()) for k, v in avg.state_dict().items()})
    mine, theirs = runs
    assert list(mine) == list(theirs)
    for key in theirs:
        np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert int(mine["n_averaged"]) == 6


def test_update_bn_follows_torch():
    from chainrule.optim import swa_utils

    rng = np.random.default_rng(4)
    batches = [rng.standard_normal((8, 3)).astype(np.float32) for _ in range(4)]
    tmodel = _bn_model(torch)
    model = _bn_model(cr)
    _same_weights(tmodel, model)
    model.eval()
    tmodel.eval()
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], tmodel)
    swa_utils.update_bn([(cr.tensor(b), 0) for b in batches], model)
    assert not model.training and model[1].momentum == 0.1
    for key, value in tmodel.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key].numpy(), value.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=key)


@pytest.mark.parametrize("kwargs", [
    {"swa_lr": 0.01},
    {"swa_lr": [0.02, 0.005], "anneal_epochs": 3, "anneal_strategy": "linear"},
    {"swa_lr": 0.05, "anneal_epochs": 0},
])
def test_swalr_follows_torch(kwargs):
    from chainrule.optim import swa_utils

    seen = []
    for mod, swa_mod in ((optim, swa_utils), (torch.optim, torch.optim.swa_utils)):
        lib = torch if mod is torch.optim else cr
        opt = mod.SGD([{"params": [lib.zeros(1, requires_grad=True)]},
                       {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.3}], lr=0.1)
        sched = swa_mod.SWALR(opt, **kwargs)
        lrs = [sched.get_last_lr()]
        for i in range(14):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
            if i == 4:  # a state dict round trip mid-run
                state = sched.state_dict()
                sched = swa_mod.SWALR(opt, **kwargs)
                sched.load_state_dict(state)
        seen.append(lrs)
    np.testing.assert_allclose(seen[0], seen[1], rtol=1e-13)


def test_named_parameters_give_param_names_like_torch():
    states = []
    for lib, mod in ((cr, optim), (torch, torch.optim)):
        model = lib.nn.Linear(3, 2)
        opt = mod.Adam(model.named_parameters(), lr=0.1)
        model(lib.ones(4, 3)).sum().backward()
        opt.step()
        states.append(opt.state_dict())
    assert states[0]["param_groups"][0]["param_names"] == ["weight", "bias"]
    assert states[0]["param_groups"][0]["param_names"] == \
        states[1]["param_groups"][0]["param_names"]
    opt = optim.SGD([("w", cr.zeros(1, requires_grad=True))], lr=0.1)
    with pytest.raises(ValueError, match="with/without names"):
        opt.add_param_group({"params": [cr.zeros(1, requires_grad=True)]})
    with pytest.raises(ValueError, match="Some param names are missing"):
        optim.SGD([("w", cr.zeros(1, requires_grad=True)), cr.zeros(1, requires_grad=True)])


# ---------------------------------------------------------------------------
# Signatures: PyTorch's argument names, order, kinds and defaults
# ---------------------------------------------------------------------------

OPTIMIZER_NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
                   "RAdam", "ASGD", "Rprop", "Adafactor", "Muon", "LBFGS"]
SCHEDULER_NAMES = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
                   "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR",
                   "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
                   "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR"]


def _signature(cls):
    import inspect

    return [(p.name, p.kind, p.default) for p in
            inspect.signature(cls.__init__).parameters.values()]


@pytest.mark.parametrize("name", OPTIMIZER_NAMES + ["lr_scheduler." + n for n in
                                                    SCHEDULER_NAMES + ["LRScheduler"]])
def test_signature_is_pytorchs(name):
    mine, theirs = optim, torch.optim
    for part in name.split("."):
        mine, theirs = getattr(mine, part), getattr(theirs, part)
    assert _signature(mine) == _signature(theirs)


def test_implementation_switches_change_nothing_or_refuse():
    x, y, init = _data()
    runs = [_train(cr, optim, make, _params(cr, init, np.float64), 4, x, y)[0]
            for make in (lambda m, p: m.Adam(p, lr=0.05),
                         lambda m, p: m.Adam(p, lr=0.05, foreach=False, fused=True,
                                             capturable=True))]
    _compare(runs[0], runs[1], np.float64)
    with pytest.raises(NotImplementedError, match="AdamW: differentiable=True"):
        optim.AdamW([cr.zeros(1, requires_grad=True)], differentiable=True)
    with pytest.raises(RuntimeError, match="cannot be `True` together"):
        optim.SGD([cr.zeros(1, requires_grad=True)], foreach=True, fused=True)


def test_every_torch_optimizer_and_scheduler_is_here_or_named_as_missing():
    """The list of what chainrule leaves out of torch.optim, kept honest."""
    left_out = {"SparseAdam", "swap_in_optimizer_params_and_state"}
    public = {n for n in dir(torch.optim) if not n.startswith("_") and n[0].isupper()
              or n == "swap_in_optimizer_params_and_state"}
    assert public - set(dir(optim)) == left_out
    schedulers = {n for n in dir(torch.optim.lr_scheduler)
                  if isinstance(getattr(torch.optim.lr_scheduler, n), type)
                  and issubclass(getattr(torch.optim.lr_scheduler, n),
                                 torch.optim.lr_scheduler.LRScheduler)}
    assert schedulers <= set(dir(optim.lr_scheduler))
    swa = set(torch.optim.swa_utils.__all__)
    assert swa <= set(dir(optim.swa_utils))


# ---------------------------------------------------------------------------
# Muon: Newton-Schulz in bfloat16, emulated
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 6), (7, 3), (5, 5)])
@pytest.mark.parametrize("kwargs", [
    {},
    {"lr": 0.02, "nesterov": False, "adjust_lr_fn": "match_rms_adamw", "weight_decay": 0.0},
    {"lr": 0.01, "momentum": 0.8, "ns_steps": 3, "adjust_lr_fn": "original",
     "ns_coefficients": (3.0, -3.2, 1.2)},
])
def test_muon_follows_torch(shape, kwargs):
    """The bfloat16 Newton-Schulz iterations rounded as PyTorch rounds them: the
    trajectories agree to float32 rounding (a bfloat16 ulp would be 100x larger)."""
    rng = np.random.default_rng(sum(shape))
    w0 = rng.standard_normal(shape).astype(np.float32)
    grads = [rng.standard_normal(shape).astype(np.float32) for _ in range(6)]
    runs = []
    for lib, mod in ((cr, optim), (torch, torch.optim)):
        w = lib.tensor(w0, requires_grad=True)
        opt = mod.Muon([w], **kwargs)
        history = []
        for g in grads:
            w.grad = lib.tensor(g)
            opt.step()
            history.append(w.detach().numpy().copy())
        runs.append(np.array(history))
    steps = np.abs(runs[1] - w0).max()
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-4 * steps)


def test_muon_takes_matrices_only():
    with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
        optim.Muon([cr.zeros(3, requires_grad=True)])
    with pytest.raises(ValueError, match="Adjust learning rate function"):
        optim.Muon([cr.zeros(3, 3, requires_grad=True)], adjust_lr_fn="sqrt")


# ---------------------------------------------------------------------------
# Optimizer hooks
# ---------------------------------------------------------------------------

def test_optimizer_hooks_run_like_torchs():
    from torch.optim.optimizer import register_optimizer_step_post_hook as torch_global

    from chainrule.optim.optimizer import register_optimizer_step_post_hook

    logs = []
    for lib, mod, register_global in (
            (cr, optim, register_optimizer_step_post_hook),
            (torch, torch.optim, torch_global)):
        log = []
        p = lib.ones(2, requires_grad=True)
        opt = mod.Adam([p], lr=0.1)
        handles = [
            opt.register_step_pre_hook(lambda o, a, k, log=log: log.append(("pre", len(a)))),
            opt.register_step_post_hook(lambda o, a, k, log=log: log.append("post")),
            register_global(lambda o, a, k, log=log: log.append("global post")),
            opt.register_state_dict_pre_hook(lambda o, log=log: log.append("sd pre")),
            opt.register_state_dict_post_hook(
                lambda o, sd, log=log: log.append(("sd post", sorted(sd)))),
            opt.register_load_state_dict_pre_hook(
                lambda o, sd, log=log: log.append("load pre")),
            opt.register_load_state_dict_post_hook(lambda o, log=log: log.append("load post")),
        ]
        p.grad = lib.ones(2)
        opt.step()
        opt.load_state_dict(opt.state_dict())
        for handle in handles:
            handle.remove()
        opt.step()
        opt.state_dict()
        logs.append(log)
    assert logs[0] == logs[1]


def test_step_hooks_can_change_the_call_and_run_once_per_step():
    p = cr.tensor([3.0], requires_grad=True)
    calls = []

    class Clipped(optim.SGD):  # a subclass whose step calls the base's
        def step(self, closure=None):
            return super().step(closure)

    opt = Clipped([p], lr=0.5)
    opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(1))

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    opt.register_step_pre_hook(lambda o, args, kwargs: ((o, closure), {}))
    assert opt.step().item() == 9.0  # the closure the hook put in ran
    assert calls == [1]
    np.testing.assert_allclose(p.detach().numpy(), [0.0])
    bad = opt.register_step_pre_hook(lambda o, args, kwargs: "no")
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()
    bad.remove()
