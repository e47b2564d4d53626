"""``chainrule.backends``: PyTorch's backend switches, accepted and answered on a CPU.

Programs set ``torch.backends.cudnn.benchmark = True``, ``torch.backends.cuda.matmul.
allow_tf32 = True`` and ask ``torch.backends.mps.is_available()``. chainrule computes
with NumPy on the CPU: the flags can be read and set (with PyTorch's defaults) and
change nothing; every ``is_available()`` is False.

>>> import chainrule as cr
>>> cr.backends.cudnn.benchmark = True
>>> cr.backends.mps.is_available(), cr.backends.cudnn.is_available()
(False, False)
"""

from __future__ import annotations

from . import cuda, cudnn, mkl, mkldnn, mps, openmp

__all__ = ["cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
