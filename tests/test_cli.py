"""The chainrule command: train, resume, evaluate, explain, and its error messages.

Runs train for one to three epochs on a few hundred images; the accuracy targets of
the full defaults are measured, not tested here (docs/training.md).
"""

import csv
import importlib.util
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import cli


_DRAWS = {"test_train_writes_checkpoint_metrics_and_curves",
          "test_without_matplotlib_one_line_says_so"}


@pytest.fixture(autouse=True)
def _no_plots(request, monkeypatch):
    """Drawing curves.png costs about half a second; only the tests about it draw."""
    if request.node.name not in _DRAWS:
        monkeypatch.setattr(cli, "_plot", lambda history, path, stream: None)


def _train(tmp_path, *extra, name="run"):
    out = tmp_path / name
    code = cli.main(["train", "--out", str(out), "--limit", "256", *extra])
    return code, out


def _rows(out):
    with open(out / "metrics.csv") as f:
        return list(csv.DictReader(f))


def test_train_writes_checkpoint_metrics_and_curves(tmp_path, capsys):
    code, out = _train(tmp_path, "--epochs", "1")
    assert code == 0
    text = capsys.readouterr().out
    assert "training mlp" in text
    assert "epoch   1/1  loss " in text and "train " in text and "test " in text
    assert (out / "checkpoint.npz").is_file()
    rows = _rows(out)
    assert [r["epoch"] for r in rows] == ["1"]
    assert 0.0 <= float(rows[0]["test_acc"]) <= 1.0 and float(rows[0]["loss"]) > 0
    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "matplotlib is not installed" in text and not (out / "curves.png").exists()
    state = cr.load(out / "checkpoint.npz")
    assert state["epoch"] == 1
    assert state["args"]["model"] == "mlp" and state["args"]["optimizer"] == "adam"
    assert set(state["rng"]) == {"shuffle", "global"}
    assert "0.mean" in state["model"] and "2.weight" in state["model"]
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]


def test_training_learns(tmp_path, capsys):
    code, out = _train(tmp_path, "--epochs", "3")
    assert code == 0
    rows = _rows(out)
    losses = [float(r["loss"]) for r in rows]
    assert losses[2] < losses[0]
    assert float(rows[-1]["test_acc"]) > 0.6  # 256 images, 3 epochs: far above chance (0.1)


@pytest.mark.parametrize("optimizer", ["sgd", "adamw", "rmsprop"])
def test_every_optimizer_trains(tmp_path, capsys, optimizer):
    code, out = _train(tmp_path, "--epochs", "1", "--optimizer", optimizer)
    assert code == 0
    assert cr.load(out / "checkpoint.npz")["args"]["optimizer"] == optimizer


def test_cnn_trains_and_evaluates(tmp_path, capsys):
    code, out = _train(tmp_path, "--epochs", "1", "--model", "cnn", "--batch-size", "64")
    assert code == 0
    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 0
    assert "cnn after 1 epochs" in capsys.readouterr().out


def _states_equal(a, b):
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key].data, b["model"][key].data,
                                      err_msg=key)
    for idx, s in a["optimizer"]["state"].items():
        for key, value in s.items():
            np.testing.assert_array_equal(value, b["optimizer"]["state"][idx][key])
    assert a["rng"] == b["rng"]
    assert a["scheduler"] == b["scheduler"]


def test_resume_continues_exactly(tmp_path, capsys):
    """Interrupt-equivalent: 2 epochs, then resume to 3 == 3 epochs straight."""
    assert _train(tmp_path, "--epochs", "3", name="straight")[0] == 0
    code, out = _train(tmp_path, "--epochs", "2", name="resumed")
    assert code == 0
    assert cli.main(["train", "--out", str(out), "--resume", "--epochs", "3"]) == 0
    assert "resuming" in capsys.readouterr().out
    straight = cr.load(tmp_path / "straight" / "checkpoint.npz")
    resumed = cr.load(out / "checkpoint.npz")
    assert resumed["epoch"] == 3
    _states_equal(resumed, straight)
    assert [r["epoch"] for r in _rows(out)] == ["1", "2", "3"]
    ours = [r["test_acc"] for r in _rows(out)]
    assert ours == [r["test_acc"] for r in _rows(tmp_path / "straight")]


