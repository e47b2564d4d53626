"""Random number generators: :class:`Generator` and the global seed and state functions.

Every random draw in chainrule (``rand``, ``randn``, ``normal``, ``dropout``, the
initialisers, shuffling) comes from a :class:`Generator`: the one given as
``generator=``, or the default one, which :func:`manual_seed` seeds. A Generator wraps a
NumPy ``Generator`` (PCG64), so the numbers differ from PyTorch's for the same seed;
seeding, state saving and restoring behave as PyTorch's do.

>>> import chainrule as cr
>>> g = cr.Generator().manual_seed(42)
>>> a = cr.rand(3, generator=g)
>>> state = g.get_state()
>>> b = cr.rand(3, generator=g)
>>> _ = g.set_state(state)
>>> bool((cr.rand(3, generator=g) == b).all())
True
"""

from __future__ import annotations

import contextlib
import copy
import json
import numbers
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .devices import CPU, check_device, device

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "fork_rng", "numpy_generator"]

DEFAULT_SEED = 67280421310721
"""The seed of a new :class:`Generator`, as in PyTorch."""


def _seed_value(value: Any, where: str) -> int:
    """PyTorch's seeds: integers in [-2**63, 2**64), negative ones taken modulo 2**64."""
    if isinstance(value, str) or (isinstance(value, numbers.Real)
                                  and not isinstance(value, numbers.Integral)):
        try:
            value = int(value)  # type: ignore[arg-type]  # as torch.manual_seed: 1.5 and "3" are read as int() reads them
        except ValueError:
            raise ValueError(f"{where}: the seed must be an integer, got {value!r}") from None
    if not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: the seed must be an integer, got {type(value).__name__}")
    value = int(value)
    if not -(2 ** 63) <= value < 2 ** 64:
        raise ValueError(f"{where}: the seed must be in [-2**63, 2**64), got {value}")
    return value % 2 ** 64


class Generator:
    """A random number generator that creation and random functions take as ``generator=``.

    ``manual_seed(seed)`` reseeds it (and returns it), ``seed()`` reseeds it from the
    operating system's entropy, ``initial_seed()`` gives the seed it last got, and
    ``get_state()`` / ``set_state(state)`` save and restore its state (a uint8 tensor).
    A new Generator starts from PyTorch's default seed, 67280421310721.

    >>> import chainrule as cr
    >>> g = cr.Generator()
    >>> g.initial_seed(), g.device
    (67280421310721, device(type='cpu'))
    """

    def __init__(self, device: Any = "cpu") -> None:
        check_device(device, "Generator")
        self._initial_seed = DEFAULT_SEED
        self.rng: np.random.Generator = np.random.default_rng(DEFAULT_SEED)
        """The NumPy Generator the draws come from (replaced when reseeded)."""

    @property
    def device(self) -> device:
        """Where this generator's numbers go: the CPU."""
        return CPU

    def manual_seed(self, seed: Any) -> Generator:
        """Reseed with ``seed`` (an integer); returns this generator."""
        self._initial_seed = _seed_value(seed, "manual_seed")
        self.rng = np.random.default_rng(self._initial_seed)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        self.manual_seed(secrets.randbits(64))
        return self._initial_seed

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._initial_seed

    def get_state(self) -> Tensor:
        """The generator's state, as a uint8 tensor that :meth:`set_state` takes back."""
        from .tensor import Tensor  # random sits below tensor: look it up when asked

        record = {"seed": self._initial_seed, "state": self.rng.bit_generator.state}
        data = json.dumps(record, sort_keys=True).encode("ascii")
        return Tensor(np.frombuffer(data, dtype=np.uint8).copy())

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state saved by :meth:`get_state` (of this or another Generator)."""
        array = getattr(new_state, "_array", new_state)
        if not isinstance(array, np.ndarray) or array.dtype != np.uint8 or array.ndim != 1:
            raise TypeError("set_state: expected the uint8 tensor that get_state() returned, "
                            f"got {_describe(new_state)}")
        try:
            record = json.loads(array.tobytes().decode("ascii"))
            state = record["state"]
            bit_generator = getattr(np.random, state["bit_generator"])()
            bit_generator.state = state
            seed = int(record["seed"])
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            raise ValueError("set_state: this tensor is not a generator state saved by "
                             "chainrule's get_state()") from None
        self.rng = np.random.Generator(bit_generator)
        self._initial_seed = seed
        return self

    def __deepcopy__(self, memo: dict) -> Generator:
        twin = Generator.__new__(Generator)
        twin._initial_seed = self._initial_seed
        twin.rng = copy.deepcopy(self.rng, memo)
        return twin

    def __repr__(self) -> str:
        return f"<chainrule.Generator seeded {self._initial_seed}>"


def _describe(x: Any) -> str:
    array = getattr(x, "_array", x)
    if isinstance(array, np.ndarray):
        return f"an array of shape {array.shape} and dtype {array.dtype}"
    return type(x).__name__


default_generator = Generator()
"""The generator behind every draw that is not given ``generator=``."""
default_generator.seed()  # as PyTorch: a fresh process draws fresh numbers until seeded


def numpy_generator(generator: Generator | None = None, where: str = "generator"
                    ) -> np.random.Generator:
    """The NumPy Generator to draw from: ``generator``'s, or the default generator's.

    A NumPy Generator is accepted too (and used as it is).
    """
    if generator is None:
        return default_generator.rng
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{where}: generator must be a chainrule.Generator, got "
                    f"{type(generator).__name__}")


def manual_seed(seed: Any) -> Generator:
    """Seed the default generator (rand, randn, init, dropout, shuffling); returns it.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(3)
    >>> a = cr.rand(2)
    >>> _ = cr.manual_seed(3)
    >>> bool((cr.rand(2) == a).all())
    True
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state, as a uint8 tensor (see :meth:`Generator.get_state`)."""
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    """Restore the default generator's state from :func:`get_rng_state`."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, device_type: str = "cuda"
             ) -> Iterator[None]:
    """Inside the block, draw freely: the default generator's state is restored on exit.

    ``devices`` and ``device_type`` name accelerator generators, which chainrule has
    none of; only the CPU's default generator is forked.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> with cr.random.fork_rng():
    ...     _ = cr.rand(5)
    >>> a = cr.rand(2)
    >>> _ = cr.manual_seed(0)
    >>> bool((cr.rand(2) == a).all())
    True
    """
    if not enabled:
        yield
        return
    state = default_generator.get_state()
    try:
        yield
    finally:
        default_generator.set_state(state)


