"""Muon (Jordan et al., 2024): momentum SGD whose update is orthogonalised, for matrices.

PyTorch's formulation: the (Nesterov) momentum update of each 2-d parameter is
replaced by the nearest semi-orthogonal matrix, approximated by five Newton-Schulz
iterations carried out in bfloat16, as PyTorch does (NumPy has no bfloat16, so each
intermediate result is rounded to bfloat16's 8-bit significand here).

>>> import chainrule as cr
>>> from chainrule.optim import Muon
>>> w = cr.zeros(3, 3, requires_grad=True)
>>> opt = Muon([w], lr=0.1, weight_decay=0.0, nesterov=False)
>>> w.grad = cr.eye(3)
>>> opt.step()              # momentum 0.05 I, orthogonalised to about I: w is about -0.1 I
>>> [round(v, 1) for v in w.diagonal().tolist()]
[-0.1, -0.1, -0.1]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .adam import _lerp_
from .optimizer import Optimizer

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def _bf16(x: Any) -> np.ndarray:
    """Round float32 values to the nearest bfloat16 (ties to even), kept as float32."""
    x = np.array(x, dtype=np.float32)  # a contiguous copy (0-d stays 0-d)
    bits = x.view(np.uint32)
    rounded = (bits + (np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1)))) \
        & np.uint32(0xFFFF0000)
    out = rounded.view(np.float32)
    return np.where(np.isnan(x), x, out)


def _zeropower_via_newtonschulz(grad: np.ndarray, ns_coefficients: tuple[float, float, float],
                                ns_steps: int, eps: float) -> np.ndarray:
    """The Newton-Schulz approximation of ``grad``'s orthogonal factor, in bfloat16."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    x = _bf16(grad)
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _bf16(np.sqrt(np.sum(x.astype(np.float64) ** 2)))
    x = _bf16(x / max(float(norm), float(_bf16(np.float32(eps)))))
    for _ in range(ns_steps):
        gram = _bf16(x @ x.T)
        gram_update = _bf16(b * gram + c * (gram @ gram))
        x = _bf16(a * x + gram_update @ x)
    if tall:
        x = x.T
    return x


def _adjust_lr(lr: float, adjust_lr_fn: str | None, shape: tuple) -> float:
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """Muon for 2-d parameters (weight matrices; give biases and embeddings to AdamW).

    With gradient ``g`` and momentum ``mu``::

        b = mu * b + (1 - mu) * g
        u = g + mu * (b - g)  if nesterov else b
        O = NewtonSchulz(u)                     (about U V^T of u = U S V^T)
        p = p * (1 - lr * wd) - lr * ratio * O

    where ``ratio`` is ``sqrt(max(1, rows / cols))`` (``adjust_lr_fn`` None or
    "original") or ``0.2 * sqrt(max(rows, cols))`` ("match_rms_adamw").

    Args:
        params: 2-d Tensors, or dicts of param groups.
        lr: learning rate (default 1e-3).
        weight_decay: decoupled weight decay (default 0.1).
        momentum: momentum factor (default 0.95).
        nesterov: use Nesterov momentum (default True).
        ns_coefficients: the quintic's coefficients (default (3.4445, -4.7750, 2.0315)).
        eps: the floor of the norm the update is divided by (default 1e-7).
        ns_steps: Newton-Schulz iterations (default 5).
        adjust_lr_fn: None, "original" or "match_rms_adamw" (see above).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
                 eps: float = EPS, ns_steps: int = DEFAULT_NS_STEPS,
                 adjust_lr_fn: str | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p._array.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p._array.shape}")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(param)
        lr, momentum = group["lr"], group["momentum"]
        buf = state["momentum_buffer"]
        _lerp_(buf, grad, 1 - momentum)
        if group["nesterov"]:
            update = np.array(grad, dtype=param.dtype)
            _lerp_(update, buf, momentum)
        else:
            update = buf
        ortho = _zeropower_via_newtonschulz(update, tuple(group["ns_coefficients"]),
                                            group["ns_steps"], group["eps"])
        adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], param.shape)
        param *= 1 - lr * group["weight_decay"]
        param += -adjusted_lr * ortho.astype(param.dtype)
