"""chainrule.nn.functional: layers and losses as functions (``import ... as F``).

One module per kind, as PyTorch's documentation groups them (activation, linear,
dropout, sparse, vision, conv, pooling, normalization, loss, distance, attention);
this package re-exports every public name, so ``F.<name>`` is all a user needs.

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

from .activation import (
    celu,
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from .attention import scaled_dot_product_attention
from .conv import conv1d, conv2d
from .distance import cosine_similarity, pairwise_distance
from .dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from .linear import linear
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    ctc_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from .normalization import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    normalize,
    rms_norm,
)
from .pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from .sparse import embedding, embedding_bag, one_hot
from .vision import pad

__all__ = [
    "relu",
    "leaky_relu",
    "gelu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "silu",
    "softplus",
    "elu",
    "selu",
    "celu",
    "mish",
    "hardtanh",
    "relu6",
    "hardswish",
    "hardsigmoid",
    "logsigmoid",
    "softsign",
    "softmin",
    "glu",
    "tanhshrink",
    "softshrink",
    "hardshrink",
    "threshold",
    "prelu",
    "rrelu",
    "relu_",
    "leaky_relu_",
    "elu_",
    "selu_",
    "celu_",
    "hardtanh_",
    "threshold_",
    "rrelu_",
    "linear",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "feature_alpha_dropout",
    "embedding",
    "one_hot",
    "embedding_bag",
    "pad",
    "conv2d",
    "conv1d",
    "max_pool2d",
    "max_pool1d",
    "avg_pool2d",
    "avg_pool1d",
    "batch_norm",
    "layer_norm",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "ctc_loss",
    "group_norm",
    "instance_norm",
    "rms_norm",
    "local_response_norm",
    "normalize",
    "cosine_similarity",
    "pairwise_distance",
    "scaled_dot_product_attention",
]
