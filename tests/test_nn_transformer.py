"""nn.MultiheadAttention and the transformer modules against PyTorch, and their gradients.

Each case builds the PyTorch module, loads its state_dict into the chainrule module (the
keys must be the same, and go back), and compares outputs and the gradients of the inputs
and of every parameter, in float64 and float32, in training mode (dropout 0) and in eval.
PyTorch's inference fast path is switched off, so both sides compute the same formula.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import functional as F

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
TOL = {np.float64: 1e-10, np.float32: 5e-5}


@pytest.fixture(autouse=True)
def _slow_path():
    torch.backends.mha.set_fastpath_enabled(False)
    yield
    torch.backends.mha.set_fastpath_enabled(True)


def _load(tm, cm):
    assert list(cm.state_dict()) == list(tm.state_dict())
    cm.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _tdtype(dtype):
    return getattr(torch, np.dtype(dtype).name)


def _close(a, b, dtype, what):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, f"{what}: {a.shape} vs {b.shape}"
    np.testing.assert_allclose(b, a, rtol=TOL[dtype], atol=TOL[dtype], err_msg=what)


def _run(tm, cm, arrays, dtype, call_t, call_c, train=True):
    """Call both with the same input arrays, compare output and all gradients."""
    tm.train(train)
    cm.train(train)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    cs = [cr.tensor(a, requires_grad=True) for a in arrays]
    ot, oc = call_t(tm, *ts), call_c(cm, *cs)
    ot = ot if isinstance(ot, tuple) else (ot,)
    oc = oc if isinstance(oc, tuple) else (oc,)
    loss_t = loss_c = 0
    for k, (a, b) in enumerate(zip(ot, oc, strict=True)):
        if a is None:
            assert b is None
            continue
        _close(a, b, dtype, f"output {k}")
        w = RNG.standard_normal(tuple(a.shape)).astype(dtype)
        loss_t = loss_t + (a * torch.tensor(w)).sum()
        loss_c = loss_c + (b * cr.tensor(w)).sum()
    loss_t.backward()
    loss_c.backward()
    for k, (a, b) in enumerate(zip(ts, cs)):
        _close(a.grad, b.grad, dtype, f"gradient of input {k}")
    for (name, p), q in zip(tm.named_parameters(), cm.parameters(), strict=True):
        _close(p.grad, q.grad, dtype, f"gradient of {name}")


def _mha_pair(dtype, *args, **kwargs):
    tm = torch.nn.MultiheadAttention(*args, **kwargs, dtype=_tdtype(dtype))
    cm = nn.MultiheadAttention(*args, **kwargs, dtype=dtype)
    _load(tm, cm)
    return tm, cm


def _bool_mask(shape, p=0.3):
    m = RNG.random(shape) < p
    m[..., 0] = False  # every query keeps at least one key
    return m


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("options", [
    {}, {"bias": False}, {"kdim": 3, "vdim": 5}, {"add_bias_kv": True},
    {"add_zero_attn": True}, {"add_bias_kv": True, "add_zero_attn": True, "kdim": 4}])
def test_multihead_attention_matches_torch(dtype, batch_first, options):
    E, H, L, S, N = 8, 2, 4, 5, 3
    tm, cm = _mha_pair(dtype, E, H, batch_first=batch_first, **options)
    kd, vd = options.get("kdim", E), options.get("vdim", E)

    def shape(length, dim):
        return (N, length, dim) if batch_first else (length, N, dim)
    arrays = [RNG.standard_normal(shape(L, E)).astype(dtype),
              RNG.standard_normal(shape(S, kd)).astype(dtype),
              RNG.standard_normal(shape(S, vd)).astype(dtype)]
    kpm = _bool_mask((N, S))
    mask = _bool_mask((L, S))
    for kw in ({}, {"key_padding_mask": kpm}, {"attn_mask": mask},
               {"attn_mask": RNG.standard_normal((N * H, L, S)).astype(dtype),
                "key_padding_mask": kpm, "average_attn_weights": False},
               {"need_weights": False, "attn_mask": mask}):
        _run(tm, cm, arrays, dtype,
             lambda m, q, k, v, kw=kw: m(q, k, v, **{a: torch.tensor(b) if isinstance(
                 b, np.ndarray) else b for a, b in kw.items()}),
             lambda m, q, k, v, kw=kw: m(q, k, v, **{a: cr.tensor(b) if isinstance(
                 b, np.ndarray) else b for a, b in kw.items()}))


@pytest.mark.parametrize("need_weights", [True, False])
def test_self_attention_unbatched_and_causal(need_weights):
    dtype = np.float64
    tm, cm = _mha_pair(dtype, 6, 3)
    x = RNG.standard_normal((5, 6))
    mask_t = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    mask_c = nn.Transformer.generate_square_subsequent_mask(5, dtype=cr.float64)
    _close(mask_t, mask_c, dtype, "causal mask")
    _run(tm, cm, [x], dtype,
         lambda m, x: m(x, x, x, attn_mask=mask_t, is_causal=True, need_weights=need_weights),
         lambda m, x: m(x, x, x, attn_mask=mask_c, is_causal=True, need_weights=need_weights))


def _layer_pair(kind, dtype, *args, **kwargs):
    torch.manual_seed(0)
    tm = getattr(torch.nn, kind)(*args, **kwargs, dtype=_tdtype(dtype))
    act = kwargs.get("activation")
    if isinstance(act, torch.nn.Module):
        kwargs["activation"] = getattr(nn, type(act).__name__)()
    elif act is torch.nn.functional.gelu:
        kwargs["activation"] = F.gelu
    cm = getattr(nn, kind)(*args, **kwargs, dtype=dtype)
    _load(tm, cm)
    return tm, cm


LAYER_OPTIONS = [
    {}, {"norm_first": True}, {"activation": "gelu", "batch_first": True},
    {"activation": torch.nn.functional.gelu, "norm_first": True, "batch_first": True},
    {"activation": torch.nn.GELU(), "bias": False}, {"layer_norm_eps": 1e-3},
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", LAYER_OPTIONS)
@pytest.mark.parametrize("train", [True, False])
def test_encoder_layer_matches_torch(dtype, options, train):
    tm, cm = _layer_pair("TransformerEncoderLayer", dtype, 8, 2, dim_feedforward=16,
                         dropout=0.0, **dict(options))
    bf = options.get("batch_first", False)
    x = RNG.standard_normal((3, 5, 8) if bf else (5, 3, 8)).astype(dtype)
    mask = np.triu(np.full((5, 5), -np.inf, dtype), 1)
    kpm = _bool_mask((3, 5))
    _run(tm, cm, [x], dtype, lambda m, x: m(x), lambda m, x: m(x), train)
    _run(tm, cm, [x], dtype,
         lambda m, x: m(x, src_mask=torch.tensor(mask), src_key_padding_mask=torch.tensor(kpm)),
         lambda m, x: m(x, src_mask=cr.tensor(mask), src_key_padding_mask=cr.tensor(kpm)),
         train)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", LAYER_OPTIONS)
def test_decoder_layer_matches_torch(dtype, options):
    tm, cm = _layer_pair("TransformerDecoderLayer", dtype, 8, 2, dim_feedforward=16,
                         dropout=0.0, **dict(options))
    bf = options.get("batch_first", False)
    tgt = RNG.standard_normal((3, 4, 8) if bf else (4, 3, 8)).astype(dtype)
    mem = RNG.standard_normal((3, 6, 8) if bf else (6, 3, 8)).astype(dtype)
    mask = np.triu(np.full((4, 4), -np.inf, dtype), 1)
    mem_mask = _bool_mask((4, 6))
    kpm = _bool_mask((3, 6))
    _run(tm, cm, [tgt, mem], dtype, lambda m, t, s: m(t, s), lambda m, t, s: m(t, s))
    _run(tm, cm, [tgt, mem], dtype,
         lambda m, t, s: m(t, s, tgt_mask=torch.tensor(mask), memory_mask=torch.tensor(mem_mask),
                           memory_key_padding_mask=torch.tensor(kpm), tgt_is_causal=True),
         lambda m, t, s: m(t, s, tgt_mask=cr.tensor(mask), memory_mask=cr.tensor(mem_mask),
                           memory_key_padding_mask=cr.tensor(kpm), tgt_is_causal=True))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(dtype, batch_first):
    torch.manual_seed(0)
    kw = {"d_model": 8, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 2,
          "dim_feedforward": 16, "dropout": 0.0, "batch_first": batch_first}
    tm = torch.nn.Transformer(**kw, dtype=_tdtype(dtype))
    cm = nn.Transformer(**kw, dtype=dtype)
    _load(tm, cm)
    src = RNG.standard_normal((2, 5, 8) if batch_first else (5, 2, 8)).astype(dtype)
    tgt = RNG.standard_normal((2, 4, 8) if batch_first else (4, 2, 8)).astype(dtype)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=_tdtype(dtype))
    cmask = nn.Transformer.generate_square_subsequent_mask(4, dtype=dtype)
    for train in (True, False):
        _run(tm, cm, [src, tgt], dtype, lambda m, s, t: m(s, t, tgt_mask=tmask),
             lambda m, s, t: m(s, t, tgt_mask=cmask), train)


def test_encoder_stack_deep_copies_and_norm():
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=torch.float64)
    tm = torch.nn.TransformerEncoder(tl, 3, norm=torch.nn.LayerNorm(8, dtype=torch.float64),
                                     enable_nested_tensor=False)
    cl = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=np.float64)
    cm = nn.TransformerEncoder(cl, 3, norm=nn.LayerNorm(8, dtype=np.float64))
    assert cm.layers[0].linear1.weight is not cm.layers[1].linear1.weight
    np.testing.assert_array_equal(cm.layers[0].linear1.weight.detach().numpy(),
                                  cm.layers[2].linear1.weight.detach().numpy())
    _load(tm, cm)
    x = RNG.standard_normal((5, 2, 8))
    mask = np.triu(np.full((5, 5), -np.inf), 1)
    _run(tm, cm, [x], np.float64, lambda m, x: m(x, mask=torch.tensor(mask)),
         lambda m, x: m(x, mask=cr.tensor(mask)))
    # and back: chainrule's weights into PyTorch
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in cm.state_dict().items()})
    _close(tm(torch.tensor(x)), cm(cr.tensor(x)), np.float64, "output after loading back")


def test_decoder_stack_matches_torch():
    torch.manual_seed(0)
    tl = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=True,
                                          dtype=torch.float64)
    tm = torch.nn.TransformerDecoder(tl, 2, norm=torch.nn.LayerNorm(8, dtype=torch.float64))
    cl = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=True, dtype=np.float64)
    cm = nn.TransformerDecoder(cl, 2, norm=nn.LayerNorm(8, dtype=np.float64))
    _load(tm, cm)
    arrays = [RNG.standard_normal((4, 2, 8)), RNG.standard_normal((6, 2, 8))]
    _run(tm, cm, arrays, np.float64, lambda m, t, s: m(t, s), lambda m, t, s: m(t, s))


def test_initialisation_and_repr():
    mha = nn.MultiheadAttention(16, 4)
    assert repr(mha) == repr(torch.nn.MultiheadAttention(16, 4))
    bound = np.sqrt(6 / (16 + 48))  # xavier_uniform on the (3E, E) packed projection
    w = mha.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not mha.in_proj_bias.detach().numpy().any()
    assert not mha.out_proj.bias.detach().numpy().any()
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    assert repr(layer) == repr(torch.nn.TransformerEncoderLayer(8, 2, 16))
    model = nn.Transformer(8, 2, 1, 1, 16)
    for name, p in model.named_parameters():  # Xavier uniform on every matrix
        if p.ndim > 1:
            fan_out, fan_in = p.shape
            assert np.abs(p.detach().numpy()).max() <= np.sqrt(6 / (fan_in + fan_out)), name


def test_dropout_in_training_only():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = cr.randn(4, 2, 8)
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())


def test_subclassing_as_real_code_does():
    class NoFeedForward(nn.TransformerEncoderLayer):
        def _ff_block(self, x):
            return x * 0

    layer = NoFeedForward(8, 2, 16, dropout=0.0, norm_first=True)
    x = cr.randn(3, 2, 8)
    expected = x + layer._sa_block(layer.norm1(x), None, None) + x * 0
    np.testing.assert_allclose(layer(x).detach().numpy(),
                               (expected + expected * 0).detach().numpy(), rtol=1e-6)

    class WithHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.TransformerEncoder(
                nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2)
            self.head = nn.Linear(8, 3)

        def forward(self, x):
            return self.head(self.encoder(x).mean(1))

    assert WithHead()(cr.randn(4, 5, 8)).shape == (4, 3)


def test_gradcheck_and_gradgradcheck():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu",
                                       dtype=np.float64)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=cr.float64)
    x = cr.tensor(RNG.standard_normal((3, 2, 4)), requires_grad=True)
    assert cr.gradcheck(lambda x: layer(x, src_mask=mask, is_causal=True), (x,))
    assert cr.gradgradcheck(lambda x: layer(x, src_mask=mask, is_causal=True), (x,))
    mha = nn.MultiheadAttention(4, 2, kdim=3, add_bias_kv=True, dtype=np.float64)
    q = cr.tensor(RNG.standard_normal((2, 1, 4)), requires_grad=True)
    k = cr.tensor(RNG.standard_normal((3, 1, 3)), requires_grad=True)
    assert cr.gradcheck(lambda q, k: mha(q, k, q[:1].expand(3, 1, 4))[0], (q, k))
    assert cr.gradgradcheck(lambda q, k: mha(q, k, k @ cr.ones(3, 4, dtype=cr.float64))[1],
                            (q, k))


def test_user_mistakes_are_named():
    with pytest.raises(AssertionError, match="divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(8, 2)
    x = cr.randn(4, 2, 8)
    with pytest.raises(RuntimeError, match="need attn_mask"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(3, 3\), but should be \(4, 4\)"):
        mha(x, x, x, attn_mask=cr.zeros(3, 3))
    with pytest.raises(AssertionError, match="embedding dimension of 8"):
        mha(cr.randn(4, 2, 6), x, x)
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        nn.TransformerEncoderLayer(8, 2, device="cuda")
    with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(RuntimeError, match="feature number of src and tgt"):
        nn.Transformer(8, 2, 1, 1, 16)(cr.randn(3, 2, 6), cr.randn(3, 2, 6))