def test_ctrl_c_keeps_the_last_epoch_and_resume_finishes_the_run(tmp_path, capsys,
                                                                 monkeypatch):
    real_progress = cli._progress

    def interrupting(loader, epoch, epochs, stream):
        for i, batch in enumerate(real_progress(loader, epoch, epochs, stream)):
            if epoch == 2 and i == 3:
                raise KeyboardInterrupt
            yield batch

    monkeypatch.setattr(cli, "_progress", interrupting)
    code, out = _train(tmp_path, "--epochs", "2", name="cut")
    assert code == 130
    err = capsys.readouterr().err
    assert "interrupted in epoch 2" in err and "--resume" in err and "Traceback" not in err
    assert cr.load(out / "checkpoint.npz")["epoch"] == 1
    monkeypatch.undo()
    assert cli.main(["train", "--out", str(out), "--resume"]) == 0  # the saved target: 2
    assert _train(tmp_path, "--epochs", "2", name="whole")[0] == 0
    _states_equal(cr.load(out / "checkpoint.npz"),
                  cr.load(tmp_path / "whole" / "checkpoint.npz"))


def test_resume_when_already_done(tmp_path, capsys):
    code, out = _train(tmp_path, "--epochs", "1")
    assert cli.main(["train", "--out", str(out), "--resume"]) == 0
    assert "already trained 1 epochs" in capsys.readouterr().out


def test_evaluate_prints_accuracy_and_confusion_matrix(tmp_path, capsys):
    code, out = _train(tmp_path, "--epochs", "2")
    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 0
    text = capsys.readouterr().out.splitlines()
    accuracy = float(_rows(out)[-1]["test_acc"])
    assert f"test accuracy {100 * accuracy:.2f}%" in text[0]
    assert "/360)" in text[0]
    matrix = np.array([[int(v) for v in line.split()[1:]] for line in text[3:13]])
    assert matrix.shape == (10, 10)
    assert matrix.sum() == 360
    assert np.trace(matrix) == round(accuracy * 360)


