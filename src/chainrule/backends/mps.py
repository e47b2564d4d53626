"""``chainrule.backends.mps``: Apple's Metal backend, which chainrule does not have.

>>> import chainrule as cr
>>> cr.backends.mps.is_available(), cr.backends.mps.is_built()
(False, False)
"""

from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """False: chainrule computes with NumPy on the CPU."""
    return False


def is_built() -> bool:
    """False: chainrule is not built with MPS."""
    return False
