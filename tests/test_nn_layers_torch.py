"""The layers of issue 11 (activations, losses, 3-d and transposed convolutions, pooling,
padding, normalisation, dropout, containers, vision, distances, Bilinear, EmbeddingBag)
against PyTorch.

For every layer: PyTorch's state_dict loads into the chainrule layer (and the chainrule
layer's into PyTorch's), the keys are the same, and outputs, input gradients, parameter
gradients and updated buffers agree in float32 and float64, in train and eval mode;
gradcheck and gradgradcheck in float64 through inputs and parameters; the repr is
PyTorch's. Then default initialisation statistics, error messages, containers,
random layers in training, and nn.utils' parameter vectors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from op_catalogue import FLOAT64_TOL

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn.utils import parameters_to_vector, vector_to_parameters

DTYPES = [np.float32, np.float64]
# the suite's float64 tolerance, with atol 1e-7: normalisation layers' input gradients sum
# to zero, and central differences leave about 1e-8 of cancellation noise on them
GRADCHECK_TOL = dict(FLOAT64_TOL, atol=1e-7)
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """PyTorch's thread pool costs more than it gains on these tiny tensors (30 ms for a
    3x3 instance norm on a busy machine); one thread for this file, then as it was."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def T(m, values):
    """A constant tensor of the library whose ``nn`` is ``m``."""
    values = np.asarray(values)
    if m is torch.nn:
        return torch.tensor(values)
    return cr.tensor(values)


# -- input makers: (rng) -> array; floats are cast to the test's dtype --------------------

def R(*shape, scale=1.0, shift=0.0):
    return lambda rng: rng.standard_normal(shape) * scale + shift


def U(*shape, low=0.1, high=0.9):
    return lambda rng: rng.uniform(low, high, shape)


def I(*shape, high, low=0):  # noqa: E743
    return lambda rng: rng.integers(low, high, shape).astype(np.int64)


def C(values):
    values = np.asarray(values)
    return lambda rng: values


def SIGN(*shape):
    return lambda rng: rng.choice([-1.0, 1.0], shape)


class Spec:
    """A layer case: ``make(m)`` builds it from ``m`` = torch.nn or chainrule.nn; ``inputs``
    are makers; ``grads`` says which inputs get a gradient (default: every float input);
    ``random`` layers are compared in eval mode only; ``pre(x)`` is applied to the first
    input inside the comparison; ``tol64`` loosens the float64 tolerance where PyTorch's
    kernel is the less accurate one; ``gradcheck=False`` where the forward changes the
    parameters it is checked through (Embedding's max_norm renormalises rows in place)."""

    def __init__(self, make, *inputs, grads=None, random=False, gradgrad=True, pre=None,
                 tol64=None, gradcheck=True):
        self.make = make
        self.gradcheck = gradcheck
        self.inputs = inputs
        self.grads = grads
        self.random = random
        self.gradgrad = gradgrad
        self.pre = pre
        self.tol64 = tol64


