"""The ``chainrule`` command: ``train``, ``evaluate`` and ``explain``.

``chainrule train`` trains a small network on the bundled 8x8 digits and writes to
its output folder (``runs/<model>`` by default), after every epoch:

- ``checkpoint.npz``: model and optimizer state, the epoch, the random generators'
  state and the arguments, written atomically, so an interrupted run loses at most
  one epoch and ``chainrule train --out DIR --resume`` continues it;
- ``metrics.csv``: one row per epoch (loss, train and test accuracy, seconds);

and at the end ``curves.png``, the loss and accuracy curves (needs matplotlib).
``chainrule evaluate DIR`` prints the test accuracy and a confusion matrix.
``python -m chainrule`` is the same command.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from typing import Any, Sequence, TextIO

import numpy as np

__all__ = ["main", "build_model", "train", "evaluate"]

CHECKPOINT = "checkpoint.npz"
METRICS = "metrics.csv"
CURVES = "curves.png"
_KIND = "chainrule.train.checkpoint"

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
            self.mean.data[...] = images.mean(axis=0)
            self.scale.data[...] = images.std(axis=0) + 0.1

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
        train = Subset(train, range(min(limit, len(train))))
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


# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (no usage block), exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    t = sub.add_parser("train", help="train a network on the bundled digits",
                       description="Train a network; checkpoint, metrics and curves go to "
                                   "--out after every epoch.")
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
    t.add_argument("--seed", type=int, help=f"seeds the split, init and shuffling "
                                            f"(default {DEFAULT_SEED})")
    t.add_argument("--out", metavar="DIR", help="output folder (default runs/<model>)")
    t.add_argument("--resume", action="store_true",
                   help="continue the run whose checkpoint is in --out")
    t.add_argument("--overwrite", action="store_true",
                   help="start afresh even if --out already holds a run (its checkpoint "
                        "is replaced)")
    t.add_argument("--limit", type=_positive_int, metavar="N",
                   help="train on the first N training images only (quick checks)")

    e = sub.add_parser("evaluate", help="test accuracy and confusion matrix of a trained run",
                       description="Print the test accuracy and the confusion matrix of the "
                                   "checkpoint in DIR.")
    e.add_argument("dir", metavar="DIR", help="a folder written by chainrule train")

    sub.add_parser("explain", help="see backprop: graphs, adjoint tables, Jacobians",
                   add_help=False, prefix_chars="\0")
    return parser


# ---------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------

def _load_checkpoint(directory: str) -> dict:
    from .io import load

    path = os.path.join(directory, CHECKPOINT)
    if not os.path.isdir(directory):
        raise CLIError(f"no such folder: {directory}")
    try:
        state = load(path)
    except FileNotFoundError:
        raise CLIError(f"no checkpoint in {directory} (expected {path}); "
                       "train first with chainrule train --out DIR") from None
    except (ValueError, RuntimeError) as err:
        raise CLIError(f"can't read the checkpoint: {err}") from None
    needed = {"kind", "model", "optimizer", "scheduler", "epoch", "args", "rng", "history"}
    if state.get("kind") != _KIND or not needed <= set(state):
        raise CLIError(f"{path} is a chainrule file but not a training checkpoint "
                       "(written by something other than chainrule train)")
    return state


def _resolve(args: argparse.Namespace) -> dict:
    """The run's settings: the checkpoint's when resuming, else the defaults filled in."""
    given = {"model": args.model, "dataset": args.dataset, "batch_size": args.batch_size,
             "lr": args.lr, "optimizer": args.optimizer, "seed": args.seed,
             "limit": args.limit}
    if args.resume:
        out = args.out or os.path.join("runs", args.model or "mlp")
        state = _load_checkpoint(out)
        settings = dict(state["args"])
        for key, value in given.items():
            if value is not None and value != settings.get(key):
                flag = "--" + key.replace("_", "-")
                raise CLIError(f"{flag} {value} differs from the checkpoint's "
                               f"{settings.get(key)}; leave it out when resuming")
        settings["epochs"] = args.epochs or settings["epochs"]
        settings["out"] = out
        return {"settings": settings, "state": state}
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
    if os.path.exists(existing) and not args.overwrite:
        raise CLIError(f"{settings['out']} already holds a run ({existing}); continue it with "
                       "--resume, start afresh with --overwrite, or pick another --out")
    return {"settings": settings, "state": None}


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------

def _accuracy_and_predictions(model: Any, dataset: Any) -> tuple[float, np.ndarray, np.ndarray]:
    from .data import DataLoader
    from .graph import no_grad

    model.eval()
    predictions, labels = [], []
    with no_grad():
        for x, y in DataLoader(dataset, batch_size=512):
            predictions.append(np.argmax(model(x).data, axis=1))
            labels.append(y.data)
    model.train()
    predictions, labels = np.concatenate(predictions), np.concatenate(labels)
    return float(np.mean(predictions == labels)), predictions, labels


def _progress(loader: Any, epoch: int, epochs: int, stream: TextIO) -> Any:
    """A tqdm bar over the batches when tqdm is installed and ``stream`` is a terminal."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return loader
    try:
        from tqdm import tqdm
    except ImportError:
        return loader
    return tqdm(loader, desc=f"epoch {epoch}/{epochs}", leave=False, file=stream,
                unit="batch")


