"""Matrix products.

The VJP of ``C = A B`` is ``(G B^T, A^T G)``: the gradient of ``<A X, G>`` with respect
to ``X`` is ``A^T G``, so no Jacobian of the product is ever formed.
"""

from __future__ import annotations

import numpy as np

from ..function import Function


class Matmul(Function):
    """``a @ b`` with NumPy's rules: 1-D operands, batch dimensions that broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        need_a, need_b = ctx.needs_input_grad
        a_vec, b_vec = a.ndim == 1, b.ndim == 1
        # Treat a vector as a 1-row (a) or 1-column (b) matrix, and g to match.
        if a_vec:
            a = xp.reshape(a, (1,) + a.shape)
        if b_vec:
            b = xp.reshape(b, b.shape + (1,))
        if a_vec and b_vec:
            g = xp.reshape(g, (1, 1))
        elif a_vec:
            g = xp.expand_dims(g, -2)
        elif b_vec:
            g = xp.expand_dims(g, -1)
        ga = gb = None
        if need_a:
            ga = xp.matmul(g, xp.swapaxes(b, -1, -2))
            if a_vec:
                ga = xp.reshape(xp.sum_to(ga, a.shape), (a.shape[-1],))
        if need_b:
            gb = xp.matmul(xp.swapaxes(a, -1, -2), g)
            if b_vec:
                gb = xp.reshape(xp.sum_to(gb, b.shape), (b.shape[0],))
        return ga, gb