SPECS = {
    # -- activations ----------------------------------------------------------------
    "threshold": Spec(lambda m: m.Threshold(0.1, 20.0), R(3, 4)),
    "rrelu": Spec(lambda m: m.RReLU(0.1, 0.3), R(3, 4), random=True),
    "hardtanh": Spec(lambda m: m.Hardtanh(-0.5, 0.8), R(3, 4)),
    "relu6": Spec(lambda m: m.ReLU6(), R(3, 4, scale=4)),
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, in float64 too
    "hardsigmoid": Spec(lambda m: m.Hardsigmoid(), R(3, 4, scale=4),
                        tol64=dict(rtol=5e-8, atol=1e-11)),
    "silu": Spec(lambda m: m.SiLU(), R(3, 4)),
    "mish": Spec(lambda m: m.Mish(), R(3, 4)),
    "hardswish": Spec(lambda m: m.Hardswish(), R(3, 4, scale=4)),
    "elu": Spec(lambda m: m.ELU(alpha=0.7), R(3, 4)),
    "celu": Spec(lambda m: m.CELU(alpha=1.5), R(3, 4)),
    "selu": Spec(lambda m: m.SELU(), R(3, 4)),
    "glu": Spec(lambda m: m.GLU(dim=1), R(3, 4)),
    "hardshrink": Spec(lambda m: m.Hardshrink(0.3), R(3, 4)),
    "softshrink": Spec(lambda m: m.Softshrink(0.3), R(3, 4)),
    "logsigmoid": Spec(lambda m: m.LogSigmoid(), R(3, 4, scale=3)),
    "softplus": Spec(lambda m: m.Softplus(beta=2.0, threshold=3.0), R(3, 4, scale=2)),
    "prelu": Spec(lambda m: m.PReLU(), R(3, 4)),
    "prelu_channels": Spec(lambda m: m.PReLU(3, init=0.1), R(2, 3, 4)),
    "softsign": Spec(lambda m: m.Softsign(), R(3, 4)),
    "tanhshrink": Spec(lambda m: m.Tanhshrink(), R(3, 4)),
    "softmin": Spec(lambda m: m.Softmin(dim=1), R(3, 4)),
    "softmax2d": Spec(lambda m: m.Softmax2d(), R(2, 3, 2, 2)),
    # -- convolutions ---------------------------------------------------------------
    "conv3d": Spec(lambda m: m.Conv3d(2, 3, (2, 3, 2), stride=(1, 2, 1), padding=1),
                   R(2, 2, 2, 4, 3)),
    "conv3d_groups": Spec(lambda m: m.Conv3d(4, 2, 2, groups=2, bias=False), R(1, 4, 3, 2, 3)),
    "conv2d_reflect": Spec(lambda m: m.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
                           R(2, 2, 4, 5)),
    "conv2d_circular": Spec(lambda m: m.Conv2d(2, 2, 3, padding=(1, 2),
                                               padding_mode="circular"), R(1, 2, 4, 5)),
    "conv1d_replicate_same": Spec(lambda m: m.Conv1d(2, 2, 4, padding="same",
                                                     padding_mode="replicate"), R(2, 2, 7)),
    "conv_transpose1d": Spec(lambda m: m.ConvTranspose1d(3, 2, 3, stride=2, padding=1,
                                                         output_padding=1), R(2, 3, 4)),
    "conv_transpose2d_groups": Spec(lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, padding=1,
                                                                groups=2), R(2, 4, 2, 3)),
    "conv_transpose2d_dilation": Spec(lambda m: m.ConvTranspose2d(
        2, 3, (2, 3), stride=(1, 2), dilation=2, bias=False), R(1, 2, 3, 2)),
    "conv_transpose2d_unbatched": Spec(lambda m: m.ConvTranspose2d(2, 3, 3), R(2, 3, 3)),
    "conv_transpose3d": Spec(lambda m: m.ConvTranspose3d(2, 2, 2, stride=2), R(1, 2, 2, 2, 3)),
    "fold": Spec(lambda m: m.Fold((3, 4), 2), R(2, 3 * 4, 6)),
    "unfold": Spec(lambda m: m.Unfold((2, 3), padding=1, stride=2), R(2, 2, 4, 5)),
    # -- pooling --------------------------------------------------------------------
    "maxpool3d": Spec(lambda m: m.MaxPool3d(2, stride=1, padding=1), R(1, 2, 2, 3, 3)),
    "avgpool3d": Spec(lambda m: m.AvgPool3d((2, 2, 3), stride=2, padding=1,
                                            count_include_pad=False), R(1, 2, 3, 4, 5)),
    "adaptive_avgpool1d": Spec(lambda m: m.AdaptiveAvgPool1d(3), R(2, 3, 7)),
    "adaptive_avgpool2d": Spec(lambda m: m.AdaptiveAvgPool2d((2, None)), R(2, 2, 5, 4)),
    "adaptive_avgpool3d": Spec(lambda m: m.AdaptiveAvgPool3d((1, 2, 3)), R(1, 2, 3, 5, 4)),
    "adaptive_maxpool1d": Spec(lambda m: m.AdaptiveMaxPool1d(3), R(2, 3, 7)),
    "adaptive_maxpool2d": Spec(lambda m: m.AdaptiveMaxPool2d(2), R(2, 2, 5, 4)),
    "adaptive_maxpool3d": Spec(lambda m: m.AdaptiveMaxPool3d((1, 2, 2)), R(1, 2, 3, 5, 4)),
    "lppool1d": Spec(lambda m: m.LPPool1d(2, 3, stride=2), R(2, 3, 7)),
    "lppool2d": Spec(lambda m: m.LPPool2d(1.5, (2, 3)), U(1, 2, 4, 6, low=0.2, high=1.5)),
    "lppool3d": Spec(lambda m: m.LPPool3d(2, 2), R(1, 1, 4, 4, 2)),
    "fractional_maxpool2d": Spec(lambda m: m.FractionalMaxPool2d(
        (2, 3), output_size=(3, 4), _random_samples=T(m, [[[0.3, 0.8], [0.6, 0.1]]] * 2)),
        R(2, 2, 6, 8)),
    "fractional_maxpool3d_ratio": Spec(lambda m: m.FractionalMaxPool3d(
        2, output_ratio=0.6, _random_samples=T(m, [[[0.3, 0.8, 0.5]]])), R(1, 1, 5, 4, 5)),
    # -- padding --------------------------------------------------------------------
    "zeropad1d": Spec(lambda m: m.ZeroPad1d(2), R(2, 3)),
    "zeropad2d": Spec(lambda m: m.ZeroPad2d((1, 0, 2, 1)), R(1, 2, 3)),
    "zeropad3d": Spec(lambda m: m.ZeroPad3d(1), R(1, 2, 2, 2)),
    "constantpad1d": Spec(lambda m: m.ConstantPad1d((2, 1), 3.5), R(2, 3)),
    "constantpad2d": Spec(lambda m: m.ConstantPad2d(1, -1.0), R(1, 2, 3)),
    "constantpad3d_crop": Spec(lambda m: m.ConstantPad3d((1, 0, 0, -1, 1, 0), 2.0),
                               R(1, 2, 3, 2)),
    "reflectionpad1d": Spec(lambda m: m.ReflectionPad1d((2, 1)), R(2, 2, 4)),
    "reflectionpad2d": Spec(lambda m: m.ReflectionPad2d((1, 2, 0, 1)), R(1, 2, 3, 4)),
    "reflectionpad3d": Spec(lambda m: m.ReflectionPad3d(1), R(1, 1, 2, 3, 3)),
    "replicationpad1d": Spec(lambda m: m.ReplicationPad1d((2, 1)), R(2, 2, 3)),
    "replicationpad2d": Spec(lambda m: m.ReplicationPad2d((1, 2, 0, 1)), R(2, 3, 3)),
    "replicationpad3d": Spec(lambda m: m.ReplicationPad3d(1), R(1, 1, 2, 2, 3)),
    "circularpad1d": Spec(lambda m: m.CircularPad1d((2, 1)), R(2, 2, 3)),
    "circularpad2d": Spec(lambda m: m.CircularPad2d((1, 2, 0, 1)), R(1, 2, 3, 3)),
    "circularpad3d": Spec(lambda m: m.CircularPad3d(1), R(1, 1, 2, 2, 3)),
    # -- normalisation --------------------------------------------------------------
    "batchnorm3d": Spec(lambda m: m.BatchNorm3d(3), R(2, 3, 2, 2, 2)),
    "groupnorm": Spec(lambda m: m.GroupNorm(2, 4), R(3, 4, 5)),
    "groupnorm_no_affine": Spec(lambda m: m.GroupNorm(3, 6, affine=False), R(2, 6, 2, 2)),
    "instancenorm1d": Spec(lambda m: m.InstanceNorm1d(3), R(2, 3, 6)),
    "instancenorm1d_unbatched": Spec(lambda m: m.InstanceNorm1d(3, affine=True), R(3, 6)),
    "instancenorm1d_tracked": Spec(lambda m: m.InstanceNorm1d(
        3, affine=True, track_running_stats=True, momentum=0.3), R(2, 3, 5)),
    "instancenorm2d_affine": Spec(lambda m: m.InstanceNorm2d(3, affine=True), R(2, 3, 3, 3)),
    "instancenorm2d_tracked": Spec(lambda m: m.InstanceNorm2d(2, track_running_stats=True),
                                   R(2, 2, 3, 3)),
    "instancenorm3d": Spec(lambda m: m.InstanceNorm3d(2), R(1, 2, 2, 3, 2)),
    "local_response_norm": Spec(lambda m: m.LocalResponseNorm(3, alpha=0.3, k=1.5),
                                R(2, 5, 3)),
    "rmsnorm": Spec(lambda m: m.RMSNorm(4), R(3, 4)),
    "rmsnorm_2d_eps": Spec(lambda m: m.RMSNorm((2, 3), eps=1e-3), R(2, 2, 3)),
    # -- dropout (the identity in eval mode) ----------------------------------------
    "dropout1d": Spec(lambda m: m.Dropout1d(0.3), R(2, 3, 4), random=True),
    "dropout2d": Spec(lambda m: m.Dropout2d(0.3), R(2, 3, 2, 2), random=True),
    "dropout3d": Spec(lambda m: m.Dropout3d(0.3), R(2, 3, 2, 2, 2), random=True),
    "alpha_dropout": Spec(lambda m: m.AlphaDropout(0.3), R(3, 4), random=True),
    "feature_alpha_dropout": Spec(lambda m: m.FeatureAlphaDropout(0.3), R(2, 3, 4),
                                  random=True),
    # -- shape and vision -----------------------------------------------------------
    "unflatten": Spec(lambda m: m.Unflatten(1, (2, 3)), R(4, 6)),
    "unflatten_negative": Spec(lambda m: m.Unflatten(-1, (2, -1)), R(2, 3, 4)),
    "pixel_shuffle": Spec(lambda m: m.PixelShuffle(2), R(1, 8, 2, 3)),
    "pixel_unshuffle": Spec(lambda m: m.PixelUnshuffle(2), R(1, 2, 4, 6)),
    "channel_shuffle": Spec(lambda m: m.ChannelShuffle(2), R(1, 4, 2, 2)),
    "upsample_nearest": Spec(lambda m: m.Upsample(scale_factor=2), R(1, 2, 3, 3)),
    "upsample_bilinear": Spec(lambda m: m.Upsample(size=(5, 4), mode="bilinear"),
                              R(1, 2, 3, 3)),
    "upsample_linear": Spec(lambda m: m.Upsample(scale_factor=1.5, mode="linear",
                                                 align_corners=True), R(2, 2, 4)),
    "upsample_trilinear": Spec(lambda m: m.Upsample(size=(3, 3, 4), mode="trilinear"),
                               R(1, 1, 2, 2, 3)),
    "upsampling_nearest2d": Spec(lambda m: m.UpsamplingNearest2d(size=(5, 7)), R(1, 2, 3, 3)),
    "upsampling_bilinear2d": Spec(lambda m: m.UpsamplingBilinear2d(scale_factor=2),
                                  R(1, 2, 2, 3)),
    # -- distances, bilinear, embedding bags ---------------------------------------
    "cosine_similarity": Spec(lambda m: m.CosineSimilarity(dim=1), R(3, 4), R(3, 4)),
    "pairwise_distance": Spec(lambda m: m.PairwiseDistance(p=1.5, keepdim=True),
                              R(3, 4), R(3, 4)),
    "bilinear": Spec(lambda m: m.Bilinear(3, 4, 5), R(6, 3), R(6, 4)),
    "bilinear_no_bias_3d": Spec(lambda m: m.Bilinear(2, 3, 2, bias=False), R(2, 2, 2),
                                R(2, 2, 3)),
    "embedding_max_norm_freq": Spec(lambda m: m.Embedding(10, 3, max_norm=1.0, norm_type=1.5,
                                                          scale_grad_by_freq=True),
                                    C([[1, 2, 1], [3, 4, 1]]), gradcheck=False),
    "embedding_from_pretrained": Spec(lambda m: m.Embedding.from_pretrained(
        T(m, np.arange(12.0).reshape(4, 3) / 10), freeze=False), C([[0, 2, 3]])),
    "embedding_bag_from_pretrained": Spec(lambda m: m.EmbeddingBag.from_pretrained(
        T(m, np.arange(12.0).reshape(4, 3) / 10), freeze=False, mode="max"),
        C([[0, 2, 3], [1, 1, 2]])),
    "embedding_bag_sum": Spec(lambda m: m.EmbeddingBag(10, 3, mode="sum"), I(2, 4, high=10)),
    "embedding_bag_max_padding": Spec(lambda m: m.EmbeddingBag(10, 3, mode="max",
                                                               padding_idx=2),
                                      C([[1, 2, 3], [4, 2, 5]])),
    "embedding_bag_offsets_weights": Spec(lambda m: m.EmbeddingBag(8, 2, mode="sum"),
                                          C([1, 2, 4, 5, 4, 3, 7]), C([0, 2, 2]), R(7)),
    # -- losses ---------------------------------------------------------------------
    "l1_loss": Spec(lambda m: m.L1Loss(), R(3, 4), R(3, 4)),
    "mse_loss_sum": Spec(lambda m: m.MSELoss(reduction="sum"), R(3, 4), R(3, 4)),
    "smooth_l1_loss": Spec(lambda m: m.SmoothL1Loss(beta=0.5), R(3, 4), R(3, 4)),
    "huber_loss": Spec(lambda m: m.HuberLoss(reduction="none", delta=0.7), R(3, 4), R(3, 4)),
    "bce_loss_weight": Spec(lambda m: m.BCELoss(weight=T(m, [0.5, 1.0, 2.0])), U(4, 3),
                            U(4, 3), grads=[0]),
    "bce_with_logits_pos_weight": Spec(lambda m: m.BCEWithLogitsLoss(
        pos_weight=T(m, [0.5, 1.0, 2.0])), R(4, 3), U(4, 3), grads=[0]),
    "nll_loss_weight_ignore": Spec(lambda m: m.NLLLoss(weight=T(m, [1.0, 2.0, 0.5, 1.5]),
                                                       ignore_index=1),
                                   R(5, 4), C([0, 1, 3, 2, 1])),
    "cross_entropy_smoothing": Spec(lambda m: m.CrossEntropyLoss(
        weight=T(m, [1.0, 2.0, 0.5]), label_smoothing=0.2, ignore_index=0),
        R(4, 3, 2), C([[1, 2], [0, 2], [1, 1], [2, 0]])),
    "cross_entropy_probabilities": Spec(lambda m: m.CrossEntropyLoss(reduction="sum"),
                                        R(3, 4), U(3, 4), grads=[0]),
    "kl_div_batchmean": Spec(lambda m: m.KLDivLoss(reduction="batchmean"),
                             R(3, 4), U(3, 4), grads=[0]),
    "kl_div_log_target": Spec(lambda m: m.KLDivLoss(reduction="sum", log_target=True),
                              R(3, 4), R(3, 4)),
    "poisson_nll_full": Spec(lambda m: m.PoissonNLLLoss(full=True), R(3, 4),
                             U(3, 4, low=0.0, high=4.0), grads=[0]),
    "poisson_nll_rates": Spec(lambda m: m.PoissonNLLLoss(log_input=False), U(3, 4),
                              U(3, 4, low=0.0, high=4.0), grads=[0]),
    "gaussian_nll": Spec(lambda m: m.GaussianNLLLoss(full=True), R(3, 4), R(3, 4),
                         U(3, 4, low=0.5, high=2.0)),
    "gaussian_nll_shared_var": Spec(lambda m: m.GaussianNLLLoss(reduction="sum"), R(3, 4),
                                    R(3, 4), U(3, 1, low=0.5, high=2.0)),
    "margin_ranking": Spec(lambda m: m.MarginRankingLoss(margin=0.3), R(5), R(5), SIGN(5),
                           grads=[0, 1]),
    "hinge_embedding": Spec(lambda m: m.HingeEmbeddingLoss(margin=0.8), R(3, 4), SIGN(3, 4),
                            grads=[0]),
    "soft_margin": Spec(lambda m: m.SoftMarginLoss(), R(3, 4), SIGN(3, 4), grads=[0]),
    "multilabel_soft_margin": Spec(lambda m: m.MultiLabelSoftMarginLoss(
        weight=T(m, [1.0, 0.5, 2.0, 1.0])), R(3, 4), C([[0.0, 1.0, 1.0, 0.0]] * 3),
        grads=[0]),
    "cosine_embedding": Spec(lambda m: m.CosineEmbeddingLoss(margin=0.2), R(4, 3), R(4, 3),
                             C([1.0, -1.0, -1.0, 1.0]), grads=[0, 1]),
    "triplet_margin_swap": Spec(lambda m: m.TripletMarginLoss(margin=0.5, p=1.5, swap=True),
                                R(4, 3), R(4, 3), R(4, 3)),
    "triplet_margin_with_distance": Spec(lambda m: m.TripletMarginWithDistanceLoss(
        margin=0.5, reduction="none"), R(4, 3), R(4, 3), R(4, 3)),
    "multi_margin": Spec(lambda m: m.MultiMarginLoss(p=2, margin=0.7,
                                                     weight=T(m, [1.0, 0.5, 2.0, 1.0])),
                         R(3, 4), C([0, 3, 1]), gradgrad=False),
    "multilabel_margin": Spec(lambda m: m.MultiLabelMarginLoss(), R(3, 4),
                              C([[3, 0, -1, 1], [1, -1, 0, 0], [0, 1, 2, 3]]), gradgrad=False),
    # PyTorch's CTC gradient assumes log-softmax inputs: compared through log_softmax
    "ctc_loss": Spec(lambda m: m.CTCLoss(blank=0, zero_infinity=True),
                     R(6, 2, 4), C([[1, 2, 2], [3, 1, 0]]), C([6, 5]), C([3, 2]),
                     gradgrad=False, pre=lambda x: x.log_softmax(-1)),
}


