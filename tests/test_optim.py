"""Optimizers and schedulers against PyTorch: the same parameter trajectory, step by step.

Each case starts chainrule and PyTorch from the same float64 parameters, takes the
gradient of the same fixed loss with each library's autograd, and compares every
parameter after every step for 20 steps.
"""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 20
RTOL = 1e-10
ATOL = 1e-12


def _start():
    rng = np.random.default_rng(42)
    a = rng.standard_normal((6, 5))
    target = rng.standard_normal(6)
    w0 = rng.standard_normal(5)
    m0 = rng.standard_normal((3, 4))
    return a, target, w0, m0


def _loss(lib, params, a, target):
    """A fixed smooth loss of two parameters: a least-squares term and a quartic one."""
    w, m = params
    if lib is torch:
        a, target = torch.from_numpy(a), torch.from_numpy(target)
    else:
        a, target = cr.tensor(a), cr.tensor(target)
    r = a @ w - target
    return (r * r).sum() + 0.1 * (m * m * m * m).sum() + (m * m).sum()


def _run_pair(make, make_sched=None, steps=STEPS, groups=False):
    """Run chainrule and torch side by side; return the per-step params and lrs."""
    a, target, w0, m0 = _start()
    results = []
    for lib, mod in ((cr, optim), (torch, torch.optim)):
        if lib is torch:
            params = [torch.tensor(w0, requires_grad=True), torch.tensor(m0, requires_grad=True)]
        else:
            params = [cr.tensor(w0, requires_grad=True), cr.tensor(m0, requires_grad=True)]
        if groups:
            spec = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.03}]
        else:
            spec = params
        opt = make(mod, spec)
        sched = make_sched(mod.lr_scheduler, opt) if make_sched else None
        history = []
        for _ in range(steps):
            opt.zero_grad()
            _loss(lib, params, a, target).backward()
            opt.step()
            if sched is not None:
                sched.step()
            values = [np.array(p.detach().numpy()) for p in params]
            lrs = [g["lr"] for g in opt.param_groups]
            history.append((values, lrs))
        results.append(history)
    return results


def _assert_same(results):
    mine, theirs = results
    for step, ((p1, lr1), (p2, lr2)) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(lr1, lr2, rtol=1e-13, atol=0, err_msg=f"lr at step {step}")
        for a, b in zip(p1, p2):
            assert a.dtype == np.float64
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL,
                                       err_msg=f"parameters after step {step + 1}")


OPTIMIZERS = {
    "sgd": lambda m, p: m.SGD(p, lr=0.02),
    "sgd-momentum": lambda m, p: m.SGD(p, lr=0.02, momentum=0.9),
    "sgd-dampening-wd": lambda m, p: m.SGD(p, lr=0.02, momentum=0.8, dampening=0.3,
                                           weight_decay=0.1),
    "sgd-nesterov": lambda m, p: m.SGD(p, lr=0.02, momentum=0.9, nesterov=True,
                                       weight_decay=0.01),
    "sgd-maximize": lambda m, p: m.SGD(p, lr=0.001, momentum=0.5, maximize=True),
    "adam": lambda m, p: m.Adam(p, lr=0.05),
    "adam-wd-betas": lambda m, p: m.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-6,
                                         weight_decay=0.1),
    "adam-amsgrad": lambda m, p: m.Adam(p, lr=0.05, amsgrad=True),
    "adamw": lambda m, p: m.AdamW(p, lr=0.05),
    "adamw-wd-amsgrad": lambda m, p: m.AdamW(p, lr=0.05, weight_decay=0.3, amsgrad=True),
    "rmsprop": lambda m, p: m.RMSprop(p, lr=0.01),
    "rmsprop-momentum-wd": lambda m, p: m.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.7,
                                                  weight_decay=0.05),
    "rmsprop-centered": lambda m, p: m.RMSprop(p, lr=0.01, centered=True),
    "rmsprop-centered-momentum": lambda m, p: m.RMSprop(p, lr=0.005, centered=True,
                                                        momentum=0.5, eps=1e-4),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_matches_torch(name):
    _assert_same(_run_pair(OPTIMIZERS[name]))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_large_parameters_match_torch(name, dtype):
    """A parameter of 90,300 elements (float64 and float32): three steps of each rule
    against PyTorch's."""
    rng = np.random.default_rng(9)
    w0 = rng.standard_normal((300, 301)).astype(dtype)
    grads = [rng.standard_normal(w0.shape).astype(dtype) for _ in range(3)]
    results = []
    for lib, mod in ((cr, optim), (torch, torch.optim)):
        w = (torch.tensor(w0, requires_grad=True) if lib is torch
             else cr.tensor(w0, requires_grad=True))
        opt = OPTIMIZERS[name](mod, [w])
        for g in grads:
            w.grad = torch.tensor(g) if lib is torch else cr.tensor(g)
            opt.step()
        results.append(np.array(w.detach().numpy()))
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(results[0], results[1], **tol)
    assert results[0].dtype == dtype


