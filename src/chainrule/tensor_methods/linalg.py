"""Linear algebra on Tensors: products, einsum, factorisations, norms, distances.

Forward and VJP of each primitive are in :mod:`chainrule.ops.linalg`; this module
checks what users pass (shapes, dtypes, PyTorch's argument conventions), raises
one clear line when it can't be done, and composes the rest. The functions of
``torch.linalg`` are re-exported as :mod:`chainrule.linalg`; the top-level ones
(``einsum``, ``mm``, ``cdist``, ...) from :mod:`chainrule`.

>>> import chainrule as cr
>>> a = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> cr.einsum("ij,jk->ik", a, a)
tensor([[ 7., 10.],
        [15., 22.]])
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import return_types
from ..ops.elementwise import Abs, Where
from ..ops.linalg import (
    Cdist,
    Cholesky,
    Det,
    Eigh,
    Einsum,
    Inv,
    Matmul,
    Pinv,
    Qr,
    SlogDet,
    Solve,
    Svd,
    VectorNorm,
    unpack,
)
from ..ops.namespace import TENSOR
from ..ops.reduce import Amax, Amin, Sum
from ..ops.shape import Concatenate, GetItem, Permute, Reshape
from ..tensor import _apply, _constant, _is_tensor
from ._base import TensorBase
from ._dims import axes, axis

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "LinalgMethods", "check_matmul", "matmul_fn",
    # products
    "einsum", "outer", "ger", "dot", "vdot", "inner", "mm", "bmm", "mv", "addmm", "addmv",
    "addbmm", "baddbmm", "addr", "kron", "tensordot", "matrix_power", "multi_dot", "chain_matmul",
    "cdist", "cross", "linalg_cross", "vecdot", "diagonal",
    # decompositions and solves
    "det", "logdet", "slogdet", "inv", "inv_ex", "solve", "cholesky", "cholesky_ex", "qr",
    "eigh", "eigvalsh", "svd", "svdvals", "pinv", "lstsq", "matrix_rank", "solve_ex",
    "solve_triangular", "cholesky_solve", "cholesky_inverse", "cond", "vander", "tensorinv",
    "tensorsolve", "matrix_exp",
    "torch_svd", "torch_qr", "torch_cholesky", "torch_slogdet", "pinverse",
    # norms
    "vector_norm", "matrix_norm", "norm",
]

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _t(x: Any) -> Tensor:
    """``x`` as a Tensor (arrays and numbers become constants)."""
    return x if _is_tensor(x) else _constant(np.asarray(x))


def _reshape(x: Any, shape: Sequence[int]) -> Tensor:
    return _apply(Reshape, (x,), {"shape": tuple(shape)})


def _permute(x: Any, order: Sequence[int]) -> Tensor:
    return _apply(Permute, (x,), {"axes": tuple(order)})


def _mT(x: Any) -> Tensor:
    order = list(range(np.ndim(x)))
    order[-1], order[-2] = order[-2], order[-1]
    return _permute(x, order)


def _sum(x: Any, dims: tuple, keepdim: bool = False) -> Tensor:
    return _apply(Sum, (x,), {"axis": dims, "keepdims": keepdim})


def _dtype_name(x: Any) -> str:
    return np.dtype(x.dtype).name


# ---------------------------------------------------------------------------
# matmul and the @ operator
# ---------------------------------------------------------------------------

def check_matmul(a: Any, b: Any) -> None:
    """Raise one clear line when ``a @ b`` can't be formed."""
    sa, sb = np.shape(a), np.shape(b)
    if not sa or not sb:
        raise ValueError(f"matmul: both operands need at least 1 dim, got shapes {sa} and {sb}")
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} are not aligned: {k_a} (last dim of the first) "
            f"!= {k_b} ({'first' if len(sb) == 1 else 'second-to-last'} dim of the second)"
        )
    if len(sa) > 2 and len(sb) > 2:
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: the batch dims of shapes {sa} and {sb} do not broadcast") from None


def _matmul(a: Any, b: Any) -> Tensor:
    check_matmul(a, b)
    return _apply(Matmul, (a, b))


def matmul_fn(input: Any, other: Any) -> Tensor:
    """``input @ other`` (``torch.matmul`` / ``torch.linalg.matmul``)."""
    return _matmul(input, other)


# ---------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------