def _inputs(spec, dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [make(rng) for make in spec.inputs]
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
    floats = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    grads = floats if spec.grads is None else spec.grads
    return arrays, grads


for _name, _spec in SPECS.items():
    _spec.name = _name


def _torch_dtype(dtype):
    return torch.float32 if dtype == np.float32 else torch.float64


def _run(lib, module, arrays, grads, seed_grad, pre=None):
    """Output, input gradients and parameter gradients of one forward and backward."""
    ts = [lib.tensor(a, requires_grad=i in grads) for i, a in enumerate(arrays)]
    args = list(ts)
    if pre is not None:
        args[0] = pre(args[0])
    out = module(*args)
    value = out.detach().numpy()
    if seed_grad is None:
        seed_grad = np.random.default_rng(1).standard_normal(value.shape).astype(value.dtype)
    if out.requires_grad:
        out.backward(lib.tensor(seed_grad))
    grads_in = [ts[i].grad.numpy() if ts[i].grad is not None else None for i in grads]
    grads_p = {n: p.grad.numpy() for n, p in module.named_parameters() if p.grad is not None}
    return value, grads_in, grads_p, seed_grad


def _compare(ours, theirs, arrays, grads, dtype, label, spec):
    v_t, gi_t, gp_t, seed = _run(torch, theirs, arrays, grads, None, spec.pre)
    v_c, gi_c, gp_c, _ = _run(cr, ours, arrays, grads, seed, spec.pre)
    tol = spec.tol64 if spec.tol64 and dtype == np.float64 else TOL[dtype]
    assert v_c.dtype == dtype, label
    assert v_c.shape == v_t.shape, label
    np.testing.assert_allclose(v_c, v_t, **tol, err_msg=f"{label}: output")
    for k, (a, b) in enumerate(zip(gi_c, gi_t)):
        if b is None:
            assert a is None or not np.any(a), f"{label}: input {k} gradient"
            continue
        assert a is not None and a.dtype == dtype, f"{label}: input {k} gradient"
        np.testing.assert_allclose(a, b, **tol, err_msg=f"{label}: input {k} gradient")
    assert sorted(gp_c) == sorted(gp_t), label
    for name in gp_t:
        assert gp_c[name].dtype == dtype
        np.testing.assert_allclose(gp_c[name], gp_t[name], **tol,
                                   err_msg=f"{label}: gradient of {name}")
    state_t = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value.detach().numpy(), state_t[name].detach().numpy(), **tol,
                                   err_msg=f"{label}: state {name}")


