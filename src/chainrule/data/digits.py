"""The bundled 8x8 handwritten digits: 1,797 images of 0-9, no download needed.

The data (UCI ML hand-written digits, via scikit-learn; see DIGITS_LICENSE.txt beside
this file) ships inside the package as ``digits.npz``.

>>> from chainrule.data import load_digits
>>> train, test = load_digits()
>>> len(train), len(test)
(1437, 360)
>>> x, y = train.tensors
>>> x.shape, x.dtype, y.dtype
((1437, 1, 8, 8), dtype('float32'), dtype('int64'))
"""

from __future__ import annotations

import math
import os

import numpy as np

from ..tensor import Tensor
from .dataset import TensorDataset

__all__ = ["load_digits"]

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")
NUM_CLASSES = 10


def _read() -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(_PATH, allow_pickle=False) as f:
            return f["images"], f["target"]
    except (OSError, KeyError, ValueError) as err:
        raise RuntimeError(f"the bundled digits data {_PATH!r} is missing or damaged ({err}); "
                           "reinstall chainrule") from None


def _stratified_split(labels: np.ndarray, test_size: float,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a split that keeps each class's share; exactly ceil(test_size * n) in test."""
    classes, counts = np.unique(labels, return_counts=True)
    n_test = math.ceil(test_size * len(labels))
    exact = counts * (n_test / len(labels))
    per_class = np.floor(exact).astype(int)
    # hand the remaining test slots to the classes with the largest fractional parts
    leftover = n_test - per_class.sum()
    by_fraction = np.argsort(-(exact - per_class), kind="stable")
    per_class[by_fraction[:leftover]] += 1
    train, test = [], []
    for cls, k in zip(classes, per_class):
        members = rng.permutation(np.flatnonzero(labels == cls))
        test.append(members[:k])
        train.append(members[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_digits(test_size: float = 0.2, seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """The digits as a ``(train, test)`` pair of :class:`TensorDataset`.

    Each dataset holds ``images``, float32 of shape ``(N, 1, 8, 8)`` scaled to [0, 1]
    (one channel, ready for ``Conv2d``; ``nn.Flatten`` makes them 64-vectors for an
    MLP), and ``labels``, int64 of shape ``(N,)`` in 0..9. Get the Tensors themselves
    with ``train.tensors``.

    The split is stratified (each digit keeps its share in both parts) and the same
    for the same ``seed``; the test part has ``ceil(test_size * 1797)`` images, in
    the original order.

    Args:
        test_size: the fraction of images held out for testing, in (0, 1).
        seed: seeds the split.
    """
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)) \
            or not 0 < test_size < 1:
        raise ValueError(f"load_digits: test_size must be a fraction between 0 and 1, got "
                         f"{test_size!r}")
    images, target = _read()
    train_idx, test_idx = _stratified_split(target, float(test_size),
                                            np.random.default_rng(seed))
    x = (images.astype(np.float32) / np.float32(16.0))[:, None, :, :]
    y = target.astype(np.int64)
    return (TensorDataset(Tensor(x[train_idx]), Tensor(y[train_idx])),
            TensorDataset(Tensor(x[test_idx]), Tensor(y[test_idx])))
