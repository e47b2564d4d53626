"""``chainrule.linalg``: PyTorch's ``torch.linalg``, each function differentiable at any order.

Forward and VJP of each op are in :mod:`chainrule.ops.linalg`; the argument checks
and compositions in :mod:`chainrule.tensor_methods.linalg`. Everything works on
batches (the last two dims are the matrices), in float32 and float64.

>>> import chainrule as cr
>>> A = cr.tensor([[4.0, 1.0], [1.0, 3.0]], requires_grad=True)
>>> cr.linalg.det(A).backward()
>>> A.grad
tensor([[ 3., -1.],
        [-1.,  4.]])
"""

from __future__ import annotations

from .tensor_methods.linalg import (
    cholesky,
    cholesky_ex,
    cond,
    det,
    diagonal,
    eigh,
    eigvalsh,
    inv,
    inv_ex,
    lstsq,
    matrix_exp,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    qr,
    slogdet,
    solve,
    solve_ex,
    solve_triangular,
    svd,
    svdvals,
    tensordot,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
    vector_norm,
)
from .tensor_methods.linalg import linalg_cross as cross
from .tensor_methods.linalg import matmul_fn as matmul

__all__ = ["cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh",
           "inv", "inv_ex", "lstsq", "matmul", "matrix_exp", "matrix_norm", "matrix_power",
           "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex",
           "solve_triangular", "svd", "svdvals", "tensordot", "tensorinv", "tensorsolve",
           "vander", "vecdot", "vector_norm"]
