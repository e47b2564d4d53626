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

from . import data, nn, optim, return_types, scalar
from .autograd import checkpoint, grad, hessian, hvp, jacobian, jvp, vhp, vjp
from .creation import (
    arange,
    eye,
    full,
    full_like,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .explain.anomaly import detect_anomaly
from .function import Context, Function, once_differentiable
from .gradcheck import gradcheck, gradgradcheck
from .graph import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .io import load, save
from .scalar import Scalar
from .tensor import Tensor
from .tensor_methods.elementwise import maximum, minimum, where
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
from .tensor_methods.shape import MemoryFormat as memory_format
from .tensor_methods.shape import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    cat,
    channels_last,
    channels_last_3d,
    chunk,
    clone,
    column_stack,
    contiguous_format,
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
    preserve_format,
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

__version__ = "0.1.0"

float16 = _np.float16
float32 = _np.float32
float64 = _np.float64
int32 = _np.int32
int64 = _np.int64
long = _np.int64
bool = _np.bool_  # noqa: A001  (PyTorch's name)


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
matmul = _unary("matmul")
softmax = _unary("softmax")
log_softmax = _unary("log_softmax")
