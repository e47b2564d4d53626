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
import chainrule.train as crtrain
from chainrule import cli

_DRAWS = {"test_train_writes_checkpoint_metrics_and_curves",
          "test_without_matplotlib_one_line_says_so"}


@pytest.fixture(autouse=True)
def _no_plots(request, monkeypatch):
    """Drawing curves.png costs about half a second; only the tests about it draw."""
    if request.node.name not in _DRAWS:
        monkeypatch.setattr(crtrain, "_draw_curves", lambda history, path: None)


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
    assert "cnn after 1 epoch:" in capsys.readouterr().out


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
    real_progress = crtrain._progress

    def interrupting(loader, epoch, epochs, stream):
        for i, batch in enumerate(real_progress(loader, epoch, epochs, stream)):
            if epoch == 2 and i == 3:
                raise KeyboardInterrupt
            yield batch

    monkeypatch.setattr(crtrain, "_progress", interrupting)
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
    assert "already trained 1 epoch;" in capsys.readouterr().out


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

    assert crtrain._progress(loader, 1, 1, Pipe()) is loader
    bar = crtrain._progress(loader, 1, 1, Tty())
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


# ---------------------------------------------------------------------------
# Hardening (issue 14): every mistake one line, nothing written outside the run
# ---------------------------------------------------------------------------

def _run_cli(*argv, timeout=120, **kwargs):
    return subprocess.run([sys.executable, "-m", "chainrule", *argv], capture_output=True,
                          text=True, timeout=timeout, **kwargs)


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"chainrule {cr.__version__}"


def test_help_says_when_curves_are_drawn(capsys):
    assert cli.main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "curves (curves.png) as the run goes and at its end" in text


@pytest.mark.parametrize("argv, needles", [
    (["train", "--seed", "-1"], ["--seed", "from 0 to 2**64 - 1, got -1"]),
    (["train", "--seed", "x"], ["--seed", "expected a whole number, got 'x'"]),
    (["train", "--seed", str(2 ** 64)], ["--seed"]),
])
def test_bad_seeds(capsys, argv, needles):
    _one_error_line(capsys, argv, *needles)


def test_out_that_is_a_file_and_evaluate_of_a_file(tmp_path, capsys):
    a_file = tmp_path / "notes.md"
    a_file.write_text("# notes")
    _one_error_line(capsys, ["train", "--out", str(a_file), "--epochs", "1"],
                    "notes.md is a file, not a folder")
    _one_error_line(capsys, ["evaluate", str(a_file)], "notes.md is a file, not a run folder")
    assert a_file.read_text() == "# notes"


def test_an_unwritable_out_is_refused_before_training(tmp_path, capsys):
    if os.geteuid() == 0:  # root writes anywhere chmod allows; sysfs refuses even root
        if not os.path.isdir("/sys"):
            pytest.skip("no /sys to stand for a read-only folder")
        out = "/sys"
    else:
        out = tmp_path / "locked"
        out.mkdir()
        out.chmod(0o555)
    _one_error_line(capsys, ["train", "--out", str(out), "--epochs", "1", "--limit", "64"],
                    "can't write in the run folder")
    assert "epoch" not in capsys.readouterr().out


def test_symlinks_planted_in_the_run_folder(tmp_path, capsys):
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    out = tmp_path / "run"
    out.mkdir()
    (out / "curves.png").symlink_to(outside)
    _one_error_line(capsys, ["train", "--out", str(out), "--epochs", "1", "--limit", "64"],
                    "curves.png is a symbolic link to", "outside the run folder")
    (out / "curves.png").unlink()
    (out / "metrics.csv.tmp").symlink_to(outside)  # earlier versions wrote through this name
    assert cli.main(["train", "--out", str(out), "--epochs", "1", "--limit", "64"]) == 0
    assert outside.read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "metrics.csv",
                                                     "report.html"]


