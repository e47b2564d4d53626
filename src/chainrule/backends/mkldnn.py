"""``chainrule.backends.mkldnn``: a PyTorch CPU backend that chainrule does not use (NumPy
does the work), so it is reported unavailable.

>>> import chainrule as cr
>>> cr.backends.mkldnn.is_available()
False
"""

from __future__ import annotations

__all__ = ["is_available", "enabled"]

enabled = True
"""PyTorch's switch for this backend (accepted, ignored)."""


def is_available() -> bool:
    """False: chainrule computes with NumPy, not with PyTorch's mkldnn backend."""
    return False
