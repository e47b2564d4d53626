"""nn.RNN, nn.LSTM, nn.GRU, their cells and nn.utils.rnn against PyTorch, and their gradients.

Each case loads a PyTorch module's state_dict into the chainrule module (the keys must be
the same) and compares outputs, final states and gradients of inputs, initial states and
parameters, in float64 and float32; gradcheck and gradgradcheck run on the fused layer op.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn.utils import rnn as cr_rnn
from chainrule.ops.rnn import RecurrentLayer

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn

RNG = np.random.default_rng(0)
TOL = {np.float64: 1e-10, np.float32: 2e-5}


def _pair(name, dtype, *args, **kwargs):
    """The same module in PyTorch and chainrule, chainrule's loaded from PyTorch's."""
    tm = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, np.dtype(dtype).name))
    cm = getattr(nn, name)(*args, **kwargs, dtype=dtype)
    assert list(cm.state_dict()) == list(tm.state_dict())
    cm.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, cm


def _close(a, b, dtype, what):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, what
    tol = TOL[dtype]
    np.testing.assert_allclose(b, a, rtol=tol, atol=tol, err_msg=what)


def _states(h):
    return list(h) if isinstance(h, tuple) else [h]


def _loss(out, h, lib):
    """A loss that reaches every output and every final state, with distinct weights."""
    if isinstance(out, (cr_rnn.PackedSequence, trnn.PackedSequence)):
        out = out.data
    total = out.sin().sum()
    for k, s in enumerate(_states(h)):
        total = total + (s * s).sum() * (k + 1)
    return total


def _compare(tm, cm, x, hx, dtype, packed=None):
    """Run both modules on x (and hx), backward a loss, compare all values and gradients."""
    xt = torch.tensor(x, requires_grad=True)
    xc = cr.tensor(x, requires_grad=True)
    ht = hc = None
    if hx is not None:
        ht = tuple(torch.tensor(h, requires_grad=True) for h in hx)
        hc = tuple(cr.tensor(h, requires_grad=True) for h in hx)
    it, ic = xt, xc
    if packed is not None:
        lengths, batch_first, enforce_sorted = packed
        it = trnn.pack_padded_sequence(xt, lengths, batch_first=batch_first,
                                       enforce_sorted=enforce_sorted)
        ic = cr_rnn.pack_padded_sequence(xc, lengths, batch_first=batch_first,
                                         enforce_sorted=enforce_sorted)
    arg_t = None if ht is None else (ht if len(ht) == 2 else ht[0])
    arg_c = None if hc is None else (hc if len(hc) == 2 else hc[0])
    ot, st = tm(it, arg_t)
    oc, sc = cm(ic, arg_c)
    if packed is not None:
        _close(ot.data, oc.data, dtype, "packed output")
        np.testing.assert_array_equal(oc.batch_sizes.numpy(), ot.batch_sizes.numpy())
        pt, lt = trnn.pad_packed_sequence(ot, batch_first=packed[1])
        pc, lc = cr_rnn.pad_packed_sequence(oc, batch_first=packed[1])
        _close(pt, pc, dtype, "padded output")
        np.testing.assert_array_equal(lc.numpy(), lt.numpy())
    else:
        _close(ot, oc, dtype, "output")
    for a, b in zip(_states(st), _states(sc), strict=True):
        _close(a, b, dtype, "final state")
    _loss(ot, st, "torch").backward()
    _loss(oc, sc, "chainrule").backward()
    _close(xt.grad, xc.grad, dtype, "input gradient")
    if ht is not None:
        for a, b in zip(ht, hc):
            _close(a.grad, b.grad, dtype, "initial state gradient")
    for (name, p), q in zip(tm.named_parameters(), cm.parameters(), strict=True):
        _close(p.grad, q.grad, dtype, f"gradient of {name}")


LAYERS = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {}),
    ("LSTM", {"proj_size": 3}),
]
LAYER_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}"
             for n, kw in LAYERS]


@pytest.mark.parametrize("name, kwargs", LAYERS, ids=LAYER_IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layers, bidirectional, batch_first, bias", [
    (1, False, False, True), (2, True, True, True), (2, False, False, False),
    (3, True, False, True)])
def test_layer_matches_torch(name, kwargs, dtype, layers, bidirectional, batch_first, bias):
    tm, cm = _pair(name, dtype, 4, 5, num_layers=layers, bidirectional=bidirectional,
                   batch_first=batch_first, bias=bias, **kwargs)
    x = RNG.standard_normal((3, 6, 4) if batch_first else (6, 3, 4)).astype(dtype)
    _compare(tm, cm, x, None, dtype)


@pytest.mark.parametrize("name, kwargs", LAYERS, ids=LAYER_IDS)
@pytest.mark.parametrize("unbatched", [False, True])
def test_initial_states(name, kwargs, unbatched):
    dtype = np.float64
    tm, cm = _pair(name, dtype, 3, 4, num_layers=2, bidirectional=True, **kwargs)
    real = kwargs.get("proj_size", 4)
    batch = () if unbatched else (2,)
    x = RNG.standard_normal((5, *batch, 3))
    hx = [RNG.standard_normal((4, *batch, real))]
    if name == "LSTM":
        hx.append(RNG.standard_normal((4, *batch, 4)))
    _compare(tm, cm, x, hx, dtype)


@pytest.mark.parametrize("name, kwargs", LAYERS, ids=LAYER_IDS)
@pytest.mark.parametrize("batch_first, enforce_sorted", [(False, True), (True, False)])
def test_packed_sequences(name, kwargs, batch_first, enforce_sorted):
    dtype = np.float64
    tm, cm = _pair(name, dtype, 3, 4, num_layers=2, bidirectional=True,
                   batch_first=batch_first, **kwargs)
    lengths = [6, 4, 4, 1] if enforce_sorted else [3, 6, 1, 4]
    x = RNG.standard_normal((4, 6, 3) if batch_first else (6, 4, 3))
    real = kwargs.get("proj_size", 4)
    hx = [RNG.standard_normal((4, 4, real))]
    if name == "LSTM":
        hx.append(RNG.standard_normal((4, 4, 4)))
    _compare(tm, cm, x, hx, dtype, packed=(lengths, batch_first, enforce_sorted))


def test_eval_and_dropout_between_layers():
    tm, cm = _pair("LSTM", np.float64, 3, 4, num_layers=2, dropout=0.5)
    tm.eval()
    cm.eval()
    _compare(tm, cm, RNG.standard_normal((5, 2, 3)), None, np.float64)
    cm.train()
    x = cr.tensor(RNG.standard_normal((5, 2, 3)))
    a, b = cm(x)[0], cm(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())  # dropout is drawn
    cm.eval()
    np.testing.assert_array_equal(cm(x)[0].detach().numpy(), cm(x)[0].detach().numpy())


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("unbatched, with_state", [(False, False), (False, True),
                                                   (True, True)])
def test_cells_match_torch(name, dtype, unbatched, with_state):
    tm, cm = _pair(name, dtype, 3, 4)
    batch = () if unbatched else (2,)
    x = RNG.standard_normal((*batch, 3)).astype(dtype)
    xt, xc = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    hs = [RNG.standard_normal((*batch, 4)).astype(dtype) for _ in range(2 if "LSTM" in name
                                                                          else 1)]
    ht = [torch.tensor(h, requires_grad=True) for h in hs]
    hc = [cr.tensor(h, requires_grad=True) for h in hs]
    if with_state:
        ot = tm(xt, tuple(ht) if len(ht) == 2 else ht[0])
        oc = cm(xc, tuple(hc) if len(hc) == 2 else hc[0])
    else:
        ot, oc = tm(xt), cm(xc)
    for a, b in zip(_states(ot), _states(oc), strict=True):
        _close(a, b, dtype, "cell output")
    _loss(_states(ot)[0], ot, "torch").backward()
    _loss(_states(oc)[0], oc, "chainrule").backward()
    _close(xt.grad, xc.grad, dtype, "input gradient")
    if with_state:
        for a, b in zip(ht, hc):
            _close(a.grad, b.grad, dtype, "state gradient")
    for p, q in zip(tm.parameters(), cm.parameters(), strict=True):
        _close(p.grad, q.grad, dtype, "parameter gradient")


def test_relu_cell_and_reprs():
    tm, cm = _pair("RNNCell", np.float64, 3, 4, nonlinearity="relu", bias=False)
    assert repr(cm) == repr(tm)
    for name, kwargs in LAYERS:
        assert repr(getattr(nn, name)(3, 4, num_layers=2, batch_first=True, **kwargs)) == \
            repr(getattr(torch.nn, name)(3, 4, num_layers=2, batch_first=True, **kwargs))


def test_initialisation_is_pytorchs():
    lstm = nn.LSTM(10, 25, num_layers=2)
    bound = 1 / np.sqrt(25)
    values = np.concatenate([p.detach().numpy().ravel() for p in lstm.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound and abs(values.mean()) < 0.01


def test_state_dict_goes_back_to_torch():
    cm = nn.GRU(3, 4, num_layers=2, bidirectional=True, dtype=np.float64)
    tm = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True).double()
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in cm.state_dict().items()})
    x = RNG.standard_normal((5, 2, 3))
    _close(tm(torch.tensor(x))[0], cm(cr.tensor(x))[0], np.float64, "output")


def test_user_mistakes_are_named():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match="input_size. Expected 3, got 5"):
        lstm(cr.zeros(2, 1, 5))
    with pytest.raises(ValueError, match="2 dims .* or 3 dims"):
        lstm(cr.zeros(2, 1, 1, 3))
    with pytest.raises(RuntimeError, match=r"hidden state h_0 of size \(1, 1, 4\)"):
        lstm(cr.zeros(2, 1, 3), (cr.zeros(1, 2, 4), cr.zeros(1, 1, 4)))
    with pytest.raises(TypeError, match="same dtype"):
        lstm(cr.zeros(2, 1, 3, dtype=cr.float64))
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        nn.LSTM(3, 4, device="cuda")
    with pytest.raises(RuntimeError, match="not sorted in decreasing order"):
        cr_rnn.pack_padded_sequence(cr.zeros(3, 2), [1, 3])


def test_padding_helpers_match_torch():
    seqs = [RNG.standard_normal((n, 2)) for n in (2, 4, 1)]
    for batch_first in (False, True):
        for side in ("right", "left"):
            a = trnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=batch_first,
                                  padding_value=-1.0, padding_side=side)
            b = cr_rnn.pad_sequence([cr.tensor(s) for s in seqs], batch_first=batch_first,
                                    padding_value=-1.0, padding_side=side)
            _close(a, b, np.float64, "pad_sequence")
    pt = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    pc = cr_rnn.pack_sequence([cr.tensor(s) for s in seqs], enforce_sorted=False)
    _close(pt.data, pc.data, np.float64, "pack_sequence")
    np.testing.assert_array_equal(pc.sorted_indices.numpy(), pt.sorted_indices.numpy())
    np.testing.assert_array_equal(pc.unsorted_indices.numpy(), pt.unsorted_indices.numpy())
    a, _ = trnn.pad_packed_sequence(pt, total_length=6, padding_value=2.0)
    b, _ = cr_rnn.pad_packed_sequence(pc, total_length=6, padding_value=2.0)
    _close(a, b, np.float64, "pad_packed_sequence")
    for s, u in zip(seqs, cr_rnn.unpack_sequence(pc), strict=True):
        _close(s, u, np.float64, "unpack_sequence")


# -- the fused op at first and second order ------------------------------------------

OP_CASES = [("RNN_TANH", False, False, None), ("RNN_RELU", True, False, None),
            ("LSTM", False, False, None), ("LSTM", True, True, [3, 1, 2]),
            ("GRU", False, False, None), ("GRU", True, False, [1, 3, 2])]


def _op_inputs(mode, proj, bias=True):
    steps, batch, size, hidden = 3, 3, 2, 2
    gates = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}[mode] * hidden
    real = 1 if proj else hidden

    def t(*shape):
        return cr.tensor(RNG.standard_normal(shape) * 0.7, requires_grad=True)
    c0 = t(batch, hidden) if mode == "LSTM" else None
    return (t(steps, batch, size), t(batch, real), c0, t(gates, size), t(gates, real),
            t(gates) if bias else None, t(gates) if bias else None,
            t(real, hidden) if proj else None)


@pytest.mark.parametrize("mode, reverse, proj, lengths", OP_CASES)
def test_fused_layer_gradcheck_and_gradgradcheck(mode, reverse, proj, lengths):
    inputs = _op_inputs(mode, proj)
    present = [i for i, v in enumerate(inputs) if v is not None]
    lens = None if lengths is None else np.array(lengths)

    def f(*args):
        full = list(inputs)
        for i, a in zip(present, args):
            full[i] = a
        return RecurrentLayer.apply(*full, mode=mode, reverse=reverse, lengths=lens)
    args = tuple(inputs[i] for i in present)
    assert cr.gradcheck(f, args)
    assert cr.gradgradcheck(f, args)


@pytest.mark.parametrize("mode, reverse, proj, lengths", OP_CASES)
def test_fast_backward_equals_backward_for_every_input(mode, reverse, proj, lengths):
    inputs = _op_inputs(mode, proj, bias=mode != "GRU")
    lens = None if lengths is None else np.array(lengths)
    out = RecurrentLayer.apply(*inputs, mode=mode, reverse=reverse, lengths=lens)
    g = RNG.standard_normal(out.shape)
    fast = RecurrentLayer.fast_backward(out._ctx, g)
    plain = RecurrentLayer.backward(out._ctx, g)
    for a, b, x in zip(fast, plain, inputs, strict=True):
        assert (a is None) == (b is None) or x is None
        if x is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_module_gradgradcheck_through_parameters():
    lstm = nn.LSTM(2, 2, num_layers=2, bidirectional=True, dtype=np.float64)
    x = cr.tensor(RNG.standard_normal((3, 1, 2)), requires_grad=True)
    params = list(lstm.parameters())

    def loss(x):
        out, (h, c) = lstm(x)
        return out.sum() + (c * c).sum()
    (gx,) = cr.autograd.grad(loss(x), [x], create_graph=True)
    second = cr.autograd.grad((gx * gx).sum(), params, allow_unused=False)
    assert all(np.isfinite(s.numpy()).all() for s in second)
    assert cr.gradgradcheck(lambda x: lstm(x)[0], (x,))
