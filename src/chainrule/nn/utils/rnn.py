"""Variable-length batches for recurrent layers: PackedSequence and its helpers.

A :class:`PackedSequence` holds the steps of several sequences of different lengths,
time-major and without padding: at step ``t`` the ``batch_sizes[t]`` sequences still
running, longest first. ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` accept one and return
one; each sequence's last state is the state after its own last step.

>>> import chainrule as cr
>>> from chainrule.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
>>> x = cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]])       # two sequences, batch first
>>> packed = pack_padded_sequence(x, [3, 2], batch_first=True)
>>> packed.data, packed.batch_sizes
(tensor([1., 4., 2., 5., 3.]), tensor([2, 2, 1]))
>>> pad_packed_sequence(packed, batch_first=True)[0]
tensor([[1., 2., 3.],
        [4., 5., 0.]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ...creation import tensor as _make_tensor
from ...tensor import Tensor
from ...tensor_methods.elementwise import where
from ...tensor_methods.shape import stack

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence"]


class PackedSequence(NamedTuple):
    """Steps of sequences of different lengths, time-major, longest sequence first.

    ``data`` (sum of lengths, *): the steps; ``batch_sizes`` (int64, max length): how
    many sequences run at each step; ``sorted_indices`` (or None): the batch order
    used inside, ``unsorted_indices`` its inverse (the caller's order).

    >>> import chainrule as cr
    >>> p = pack_sequence([cr.tensor([1.0, 2.0]), cr.tensor([3.0])])
    >>> p.batch_sizes
    tensor([2, 1])
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The same sequence with ``data`` converted by ``Tensor.to``."""
        return self._replace(data=self.data.to(*args, **kwargs))

    def float(self) -> PackedSequence:
        """The same sequence with float32 data."""
        return self._replace(data=self.data.float())

    def double(self) -> PackedSequence:
        """The same sequence with float64 data."""
        return self._replace(data=self.data.double())

    @property
    def is_cuda(self) -> bool:
        """Always False: chainrule runs on the CPU."""
        return False


def _as_array(x: Any) -> np.ndarray:
    return np.asarray(x._array if isinstance(x, Tensor) else x)


def _lengths(lengths: Any, who: str) -> np.ndarray:
    arr = _as_array(lengths)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise ValueError(f"{who}: lengths must be a 1-d list or int64 tensor of sequence "
                         f"lengths, got {arr.dtype.name} of shape {arr.shape}")
    return arr.astype(np.int64)


def _positions(batch_sizes: np.ndarray) -> tuple:
    """(row in data, step, batch slot) of every packed entry, in data's order."""
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    offsets = np.concatenate(([0], np.cumsum(batch_sizes)[:-1]))
    slots = np.arange(steps.size) - offsets[steps]
    return steps, slots


def _invert(perm: np.ndarray) -> np.ndarray:
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size)
    return inv


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) of sequences of
    the given ``lengths``. With ``enforce_sorted`` the lengths must be decreasing;
    otherwise the batch is sorted inside and ``unsorted_indices`` restores its order.

    >>> import chainrule as cr
    >>> pack_padded_sequence(cr.zeros(4, 3, 2), [2, 4, 1], enforce_sorted=False).batch_sizes
    tensor([3, 2, 1, 1])
    """
    who = "pack_padded_sequence"
    lens = _lengths(lengths, who)
    if not isinstance(input, Tensor):
        input = _make_tensor(input)
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    if lens.size != batch:
        raise ValueError(f"{who}: {lens.size} lengths for a batch of {batch} sequences "
                         f"(input of shape {tuple(input.shape)}, batch_first={batch_first})")
    if lens.size and (lens.min() <= 0 or lens.max() > steps):
        raise ValueError(f"{who}: lengths must be between 1 and the padded length {steps}, "
                         f"got {lens.tolist()}")
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError(f"{who}: lengths {lens.tolist()} are not sorted in decreasing "
                               "order; sort the batch or pass enforce_sorted=False")
        sorted_idx = None
        order = np.arange(batch)
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_idx = order
    lens_sorted = lens[order]
    batch_sizes = np.array([(lens_sorted > t).sum() for t in range(int(lens_sorted[0]))],
                           dtype=np.int64) if batch else np.zeros(0, np.int64)
    t_idx, slots = _positions(batch_sizes)
    data = input[t_idx, order[slots]]
    return PackedSequence(
        data, _make_tensor(batch_sizes),
        None if sorted_idx is None else _make_tensor(sorted_idx),
        None if sorted_idx is None else _make_tensor(_invert(sorted_idx)))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple:
    """Undo :func:`pack_padded_sequence`: (padded (T, B, *), lengths as int64), with the
    batch in the caller's order and ``padding_value`` after each sequence's end.

    >>> import chainrule as cr
    >>> packed = pack_sequence([cr.tensor([1.0, 2.0]), cr.tensor([3.0])])
    >>> pad_packed_sequence(packed, padding_value=-1.0)
    (tensor([[ 1.,  3.],
            [ 2., -1.]]), tensor([2, 1]))
    """
    data = sequence.data
    batch_sizes = _as_array(sequence.batch_sizes).astype(np.int64)
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"pad_packed_sequence: total_length={total_length} is shorter "
                             f"than the longest sequence ({steps} steps)")
        steps = total_length
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    lens = np.array([(batch_sizes > j).sum() for j in range(batch)], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(batch_sizes)[:-1])).astype(np.int64)
    t_grid = np.arange(steps)[:, None]
    j_grid = np.arange(batch)[None, :]
    valid = t_grid < lens[None, :]
    rows = np.where(valid, offsets[np.minimum(t_grid, len(batch_sizes) - 1)] + j_grid, 0)
    mask = valid.reshape(valid.shape + (1,) * (data.ndim - 1))
    padded = where(mask, data[rows], np.full((), padding_value, dtype=data.dtype))
    if sequence.unsorted_indices is not None:
        unsorted = _as_array(sequence.unsorted_indices)
        padded = padded[:, unsorted]
        lens = lens[unsorted]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _make_tensor(lens)


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences (L_i, *) of different lengths into (max L, B, *) (or (B, max L, *)),
    filling with ``padding_value`` on the ``padding_side`` ('right' or 'left').

    >>> import chainrule as cr
    >>> pad_sequence([cr.tensor([1.0, 2.0]), cr.tensor([3.0])], batch_first=True)
    tensor([[1., 2.],
            [3., 0.]])
    """
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got "
                         f"{padding_side!r}")
    seqs = [s if isinstance(s, Tensor) else _make_tensor(s) for s in sequences]
    if not seqs:
        raise ValueError("pad_sequence: got an empty list of sequences")
    longest = max(s.shape[0] for s in seqs)
    out = []
    for s in seqs:
        pad = longest - s.shape[0]
        if pad:
            fill = _make_tensor(np.full((pad,) + tuple(s.shape[1:]), padding_value,
                                        dtype=s.dtype))
            from ...tensor_methods.shape import cat
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        out.append(s)
    return stack(out, 1 if not batch_first else 0)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *) (see :func:`pack_padded_sequence`).

    >>> import chainrule as cr
    >>> pack_sequence([cr.tensor([1.0]), cr.tensor([2.0, 3.0])], enforce_sorted=False).data
    tensor([2., 1., 3.])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> list:
    """Split a padded batch back into its sequences of the given lengths.

    >>> import chainrule as cr
    >>> [t.shape for t in unpad_sequence(cr.zeros(3, 2), [3, 1])]
    [(3,), (1,)]
    """
    lens = _lengths(lengths, "unpad_sequence")
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(lens)]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """Split a PackedSequence into its sequences, in the caller's order.

    >>> import chainrule as cr
    >>> [t.shape for t in unpack_sequence(pack_sequence([cr.ones(2, 4), cr.ones(1, 4)]))]
    [(2, 4), (1, 4)]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def _to_padded(sequence: PackedSequence) -> tuple:
    """For the recurrent layers: (padded time-major input in sorted order, lengths)."""
    data = sequence.data
    batch_sizes = _as_array(sequence.batch_sizes).astype(np.int64)
    batch = int(batch_sizes[0])
    lens = np.array([(batch_sizes > j).sum() for j in range(batch)], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(batch_sizes)[:-1])).astype(np.int64)
    t_grid = np.arange(len(batch_sizes))[:, None]
    j_grid = np.arange(batch)[None, :]
    rows = np.where(t_grid < lens[None, :], offsets[t_grid] + j_grid, 0)
    return data[rows], lens


def _to_packed(padded: Tensor, batch_sizes: np.ndarray) -> Tensor:
    """For the recurrent layers: the valid entries of a padded time-major output."""
    t_idx, slots = _positions(batch_sizes)
    return padded[t_idx, slots]
