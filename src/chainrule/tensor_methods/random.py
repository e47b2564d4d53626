"""Random methods of Tensor (the in-place fills ``uniform_``, ``normal_``, ``random_``, ...,
``bernoulli``, ``multinomial``) and the random functions that take tensors (``normal``,
``bernoulli``, ``multinomial``, ``poisson``).

Draws come from the ``generator=`` given, else the default generator
(:mod:`chainrule.random`), and are made in the tensor's dtype. The ops in
:mod:`chainrule.ops.random` record them with a zero gradient, as PyTorch does: an
in-place fill follows the in-place rules of :meth:`chainrule.Tensor._inplace` (refused
on a leaf that requires grad while grad is enabled, recorded on a non-leaf).
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from ..dtypes import result_type
from ..ops.random import (
    Bernoulli,
    Cauchy,
    Exponential,
    Geometric,
    LogNormal,
    Normal,
    Poisson,
    RandomInts,
    Uniform,
)
from ..random import draw_normal, draw_uniform, numpy_generator
from ..tensor import _apply, _is_tensor
from ._base import TensorBase

if TYPE_CHECKING:
    from ..random import Generator
    from ..tensor import Tensor

__all__ = ["RandomMethods", "normal", "bernoulli", "multinomial", "poisson"]


def _real(x: Any, where: str, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{where}(): argument '{name}' must be a number, not {type(x).__name__}")
    return float(x)


def _floating(array: np.ndarray, where: str) -> None:
    if array.dtype.kind != "f":
        raise TypeError(f"{where}: needs a floating tensor, got dtype {array.dtype}")


def _uniform_floats(rng: np.random.Generator, shape: tuple, dt: np.dtype, where: str
                    ) -> np.ndarray:
    """Uniform on [0, 1) in ``dt`` when it is floating, in float64 otherwise (for comparisons)."""
    return draw_uniform(rng, shape, dt if dt.kind == "f" else np.dtype(np.float64), where)


def _probabilities(p: Any, where: str) -> np.ndarray:
    array = p._array if _is_tensor(p) else np.asarray(p)
    _floating(array, where)
    inside = (array >= 0) & (array <= 1)
    if not inside.all():
        raise RuntimeError(f"{where}: expects all probabilities p in [0, 1], got "
                           f"{array[~inside].ravel()[0]}")
    return array


class RandomMethods(TensorBase):
    """In-place fills with random draws, and ``bernoulli``/``multinomial`` as methods."""

    __slots__ = ()

    def _refill(self, op: Any, values: np.ndarray, name: str) -> Tensor:
        """Set this tensor to ``values`` in place, as the draw ``op`` (zero gradient)."""
        values = values.astype(self.dtype, copy=False)
        return self._inplace(lambda old: _apply(op, (old,), {"values": values}), name)

    def uniform_(self, from_: float = 0.0, to: float = 1.0, *,
                 generator: Generator | None = None, **kwargs: Any) -> Tensor:
        """Fill with draws from U(from, to) (PyTorch's keyword ``from`` is accepted).

        >>> import chainrule as cr
        >>> x = cr.zeros(1000).uniform_(2, 3)
        >>> bool((x >= 2).all() and (x < 3).all())
        True
        """
        low = _real(kwargs.pop("from", from_), "uniform_", "from")
        high = _real(to, "uniform_", "to")
        if kwargs:
            raise TypeError(f"uniform_() got an unexpected keyword argument {next(iter(kwargs))!r}")
        _floating(self._array, "uniform_")
        if low > high:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={low:g} > to={high:g}")
        rng = numpy_generator(generator, "uniform_")
        values = draw_uniform(rng, self.shape, self.dtype, "uniform_")
        values *= self.dtype.type(high - low)
        values += self.dtype.type(low)
        return self._refill(Uniform, values, "uniform_")

    def normal_(self, mean: float = 0.0, std: float = 1.0, *,
                generator: Generator | None = None) -> Tensor:
        """Fill with draws from N(mean, std**2)."""
        mean, std = _real(mean, "normal_", "mean"), _real(std, "normal_", "std")
        _floating(self._array, "normal_")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        values = draw_normal(numpy_generator(generator, "normal_"), self.shape, self.dtype,
                             "normal_")
        values *= self.dtype.type(std)
        values += self.dtype.type(mean)
        return self._refill(Normal, values, "normal_")

    def random_(self, *args: int, generator: Generator | None = None, **kwargs: Any) -> Tensor:
        """Fill with integers uniform on [from, to): ``random_(to)``, ``random_(from, to)``, or
        ``random_()`` for [0, 2**mantissa digits] (floats; 2**24 for float32) or [0, the
        dtype's max] (integers). PyTorch's keywords ``from=`` and ``to=`` are accepted.

        >>> import chainrule as cr
        >>> x = cr.zeros(1000).random_(3, 5)
        >>> sorted(set(x.tolist()))
        [3.0, 4.0]
        """
        low: Any = kwargs.pop("from", None)
        high: Any = kwargs.pop("to", None)
        if kwargs:
            raise TypeError(f"random_() got an unexpected keyword argument {next(iter(kwargs))!r}")
        if len(args) > 2 or (args and low is not None) or (len(args) == 2 and high is not None):
            raise TypeError("random_() takes random_(to), random_(from, to) or random_()")
        if len(args) == 2:
            low, high = args
        elif len(args) == 1:
            if high is None:
                high = args[0]  # random_(to)
            else:
                low = args[0]
        low = 0 if low is None else int(low)
        dt = self.dtype
        if dt.kind == "f":
            top = 2 ** (np.finfo(dt).nmant + 1)  # every integer up to it is exact
        elif dt.kind == "b":
            top = 1
        elif dt.kind in "iu":
            top = int(np.iinfo(dt).max)
        else:
            raise TypeError(f"random_: needs a real tensor, got dtype {dt}")
        high = top + 1 if high is None else int(high)
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={low} >= to={high}")
        if dt.kind in "iu" and (low < np.iinfo(dt).min or high - 1 > top):
            raise RuntimeError(f"random_: [{low}, {high}) is out of bounds for {dt}")
        rng = numpy_generator(generator, "random_")
        values = rng.integers(low, high, self.shape, dtype=np.uint64 if high > 2 ** 63
                              else np.int64)
        return self._refill(RandomInts, values, "random_")

    def exponential_(self, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
        """Fill with draws from the exponential distribution of rate ``lambd``."""
        rate = _real(lambd, "exponential_", "lambd")
        _floating(self._array, "exponential_")
        if not rate > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={rate:g}")
        rng = numpy_generator(generator, "exponential_")
        values = rng.standard_exponential(self.shape, dtype=_draw_dtype(self.dtype))
        values /= rate
        return self._refill(Exponential, values, "exponential_")

    def geometric_(self, p: float, *, generator: Generator | None = None) -> Tensor:
        """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
        prob = _real(p, "geometric_", "p")
        if not 0 < prob <= 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={prob:g}")
        values = numpy_generator(generator, "geometric_").geometric(prob, self.shape)
        return self._refill(Geometric, values, "geometric_")

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *,
                    generator: Generator | None = None) -> Tensor:
        """Fill with exp(N(mean, std**2)) draws."""
        mean, std = _real(mean, "log_normal_", "mean"), _real(std, "log_normal_", "std")
        _floating(self._array, "log_normal_")
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
        normal = draw_normal(numpy_generator(generator, "log_normal_"), self.shape,
                             _draw_dtype(self.dtype), "log_normal_")
        return self._refill(LogNormal, np.exp(normal * std + mean), "log_normal_")

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *,
                generator: Generator | None = None) -> Tensor:
        """Fill with draws from the Cauchy distribution (``median + sigma * tan(pi (u - 1/2))``)."""
        median, sigma = _real(median, "cauchy_", "median"), _real(sigma, "cauchy_", "sigma")
        _floating(self._array, "cauchy_")
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
        values = numpy_generator(generator, "cauchy_").standard_cauchy(self.shape)
        return self._refill(Cauchy, values * sigma + median, "cauchy_")

    def bernoulli_(self, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
        """Fill with 1 with probability ``p`` (a number, or a tensor broadcast to this one's
        shape), else 0."""
        rng = numpy_generator(generator, "bernoulli_")
        if _is_tensor(p) or isinstance(p, np.ndarray):
            probs = _probabilities(p, "bernoulli_")
            probs = np.broadcast_to(probs, self.shape)
            draws = _uniform_floats(rng, self.shape, probs.dtype, "bernoulli_")
        else:
            probs = np.asarray(_real(p, "bernoulli_", "p"))
            if not 0 <= probs <= 1:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
            draws = _uniform_floats(rng, self.shape, self.dtype, "bernoulli_")
        return self._refill(Bernoulli, draws < probs, "bernoulli_")

    def bernoulli(self, p: Any = None, *, generator: Generator | None = None) -> Tensor:
        """0/1 draws with this tensor's values as probabilities (or ``p`` for every element)."""
        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples: int, replacement: bool = False, *,
                    generator: Generator | None = None) -> Tensor:
        """Category indices drawn with this tensor's rows as weights (see :func:`multinomial`)."""
        return multinomial(self, num_samples, replacement, generator=generator)


