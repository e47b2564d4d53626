"""chainrule.train: the training loop as a Python API (what `chainrule train` calls).

A few epochs on a few hundred of the bundled digits; the accuracy of the full defaults
is measured in docs/training.md, not tested here.
"""

import csv
import io
import os

import numpy as np
import pytest

import chainrule as cr
import chainrule.train as crtrain
from chainrule import nn
from chainrule.data import Subset, load_digits
from chainrule.train import (
    HISTORY_KEYS,
    TrainingError,
    TrainingInterrupted,
    confusion_matrix,
    evaluate,
    fit,
)


@pytest.fixture(autouse=True)
def _no_plots(request, monkeypatch):
    """Drawing curves.png costs a few tenths of a second; only the tests about it draw."""
    if "curves" not in request.node.name:
        monkeypatch.setattr(crtrain, "_draw_curves", lambda history, path: None)


@pytest.fixture(scope="module")
def digits():
    train, test = load_digits()
    return Subset(train, range(192)), test


def _model(seed=0):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(32, 10))


def _fit(digits, **kwargs):
    kwargs.setdefault("epochs", 2)
    kwargs.setdefault("lr", 1e-2)
    kwargs.setdefault("progress", False)
    return fit(kwargs.pop("model", None) or _model(), *digits, **kwargs)


def test_fit_returns_the_history_and_learns(digits, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stream = io.StringIO()
    model = _model()
    history = fit(model, *digits, epochs=4, lr=1e-2, progress=stream)
    assert sorted(history) == sorted(HISTORY_KEYS)
    assert history["epoch"] == [1, 2, 3, 4]
    assert all(len(history[key]) == 4 for key in HISTORY_KEYS)
    assert history["loss"][-1] < history["loss"][0]
    assert all(0.0 <= a <= 1.0 for a in history["train_acc"] + history["test_acc"])
    assert history["test_acc"][-1] > 0.5  # 192 images, 4 epochs: far above chance (0.1)
    assert all(s > 0 for s in history["seconds"])
    assert history["test_acc"][-1] == evaluate(model, digits[1]).accuracy
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("training Sequential (2,410 parameters): 192 train / 360 test")
    assert lines[1].startswith("epoch   1/4  loss ")
    assert lines[-1].startswith("done: test accuracy")
    assert os.listdir(tmp_path) == []  # without out= nothing is written


def test_progress_false_prints_nothing(digits, capsys):
    _fit(digits, epochs=1)
    assert capsys.readouterr() == ("", "")


def test_fit_writes_a_run_folder(digits, tmp_path):
    out = tmp_path / "run"
    history = _fit(digits, out=out)
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "metrics.csv"]  # curves: no plots
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == history["epoch"]
    assert [float(r["loss"]) for r in rows] == pytest.approx(history["loss"], abs=1e-6)
    state = crtrain.load_run(out)
    assert state["epoch"] == 2 and state["history"] == history
    assert state["args"] == {"epochs": 2, "batch_size": 32, "seed": 0, "optimizer": "adam",
                             "lr": 1e-2, "out": str(out)}


def test_fit_draws_curves_after_the_first_epoch_and_at_the_end(digits, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "run"
    _fit(digits, out=out, epochs=1)
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _same_training_state(a, b):
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key].data, b["model"][key].data, err_msg=key)
    for idx, s in a["optimizer"]["state"].items():
        for key, value in s.items():
            np.testing.assert_array_equal(value, b["optimizer"]["state"][idx][key])
    assert a["rng"] == b["rng"]
    assert a["scheduler"] == b["scheduler"]
    for key in ("epoch", "loss", "train_acc", "test_acc"):
        assert a["history"][key] == b["history"][key], key


def test_resume_equals_a_straight_run_bit_for_bit(digits, tmp_path):
    """Dropout, shuffling, Adam and a scheduler: 2 epochs + 2 resumed == 4 straight."""
    def run(out, epochs, resume=False):
        model = _model()
        opt = cr.optim.Adam(model.parameters(), lr=1e-2)
        sched = cr.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
        return fit(model, *digits, epochs=epochs, optimizer=opt, scheduler=sched, seed=5,
                   out=out, resume=resume, progress=False)

    straight = run(tmp_path / "straight", 4)
    run(tmp_path / "resumed", 2)
    resumed = run(tmp_path / "resumed", 4, resume=True)
    assert resumed["epoch"] == [1, 2, 3, 4]
    assert resumed["loss"] == straight["loss"]
    _same_training_state(crtrain.load_run(tmp_path / "resumed"),
                         crtrain.load_run(tmp_path / "straight"))


def test_resume_when_already_done_returns_the_history(digits, tmp_path):
    out = tmp_path / "run"
    first = _fit(digits, out=out, epochs=1)
    stream = io.StringIO()
    again = _fit(digits, out=out, epochs=1, resume=True, progress=stream)
    assert again == first
    assert "already trained 1 epoch; ask for more with epochs=N" in stream.getvalue()