def einsum(*args: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum``: ``einsum("bij,bjk->bik", a, b)``.

    Any valid subscripts: ``...`` for broadcast dims, repeated letters for
    diagonals (``"ii->i"``), an implicit output (the letters that appear once, in
    alphabetical order, after the ellipsis dims), operands as a list, or the sublist
    form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``. Two or more operands are
    contracted two at a time in NumPy's greedy order, each contraction one matmul.
    The gradient is itself an einsum, so it is differentiable at any order.

    >>> import chainrule as cr
    >>> x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> cr.einsum("ii", x)
    tensor(5., grad_fn=<einsum>)
    """
    if not args:
        raise TypeError("einsum(): give an equation and at least one operand")
    if isinstance(args[0], str):
        equation = args[0]
        operands = list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    shapes = tuple(tuple(np.shape(op)) for op in operands)
    canonical = _canonical_einsum(equation, shapes)
    return _apply(Einsum, tuple(operands), {"equation": canonical})


def _sublist_equation(args: Sequence[Any]) -> tuple[str, list]:
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as ``("ab,bc->ac", [a, b])``."""

    def letters(sub: Any) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= s < len(_LETTERS):
                out.append(_LETTERS[int(s)])
            else:
                raise ValueError(
                    f"einsum(): subscript in a sublist must be an int in [0, 52) or "
                    f"Ellipsis, got {s!r}")
        return "".join(out)

    operands = list(args[0::2])
    subs = list(args[1::2])
    output = None
    if len(operands) > len(subs):  # the last item was the output sublist
        output = operands.pop()
    if len(operands) != len(subs):
        raise ValueError("einsum(): give each operand followed by its list of subscripts")
    equation = ",".join(letters(s) for s in subs)
    if output is not None:
        equation += "->" + letters(output)
    return equation, operands


@functools.lru_cache(maxsize=1024)
def _canonical_einsum(equation: str, shapes: tuple) -> str:
    """The equation with the ellipses written out as letters and the output explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise ValueError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise ValueError("einsum(): more operands were provided than specified in the equation")
    ellipsis_dims = []
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        letters = _check_subscripts(term, f"operand {k}", eq)
        has_ellipsis = "..." in term
        if not has_ellipsis and len(letters) != len(shape):
            raise ValueError(
                f"einsum(): the number of subscripts in the equation ({len(letters)}) does not "
                f"match the number of dimensions ({len(shape)}) for operand {k} and no "
                "ellipsis was given")
        if has_ellipsis and len(letters) > len(shape):
            raise ValueError(
                f"einsum(): the number of subscripts in the equation ({len(letters)}) is more "
                f"than the number of dimensions ({len(shape)}) for operand {k}")
        ellipsis_dims.append(len(shape) - len(letters) if has_ellipsis else 0)
    n_ell = max(ellipsis_dims, default=0)
    fresh = [c for c in _LETTERS if c not in eq]
    if n_ell > len(fresh):
        raise ValueError("einsum(): too many dimensions: at most 52 subscripts in all")
    ell = "".join(fresh[:n_ell])
    expanded = [t.replace("...", ell[n_ell - e:]) for t, e in zip(terms, ellipsis_dims)]
    if arrow:
        out_letters = _check_subscripts(rhs, "the output", eq)
        for c in out_letters:
            if out_letters.count(c) > 1:
                raise ValueError(f"einsum(): output subscript {c} appears more than once in "
                                 "the output")
            if c not in lhs:
                raise ValueError(f"einsum(): output subscript {c} does not appear in the "
                                 "equation for any input operand")
        output = rhs.replace("...", ell)
    else:
        plain = lhs.replace("...", "").replace(",", "")
        output = ell + "".join(sorted(c for c in set(plain) if plain.count(c) == 1))
    _check_einsum_sizes(expanded, shapes, eq)
    return ",".join(expanded) + "->" + output


def _check_subscripts(term: str, where: str, equation: str) -> str:
    if term.count("...") > 1:
        raise ValueError(f"einsum(): more than one ellipsis for {where} in {equation!r}")
    rest = term.replace("...", "")
    if "." in rest:
        raise ValueError(f"einsum(): found '.' for {where} that is not part of any ellipsis")
    for c in rest:
        if c not in _LETTERS:
            raise ValueError(
                f"einsum(): invalid subscript {c!r} in {equation!r}: subscripts must be in "
                "[a-zA-Z]")
    return rest


def _check_einsum_sizes(terms: Sequence[str], shapes: tuple, equation: str) -> None:
    sizes: dict[str, int] = {}
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        own: dict[str, int] = {}
        for c, n in zip(term, shape):
            if own.setdefault(c, n) != n:
                raise ValueError(
                    f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't "
                    f"match, {own[c]} != {n}")
            seen = sizes.setdefault(c, n)
            if seen == 1:
                sizes[c] = n
            elif n not in (1, seen):
                raise ValueError(
                    f"einsum(): in {equation!r}, a dim of operand {k} (shape {shape}) has size "
                    f"{n}, which does not broadcast with size {seen} seen before for the same "
                    "subscript")


# ---------------------------------------------------------------------------
# Vector and matrix products
# ---------------------------------------------------------------------------

def _need_dims(op: str, want: str, **tensors: Any) -> None:
    """Raise one line unless each of ``tensors`` is a vector / matrix / batch of matrices."""
    dims = {"vector": 1, "matrix": 2, "batch of matrices": 3}[want]
    for name, x in tensors.items():
        if np.ndim(x) != dims:
            raise ValueError(
                f"{op}: {name} must be a {want} ({dims}-D), got shape {tuple(np.shape(x))}")


def outer(input: Any, vec2: Any) -> Tensor:
    """The outer product of two vectors: ``out[i, j] = input[i] * vec2[j]``."""
    _need_dims("outer", "vector", input=input, vec2=vec2)
    return _apply(Einsum, (input, vec2), {"equation": "i,j->ij"})


ger = outer


def dot(input: Any, other: Any) -> Tensor:
    """The dot product of two vectors of the same size (a 0-d tensor)."""
    _need_dims("dot", "vector", input=input, other=other)
    if np.shape(input) != np.shape(other):
        raise ValueError(f"dot: the vectors have different sizes, {np.shape(input)[0]} and "
                         f"{np.shape(other)[0]}")
    return _apply(Matmul, (input, other))


vdot = dot  # for real tensors the conjugate of the first is itself


def inner(input: Any, other: Any) -> Tensor:
    """Sums of products over the last dims: shape ``input.shape[:-1] + other.shape[:-1]``.

    A 0-d operand multiplies the other one.
    """
    sa, sb = tuple(np.shape(input)), tuple(np.shape(other))
    if not sa or not sb:
        return _t(input) * other
    if sa[-1] != sb[-1]:
        raise ValueError(f"inner: the last dims of shapes {sa} and {sb} differ "
                         f"({sa[-1]} != {sb[-1]})")
    la, lb = _LETTERS[:len(sa) - 1], _LETTERS[len(sa) - 1:len(sa) + len(sb) - 2]
    z = _LETTERS[-1]
    return _apply(Einsum, (input, other), {"equation": f"{la}{z},{lb}{z}->{la}{lb}"})


def mm(input: Any, mat2: Any) -> Tensor:
    """The product of two matrices, (n, m) @ (m, p) -> (n, p)."""
    _need_dims("mm", "matrix", input=input, mat2=mat2)
    sa, sb = np.shape(input), np.shape(mat2)
    if sa[1] != sb[0]:
        raise ValueError(f"mm: shapes {sa} and {sb} cannot be multiplied ({sa[1]} != {sb[0]})")
    return _apply(Matmul, (input, mat2))


def _check_bmm(op: str, batch1: Any, batch2: Any) -> None:
    _need_dims(op, "batch of matrices", batch1=batch1, batch2=batch2)
    sa, sb = np.shape(batch1), np.shape(batch2)
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise ValueError(f"{op}: shapes {sa} and {sb} cannot be multiplied: need (b, n, m) and "
                         "(b, m, p) with the same b and m")


def bmm(input: Any, mat2: Any) -> Tensor:
    """Batched matrix products, (b, n, m) @ (b, m, p) -> (b, n, p); no broadcasting."""
    _check_bmm("bmm", input, mat2)
    return _apply(Matmul, (input, mat2))


def mv(input: Any, vec: Any) -> Tensor:
    """The product of a matrix and a vector, (n, m) @ (m,) -> (n,)."""
    _need_dims("mv", "matrix", input=input)
    _need_dims("mv", "vector", vec=vec)
    sa, sb = np.shape(input), np.shape(vec)
    if sa[1] != sb[0]:
        raise ValueError(f"mv: shapes {sa} and {sb} cannot be multiplied ({sa[1]} != {sb[0]})")
    return _apply(Matmul, (input, vec))


def _add_scaled(op: str, input: Any, product: Tensor, beta: Any, alpha: Any) -> Tensor:
    """``beta * input + alpha * product``; ``input`` is ignored when beta is 0 (PyTorch)."""
    try:
        shape = np.broadcast_shapes(np.shape(input), product.shape)
    except ValueError:
        shape = None
    if shape != product.shape:
        raise ValueError(f"{op}: input of shape {tuple(np.shape(input))} does not broadcast to "
                         f"the product's shape {product.shape}")
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        if _is_tensor(input) and input.requires_grad and input.dtype == product.dtype:
            # As PyTorch: input's values are ignored (a nan in it does not spread), but
            # it stays in the graph, with a zero gradient
            return _apply(Where, (np.zeros((), dtype=bool), input, product))
        return product
    return (input if beta == 1 else _t(input) * beta) + product


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices; input broadcasts."""
    return _add_scaled("addmm", input, mm(mat1, mat2), beta, alpha)


def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    return _add_scaled("addmv", input, mv(mat, vec), beta, alpha)


def addr(input: Any, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    return _add_scaled("addr", input, outer(vec1, vec2), beta, alpha)


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    _check_bmm("baddbmm", batch1, batch2)
    return _add_scaled("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]`` (one matmul over b and k)."""
    _check_bmm("addbmm", batch1, batch2)
    product = _apply(Einsum, (batch1, batch2), {"equation": "bij,bjk->ik"})
    return _add_scaled("addbmm", input, product, beta, alpha)


def kron(input: Any, other: Any) -> Tensor:
    """The Kronecker product: each dim of size ``a_i * b_i`` (fewer dims are padded with 1s).

    >>> import chainrule as cr
    >>> cr.kron(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 10.0]))
    tensor([ 1., 10.,  2., 20.])
    """
    a, b = _t(input), _t(other)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + a.shape
    sb = (1,) * (nd - b.ndim) + b.shape
    a_r = _reshape(a, [n for pair in zip(sa, (1,) * nd) for n in pair])
    b_r = _reshape(b, [n for pair in zip((1,) * nd, sb) for n in pair])
    return _reshape(a_r * b_r, [x * y for x, y in zip(sa, sb)])


def tensordot(a: Any, b: Any, dims: Any = 2) -> Tensor:
    """Sum of products over ``dims``: an int (the last dims of ``a`` with the first of
    ``b``) or a pair of lists of dims."""
    sa, sb = tuple(np.shape(a)), tuple(np.shape(b))
    if _is_tensor(dims):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        n = int(dims)
        if n < 0 or n > len(sa) or n > len(sb):
            raise ValueError(f"tensordot: dims={n} is out of range for shapes {sa} and {sb}")
        dims_a, dims_b = list(range(len(sa) - n, len(sa))), list(range(n))
    else:
        try:
            dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        except (TypeError, ValueError):
            raise TypeError("tensordot: dims must be an int or a pair of lists of dims, got "
                            f"{dims!r}") from None
        if len(dims_a) != len(dims_b):
            raise ValueError(f"tensordot: both lists of dims must have the same length, got "
                             f"{dims_a} and {dims_b}")
        dims_a = [axis(d, len(sa), "tensordot") for d in dims_a]
        dims_b = [axis(d, len(sb), "tensordot") for d in dims_b]
    la = list(_LETTERS[:len(sa)])
    lb = list(_LETTERS[len(sa):len(sa) + len(sb)])
    for da, db in zip(dims_a, dims_b):
        if sa[da] != sb[db]:
            raise ValueError(
                f"tensordot: contracted dimensions need to match, but the first has size "
                f"{sa[da]} in dim {da} and the second has size {sb[db]} in dim {db}")
        lb[db] = la[da]
    out = [c for i, c in enumerate(la) if i not in dims_a]
    out += [c for i, c in enumerate(lb) if i not in dims_b]
    equation = "".join(la) + "," + "".join(lb) + "->" + "".join(out)
    return _apply(Einsum, (a, b), {"equation": equation})


def _check_square(op: str, a: Any) -> None:
    shape = tuple(np.shape(a))
    if len(shape) < 2:
        raise ValueError(f"{op}: A must be a matrix or a batch of matrices (>= 2 dims), got "
                         f"shape {shape}")
    if shape[-1] != shape[-2]:
        raise ValueError(f"{op}: A must be batches of square matrices, but they are "
                         f"{shape[-2]} by {shape[-1]} matrices")


def _check_float(op: str, a: Any) -> None:
    if np.dtype(np.result_type(a)).kind != "f":
        raise TypeError(f"{op}: expected a floating-point tensor, got {_dtype_name(_t(a))}; "
                        "convert with .float() or .double()")


def matrix_power(A: Any, n: int) -> Tensor:
    """``A`` multiplied by itself ``n`` times (by repeated squaring); ``n = 0`` gives the
    identity, ``n < 0`` powers of the inverse."""
    _check_square("linalg.matrix_power", A)
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {n!r}")
    a = _t(A)
    if n == 0:  # the identity, connected to A with a zero gradient (as PyTorch's)
        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
        return _apply(Where, (np.ones(a.shape, dtype=bool), eye, a))
    if n < 0:
        a = inv(a)
        n = -n
    result = None
    base = a
    while True:
        if n & 1:
            result = base if result is None else _matmul(result, base)
        n >>= 1
        if not n:
            break
        base = _matmul(base, base)
    return result  # type: ignore[return-value]


def multi_dot(tensors: Sequence[Any]) -> Tensor:
    """The product of a chain of matrices, in the order that costs fewest multiplications.

    The first may be a vector (a row), the last a vector (a column), as in PyTorch.
    """
    mats = [_t(x) for x in tensors]
    if len(mats) < 2:
        raise ValueError(f"multi_dot(): expected at least 2 tensors but got {len(mats)}")
    first_vec, last_vec = mats[0].ndim == 1, mats[-1].ndim == 1
    if first_vec:
        mats[0] = _reshape(mats[0], (1,) + mats[0].shape)
    if last_vec:
        mats[-1] = _reshape(mats[-1], mats[-1].shape + (1,))
    for i, m in enumerate(mats):
        if m.ndim != 2:
            raise ValueError(f"multi_dot(): tensor {i} must be 2-D (the first and last may be "
                             f"1-D), got {m.ndim}-D")
    for i in range(len(mats) - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise ValueError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {tuple(tensors[i].shape)} "
                f"and {tuple(tensors[i + 1].shape)} cannot be multiplied")
    dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    split = _chain_order(tuple(dims))

    def product(i: int, j: int) -> Tensor:
        if i == j:
            return mats[i]
        k = split[i][j]
        return _apply(Matmul, (product(i, k), product(k + 1, j)))

    out = product(0, len(mats) - 1)
    if first_vec and last_vec:
        return _reshape(out, ())
    if first_vec:
        return _reshape(out, out.shape[1:])
    if last_vec:
        return _reshape(out, out.shape[:1])
    return out


@functools.lru_cache(maxsize=256)
def _chain_order(dims: tuple) -> list:
    """The classic dynamic programme: where to split each sub-chain ``i..j``."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf  # type: ignore[call-overload]
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j] = c
                    split[i][j] = k
    return split


def chain_matmul(*matrices: Any) -> Tensor:
    """The product of 2-D matrices (PyTorch's deprecated name for :func:`multi_dot`)."""
    for i, m in enumerate(matrices):
        if np.ndim(m) != 2:
            raise ValueError(f"chain_matmul(): tensor {i} must be 2-D, got shape "
                             f"{tuple(np.shape(m))}")
    if len(matrices) == 1:
        return _t(matrices[0]) * 1
    return multi_dot(matrices)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


def cdist(x1: Any, x2: Any, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """p-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M).

    Batch dims broadcast; the result is (..., P, R). ``p`` is in [0, inf]. For p = 2
    the distances come from one matmul when P or R exceeds 25 (PyTorch's default
    ``compute_mode``). The gradient is 0 where a distance is 0, as PyTorch's.

    >>> import chainrule as cr
    >>> cr.cdist(cr.tensor([[0.0, 0.0]]), cr.tensor([[3.0, 4.0], [1.0, 0.0]]))
    tensor([[5., 1.]])
    """
    for name, x in (("X1", x1), ("X2", x2)):
        if np.ndim(x) < 2:
            raise ValueError(f"cdist only supports at least 2D tensors, {name} got: "
                             f"{np.ndim(x)}D")
        if np.dtype(np.result_type(x)).kind != "f":
            raise TypeError(f"cdist only supports floating-point dtypes, {name} got: "
                            f"{_dtype_name(_t(x))}")
    s1, s2 = tuple(np.shape(x1)), tuple(np.shape(x2))
    if s1[-1] != s2[-1]:
        raise ValueError(f"cdist: X1 and X2 must have the same number of columns. X1: {s1[-1]} "
                         f"X2: {s2[-1]}")
    try:
        np.broadcast_shapes(s1[:-2], s2[:-2])
    except ValueError:
        raise ValueError(f"cdist: the batch dims of shapes {s1} and {s2} do not broadcast") \
            from None
    if not p >= 0:
        raise ValueError(f"cdist only supports non-negative p values, got {p}")
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"cdist: compute_mode must be one of {', '.join(_CDIST_MODES)}; got "
                         f"{compute_mode!r}")
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == "use_mm_for_euclid_dist_if_necessary" and (s1[-2] > 25 or s2[-2] > 25)))
    return _apply(Cdist, (x1, x2), {"p": float(p), "use_mm": use_mm})


def linalg_cross(input: Any, other: Any, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (other dims broadcast)."""
    return _cross("linalg.cross", input, other, dim)


def cross(input: Any, other: Any, dim: int | None = None) -> Tensor:
    """``torch.cross``: as :func:`linalg_cross`, but with ``dim=None`` the first dim of
    size 3 is used."""
    if dim is None:
        shape = np.broadcast_shapes(np.shape(input), np.shape(other))
        sizes = [i for i, n in enumerate(shape) if n == 3]
        if not sizes:
            raise ValueError(f"cross: no dimension of size 3 in shapes {np.shape(input)} and "
                             f"{np.shape(other)}")
        dim = sizes[0]
    return _cross("cross", input, other, dim)


def _cross(op: str, input: Any, other: Any, dim: int) -> Tensor:
    a, b = _t(input), _t(other)
    if a.ndim != b.ndim:
        raise ValueError(f"{op}: inputs must have the same number of dimensions, got shapes "
                         f"{a.shape} and {b.shape}")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast") from None
    d = axis(dim, len(shape), op)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise ValueError(f"{op}: inputs dimension {dim} must have length 3. Got "
                         f"{a.shape[d]} and {b.shape[d]}")
    lead = (slice(None),) * d

    def take(x: Tensor, order: list) -> Tensor:
        return _apply(GetItem, (x,), {"index": lead + (np.array(order),)})

    first = take(a, [1, 2, 0]) * take(b, [2, 0, 1])
    return first - take(a, [2, 0, 1]) * take(b, [1, 2, 0])


def vecdot(x: Any, y: Any, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along ``dim`` (other dims broadcast)."""
    prod = _t(x) * y
    return _sum(prod, (axis(dim, prod.ndim, "linalg.vecdot"),))


def diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal of the matrices along ``dim1`` and ``dim2``, as the last dim.

    >>> import chainrule as cr
    >>> cr.linalg.diagonal(cr.tensor([[1.0, 2.0], [3.0, 4.0]]), offset=1)
    tensor([2.])
    """
    a = _t(A)
    d1, d2 = axis(dim1, a.ndim, "linalg.diagonal"), axis(dim2, a.ndim, "linalg.diagonal")
    if d1 == d2:
        raise ValueError(f"linalg.diagonal: dim1 and dim2 cannot be the same dim ({dim1})")
    rest = [i for i in range(a.ndim) if i not in (d1, d2)]
    moved = _permute(a, rest + [d1, d2]) if rest + [d1, d2] != list(range(a.ndim)) else a
    rows, cols = moved.shape[-2:]
    start_r, start_c = max(-offset, 0), max(offset, 0)
    k = max(min(rows - start_r, cols - start_c), 0)
    square = _apply(GetItem, (moved,), {
        "index": (Ellipsis, slice(start_r, start_r + k), slice(start_c, start_c + k))})
    letters = _LETTERS[:len(rest)]
    return _apply(Einsum, (square,), {"equation": f"{letters}zz->{letters}z"})


# ---------------------------------------------------------------------------
# Determinants, inverses, solves
# ---------------------------------------------------------------------------

def _square_float(op: str, A: Any) -> Tensor:
    _check_square(op, A)
    _check_float(op, A)
    return _t(A)


def _singular_where(a: np.ndarray) -> str:
    """`` (matrix 3 of the batch)`` for the first exactly singular matrix, if batched."""
    if a.ndim == 2:
        return ""
    dets = np.linalg.det(a).reshape(-1)
    bad = np.flatnonzero(dets == 0)
    return f" (matrix {int(bad[0])} of the batch)" if bad.size else ""


def det(A: Any) -> Tensor:
    """The determinant of each square matrix (the last two dims).

    The gradient is ``det(A) A^{-T}``, and the cofactor matrix where A is singular.
    """
    return _apply(Det, (_square_float("linalg.det", A),))


def slogdet(A: Any) -> return_types.linalg_slogdet:
    """``(sign, logabsdet)`` of the determinant; only ``logabsdet`` has a gradient."""
    a = _square_float("linalg.slogdet", A)
    out = _apply(SlogDet, (a,))
    sign = _constant(out._array[0])
    return return_types.linalg_slogdet(sign, _apply(GetItem, (out,), {"index": 1}))


def torch_slogdet(A: Any) -> return_types.slogdet:
    """``torch.slogdet``: :func:`slogdet` as ``torch.return_types.slogdet``."""
    return return_types.slogdet(*slogdet(A))


def logdet(A: Any) -> Tensor:
    """``log(det(A))``: nan where the determinant is negative, -inf where it is 0."""
    sign, logabsdet = slogdet(A)
    with np.errstate(divide="ignore", invalid="ignore"):
        return logabsdet + np.log(sign._array)


def inv(A: Any) -> Tensor:
    """The inverse of each square matrix; a singular matrix raises."""
    a = _square_float("linalg.inv", A)
    try:
        return _apply(Inv, (a,))
    except ValueError:
        raise RuntimeError(
            f"linalg.inv: the input matrix is singular{_singular_where(a._array)}, so it has "
            "no inverse; linalg.pinv gives the pseudo-inverse") from None


def inv_ex(A: Any, *, check_errors: bool = False) -> return_types.linalg_inv_ex:
    """``(inverse, info)``: info is 0 where the inverse exists, else ``i`` for the first
    zero pivot ``U[i, i]`` of the LU factorisation (1-based); those inverses are NaN."""
    a = _square_float("linalg.inv_ex", A)
    info = _lu_info(a._array)
    if not info.any() or check_errors:
        return return_types.linalg_inv_ex(inv(a), _constant(info))
    out = _apply(Inv, (_swap_failed(a, info),))
    return return_types.linalg_inv_ex(out + _nan_where(info, a.dtype), _constant(info))


def _swap_failed(a: Tensor, info: np.ndarray) -> Tensor:
    """``a`` with the matrices whose ``info`` is nonzero swapped for identities."""
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    return _apply(Where, ((info == 0)[..., None, None], a, eye))


def _nan_where(info: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return np.where((info != 0)[..., None, None], np.nan, 0).astype(dtype)


def _lu_info(a: np.ndarray) -> np.ndarray:
    """LAPACK getrf's ``info`` for each matrix: the first zero pivot (1-based), or 0."""
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    dets = np.asarray(np.linalg.det(a))
    for idx in np.ndindex(*a.shape[:-2]):
        if dets[idx] != 0:
            continue
        u = np.array(a[idx], dtype=np.float64)
        n = u.shape[0]
        info[idx] = n  # det rounded to 0 although no pivot is exactly 0
        for j in range(n):
            p = j + int(np.argmax(np.abs(u[j:, j])))
            if u[p, j] == 0:
                info[idx] = j + 1
                break
            u[[j, p]] = u[[p, j]]
            u[j + 1:, j:] -= np.outer(u[j + 1:, j] / u[j, j], u[j, j:])
    return info


def _is_vector_rhs(a_shape: tuple, b_shape: tuple) -> bool:
    """PyTorch's rule: B is a (batch of) vector(s) if 1-D, or if its shape is A's minus
    the last dim."""
    return len(b_shape) == 1 or (len(b_shape) == len(a_shape) - 1 and b_shape == a_shape[:-1])


def solve(A: Any, B: Any, *, left: bool = True) -> Tensor:
    """``X`` with ``A X = B`` (or ``X A = B`` for ``left=False``); batch dims broadcast.

    B is a batch of vectors when it is 1-D or has A's shape without the last dim, as
    in PyTorch; otherwise a batch of matrices.

    >>> import chainrule as cr
    >>> cr.linalg.solve(cr.tensor([[2.0, 0.0], [0.0, 4.0]]), cr.tensor([2.0, 2.0]))
    tensor([1. , 0.5])
    """
    a = _square_float("linalg.solve", A)
    b = _t(B)
    _check_float("linalg.solve", b)
    vector = _is_vector_rhs(a.shape, b.shape)
    n = a.shape[-1]
    bm = _reshape(b, b.shape + (1,)) if vector else b
    if bm.ndim < 2 or bm.shape[-2 if left else -1] != n:
        raise ValueError(
            f"linalg.solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({'x'.join(map(str, a.shape[-2:]))} and "
            f"{'x'.join(map(str, bm.shape[-2:]))})")
    am = a if left else _mT(a)
    if not left:
        bm = _mT(bm)
    try:
        np.broadcast_shapes(am.shape[:-2], bm.shape[:-2])
    except ValueError:
        raise ValueError(f"linalg.solve: the batch dims of A {a.shape} and B {b.shape} do not "
                         "broadcast") from None
    try:
        x = _apply(Solve, (am, bm))
    except ValueError:
        raise RuntimeError(
            f"linalg.solve: The solver failed because the input matrix is singular"
            f"{_singular_where(a._array)}") from None
    if vector:
        return _reshape(x, x.shape[:-1])
    return x if left else _mT(x)


def pinv(A: Any, rcond: float | None = None, hermitian: bool = False, *,
         atol: float | None = None, rtol: float | None = None) -> Tensor:
    """The Moore-Penrose pseudo-inverse; singular values at most
    ``max(atol, rtol * largest)`` count as 0 (``rcond`` is the older name of rtol).

    With neither given, rtol is ``eps * max(m, n)``; with only atol > 0 given, rtol is
    0 (PyTorch's defaults). The gradient holds where the rank does not change.
    """
    a = _t(A)
    _check_float("linalg.pinv", a)
    if a.ndim < 2:
        raise ValueError(f"linalg.pinv: A must be a matrix or a batch of matrices, got shape "
                         f"{a.shape}")
    if hermitian:
        _check_square("linalg.pinv", a)
    atol_, rtol_ = _tolerances(a, atol, rcond if rtol is None else rtol)
    return _apply(Pinv, (a,), {"atol": atol_, "rtol": rtol_, "hermitian": bool(hermitian)})


def pinverse(input: Any, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: :func:`pinv` with a relative cutoff ``rcond``."""
    return pinv(input, rtol=rcond, atol=0.0)


def _tolerances(a: Tensor, atol: float | None, rtol: float | None) -> tuple[float, float]:
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else \
            float(np.finfo(a.dtype).eps) * max(a.shape[-2:])
    return float(atol or 0.0), float(rtol)


def matrix_rank(A: Any, tol: float | None = None, hermitian: bool = False, *,
                atol: float | None = None, rtol: float | None = None) -> Tensor:
    """The number of singular values above ``max(atol, rtol * largest)`` (int64)."""
    a = _t(A)
    _check_float("linalg.matrix_rank", a)
    if a.ndim < 2:
        raise ValueError(f"linalg.matrix_rank: A must be a matrix or a batch of matrices, got "
                         f"shape {a.shape}")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol_, rtol_ = _tolerances(a, atol, rtol)
    s = (np.abs(np.linalg.eigvalsh(a._array)) if hermitian
         else np.linalg.svd(a._array, compute_uv=False))
    cutoff = np.maximum(atol_, rtol_ * s.max(axis=-1, initial=0.0))[..., None]
    return _constant(np.sum(s > cutoff, axis=-1).astype(np.int64))


def lstsq(A: Any, B: Any, rcond: float | None = None, *,
          driver: str | None = None) -> return_types.linalg_lstsq:
    """The least-squares solution of ``A X = B``: ``(solution, residuals, rank,
    singular_values)``.

    The solution is ``pinv(A) @ B`` (the minimum-norm one when A lacks rank), so its
    gradient is PyTorch's. As with PyTorch's drivers on a CPU: ``gelsy`` (the default)
    gives the rank only, ``gelsd``/``gelss`` also the singular values, and every driver
    but ``gelsy`` the squared residuals when m > n and A has full rank.
    """
    drivers = ("gelsy", "gelsd", "gelss", "gels")
    driver = driver or "gelsy"
    if driver not in drivers:
        raise ValueError(f"linalg.lstsq: driver must be one of {', '.join(drivers)}; got "
                         f"{driver!r}")
    a, b = _t(A), _t(B)
    _check_float("linalg.lstsq", a)
    if a.ndim < 2:
        raise ValueError(f"linalg.lstsq: A must be a matrix or a batch of matrices, got shape "
                         f"{a.shape}")
    vector = b.ndim == a.ndim - 1
    bm = _reshape(b, b.shape + (1,)) if vector else b
    m, n = a.shape[-2:]
    if bm.ndim < 2 or bm.shape[-2] != m:
        raise ValueError(f"linalg.lstsq: A {a.shape} and B {b.shape} need the same number of "
                         "rows")
    rtol = float(np.finfo(a.dtype).eps) * max(m, n) if rcond is None or rcond < 0 else rcond
    x = _matmul(pinv(a, rtol=rtol, atol=0.0), bm)
    s = np.linalg.svd(a._array, compute_uv=False)
    cutoff = rtol * s.max(axis=-1, initial=0.0)[..., None]
    rank_arr = np.sum(s > cutoff, axis=-1).astype(np.int64)
    empty = np.zeros((0,), dtype=a.dtype)
    rank = _constant(rank_arr if driver != "gels" else np.zeros((0,), dtype=np.int64))
    values = _constant(s if driver in ("gelsd", "gelss") else empty)
    residuals = _constant(empty)
    if driver != "gelsy" and m > n and bool(np.all(rank_arr == n)):
        r = np.matmul(a._array, x._array) - bm._array
        residuals = _constant(np.sum(r * r, axis=-2))
    if vector:
        x = _reshape(x, x.shape[:-1])
    return return_types.linalg_lstsq(x, residuals, rank, values)


def solve_ex(A: Any, B: Any, *, left: bool = True,
             check_errors: bool = False) -> return_types.linalg_solve_ex:
    """``(result, info)``: :func:`solve` that does not raise on a singular matrix; its
    ``info`` is LAPACK's (the first zero pivot, 1-based) and its solutions are NaN."""
    a = _square_float("linalg.solve_ex", A)
    info = _lu_info(a._array)
    if not info.any() or check_errors:
        return return_types.linalg_solve_ex(solve(a, B, left=left), _constant(info))
    x = solve(_swap_failed(a, info), B, left=left)
    nan = np.where((info != 0).reshape(info.shape + (1,) * (x.ndim - info.ndim)), np.nan, 0)
    return return_types.linalg_solve_ex(x + nan.astype(x.dtype), _constant(info))


def solve_triangular(A: Any, B: Any, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """``X`` with ``A X = B`` (``X A = B`` for ``left=False``), A triangular: only the
    triangle named by ``upper`` is read (and not its diagonal when ``unitriangular``),
    so only that triangle gets a gradient. B is a matrix (or a batch of them)."""
    a = _square_float("linalg.solve_triangular", A)
    b = _t(B)
    if b.ndim < 2:
        raise ValueError(f"linalg.solve_triangular: B must be a matrix or a batch of matrices, "
                         f"got shape {b.shape}")
    n = a.shape[-1]
    mask = np.triu(np.ones((n, n), dtype=a.dtype)) if upper else \
        np.tril(np.ones((n, n), dtype=a.dtype))
    if unitriangular:
        triangle = a * (mask - np.eye(n, dtype=a.dtype)) + np.eye(n, dtype=a.dtype)
    else:
        triangle = a * mask
    return solve(triangle, b, left=left)


def _triangle(factor: Tensor, upper: bool) -> Tensor:
    """The triangle of ``factor`` that LAPACK reads (the other one counts as 0)."""
    n = factor.shape[-1]
    ones = np.ones((n, n), dtype=factor.dtype)
    return factor * (np.triu(ones) if upper else np.tril(ones))


def cholesky_solve(B: Any, L: Any, upper: bool = False) -> Tensor:
    """``X`` with ``A X = B`` for ``A = L L^T`` (``U^T U`` when ``upper``), given the factor.

    As in PyTorch only the factor's triangle is read; its gradient is 0 outside that
    triangle (PyTorch gives the gradient of ``L L^T`` over the whole matrix)."""
    factor = _triangle(_square_float("cholesky_solve", L), upper)
    a = _matmul(_mT(factor), factor) if upper else _matmul(factor, _mT(factor))
    b = _t(B)
    if b.ndim < 2:
        raise ValueError(f"cholesky_solve: B must be a matrix or a batch of matrices, got "
                         f"shape {b.shape}")
    return solve(a, b)


def cholesky_inverse(L: Any, upper: bool = False) -> Tensor:
    """The inverse of ``A = L L^T`` (``U^T U`` when ``upper``), given the factor (only its
    triangle is read, as in :func:`cholesky_solve`)."""
    factor = _triangle(_square_float("cholesky_inverse", L), upper)
    return inv(_matmul(_mT(factor), factor) if upper else _matmul(factor, _mT(factor)))


_COND_ORDS = (None, "fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def cond(A: Any, p: Any = None) -> Tensor:
    """The condition number: ``s_max / s_min`` for p None or 2 (``s_min / s_max`` for -2),
    else ``matrix_norm(A, p) * matrix_norm(inv(A), p)``."""
    if p not in _COND_ORDS:
        raise ValueError(f"linalg.cond: Order {p} not supported; use one of None, 'fro', "
                         "'nuc', 2, -2, 1, -1, inf, -inf")
    a = _t(A)
    _check_float("linalg.cond", a)
    if p in (None, 2, -2):
        if a.ndim < 2:
            raise ValueError(f"linalg.cond: A must be a matrix or a batch of matrices, got "
                             f"shape {a.shape}")
        s = svdvals(a)
        last = (s.ndim - 1,)
        big = _apply(Amax, (s,), {"axis": last, "keepdims": False})
        small = _apply(Amin, (s,), {"axis": last, "keepdims": False})
        return big / small if p != -2 else small / big
    _check_square("linalg.cond", a)
    return matrix_norm(a, p) * matrix_norm(inv(a), p)


def vander(x: Any, *, N: int | None = None) -> Tensor:
    """The Vandermonde matrix: columns ``x**0, x**1, ..., x**(N-1)`` (N = len(x) by default).

    >>> import chainrule as cr
    >>> cr.linalg.vander(cr.tensor([1.0, 2.0, 3.0]), N=3)
    tensor([[1., 1., 1.],
            [1., 2., 4.],
            [1., 3., 9.]])
    """
    t = _t(x)
    if t.ndim < 1:
        raise ValueError("linalg.vander: x must have at least one dimension")
    n = t.shape[-1] if N is None else N
    if n < 0:
        raise ValueError(f"linalg.vander: N must be non-negative, got {n}")
    if n == 0:
        return _constant(np.zeros(t.shape + (0,), dtype=t.dtype))
    column = _reshape(t, t.shape + (1,))
    cols: list = [np.ones(t.shape + (1,), dtype=t.dtype)]
    for k in range(1, n):
        cols.append(column if k == 1 else cols[-1] * column)
    return _apply(Concatenate, tuple(cols), {"axis": t.ndim})


def tensorinv(A: Any, ind: int = 2) -> Tensor:
    """The inverse of A seen as a square matrix of shape ``(prod(shape[:ind]),
    prod(shape[ind:]))``, shaped ``shape[ind:] + shape[:ind]``."""
    a = _t(A)
    if ind <= 0:
        raise ValueError(f"linalg.tensorinv: Expected a strictly positive integer for 'ind', "
                         f"but got {ind}")
    rows, cols = math.prod(a.shape[:ind]), math.prod(a.shape[ind:])
    if rows != cols:
        raise ValueError(f"linalg.tensorinv: Expected self to satisfy the requirement "
                         f"prod(self.shape[ind:]) == prod(self.shape[:ind]), but got {cols} != "
                         f"{rows}")
    return _reshape(inv(_reshape(a, (rows, cols))), a.shape[ind:] + a.shape[:ind])


def tensorsolve(A: Any, B: Any, dims: Sequence[int] | None = None) -> Tensor:
    """``X`` with ``tensordot(A, X, X.ndim) = B``; ``dims`` of A are first moved to the end."""
    a, b = _t(A), _t(B)
    if dims is not None:
        moved = [axis(d, a.ndim, "linalg.tensorsolve") for d in dims]
        rest = [i for i in range(a.ndim) if i not in moved]
        a = _permute(a, rest + moved)
    rows = math.prod(b.shape)
    x_shape = a.shape[b.ndim:]
    if a.shape[:b.ndim] != b.shape or math.prod(x_shape) != rows:
        raise ValueError(f"linalg.tensorsolve: A of shape {a.shape} and B of shape {b.shape} "
                         "do not make a square system (A's leading dims must be B's shape, "
                         "and its other dims hold as many entries)")
    x = solve(_reshape(a, (rows, rows)), _reshape(b, (rows,)))
    return _reshape(x, x_shape)


# Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
# the Pade degrees, and the largest 1-norm each is accurate for (double / single precision).
_PADE = {
    3: (120.0, 60.0, 12.0, 1.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    9: (17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0,
        110880.0, 3960.0, 90.0, 1.0),
    13: (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
         1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
         33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0),
}
_THETA = {np.dtype(np.float64): {3: 1.495585217958292e-2, 5: 2.539398330063230e-1,
                                 7: 9.504178996162932e-1, 9: 2.097847961257068e0,
                                 13: 5.371920351148152e0},
          np.dtype(np.float32): {3: 4.258730016922831e-1, 5: 1.880152677804762e0,
                                 7: 3.925724783138660e0}}


def matrix_exp(A: Any) -> Tensor:
    """The matrix exponential, by scaling and squaring with a Pade approximant (Higham,
    2005), written with matmul and solve so that it is differentiable at any order.

    >>> import chainrule as cr
    >>> cr.linalg.matrix_exp(cr.tensor([[0.0, 1.0], [0.0, 0.0]]))
    tensor([[1., 1.],
            [0., 1.]])
    """
    a = _square_float("linalg.matrix_exp", A)
    n = a.shape[-1]
    thetas = _THETA[np.dtype(a.dtype)] if np.dtype(a.dtype) in _THETA else _THETA[
        np.dtype(np.float64)]
    norm1 = float(np.abs(a._array).sum(axis=-2).max(initial=0.0))
    top = max(thetas)
    degree = next((m for m in sorted(thetas) if norm1 <= thetas[m]), top)
    squarings = 0 if norm1 <= thetas[top] else int(np.ceil(np.log2(norm1 / thetas[top])))
    x = a * (0.5 ** squarings) if squarings else a
    b = _PADE[degree]
    eye = np.eye(n, dtype=a.dtype)
    x2 = _matmul(x, x)
    if degree == 13:
        x4 = _matmul(x2, x2)
        x6 = _matmul(x4, x2)
        u_in = _matmul(x6, x6 * b[13] + x4 * b[11] + x2 * b[9]) \
            + x6 * b[7] + x4 * b[5] + x2 * b[3] + eye * b[1]
        v = _matmul(x6, x6 * b[12] + x4 * b[10] + x2 * b[8]) \
            + x6 * b[6] + x4 * b[4] + x2 * b[2] + eye * b[0]
    else:
        power = x2
        u_in = x2 * b[3] + eye * b[1]
        v = x2 * b[2] + eye * b[0]
        for k in range(4, degree + 1, 2):
            power = _matmul(power, x2)
            u_in = u_in + power * b[k + 1]
            v = v + power * b[k]
    u = _matmul(x, u_in)
    out = _apply(Solve, (v - u, v + u))
    for _ in range(squarings):
        out = _matmul(out, out)
    return out


# ---------------------------------------------------------------------------
# Factorisations
# ---------------------------------------------------------------------------

def cholesky(A: Any, *, upper: bool = False) -> Tensor:
    """The Cholesky factor ``L`` (``A = L L^T``; ``U = L^T`` for ``upper=True``).

    Only the lower triangle of A is read; A must be symmetric positive-definite.
    """
    a = _square_float("linalg.cholesky", A)
    try:
        low = _apply(Cholesky, (a,))
    except ValueError:
        raise RuntimeError(
            "linalg.cholesky: The factorization could not be completed because the input is "
            f"not positive-definite{_not_pd_where(a._array)}.") from None
    return _mT(low) if upper else low


def _cholesky_info(a: np.ndarray) -> np.ndarray:
    """The order of the first leading minor that is not positive-definite, or 0."""
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    for idx in np.ndindex(*a.shape[:-2]):
        try:
            np.linalg.cholesky(a[idx])
            continue
        except np.linalg.LinAlgError:
            pass
        for k in range(1, a.shape[-1] + 1):
            try:
                np.linalg.cholesky(a[idx][:k, :k])
            except np.linalg.LinAlgError:
                info[idx] = k
                break
    return info


def _not_pd_where(a: np.ndarray) -> str:
    info = _cholesky_info(a)
    for idx in np.ndindex(*info.shape):
        if info[idx]:
            batch = f" of matrix {idx[0] if len(idx) == 1 else idx} of the batch" if idx else ""
            return f" (the leading minor of order {int(info[idx])}{batch} is not positive-definite)"
    return ""


def cholesky_ex(A: Any, *, upper: bool = False,
                check_errors: bool = False) -> return_types.linalg_cholesky_ex:
    """``(L, info)``: info is 0 where the factorisation exists, else the order of the first
    leading minor that is not positive-definite; those factors are NaN."""
    a = _square_float("linalg.cholesky_ex", A)
    info = _cholesky_info(a._array)
    if not info.any() or check_errors:
        return return_types.linalg_cholesky_ex(cholesky(a, upper=upper), _constant(info))
    low = _apply(Cholesky, (_swap_failed(a, info),)) + _nan_where(info, a.dtype)
    return return_types.linalg_cholesky_ex(_mT(low) if upper else low, _constant(info))


def torch_cholesky(input: Any, upper: bool = False) -> Tensor:
    """``torch.cholesky`` (deprecated in PyTorch): :func:`cholesky` with ``upper``."""
    return cholesky(input, upper=upper)


_QR_MODES = ("reduced", "complete", "r")


def qr(A: Any, mode: str = "reduced") -> return_types.linalg_qr:
    """``(Q, R)`` with ``A = Q R``, Q orthonormal and R upper-triangular.

    ``mode``: ``"reduced"`` (Q is m x k, R is k x n, k = min(m, n)), ``"complete"``
    (Q is m x m), or ``"r"`` (Q is empty and R can't be differentiated, as in PyTorch).
    """
    if mode not in _QR_MODES:
        raise ValueError(f"linalg.qr: mode must be one of {', '.join(_QR_MODES)}; got {mode!r}")
    a = _t(A)
    _check_float("linalg.qr", a)
    if a.ndim < 2:
        raise ValueError(f"linalg.qr: A must be a matrix or a batch of matrices, got shape "
                         f"{a.shape}")
    out = _apply(Qr, (a,), {"mode": mode})
    m, n = a.shape[-2:]
    k = m if mode == "complete" else min(m, n)
    q, r = unpack(out, [(m, k), (k, n)], TENSOR)
    if mode == "r":
        q = _constant(np.zeros((0,), dtype=a.dtype))
    return return_types.linalg_qr(q, r)


def torch_qr(input: Any, some: bool = True) -> return_types.qr:
    """``torch.qr`` (deprecated in PyTorch): reduced when ``some``, else complete."""
    q, r = qr(input, "reduced" if some else "complete")
    return return_types.qr(q, r)


def eigh(A: Any, UPLO: str = "L") -> return_types.linalg_eigh:
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric matrices.

    Only the triangle named by ``UPLO`` is read. The gradient (PyTorch's) needs
    distinct eigenvalues when the eigenvectors are used.
    """
    a = _square_float("linalg.eigh", A)
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    out = _apply(Eigh, (a,), {"uplo": UPLO})
    n = a.shape[-1]
    w, v = unpack(out, [(n,), (n, n)], TENSOR)
    return return_types.linalg_eigh(w, v)


def eigvalsh(A: Any, UPLO: str = "L") -> Tensor:
    """The eigenvalues of symmetric matrices, ascending."""
    a = _square_float("linalg.eigvalsh", A)
    if not a.requires_grad:
        if UPLO not in ("L", "U"):
            raise ValueError(f"linalg.eigvalsh: UPLO must be 'L' or 'U', got {UPLO!r}")
        return _constant(np.linalg.eigvalsh(a._array, UPLO="L" if UPLO == "L" else "U"))
    return eigh(a, UPLO).eigenvalues


def svd(A: Any, full_matrices: bool = True, *, driver: str | None = None
        ) -> return_types.linalg_svd:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, singular values descending.

    With ``full_matrices`` U is m x m and Vh n x n; gradients then reach A only
    through their first min(m, n) columns / rows (PyTorch's rule). The gradient
    through U or Vh needs distinct, nonzero singular values. ``driver`` is accepted
    for CUDA compatibility and must be None.
    """
    if driver is not None:
        raise ValueError("linalg.svd: driver= is only for CUDA; leave it None")
    a = _t(A)
    _check_float("linalg.svd", a)
    if a.ndim < 2:
        raise ValueError(f"linalg.svd: A must be a matrix or a batch of matrices, got shape "
                         f"{a.shape}")
    m, n = a.shape[-2:]
    k = min(m, n)
    out = _apply(Svd, (a,), {"full_matrices": bool(full_matrices)})
    shapes = [(m, m), (k,), (n, n)] if full_matrices else [(m, k), (k,), (k, n)]
    u, s, vh = unpack(out, shapes, TENSOR)
    return return_types.linalg_svd(u, s, vh)


def svdvals(A: Any) -> Tensor:
    """The singular values, descending."""
    a = _t(A)
    _check_float("linalg.svdvals", a)
    if a.ndim < 2:
        raise ValueError(f"linalg.svdvals: A must be a matrix or a batch of matrices, got "
                         f"shape {a.shape}")
    if not a.requires_grad:
        return _constant(np.linalg.svd(a._array, compute_uv=False))
    return svd(a, full_matrices=False).S


def torch_svd(input: Any, some: bool = True, compute_uv: bool = True) -> return_types.svd:
    """``torch.svd`` (deprecated in PyTorch): ``(U, S, V)`` with V, not Vh; reduced when
    ``some``. Without ``compute_uv``, U and V are zeros of shape (m, m) and (n, n)."""
    a = _t(input)
    if not compute_uv:
        s = svdvals(a)
        m, n = a.shape[-2:]
        zeros_u = _constant(np.zeros(a.shape[:-2] + (m, m), dtype=a.dtype))
        zeros_v = _constant(np.zeros(a.shape[:-2] + (n, n), dtype=a.dtype))
        return return_types.svd(zeros_u, s, zeros_v)
    u, s, vh = svd(a, full_matrices=not some)
    return return_types.svd(u, s, _mT(vh))


# ---------------------------------------------------------------------------
# Norms
# ---------------------------------------------------------------------------

def _norm_input(op: str, x: Any, dtype: Any) -> Tensor:
    t = _t(x)
    if np.dtype(t.dtype).kind != "f":
        raise TypeError(f"{op}: Expected a floating point tensor as input. Got "
                        f"{_dtype_name(t)}")
    if dtype is not None:
        target = np.dtype(dtype)
        if np.promote_types(t.dtype, target) != target:
            raise TypeError(f"{op}: the dtype of the input ({_dtype_name(t)}) should be "
                            f"convertible without narrowing to the specified dtype "
                            f"({target.name})")
        t = t.type(target)
    return t


def vector_norm(x: Any, ord: float = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (every dim when None): ord inf is max |x|,
    -inf min |x|, 0 the count of nonzeros.

    The gradient is PyTorch's: 0 where the norm is 0 (so the 2-norm of a zero
    vector has gradient 0, not NaN); ties of the inf-norm share it.

    >>> import chainrule as cr
    >>> cr.linalg.vector_norm(cr.tensor([3.0, -4.0]))
    tensor(5.)
    """
    t = _norm_input("linalg.vector_norm", x, dtype)
    if isinstance(ord, str):
        raise ValueError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    dims = axes(dim, t.ndim, "linalg.vector_norm")
    return _apply(VectorNorm, (t,), {"ord": float(ord), "axis": dims, "keepdims": keepdim})


_MATRIX_ORDS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def matrix_norm(A: Any, ord: Any = "fro", dim: tuple = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """A matrix norm over the two dims ``dim``: ``"fro"``, ``"nuc"`` (sum of singular
    values), 2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum
    of |A|), inf / -inf (max / min row sum of |A|).

    >>> import chainrule as cr
    >>> cr.linalg.matrix_norm(cr.tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1)
    tensor(6.)
    """
    a = _norm_input("linalg.matrix_norm", A, dtype)
    if ord not in _MATRIX_ORDS:
        raise ValueError(f"linalg.matrix_norm: Order {ord} not supported; use one of "
                         "'fro', 'nuc', 2, -2, 1, -1, inf, -inf")
    if a.ndim < 2:
        raise ValueError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                         f"dimensions, got shape {a.shape}")
    if len(tuple(dim)) != 2:
        raise ValueError(f"linalg.matrix_norm: dim must be a 2-tuple, got {dim}")
    d0, d1 = (axis(d, a.ndim, "linalg.matrix_norm") for d in dim)
    if d0 == d1:
        raise ValueError(f"linalg.matrix_norm: dims must be different, got {dim}")
    if ord == "fro":
        return vector_norm(a, 2, (d0, d1), keepdim)
    rest = [i for i in range(a.ndim) if i not in (d0, d1)]
    moved = _permute(a, rest + [d0, d1]) if rest + [d0, d1] != list(range(a.ndim)) else a
    if ord in ("nuc", 2, -2):
        s = svdvals(moved)
        if ord == "nuc":
            out = _sum(s, (s.ndim - 1,))
        else:
            out = _apply(Amax if ord == 2 else Amin, (s,), {"axis": (s.ndim - 1,),
                                                             "keepdims": False})
    else:
        absolute = _apply(Abs, (moved,))
        over = moved.ndim - (2 if ord in (1, -1) else 1)  # 1: column sums, inf: row sums
        sums = _sum(absolute, (over,))
        pick = Amax if ord in (1, math.inf) else Amin
        out = _apply(pick, (sums,), {"axis": (sums.ndim - 1,), "keepdims": False})
    if keepdim:
        shape = list(out.shape)
        for d in sorted((d0, d1)):
            shape.insert(d, 1)
        out = _reshape(out, shape)
    return out


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """``linalg.norm``: a vector norm when ``dim`` is an int (or A is 1-D with ord
    given), a matrix norm when ``dim`` is a pair (or A is 2-D with ord given), and the
    2-norm of all entries when both are None."""
    t = _t(A)
    if dim is not None and not isinstance(dim, (int, np.integer)):
        dim = tuple(dim)
        if len(dim) == 1:
            dim = dim[0]
    if isinstance(dim, (int, np.integer)):
        if isinstance(ord, str):
            raise ValueError(f"linalg.norm: ord {ord!r} is a matrix norm, but dim is one dim")
        return vector_norm(t, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is not None:
        return matrix_norm(t, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(t, 2, None, keepdim, dtype=dtype)
    if t.ndim == 1:
        return vector_norm(t, ord, None, keepdim, dtype=dtype)
    if t.ndim == 2:
        return matrix_norm(t, ord, (-2, -1), keepdim, dtype=dtype)
    raise ValueError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                     f"or 2D. Got {t.ndim}D.")


# ---------------------------------------------------------------------------
# Tensor's methods
# ---------------------------------------------------------------------------

class LinalgMethods(TensorBase):
    """matmul and the ``@`` operator; mm, bmm, mv, dot, outer and the other products;
    det, inverse, cholesky, svd, qr and the other decompositions (PyTorch's methods)."""

    __slots__ = ()

    def __matmul__(self, other: Any) -> Tensor:
        return _matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _matmul(other, self)

    def matmul(self, other: Any) -> Tensor:
        """The matrix product ``self @ other`` (NumPy's rules for 1-d and batched operands)."""
        return _matmul(self, other)

    def mm(self, mat2: Any) -> Tensor:
        """The matrix product of two 2-d tensors, (n, m) @ (m, p) -> (n, p); no broadcasting.

        >>> import chainrule as cr
        >>> cr.ones(2, 3).mm(cr.ones(3, 4)).shape
        (2, 4)
        """
        return mm(self, mat2)

    def bmm(self, mat2: Any) -> Tensor:
        """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p); no broadcasting.

        >>> import chainrule as cr
        >>> cr.ones(5, 2, 3).bmm(cr.ones(5, 3, 4)).shape
        (5, 2, 4)
        """
        return bmm(self, mat2)

    def mv(self, vec: Any) -> Tensor:
        """Matrix times vector: (n, m) @ (m,) -> (n,).

        >>> import chainrule as cr
        >>> cr.ones(2, 3).mv(cr.tensor([1.0, 2.0, 3.0]))
        tensor([6., 6.])
        """
        return mv(self, vec)

    def dot(self, other: Any) -> Tensor:
        """The dot product of two 1-d tensors (a 0-d tensor).

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 2.0]).dot(cr.tensor([3.0, 4.0]))
        tensor(11.)
        """
        return dot(self, other)

    def vdot(self, other: Any) -> Tensor:
        """The dot product of two 1-d tensors, the first conjugated (the same as ``dot`` for real
        ones).

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 2.0]).vdot(cr.tensor([3.0, 4.0]))
        tensor(11.)
        """
        return vdot(self, other)

    def inner(self, other: Any) -> Tensor:
        """The inner product over the last dimension of both (``dot`` for 1-d tensors).

        >>> import chainrule as cr
        >>> cr.ones(2, 3).inner(cr.ones(4, 3)).shape
        (2, 4)
        """
        return inner(self, other)

    def outer(self, vec2: Any) -> Tensor:
        """The outer product of two 1-d tensors: (n,) and (m,) -> (n, m); also ``ger``.

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 2.0]).outer(cr.tensor([1.0, 10.0]))
        tensor([[ 1., 10.],
                [ 2., 20.]])
        """
        return outer(self, vec2)

    def ger(self, vec2: Any) -> Tensor:
        """The outer product of two 1-d tensors (the older name of ``outer``).

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 2.0]).ger(cr.tensor([3.0])).shape
        (2, 1)
        """
        return outer(self, vec2)

    def kron(self, other: Any) -> Tensor:
        """The Kronecker product: every element of self times the whole of other.

        >>> import chainrule as cr
        >>> cr.eye(2).kron(cr.ones(2, 2)).shape
        (4, 4)
        """
        return kron(self, other)

    def addmm(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * (mat1 @ mat2)``, for 2-d ``mat1``, ``mat2``.

        >>> import chainrule as cr
        >>> cr.zeros(2, 2).addmm(cr.ones(2, 3), cr.ones(3, 2), alpha=2)
        tensor([[6., 6.],
                [6., 6.]])
        """
        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * (mat @ vec)``.

        >>> import chainrule as cr
        >>> cr.zeros(2).addmv(cr.ones(2, 3), cr.ones(3))
        tensor([3., 3.])
        """
        return addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * outer(vec1, vec2)``.

        >>> import chainrule as cr
        >>> cr.zeros(2, 2).addr(cr.ones(2), cr.ones(2))
        tensor([[1., 1.],
                [1., 1.]])
        """
        return addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * sum_b(batch1[b] @ batch2[b])``: batched products, summed over the
        batch.

        >>> import chainrule as cr
        >>> cr.zeros(2, 4).addbmm(cr.ones(5, 2, 3), cr.ones(5, 3, 4))[0, 0]
        tensor(15.)
        """
        return addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * (batch1 @ batch2)``, batch by batch.

        >>> import chainrule as cr
        >>> cr.zeros(5, 2, 4).baddbmm(cr.ones(5, 2, 3), cr.ones(5, 3, 4)).shape
        (5, 2, 4)
        """
        return baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def matrix_power(self, n: int) -> Tensor:
        """The square matrix (or batch of them) to the integer power ``n`` (negative: of the
        inverse).

        >>> import chainrule as cr
        >>> cr.tensor([[1.0, 1.0], [0.0, 1.0]]).matrix_power(3)
        tensor([[1., 3.],
                [0., 1.]])
        """
        return matrix_power(self, n)

    def cross(self, other: Any, dim: int | None = None) -> Tensor:
        """The cross product of 3-vectors along ``dim`` (default: the first dimension of size 3).

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 0.0, 0.0]).cross(cr.tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.])
        """
        return cross(self, other, dim)

    def det(self) -> Tensor:
        """The determinant of a square matrix (or of each in a batch); the gradient is det(A) A^-T.

        >>> import chainrule as cr
        >>> cr.tensor([[2.0, 0.0], [0.0, 3.0]]).det()
        tensor(6.)
        """
        return det(self)

    def logdet(self) -> Tensor:
        """log(det(A)): nan for a negative determinant, -inf for a singular matrix.

        >>> import chainrule as cr
        >>> cr.eye(3).logdet()
        tensor(0.)
        """
        return logdet(self)

    def slogdet(self) -> return_types.slogdet:
        """The sign and log of the absolute value of the determinant, a named pair ``(sign,
        logabsdet)``.

        >>> import chainrule as cr
        >>> cr.tensor([[-2.0, 0.0], [0.0, 1.0]]).slogdet().sign
        tensor(-1.)
        """
        return torch_slogdet(self)

    def inverse(self) -> Tensor:
        """The inverse of a square matrix (or of each in a batch).

        >>> import chainrule as cr
        >>> cr.tensor([[2.0, 0.0], [0.0, 4.0]]).inverse()
        tensor([[0.5 , 0.  ],
                [0.  , 0.25]])
        """
        return inv(self)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        """The Moore-Penrose pseudo-inverse (from the SVD; singular values below ``rcond`` times the
        largest count as zero).

        >>> import chainrule as cr
        >>> cr.ones(3, 2).pinverse().shape
        (2, 3)
        """
        return pinverse(self, rcond)

    def cholesky(self, upper: bool = False) -> Tensor:
        """The Cholesky factor of a symmetric positive-definite matrix: lower L with A = L L^T
        (``upper=True``: U with A = U^T U).

        >>> import chainrule as cr
        >>> cr.tensor([[4.0, 0.0], [0.0, 9.0]]).cholesky()
        tensor([[2., 0.],
                [0., 3.]])
        """
        return cholesky(self, upper=upper)

    def cholesky_solve(self, input2: Any, upper: bool = False) -> Tensor:
        """Solve A X = self given A's Cholesky factor ``input2`` (lower unless ``upper=True``).

        >>> import chainrule as cr
        >>> cr.tensor([[4.0], [9.0]]).cholesky_solve(cr.tensor([[2.0, 0.0], [0.0, 3.0]]))
        tensor([[1.],
                [1.]])
        """
        return cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper: bool = False) -> Tensor:
        """The inverse of A from its Cholesky factor (self; lower unless ``upper=True``).

        >>> import chainrule as cr
        >>> cr.tensor([[2.0, 0.0], [0.0, 1.0]]).cholesky_inverse()
        tensor([[0.25, 0.  ],
                [0.  , 1.  ]])
        """
        return cholesky_inverse(self, upper)

    def matrix_exp(self) -> Tensor:
        """The matrix exponential of a square matrix (or of each in a batch).

        >>> import chainrule as cr
        >>> cr.zeros(2, 2).matrix_exp()
        tensor([[1., 0.],
                [0., 1.]])
        """
        return matrix_exp(self)

    def qr(self, some: bool = True) -> return_types.qr:
        """The QR decomposition, a named pair ``(Q, R)``; ``some=False`` gives the complete Q.

        >>> import chainrule as cr
        >>> q, r = cr.eye(3).qr(); q.shape, r.shape
        ((3, 3), (3, 3))
        """
        return torch_qr(self, some)

    def svd(self, some: bool = True, compute_uv: bool = True) -> return_types.svd:
        """The singular value decomposition A = U diag(S) V^T as a named triple ``(U, S, V)``
        (PyTorch's older ``torch.svd``: V, not V^T).

        >>> import chainrule as cr
        >>> cr.tensor([[3.0, 0.0], [0.0, 2.0]]).svd().S
        tensor([3., 2.])
        """
        return torch_svd(self, some, compute_uv)
