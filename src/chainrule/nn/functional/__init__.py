"""chainrule.nn.functional: layers and losses as functions (``import ... as F``).

One module per kind, as PyTorch's documentation groups them (activation, linear,
dropout, sparse, vision, conv, pooling, normalization, loss); this package
re-exports every public name, so ``F.<name>`` is all a user needs.

Names, arguments and defaults follow ``torch.nn.functional``. Dense layers,
softmax cross-entropy and the binary cross-entropies are fused ops (one forward,
one hand-derived VJP); convolution and pooling are built from the sliding-window
ops of :mod:`chainrule.ops.conv`; the rest is composed from Tensor ops, so
every function here has gradients of any order except where noted.

>>> import chainrule as cr
>>> from chainrule.nn import functional as F
>>> logits = cr.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
>>> loss = F.cross_entropy(logits, cr.tensor([0]))
>>> round(loss.item(), 4)
0.1698
>>> loss.backward()
>>> logits.grad
tensor([[-0.1562,  0.1142,  0.042 ]])
"""

from __future__ import annotations

from .activation import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    fold,
    unfold,
)
from .dropout import dropout
from .linear import linear
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from .normalization import batch_norm, layer_norm
from .pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from .sparse import embedding, one_hot
from .vision import (
    affine_grid,
    channel_shuffle,
    grid_sample,
    interpolate,
    pad,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)

__all__ = [
    "relu",
    "leaky_relu",
    "gelu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "linear",
    "dropout",
    "embedding",
    "one_hot",
    "pad",
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "grid_sample",
    "affine_grid",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "unfold",
    "fold",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "batch_norm",
    "layer_norm",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
]