def _modes(spec):
    return [False] if spec.random else [True, False]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_layer_matches_torch_both_ways(name, dtype):
    spec = SPECS[name]
    arrays, grads = _inputs(spec, dtype)
    for train in _modes(spec):
        # PyTorch's weights into chainrule
        torch.manual_seed(0)
        theirs = spec.make(torch.nn).to(_torch_dtype(dtype)).train(train)
        ours = spec.make(nn).to(dtype).train(train)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        ours.load_state_dict(theirs.state_dict())
        _compare(ours, theirs, arrays, grads, dtype, f"{name} torch->chainrule train={train}",
                 spec)
        # a second step: running statistics carry over
        _compare(ours, theirs, arrays, grads, dtype, f"{name} second call train={train}", spec)
        # chainrule's weights into PyTorch
        cr.manual_seed(1)
        ours = spec.make(nn).to(dtype).train(train)
        theirs = spec.make(torch.nn).to(_torch_dtype(dtype)).train(train)
        theirs.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in
                                ours.state_dict().items()})
        _compare(ours, theirs, arrays, grads, dtype, f"{name} chainrule->torch train={train}",
                 spec)


def _functional(module, names, pre=None):
    """``fn(*inputs, *params)``: the module run with the given tensors as its parameters."""
    owners = []
    for name in names:
        *path, leaf = name.split(".")
        owner = module
        for part in path:
            owner = owner._modules[part]
        owners.append((owner, leaf))

    def fn(*args):
        n_in = len(args) - len(owners)
        args = list(args)
        if pre is not None:
            args[0] = pre(args[0])
        saved = [owner._parameters[leaf] for owner, leaf in owners]
        for (owner, leaf), p in zip(owners, args[n_in:]):
            owner._parameters[leaf] = p
        try:
            return module(*args[:n_in])
        finally:
            for (owner, leaf), p in zip(owners, saved):
                owner._parameters[leaf] = p
    return fn


def _gradcheck_args(name):
    spec = SPECS[name]
    cr.manual_seed(0)
    module = spec.make(nn).to(np.float64).train(not spec.random)
    arrays, grads = _inputs(spec, np.float64)
    names = [n for n, _ in module.named_parameters()]
    args = [cr.tensor(a, requires_grad=i in grads) for i, a in enumerate(arrays)]
    args += [cr.tensor(p.detach().numpy(), requires_grad=True) for p in module.parameters()]
    return _functional(module, names, spec.pre), args


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(SPECS))
def test_gradcheck_and_gradgradcheck(name):
    if not SPECS[name].gradcheck:
        pytest.skip("the forward renormalises the parameters in place")
    fn, args = _gradcheck_args(name)
    if not any(a.requires_grad for a in args):
        pytest.skip("nothing differentiable")
    assert cr.gradcheck(fn, args, **GRADCHECK_TOL)
    if SPECS[name].gradgrad:
        assert cr.gradgradcheck(fn, args, **GRADCHECK_TOL)


@pytest.mark.parametrize("name", ["multi_margin", "multilabel_margin", "ctc_loss"])
def test_gradgradcheck_of_losses_without_torch_double_backward(name):
    """PyTorch has no second derivative for these; ours is checked numerically."""
    fn, args = _gradcheck_args(name)
    assert cr.gradgradcheck(fn, args, **GRADCHECK_TOL)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_repr_matches_torch(name):
    make = SPECS[name].make
    assert repr(make(nn)) == repr(make(torch.nn))


# ---------------------------------------------------------------------------
# Default initialisation
# ---------------------------------------------------------------------------

INIT = {
    "conv3d": lambda m: m.Conv3d(16, 8, 3),
    "conv_transpose2d": lambda m: m.ConvTranspose2d(32, 16, 4, groups=2),
    "conv_transpose1d": lambda m: m.ConvTranspose1d(20, 40, 5),
    "bilinear": lambda m: m.Bilinear(30, 20, 40),
    "prelu": lambda m: m.PReLU(7, init=0.3),
    "groupnorm": lambda m: m.GroupNorm(4, 8),
    "instancenorm": lambda m: m.InstanceNorm2d(5, affine=True, track_running_stats=True),
    "batchnorm3d": lambda m: m.BatchNorm3d(6),
    "rmsnorm": lambda m: m.RMSNorm((3, 4)),
    "embedding_bag": lambda m: m.EmbeddingBag(500, 16, padding_idx=3),
}


