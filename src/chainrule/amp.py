"""``chainrule.amp``: mixed precision's GradScaler and autocast, which do nothing on a CPU.

Mixed precision computes in float16/bfloat16 on a GPU and scales the loss so that small
gradients do not underflow. chainrule computes in the tensors' own dtypes with NumPy,
so the scaler is always disabled (as PyTorch's is without CUDA, with the same warning
when asked to be enabled) and autocast changes no dtype. Training code written with
them runs unchanged.

>>> import chainrule as cr
>>> scaler = cr.amp.GradScaler(enabled=False)
>>> loss = cr.tensor(2.0)
>>> scaler.scale(loss) is loss, scaler.get_scale(), scaler.is_enabled()
(True, 1.0, False)
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["GradScaler", "autocast"]


class GradScaler:
    """A loss scaler that is always disabled: ``scale(loss)`` is ``loss``, ``step(optimizer)``
    is ``optimizer.step()``, ``update()`` and ``unscale_()`` do nothing.

    ``enabled=True`` warns once and disables it, as PyTorch's does without CUDA.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        if enabled:
            warnings.warn("GradScaler is enabled, but chainrule computes in float32/float64 on "
                          "the CPU, where no loss scaling is needed. Disabling.", stacklevel=2)
        self._enabled = False

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs: Any) -> Any:
        """``outputs`` unchanged."""
        return outputs

    def unscale_(self, optimizer: Any) -> None:
        """Nothing to unscale."""

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """``optimizer.step(*args, **kwargs)``."""
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: Any = None) -> None:
        """Nothing to update."""

    def get_scale(self) -> float:
        """1.0, PyTorch's answer for a disabled scaler."""
        return 1.0

    def state_dict(self) -> dict:
        """Empty, as a disabled scaler's in PyTorch."""
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        """Accepts a saved state (of a disabled or enabled scaler) and ignores it."""


class autocast:
    """A context manager and decorator that changes no dtype: every op runs in its inputs'
    dtype, as it would outside. Asking for it enabled warns once (chainrule has no
    mixed precision); ``enabled=False`` is silent."""

    _warned = False

    def __init__(self, device_type: str = "cuda", dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"autocast: expected device_type of type str, got "
                             f"{type(device_type).__name__}")
        self.enabled = bool(enabled)
        if self.enabled and not autocast._warned:
            autocast._warned = True
            warnings.warn("autocast: chainrule has no mixed precision; ops run in their "
                          "inputs' dtypes", stacklevel=2)

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        return wrapper
