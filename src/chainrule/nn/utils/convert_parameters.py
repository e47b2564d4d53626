"""Flatten parameters into one vector and back, as PyTorch's ``nn.utils``.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> from chainrule.nn.utils import parameters_to_vector, vector_to_parameters
>>> model = nn.Linear(3, 2)
>>> vec = parameters_to_vector(model.parameters())
>>> vec.shape
(8,)
>>> vector_to_parameters(cr.zeros(8), model.parameters())
>>> model.weight.abs().sum().item()
0.0
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ...graph import no_grad
from ...tensor import Tensor
from ...tensor_methods.shape import cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters, each flattened, concatenated into one vector.

    The result is recorded (a gradient flows back to every parameter), as in PyTorch.

    >>> import chainrule as cr
    >>> parameters_to_vector([cr.ones(2, 2), cr.zeros(3)]).tolist()
    [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    flat = [p.reshape(-1) for p in parameters]
    if not flat:
        raise ValueError("parameters_to_vector: expected at least one parameter, got none")
    return cat(flat)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters, in place (each slice
    reshaped to its parameter's shape and cast to its dtype); not recorded.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> w = nn.Parameter(cr.zeros(2, 2))
    >>> vector_to_parameters(cr.arange(4.0), [w])
    >>> w.tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, but got "
                        f"{type(vec).__name__}")
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    total = sum(int(np.prod(p.shape)) for p in parameters)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(f"vector_to_parameters: expected a vector of {total} values (the "
                         f"parameters' total size), got shape {tuple(vec.shape)}")
    values = vec.detach().numpy()
    pointer = 0
    with no_grad():
        for p in parameters:
            n = int(np.prod(p.shape))
            p._array[...] = values[pointer:pointer + n].reshape(p.shape)
            p._version += 1
            pointer += n