@pytest.mark.parametrize("name", ["sgd-momentum", "adam", "rmsprop-centered"])
def test_param_groups_match_torch(name):
    _assert_same(_run_pair(OPTIMIZERS[name], groups=True))


SCHEDULERS = {
    "step": (OPTIMIZERS["sgd-momentum"], lambda s, o: s.StepLR(o, step_size=3, gamma=0.5)),
    "step-default-gamma": (OPTIMIZERS["adam"], lambda s, o: s.StepLR(o, step_size=7)),
    # T_max < 20 steps: the schedule passes its minimum and climbs back (the restart branch)
    "cosine": (OPTIMIZERS["sgd-momentum"],
               lambda s, o: s.CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    "cosine-adamw": (OPTIMIZERS["adamw"], lambda s, o: s.CosineAnnealingLR(o, T_max=20)),
    "onecycle-sgd": (OPTIMIZERS["sgd-nesterov"],
                     lambda s, o: s.OneCycleLR(o, max_lr=0.05, total_steps=20)),
    "onecycle-adam": (OPTIMIZERS["adam"],
                      lambda s, o: s.OneCycleLR(o, max_lr=0.1, epochs=4, steps_per_epoch=5)),
    "onecycle-linear-3phase": (
        OPTIMIZERS["sgd-momentum"],
        lambda s, o: s.OneCycleLR(o, max_lr=[0.05, 0.02], total_steps=21,
                                  anneal_strategy="linear", three_phase=True,
                                  pct_start=0.25)),
    "onecycle-no-momentum": (
        OPTIMIZERS["rmsprop"],
        lambda s, o: s.OneCycleLR(o, max_lr=0.02, total_steps=20, cycle_momentum=False,
                                  div_factor=10.0, final_div_factor=100.0)),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_matches_torch(name):
    make_opt, make_sched = SCHEDULERS[name]
    groups = name == "onecycle-linear-3phase"
    _assert_same(_run_pair(make_opt, make_sched, groups=groups))


def test_onecycle_cycles_momentum_and_betas_like_torch():
    for make in (lambda m, p: m.SGD(p, lr=0.1, momentum=0.9), lambda m, p: m.Adam(p)):
        seen = []
        for lib, mod in ((cr, optim), (torch, torch.optim)):
            p = lib.zeros(3, dtype=lib.float64, requires_grad=True)
            opt = make(mod, [p])
            sched = mod.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
            values = []
            for _ in range(10):
                opt.step()
                sched.step()
                group = opt.param_groups[0]
                values.append(group["betas"][0] if "betas" in group else group["momentum"])
            seen.append(values)
        np.testing.assert_allclose(seen[0], seen[1], rtol=1e-13)


def test_onecycle_stepping_past_total_raises():
    p = cr.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()


# ---------------------------------------------------------------------------
# State dicts: stopping and resuming is the same as never stopping
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sgd-nesterov", "adam-amsgrad", "adamw",
                                  "rmsprop-centered-momentum"])
def test_state_dict_resume_equals_straight_run(name, tmp_path):
    a, target, w0, m0 = _start()
    make = OPTIMIZERS[name]

    def fresh():
        params = [cr.tensor(w0, requires_grad=True), cr.tensor(m0, requires_grad=True)]
        opt = make(optim, params)
        sched = lr_scheduler.CosineAnnealingLR(opt, T_max=15)
        return params, opt, sched

    def run(params, opt, sched, n):
        for _ in range(n):
            opt.zero_grad()
            _loss(cr, params, a, target).backward()
            opt.step()
            sched.step()

    straight = fresh()
    run(*straight, 12)

    first = fresh()
    run(*first, 5)
    path = tmp_path / "opt.npz"
    cr.save({"params": [p.detach() for p in first[0]], "optimizer": first[1].state_dict(),
             "scheduler": first[2].state_dict()}, path)
    run(*first, 3)  # progress after the checkpoint is lost, as after a crash

    state = cr.load(path)
    resumed = fresh()
    for p, saved in zip(resumed[0], state["params"]):
        p.data[...] = saved.data
    resumed[1].load_state_dict(state["optimizer"])
    resumed[2].load_state_dict(state["scheduler"])
    run(*resumed, 7)
    for p, q in zip(resumed[0], straight[0]):
        np.testing.assert_array_equal(p.data, q.data)
    assert resumed[1].param_groups[0]["lr"] == straight[1].param_groups[0]["lr"]


