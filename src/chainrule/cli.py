"""The ``chainrule`` command: ``train``, ``evaluate``, ``report`` and ``explain``.

``chainrule train`` trains a small network on the bundled 8x8 digits with
:func:`chainrule.train.fit`, which writes to the output folder (``runs/<model>`` by
default), atomically, after every epoch: ``checkpoint.npz`` (so an interrupted run
loses at most one epoch and ``chainrule train --out DIR --resume`` continues it),
``metrics.csv`` (one row per epoch) and ``curves.png`` (loss and accuracy; needs
matplotlib), redrawn as the run goes and at its end.
``chainrule evaluate DIR`` prints the test accuracy and a confusion matrix.
``chainrule train --health`` samples each layer's health (``health.csv``, findings at the
end); ``chainrule report DIR`` writes ``DIR/report.html``, which ``train`` also writes at
the end of a run and after an interruption.
``python -m chainrule`` is the same command. This module is the argument parsing
and one call per subcommand; the work is done in :mod:`chainrule.train`.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._console import EXIT_INTERRUPTED, run_command
from ._console import OneLineParser as _Parser

__all__ = ["main", "build_model"]

MODELS = ("mlp", "cnn")
DATASETS = ("digits",)
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
# Defaults chosen so that `chainrule train` reaches its accuracy target (97% mlp, 98%
# cnn) in well under a minute on one core; docs/training.md has the measurements.
DEFAULT_EPOCHS = {"mlp": 60, "cnn": 20}
DEFAULT_LR = {"mlp": 3e-3, "cnn": 2e-3}
SGD_LR_FACTOR = 10  # plain SGD (momentum 0.9) wants a larger step than the adaptive rules
# The learning rate halves every STEP_EPOCHS[model] epochs (StepLR, gamma 0.5): a schedule
# that depends only on the epoch, so a resumed run follows the same one.
STEP_EPOCHS = {"mlp": 12, "cnn": 5}
DEFAULT_BATCH_SIZE = 32
DEFAULT_SEED = 0
TEST_SIZE = 0.2


class CLIError(Exception):
    """A problem the user can fix; printed as one line on stderr, exit status 2."""


# ---------------------------------------------------------------------------
# Models, data, optimizers
# ---------------------------------------------------------------------------

def _standardize_class() -> type:
    from . import nn
    from .tensor import Tensor

    class Standardize(nn.Module):
        """``(x - mean) / scale`` per pixel, with ``mean`` and ``scale`` fixed buffers
        measured on the training images (part of the model, so saved with it)."""

        def __init__(self, shape: tuple) -> None:
            super().__init__()
            self.register_buffer("mean", Tensor(np.zeros(shape, np.float32)))
            self.register_buffer("scale", Tensor(np.ones(shape, np.float32)))

        def fit(self, images: np.ndarray) -> None:
            """Measure the per-pixel mean and spread; +0.1 keeps blank pixels finite."""
            self.mean._array[...] = images.mean(axis=0)
            self.scale._array[...] = images.std(axis=0) + 0.1

        def forward(self, x: Any) -> Any:
            return (x - self.mean) / self.scale

        def extra_repr(self) -> str:
            return f"shape={tuple(self.mean.shape)}"

    return Standardize


def build_model(name: str) -> Any:
    """The network for ``--model``; both take images ``(N, 1, 8, 8)`` and give 10 logits.

    ``mlp``: standardize, 64 -> 512 (ReLU, dropout 0.3) -> 10.
    ``cnn``: standardize, two 3x3 convolutions with 32 channels (ReLU), 2x2 max pooling,
    then 512 -> 128 -> 10 with dropout 0.3.

    >>> import chainrule as cr
    >>> build_model("cnn")(cr.zeros(2, 1, 8, 8)).shape
    (2, 10)
    """
    from . import nn

    standardize = _standardize_class()((1, 8, 8))
    if name == "mlp":
        return nn.Sequential(
            standardize, nn.Flatten(),
            nn.Linear(64, 512), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(512, 10),
        )
    if name == "cnn":
        return nn.Sequential(
            standardize,
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),                                   # 32 x 4 x 4
            nn.Flatten(), nn.Dropout(0.3),
            nn.Linear(512, 128), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(128, 10),
        )
    raise CLIError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")


def _datasets(name: str, seed: int, limit: int | None) -> tuple:
    if name != "digits":
        raise CLIError(f"unknown dataset {name!r}; available: {', '.join(DATASETS)}")
    from .data import Subset, load_digits

    train, test = load_digits(test_size=TEST_SIZE, seed=seed)
    if limit is not None:
        return Subset(train, range(min(limit, len(train)))), test
    return train, test


def _optimizer(name: str, params: Any, lr: float) -> Any:
    from . import optim

    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    if name == "adamw":
        return optim.AdamW(params, lr=lr)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr)
    raise CLIError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")


def _is_positive_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


# What a run folder's settings must be, checked when a checkpoint is read back.
_SETTINGS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "model": (f"one of {', '.join(MODELS)}", lambda v: v in MODELS),
    "dataset": (f"one of {', '.join(DATASETS)}", lambda v: v in DATASETS),
    "optimizer": (f"one of {', '.join(OPTIMIZERS)}", lambda v: v in OPTIMIZERS),
    "lr": ("a positive number", _is_positive_number),
    "limit": ("a positive integer or None", lambda v: v is None or (
        isinstance(v, int) and not isinstance(v, bool) and v > 0)),
}


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------

def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2 ** 64:
        raise argparse.ArgumentTypeError(f"the seed must be from 0 to 2**64 - 1, got {text}")
    return value


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"the learning rate must be a positive number, got {text}")
    return value


def _choice(options: Sequence[str], what: str):
    def parse(text: str) -> str:
        if text not in options:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {text!r}; choose one of: {', '.join(options)}")
        return text

    parse.__name__ = what
    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chainrule",
                     description="Backpropagation on NumPy: train and look inside small "
                                 "networks.")
    parser.add_argument("--version", action="version", version=f"chainrule {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    t = sub.add_parser("train", help="train a network on the bundled digits",
                       description="Train a network; the checkpoint and metrics go to --out "
                                   "after every epoch, and the curves (curves.png) as the "
                                   "run goes and at its end.")
    t.add_argument("--model", type=_choice(MODELS, "model"),
                   help="mlp (default) or cnn")
    t.add_argument("--dataset", type=_choice(DATASETS, "dataset"),
                   help="digits: the bundled 8x8 handwritten digits (default)")
    t.add_argument("--epochs", type=_positive_int,
                   help=f"total epochs (default {DEFAULT_EPOCHS['mlp']} for mlp, "
                        f"{DEFAULT_EPOCHS['cnn']} for cnn; with --resume, the new total)")
    t.add_argument("--batch-size", type=_positive_int,
                   help=f"default {DEFAULT_BATCH_SIZE}")
    t.add_argument("--lr", type=_learning_rate,
                   help=f"initial learning rate, halved every {STEP_EPOCHS['mlp']} (mlp) or "
                        f"{STEP_EPOCHS['cnn']} (cnn) epochs (default {DEFAULT_LR['mlp']:g} "
                        f"for mlp, {DEFAULT_LR['cnn']:g} for cnn; {SGD_LR_FACTOR}x that "
                        "for sgd)")
    t.add_argument("--optimizer", type=_choice(OPTIMIZERS, "optimizer"),
                   help="adam (default), adamw, sgd (momentum 0.9) or rmsprop")
    t.add_argument("--seed", type=_seed, help=f"seeds the split, init and shuffling "
                                            f"(default {DEFAULT_SEED})")
    t.add_argument("--out", metavar="DIR", help="output folder (default runs/<model>)")
    t.add_argument("--resume", action="store_true",
                   help="continue the run whose checkpoint is in --out")
    t.add_argument("--overwrite", action="store_true",
                   help="start afresh even if --out already holds a run (its checkpoint "
                        "is replaced)")
    t.add_argument("--limit", type=_positive_int, metavar="N",
                   help="train on the first N training images only (quick checks)")
    t.add_argument("--health", type=_positive_int, nargs="?", const=10, metavar="K",
                   help="sample each layer's health every K steps (default 10): "
                        "health.csv in --out, findings printed and in report.html")

    r = sub.add_parser("report", help="write RUN_FOLDER/report.html, a page that shows a run",
                       description="Write report.html into a run folder: settings, curves, "
                                   "confusion matrix, layers, health over time, findings "
                                   "and the computation graph; one file, readable offline.")
    r.add_argument("dir", metavar="RUN_FOLDER", help="a folder written by chainrule train")

    e = sub.add_parser("evaluate", help="test accuracy and confusion matrix of a trained run",
                       description="Print the test accuracy and the confusion matrix of the "
                                   "checkpoint in DIR.")
    e.add_argument("dir", metavar="DIR", help="a folder written by chainrule train")

    sub.add_parser("explain", help="see backprop: graphs, adjoint tables, Jacobians",
                   add_help=False, prefix_chars="\0")
    return parser


def _version() -> str:
    from . import __version__

    return __version__


# ---------------------------------------------------------------------------
# train
# ---------------------------------------------------------------------------

def _resolve(args: argparse.Namespace) -> dict:
    """The run's settings: the checkpoint's when resuming, else the defaults filled in."""
    from .train import CHECKPOINT, load_run

    given = {"model": args.model, "dataset": args.dataset, "batch_size": args.batch_size,
             "lr": args.lr, "optimizer": args.optimizer, "seed": args.seed,
             "limit": args.limit}
    if args.resume:
        out = args.out or os.path.join("runs", args.model or "mlp")
        state = load_run(out, _SETTINGS)
        settings = dict(state["args"])
        for key, value in given.items():
            if value is not None and value != settings.get(key):
                flag = "--" + key.replace("_", "-")
                raise CLIError(f"{flag} {value} differs from the checkpoint's "
                               f"{settings.get(key)}; leave it out when resuming")
        settings["epochs"] = args.epochs or settings["epochs"]
        settings["out"] = out
        return {"settings": settings, "epoch": state["epoch"]}
    settings = {
        "model": args.model or "mlp",
        "dataset": args.dataset or "digits",
        "optimizer": args.optimizer or "adam",
        "batch_size": args.batch_size or DEFAULT_BATCH_SIZE,
        "seed": DEFAULT_SEED if args.seed is None else args.seed,
        "limit": args.limit,
    }
    settings["epochs"] = args.epochs or DEFAULT_EPOCHS[settings["model"]]
    settings["lr"] = args.lr or DEFAULT_LR[settings["model"]] * (
        SGD_LR_FACTOR if settings["optimizer"] == "sgd" else 1)
    settings["out"] = args.out or os.path.join("runs", settings["model"])
    existing = os.path.join(settings["out"], CHECKPOINT)
    if os.path.lexists(existing) and not args.overwrite:
        raise CLIError(f"{settings['out']} already holds a run ({existing}); continue it with "
                       "--resume, start afresh with --overwrite, or pick another --out")
    return {"settings": settings, "epoch": None}


def train(args: argparse.Namespace) -> int:
    """Run ``chainrule train``; returns the exit status.

    Started by ``mpirun -n N`` (or ``srun``), it is one of N data-parallel ranks
    (:func:`_train_on_ranks`).
    """
    from .distributed.process_group import launched_world_size

    if launched_world_size() > 1:
        return _train_on_ranks(args)
    return _train(args)


def _train_on_ranks(args: argparse.Namespace) -> int:
    """``chainrule train`` as one rank of an MPI job: rank 0 alone prints and writes; a
    rank that fails (an error, Ctrl-C) ends every rank at once with one line naming it,
    so that no rank is left waiting for the others."""
    from . import distributed as dist
    from .train import TrainingError

    dist.init_process_group("mpi")
    if dist.get_rank() != 0:
        sys.stdout = open(os.devnull, "w")  # for the life of the process
    try:
        status = _train(args)
    except (CLIError, TrainingError) as err:
        if dist.get_rank() != 0:
            # a mistake in the options or the folder fails every rank alike: give rank 0
            # a moment to report it alone (its abort ends this rank too)
            time.sleep(1.0)
        dist.abort(f"chainrule train: error: {err}", 2)
        return 2
    if status != 0:
        dist.abort(f"chainrule train: ended with status {status}", status)
    return status


def _train(args: argparse.Namespace) -> int:
    import chainrule as cr

    from .data import DataLoader
    from .optim.lr_scheduler import StepLR
    from .train import TrainingInterrupted, fit

    run = _resolve(args)
    settings = run["settings"]
    out = settings["out"]
    if run["epoch"] is not None and run["epoch"] >= settings["epochs"]:
        print(f"{out} has already trained {_epochs(run['epoch'])}; ask for more with "
              f"--epochs N (N > {run['epoch']})")
        return 0
    cr.manual_seed(settings["seed"])
    train_set, test_set = _datasets(settings["dataset"], settings["seed"], settings["limit"])
    model = build_model(settings["model"])
    model[0].fit(next(iter(DataLoader(train_set, batch_size=len(train_set))))[0]._array)
    optimizer = _optimizer(settings["optimizer"], model.parameters(), settings["lr"])
    scheduler = StepLR(optimizer, step_size=STEP_EPOCHS[settings["model"]], gamma=0.5)
    config = {key: settings[key] for key in ("model", "dataset", "optimizer", "lr", "limit")}
    health = None
    if args.health:
        from .explain.health import HealthMonitor

        health = HealthMonitor(every=args.health)
    try:
        fit(model, train_set, test_set, epochs=settings["epochs"],
            batch_size=settings["batch_size"], optimizer=optimizer, scheduler=scheduler,
            seed=settings["seed"], out=out, resume=args.resume, overwrite=args.overwrite,
            name=f"{settings['model']} on {settings['dataset']}", config=config,
            health=health)
    except TrainingInterrupted as stop:
        how = f"continue with: chainrule train --out {out} --resume"
        print(f"\n{stop.describe(how)}", file=sys.stderr)
        if stop.saved_epoch is not None:
            _write_report(out, model, test_set, sys.stdout)
        return EXIT_INTERRUPTED
    _write_report(out, model, test_set, sys.stdout)
    return 0


def _write_report(out: str, model: Any, test_set: Any, stream: Any) -> None:
    """Write the run's report.html and say where; a failure to draw it is one line."""
    from .explain.report import write_report

    try:
        path = write_report(out, model, test_set)
    except Exception as err:  # noqa: BLE001 - the run itself is saved; say why, in one line
        print(f"chainrule: could not write the report: {type(err).__name__}: {err}",
              file=sys.stderr)
        return
    print(f"report: {path}", file=stream, flush=True)


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def report(args: argparse.Namespace) -> int:
    """Run ``chainrule report RUN_FOLDER``; returns the exit status."""
    model, test_set = _trained_model(args.dir)
    _write_report(args.dir, model, test_set, sys.stdout)
    return 0


