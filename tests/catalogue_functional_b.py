"""Op catalogue, family functional-b: convolution, pooling and vision functions.

``F(m)`` is ``m.nn.functional`` on either library. Each function is swept by
gradcheck, gradgradcheck and PyTorch parity (tests/test_ops_catalogue.py) and by
float32 parity (tests/test_functional_b.py).

Inputs are distinct values in about [-1, 1] (:func:`small`), so that no pooling
window holds a tie and sums over windows stay small enough for central differences
to be exact to rounding; :func:`small_positive` is for fractional powers.
"""

from __future__ import annotations

import numpy as np
from op_catalogue import Case, cases


def small(rng, shape, dtype):
    """Distinct values in about [-1, 1], at least 2 / size apart, in random order."""
    n = int(np.prod(shape))
    values = (np.arange(n) - n / 2 + 0.37) / max(n / 2, 1.0)
    return rng.permutation(values).reshape(shape).astype(dtype)


def small_positive(rng, shape, dtype):
    """Distinct values in [0.3, 1.3]."""
    n = int(np.prod(shape))
    return (0.3 + rng.permutation(n) / n).reshape(shape).astype(dtype)


def points(rng, shape, dtype):
    """Sampling points in [-1.3, 1.3]: inside and a little outside the image."""
    return rng.uniform(-1.3, 1.3, shape).astype(dtype)


def F(m):
    return m.nn.functional


CASES: list = []


def _add(name, fn, shape_sets, domains=None):
    CASES.extend(cases(name, fn, shape_sets, domains or (small,) * 3))


# -- fractional max pooling (window positions fixed by the samples) ------------------
_add("fractional_max_pool2d", lambda m, x: F(m).fractional_max_pool2d(
    x, (2, 3), output_size=(3, 4), _random_samples=m.tensor([[[0.3, 0.8], [0.6, 0.1]]]).to(
        x.dtype)), [[(1, 2, 6, 8)]])
_add("fractional_max_pool3d_ratio", lambda m, x: F(m).fractional_max_pool3d(
    x, 2, output_ratio=0.6, _random_samples=m.tensor([[[0.3, 0.8, 0.5]]]).to(x.dtype)),
    [[(1, 5, 4, 5)]])

# -- convolution ----------------------------------------------------------------------
_add("conv3d", lambda m, x, w, b: F(m).conv3d(x, w, b), [[(1, 2, 3, 4, 3), (2, 2, 2, 2, 2), (2,)]])
_add("conv3d_args", lambda m, x, w: F(m).conv3d(x, w, stride=(1, 2, 1), padding=(1, 0, 1),
                                                dilation=(1, 1, 2), groups=2),
     [[(1, 4, 3, 4, 4), (2, 2, 2, 2, 2)]])
_add("conv3d_unbatched", lambda m, x, w: F(m).conv3d(x, w, padding="same"),
     [[(2, 3, 3, 3), (1, 2, 3, 1, 3)]])
_add("conv1d_same", lambda m, x, w: F(m).conv1d(x, w, padding="same", dilation=2),
     [[(2, 2, 6), (3, 2, 4)]])
_add("conv_transpose1d", lambda m, x, w, b: F(m).conv_transpose1d(
    x, w, b, stride=2, padding=1, output_padding=1), [[(2, 3, 4), (3, 2, 3), (2,)]])
_add("conv_transpose1d_unbatched", lambda m, x, w: F(m).conv_transpose1d(x, w, dilation=2),
     [[(2, 3), (2, 3, 2)]])
_add("conv_transpose2d", lambda m, x, w: F(m).conv_transpose2d(x, w, stride=(2, 1)),
     [[(1, 2, 3, 3), (2, 3, 3, 2)]])
_add("conv_transpose2d_args", lambda m, x, w, b: F(m).conv_transpose2d(
    x, w, b, stride=2, padding=(1, 0), output_padding=(1, 0), groups=2, dilation=(1, 2)),
    [[(1, 4, 3, 2), (4, 1, 2, 2), (2,)]])
_add("conv_transpose2d_unbatched", lambda m, x, w: F(m).conv_transpose2d(x, w, stride=2),
     [[(2, 3, 2), (2, 1, 2, 2)]])
_add("conv_transpose2d_pad_crops", lambda m, x, w: F(m).conv_transpose2d(x, w, padding=2),
     [[(1, 1, 3, 4), (1, 2, 3, 3)]])
_add("conv_transpose2d_outpad_dilation", lambda m, x, w: F(m).conv_transpose2d(
    x, w, output_padding=1, dilation=2), [[(1, 1, 2, 3), (1, 1, 2, 2)]])