def test_state_dict_layout_follows_torch():
    p = cr.zeros(2, requires_grad=True)
    q = cr.zeros(3, requires_grad=True)
    opt = optim.Adam([{"params": [p]}, {"params": [q], "lr": 0.5}])
    p.grad = cr.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert list(sd["state"]) == [0]  # q had no gradient yet
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][0]["step"] == 1
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5
    # the state dict is a snapshot: later steps don't change it
    before = sd["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before)


def test_load_state_dict_rejects_mismatched_groups():
    opt = optim.SGD([cr.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    other = optim.SGD([cr.zeros(2, requires_grad=True), cr.zeros(1, requires_grad=True)],
                      lr=0.1)
    with pytest.raises(ValueError, match="group 0 has 2 parameters"):
        opt.load_state_dict(other.state_dict())
    with pytest.raises(ValueError, match="state"):
        opt.load_state_dict({"param_groups": []})


def test_load_state_dict_refuses_state_of_another_shape():
    w = cr.zeros(2, 3, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    w.grad = cr.ones(2, 3)
    opt.step()
    state = opt.state_dict()
    before = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in opt.state[w].items()}
    state["state"][0]["exp_avg"] = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 has shape \(3,\), "
                                         r"but the parameter has shape \(2, 3\)"):
        opt.load_state_dict(state)
    np.testing.assert_array_equal(opt.state[w]["exp_avg"], before["exp_avg"])  # unchanged


def test_scheduler_load_state_dict_checks_keys_and_kinds():
    opt = optim.SGD([cr.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2)
    good = sched.state_dict()
    with pytest.raises(ValueError, match="unexpected key\\(s\\) 'foo'"):
        sched.load_state_dict({"foo": 1})
    with pytest.raises(ValueError, match="missing key\\(s\\) 'gamma'"):
        sched.load_state_dict({k: v for k, v in good.items() if k != "gamma"})
    with pytest.raises(ValueError, match="last_epoch should be like 0, got 'x'"):
        sched.load_state_dict(dict(good, last_epoch="x"))
    with pytest.raises(ValueError, match="base_lrs"):
        sched.load_state_dict(dict(good, base_lrs=[0.1, 0.2]))
    assert sched.state_dict() == good  # nothing changed
    sched.load_state_dict(dict(good, last_epoch=4))
    assert sched.last_epoch == 4


@pytest.mark.parametrize("name, kwargs", [
    ("StepLR", {"step_size": 2}), ("CosineAnnealingLR", {"T_max": 5}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 12}),
])
def test_scheduler_loads_pytorchs_state_dict(name, kwargs):
    torch = pytest.importorskip("torch")
    tw = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    for _ in range(4):
        topt.step()
        tsched.step()
    opt = optim.SGD([cr.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = getattr(optim.lr_scheduler, name)(opt, **kwargs)
    opt.load_state_dict(topt.state_dict())
    sched.load_state_dict(tsched.state_dict())
    for _ in range(5):
        topt.step()
        tsched.step()
        opt.step()
        sched.step()
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)


# ---------------------------------------------------------------------------
# Semantics: dtype, zero_grad, skipped parameters, errors
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_float32_parameters_stay_float32(name):
    p = cr.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    opt = OPTIMIZERS[name](optim, [p])
    for _ in range(3):
        opt.zero_grad()
        (p * p * p).sum().backward()
        opt.step()
    assert p.dtype == np.float32
    for value in opt.state[p].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


def test_step_updates_in_place_and_bumps_version():
    p = cr.tensor([1.0, 2.0], requires_grad=True)
    data = p.detach().numpy()
    version = p._version
    opt = optim.SGD([p], lr=0.5)
    p.grad = cr.tensor([1.0, 1.0])
    opt.step()
    assert p.detach().numpy() is data
    assert p._version == version + 1
    np.testing.assert_array_equal(p.data, [0.5, 1.5])


def test_parameters_without_grad_are_skipped():
    p = cr.tensor([1.0], requires_grad=True)
    q = cr.tensor([1.0], requires_grad=True)
    opt = optim.Adam([p, q], lr=0.1)
    p.grad = cr.tensor([1.0])
    opt.step()
    assert q.item() == 1.0 and q not in opt.state
    assert p.item() == pytest.approx(0.9)


def test_zero_grad():
    p = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, [0.0, 0.0])
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.data, [2.0, 4.0])  # accumulates from zero
    opt.zero_grad()
    assert p.grad is None


def test_step_returns_closure_loss():
    p = cr.tensor([3.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with cr.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    assert p.item() == pytest.approx(2.4)


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: optim.SGD(p, lr=float("nan")), "Invalid learning rate: nan"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-1), "Invalid momentum"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     "Nesterov momentum requires"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "beta parameter at index 0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "beta parameter at index 1"),
    (lambda p: optim.Adam(p, eps=-1e-8), "Invalid epsilon"),
    (lambda p: optim.AdamW(p, weight_decay=-1), "Invalid weight_decay"),
    (lambda p: optim.RMSprop(p, alpha=-0.5), "Invalid alpha"),
])
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make([cr.zeros(1, requires_grad=True)])