@pytest.mark.parametrize("name", sorted(INIT))
def test_default_initialisation_statistics(name):
    """Same shapes, dtypes and distribution as PyTorch's: constants exactly; random
    fills within the same bounds, with matching spread."""
    torch.manual_seed(0)
    cr.manual_seed(0)
    theirs, ours = INIT[name](torch.nn), INIT[name](nn)
    state_t = theirs.state_dict()
    assert list(ours.state_dict()) == list(state_t)
    for key, value in ours.state_dict().items():
        a, b = value.detach().numpy(), state_t[key].detach().numpy()
        assert a.shape == b.shape and a.dtype == b.dtype, key
        if np.all(b == b.flat[0]):
            np.testing.assert_array_equal(a, b, err_msg=key)
            continue
        assert np.abs(a).max() <= np.abs(b).max() * 1.05 + 1e-6, key
        if a.size >= 500:  # spread and centre, where there are enough draws
            np.testing.assert_allclose(a.std(), b.std(), rtol=0.1, err_msg=key)
            np.testing.assert_allclose(a.mean(), b.mean(), atol=0.1 * b.std(), err_msg=key)


def test_initialisation_follows_the_global_seed():
    cr.manual_seed(3)
    a = nn.ConvTranspose2d(3, 4, 3).weight.detach().numpy().copy()
    cr.manual_seed(3)
    b = nn.ConvTranspose2d(3, 4, 3).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# Transposed convolution's output_size, unpooling
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("output_size", [(8, 7), [1, 2, 7, 8], None])
def test_conv_transpose_output_size_matches_torch(output_size):
    torch.manual_seed(0)
    theirs = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    ours = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((1, 3, 4, 4))
    out_t = theirs(torch.tensor(x), output_size=output_size)
    out_c = ours(cr.tensor(x), output_size=output_size)
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: requested an output size of "
                                         r"\(10, 10\).*from 7 to 8"):
        ours(cr.tensor(x), output_size=(10, 10))


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_max_unpool_matches_torch(dims, dtype):
    shape = (2, 2) + (4, 6, 4)[:dims]
    x = np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape).astype(dtype)
    results = []
    for lib, m in ((torch, torch.nn), (cr, nn)):
        pool = getattr(m, f"MaxPool{dims}d")(2, return_indices=True)
        unpool = getattr(m, f"MaxUnpool{dims}d")(2)
        xt = lib.tensor(x, requires_grad=True)
        out, indices = pool(xt)
        y = unpool(out * 2, indices, output_size=shape)
        seed = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(dtype)
        y.backward(lib.tensor(seed))
        as_np = (lambda t: t.detach().numpy()) if lib is torch else (lambda t: t.detach().numpy())
        results.append((as_np(y), as_np(indices), as_np(xt.grad)))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, **TOL[dtype])
    assert repr(nn.MaxUnpool2d(2, stride=1)) == repr(torch.nn.MaxUnpool2d(2, stride=1))


def test_pooling_return_indices_matches_torch():
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 5, 6))
    for make, xin in ((lambda m: m.MaxPool3d(2, return_indices=True), x),
                      (lambda m: m.AdaptiveMaxPool3d((2, 2, 3), return_indices=True), x),
                      (lambda m: m.AdaptiveMaxPool1d(4, return_indices=True), x[0, :, 0])):
        out_c, idx_c = make(nn)(cr.tensor(xin))
        out_t, idx_t = make(torch.nn)(torch.tensor(xin))
        np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy())
        np.testing.assert_array_equal(idx_c.detach().numpy(), idx_t.detach().numpy())


# ---------------------------------------------------------------------------
# Random layers in training
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls, shape", [("Dropout1d", (400, 8, 3)), ("Dropout2d", (200, 8, 2, 2)),
                                        ("Dropout3d", (100, 8, 2, 2, 2))])
def test_channel_dropout_drops_whole_channels_at_rate_p(cls, shape):
    layer = getattr(nn, cls)(0.3)
    x = cr.ones(*shape, requires_grad=True)
    out = layer(x)
    flat = out.detach().numpy().reshape(shape[0], shape[1], -1)
    assert np.all(flat == flat[..., :1])  # one decision per channel
    kept = flat[..., 0] != 0
    assert abs(kept.mean() - 0.7) < 0.03
    np.testing.assert_allclose(flat[..., 0][kept], 1 / 0.7, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), out.detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(layer.eval()(x).detach().numpy(), x.detach().numpy())


def test_fractional_max_pool_draws_new_windows_each_call():
    pool = nn.FractionalMaxPool2d(3, output_ratio=0.3, return_indices=True)
    x = cr.randn(4, 3, 16, 16)
    (a, ia), (_, ib) = pool(x), pool(x)
    assert a.shape == (4, 3, 4, 4) and not np.array_equal(ia.numpy(), ib.numpy())
    with pytest.raises(ValueError, match="FractionalMaxPool2d requires specifying either"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match=r"fractional_max_pool2d: an output size of \(16, 16\)"):
        nn.FractionalMaxPool2d(2, output_size=16)(x)


def test_alpha_dropout_keeps_mean_and_variance_of_standard_inputs():
    x = cr.tensor(np.random.default_rng(0).standard_normal(200_000))
    out = nn.AlphaDropout(0.2)(x).detach().numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02
    out = nn.FeatureAlphaDropout(0.2)(x.reshape(2000, 100, 1)).detach().numpy()
    assert np.all(out == out[..., :1])


def test_rrelu_slopes_in_training_lie_between_lower_and_upper():
    x = cr.full((1000,), -1.0, requires_grad=True)
    out = nn.RReLU(0.1, 0.3)(x)
    slopes = -out.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-6)


# ---------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------

def _containers(m, lib):
    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.heads = m.ModuleDict({"a": m.Linear(3, 2), "b": m.Linear(3, 2)})
            self.scales = m.ParameterList([m.Parameter(lib.ones(2)), m.Parameter(lib.ones(2))])
            self.shifts = m.ParameterDict({"a": m.Parameter(lib.zeros(2))})
            self.shifts["b"] = m.Parameter(lib.zeros(2))

        def forward(self, x):
            return sum(self.heads[k](x) * s + self.shifts[k]
                       for k, s in zip(self.heads, self.scales))
    return Net()


def test_containers_state_dict_and_parity():
    torch.manual_seed(0)
    theirs, ours = _containers(torch.nn, torch), _containers(nn, cr)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    out_t, out_c = theirs(torch.tensor(x)), ours(cr.tensor(x))
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    out_t.sum().backward()
    out_c.sum().backward()
    grads_t = dict(theirs.named_parameters())
    for k, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads_t[k].grad.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=k)
    assert repr(ours.heads) == repr(theirs.heads)


def test_module_dict_methods():
    d = nn.ModuleDict([("x", nn.ReLU()), ("y", nn.Tanh())])
    d.update({"z": nn.Sigmoid()})
    assert list(d) == ["x", "y", "z"] and "y" in d and len(d) == 3
    assert isinstance(d.pop("y"), nn.Tanh) and list(d.keys()) == ["x", "z"]
    assert [type(v).__name__ for v in d.values()] == ["ReLU", "Sigmoid"]
    d.clear()
    assert len(d) == 0 and list(d.state_dict()) == []
    with pytest.raises(TypeError, match="ModuleDict.update"):
        d.update(3)