def test_ctrl_c_says_what_the_checkpoint_holds_and_resume_finishes(digits, tmp_path,
                                                                   monkeypatch):
    real = crtrain._progress

    def interrupting(loader, epoch, epochs, stream):
        for i, batch in enumerate(real(loader, epoch, epochs, stream)):
            if epoch == 2 and i == 2:
                raise KeyboardInterrupt
            yield batch

    monkeypatch.setattr(crtrain, "_progress", interrupting)
    out = tmp_path / "cut"
    with pytest.raises(TrainingInterrupted) as info:
        _fit(digits, out=out, epochs=3)
    stop = info.value
    assert isinstance(stop, KeyboardInterrupt)
    assert (stop.epoch, stop.saved_epoch) == (2, 1)
    assert stop.history["epoch"] == [1]
    assert str(stop) == (f"interrupted in epoch 2; {out / 'checkpoint.npz'} holds epoch 1: "
                         "continue with fit(..., resume=True)")
    monkeypatch.undo()
    monkeypatch.setattr(crtrain, "_draw_curves", lambda history, path: None)
    _fit(digits, out=out, epochs=3, resume=True)
    _fit(digits, out=tmp_path / "whole", epochs=3)
    _same_training_state(crtrain.load_run(out), crtrain.load_run(tmp_path / "whole"))


def test_ctrl_c_in_the_first_epoch_says_nothing_was_saved(digits, tmp_path, monkeypatch):
    def interrupting(loader, epoch, epochs, stream):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(crtrain, "_progress", interrupting)
    with pytest.raises(TrainingInterrupted) as info:
        _fit(digits, out=tmp_path / "run")
    assert info.value.saved_epoch is None and info.value.earlier_epoch is None
    assert "before the first checkpoint: nothing was saved" in str(info.value)
    assert "resume" not in str(info.value)
    with pytest.raises(TrainingInterrupted, match="nothing was saved \\(no out= folder\\)"):
        _fit(digits)


def test_ctrl_c_during_a_save_reports_the_epoch_really_on_disk(digits, tmp_path,
                                                               monkeypatch):
    """Ctrl-C lands while epoch 2's checkpoint is being written: the file still holds 1."""
    import chainrule.io as crio

    real_savez = crio.np.savez
    calls = []

    def savez(f, **arrays):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_savez(f, **arrays)

    monkeypatch.setattr(crio.np, "savez", savez)
    out = tmp_path / "run"
    with pytest.raises(TrainingInterrupted) as info:
        _fit(digits, out=out, epochs=3)
    assert (info.value.epoch, info.value.saved_epoch) == (2, 1)
    assert "holds epoch 1" in str(info.value)
    assert crtrain.load_run(out)["epoch"] == 1
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "metrics.csv"]  # no temp file left


def test_evaluate_and_confusion_matrix(digits):
    model = _model()
    _fit(digits, model=model, epochs=1)
    assert model.training
    result = evaluate(model, digits[1], batch_size=100)
    assert model.training  # put back as it was
    assert result.predictions.shape == result.labels.shape == (360,)
    assert result.accuracy == np.mean(result.predictions == result.labels)
    matrix = confusion_matrix(result.labels, result.predictions, 10)
    assert matrix.sum() == 360 and np.trace(matrix) == round(result.accuracy * 360)
    model.eval()
    evaluate(model, digits[1])
    assert not model.training


@pytest.mark.parametrize("kwargs, needle", [
    ({"epochs": 0}, "epochs must be a positive integer, got 0"),
    ({"epochs": 2.5}, "epochs must be a positive integer"),
    ({"batch_size": -1}, "batch_size must be a positive integer"),
    ({"seed": -1}, "seed must be an integer from 0 to 2**64 - 1, got -1"),
    ({"seed": "x"}, "seed must be an integer"),
    ({"lr": -0.1}, "learning rate must be a positive number, got -0.1"),
    ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'"),
    ({"resume": True}, "resume=True needs out="),
    ({"resume": True, "overwrite": True, "out": "x"}, "contradict"),
    ({"config": {"out": "elsewhere"}}, "config['out'] clashes"),
])
def test_bad_settings_are_one_clear_error(digits, kwargs, needle):
    with pytest.raises(TrainingError) as info:
        _fit(digits, **kwargs)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_lr_with_an_optimizer_object_is_refused(digits):
    model = _model()
    with pytest.raises(TrainingError, match="lr= is for a named optimizer"):
        fit(model, *digits, epochs=1, optimizer=cr.optim.SGD(model.parameters(), lr=0.1),
            lr=0.1, progress=False)


