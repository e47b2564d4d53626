"""Random draws as recorded ops: the sample is drawn before the op, and its gradient is zero.

``normal(mean, std)``, ``bernoulli(p)``, ``poisson(rate)`` and the in-place fills
(``uniform_``, ``normal_``, ...) give tensors whose values do not move smoothly with
their inputs; PyTorch records them anyway, with a zero gradient for every input, so
that a graph through them stays whole (``loss.backward()`` works and the inputs get
zeros). The draw itself happens outside (with the generator the user chose), and
reaches ``forward`` as the ``values`` param.
"""

from __future__ import annotations

from ..function import Function

__all__ = ["Sample", "Normal", "Uniform", "Bernoulli", "Poisson", "Exponential", "RandomInts",
           "Geometric", "LogNormal", "Cauchy"]


class Sample(Function):
    """``values``, drawn elsewhere, as the output; every input's gradient is zero."""

    op_name = "sample"

    @staticmethod
    def forward(ctx, *inputs, values):
        ctx.n_inputs = len(inputs)
        return values

    @staticmethod
    def backward(ctx, g):
        zero = ctx.xp.zeros_like(g)
        return tuple(zero for _ in range(ctx.n_inputs))


class Normal(Sample):
    op_name = "normal"


class Uniform(Sample):
    op_name = "uniform"


class Bernoulli(Sample):
    op_name = "bernoulli"


class Poisson(Sample):
    op_name = "poisson"


class Exponential(Sample):
    op_name = "exponential"


class RandomInts(Sample):
    op_name = "random"


class Geometric(Sample):
    op_name = "geometric"


class LogNormal(Sample):
    op_name = "log_normal"


class Cauchy(Sample):
    op_name = "cauchy"
