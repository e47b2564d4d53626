"""Shape, indexing and joining methods of Tensor (forward and VJP in :mod:`chainrule.ops.shape`).

Writing through an index (``x[i] = v``) is an in-place op, in :mod:`chainrule.tensor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..devices import check_device, check_memory_format, contiguous_format, preserve_format
from ..dtypes import as_dtype, to_array
from ..ops.shape import Clone, Concatenate, Expand, Flip, Permute, Reshape
from ..tensor import _apply, _constant, _is_tensor, _view_of
from ._base import TensorBase
from ._dims import axes, axis

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "ShapeMethods", "cat", "stack", "split", "chunk", "tensor_split", "hsplit", "vsplit",
    "dsplit", "hstack", "vstack", "row_stack", "dstack", "column_stack", "atleast_1d",
    "atleast_2d", "atleast_3d", "flip", "fliplr", "flipud", "roll", "rot90", "repeat_interleave",
    "tile", "narrow", "narrow_copy", "select", "unbind", "unflatten", "movedim", "moveaxis",
    "swapaxes", "swapdims", "clone",
]


def _shape_arg(shape: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` mean the same shape."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _sizes(args: tuple, keyword: Any, op: str, name: str) -> tuple:
    """Sizes or dims given as ``f(2, 3)``, ``f((2, 3))`` or ``f(name=(2, 3))``."""
    if keyword is not None:
        if args:
            raise TypeError(f"{op}: give {name} either as arguments or as {name}=, not both")
        return _shape_arg((keyword,)) if isinstance(keyword, (tuple, list)) else (keyword,)
    return _shape_arg(args)


def _tensor(t: Any) -> Tensor:
    """A method's ``self``, typed as the Tensor it is (a mixin does not know it)."""
    return t


def _int(n: Any) -> int:
    """An int from an int or a 0-d integer tensor (sizes, starts and sections may be either)."""
    array = getattr(n, "_array", None)
    if isinstance(array, np.ndarray):
        if array.ndim or array.dtype.kind not in "iu":
            raise TypeError(f"expected an int or a 0-d integer tensor, got a {array.dtype.name} "
                            f"tensor of shape {array.shape}")
        return int(array)
    return int(n)


def _fresh(out: Tensor, source: Tensor) -> Tensor:
    """``out``, copied if it still shares memory with ``source`` (for ops PyTorch copies)."""
    if np.may_share_memory(out._array, source._array):
        return _apply(Clone, (out,))
    return out