def test_a_folder_with_a_run_is_not_replaced_by_accident(digits, tmp_path):
    out = tmp_path / "run"
    _fit(digits, out=out, epochs=1)
    before = (out / "checkpoint.npz").read_bytes()
    with pytest.raises(TrainingError, match="already holds a run.*resume=True.*overwrite=True"):
        _fit(digits, out=out, epochs=1, seed=3)
    assert (out / "checkpoint.npz").read_bytes() == before
    _fit(digits, out=out, epochs=1, seed=3, overwrite=True)
    assert (out / "checkpoint.npz").read_bytes() != before


def test_resume_checks_the_settings(digits, tmp_path):
    out = tmp_path / "run"
    _fit(digits, out=out, epochs=1)
    with pytest.raises(TrainingError, match="batch_size=64 differs from the checkpoint's 32"):
        _fit(digits, out=out, epochs=2, resume=True, batch_size=64)
    with pytest.raises(TrainingError, match="does not fit the model.*size mismatch for 1.weight"):
        fit(nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)),
            *digits, epochs=2, lr=1e-2, out=out, resume=True, progress=False)


def test_run_folder_problems_are_found_before_training(digits, tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    with pytest.raises(TrainingError, match="is a file, not a folder"):
        _fit(digits, out=a_file, progress=True)
    with pytest.raises(TrainingError, match="can't create the run folder .*Not a directory"):
        _fit(digits, out=a_file / "sub", progress=True)
    assert "epoch" not in capsys.readouterr().out


def test_unwritable_folder_is_found_before_training(digits, tmp_path, capsys):
    if os.geteuid() == 0:  # root writes anywhere chmod allows; sysfs refuses even root
        out = "/sys"
        if not os.path.isdir(out):
            pytest.skip("no /sys to stand for a read-only folder")
    else:
        out = tmp_path / "locked"
        out.mkdir()
        out.chmod(0o555)
    with pytest.raises(TrainingError, match="can't write in the run folder"):
        _fit(digits, out=out, progress=True)
    assert "epoch" not in capsys.readouterr().out


def test_symlinks_out_of_the_folder_are_refused_and_nothing_is_written_through(digits,
                                                                               tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    out = tmp_path / "run"
    out.mkdir()
    for name in ("metrics.csv", "curves.png", "checkpoint.npz"):
        link = out / name
        link.symlink_to(outside)
        with pytest.raises(TrainingError, match=f"{name} is a symbolic link to .*outside.txt"):
            _fit(digits, out=out, overwrite=True)
        link.unlink()
    (out / "metrics.csv.tmp").symlink_to(outside)  # the fixed temp name of earlier versions
    (out / "metrics.csv").symlink_to(out / "mine.csv")  # inside the folder: replaced, not used
    (out / "mine.csv").write_text("mine")
    _fit(digits, out=out)
    assert outside.read_text() == "precious" and (out / "mine.csv").read_text() == "mine"
    assert not (out / "metrics.csv").is_symlink()
    assert not os.path.lexists(out / "metrics.csv.tmp")


def test_stale_temp_files_are_cleaned_and_modes_follow_the_umask(digits, tmp_path):
    out = tmp_path / "run"
    _fit(digits, out=out, epochs=1)
    left = [".checkpoint.npz.a1b2c3d4.tmp", ".metrics.csv.0123456789abcdef.tmp"]
    for name in left:  # what kill -9 during a write leaves
        (out / name).write_bytes(b"half")
    old = os.umask(0o022)
    try:
        os.chmod(out / "checkpoint.npz", 0o644)
        _fit(digits, out=out, epochs=2, resume=True)
    finally:
        os.umask(old)
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "metrics.csv"]
    assert (out / "checkpoint.npz").stat().st_mode & 0o777 == 0o644
    assert (out / "metrics.csv").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("damage, key", [
    (lambda s: s.update(args={}), "args.epochs"),
    (lambda s: s["args"].update(seed="x"), "args.seed"),
    (lambda s: s.update(epoch="two"), "epoch"),
    (lambda s: s.update(history=[1, 2]), "history"),
    (lambda s: s["history"].update(loss=[0.5]), "history.loss"),
    (lambda s: s["history"].update(loss=["a", "b"]), "history.loss"),
    (lambda s: s["rng"].update(shuffle={"state": 1}), "rng.shuffle"),
    (lambda s: s["optimizer"]["state"][0].update(exp_avg=np.zeros(3, np.float32)),
     "optimizer"),
    (lambda s: s["model"].update({"1.weight": np.zeros((32, 64), np.int64)}), "1.weight"),
])
def test_a_tampered_checkpoint_is_refused_naming_the_key(digits, tmp_path, damage, key):
    out = tmp_path / "run"
    _fit(digits, out=out)
    state = cr.load(out / "checkpoint.npz")
    damage(state)
    cr.save(state, out / "checkpoint.npz")
    with pytest.raises(TrainingError) as info:
        _fit(digits, out=out, epochs=3, resume=True)
    assert key in str(info.value) and "\n" not in str(info.value)