_add("conv_transpose3d", lambda m, x, w: F(m).conv_transpose3d(x, w, stride=2, padding=1,
                                                                 output_padding=(1, 0, 1)),
     [[(1, 2, 2, 2, 3), (2, 1, 2, 2, 2)]])
_add("unfold", lambda m, x: F(m).unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     [[(2, 2, 4, 5)], [(2, 3, 4)]])
_add("fold", lambda m, x: F(m).fold(x, (4, 5), 2, padding=1, stride=2), [[(1, 8, 9)], [(4, 9)]])
_add("fold_overlap", lambda m, x: F(m).fold(x, (3, 4), (2, 2), dilation=(1, 2)),
     [[(2, 4, 4)]])

# -- pooling --------------------------------------------------------------------------
_add("max_pool3d", lambda m, x: F(m).max_pool3d(x, 2), [[(1, 2, 4, 4, 4)], [(2, 3, 4, 2)]])
_add("max_pool3d_args", lambda m, x: F(m).max_pool3d(x, (3, 2, 2), stride=(2, 1, 2),
                                                     padding=(1, 1, 0), dilation=(1, 1, 2),
                                                     ceil_mode=True), [[(1, 2, 5, 3, 5)]])
_add("max_pool2d_pad", lambda m, x: F(m).max_pool2d(x, 3, stride=2, padding=1),
     [[(1, 2, 5, 6)]])
_add("max_pool2d_indices_values", lambda m, x: F(m).max_pool2d(
    x, (2, 3), stride=1, padding=1, dilation=(2, 1), return_indices=True)[0], [[(1, 2, 5, 5)]])
_add("max_pool1d_indices_values", lambda m, x: F(m).max_pool1d(
    x, 3, stride=2, ceil_mode=True, return_indices=True)[0], [[(2, 3, 8)], [(3, 6)]])
_add("max_pool3d_indices_values", lambda m, x: F(m).max_pool3d(
    x, 2, padding=1, return_indices=True)[0], [[(1, 1, 3, 2, 3)]])
_add("avg_pool3d", lambda m, x: F(m).avg_pool3d(x, 2), [[(1, 2, 4, 4, 4)], [(2, 3, 4, 2)]])
_add("avg_pool3d_args", lambda m, x: F(m).avg_pool3d(x, (3, 2, 2), stride=2, padding=1,
                                                     ceil_mode=True, count_include_pad=False),
     [[(1, 2, 5, 3, 4)]])
_add("avg_pool3d_divisor", lambda m, x: F(m).avg_pool3d(x, 2, padding=1, divisor_override=3),
     [[(1, 1, 3, 3, 2)]])
_add("avg_pool2d_divisor", lambda m, x: F(m).avg_pool2d(x, 3, stride=2, padding=1,
                                                        ceil_mode=True, divisor_override=5),
     [[(1, 2, 6, 5)]])
_add("avg_pool1d_ceil_pad", lambda m, x: F(m).avg_pool1d(x, 3, stride=2, padding=1,
                                                         ceil_mode=True), [[(2, 2, 6)]])
_add("lp_pool1d", lambda m, x: F(m).lp_pool1d(x, 2, 3, stride=2), [[(2, 2, 7)], [(2, 7)]])
_add("lp_pool2d", lambda m, x: F(m).lp_pool2d(x, 1.5, (2, 3), ceil_mode=True),
     [[(1, 2, 5, 7)]], (small_positive,))
_add("lp_pool3d", lambda m, x: F(m).lp_pool3d(x, 3, 2), [[(1, 1, 2, 4, 4)]], (small_positive,))
_add("adaptive_avg_pool1d", lambda m, x: F(m).adaptive_avg_pool1d(x, 3),
     [[(2, 3, 7)], [(2, 6)], [(1, 2)]])
_add("adaptive_avg_pool2d", lambda m, x: F(m).adaptive_avg_pool2d(x, (3, 2)),
     [[(1, 2, 5, 4)], [(2, 7, 3)]])
_add("adaptive_avg_pool2d_global", lambda m, x: F(m).adaptive_avg_pool2d(x, 1), [[(2, 3, 4, 5)]])
_add("adaptive_avg_pool2d_none", lambda m, x: F(m).adaptive_avg_pool2d(x, (None, 4)),
     [[(1, 2, 3, 6)]])
_add("adaptive_avg_pool3d", lambda m, x: F(m).adaptive_avg_pool3d(x, (2, 3, 1)),
     [[(1, 2, 3, 4, 5)], [(1, 4, 2, 2)]])
