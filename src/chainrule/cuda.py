"""``chainrule.cuda``: what ``torch.cuda`` answers on a machine without CUDA.

chainrule computes with NumPy on the CPU. Programs ask ``torch.cuda.is_available()``
first and choose the CPU when it says False; the seeding and memory calls that they
make either way (``manual_seed_all``, ``empty_cache``, ``memory_allocated``) do
nothing here, as in PyTorch without CUDA. Calls that need a CUDA device
(``current_device``, ``synchronize``, ``get_device_name``, ...) raise one line, an
AssertionError as PyTorch's do (also a RuntimeError).

>>> import chainrule as cr
>>> cr.cuda.is_available(), cr.cuda.device_count()
(False, 0)
>>> cr.cuda.manual_seed_all(0)
"""

from __future__ import annotations

from typing import Any

from . import amp as _amp
from .devices import UnavailableDeviceError
from .random import _seed_value

__all__ = ["is_available", "device_count", "is_initialized", "init", "manual_seed",
           "manual_seed_all", "seed", "seed_all", "empty_cache", "synchronize",
           "current_device", "set_device", "get_device_name", "get_device_capability",
           "get_device_properties", "is_bf16_supported", "memory_allocated",
           "max_memory_allocated", "memory_reserved", "max_memory_reserved", "initial_seed",
           "get_rng_state", "set_rng_state", "amp"]

amp = _amp
"""``chainrule.cuda.amp``: the same GradScaler and autocast as :mod:`chainrule.amp`."""


def _no_cuda(what: str) -> UnavailableDeviceError:
    return UnavailableDeviceError(f"chainrule.cuda.{what}: CUDA is not available: chainrule "
                                  "computes with NumPy on the CPU only")


def is_available() -> bool:
    """False: chainrule has no CUDA."""
    return False


def device_count() -> int:
    """0: no CUDA devices."""
    return 0


def is_initialized() -> bool:
    """False: CUDA is never initialised."""
    return False


def init() -> None:
    """Refused: there is no CUDA to initialise."""
    raise _no_cuda("init()")


def manual_seed(seed: Any) -> None:
    """Does nothing but check the seed (as PyTorch without CUDA): there is no CUDA generator."""
    _seed_value(seed, "cuda.manual_seed")


def manual_seed_all(seed: Any) -> None:
    """Does nothing but check the seed (as PyTorch without CUDA)."""
    _seed_value(seed, "cuda.manual_seed_all")


def seed() -> None:
    """Does nothing (as PyTorch without CUDA)."""


def seed_all() -> None:
    """Does nothing (as PyTorch without CUDA)."""


def empty_cache() -> None:
    """Does nothing: there is no CUDA memory cache."""


def memory_allocated(device: Any = None) -> int:
    """0 bytes: no CUDA memory is ever allocated."""
    return 0


def max_memory_allocated(device: Any = None) -> int:
    """0 bytes: no CUDA memory is ever allocated."""
    return 0


def memory_reserved(device: Any = None) -> int:
    """0 bytes: no CUDA memory is ever reserved."""
    return 0


def max_memory_reserved(device: Any = None) -> int:
    """0 bytes: no CUDA memory is ever reserved."""
    return 0


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: no CUDA device, and NumPy has no bfloat16."""
    return False


def synchronize(device: Any = None) -> None:
    """Refused, as PyTorch without CUDA: there is no device to wait for."""
    raise _no_cuda("synchronize()")


def current_device() -> int:
    """Refused, as PyTorch without CUDA."""
    raise _no_cuda("current_device()")


def set_device(device: Any) -> None:
    """Refused: there is no CUDA device to choose."""
    raise _no_cuda("set_device()")


def get_device_name(device: Any = None) -> str:
    """Refused, as PyTorch without CUDA."""
    raise _no_cuda("get_device_name()")


def get_device_capability(device: Any = None) -> tuple[int, int]:
    """Refused, as PyTorch without CUDA."""
    raise _no_cuda("get_device_capability()")


def get_device_properties(device: Any = None) -> Any:
    """Refused, as PyTorch without CUDA."""
    raise _no_cuda("get_device_properties()")


def initial_seed() -> int:
    """Refused, as PyTorch without CUDA: there is no CUDA generator."""
    raise _no_cuda("initial_seed()")


def get_rng_state(device: Any = "cuda") -> Any:
    """Refused, as PyTorch without CUDA: there is no CUDA generator."""
    raise _no_cuda("get_rng_state()")


def set_rng_state(new_state: Any, device: Any = "cuda") -> None:
    """Refused, as PyTorch without CUDA: there is no CUDA generator."""
    raise _no_cuda("set_rng_state()")