def test_parameter_list_and_dict_methods():
    ps = nn.ParameterList()
    ps.append(cr.zeros(2))
    ps.extend([cr.ones(3), nn.Parameter(cr.ones(1))])
    ps += [cr.ones(4)]
    assert len(ps) == 4 and all(isinstance(p, nn.Parameter) for p in ps)
    assert [tuple(p.shape) for p in ps[1:3]] == [(3,), (1,)]
    assert ps[-1] is list(ps.parameters())[-1]
    ps[0] = cr.full((2,), 5.0)
    assert ps[0].tolist() == [5.0, 5.0] and list(ps.state_dict()) == ["0", "1", "2", "3"]
    with pytest.raises(IndexError, match="ParameterList: index 4 is out of range"):
        ps[4]
    assert repr(nn.ParameterList([nn.Parameter(cr.zeros(2, 3))])) == \
        "ParameterList(  (0): Parameter containing: [float32 of size 2x3])"

    pd = nn.ParameterDict({"w": cr.ones(2)})
    pd.update([("b", cr.zeros(2))])
    assert list(pd) == ["w", "b"] and list(pd.state_dict()) == ["w", "b"]
    assert isinstance(pd["b"], nn.Parameter) and "w" in pd and pd.get("q") is None
    assert pd.setdefault("c", cr.ones(1)) is pd["c"]
    assert pd.pop("c").shape == (1,) and "c" not in pd
    assert pd.popitem()[0] == "b" and list(pd.keys()) == ["w"]
    both = pd | nn.ParameterDict({"z": cr.ones(1)})
    assert list(both) == ["w", "z"] and list(reversed(both)) == ["z", "w"]
    assert list(pd.copy().items())[0][1] is pd["w"]
    pd.clear()
    assert len(pd) == 0 and len(list(pd.parameters())) == 0
    with pytest.raises(KeyError):
        pd["w"]


# ---------------------------------------------------------------------------
# Error messages name the layer and the shapes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("layer, inputs, pattern", [
    (lambda: nn.Conv3d(2, 3, 2), [(1, 2, 4, 4)],
     r"Conv3d\(2, 3\).*\(N, 2, D, H, W\).*\(1, 2, 4, 4\)"),
    (lambda: nn.ConvTranspose2d(3, 2, 2), [(1, 4, 3, 3)],
     r"ConvTranspose2d\(3, 2\).*\(N, 3, H, W\).*\(1, 4, 3, 3\)"),
    (lambda: nn.GroupNorm(2, 4), [(2, 3, 5)], r"GroupNorm\(2, 4\).*\(2, 3, 5\)"),
    (lambda: nn.InstanceNorm2d(3, affine=True), [(2, 4, 3, 3)],
     r"InstanceNorm2d\(3\).*3 channels.*\(2, 4, 3, 3\)"),
    (lambda: nn.InstanceNorm1d(3), [(2, 3, 4, 4)], r"InstanceNorm1d\(3\).*3-d.*\(2, 3, 4, 4\)"),
    (lambda: nn.BatchNorm3d(3), [(2, 3, 4, 4)], r"BatchNorm3d\(3\).*5-d.*\(2, 3, 4, 4\)"),
    (lambda: nn.Bilinear(3, 4, 5), [(2, 3), (2, 5)], r"Bilinear\(3, 4, 5\).*\(2, 3\).*\(2, 5\)"),
    (lambda: nn.PReLU(3), [(2, 4)], r"PReLU\(num_parameters=3\).*\(2, 4\)"),
    (lambda: nn.Softmax2d(), [(2, 3)], r"Softmax2d.*\(2, 3\)"),
    (lambda: nn.Unflatten(1, (2, 4)), [(3, 6)], r"Unflatten\(dim=1.*6 entries.*\(3, 6\)"),
    (lambda: nn.RMSNorm(4), [(3, 5)], r"RMSNorm\(\(4,\)\).*\(3, 5\)"),
])
def test_shape_errors_name_the_layer_and_shapes(layer, inputs, pattern):
    with pytest.raises(ValueError, match=pattern):
        layer()(*[cr.zeros(*s) for s in inputs])


def test_constructor_errors():
    with pytest.raises(ValueError, match="GroupNorm: num_channels \\(5\\) must be divisible"):
        nn.GroupNorm(2, 5)
    with pytest.raises(ValueError, match="Conv2d: padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="ConvTranspose2d: only padding_mode='zeros'"):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="Dropout2d: dropout probability has to be between"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match="Hardtanh: max_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ValueError, match="ZeroPad2d: padding must be an int or a tuple of 4"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(ValueError, match="MultiMarginLoss: only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match="HuberLoss: reduction must be"):
        nn.HuberLoss(reduction="avg")
    with pytest.raises(TypeError, match="Unflatten: unflattened_size must be a tuple of ints"):
        nn.Unflatten(1, 6)


def test_device_arguments_are_accepted_for_the_cpu_only():
    for make in (lambda d: nn.Linear(2, 3, device=d), lambda d: nn.Conv3d(1, 1, 1, device=d),
                 lambda d: nn.ConvTranspose2d(1, 1, 1, device=d),
                 lambda d: nn.GroupNorm(1, 2, device=d), lambda d: nn.Embedding(3, 2, device=d),
                 lambda d: nn.InstanceNorm1d(2, affine=True, device=d),
                 lambda d: nn.Bilinear(1, 1, 1, device=d), lambda d: nn.PReLU(device=d)):
        make("cpu")
        make(cr.device("cpu"))
        with pytest.raises(Exception, match="device 'cuda' is not available"):
            make("cuda")


def test_frozen_pretrained_embeddings_get_no_gradient():
    emb = nn.Embedding.from_pretrained(cr.ones(4, 2))
    out = emb(cr.tensor([1, 2]))
    assert not emb.weight.requires_grad and not out.requires_grad
    with pytest.raises(ValueError, match="Embedding.from_pretrained: embeddings must be 2-d"):
        nn.Embedding.from_pretrained(cr.ones(4))


def test_legacy_size_average_and_reduce_give_a_reduction():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert nn.L1Loss(size_average=False).reduction == "sum"
        assert nn.SmoothL1Loss(reduce=False).reduction == "none"
        assert nn.NLLLoss(size_average=True, reduce=True).reduction == "mean"
        assert nn.KLDivLoss(reduce=False).reduction == \
            torch.nn.KLDivLoss(reduce=False).reduction


# ---------------------------------------------------------------------------
# nn.utils: parameters as one vector
# ---------------------------------------------------------------------------

def test_parameters_to_vector_and_back_match_torch():
    torch.manual_seed(0)
    make = lambda m: m.Sequential(m.Conv2d(2, 3, 3), m.Flatten(), m.Linear(12, 2))  # noqa: E731
    theirs, ours = make(torch.nn), make(nn)
    ours.load_state_dict(theirs.state_dict())
    vec_t = torch.nn.utils.parameters_to_vector(theirs.parameters())
    vec_c = parameters_to_vector(ours.parameters())
    np.testing.assert_array_equal(vec_c.detach().numpy(), vec_t.detach().numpy())
    # the vector is recorded: its gradient reaches every parameter
    weights = np.arange(vec_c.shape[0], dtype=np.float32)
    (vec_c * cr.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours[0].weight.grad.numpy().ravel(), weights[:54])
    new = np.random.default_rng(0).standard_normal(vec_c.shape[0]).astype(np.float32)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs.parameters())
    vector_to_parameters(cr.tensor(new), ours.parameters())
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=k)
    with pytest.raises(ValueError, match="vector_to_parameters: expected a vector of 83"):
        vector_to_parameters(cr.zeros(100), ours.parameters())
    with pytest.raises(TypeError, match="vector_to_parameters: expected vec to be a Tensor"):
        vector_to_parameters(new, ours.parameters())