def _one_blas_thread() -> Any:
    """Limit BLAS to one thread while training, when threadpoolctl is installed.

    The matrices here are small (a batch of 32); a multi-threaded BLAS spends more
    time handing them out than computing, and on a busy machine it is 10x slower.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def train(args: argparse.Namespace, stream: TextIO | None = None) -> int:
    """Run ``chainrule train``; returns the exit status."""
    with _one_blas_thread():
        return _train(args, stream)


def _train(args: argparse.Namespace, stream: TextIO | None) -> int:
    import chainrule as cr
    from . import nn
    from .data import DataLoader
    from .io import save
    from .optim.lr_scheduler import StepLR
    from .creation import default_generator

    stream = stream or sys.stdout
    run = _resolve(args)
    settings, state = run["settings"], run["state"]
    out = settings["out"]

    cr.manual_seed(settings["seed"])
    train_set, test_set = _datasets(settings["dataset"], settings["seed"], settings["limit"])
    model = build_model(settings["model"])
    model[0].fit(next(iter(DataLoader(train_set, batch_size=len(train_set))))[0].data)
    optimizer = _optimizer(settings["optimizer"], model.parameters(), settings["lr"])
    scheduler = StepLR(optimizer, step_size=STEP_EPOCHS[settings["model"]], gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    shuffle_rng = np.random.default_rng(settings["seed"])
    loader = DataLoader(train_set, batch_size=settings["batch_size"], shuffle=True,
                        generator=shuffle_rng)
    history: dict[str, list] = {"epoch": [], "loss": [], "train_acc": [], "test_acc": [],
                                "seconds": []}
    start_epoch = 0
    if state is not None:
        try:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
        except (RuntimeError, ValueError, KeyError) as err:
            raise CLIError(f"the checkpoint in {out} does not fit its own model: "
                           f"{str(err).splitlines()[0]}") from None
        shuffle_rng.bit_generator.state = state["rng"]["shuffle"]
        default_generator().bit_generator.state = state["rng"]["global"]
        history = {key: list(values) for key, values in state["history"].items()}
        start_epoch = int(state["epoch"])
        if start_epoch >= settings["epochs"]:
            print(f"{out} has already trained {start_epoch} epochs; ask for more with "
                  f"--epochs N (N > {start_epoch})", file=stream)
            return 0
        print(f"resuming {out} after epoch {start_epoch}", file=stream)

    os.makedirs(out, exist_ok=True)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"training {settings['model']} ({n_params:,} parameters) on {settings['dataset']}: "
          f"{len(train_set)} train / {len(test_set)} test images, {settings['optimizer']} "
          f"lr={settings['lr']:g}, batch {settings['batch_size']}, {settings['epochs']} "
          f"epochs -> {out}", file=stream)

    epoch = start_epoch
    try:
        for epoch in range(start_epoch + 1, settings["epochs"] + 1):
            began = time.perf_counter()
            total_loss, correct, seen = 0.0, 0, 0
            model.train()
            for x, y in _progress(loader, epoch, settings["epochs"], stream):
                optimizer.zero_grad()
                logits = model(x)
                loss = loss_fn(logits, y)
                loss.backward()
                optimizer.step()
                total_loss += loss.item() * len(y)
                correct += int(np.sum(np.argmax(logits.data, axis=1) == y.data))
                seen += len(y)
            scheduler.step()
            test_acc, _, _ = _accuracy_and_predictions(model, test_set)
            seconds = time.perf_counter() - began
            for key, value in (("epoch", epoch), ("loss", total_loss / seen),
                               ("train_acc", correct / seen), ("test_acc", test_acc),
                               ("seconds", seconds)):
                history[key].append(value)
            save({"kind": _KIND, "model": model.state_dict(),
                  "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                  "epoch": epoch,
                  "rng": {"shuffle": shuffle_rng.bit_generator.state,
                          "global": default_generator().bit_generator.state},
                  "args": settings, "history": history},
                 os.path.join(out, CHECKPOINT))
            _write_metrics(history, os.path.join(out, METRICS))
            print(f"epoch {epoch:3d}/{settings['epochs']}  loss {total_loss / seen:.4f}  "
                  f"train {100 * correct / seen:6.2f}%  test {100 * test_acc:6.2f}%  "
                  f"{seconds:5.2f}s", file=stream, flush=True)
    except KeyboardInterrupt:
        done = history["epoch"][-1] if history["epoch"] else 0
        print(f"\ninterrupted in epoch {epoch}; {out}/{CHECKPOINT} holds epoch {done}. "
              f"Continue with: chainrule train --out {out} --resume", file=sys.stderr)
        return 130

    total = sum(history["seconds"])
    print(f"done: test accuracy {100 * history['test_acc'][-1]:.2f}% after "
          f"{history['epoch'][-1]} epochs ({total:.1f}s of training)", file=stream)
    _plot(history, os.path.join(out, CURVES), stream)
    return 0


def _write_metrics(history: dict, path: str) -> None:
    """Rewrite the CSV from the whole history (so a resumed run has no stale rows)."""
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", "loss", "train_acc", "test_acc", "seconds"])
        for row in zip(history["epoch"], history["loss"], history["train_acc"],
                       history["test_acc"], history["seconds"]):
            writer.writerow([row[0], f"{row[1]:.6f}", f"{row[2]:.6f}", f"{row[3]:.6f}",
                             f"{row[4]:.3f}"])
    os.replace(tmp, path)


def _plot(history: dict, path: str, stream: TextIO) -> None:
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no curves.png (pip install matplotlib)",
              file=stream)
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
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
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"curves: {path}", file=stream)


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------

def evaluate(args: argparse.Namespace, stream: TextIO | None = None) -> int:
    """Run ``chainrule evaluate DIR``; returns the exit status."""
    stream = stream or sys.stdout
    state = _load_checkpoint(args.dir)
    settings = state["args"]
    _, test_set = _datasets(settings["dataset"], settings["seed"], None)
    model = build_model(settings["model"])
    try:
        model.load_state_dict(state["model"])
    except (RuntimeError, ValueError) as err:
        raise CLIError(f"the checkpoint in {args.dir} does not fit its own model: "
                       f"{str(err).splitlines()[0]}") from None
    accuracy, predictions, labels = _accuracy_and_predictions(model, test_set)
    n = len(labels)
    print(f"{settings['model']} after {state['epoch']} epochs: test accuracy "
          f"{100 * accuracy:.2f}% ({int(round(accuracy * n))}/{n})", file=stream)
    classes = 10
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    print("confusion matrix (rows: true digit, columns: predicted digit)", file=stream)
    print("     " + "".join(f"{c:>5d}" for c in range(classes)), file=stream)
    for c in range(classes):
        print(f"{c:>5d}" + "".join(f"{v:>5d}" for v in matrix[c]), file=stream)
    return 0


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
        return _explain(argv[1:])
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    try:
        if args.command == "train":
            return train(args)
        with _one_blas_thread():
            return evaluate(args)
    except CLIError as err:
        print(f"chainrule {args.command}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"chainrule {args.command}: error: {err.strerror or err}: "
              f"{err.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