# ---------------------------------------------------------------------------
# Draws in a given dtype (no float64 temporary for float32 results)
# ---------------------------------------------------------------------------

def _real_part(dt: np.dtype) -> np.dtype:
    return np.dtype(f"f{dt.itemsize // 2}")


def draw_uniform(rng: np.random.Generator, shape: tuple, dt: np.dtype, where: str
                 ) -> np.ndarray:
    """Uniform on [0, 1) in the floating or complex dtype ``dt`` (each part, for complex)."""
    if dt.kind == "c":
        part = _real_part(dt)
        out = np.empty(shape, dt)
        out.real = draw_uniform(rng, shape, part, where)
        out.imag = draw_uniform(rng, shape, part, where)
        return out
    if dt == np.float32 or dt == np.float64:
        return rng.random(shape, dtype=dt)
    if dt == np.float16:  # k / 2**11 with k < 2**11: every value is exact, and below 1
        return (rng.integers(0, 2 ** 11, shape, dtype=np.int16) * 2.0 ** -11).astype(dt)
    raise TypeError(f"{where}: uniform draws need a floating dtype, got {dt}; use randint for "
                    "integers")


def draw_normal(rng: np.random.Generator, shape: tuple, dt: np.dtype, where: str) -> np.ndarray:
    """Standard normal draws in the floating dtype ``dt``; for a complex ``dt``, each part
    has variance 1/2 (as PyTorch), so the complex number has variance 1."""
    if dt.kind == "c":
        part = _real_part(dt)
        out = np.empty(shape, dt)
        out.real = draw_normal(rng, shape, part, where)
        out.imag = draw_normal(rng, shape, part, where)
        out *= np.sqrt(0.5).astype(part)
        return out
    if dt == np.float32 or dt == np.float64:
        return rng.standard_normal(shape, dtype=dt)
    if dt == np.float16:
        return rng.standard_normal(shape, dtype=np.float32).astype(dt)
    raise TypeError(f"{where}: normal draws need a floating dtype, got {dt}")