# ---------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------

def evaluate(args: argparse.Namespace) -> int:
    """Run ``chainrule evaluate DIR``; returns the exit status."""
    from .train import confusion_matrix, evaluate, load_run

    state = load_run(args.dir, _SETTINGS)
    settings = state["args"]
    model, test_set = _trained_model(args.dir, state)
    result = evaluate(model, test_set)
    n = len(result.labels)
    print(f"{settings['model']} after {_epochs(state['epoch'])}: test accuracy "
          f"{100 * result.accuracy:.2f}% ({int(np.sum(result.predictions == result.labels))}"
          f"/{n})")
    classes = 10
    matrix = confusion_matrix(result.labels, result.predictions, classes)
    print("confusion matrix (rows: true digit, columns: predicted digit)")
    print("     " + "".join(f"{c:>5d}" for c in range(classes)))
    for c in range(classes):
        print(f"{c:>5d}" + "".join(f"{v:>5d}" for v in matrix[c]))
    return 0


def _trained_model(folder: str, state: dict | None = None) -> tuple:
    """The model of the run in ``folder`` with its checkpoint's weights, and its test set."""
    from .train import TrainingError, _one_line, load_run

    if state is None:
        state = load_run(folder, _SETTINGS)
    settings = state["args"]
    _, test_set = _datasets(settings["dataset"], settings["seed"], None)
    model = build_model(settings["model"])
    try:
        model.load_state_dict(state["model"])
    except (RuntimeError, ValueError, TypeError) as err:
        raise TrainingError(f"the checkpoint in {folder} does not fit its own model: "
                            f"{_one_line(err)}") from None
    return model, test_set


