"""chainrule: backpropagation, from scalars to networks, on NumPy.

>>> import chainrule as cr
>>> w = cr.tensor([1.0, -2.0], requires_grad=True)
>>> loss = (w * w).sum()
>>> loss.backward()
>>> w.grad
tensor([ 2., -4.])
"""

from __future__ import annotations

import numpy as _np

from . import (
    accelerator,
    allocator,
    amp,
    backends,
    cuda,
    data,
    linalg,
    nn,
    optim,
    random,
    return_types,
    scalar,
    special,
    utils,
)
from .amp import autocast
from .autograd import checkpoint, grad, hessian, hvp, jacobian, jvp, vhp, vjp
from .creation import (
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    Generator,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    initial_seed,
    linspace,
    logspace,
    manual_seed,
    meshgrid,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)
from .devices import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    device,
    get_default_device,
    layout,
    memory_format,
    preserve_format,
    set_default_device,
    strided,
)
from .dtypes import (
    bfloat16,
    can_cast,
    cdouble,
    cfloat,
    chalf,
    complex32,
    complex64,
    complex128,
    double,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    is_complex,
    is_floating_point,
    is_tensor,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint8,
    uint16,
    uint32,
    uint64,
)
from .explain.anomaly import detect_anomaly
from .function import Context, Function, once_differentiable
from .gradcheck import gradcheck, gradgradcheck
from .graph import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .io import load, save

# nn.functional names that PyTorch also has at the top level
from .nn.functional import (
    celu,
    celu_,
    cosine_similarity,
    hardshrink,
    pairwise_distance,
    prelu,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    threshold,
    threshold_,
)
from .random import default_generator
from .runtime import (
    compile,
    get_float32_matmul_precision,
    get_num_interop_threads,
    get_num_threads,
    inference_mode,
    is_inference_mode_enabled,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_num_threads,
)
from .scalar import Scalar
from .tensor import Tensor
from .tensor_methods.elementwise import (  # elementwise math
    absolute,
    acos,
    acosh,
    add,
    allclose,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    ceil,
    clamp_max,
    clamp_min,
    clip,
    copysign,
    cosh,
    deg2rad,
    digamma,
    div,
    divide,
    eq,
    equal,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    fix,
    float_power,
    floor,
    floor_divide,
    fmax,
    fmin,
    fmod,
    frac,
    gcd,
    ge,
    greater,
    greater_equal,
    gt,
    hypot,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    isreal,
    lcm,
    ldexp,
    le,
    lerp,
    less,
    less_equal,
    lgamma,
    log1p,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logit,
    lt,
    maximum,
    minimum,
    mul,
    multiply,
    nan_to_num,
    ne,
    neg,
    negative,
    not_equal,
    polygamma,
    positive,
    rad2deg,
    reciprocal,
    remainder,
    round,
    rsqrt,
    sgn,
    sign,
    signbit,
    sinc,
    sinh,
    square,
    sub,
    subtract,
    tan,
    true_divide,
    trunc,
    where,
    xlogy,
)
from .tensor_methods.index import (
    argwhere,
    diag,
    diag_embed,
    diagonal,
    diagonal_scatter,
    gather,
    index_add,
    index_copy,
    index_fill,
    index_put,
    index_put_,
    index_reduce,
    index_select,
    masked_fill,
    masked_scatter,
    masked_select,
    nonzero,
    put,
    scatter,
    scatter_add,
    scatter_reduce,
    select_scatter,
    slice_scatter,
    take,
    take_along_dim,
    trace,
    tril,
    triu,
)
from .tensor_methods.linalg import (
    addbmm,
    addmm,
    addmv,
    addr,
    baddbmm,
    bmm,
    cdist,
    chain_matmul,
    cholesky_inverse,
    cholesky_solve,
    cross,
    dot,
    einsum,
    ger,
    inner,
    kron,
    logdet,
    matrix_exp,
    matrix_power,
    mm,
    mv,
    outer,
    pinverse,
    tensordot,
    vdot,
)
from .tensor_methods.linalg import det as det
from .tensor_methods.linalg import inv as inverse
from .tensor_methods.linalg import matmul_fn as matmul
from .tensor_methods.linalg import torch_cholesky as cholesky
from .tensor_methods.linalg import torch_qr as qr
from .tensor_methods.linalg import torch_slogdet as slogdet
from .tensor_methods.linalg import torch_svd as svd
from .tensor_methods.random import bernoulli, multinomial, normal, poisson
from .tensor_methods.reduce import all as all  # noqa: A001
from .tensor_methods.reduce import (  # reductions, scans, sorting and statistics
    aminmax,
    count_nonzero,
    dist,
    nanmean,
    nansum,
    norm,
    prod,
    std_mean,
    var_mean,
)
from .tensor_methods.reduce import any as any  # noqa: A001
from .tensor_methods.scan import cummax, cummin, cumprod, cumsum, logcumsumexp
from .tensor_methods.shape import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    cat,
    chunk,
    clone,
    column_stack,
    dsplit,
    dstack,
    flip,
    fliplr,
    flipud,
    hsplit,
    hstack,
    moveaxis,
    movedim,
    narrow,
    narrow_copy,
    repeat_interleave,
    roll,
    rot90,
    row_stack,
    select,
    split,
    stack,
    swapaxes,
    swapdims,
    tensor_split,
    tile,
    unbind,
    unflatten,
    vsplit,
    vstack,
)
from .tensor_methods.sort import (
    argsort,
    kthvalue,
    median,
    mode,
    msort,
    nanmedian,
    sort,
    topk,
    unique,
    unique_consecutive,
)

bool = _np.dtype(_np.bool_)  # noqa: A001  (PyTorch's names)
float = float32  # noqa: A001
int = int32  # noqa: A001
__version__ = "0.1.0"


def _unary(name: str):
    def fn(input: Tensor, *args, **kwargs) -> Tensor:
        return getattr(input if isinstance(input, Tensor) else tensor(input), name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"``chainrule.{name}(t, ...)`` is ``t.{name}(...)``."
    return fn


exp = _unary("exp")
log = _unary("log")
sqrt = _unary("sqrt")
abs = _unary("abs")  # noqa: A001
sin = _unary("sin")
cos = _unary("cos")
tanh = _unary("tanh")
sigmoid = _unary("sigmoid")
relu = _unary("relu")
clamp = _unary("clamp")
pow = _unary("pow")  # noqa: A001
sum = _unary("sum")  # noqa: A001
mean = _unary("mean")
var = _unary("var")
std = _unary("std")
logsumexp = _unary("logsumexp")
amax = _unary("amax")
amin = _unary("amin")
max = _unary("max")  # noqa: A001
min = _unary("min")  # noqa: A001
argmax = _unary("argmax")
argmin = _unary("argmin")
reshape = _unary("reshape")
flatten = _unary("flatten")
transpose = _unary("transpose")
permute = _unary("permute")
squeeze = _unary("squeeze")
unsqueeze = _unary("unsqueeze")
softmax = _unary("softmax")
log_softmax = _unary("log_softmax")

allocator._at_import()  # keep freed array memory for reuse (see chainrule.allocator)
