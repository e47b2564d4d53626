"""Training a classifier from Python: progress, checkpoints, resume, metrics and curves.

This is the loop behind ``chainrule train``, for a script or a notebook:

>>> import chainrule as cr
>>> from chainrule import nn
>>> from chainrule.data import Subset, load_digits
>>> from chainrule.train import evaluate, fit
>>> _ = cr.manual_seed(0)  # returns the default Generator, as torch.manual_seed
>>> train_set, test_set = load_digits()
>>> model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
>>> history = fit(model, Subset(train_set, range(256)), test_set, epochs=2, lr=1e-2,
...               progress=False)
>>> history["epoch"], len(history["loss"]), sorted(history)
([1, 2], 2, ['epoch', 'loss', 'seconds', 'test_acc', 'train_acc'])
>>> 0.0 <= evaluate(model, test_set).accuracy <= 1.0
True

With ``out=DIR``, every epoch writes to DIR, each file atomically
(:func:`chainrule.io.atomic_write`: a crash or Ctrl-C never leaves half a file, and
nothing is written through a symbolic link):

- ``checkpoint.npz``: the model's, optimizer's and scheduler's state, the epoch, both
  random generators (shuffling, and chainrule's global one, which dropout draws from),
  the settings and the history, so ``fit(..., out=DIR, resume=True)`` continues the
  run and ends with the same weights, bit for bit, as a run that was never stopped;
- ``metrics.csv``: one row per epoch (loss, train and test accuracy, seconds);
- ``curves.png``: loss and accuracy per epoch (needs matplotlib), redrawn as the run
  goes (after the first epoch, then whenever drawing would cost under a tenth of the
  time since the last drawing), when it is interrupted, and at the end.

:func:`fit` checks the folder before the first epoch: it must be writable, must not
already hold a run (unless ``resume`` or ``overwrite``), and its files must not be
symbolic links that point out of it. A problem the caller can fix raises
:class:`TrainingError` with one line; Ctrl-C raises :class:`TrainingInterrupted`
(a ``KeyboardInterrupt``) that says which epoch the checkpoint on disk holds.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import numbers
import os
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TextIO

import numpy as np

from .creation import default_generator
from .data import DataLoader
from .distributed._fit import data_parallel_fit
from .graph import no_grad
from .io import atomic_write, load, remove_stale_temp_files, save
from .nn import CrossEntropyLoss, Module
from .optim import SGD, Adam, AdamW, Optimizer, RMSprop
from .optim.lr_scheduler import LRScheduler
from .tensor import Tensor

__all__ = ["fit", "evaluate", "Evaluation", "confusion_matrix", "load_run", "TrainingError",
           "TrainingInterrupted", "CHECKPOINT", "METRICS", "CURVES", "HISTORY_KEYS"]

CHECKPOINT = "checkpoint.npz"
METRICS = "metrics.csv"
CURVES = "curves.png"
# health.csv and health.json (explain.health) and report.html (explain.report) too
RUN_FILES = (CHECKPOINT, METRICS, CURVES, "health.csv", "health.json", "report.html")
HISTORY_KEYS = ("epoch", "loss", "train_acc", "test_acc", "seconds")
"""The history's lists, one entry per epoch: the epoch number, the mean training loss,
the training accuracy (on the batches as they were trained), the test accuracy, and
the seconds the epoch took."""

_KIND = "chainrule.train.checkpoint"
OPTIMIZERS = {"adam": Adam, "adamw": AdamW, "sgd": SGD, "rmsprop": RMSprop}
DEFAULT_LR = {"adam": 1e-3, "adamw": 1e-3, "sgd": 1e-2, "rmsprop": 1e-2}

History = dict  # {"epoch": [...], "loss": [...], "train_acc": [...], "test_acc": [...], ...}


class TrainingError(ValueError):
    """A problem with the settings or the run folder that the caller can fix (one line)."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`fit`; says what is on disk.

    Attributes: ``epoch`` (the epoch in progress), ``saved_epoch`` (the epoch that
    ``checkpoint`` holds for this run, or None when this run has saved nothing),
    ``checkpoint`` (its path, or None without ``out``), ``earlier_epoch`` (when this run
    saved nothing but the folder still holds an earlier run's checkpoint: its epoch)
    and ``history`` (the epochs finished before the interrupt).
    """

    def __init__(self, epoch: int, saved_epoch: int | None, checkpoint: str | None,
                 earlier_epoch: int | None, history: History) -> None:
        self.epoch = epoch
        self.saved_epoch = saved_epoch
        self.checkpoint = checkpoint
        self.earlier_epoch = earlier_epoch
        self.history = history
        super().__init__(self.describe("continue with fit(..., resume=True)"))

    def describe(self, how_to_continue: str) -> str:
        """One line: where training stopped, what the checkpoint holds, how to go on."""
        where = f"interrupted in epoch {self.epoch}"
        if self.checkpoint is None:
            return f"{where}; nothing was saved (no out= folder)"
        if self.saved_epoch is not None:
            return (f"{where}; {self.checkpoint} holds epoch {self.saved_epoch}: "
                    f"{how_to_continue}")
        if self.earlier_epoch is not None:
            return (f"{where}, before this run's first checkpoint; {self.checkpoint} still "
                    f"holds the earlier run (epoch {self.earlier_epoch})")
        return f"{where}, before the first checkpoint: nothing was saved"


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


# ---------------------------------------------------------------------------
# Checking arguments
# ---------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _positive_int(name: str, value: Any) -> int:
    if not _is_int(value) or value <= 0:
        raise TrainingError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _seed(value: Any) -> int:
    if not _is_int(value) or not 0 <= value < 2 ** 64:
        raise TrainingError(f"seed must be an integer from 0 to 2**64 - 1, got {value!r}")
    return int(value)


def _optimizer(model: Module, optimizer: Optimizer | str, lr: float | None) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            raise TrainingError("lr= is for a named optimizer; give your optimizer its "
                                "learning rate instead")
        return optimizer
    if optimizer not in OPTIMIZERS:
        raise TrainingError(f"unknown optimizer {optimizer!r}; give an Optimizer or one of: "
                            f"{', '.join(OPTIMIZERS)}")
    if lr is None:
        lr = DEFAULT_LR[optimizer]
    if not _is_real(lr) or not math.isfinite(lr) or lr <= 0:
        raise TrainingError(f"the learning rate must be a positive number, got {lr!r}")
    if optimizer == "sgd":
        return SGD(model.parameters(), lr=lr, momentum=0.9)
    return OPTIMIZERS[optimizer](model.parameters(), lr=lr)


# ---------------------------------------------------------------------------
# The run folder
# ---------------------------------------------------------------------------

def _prepare_folder(out: str, resume: bool, overwrite: bool) -> None:
    """Refuse a folder fit can't or mustn't write, before any training."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise TrainingError(f"{out} is a file, not a folder; pick a folder for the run")
    checkpoint = os.path.join(out, CHECKPOINT)
    if not resume and not overwrite and os.path.lexists(checkpoint):
        raise TrainingError(f"{out} already holds a run ({checkpoint}); continue it with "
                            "resume=True, start afresh with overwrite=True, or pick another "
                            "folder")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as err:
        raise TrainingError(f"can't create the run folder {out}: {err.strerror}") from None
    real = os.path.realpath(out)
    for name in RUN_FILES:
        path = os.path.join(out, name)
        if os.path.islink(path):
            target = os.path.realpath(path)
            if os.path.commonpath([real, target]) != real:
                raise TrainingError(f"{path} is a symbolic link to {target}, outside the run "
                                    "folder; remove it (a run writes only inside its folder)")
        if os.path.isdir(path):
            raise TrainingError(f"{path} is a folder; a run needs that name for its file")
    probe = os.path.join(out, f".write-test.{secrets.token_hex(8)}.tmp")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_NOFOLLOW", 0), 0o600))
        os.unlink(probe)
    except OSError as err:
        raise TrainingError(f"can't write in the run folder {out}: {err.strerror}") from None
    remove_stale_temp_files(out, RUN_FILES + (".write-test",))


def _damaged(path: str, key: str, expected: str, value: Any) -> TrainingError:
    text = repr(value)
    if len(text) > 60:
        text = text[:60] + "..."
    return TrainingError(f"{path} is damaged: {key} should be {expected}, got {text} "
                         "(was it edited, or written by another program?)")


def load_run(out: str | os.PathLike,
             args: Mapping[str, tuple[str, Callable[[Any], bool]]] | None = None) -> dict:
    """The checkpoint of the run in the folder ``out``, its layout checked.

    ``args`` adds rules for the settings: ``{key: (what it should be, test)}``.
    Raises :class:`TrainingError` naming the file and the damaged key, or saying that
    ``out`` is missing, is a file, or holds no checkpoint.
    """
    out = os.fspath(out)
    if not os.path.lexists(out):
        raise TrainingError(f"no such folder: {out}")
    if not os.path.isdir(out):
        raise TrainingError(f"{out} is a file, not a run folder; give the folder that the "
                            "training wrote")
    path = os.path.join(out, CHECKPOINT)
    try:
        state = load(path)
    except FileNotFoundError:
        raise TrainingError(f"no checkpoint in {out} (expected {path}); nothing has been "
                            "trained there yet") from None
    except ValueError as err:
        raise TrainingError(f"can't read the checkpoint: {err}") from None
    if state.get("kind") != _KIND:
        raise TrainingError(f"{path} is a chainrule file but not a training checkpoint "
                            "(written by something other than chainrule's training)")
    _check_checkpoint(state, path, args or {})
    return state


def _check_checkpoint(state: dict, path: str,
                      rules: Mapping[str, tuple[str, Callable[[Any], bool]]]) -> None:
    for key in ("model", "optimizer", "args", "history", "rng"):
        if not isinstance(state.get(key), dict):
            raise _damaged(path, key, "a dict", state.get(key))
    if state.get("scheduler") is not None and not isinstance(state["scheduler"], dict):
        raise _damaged(path, "scheduler", "a dict or None", state["scheduler"])
    epoch = state.get("epoch")
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise _damaged(path, "epoch", "a whole number of epochs", epoch)
    settings = state["args"]
    every = {"epochs": ("a positive integer", lambda v: _is_int(v) and v > 0),
             "batch_size": ("a positive integer", lambda v: _is_int(v) and v > 0),
             "seed": ("an integer from 0 to 2**64 - 1", lambda v: _is_int(v) and 0 <= v < 2**64),
             **rules}
    for key, (expected, test) in every.items():
        if not test(settings.get(key)):
            raise _damaged(path, f"args.{key}", expected, settings.get(key))
    history = state["history"]
    for key in HISTORY_KEYS:
        values = history.get(key)
        if not isinstance(values, list) or len(values) != epoch:
            raise _damaged(path, f"history.{key}", f"a list of {epoch} numbers", values)
        bad = next((v for v in values if not _is_real(v)), None)
        if bad is not None:
            raise _damaged(path, f"history.{key}", "numbers only", bad)
    if history["epoch"] != list(range(1, epoch + 1)):
        raise _damaged(path, "history.epoch", f"1 ... {epoch}", history["epoch"])
    for key in ("shuffle", "global"):
        try:
            np.random.PCG64().state = state["rng"][key]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise _damaged(path, f"rng.{key}", "a NumPy PCG64 generator state",
                           state["rng"].get(key)) from None


def _restore(model: Module, optimizer: Optimizer, scheduler: LRScheduler | None,
             state: dict, path: str) -> None:
    try:
        model.load_state_dict(state["model"])
    except (RuntimeError, ValueError, TypeError) as err:
        raise TrainingError(f"the checkpoint {path} does not fit the model: "
                            f"{_one_line(err)}") from None
    try:
        optimizer.load_state_dict(state["optimizer"])
    except (KeyError, TypeError, ValueError) as err:
        raise _damaged(path, "optimizer", "the optimizer's state for this model",
                       _one_line(err)) from None
    if (scheduler is None) != (state["scheduler"] is None):
        have = "no scheduler" if scheduler is None else "a scheduler"
        raise TrainingError(f"the run in {path} was trained with"
                            f"{'out' if state['scheduler'] is None else ''} a learning-rate "
                            f"scheduler; resume it with the same (here: {have})")
    if scheduler is not None:
        try:
            scheduler.load_state_dict(state["scheduler"])
        except (KeyError, TypeError, ValueError) as err:
            raise _damaged(path, "scheduler", "the scheduler's state",
                           _one_line(err)) from None


def _one_line(err: BaseException) -> str:
    """An error's message on one line (load_state_dict lists one problem a line)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        return lines[0] + " " + "; ".join(lines[1:])
    return "; ".join(lines)


# ---------------------------------------------------------------------------
# Files of a run: metrics.csv and curves.png, both through atomic_write
# ---------------------------------------------------------------------------

def _write_metrics(history: History, path: str) -> None:
    """Rewrite the CSV from the whole history (so a resumed run has no stale rows)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(list(HISTORY_KEYS))
    for row in zip(*(history[key] for key in HISTORY_KEYS)):
        writer.writerow([row[0], f"{row[1]:.6f}", f"{row[2]:.6f}", f"{row[3]:.6f}",
                         f"{row[4]:.3f}"])
    data = text.getvalue().encode("utf-8")
    atomic_write(path, lambda f: f.write(data))


def _draw_curves(history: History, path: str) -> None:
    """Loss and accuracy per epoch as a PNG; raises ImportError without matplotlib.

    Draws on a bare Figure (no pyplot): a notebook's plotting backend is left alone.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.5))
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(history["epoch"], history["loss"], marker="o")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss")
    ax_loss.set_yscale("log")
    ax_acc.plot(history["epoch"], [100 * a for a in history["train_acc"]], marker="o",
                label="train")
    ax_acc.plot(history["epoch"], [100 * a for a in history["test_acc"]], marker="o",
                label="test")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    ax_acc.legend()
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=100)
    data = png.getvalue()
    atomic_write(path, lambda f: f.write(data))


class _Curves:
    """Redraws curves.png during a run, spending at most about a tenth of the time on it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.cost = 0.0
        self.last = -math.inf
        self.missing = False
        self.drawn = False

    def update(self, history: History, force: bool = False) -> None:
        if self.missing or not history["epoch"]:
            return
        if not self.drawn:  # matplotlib's import (about a second) is not a drawing's cost
            try:
                import matplotlib.figure  # noqa: F401
            except ImportError:
                self.missing = True
                return
        began = time.perf_counter()
        if not force and began - self.last < 10 * self.cost:
            return
        try:
            _draw_curves(history, self.path)
        except ImportError:
            self.missing = True
            return
        self.drawn = True
        self.last = time.perf_counter()
        self.cost = self.last - began


# ---------------------------------------------------------------------------
# Progress and threads
# ---------------------------------------------------------------------------

def _progress(loader: Any, epoch: int, epochs: int, stream: TextIO | None) -> Any:
    """A tqdm bar over the batches when tqdm is installed and ``stream`` is a terminal."""
    if stream is None or not (hasattr(stream, "isatty") and stream.isatty()):
        return loader
    try:
        from tqdm import tqdm
    except ImportError:
        return loader
    return tqdm(loader, desc=f"epoch {epoch}/{epochs}", leave=False, file=stream,
                unit="batch")


def _one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """Limit BLAS to one thread while training, when threadpoolctl is installed.

    The matrices here are small (a batch of 32); a multi-threaded BLAS spends more
    time handing them out than computing, and on a busy machine it is 10x slower.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _say(stream: TextIO | None, text: str) -> None:
    if stream is not None:
        print(text, file=stream, flush=True)


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------

class Evaluation(NamedTuple):
    """What :func:`evaluate` returns: the accuracy, and each sample's prediction and label."""

    accuracy: float
    predictions: np.ndarray
    labels: np.ndarray


def evaluate(model: Module, data: Any, batch_size: int = 512) -> Evaluation:
    """Classify every sample of ``data`` (a dataset of ``(input, label)``) in eval mode.

    The prediction is the arg-max of the model's output; gradients are off. The model
    is put back in training mode afterwards if it was in it.
    """
    was_training = model.training
    model.eval()
    predictions, labels = [], []
    try:
        with no_grad():
            for x, y in DataLoader(data, batch_size=_positive_int("batch_size", batch_size)):
                predictions.append(np.argmax(model(x)._array, axis=1))
                labels.append(y._array if isinstance(y, Tensor) else np.asarray(y))
    finally:
        model.train(was_training)
    pred, true = np.concatenate(predictions), np.concatenate(labels)
    return Evaluation(float(np.mean(pred == true)), pred, true)


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray,
                     num_classes: int | None = None) -> np.ndarray:
    """Counts ``(num_classes, num_classes)``: row = true class, column = predicted class.

    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]))
    array([[1, 0],
           [1, 1]])
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if num_classes is None:
        num_classes = int(max(labels.max(initial=-1), predictions.max(initial=-1))) + 1
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------

def fit(model: Module, train_data: Any, test_data: Any, *, epochs: int, batch_size: int = 32,
        optimizer: Optimizer | str = "adam", lr: float | None = None,
        scheduler: LRScheduler | None = None,
        loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None, seed: int = 0,
        out: str | os.PathLike | None = None, resume: bool = False, overwrite: bool = False,
        progress: bool | TextIO = True, name: str | None = None,
        config: Mapping[str, Any] | None = None, health: Any = None) -> History:
    """Train the classifier ``model`` for ``epochs`` epochs; return the history.

    Args:
        model: maps a batch of inputs to logits ``(N, classes)``.
        train_data, test_data: datasets of ``(input, label)`` pairs (integer labels),
            e.g. the ``TensorDataset``s of :func:`chainrule.data.load_digits`.
        epochs: the total number of epochs (with ``resume``, the new total).
        batch_size: samples per step (default 32); the order is reshuffled every epoch.
            Under ``mpirun -n N`` it is the global batch, split over the N ranks, and the
            run is the one-process run (docs/distributed.md); rank 0 alone prints and
            writes ``out``.
        optimizer: an :class:`~chainrule.optim.Optimizer` over the model's parameters,
            or one of ``"adam"`` (default), ``"adamw"``, ``"sgd"`` (momentum 0.9),
            ``"rmsprop"``, built with learning rate ``lr`` (default 1e-3 for Adam and
            AdamW, 1e-2 for SGD and RMSprop).
        scheduler: a learning-rate scheduler stepped once per epoch, or None.
        loss_fn: ``loss_fn(logits, labels)``; default :class:`~chainrule.nn.CrossEntropyLoss`.
        seed: seeds the shuffling. Dropout and initial weights draw from chainrule's
            global generator: seed it with :func:`chainrule.manual_seed` before
            building the model. Both generators' states go into the checkpoint.
        out: the run folder (checkpoint, metrics.csv, curves.png after every epoch);
            None writes nothing.
        resume: continue the run in ``out`` from its checkpoint (same model, optimizer
            kind, batch size, seed and ``config``).
        overwrite: start afresh in an ``out`` that already holds a run (its files are
            replaced epoch by epoch); without it such a folder is refused.
        progress: True prints one line per epoch on stdout (and a tqdm bar over the
            batches when stdout is a terminal), a text stream prints there, False
            prints nothing.
        name: how the first line names the model (default: its class name).
        config: more settings (JSON-like values) to keep in the checkpoint and to check
            on resume; ``chainrule train`` keeps its command-line options here.
        health: a :class:`chainrule.explain.health.HealthMonitor` that samples the
            layers' health as the model trains; with ``out`` it writes ``health.csv``
            and ``health.json`` every epoch (resumed with the run); its findings are
            printed at the end.

    Returns:
        The history: a dict of lists, one entry per epoch, under :data:`HISTORY_KEYS`
        (the finished epochs of a resumed run included).

    Raises:
        TrainingError: a bad setting, or a folder that can't or mustn't be written,
            before any training; on resume, a checkpoint that is missing, damaged, or
            does not fit the model.
        TrainingInterrupted: Ctrl-C; it says what the checkpoint on disk holds.
    """
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    seed = _seed(seed)
    if resume and overwrite:
        raise TrainingError("resume=True and overwrite=True contradict each other; pick one")
    if resume and out is None:
        raise TrainingError("resume=True needs out=, the folder of the run to continue")
    named = isinstance(optimizer, str)
    opt = _optimizer(model, optimizer, lr)
    settings: dict[str, Any] = {"epochs": epochs, "batch_size": batch_size, "seed": seed}
    if named:
        settings.update(optimizer=optimizer, lr=opt.param_groups[0]["lr"])
    for key, value in (config or {}).items():
        if key == "out" or key in settings and settings[key] != value:
            raise TrainingError(f"config[{key!r}] clashes with fit's own setting {key}")
        settings[key] = value
    stream = sys.stdout if progress is True else (progress or None)
    with _one_blas_thread():
        return _fit(model, train_data, test_data, opt, scheduler, loss_fn or CrossEntropyLoss(),
                    settings, None if out is None else os.fspath(out), resume, overwrite,
                    stream, name or type(model).__name__, health)


def _fit(model: Module, train_data: Any, test_data: Any, optimizer: Optimizer,
         scheduler: LRScheduler | None, loss_fn: Callable[[Tensor, Tensor], Tensor],
         settings: dict, out: str | None, resume: bool, overwrite: bool,
         stream: TextIO | None, name: str, health: Any = None) -> History:
    epochs = settings["epochs"]
    state = None
    ranks = data_parallel_fit()  # None unless this is one of several MPI ranks
    if ranks is not None and ranks.rank != 0:
        stream = None  # rank 0 alone prints (and writes the run folder)
    if out is not None:
        if ranks is not None:  # rank 0 reads and checks the folder, the others hear it
            state = ranks.from_rank0(lambda: _open_folder(out, resume, overwrite),
                                     TrainingError)
        else:
            state = _open_folder(out, resume, overwrite)
        settings["out"] = out
    checkpoint = None if out is None else os.path.join(out, CHECKPOINT)
    shuffle_rng = np.random.default_rng(settings["seed"])
    loader = DataLoader(train_data, batch_size=settings["batch_size"], shuffle=True,
                        generator=shuffle_rng)
    history: History = {key: [] for key in HISTORY_KEYS}
    start_epoch = 0
    if state is not None:
        assert checkpoint is not None
        _check_same_settings(settings, state["args"], checkpoint)
        _restore(model, optimizer, scheduler, state, checkpoint)
        shuffle_rng.bit_generator.state = state["rng"]["shuffle"]
        default_generator().bit_generator.state = state["rng"]["global"]
        history = {key: list(state["history"][key]) for key in HISTORY_KEYS}
        start_epoch = state["epoch"]
        if start_epoch >= epochs:
            _say(stream, f"{out} has already trained {_epochs(start_epoch)}; ask for more "
                         f"with epochs=N (N > {start_epoch})")
            return history
        _say(stream, f"resuming {out} after epoch {start_epoch}")

    n_params = sum(p.numel() for p in model.parameters())
    lr = optimizer.param_groups[0].get("initial_lr", optimizer.param_groups[0]["lr"])
    _say(stream, f"training {name} ({n_params:,} parameters): {len(train_data)} train / "
                 f"{len(test_data)} test samples, {type(optimizer).__name__.lower()} "
                 f"lr={lr:g}, batch {settings['batch_size']}, {_epochs(epochs)}"
                 + (f" -> {out}" if out is not None else ""))
    curves = None if out is None else _Curves(os.path.join(out, CURVES))
    net: Module = model
    if ranks is not None:
        from .nn.parallel import DistributedDataParallel

        net = model if isinstance(model, DistributedDataParallel) else \
            DistributedDataParallel(model)
        curves = curves if ranks.rank == 0 else None  # only rank 0 saves (curves gate it)
        per_rank = settings["batch_size"] / ranks.size
        _say(stream, f"data parallel on {ranks.size} ranks: global batch "
                     f"{settings['batch_size']} ({per_rank:g} samples per rank)")
    saved = start_epoch if state is not None else None  # the epoch this run has on disk
    epoch = start_epoch
    if health is not None:
        health.start(model, loss_fn, out, step=start_epoch * len(loader))
    try:
        for epoch in range(start_epoch + 1, epochs + 1):
            began = time.perf_counter()
            total_loss, correct, seen = 0.0, 0, 0
            model.train()
            batches = loader if ranks is None else ranks.batches(loader)
            for x, y in _progress(batches, epoch, epochs, stream):
                optimizer.zero_grad()
                if ranks is not None:  # this rank's share of the global batch
                    with ranks.forward(len(y)):
                        logits = net(x)
                    loss = loss_fn(logits, y)
                    ranks.backward(loss)
                    optimizer.step()
                    tally = ranks.tally(loss, logits, y)
                    total_loss, correct, seen = (total_loss + tally[0], correct + tally[1],
                                                 seen + tally[2])
                    continue
                logits = model(x)
                loss = loss_fn(logits, y)
                loss.backward()
                if health is not None:
                    health.after_backward(loss, x, y)
                optimizer.step()
                total_loss += loss.item() * len(y)
                correct += int(np.sum(np.argmax(logits._array, axis=1) == y._array))
                seen += len(y)
            if scheduler is not None:
                scheduler.step()
            if ranks is not None:  # the same numbers on every rank
                summed = ranks.sum(total_loss, correct, seen)
                total_loss, correct, seen = summed[0], int(summed[1]), int(summed[2])
                test_acc = ranks.accuracy(evaluate, getattr(net, "module", model), test_data)
            else:
                test_acc = evaluate(model, test_data).accuracy
            seconds = time.perf_counter() - began
            for key, value in (("epoch", epoch), ("loss", total_loss / seen),
                               ("train_acc", correct / seen), ("test_acc", test_acc),
                               ("seconds", seconds)):
                history[key].append(value)
            if checkpoint is not None and curves is not None:
                save({"kind": _KIND, "model": model.state_dict(),
                      "optimizer": optimizer.state_dict(),
                      "scheduler": None if scheduler is None else scheduler.state_dict(),
                      "epoch": epoch,
                      "rng": {"shuffle": shuffle_rng.bit_generator.state,
                              "global": default_generator().bit_generator.state},
                      "args": settings, "history": history}, checkpoint)
                saved = epoch
                _write_metrics(history, os.path.join(os.path.dirname(checkpoint), METRICS))
                curves.update(history, force=epoch == start_epoch + 1)
                if health is not None:
                    health.write()
            _say(stream, f"epoch {epoch:3d}/{epochs}  loss {total_loss / seen:.4f}  "
                         f"train {100 * correct / seen:6.2f}%  test {100 * test_acc:6.2f}%  "
                         f"{seconds:5.2f}s")
    except KeyboardInterrupt:
        if health is not None:
            health.close()
            if out is not None:
                with contextlib.suppress(OSError):
                    health.write()
        raise _interrupted(epoch, saved, checkpoint, curves, history) from None
    if health is not None:
        health.close()
        health.report(stream)

    total = sum(history["seconds"])
    _say(stream, f"done: test accuracy {100 * history['test_acc'][-1]:.2f}% after "
                 f"{_epochs(history['epoch'][-1])} ({total:.1f}s of training)")
    if curves is not None:
        curves.update(history, force=True)
        if curves.missing:
            _say(stream, f"matplotlib is not installed: no {CURVES} (pip install matplotlib)")
        elif curves.drawn:
            _say(stream, f"curves: {curves.path}")
    return history


def _open_folder(out: str, resume: bool, overwrite: bool) -> dict | None:
    """The checkpoint to resume (or None), after checking the folder can be written."""
    state = load_run(out) if resume else None
    _prepare_folder(out, resume, overwrite)
    return state


def _check_same_settings(settings: dict, saved: dict, path: str) -> None:
    for key, value in settings.items():
        if key in ("epochs", "out"):
            continue
        if key not in saved or saved[key] != value:
            was = saved.get(key, "nothing")
            raise TrainingError(f"{key}={value!r} differs from the checkpoint's {was!r} "
                                f"({path}); resume with the run's own settings")


def _interrupted(epoch: int, saved: int | None, checkpoint: str | None,
                 curves: _Curves | None, history: History) -> TrainingInterrupted:
    """What Ctrl-C left: read the epoch back from disk (a save may have been cut short)."""
    on_disk = None
    if checkpoint is not None and os.path.isfile(checkpoint):
        try:
            on_disk = int(load(checkpoint)["epoch"])
        except (ValueError, KeyError, TypeError):
            on_disk = None
    if curves is not None and history["epoch"]:
        with contextlib.suppress(OSError):
            curves.update(history, force=True)
    if saved is None:
        return TrainingInterrupted(epoch, None, checkpoint, on_disk, history)
    return TrainingInterrupted(epoch, on_disk, checkpoint, None, history)