class ShapeMethods(TensorBase):
    """reshape/view, flatten, permute/transpose, squeeze/unsqueeze, expand, indexing, split."""

    __slots__ = ()

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (one entry may be -1)."""
        new_shape = _shape_arg(shape)
        try:
            return _view_of(_apply(Reshape, (self,), {"shape": new_shape}), self)
        except ValueError:
            raise ValueError(
                f"reshape: shape {tuple(new_shape)} is invalid for a tensor of shape "
                f"{self.shape} ({int(np.prod(self.shape))} elements)"
            ) from None

    def view(self, *shape: Any) -> Tensor:
        """The same elements in a new shape, as ``reshape``; or, given a dtype, the same
        memory read as that dtype (no gradient; the last dim scales with the item size).

        >>> import chainrule as cr
        >>> cr.tensor([1.0]).view(cr.int32)
        tensor([1065353216], dtype=int32)
        """
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
            return _view_as_dtype(_tensor(self), shape[0])
        return self.reshape(*shape)

    def view_as(self, other: Tensor) -> Tensor:
        """``self.view(other.shape)``: the same data with other's shape.

        >>> import chainrule as cr
        >>> cr.arange(6).view_as(cr.zeros(2, 3)).shape
        (2, 3)
        """
        return self.reshape(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """``self.reshape(other.shape)``.

        >>> import chainrule as cr
        >>> cr.arange(6).reshape_as(cr.zeros(3, 2)).shape
        (3, 2)
        """
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dims ``start_dim`` .. ``end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        s = axis(start_dim, self.ndim, "flatten")
        e = axis(end_dim, self.ndim, "flatten")
        shape = self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:]
        return self.reshape(shape)

    def permute(self, *args: Any, dims: Any = None) -> Tensor:
        """The dims in the order ``dims``."""
        order = _sizes(args, dims, "permute", "dims")
        if sorted(d % max(self.ndim, 1) for d in order) != list(range(self.ndim)):
            raise ValueError(f"permute: dims {order} are not a permutation of {self.ndim} dims")
        return _view_of(_apply(Permute, (self,), {"axes": tuple(d % self.ndim for d in order)}),
                        self)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dims."""
        order = list(range(self.ndim))
        a, b = axis(dim0, self.ndim, "transpose"), axis(dim1, self.ndim, "transpose")
        order[a], order[b] = order[b], order[a]
        return _view_of(_apply(Permute, (self,), {"axes": tuple(order)}), self)

    @property
    def T(self) -> Tensor:
        """Every dim reversed."""
        return _view_of(_apply(Permute, (self,), {"axes": tuple(reversed(range(self.ndim)))}),
                        self)

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped (a batch of transposed matrices)."""
        return self.transpose(-2, -1)

    def t(self) -> Tensor:
        """The transpose of a tensor with at most 2 dims."""
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with <= 2 dims, got {self.ndim}")
        return self.T

    def unsqueeze(self, dim: int) -> Tensor:
        """A new dim of size 1 at ``dim``."""
        d = dim if dim >= 0 else dim + self.ndim + 1
        if not 0 <= d <= self.ndim:
            raise IndexError(f"unsqueeze: dim {dim} out of range for {self.ndim} dims")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: Any = None) -> Tensor:
        """Drop dims of size 1 (only those in ``dim`` when given)."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = axes(dim, self.ndim, "squeeze")
        return self.reshape(tuple(n for i, n in enumerate(self.shape)
                                  if not (i in dims and n == 1)))

    def expand(self, *args: Any, size: Any = None) -> Tensor:
        """A broadcast view to ``sizes`` (-1 keeps a dim); the gradient is summed back."""
        target = tuple(_int(n) for n in _sizes(args, size, "expand", "size"))
        lead = len(target) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: {len(target)} sizes given for a tensor of shape "
                               f"{self.shape}; give at least {self.ndim}")
        if any(n == -1 for n in target[:lead]):
            raise RuntimeError(f"expand: the size -1 is not allowed in a new leading dim "
                               f"(sizes {target} for a tensor of shape {self.shape})")
        shape = tuple(
            (self.shape[i - lead] if (n == -1 and i >= lead) else n) for i, n in enumerate(target)
        )
        for i, n in enumerate(self.shape):
            if n != 1 and shape[lead + i] != n:
                raise RuntimeError(f"expand: shape {self.shape} can't be expanded to {target}: "
                                   f"size {shape[lead + i]} does not match the existing size "
                                   f"{n} at dim {lead + i}")
        return _view_of(_apply(Expand, (self,), {"shape": shape}), self)

    def expand_as(self, other: Tensor) -> Tensor:
        """``self.expand(other.shape)``: broadcast to other's shape without copying.

        >>> import chainrule as cr
        >>> cr.ones(3, 1).expand_as(cr.zeros(3, 4)).shape
        (3, 4)
        """
        return self.expand(other.shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        """``self.expand(shape)``: a broadcast view of the given shape; the gradient sums back.

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 2.0]).broadcast_to((3, 2)).shape
        (3, 2)
        """
        return self.expand(shape)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple:
        """Pieces along ``dim``: see :func:`split`."""
        return split(self, split_size_or_sections, dim)  # type: ignore[arg-type]

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """``chunks`` nearly equal pieces along ``dim``: see :func:`chunk`."""
        return chunk(self, chunks, dim)  # type: ignore[arg-type]

    def clone(self, *, memory_format: Any = preserve_format) -> Tensor:
        """A copy with its own memory, still connected to the graph."""
        check_memory_format(memory_format, self.ndim, "clone")
        return _apply(Clone, (self,))

    def contiguous(self, memory_format: Any = contiguous_format) -> Tensor:
        """This tensor (its data is always laid out as PyTorch's contiguous tensors)."""
        check_memory_format(memory_format, self.ndim, "contiguous")
        return _tensor(self)

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> tuple:
        """Pieces along ``dim``: see :func:`tensor_split`."""
        return tensor_split(_tensor(self), indices_or_sections, dim)

    def hsplit(self, indices_or_sections: Any) -> tuple:
        """Pieces along dim 1 (dim 0 of a vector): see :func:`hsplit`."""
        return hsplit(_tensor(self), indices_or_sections)

    def vsplit(self, indices_or_sections: Any) -> tuple:
        """Pieces along dim 0: see :func:`vsplit`."""
        return vsplit(_tensor(self), indices_or_sections)

    def dsplit(self, indices_or_sections: Any) -> tuple:
        """Pieces along dim 2: see :func:`dsplit`."""
        return dsplit(_tensor(self), indices_or_sections)

    # -- reversing and rotating ----------------------------------------------------------
    def flip(self, *args: Any, dims: Any = None) -> Tensor:
        """A copy with the order of the elements reversed along ``dims``.

        >>> import chainrule as cr
        >>> cr.tensor([[1, 2], [3, 4]]).flip(0)
        tensor([[3, 4],
                [1, 2]])
        """
        dims = _sizes(args, dims, "flip", "dims")
        found = [axis(d, self.ndim, "flip") for d in dims]
        if len(set(found)) != len(found):
            raise RuntimeError(f"flip: a dim appears more than once in {dims}")
        index = tuple(slice(None, None, -1) if i in found else slice(None)
                      for i in range(self.ndim))
        return _apply(Flip, (self,), {"index": index})

    def fliplr(self) -> Tensor:
        """The columns (dim 1) in reverse order; needs at least 2 dims."""
        if self.ndim < 2:
            raise RuntimeError(f"fliplr: expected a tensor of at least 2 dims, got {self.shape}")
        return self.flip(1)

    def flipud(self) -> Tensor:
        """The rows (dim 0) in reverse order; needs at least 1 dim."""
        if self.ndim < 1:
            raise RuntimeError("flipud: expected a tensor of at least 1 dim, got a 0-d tensor")
        return self.flip(0)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """A copy with the elements shifted by ``shifts`` along ``dims``, those pushed off
        the end coming back at the start (along the flattened tensor when ``dims`` is
        None).

        >>> import chainrule as cr
        >>> cr.tensor([1, 2, 3, 4]).roll(1)
        tensor([4, 1, 2, 3])
        """
        x = _tensor(self)
        shift_list = [shifts] if isinstance(shifts, (int, np.integer)) else list(shifts)
        if dims is None:
            if len(shift_list) != 1:
                raise RuntimeError(f"roll: give one shift when dims is None, got {shift_list}")
            return _fresh(x.reshape(-1).roll(shift_list[0], 0).reshape(x.shape), x)
        dim_list = [dims] if isinstance(dims, (int, np.integer)) else list(dims)
        if len(shift_list) != len(dim_list):
            raise RuntimeError(f"roll: shifts {shift_list} and dims {dim_list} must have the "
                               "same length")
        if x.ndim == 0:
            raise IndexError("roll: a 0-d tensor has no dims to roll along; give dims=None")
        out = x
        for shift, dim in zip(shift_list, dim_list):
            d = axis(int(dim), x.ndim, "roll")
            n = x.shape[d] if x.ndim else 1
            s = _int(shift) % n if n else 0
            if s:
                lead = (slice(None),) * d
                out = cat([out[lead + (slice(n - s, None),)], out[lead + (slice(0, n - s),)]], d)
        return _fresh(out, x)

    def rot90(self, k: int = 1, dims: Any = (0, 1)) -> Tensor:
        """The tensor turned by ``k`` quarter turns in the plane ``dims``, from the first
        dim towards the second."""
        x = _tensor(self)
        dims = list(dims)
        if len(dims) != 2:
            raise RuntimeError(f"rot90: expected 2 dims, got {dims}")
        if x.ndim < 2:
            raise RuntimeError(f"rot90: expected a tensor of at least 2 dims, got {x.shape}")
        d0, d1 = axis(dims[0], x.ndim, "rot90"), axis(dims[1], x.ndim, "rot90")
        if d0 == d1:
            raise RuntimeError(f"rot90: the two dims must differ, got {dims}")
        k = k % 4
        if k == 1:
            return x.flip(d1).transpose(d0, d1)
        if k == 2:
            return x.flip(d0, d1)
        if k == 3:
            return x.flip(d0).transpose(d0, d1)
        return x.clone()

    # -- repeating ---------------------------------------------------------------------
    def repeat(self, *args: Any, repeats: Any = None) -> Tensor:
        """The tensor tiled ``sizes[i]`` times along each dim (new leading dims for the
        extra sizes); a copy.

        >>> import chainrule as cr
        >>> cr.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
        """
        x = _tensor(self)
        reps = tuple(_int(n) for n in _sizes(args, repeats, "repeat", "repeats"))
        if len(reps) < x.ndim:
            raise RuntimeError(f"repeat: {len(reps)} repeats given for a tensor of shape "
                               f"{x.shape}; give at least {x.ndim}")
        if any(r < 0 for r in reps):
            raise RuntimeError(f"repeat: repeats must be non-negative, got {reps}")
        shape = (1,) * (len(reps) - x.ndim) + x.shape
        spread = tuple(n for pair in zip((1,) * len(shape), shape) for n in pair)
        tiled = tuple(n for pair in zip(reps, shape) for n in pair)
        out = x.reshape(spread).expand(tiled).reshape(tuple(r * n for r, n in zip(reps, shape)))
        return _fresh(out, x)

    def tile(self, *args: Any, dims: Any = None) -> Tensor:
        """``repeat``, with missing leading repeats taken as 1."""
        reps = _sizes(args, dims, "tile", "dims")
        return self.repeat((1,) * (self.ndim - len(reps)) + tuple(reps))

    def repeat_interleave(self, repeats: Any, dim: int | None = None, *,
                          output_size: int | None = None) -> Tensor:
        """Each element (each slice along ``dim``) repeated ``repeats`` times in place: an int,
        or a tensor with one count per element. Along the flattened tensor when ``dim`` is
        None.

        >>> import chainrule as cr
        >>> cr.tensor([1, 2]).repeat_interleave(cr.tensor([1, 2]))
        tensor([1, 2, 2])
        """
        x = _tensor(self)
        if dim is None:
            x = x.reshape(-1)
            dim = 0
        d = axis(dim, x.ndim, "repeat_interleave")
        if x.ndim == 0:
            x = x.reshape(1)
        n = x.shape[d]
        counts = repeats._array if _is_tensor(repeats) else np.asarray(repeats)
        if counts.dtype.kind not in "iu":
            raise TypeError(f"repeat_interleave: repeats must be an int or an integer tensor, "
                            f"got {counts.dtype.name}")
        if counts.ndim > 1:
            raise RuntimeError(f"repeat_interleave: repeats must be 0-d or 1-d, got shape "
                               f"{counts.shape}")
        if counts.size == 1:
            counts = np.full(n, int(counts.reshape(())[()] if counts.ndim else counts))
        if counts.shape != (n,):
            raise RuntimeError(f"repeat_interleave: {counts.size} repeats given for size {n} "
                               f"of dim {d}; give one per element")
        if (counts < 0).any():
            raise RuntimeError(f"repeat_interleave: repeats must be non-negative, got "
                               f"{counts.tolist()}")
        if output_size is not None and output_size != int(counts.sum()):
            raise RuntimeError(f"repeat_interleave: output_size={output_size} but the repeats "
                               f"add up to {int(counts.sum())}")
        positions = np.repeat(np.arange(n), counts)
        return x[(slice(None),) * d + (positions,)]

    # -- slices, views and dims ---------------------------------------------------------
    def narrow(self, dim: int, start: Any, length: int) -> Tensor:
        """``length`` elements along ``dim`` from ``start`` (a negative start counts from
        the end)."""
        if self.ndim == 0:
            raise RuntimeError("narrow: a 0-d tensor has no dim to narrow")
        d = axis(dim, self.ndim, "narrow")
        n = self.shape[d]
        begin = _int(start)
        if not -n <= begin <= n:
            raise IndexError(f"narrow: start {begin} is out of range for dim {d} of size {n}")
        if begin < 0:
            begin += n
        if length < 0 or begin + length > n:
            raise RuntimeError(f"narrow: start ({begin}) + length ({length}) exceeds the size "
                               f"({n}) of dim {d}")
        return _tensor(self)[(slice(None),) * d + (slice(begin, begin + length),)]

    def narrow_copy(self, dim: int, start: Any, length: int) -> Tensor:
        """``narrow``, as a copy."""
        return self.narrow(dim, start, length).clone()

    def select(self, dim: int, index: Any) -> Tensor:
        """The slice at ``index`` along ``dim``, which goes away."""
        if self.ndim == 0:
            raise IndexError("select: a 0-d tensor has no dim to select from")
        d = axis(dim, self.ndim, "select")
        i = _int(index)
        n = self.shape[d]
        if not -n <= i < n:
            raise IndexError(f"select: index {i} is out of range for dim {d} of size {n} "
                             f"(shape {self.shape})")
        return _tensor(self)[(slice(None),) * d + (i,)]

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along ``dim``, as a tuple."""
        if self.ndim == 0:
            raise IndexError("unbind: a 0-d tensor has no dim to unbind")
        d = axis(dim, self.ndim, "unbind")
        return tuple(self.select(d, i) for i in range(self.shape[d]))

    def unflatten(self, dim: int, sizes: Any) -> Tensor:
        """Dim ``dim`` split into dims of ``sizes`` (one of them may be -1)."""
        d = axis(dim, self.ndim, "unflatten")
        sizes = tuple(_int(n) for n in sizes)
        n = self.shape[d]
        known = int(np.prod([s for s in sizes if s != -1]))
        if not sizes or sizes.count(-1) > 1 or \
                (n != known if -1 not in sizes else (known == 0 or n % known)):
            raise RuntimeError(f"unflatten: sizes {list(sizes)} don't multiply up to the size "
                               f"{n} of dim {d}")
        sizes = tuple(n // known if s == -1 else s for s in sizes)
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1:])

    def movedim(self, source: Any, destination: Any) -> Tensor:
        """The dims ``source`` moved to the places ``destination``, the others keeping their
        order."""
        src = [source] if isinstance(source, (int, np.integer)) else list(source)
        dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: source {src} and destination {dst} must have the same "
                               "length")
        src = [axis(int(d), self.ndim, "movedim") for d in src]
        dst = [axis(int(d), self.ndim, "movedim") for d in dst]
        for name, ds in (("source", src), ("destination", dst)):
            if len(set(ds)) != len(ds):
                raise RuntimeError(f"movedim: repeated dim in {name} {ds}")
        order: list = [None] * self.ndim
        for s, t in zip(src if self.ndim else [], dst):
            order[t] = s
        rest = iter(i for i in range(self.ndim) if i not in src)
        order = [next(rest) if o is None else o for o in order]
        return _apply(Permute, (self,), {"axes": tuple(order)})

    moveaxis = movedim

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """``transpose(axis0, axis1)``."""
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0: int, dim1: int) -> Tensor:
        """``transpose(dim0, dim1)``."""
        return self.transpose(dim0, dim1)

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """Every window of ``size`` elements along ``dimension``, ``step`` apart: that dim
        becomes the number of windows, and a new last dim of ``size`` holds each window.

        >>> import chainrule as cr
        >>> cr.arange(5).unfold(0, 2, 2)
        tensor([[0, 1],
                [2, 3]])
        """
        x = _tensor(self)
        if x.ndim == 0:
            return x.reshape(1).unfold(0, size, step).reshape(1)
        d = axis(dimension, x.ndim, "unfold")
        n = x.shape[d]
        if step <= 0:
            raise RuntimeError(f"unfold: step must be positive, got {step}")
        if not 0 <= size <= n:
            raise RuntimeError(f"unfold: size {size} is larger than the size {n} of dim {d}")
        windows = (n - size) // step + 1
        positions = np.arange(windows)[:, None] * step + np.arange(size)
        out = x[(slice(None),) * d + (positions,)]
        return out.movedim(d + 1, -1)

    # -- new tensors like this one ---------------------------------------------------------
    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
        """A new tensor holding a copy of ``data``, in this tensor's dtype unless ``dtype``."""
        check_device(device, "new_tensor")
        array = to_array(data, dtype=as_dtype(dtype) or self.dtype, copy=True)
        return _constant(array).requires_grad_(requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        """Zeros of ``size``, in this tensor's dtype unless ``dtype``."""
        return _new(self, "new_zeros", size, 0, dtype, device, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        """Ones of ``size``, in this tensor's dtype unless ``dtype``."""
        return _new(self, "new_ones", size, 1, dtype, device, requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        """A tensor of ``size`` whose values are not set, in this tensor's dtype unless
        ``dtype``."""
        return _new(self, "new_empty", size, None, dtype, device, requires_grad)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        """``fill_value`` everywhere in ``size``, in this tensor's dtype unless ``dtype``."""
        return _new(self, "new_full", (size,), fill_value, dtype, device, requires_grad)


def _new(t: Any, op: str, size: tuple, fill: Any, dtype: Any, device: Any,
         requires_grad: bool) -> Tensor:
    check_device(device, op)
    shape = tuple(_int(n) for n in _shape_arg(size))
    dt = as_dtype(dtype) or t.dtype
    array = np.empty(shape, dtype=dt) if fill is None else np.full(shape, fill, dtype=dt)
    return _constant(array).requires_grad_(requires_grad)


def _view_as_dtype(x: Tensor, dtype: Any) -> Tensor:
    """The memory of ``x`` read as ``dtype``: PyTorch's ``view(dtype)``."""
    dt = as_dtype(dtype)
    if dt is None:
        raise TypeError("view: give a shape or a dtype")
    old, new = x.dtype.itemsize, dt.itemsize
    if old != new:
        if x.ndim == 0:
            raise RuntimeError(f"view: a 0-d tensor can't be viewed as {dt.name} from "
                               f"{x.dtype.name} (different item sizes)")
        if new > old and x.shape[-1] % (new // old):
            raise RuntimeError(f"view: the last dim ({x.shape[-1]}) must be divisible by "
                               f"{new // old} to view {x.dtype.name} as {dt.name}")
    array = np.ascontiguousarray(x._array) if old != new else x._array
    return _constant(array.view(dt))


# ---------------------------------------------------------------------------
# Functions on several tensors
# ---------------------------------------------------------------------------

def _data(x: Any) -> np.ndarray:
    return x._array if _is_tensor(x) else np.asarray(x)


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    ndim = np.ndim(_data(tensors[0]))
    d = axis(dim, ndim, "cat")
    shapes = [np.shape(_data(t)) for t in tensors]
    for s in shapes:
        if len(s) != ndim or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0])) if i != d):
            raise ValueError(f"cat: shapes {shapes} don't match outside dim {dim}")
    return _apply(Concatenate, tuple(tensors), {"axis": d})


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dim."""
    items = [t if _is_tensor(t) else _constant(np.asarray(t)) for t in tensors]
    if not items:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in items}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in items], dim=dim)


def split(t: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given
    sizes (ints or 0-d integer tensors)."""
    d = axis(dim, t.ndim, "split")
    n = t.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)) or (
            _is_tensor(split_size_or_sections) and split_size_or_sections.ndim == 0):
        size = _int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
    else:
        if _is_tensor(split_size_or_sections):
            raise TypeError("split: split sizes must be an int or a list of ints (or of 0-d "
                            "tensors), not a tensor")
        sizes = [_int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(
                f"split: sections {sizes} don't add up to {n} (dim {dim} of {t.shape})")
    return _pieces(t, d, sizes)


def _pieces(t: Tensor, d: int, sizes: Sequence[int]) -> tuple:
    lead = (slice(None),) * d
    out, start = [], 0
    for s in sizes:
        out.append(t[lead + (slice(start, start + s),)])
        start += s
    return tuple(out)


def chunk(t: Tensor, chunks: int, dim: int = 0) -> tuple:
    """``chunks`` nearly equal pieces along ``dim`` (PyTorch's rule: ceil-sized)."""
    n = t.shape[axis(dim, t.ndim, "chunk")]
    size = -(-n // chunks) if n else 1
    return split(t, max(size, 1), dim)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple:
    """``sections`` pieces along ``dim`` whose sizes differ by at most one (the first ones
    larger), or the pieces between the positions ``indices`` (as slices take them).

    >>> import chainrule as cr
    >>> [p.tolist() for p in cr.arange(5).tensor_split(3)]
    [[0, 1], [2, 3], [4]]
    >>> [p.tolist() for p in cr.arange(5).tensor_split([1, 3])]
    [[0], [1, 2], [3, 4]]
    """
    d = axis(dim, input.ndim, "tensor_split")
    if input.ndim == 0:
        raise RuntimeError("tensor_split: expected a tensor of at least 1 dim, got a 0-d one")
    n = input.shape[d]
    lead = (slice(None),) * d
    arg = indices_or_sections
    if _is_tensor(arg):
        if arg.dtype.kind not in "iu" or arg.ndim > 1:
            raise RuntimeError(f"tensor_split: expected a 0-d or 1-d integer tensor, got a "
                               f"{arg.dtype.name} tensor of shape {arg.shape}")
        arg = int(arg._array) if arg.ndim == 0 else arg._array.tolist()
    if isinstance(arg, (int, np.integer)):
        sections = int(arg)
        if sections <= 0:
            raise RuntimeError(f"tensor_split: the number of sections must be positive, got "
                               f"{sections}")
        size, extra = divmod(n, sections)
        return _pieces(input, d, [size + 1] * extra + [size] * (sections - extra))
    bounds = [0] + [_int(i) for i in arg] + [None]
    return tuple(input[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """``tensor_split`` along dim 1 (dim 0 for a vector), in equal pieces for an int."""
    return _split_equal(input, indices_or_sections, 1 if input.ndim > 1 else 0, "hsplit", 1)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """``tensor_split`` along dim 0, in equal pieces for an int; needs at least 2 dims."""
    return _split_equal(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """``tensor_split`` along dim 2, in equal pieces for an int; needs at least 3 dims."""
    return _split_equal(input, indices_or_sections, 2, "dsplit", 3)


def _split_equal(input: Tensor, arg: Any, d: int, op: str, min_ndim: int) -> tuple:
    if input.ndim < min_ndim:
        raise RuntimeError(f"{op}: expected a tensor of at least {min_ndim} dims, got shape "
                           f"{input.shape}")
    if isinstance(arg, (int, np.integer)) and arg > 0 and input.shape[d] % arg:
        raise RuntimeError(f"{op}: dim {d} of size {input.shape[d]} can't be split into "
                           f"{arg} equal pieces")
    return tensor_split(input, arg, d)


# ---------------------------------------------------------------------------
# Stacking, and at least so many dims
# ---------------------------------------------------------------------------

def _tensors(tensors: Any, op: str) -> list:
    items = [t if _is_tensor(t) else _constant(np.asarray(t)) for t in tensors]
    if not items:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    return items


def _at_least(args: tuple, ndim: int) -> Any:
    items = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
    out = []
    for t in items:
        t = t if _is_tensor(t) else _constant(np.asarray(t))
        if t.ndim < ndim:
            if ndim == 3 and t.ndim == 2:
                t = t.reshape(t.shape + (1,))
            elif ndim == 3 and t.ndim == 1:
                t = t.reshape((1,) + t.shape + (1,))
            else:
                t = t.reshape((1,) * (ndim - t.ndim) + t.shape)
        out.append(t)
    return out[0] if len(args) == 1 and not isinstance(args[0], (list, tuple)) else tuple(out)


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dim (a 0-d one becomes a vector of one); one tensor for
    one, a tuple for several."""
    return _at_least(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dims (new leading dims of size 1)."""
    return _at_least(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dims: a vector (n) becomes (1, n, 1), a matrix (m, n)
    becomes (m, n, 1)."""
    return _at_least(tensors, 3)


def hstack(tensors: Sequence[Any]) -> Tensor:
    """Join along dim 1 (dim 0 for vectors and 0-d tensors)."""
    items = [atleast_1d(t) for t in _tensors(tensors, "hstack")]
    return cat(items, 0 if items[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Any]) -> Tensor:
    """Join along dim 0, vectors taken as rows."""
    return cat([atleast_2d(t) for t in _tensors(tensors, "vstack")], 0)


row_stack = vstack


def dstack(tensors: Sequence[Any]) -> Tensor:
    """Join along dim 2 (depth), after ``atleast_3d``."""
    return cat([atleast_3d(t) for t in _tensors(tensors, "dstack")], 2)


def column_stack(tensors: Sequence[Any]) -> Tensor:
    """Join along dim 1, vectors (and 0-d tensors) taken as columns."""
    items = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t
             for t in _tensors(tensors, "column_stack")]
    return cat(items, 1)


# ---------------------------------------------------------------------------
# The methods as functions: chainrule.flip(input, dims), ...
# ---------------------------------------------------------------------------

def flip(input: Tensor, dims: Any) -> Tensor:
    """``input.flip(dims)``."""
    if isinstance(dims, (int, np.integer)):
        raise TypeError("flip: dims must be a tuple or list of ints, e.g. flip(x, (0,))")
    return input.flip(*dims)


def fliplr(input: Tensor) -> Tensor:
    """``input.fliplr()``."""
    return input.fliplr()


def flipud(input: Tensor) -> Tensor:
    """``input.flipud()``."""
    return input.flipud()


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """``input.roll(shifts, dims)``."""
    return input.roll(shifts, dims)


def rot90(input: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:
    """``input.rot90(k, dims)``."""
    return input.rot90(k, dims)


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """``input.repeat_interleave(repeats, dim)``; with ``repeats`` left out, ``input`` holds
    the counts and the result is ``arange(len(input))`` repeated by them."""
    if repeats is None:
        counts = input if _is_tensor(input) else _constant(np.asarray(input))
        if counts.ndim > 1:
            raise RuntimeError(f"repeat_interleave: repeats must be 0-d or 1-d, got shape "
                               f"{counts.shape}")
        positions = _constant(np.arange(counts.reshape(-1).shape[0], dtype=np.int64))
        return positions.repeat_interleave(counts.reshape(-1), 0, output_size=output_size)
    return input.repeat_interleave(repeats, dim, output_size=output_size)


def tile(input: Tensor, dims: Any) -> Tensor:
    """``input.tile(dims)``."""
    return input.tile(dims)


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """``input.narrow(dim, start, length)``."""
    return input.narrow(dim, start, length)


def narrow_copy(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """``input.narrow_copy(dim, start, length)``."""
    return input.narrow_copy(dim, start, length)


def select(input: Tensor, dim: int, index: Any) -> Tensor:
    """``input.select(dim, index)``."""
    return input.select(dim, index)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """``input.unbind(dim)``."""
    return input.unbind(dim)


def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:
    """``input.unflatten(dim, sizes)``."""
    return input.unflatten(dim, sizes)


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """``input.movedim(source, destination)``."""
    return input.movedim(source, destination)


moveaxis = movedim


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """``input.swapaxes(axis0, axis1)``."""
    return input.swapaxes(axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """``input.swapdims(dim0, dim1)``."""
    return input.swapdims(dim0, dim1)


def clone(input: Tensor, *, memory_format: Any = preserve_format) -> Tensor:
    """``input.clone()``."""
    return input.clone(memory_format=memory_format)