_add("adaptive_max_pool1d", lambda m, x: F(m).adaptive_max_pool1d(x, 4), [[(2, 3, 7)], [(2, 3)]])
_add("adaptive_max_pool2d", lambda m, x: F(m).adaptive_max_pool2d(x, (3, 2)),
     [[(1, 2, 5, 4)], [(2, 7, 3)]])
_add("adaptive_max_pool2d_indices_values", lambda m, x: F(m).adaptive_max_pool2d(
    x, (2, 4), return_indices=True)[0], [[(1, 2, 4, 6)]])
_add("adaptive_max_pool3d", lambda m, x: F(m).adaptive_max_pool3d(x, (2, None, 3)),
     [[(1, 1, 3, 2, 5)]])


def _unpool(m, x, dims, **kw):
    f = F(m)
    pool = (f.max_pool1d, f.max_pool2d, f.max_pool3d)[dims - 1]
    unpool = (f.max_unpool1d, f.max_unpool2d, f.max_unpool3d)[dims - 1]
    out, indices = pool(x, 2, return_indices=True, **kw)
    return unpool(out * out, indices, 2, **kw)


_add("max_unpool1d", lambda m, x: _unpool(m, x, 1), [[(2, 2, 6)], [(2, 5)]])
_add("max_unpool2d", lambda m, x: _unpool(m, x, 2, padding=1), [[(1, 2, 4, 4)], [(2, 4, 2)]])
_add("max_unpool3d", lambda m, x: _unpool(m, x, 3), [[(1, 1, 4, 2, 4)]])


def _unpool_sized(m, x, y):
    out, indices = F(m).max_pool2d(y, 2, return_indices=True)
    return F(m).max_unpool2d(x * out, indices, 2, output_size=(5, 5))


_add("max_unpool2d_output_size", _unpool_sized, [[(1, 1, 2, 2), (1, 1, 5, 5)]])

# -- vision: padding ------------------------------------------------------------------
_add("pad_crop", lambda m, x: F(m).pad(x, (-1, 2, 1, -2), value=0.5), [[(2, 3, 4)]])
_add("pad_reflect", lambda m, x: F(m).pad(x, (2, 1), mode="reflect"), [[(2, 2, 4)], [(3, 5)]])
_add("pad_reflect_2d", lambda m, x: F(m).pad(x, (1, 2, 2, 0), mode="reflect"), [[(1, 2, 3, 4)]])
_add("pad_reflect_3d_crop", lambda m, x: F(m).pad(x, (1, -1, -2, 3, 1, 1), mode="reflect"),
     [[(1, 2, 3, 4, 4)], [(2, 3, 4, 4)]])
_add("pad_replicate", lambda m, x: F(m).pad(x, (3, -1, 0, 2), mode="replicate"),
     [[(1, 2, 3, 4)], [(2, 3, 4)]])
_add("pad_replicate_1d", lambda m, x: F(m).pad(x, (2, 4), mode="replicate"), [[(2, 3)]])
_add("pad_circular", lambda m, x: F(m).pad(x, (2, 3, 1, 1, 0, 2), mode="circular"),
     [[(1, 1, 2, 3, 3)]])
_add("pad_circular_crop", lambda m, x: F(m).pad(x, (-1, 3), mode="circular"), [[(2, 2, 4)]])

# -- vision: resizing -----------------------------------------------------------------


def _interp(**kw):
    return lambda m, x: F(m).interpolate(x, **kw)


_add("interpolate_nearest", _interp(scale_factor=2), [[(1, 2, 3)], [(1, 1, 2, 3)]])
_add("interpolate_nearest_size", _interp(size=(5, 2)), [[(1, 2, 3, 4)]])
_add("interpolate_nearest_scale", _interp(scale_factor=(1.7, 0.6, 2.5)), [[(1, 1, 3, 5, 2)]])
_add("interpolate_nearest_exact", _interp(size=7, mode="nearest-exact"), [[(1, 2, 4)]])
_add("interpolate_nearest_exact_scale", _interp(scale_factor=(0.7, 1.3), mode="nearest-exact",
                                                recompute_scale_factor=True), [[(1, 1, 6, 4)]])
_add("interpolate_linear", _interp(size=7, mode="linear"), [[(2, 2, 4)]])
_add("interpolate_linear_align", _interp(scale_factor=1.5, mode="linear", align_corners=True),
     [[(1, 2, 5)]])
_add("interpolate_linear_down", _interp(scale_factor=0.6, mode="linear"), [[(1, 2, 7)]])
_add("interpolate_bilinear", _interp(size=(5, 3), mode="bilinear"), [[(1, 2, 3, 4)]])
_add("interpolate_bilinear_align", _interp(scale_factor=(1.5, 2.2), mode="bilinear",
                                           align_corners=True), [[(1, 1, 3, 3)]])
