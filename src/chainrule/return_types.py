"""The named tuples that ops returning values and indices give back, as in ``torch.return_types``.

>>> import chainrule as cr
>>> out = cr.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
>>> type(out).__name__, out.values, out.indices
('max', tensor([5., 7.]), tensor([1, 0]))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax",
           "cummin", "aminmax", "linalg_slogdet", "slogdet", "linalg_eigh", "linalg_svd", "svd",
           "linalg_qr", "qr", "linalg_lstsq", "linalg_inv_ex", "linalg_cholesky_ex",
           "linalg_solve_ex"]


class max(NamedTuple):  # noqa: N801  (PyTorch's name: torch.return_types.max)
    """What ``Tensor.max(dim)`` returns: the largest values along ``dim`` and their indices."""

    values: Tensor
    indices: Tensor


class min(NamedTuple):  # noqa: N801  (PyTorch's name: torch.return_types.min)
    """What ``Tensor.min(dim)`` returns: the smallest values along ``dim`` and their indices."""

    values: Tensor
    indices: Tensor


class sort(NamedTuple):  # noqa: N801  (PyTorch's name: torch.return_types.sort)
    """What ``Tensor.sort`` returns: the sorted values and where they came from."""

    values: Tensor
    indices: Tensor


class topk(NamedTuple):  # noqa: N801
    """What ``Tensor.topk`` returns: the k best values and their indices."""

    values: Tensor
    indices: Tensor


class kthvalue(NamedTuple):  # noqa: N801
    """What ``Tensor.kthvalue`` returns: the k-th smallest values and their indices."""

    values: Tensor
    indices: Tensor


class median(NamedTuple):  # noqa: N801
    """What ``Tensor.median(dim)`` returns: the lower medians and their indices."""

    values: Tensor
    indices: Tensor


class nanmedian(NamedTuple):  # noqa: N801
    """What ``Tensor.nanmedian(dim)`` returns: the lower medians ignoring NaN, and indices."""

    values: Tensor
    indices: Tensor


class mode(NamedTuple):  # noqa: N801
    """What ``Tensor.mode`` returns: the most frequent values and their (last) indices."""

    values: Tensor
    indices: Tensor


class cummax(NamedTuple):  # noqa: N801
    """What ``Tensor.cummax`` returns: the running max and where it was reached."""

    values: Tensor
    indices: Tensor


class cummin(NamedTuple):  # noqa: N801
    """What ``Tensor.cummin`` returns: the running min and where it was reached."""

    values: Tensor
    indices: Tensor


class aminmax(NamedTuple):  # noqa: N801
    """What ``Tensor.aminmax`` returns: the min and the max."""

    min: Tensor
    max: Tensor
# -- linear algebra (chainrule.linalg and the matching top-level functions) -----------

class linalg_slogdet(NamedTuple):  # noqa: N801
    """What ``linalg.slogdet`` returns: the sign of the determinant and log of its size."""

    sign: Tensor
    logabsdet: Tensor


class slogdet(NamedTuple):  # noqa: N801
    """What ``chainrule.slogdet`` returns (the fields of :class:`linalg_slogdet`)."""

    sign: Tensor
    logabsdet: Tensor


class linalg_eigh(NamedTuple):  # noqa: N801
    """What ``linalg.eigh`` returns: ascending eigenvalues, eigenvectors as columns."""

    eigenvalues: Tensor
    eigenvectors: Tensor


class linalg_svd(NamedTuple):  # noqa: N801
    """What ``linalg.svd`` returns: ``A = U diag(S) Vh``."""

    U: Tensor
    S: Tensor
    Vh: Tensor


class svd(NamedTuple):  # noqa: N801
    """What ``chainrule.svd`` returns: ``A = U diag(S) V^T`` (V, not Vh)."""

    U: Tensor
    S: Tensor
    V: Tensor


class linalg_qr(NamedTuple):  # noqa: N801
    """What ``linalg.qr`` returns: ``A = Q R``."""

    Q: Tensor
    R: Tensor


class qr(NamedTuple):  # noqa: N801
    """What ``chainrule.qr`` returns: ``A = Q R``."""

    Q: Tensor
    R: Tensor


class linalg_lstsq(NamedTuple):  # noqa: N801
    """What ``linalg.lstsq`` returns."""

    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


class linalg_inv_ex(NamedTuple):  # noqa: N801
    """What ``linalg.inv_ex`` returns: the inverse and LAPACK's info (0: success)."""

    inverse: Tensor
    info: Tensor


class linalg_cholesky_ex(NamedTuple):  # noqa: N801
    """What ``linalg.cholesky_ex`` returns: the factor and LAPACK's info (0: success)."""

    L: Tensor
    info: Tensor


class linalg_solve_ex(NamedTuple):  # noqa: N801
    """What ``linalg.solve_ex`` returns: the solution and LAPACK's info (0: success)."""

    result: Tensor
    info: Tensor
