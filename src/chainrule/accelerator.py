"""``chainrule.accelerator``: what ``torch.accelerator`` answers on a machine without one.

>>> import chainrule as cr
>>> cr.accelerator.is_available(), cr.accelerator.current_accelerator()
(False, None)
"""

from __future__ import annotations

from typing import Any

from .devices import UnavailableDeviceError, device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "synchronize"]


def _none() -> UnavailableDeviceError:
    return UnavailableDeviceError("Cannot access accelerator device when none is available: "
                                  "chainrule computes with NumPy on the CPU only")


def is_available(check_fully: bool = False) -> bool:
    """False: chainrule runs on the CPU."""
    return False


def current_accelerator(check_available: bool = False) -> device | None:
    """None: there is no accelerator."""
    return None


def device_count() -> int:
    """0: no accelerator devices."""
    return 0


def current_device_index() -> int:
    """Refused, as PyTorch without an accelerator."""
    raise _none()


def set_device_index(device: Any) -> None:
    """Refused, as PyTorch without an accelerator."""
    raise _none()


def synchronize(device: Any = None) -> None:
    """Refused, as PyTorch without an accelerator."""
    raise _none()