def test_clip_grad_value_matches_torch():
    g = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32) * 3
    pt = torch.zeros(3, 4, requires_grad=True)
    pt.grad = torch.tensor(g)
    pc = cr.zeros(3, 4, requires_grad=True)
    pc.grad = cr.tensor(g)
    torch.nn.utils.clip_grad_value_([pt], 1.5)
    nn.utils.clip_grad_value_([pc], 1.5)
    np.testing.assert_array_equal(pc.grad.numpy(), pt.grad.numpy())


def test_every_new_layer_is_exported():
    names = [n for n in dir(torch.nn) if n[0].isupper()]
    ported = [n for n in names if hasattr(nn, n)]
    assert [n for n in ported if n not in nn.__all__] == []


# ---------------------------------------------------------------------------
# AdaptiveLogSoftmaxWithLoss
# ---------------------------------------------------------------------------

def _asm(m):
    return m.AdaptiveLogSoftmaxWithLoss(12, 30, [5, 12, 20], div_value=2.0, head_bias=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_adaptive_log_softmax_matches_torch(dtype):
    torch.manual_seed(0)
    theirs = _asm(torch.nn).to(_torch_dtype(dtype))
    ours = _asm(nn).to(dtype)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((9, 12)).astype(dtype)
    y = np.array([0, 4, 5, 11, 12, 19, 20, 29, 3])
    results = []
    for lib, model in ((torch, theirs), (cr, ours)):
        xt = lib.tensor(x, requires_grad=True)
        out, loss = model(xt, lib.tensor(y))
        (out * lib.tensor(np.arange(9.0).astype(dtype))).sum().add(loss).backward()
        grads = [p.grad.numpy() for _, p in model.named_parameters()]
        results.append([out.detach().numpy(), loss.detach().numpy(), xt.grad.numpy(), *grads,
                        model.log_prob(xt).detach().numpy(), model.predict(xt).numpy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, **TOL[dtype])
    single = ours(cr.tensor(x[0]), cr.tensor(y[0]))
    assert single.output.shape == () and single.loss.shape == ()
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 29\]"):
        ours(cr.tensor(x), cr.tensor(y + 1))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(12, 30, [5, 40])


def test_adaptive_log_softmax_gradcheck_and_gradgradcheck():
    cr.manual_seed(0)
    model = nn.AdaptiveLogSoftmaxWithLoss(4, 8, [2, 5], div_value=2.0).double()
    names = [n for n, _ in model.named_parameters()]
    target = cr.tensor([0, 3, 6, 1, 7])
    forward = _functional(model, names)

    def fn(x, *params):
        return forward(x, target, *params).output

    args = [cr.tensor(np.random.default_rng(0).standard_normal((5, 4)), requires_grad=True)]
    args += [cr.tensor(p.detach().numpy(), requires_grad=True) for p in model.parameters()]
    assert cr.gradcheck(fn, args, **GRADCHECK_TOL)
    assert cr.gradgradcheck(fn, args, **GRADCHECK_TOL)


# ---------------------------------------------------------------------------
# Lazy modules
# ---------------------------------------------------------------------------

LAZY = {
    "linear": (lambda m: m.LazyLinear(4), (3, 5)),
    "linear_no_bias_3d": (lambda m: m.LazyLinear(2, bias=False), (2, 3, 5)),
    "conv1d": (lambda m: m.LazyConv1d(4, 3, stride=2), (2, 3, 7)),
    "conv2d_groups": (lambda m: m.LazyConv2d(4, 3, padding=1, groups=2), (2, 6, 4, 4)),
    "conv3d_unbatched": (lambda m: m.LazyConv3d(2, 2), (2, 3, 3, 3)),
    "conv_transpose1d": (lambda m: m.LazyConvTranspose1d(4, 3, stride=2), (2, 3, 5)),
    "conv_transpose2d": (lambda m: m.LazyConvTranspose2d(2, 2, groups=2, bias=False),
                         (1, 4, 3, 3)),
    "conv_transpose3d": (lambda m: m.LazyConvTranspose3d(2, 2), (1, 3, 2, 2, 2)),
    "batchnorm1d": (lambda m: m.LazyBatchNorm1d(), (4, 3)),
    "batchnorm2d_no_bias": (lambda m: m.LazyBatchNorm2d(bias=False), (4, 3, 2, 2)),
    "batchnorm3d_untracked": (lambda m: m.LazyBatchNorm3d(track_running_stats=False),
                              (2, 3, 2, 2, 2)),
    "instancenorm1d": (lambda m: m.LazyInstanceNorm1d(), (2, 3, 5)),
    "instancenorm2d_plain": (lambda m: m.LazyInstanceNorm2d(affine=False,
                                                            track_running_stats=False),
                             (2, 3, 3, 3)),
    "instancenorm3d": (lambda m: m.LazyInstanceNorm3d(momentum=0.3), (1, 2, 2, 3, 2)),
}


@pytest.mark.filterwarnings("ignore:input's size at dim=1 does not match num_features")
@pytest.mark.parametrize("name", sorted(LAZY))
def test_lazy_modules_match_torch(name):
    make, shape = LAZY[name]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    torch.manual_seed(0)
    theirs, ours = make(torch.nn), make(nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    # PyTorch's weights, shaped by its first call, into the lazy chainrule module
    out_t = theirs(torch.tensor(x))
    ours.load_state_dict(theirs.state_dict())
    assert not ours.has_uninitialized_params()
    out_c = ours(cr.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ and repr(ours) == repr(theirs)
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    # a fresh lazy module shapes itself from its first input; its weights load into
    # PyTorch's (shaped by a call first: PyTorch's lazy instance norm loaded before any
    # call keeps num_features=0 and then refuses its input)
    ours, theirs = make(nn), make(torch.nn)
    ours(cr.tensor(x))
    theirs(torch.tensor(x))
    theirs.load_state_dict({k: torch.tensor(v.detach().numpy())
                            for k, v in ours.state_dict().items()})
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_lazy_linear_initialises_like_linear_and_keeps_its_parameter_objects():
    cr.manual_seed(0)
    fc = nn.LazyLinear(200)
    weight = fc.weight
    fc(cr.zeros(3, 100))
    assert fc.weight is weight and isinstance(weight, nn.Parameter)
    assert type(weight) is nn.Parameter and weight.shape == (200, 100)
    assert np.abs(weight.detach().numpy()).max() <= 0.1
    assert abs(weight.detach().numpy().std() - 0.1 / np.sqrt(3)) < 0.005
    with pytest.raises(ValueError, match=r"LazyConv2d: expected a 4-d input.*\(2, 3\)"):
        nn.LazyConv2d(3, 3)(cr.zeros(2, 3))


# ---------------------------------------------------------------------------
# CrossMapLRN2d: PyTorch's forward; the true gradient of it
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_cross_map_lrn2d_forward_matches_torch(size, dtype):
    """Values equal PyTorch's, its odd running-sum window included. PyTorch's hand-written
    backward is not the derivative of that forward (it fails torch.autograd.gradcheck),
    so ours is checked by gradcheck and gradgradcheck instead."""
    x = np.random.default_rng(0).standard_normal((2, 6, 3, 2)).astype(dtype)
    make = lambda m: m.CrossMapLRN2d(size, alpha=0.3, beta=0.6, k=1.5)  # noqa: E731
    assert repr(make(nn)) == repr(make(torch.nn))
    np.testing.assert_allclose(make(nn)(cr.tensor(x)).detach().numpy(),
                               make(torch.nn)(torch.tensor(x)).numpy(), **TOL[dtype])
    if dtype == np.float64 and size in (2, 3):
        xc = cr.tensor(x[:1, :5], requires_grad=True)
        assert cr.gradcheck(make(nn), (xc,), **GRADCHECK_TOL)
        assert cr.gradgradcheck(make(nn), (xc,), **GRADCHECK_TOL)
    with pytest.raises(ValueError, match=r"CrossMapLRN2d: expected a 4-d input.*\(6, 3, 2\)"):
        make(nn)(cr.tensor(x[0]))


def test_buffer_assignment_registers_a_buffer_like_torch():
    results = []
    for lib, m in ((torch, torch.nn), (cr, nn)):
        model = m.Module()
        model.steps = m.Buffer(lib.tensor(3))
        model.scratch = m.Buffer(lib.zeros(2), persistent=False)
        model.scale = m.Buffer(lib.ones(2, requires_grad=True))
        model.steps = lib.tensor(5)  # a plain tensor replaces a buffer's value
        results.append((list(model.state_dict()), [n for n, _ in model.named_buffers()],
                        int(model.steps.item()), model.scale.requires_grad,
                        [n for n, _ in model.named_parameters()]))
    assert results[0] == results[1]


def test_copies_of_a_lazy_module_stay_lazy():
    import copy
    import pickle

    model = nn.Sequential(nn.LazyConv1d(2, 1), nn.Flatten(), nn.LazyLinear(3),
                          nn.LazyBatchNorm1d())
    twin = copy.deepcopy(model)
    again = pickle.loads(pickle.dumps(model))
    for m in (twin, again):
        assert m[2].has_uninitialized_params() and m[3].has_uninitialized_params()
        assert m(cr.ones(4, 5, 6)).shape == (4, 3)
        assert [type(c).__name__ for c in m] == ["Conv1d", "Flatten", "Linear", "BatchNorm1d"]
    assert model[2].has_uninitialized_params()


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, float("inf")])
def test_get_total_norm_and_clip_grads_with_norm_match_torch(norm_type):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) * 3 for s in [(3, 4), (5,), ()]]
    results = []
    for lib, utils in ((torch, torch.nn.utils), (cr, nn.utils)):
        params = [lib.zeros(g.shape, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = lib.tensor(g)
        total = utils.get_total_norm([p.grad for p in params], norm_type)
        utils.clip_grads_with_norm_(params, 2.0, total)
        results.append([total.numpy()] + [p.grad.numpy() for p in params])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_total_norm_of_no_gradients_is_a_default_dtype_zero_as_in_torch():
    previous = cr.get_default_dtype(), torch.get_default_dtype()
    try:
        cr.set_default_dtype(cr.float64)
        torch.set_default_dtype(torch.float64)
        for norm in (nn.utils.get_total_norm([]), nn.utils.clip_grad_norm_([], 1.0)):
            assert norm.dtype == cr.float64 and norm.item() == 0.0
        assert torch.nn.utils.get_total_norm([]).dtype == torch.float64
    finally:
        cr.set_default_dtype(previous[0])
        torch.set_default_dtype(previous[1])


@pytest.mark.parametrize("case", ["conv", "conv_transpose", "linear"])
def test_fusing_batch_norm_matches_torch(case):
    make = {"conv": lambda m: (m.Conv2d(3, 4, 3, bias=False), m.BatchNorm2d(4), (2, 3, 5, 5)),
            "conv_transpose": lambda m: (m.ConvTranspose2d(3, 4, 2), m.BatchNorm2d(4),
                                         (2, 3, 3, 3)),
            "linear": lambda m: (m.Linear(5, 4), m.BatchNorm1d(4), (6, 5))}[case]
    torch.manual_seed(0)
    layer_t, bn_t, shape = make(torch.nn)
    layer_c, bn_c, _ = make(nn)
    bn_t.train()(layer_t(torch.randn(*shape)))  # running statistics away from 0 and 1
    torch.nn.init.uniform_(bn_t.weight, 0.5, 2.0)
    torch.nn.init.uniform_(bn_t.bias, -1.0, 1.0)
    layer_c.load_state_dict(layer_t.state_dict())
    bn_c.load_state_dict(bn_t.state_dict())
    for mod in (layer_t, bn_t, layer_c, bn_c):
        mod.eval()
    if case == "linear":
        fused_t = torch.nn.utils.fuse_linear_bn_eval(layer_t, bn_t)
        fused_c = nn.utils.fuse_linear_bn_eval(layer_c, bn_c)
    else:
        transpose = case == "conv_transpose"
        fused_t = torch.nn.utils.fuse_conv_bn_eval(layer_t, bn_t, transpose)
        fused_c = nn.utils.fuse_conv_bn_eval(layer_c, bn_c, transpose)
    for (k, a), b in zip(fused_c.state_dict().items(), fused_t.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(fused_c(cr.tensor(x)).detach().numpy(),
                               bn_c(layer_c(cr.tensor(x))).detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    with pytest.raises(ValueError, match="fusion only works in eval mode"):
        (nn.utils.fuse_linear_bn_eval if case == "linear" else nn.utils.fuse_conv_bn_eval)(
            layer_c.train(), bn_c)


_INPLACE_LAYERS = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "CELU", "SELU", "Hardtanh", "Hardsigmoid",
                   "Hardswish", "SiLU", "Mish", "RReLU", "Dropout", "Dropout1d", "Dropout2d",
                   "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


@pytest.mark.parametrize("name", _INPLACE_LAYERS + ["Threshold"])
def test_inplace_layers_write_into_their_input_as_in_torch(name):
    args = (0.1, 20.0) if name == "Threshold" else ()
    values = np.array([[[[-1.5, -0.2, 0.0, 0.7, 2.5]]]], dtype=np.float32)
    if name == "Dropout1d":
        values = values[0]  # (N, C, L)
    ours, theirs = getattr(cr.nn, name)(*args, inplace=True), getattr(torch.nn, name)(*args,
                                                                                    inplace=True)
    x, t = cr.tensor(values.copy()), torch.tensor(values.copy())
    out, ref = ours.eval()(x), theirs.eval()(t)
    assert (out is x) == (ref is t)
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)
    # in a graph: the layer changes a non-leaf in place and gradients still flow right
    w, tw = cr.tensor(values.copy(), requires_grad=True), torch.tensor(values.copy(),
                                                                        requires_grad=True)
    (ours(w * 2.0) * 3.0).sum().backward()
    (theirs(tw * 2.0) * 3.0).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-6)