def test_evaluate_on_a_fifo_does_not_hang(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    os.mkfifo(folder / "checkpoint.npz")
    run = _run_cli("evaluate", str(folder), timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"chainrule evaluate: error: can't read the checkpoint: chainrule.load: "
        f"'{folder / 'checkpoint.npz'}' is not a regular file (a named pipe); give the path "
        "of a file written by chainrule.save"]


@pytest.mark.parametrize("damage, needle", [
    (lambda s: s.update(args={}), "args.epochs"),
    (lambda s: s["args"].update(seed="x"), "args.seed should be"),
    (lambda s: s["args"].update(lr="x"), "args.lr should be a positive number, got 'x'"),
    (lambda s: s["args"].update(model="resnet"), "args.model should be one of mlp, cnn"),
    (lambda s: s.update(epoch="two"), "epoch should be a whole number"),
    (lambda s: s.update(history=[0.1]), "history should be a dict"),
    (lambda s: s["optimizer"]["state"][0].update(exp_avg=np.zeros(3, np.float32)),
     "state 'exp_avg' of parameter 0 has shape (3,)"),
])
def test_a_tampered_checkpoint_is_one_line_naming_the_key(tmp_path, capsys, damage, needle):
    code, out = _train(tmp_path, "--epochs", "1")
    capsys.readouterr()
    state = cr.load(out / "checkpoint.npz")
    damage(state)
    cr.save(state, out / "checkpoint.npz")
    _one_error_line(capsys, ["train", "--out", str(out), "--resume", "--epochs", "2"], needle)
    if "exp_avg" not in needle:  # evaluate reads the model only
        _one_error_line(capsys, ["evaluate", str(out)], needle)


def test_a_model_that_does_not_fit_names_the_key_and_shapes(tmp_path, capsys):
    code, out = _train(tmp_path, "--epochs", "1")
    capsys.readouterr()
    state = cr.load(out / "checkpoint.npz")
    state["model"]["2.weight"] = cr.zeros(512, 32)
    cr.save(state, out / "checkpoint.npz")
    _one_error_line(capsys, ["evaluate", str(out)], "does not fit its own model",
                    "size mismatch for 2.weight: copying a value of shape (512, 32), the "
                    "shape in the current model is (512, 64)")


def test_ctrl_c_in_the_first_epoch_does_not_advise_resume(tmp_path, capsys, monkeypatch):
    def interrupting(loader, epoch, epochs, stream):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(crtrain, "_progress", interrupting)
    code, out = _train(tmp_path, "--epochs", "2")
    assert code == 130
    err = capsys.readouterr().err.strip()
    assert err == "interrupted in epoch 1, before the first checkpoint: nothing was saved"
    assert not (out / "checkpoint.npz").exists()


def test_ctrl_c_during_a_save_reports_what_is_on_disk(tmp_path, capsys, monkeypatch):
    import chainrule.io as crio

    real_savez, calls = crio.np.savez, []

    def savez(f, **arrays):  # Ctrl-C lands while epoch 2's checkpoint is being written
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_savez(f, **arrays)

    monkeypatch.setattr(crio.np, "savez", savez)
    code, out = _train(tmp_path, "--epochs", "3")
    assert code == 130
    err = capsys.readouterr().err.strip()
    assert err == (f"interrupted in epoch 2; {out / 'checkpoint.npz'} holds epoch 1: "
                   f"continue with: chainrule train --out {out} --resume")
    assert cr.load(out / "checkpoint.npz")["epoch"] == 1


def test_ctrl_c_during_start_up_is_one_line(tmp_path, capsys, monkeypatch):
    import chainrule.data as crdata

    def interrupted(*args, **kwargs):  # Ctrl-C while the digits are being read
        raise KeyboardInterrupt

    monkeypatch.setattr(crdata, "load_digits", interrupted)
    assert cli.main(["train", "--out", str(tmp_path / "run"), "--epochs", "1"]) == 130
    captured = capsys.readouterr()
    assert captured.err.strip() == "chainrule: interrupted" and captured.out == ""


def test_sigint_mid_run_keeps_checkpoint_and_curves(tmp_path):
    """A real Ctrl-C (SIGINT) to a real process, once it has finished an epoch."""
    import signal

    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "train", "--out", str(out), "--epochs", "500",
         "--limit", "256"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_sigint_as_from_a_terminal)
    try:
        for line in proc.stdout:
            if line.startswith("epoch   2/"):
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    (message,) = err.strip().splitlines()
    saved = cr.load(out / "checkpoint.npz")["epoch"]
    assert saved >= 2
    assert message.endswith(f"{out / 'checkpoint.npz'} holds epoch {saved}: continue with: "
                            f"chainrule train --out {out} --resume")
    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_closed_pipe_ends_evaluate_quietly(tmp_path, capsys):
    """`chainrule evaluate RUN | head -1`: the reader is gone before the output comes."""
    code, out = _train(tmp_path, "--epochs", "1")
    proc = subprocess.Popen([sys.executable, "-m", "chainrule", "evaluate", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like head, which has exited
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141  # 128 + SIGPIPE, as a Unix tool's status reads
    assert err == ""


def test_a_full_disk_names_the_file(tmp_path):
    """A write that fails for lack of room (here a file-size limit, which fails the same
    write) is one line naming the file, and the checkpoint of the last epoch stays whole."""
    import textwrap

    out = tmp_path / "run"
    code = textwrap.dedent(f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
        from chainrule.cli import main
        sys.exit(main(["train", "--out", {str(out)!r}, "--epochs", "1", "--limit", "64"]))
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1, run.stderr
    assert run.stderr.strip().splitlines() == [
        f"chainrule train: error: File too large: {out / 'checkpoint.npz'}"]
    assert os.listdir(out) == []  # no half-written file, no temporary file


def _sigint_as_from_a_terminal():
    """In the child before exec: SIGINT at its default action and not blocked, as a shell
    in a terminal starts a command, whatever this test process inherited (a background job
    starts with SIGINT ignored; a library thread may have blocked it in the signal mask)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_ctrl_c_while_starting_gives_one_line(tmp_path):
    """A Ctrl-C that lands while chainrule and NumPy are still loading: one line, no traceback."""
    import signal
    import subprocess
    import sys
    import time

    script = os.path.join(os.path.dirname(sys.executable), "chainrule")
    if not os.path.exists(script):
        pytest.skip("the chainrule command is not installed beside this Python (pip install -e .)")
    for delay in (0.05, 0.15, 0.3):
        proc = subprocess.Popen([script, "train", "--out", str(tmp_path / f"run{delay}")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=_sigint_as_from_a_terminal)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        before_ours = "Traceback" in err and ", in main" not in err and "/chainrule/" not in err
        if "init_import_site" in err or before_ours:
            continue  # Python itself was still starting: no chainrule module had begun to load
        assert "Traceback" not in err, err
        assert len(err.strip().splitlines()) <= 1, err
        assert proc.returncode != 0