_add("interpolate_bicubic", _interp(size=(5, 4), mode="bicubic"), [[(1, 2, 3, 5)]])
_add("interpolate_bicubic_align", _interp(scale_factor=1.6, mode="bicubic", align_corners=True),
     [[(1, 1, 3, 4)]])
_add("interpolate_trilinear", _interp(size=(3, 4, 2), mode="trilinear"), [[(1, 1, 2, 3, 4)]])
_add("interpolate_area", _interp(size=(2, 3), mode="area"), [[(1, 2, 5, 4)]])

# -- vision: sampling at points --------------------------------------------------------


def _sample(**kw):
    return lambda m, x, g: F(m).grid_sample(x, g, **kw)


_add("grid_sample", _sample(align_corners=False), [[(1, 2, 3, 4), (1, 2, 3, 2)]],
     (small, points))
_add("grid_sample_border_align", _sample(padding_mode="border", align_corners=True),
     [[(2, 1, 3, 3), (2, 2, 2, 2)]], (small, points))
_add("grid_sample_reflection_3d", _sample(padding_mode="reflection", align_corners=False),
     [[(1, 1, 2, 3, 3), (1, 2, 1, 2, 3)]], (small, points))
_add("grid_sample_nearest", _sample(mode="nearest", padding_mode="reflection",
                                    align_corners=True), [[(1, 2, 3, 3), (1, 2, 2, 2)]],
     (small, points))
_add("grid_sample_bicubic", _sample(mode="bicubic", align_corners=False),
     [[(1, 1, 4, 4), (1, 2, 2, 2)]], (small, points))
_add("grid_sample_bicubic_reflection", _sample(mode="bicubic", padding_mode="reflection",
                                               align_corners=True),
     [[(1, 1, 3, 4), (1, 1, 3, 2)]], (small, points))
_add("affine_grid", lambda m, t: F(m).affine_grid(t, (2, 1, 3, 4), align_corners=False),
     [[(2, 2, 3)]])
_add("affine_grid_3d", lambda m, t: F(m).affine_grid(t, (1, 2, 2, 3, 2), align_corners=True),
     [[(1, 3, 4)]])
_add("spatial_transformer", lambda m, x, t: F(m).grid_sample(
    x, F(m).affine_grid(t, (1, 2, 3, 3), align_corners=False), align_corners=False),
    [[(1, 2, 4, 4), (1, 2, 3)]])

# -- vision: rearranging --------------------------------------------------------------
_add("pixel_shuffle", lambda m, x: F(m).pixel_shuffle(x, 2), [[(1, 8, 2, 3)], [(2, 1, 4, 1, 2)]])
_add("pixel_unshuffle", lambda m, x: F(m).pixel_unshuffle(x, 2), [[(1, 2, 4, 2)], [(3, 2, 4)]])
_add("channel_shuffle", lambda m, x: F(m).channel_shuffle(x, 3), [[(2, 6, 2)], [(1, 6, 2, 1)]])


# -- no gradient: indices and integer inputs ------------------------------------------
NONDIFF_CASES = [
    Case("max_pool2d_indices", lambda m, x: F(m).max_pool2d(
        x, 3, stride=2, padding=1, ceil_mode=True, return_indices=True)[1], ((1, 2, 5, 6),)),
    Case("max_pool1d_indices", lambda m, x: F(m).max_pool1d(
        x, 2, stride=1, padding=1, dilation=2, return_indices=True)[1], ((2, 7),)),
    Case("max_pool3d_indices", lambda m, x: F(m).max_pool3d(
        x, (1, 2, 2), return_indices=True)[1], ((1, 2, 2, 4, 5),)),
    Case("adaptive_max_pool2d_indices", lambda m, x: F(m).adaptive_max_pool2d(
        x, (3, 4), return_indices=True)[1], ((1, 2, 5, 7),)),
    Case("adaptive_max_pool1d_indices", lambda m, x: F(m).adaptive_max_pool1d(
        x, 3, return_indices=True)[1], ((2, 5),)),
    Case("max_pool2d_int_padding", lambda m, x: F(m).max_pool2d(
        (x * 10).long() - (2 ** 63 - 20), 2, padding=1), ((1, 2, 3, 3),)),
    Case("max_pool3d_int32_padding", lambda m, x: F(m).max_pool3d(
        (x * 10).int(), 3, stride=2, padding=1), ((1, 2, 3, 5),)),
]
