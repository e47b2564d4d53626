"""Recurrent layers: RNN, LSTM, GRU and their one-step cells, as in PyTorch.

Names, constructor arguments, defaults, initialisation (every weight and bias
U(-1/sqrt(H), 1/sqrt(H))), ``state_dict`` keys (``weight_ih_l0``, ``bias_hh_l1_reverse``,
``weight_hr_l0``, ...) and return values are PyTorch's. Each layer and direction runs
as one op (:class:`chainrule.ops.rnn.RecurrentLayer`) over the whole sequence.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
>>> out, (h, c) = lstm(cr.randn(3, 5, 10))
>>> out.shape, h.shape, c.shape
((3, 5, 20), (2, 3, 20), (2, 3, 20))
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from ..creation import zeros
from ..devices import check_device
from ..ops.rnn import GATES, RecurrentLayer
from ..tensor import Tensor
from ..tensor_methods.shape import cat, stack
from . import functional as F
from . import init
from .functional._checks import _desc, _tensor
from .layers import _dtype
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence, _to_packed, _to_padded

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrent layer behind RNN, LSTM and GRU.

    ``mode`` is ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.

    >>> import chainrule.nn as nn
    >>> nn.GRU(4, 8, bidirectional=True)
    GRU(4, 8, bidirectional=True)
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        check_device(device, name)
        if mode not in GATES:
            raise ValueError(f"{name}: unknown mode {mode!r}; expected one of {sorted(GATES)}")
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout option adds dropout after all but last recurrent "
                          f"layer, so non-zero dropout expects num_layers greater than 1, but "
                          f"got dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive integer, got "
                             f"{hidden_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive integer, got "
                             f"{num_layers!r}")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to "
                             "disable projections")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got "
                             f"proj_size={proj_size} and hidden_size={hidden_size}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        dt = _dtype(dtype)
        directions = 2 if bidirectional else 1
        gate_size = GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for stem, shape in shapes:
                    pname = f"{stem}_l{layer}{suffix}"
                    setattr(self, pname, Parameter(np.zeros(shape, dtype=dt)))
                    names.append(pname)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Accepted for compatibility (there is no cuDNN weight buffer to compact)."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters, one list per layer and direction."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- forward ----------------------------------------------------------------
    def _layer_weights(self, layer: int, direction: int) -> tuple:
        suffix = "_reverse" if direction == 1 else ""
        get = self.__getattr__

        def p(stem: str) -> Any:
            return get(f"{stem}_l{layer}{suffix}")
        b_ih = p("bias_ih") if self.bias else None
        b_hh = p("bias_hh") if self.bias else None
        w_hr = p("weight_hr") if self.proj_size > 0 else None
        return p("weight_ih"), p("weight_hh"), b_ih, b_hh, w_hr

    def forward(self, input: Any, hx: Any = None) -> tuple:
        name = type(self).__name__
        is_lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        unbatched = False
        lengths = None
        if packed:
            batch_sizes = np.asarray(input.batch_sizes._array
                                     if isinstance(input.batch_sizes, Tensor)
                                     else input.batch_sizes, dtype=np.int64)
            x, lengths = _to_padded(input)
            sorted_indices = input.sorted_indices
            unsorted_indices = input.unsorted_indices
        else:
            x = _tensor(input, name)
            if x.ndim not in (2, 3):
                layout = "(N, L, H_in)" if self.batch_first else "(L, N, H_in)"
                raise ValueError(f"{name}: expected input of 2 dims (L, H_in) or 3 dims "
                                 f"{layout}, got {_desc(x)}")
            unbatched = x.ndim == 2
            if unbatched:
                x = x.unsqueeze(1)
            elif self.batch_first:
                x = x.transpose(0, 1)
            sorted_indices = unsorted_indices = None
        weight = self.weight_ih_l0
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]} (input {_desc(x)})")
        if x.dtype != weight.dtype:
            raise TypeError(f"{name}: input {_desc(x)} and parameters ({weight.dtype.name}) "
                            "must have the same dtype; convert one with .to(dtype)")
        directions = 2 if self.bidirectional else 1
        batch = x.shape[1]
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        h_shape = (self.num_layers * directions, batch, real_hidden)
        c_shape = (self.num_layers * directions, batch, self.hidden_size)
        if hx is None:
            h0 = zeros(*h_shape, dtype=x.dtype)
            c0 = zeros(*c_shape, dtype=x.dtype) if is_lstm else None
        else:
            if is_lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h_0, c_0), got "
                                    f"{type(hx).__name__}")
                h0, c0 = (_tensor(t, name) for t in hx)
            else:
                h0, c0 = _tensor(hx, name), None
            if unbatched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if c0 is not None else None
            if sorted_indices is not None:
                h0 = h0.index_select(1, sorted_indices)
                c0 = c0.index_select(1, sorted_indices) if c0 is not None else None
            for t, shape, what in ((h0, h_shape, "hidden state h_0"),
                                   (c0, c_shape, "cell state c_0")):
                if t is not None and tuple(t.shape) != shape:
                    raise RuntimeError(f"{name}: expected {what} of size {shape}, got "
                                       f"{tuple(t.shape)}")
                if t is not None and t.dtype != x.dtype:
                    raise TypeError(f"{name}: {what} {_desc(t)} must have the input's dtype "
                                    f"({x.dtype.name})")
        steps = x.shape[0]
        last_h, last_c = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                idx = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(layer, direction)
                reverse = direction == 1
                c0_idx = c0[idx] if c0 is not None else None
                y = RecurrentLayer.apply(layer_input, h0[idx], c0_idx,
                                         w_ih, w_hh, b_ih, b_hh, w_hr, mode=self.mode,
                                         reverse=reverse, lengths=lengths)
                end = 0 if reverse else steps - 1
                if is_lstm:
                    last = y[end]
                    last_h.append(last[:, :real_hidden])
                    last_c.append(last[:, real_hidden:])
                    y = y[..., :real_hidden]
                else:
                    last_h.append(y[end])
                outs.append(y)
            layer_input = outs[0] if directions == 1 else cat(outs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        h_n = stack(last_h, 0)
        c_n = stack(last_c, 0) if is_lstm else None
        if packed:
            output = PackedSequence(_to_packed(output, batch_sizes), input.batch_sizes,
                                    sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                h_n = h_n.index_select(1, unsorted_indices)
                c_n = c_n.index_select(1, unsorted_indices) if c_n is not None else None
        elif unbatched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if is_lstm else (output, h_n)


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``, act tanh or relu.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``;
    returns ``(output, h_n)``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> out, h = nn.RNN(3, 5, nonlinearity="relu")(cr.ones(7, 2, 3))
    >>> out.shape, h.shape
    ((7, 2, 5), (1, 2, 5))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gates (i, f, g, o) and optional projection.

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None)``; returns
    ``(output, (h_n, c_n))``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> out, (h, c) = nn.LSTM(3, 8, proj_size=4)(cr.ones(6, 3))   # unbatched
    >>> out.shape, h.shape, c.shape
    ((6, 4), (1, 4), (1, 8))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's gates (r, z, n); returns ``(output, h_n)``.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, device=None, dtype=None)``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> out, h = nn.GRU(3, 5, num_layers=2)(cr.ones(4, 2, 3))
    >>> h.shape
    (2, 2, 5)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---------------------------------------------------------------------------
# Cells: one step
# ---------------------------------------------------------------------------


class RNNCellBase(Module):
    """One step of a recurrent layer; parameters ``weight_ih``, ``weight_hh``,
    ``bias_ih``, ``bias_hh``, initialised like the layers."""

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        dt = _dtype(dtype)
        self.weight_ih = Parameter(np.zeros((num_chunks * hidden_size, input_size), dt))
        self.weight_hh = Parameter(np.zeros((num_chunks * hidden_size, hidden_size), dt))
        if bias:
            self.bias_ih = Parameter(np.zeros(num_chunks * hidden_size, dt))
            self.bias_hh = Parameter(np.zeros(num_chunks * hidden_size, dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, input: Any, hx: Any, lstm: bool) -> Any:
        name = type(self).__name__
        x = _tensor(input, name)
        if x.ndim not in (1, 2):
            raise ValueError(f"{name}: expected input to be 1-d or 2-d, got {_desc(x)}")
        unbatched = x.ndim == 1
        if unbatched:
            x = x.unsqueeze(0)
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got "
                               f"{x.shape[-1]}, expected {self.input_size} (input {_desc(x)})")
        if x.dtype != self.weight_ih.dtype:
            raise TypeError(f"{name}: input {_desc(x)} and parameters "
                            f"({self.weight_ih.dtype.name}) must have the same dtype")
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            h = zeros(*shape, dtype=x.dtype)
            c = zeros(*shape, dtype=x.dtype) if lstm else None
        else:
            if lstm:
                h, c = (_tensor(t, name) for t in hx)
            else:
                h, c = _tensor(hx, name), None
            if unbatched:
                h = h.unsqueeze(0)
                c = c.unsqueeze(0) if c is not None else None
            for t in (h, c):
                if t is not None and tuple(t.shape) != shape:
                    raise RuntimeError(f"{name}: expected hidden state of size {shape}, got "
                                       f"{tuple(t.shape)}")
        y = RecurrentLayer.apply(x.unsqueeze(0), h, c, self.weight_ih, self.weight_hh,
                                 self.bias_ih, self.bias_hh, None, mode=self._mode)[0]
        if lstm:
            h2, c2 = y[:, :self.hidden_size], y[:, self.hidden_size:]
            if unbatched:
                h2, c2 = h2.squeeze(0), c2.squeeze(0)
            return h2, c2
        return y.squeeze(0) if unbatched else y


class RNNCell(RNNCellBase):
    """``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, act ``'tanh'`` or ``'relu'``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.RNNCell(3, 4)(cr.ones(2, 3)).shape
    (2, 4)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        return self._step(input, hx, False)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> h, c = nn.LSTMCell(3, 4)(cr.ones(2, 3))
    >>> h.shape, c.shape
    ((2, 4), (2, 4))
    """

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Any, hx: Any = None) -> tuple:
        return self._step(input, hx, True)


class GRUCell(RNNCellBase):
    """One GRU step; returns ``h'``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.GRUCell(3, 4)(cr.ones(3)).shape
    (4,)
    """

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        return self._step(input, hx, False)