def test_bad_params():
    p = cr.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({p}, lr=0.1)


def test_scheduler_errors():
    opt = optim.SGD([cr.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="total_steps OR"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.OneCycleLR(_PlainDescent([cr.zeros(1, requires_grad=True)]), max_lr=1.0,
                                total_steps=5)


class _PlainDescent(optim.Optimizer):
    """A new update rule is one method: the base class does the rest."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, {"lr": lr})

    def _update(self, param, grad, state, group):
        param -= group["lr"] * grad


def test_a_new_rule_needs_only_update():
    p = cr.tensor([1.0, -1.0], requires_grad=True)
    opt = _PlainDescent([p], lr=0.25)
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_array_equal(p.data, [0.5, -0.5])


def test_cosine_closed_form():
    opt = optim.SGD([cr.zeros(1, requires_grad=True)], lr=0.2)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.02)
    for epoch in range(1, 11):
        opt.step()
        sched.step()
        expected = 0.02 + (0.2 - 0.02) * (1 + math.cos(math.pi * epoch / 10)) / 2
        assert sched.get_last_lr()[0] == pytest.approx(expected, rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------------------
# Gradient clipping (chainrule.nn.utils)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("max_norm, norm_type", [(0.5, 2.0), (100.0, 2.0), (0.3, 1.0),
                                                 (0.2, float("inf")), (1.0, 3.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    from chainrule.nn.utils import clip_grad_norm_

    rng = np.random.default_rng(1)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    mine = [cr.zeros(g.shape, dtype=cr.float64, requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(mine, theirs, grads):
        p.grad = cr.tensor(g)
        q.grad = torch.tensor(g)
    total = clip_grad_norm_(mine, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, cr.Tensor) and total.dtype == np.float64
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    for p, q in zip(mine, theirs):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12, atol=0)


def test_clip_grad_norm_edge_cases():
    from chainrule.nn.utils import clip_grad_norm_

    p = cr.zeros(2, requires_grad=True)
    assert clip_grad_norm_([p], 1.0).item() == 0.0  # no gradients at all
    p.grad = cr.tensor([3.0, 4.0])
    assert clip_grad_norm_(p, 10.0).item() == 5.0  # a single Tensor works too
    np.testing.assert_allclose(p.grad.data, [3.0, 4.0], rtol=1e-6)
    assert p.grad.dtype == np.float32
    p.grad = cr.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is nan"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    from chainrule.nn.utils import clip_grad_value_

    g = np.array([-3.0, -0.5, 0.0, 0.7, 2.0])
    p = cr.zeros(5, dtype=cr.float64, requires_grad=True)
    q = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    p.grad, q.grad = cr.tensor(g), torch.tensor(g)
    clip_grad_value_([p], 0.6)
    torch.nn.utils.clip_grad_value_([q], 0.6)
    np.testing.assert_array_equal(p.grad.data, q.grad.numpy())
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        clip_grad_value_([p], -1.0)


def test_nn_utils_is_reachable_from_nn():
    import chainrule.nn as nn

    assert nn.utils.clip_grad_norm_ is not None and nn.utils.clip_grad_value_ is not None