def test_default_out_dir_is_runs_model(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--epochs", "1", "--limit", "64"]) == 0
    assert (tmp_path / "runs" / "mlp" / "checkpoint.npz").is_file()


def test_plain_lines_without_a_terminal_and_tqdm_on_one(tmp_path):
    loader = [1, 2, 3]

    class Tty:
        def isatty(self):
            return True

        def write(self, text):
            pass

        def flush(self):
            pass

    class Pipe(Tty):
        def isatty(self):
            return False

    assert cli._progress(loader, 1, 1, Pipe()) is loader
    bar = cli._progress(loader, 1, 1, Tty())
    try:
        import tqdm  # noqa: F401
    except ImportError:
        assert bar is loader
    else:
        assert bar is not loader and list(bar) == loader


def test_without_matplotlib_one_line_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, out = _train(tmp_path, "--epochs", "1")
    assert code == 0
    assert "matplotlib is not installed" in capsys.readouterr().out
    assert not (out / "curves.png").exists()


# ---------------------------------------------------------------------------
# Bad arguments: one line on stderr, exit status 2, never a traceback
# ---------------------------------------------------------------------------

def _one_error_line(capsys, argv, *needles):
    code = cli.main(argv)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured
    assert len(lines) == 1, lines
    assert "Traceback" not in captured.err
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("argv, needles", [
    (["train", "--model", "resnet"], ["unknown model 'resnet'", "mlp, cnn"]),
    (["train", "--dataset", "mnist"], ["unknown dataset 'mnist'", "digits"]),
    (["train", "--optimizer", "lbfgs"], ["unknown optimizer 'lbfgs'"]),
    (["train", "--lr", "-0.1"], ["learning rate must be a positive number, got -0.1"]),
    (["train", "--lr", "0"], ["learning rate must be a positive number"]),
    (["train", "--lr", "fast"], ["expected a number, got 'fast'"]),
    (["train", "--epochs", "0"], ["--epochs", "positive integer"]),
    (["train", "--batch-size", "-4"], ["--batch-size", "positive integer"]),
    (["train", "--bogus"], ["unrecognized arguments: --bogus"]),
    (["evaluate"], ["DIR"]),
    ([], ["COMMAND"]),
])
def test_bad_arguments(capsys, argv, needles):
    _one_error_line(capsys, argv, *needles)


def test_missing_and_corrupt_checkpoints(tmp_path, capsys):
    _one_error_line(capsys, ["evaluate", str(tmp_path / "nowhere")], "no such folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_error_line(capsys, ["evaluate", str(empty)], "no checkpoint in", "checkpoint.npz")
    _one_error_line(capsys, ["train", "--out", str(empty), "--resume"], "no checkpoint in")

    code, out = _train(tmp_path, "--epochs", "1")
    capsys.readouterr()
    data = (out / "checkpoint.npz").read_bytes()
    (out / "checkpoint.npz").write_bytes(data[: len(data) // 2])
    _one_error_line(capsys, ["evaluate", str(out)], "can't read the checkpoint",
                    "truncated")
    _one_error_line(capsys, ["train", "--out", str(out), "--resume"], "checkpoint.npz")

    np.savez(out / "checkpoint.npz", weights=np.zeros(3))
    _one_error_line(capsys, ["evaluate", str(out)], "not written by chainrule.save")
    cr.save({"model": {}}, out / "checkpoint.npz")
    _one_error_line(capsys, ["evaluate", str(out)], "not a training checkpoint")


def test_resume_refuses_conflicting_settings(tmp_path, capsys):
    code, out = _train(tmp_path, "--epochs", "1")
    capsys.readouterr()
    _one_error_line(capsys, ["train", "--out", str(out), "--resume", "--model", "cnn"],
                    "--model cnn differs from the checkpoint's mlp")


# ---------------------------------------------------------------------------
# explain is delegated; the command also runs as python -m chainrule
# ---------------------------------------------------------------------------

def test_explain_without_its_module_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "chainrule.explain.cli", None)
    code = cli.main(["explain", "x * y"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "explain command is not available" in err


def test_explain_delegates_to_its_module(capsys, monkeypatch):
    import types

    calls = []
    fake = types.ModuleType("chainrule.explain.cli")
    fake.add_arguments = lambda parser: parser.add_argument("formula")
    fake.run = lambda args: calls.append(args.formula) or 0
    monkeypatch.setitem(sys.modules, "chainrule.explain.cli", fake)
    assert cli.main(["explain", "x * y"]) == 0
    assert calls == ["x * y"]
    assert cli.main(["explain", "--help"]) == 0
    assert "usage: chainrule explain" in capsys.readouterr().out


def test_python_dash_m_and_console_script(tmp_path):
    out = tmp_path / "sub"
    run = subprocess.run(
        [sys.executable, "-m", "chainrule", "train", "--epochs", "1", "--limit", "64",
         "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "epoch   1/1" in run.stdout
    script = shutil.which("chainrule")
    if script is None:
        pytest.skip("the chainrule console script is not on PATH (package not installed)")
    run = subprocess.run([script, "train", "--model", "nope"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "chainrule train: error: argument --model: unknown model 'nope'; choose one of: "
        "mlp, cnn (see chainrule train --help)"]


def test_a_finished_run_is_not_overwritten_by_accident(tmp_path, capsys):
    code, out = _train(tmp_path, "--epochs", "1")
    assert code == 0
    before = (out / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    code, _ = _train(tmp_path, "--epochs", "1", "--seed", "3")
    err = capsys.readouterr().err
    assert code == 2
    assert "already holds a run" in err and "--resume" in err and "--overwrite" in err
    assert len(err.strip().splitlines()) == 1
    assert (out / "checkpoint.npz").read_bytes() == before  # nothing lost
    code, _ = _train(tmp_path, "--epochs", "1", "--seed", "3", "--overwrite")
    assert code == 0
    assert (out / "checkpoint.npz").read_bytes() != before