def _draw_dtype(dt: np.dtype) -> np.dtype:
    """float32 and float64 draws are made in that dtype; anything else in float64."""
    return dt if dt == np.float32 or dt == np.float64 else np.dtype(np.float64)


# ---------------------------------------------------------------------------
# Free functions
# ---------------------------------------------------------------------------

def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *,
           generator: Generator | None = None, out: Tensor | None = None, dtype: Any = None,
           layout: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Normal draws with the given means and standard deviations, as ``torch.normal``.

    ``normal(mean_tensor, std_tensor)`` (broadcast together), ``normal(mean_tensor,
    std=1.0)``, ``normal(mean, std_tensor)``, or ``normal(mean, std, size)`` with numbers.
    With tensors the dtype is theirs; the result is recorded with a zero gradient, as
    PyTorch does (use ``mean + std * randn(...)`` to differentiate through the draw).

    >>> import chainrule as cr
    >>> cr.normal(cr.zeros(2, 1), cr.ones(3)).shape, cr.normal(2.0, 3.0, (4,)).shape
    ((2, 3), (4,))
    """
    from ..creation import _options, _result, _result_dtype, _size

    _options("normal", device, layout)
    rng = numpy_generator(generator, "normal")
    tensors = [x for x in (mean, std) if _is_tensor(x)]
    if not tensors:
        if size is None:
            raise TypeError("normal(): with a number for both mean and std, give size too: "
                            "normal(mean, std, size)")
        mu, sigma = _real(mean, "normal", "mean"), _real(std, "normal", "std")
        if sigma < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {sigma:g}")
        dt = _result_dtype(dtype, out, "normal")
        values = draw_normal(rng, _size(tuple(size), "normal"), dt, "normal")
        values *= dt.type(sigma)
        values += dt.type(mu)
        return _result(values, "normal", out, requires_grad)
    if size is not None:
        raise TypeError("normal(): size goes with numbers for mean and std; with tensors, the "
                        "shape is theirs")
    arrays = [x._array for x in tensors]
    for a in arrays:
        _floating(a, "normal")
    dt = result_type(mean, std)
    if _is_tensor(std) and (std._array < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not _is_tensor(std) and _real(std, "normal", "std") < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    try:
        shape = np.broadcast_shapes(*(np.shape(x._array if _is_tensor(x) else x)
                                      for x in (mean, std)))
    except ValueError:
        raise RuntimeError(f"normal: the shapes of mean {np.shape(mean._array)} and std "
                           f"{np.shape(std._array)} don't broadcast") from None
    m = mean._array if _is_tensor(mean) else _real(mean, "normal", "mean")
    s = std._array if _is_tensor(std) else _real(std, "normal", "std")
    values = (draw_normal(rng, shape, dt, "normal") * s + m).astype(dt, copy=False)
    result = _apply(Normal, tensors, {"values": values})
    if out is not None:
        return _result(result._array, "normal", out)
    return result


def bernoulli(input: Any, p: Any = None, *,  # noqa: A002  (PyTorch's name)
              generator: Generator | None = None, out: Tensor | None = None) -> Tensor:
    """1 with probability ``input`` (elementwise), else 0, in ``input``'s dtype; with ``p``,
    every element has probability ``p`` (and ``input`` gives only shape and dtype).

    Recorded with a zero gradient, as PyTorch does.

    >>> import chainrule as cr
    >>> cr.bernoulli(cr.tensor([0.0, 1.0, 1.0]))
    tensor([0., 1., 1.])
    """
    from ..creation import _result

    if not _is_tensor(input):
        raise TypeError(f"bernoulli(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    rng = numpy_generator(generator, "bernoulli")
    _floating(input._array, "bernoulli")
    if p is None:
        probs = _probabilities(input, "bernoulli")
    else:
        probs = np.asarray(_real(p, "bernoulli", "p"))
        if not 0 <= probs <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    draws = _uniform_floats(rng, input.shape, input.dtype, "bernoulli")
    values = (draws < probs).astype(input.dtype)
    result = _apply(Bernoulli, (input,), {"values": values})
    return result if out is None else _result(values, "bernoulli", out)


def poisson(input: Any, generator: Generator | None = None) -> Tensor:  # noqa: A002
    """Poisson draws with rates ``input`` (elementwise), in ``input``'s dtype; recorded with a
    zero gradient, as PyTorch does.

    >>> import chainrule as cr
    >>> cr.poisson(cr.zeros(3))
    tensor([0., 0., 0.])
    """
    if not _is_tensor(input):
        raise TypeError(f"poisson(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    rates = input._array
    _floating(rates, "poisson")
    if not (rates >= 0).all():
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative")
    values = numpy_generator(generator, "poisson").poisson(rates).astype(rates.dtype)
    return _apply(Poisson, (input,), {"values": values})


def multinomial(input: Any, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Generator | None = None, out: Tensor | None = None) -> Tensor:
    """Indices of categories drawn with probabilities proportional to the weights in each row
    of ``input`` (1-d: one distribution; 2-d: one per row), int64.

    Without ``replacement`` each category is drawn at most once per row (so
    ``num_samples`` can be at most the number of nonzero weights); with it, draws are
    independent.

    >>> import chainrule as cr
    >>> cr.multinomial(cr.tensor([0.0, 1.0, 0.0]), 1)
    tensor([1])
    >>> cr.multinomial(cr.tensor([[1.0, 0.0], [0.0, 1.0]]), 3, replacement=True).tolist()
    [[0, 0, 0], [1, 1, 1]]
    """
    from ..creation import _result

    if not _is_tensor(input):
        raise TypeError(f"multinomial(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    weights = input._array
    if weights.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got "
                           f"{weights.dtype}")
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {weights.shape}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral):
        raise TypeError(f"multinomial(): argument 'num_samples' must be an int, not "
                        f"{type(num_samples).__name__}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got "
                           f"{num_samples})")
    rows = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    if not (np.isfinite(rows).all() and (rows >= 0).all()):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    rng = numpy_generator(generator, "multinomial")
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        picks = np.empty((rows.shape[0], num_samples), dtype=np.int64)
        for i in range(rows.shape[0]):  # inverse CDF: a zero weight is never drawn
            u = rng.random(num_samples) * cdf[i, -1]
            picks[i] = np.searchsorted(cdf[i], u, side="right")
    else:
        nonzero = int((rows > 0).sum(axis=1).min())
        if num_samples > nonzero:
            raise RuntimeError(f"multinomial: invalid multinomial distribution (with "
                               f"replacement=False, not enough non-negative category to "
                               f"sample): {num_samples} samples from {nonzero} categories")
        # exponential race: the k smallest E_i / w_i are a draw without replacement
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(rows.shape) / rows
        picks = np.argsort(keys, axis=1, kind="stable")[:, :num_samples].astype(np.int64)
    values = picks.reshape(*weights.shape[:-1], num_samples)
    if out is not None:
        return _result(values, "multinomial", out)
    from ..tensor import Tensor

    return Tensor(values)
