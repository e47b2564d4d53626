"""Training health: each finding is built on purpose and found; a healthy run has none."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.creation import default_generator
from chainrule.explain.health import HEALTH_CSV, HEALTH_JSON, HealthMonitor, diagnose, read_health
from chainrule.nn import functional as F
from chainrule.nn import hooks as module_hooks


def _data(n=64, features=16, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = (x[:, :classes].argmax(axis=1)).astype(np.int64)
    return cr.tensor(x), cr.tensor(y)


def _train(model, optimizer, steps, every=5, x=None, y=None, loss_fn=None):
    if x is None:
        x, y = _data()
    loss_fn = loss_fn or F.cross_entropy
    monitor = HealthMonitor(model, every=every, loss_fn=loss_fn)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        monitor.after_backward(loss, x, y)
        optimizer.step()
    monitor.close()
    return monitor


def _kinds(findings):
    return sorted({f.kind for f in findings})


def test_a_bias_that_kills_the_relus_is_found():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 3))
    with cr.no_grad():
        model[0].bias.fill_(-20.0)
    monitor = _train(model, cr.optim.SGD(model.parameters(), lr=0.1), steps=30)
    found = monitor.findings()
    dead = [f for f in found if f.kind == "dead"]
    assert len(dead) == 1 and dead[0].layer == "1"
    assert dead[0].message.startswith("layer 1 (ReLU): 100% of units dead")
    assert "from step 0 to step 25" in dead[0].message
    assert "LeakyReLU" in dead[0].advice


def test_a_deep_sigmoid_network_has_vanishing_gradients():
    cr.manual_seed(0)
    layers = []
    for _ in range(10):
        layers += [nn.Linear(16, 16), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(16, 3))
    monitor = _train(model, cr.optim.SGD(model.parameters(), lr=0.1), steps=20)
    found = [f for f in monitor.findings() if f.kind == "vanishing"]
    assert len(found) == 1
    assert found[0].message.startswith("gradients shrink 10^")
    assert "from layer 20 (Linear) to layer 0 (Linear)" in found[0].message
    shrink = float(found[0].message.split("10^")[1].split("x")[0])
    assert shrink > 5


def test_a_learning_rate_of_10_is_found_too_high():
    from chainrule.cli import build_model
    from chainrule.data import Subset, load_digits
    from chainrule.train import fit

    cr.manual_seed(0)
    train_set, test_set = load_digits()
    monitor = HealthMonitor(every=5)
    fit(build_model("mlp"), Subset(train_set, range(640)), test_set, epochs=2,
        optimizer="sgd", lr=10.0, progress=False, health=monitor)
    found = monitor.findings()
    (high,) = [f for f in found if f.kind == "update_high"]
    assert high.message.startswith("update/weight ratio ")
    assert "on 2.weight" in high.message and "on 5.weight" in high.message
    assert "the learning rate is likely too high" in high.message
    growing = [f for f in found if f.kind == "loss_growing"]
    assert len(growing) == 1 and growing[0].message.startswith("the loss rose from 2.3")


class _LogScale(nn.Module):
    """log(x * scale): scale shrinks each step until the log's argument is negative."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(cr.tensor(1.0))

    def forward(self, x):
        return (x * self.scale).log()  # the line the finding names


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_a_nan_born_in_log_is_traced_to_the_op_and_the_line():
    model = nn.Sequential(_LogScale())
    x = cr.tensor(np.full((4, 1), 2.0, np.float32))
    y = cr.zeros(4, 1)

    def loss_fn(out, target):
        return (out - target).mean()

    monitor = _train(model, cr.optim.SGD(model.parameters(), lr=0.3), steps=6, every=2,
                     x=x, y=y, loss_fn=loss_fn)
    births = [f for f in monitor.findings() if f.kind == "nan_birth"]
    assert len(births) == 1, monitor.findings()
    message = births[0].message
    assert message.startswith("loss became nan at step 3: the first non-finite value came "
                              "from op 'log' in the forward pass of layer 0 (_LogScale), "
                              "created at ")
    assert "test_health.py" in message and "return (x * self.scale).log()" in message
    assert "clamp" in births[0].advice
    assert monitor.events[0]["op"] == "log"