# ---------------------------------------------------------------------------
# explain (written elsewhere; imported only when asked for)
# ---------------------------------------------------------------------------

def _explain(argv: list[str]) -> int:
    try:
        import importlib

        module = importlib.import_module("chainrule.explain.cli")
    except ModuleNotFoundError as err:
        if err.name not in ("chainrule.explain", "chainrule.explain.cli"):
            raise
        print("chainrule explain: error: this chainrule has no chainrule.explain.cli "
              "module, so the explain command is not available", file=sys.stderr)
        return 2
    parser = _Parser(prog="chainrule explain",
                     description="See backprop: graphs, adjoint tables, Jacobians.")
    module.add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, or a bad argument (already reported)
        return int(stop.code or 0)
    return int(module.run(args) or 0)


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """The ``chainrule`` console script; returns the exit status.

    >>> main(["train", "--lr", "-1"])
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "explain":
        return run_command("chainrule explain", lambda: _explain(argv[1:]))
    return run_command("chainrule", lambda: _main(argv))


def _main(argv: list[str]) -> int:
    from .train import TrainingError, _one_blas_thread

    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    try:
        if args.command == "train":
            return train(args)
        with _one_blas_thread():
            if args.command == "report":
                return report(args)
            return evaluate(args)
    except (CLIError, TrainingError) as err:
        print(f"chainrule {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # the reader of stdout has gone: run_command ends quietly
    except OSError as err:
        print(f"chainrule {args.command}: error: {err.strerror or err}: "
              f"{err.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
