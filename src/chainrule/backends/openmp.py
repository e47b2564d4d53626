"""``chainrule.backends.openmp``: a PyTorch CPU backend that chainrule does not use (NumPy
does the work), so it is reported unavailable.

>>> import chainrule as cr
>>> cr.backends.openmp.is_available()
False
"""

from __future__ import annotations

__all__ = ["is_available"]


def is_available() -> bool:
    """False: chainrule computes with NumPy, not with PyTorch's openmp backend."""
    return False