def test_replay_puts_the_random_state_back():
    model = nn.Sequential(_LogScale(), nn.Dropout(0.5))
    x = cr.tensor(np.full((4, 1), 2.0, np.float32))
    cr.manual_seed(3)
    monitor = HealthMonitor(model, every=100)
    loss = model(x).mean()
    before = default_generator().bit_generator.state
    monitor._replay(0, x, cr.zeros(4, 1), float("nan"))
    assert default_generator().bit_generator.state == before
    del loss


def test_a_healthy_run_reports_nothing_and_writes_resumable_files(tmp_path, monkeypatch):
    from chainrule import train
    from chainrule.cli import build_model
    from chainrule.data import Subset, load_digits
    from chainrule.train import fit

    monkeypatch.setattr(train._Curves, "update", lambda *a, **k: None)  # no matplotlib here
    cr.manual_seed(0)
    train_set, test_set = load_digits()
    train_set = Subset(train_set, range(320))
    model = build_model("mlp")
    out = tmp_path / "run"
    monitor = HealthMonitor(every=5)
    fit(model, train_set, test_set, epochs=2, lr=3e-3, out=out, progress=False,
        health=monitor)
    assert monitor.findings() == []
    rows, meta = read_health(out)
    assert meta["every"] == 5
    assert list(meta["layers"]) == ["0", "2", "3", "5"]  # Dropout and Flatten are skipped
    assert meta["layers"]["3"] == "ReLU"
    metrics = {m for _, _, m, _ in rows}
    assert metrics == {"loss", "act_mean", "act_std", "dead_frac", "nonfinite_frac",
                       "out_grad_norm", "grad_norm", "update_ratio"}
    steps = sorted({s for s, *_ in rows})
    assert steps == list(range(0, 20, 5))  # 10 batches an epoch, 2 epochs
    with open(out / HEALTH_CSV) as f:
        assert next(csv.reader(f)) == ["step", "layer", "metric", "value"]
    assert (out / HEALTH_JSON).is_file()
    # Resume for one more epoch: the rows before the checkpoint stay, the rest continue.
    cr.manual_seed(0)
    model2 = build_model("mlp")
    monitor2 = HealthMonitor(every=5)
    fit(model2, train_set, test_set, epochs=3, lr=3e-3, out=out, resume=True,
        progress=False, health=monitor2)
    rows2, _ = read_health(out)
    assert sorted({s for s, *_ in rows2}) == list(range(0, 30, 5))
    assert [r for r in rows2 if r[0] < 20] == rows


def test_monitor_costs_nothing_between_samples():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))
    before = module_hooks.live
    monitor = HealthMonitor(model, every=4)
    assert module_hooks.live == before + 1  # step 0 is sampled: one global hook
    x, y = _data()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    monitor.after_backward(loss, x, y)
    assert module_hooks.live == before  # steps 1-3: no hook, plain calls
    assert {r[1] for r in monitor.rows if r[2] == "act_mean"} == {"0", "1", "2"}
    monitor.close()


def test_diagnose_on_rows_read_back(tmp_path):
    monitor = HealthMonitor(every=1)
    monitor.layers = {"0": "Tanh"}
    monitor.rows = [(s, "0", "saturated_frac", 0.9) for s in range(4)]
    monitor.write(tmp_path)
    rows, meta = read_health(tmp_path)
    (finding,) = diagnose(rows, meta["layers"], meta["events"])
    assert finding.kind == "saturated"
    assert finding.message.startswith("layer 0 (Tanh): 90% of outputs saturated")
    with pytest.raises(ValueError, match="every must be a positive integer"):
        HealthMonitor(every=0)
    assert not os.path.exists(tmp_path / "missing")


def test_a_monitor_dropped_while_attached_takes_its_hook_along():
    import gc

    model = nn.Sequential(nn.Linear(4, 2), nn.ReLU())
    before = module_hooks.live
    monitor = HealthMonitor(model, every=2)  # step 0 is sampled: the hook is on
    assert module_hooks.live == before + 1
    del monitor
    gc.collect()
    assert module_hooks.live == before  # no global hook left behind
    assert model(cr.ones(1, 4)).shape == (1, 2)
