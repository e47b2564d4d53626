"""chainrule.nn layers: PyTorch parity (values and gradients, float32 and float64,
train and eval), float64 gradcheck and gradgradcheck on small shapes, default
initialisation, error messages."""

import math

import numpy as np
import pytest
import torch
from op_catalogue import FLOAT64_TOL

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import functional as F

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def _torch_dtype(dtype):
    return torch.float32 if dtype == np.float32 else torch.float64


def check_parity(ours, theirs, x, dtype, train=True, input_grad=True):
    """Copy theirs' weights into ours, run both on x, compare outputs and gradients."""
    theirs = theirs.to(_torch_dtype(dtype))
    ours.to(dtype)
    ours.load_state_dict(theirs.state_dict())
    ours.train(train)
    theirs.train(train)
    x = np.asarray(x)
    floating = x.dtype.kind == "f"
    if floating:
        x = x.astype(dtype)
    xc = cr.tensor(x, requires_grad=floating and input_grad)
    xt = torch.tensor(x, requires_grad=floating and input_grad)
    out_c, out_t = ours(xc), theirs(xt)
    assert out_c.dtype == dtype
    assert out_c.shape == tuple(out_t.shape)
    np.testing.assert_allclose(out_c.data, out_t.detach().numpy(), **TOL[dtype])
    seed = np.random.default_rng(1).standard_normal(out_c.shape).astype(dtype)
    out_c.backward(seed)
    out_t.backward(torch.tensor(seed))
    if floating and input_grad:
        np.testing.assert_allclose(xc.grad.data, xt.grad.numpy(), **TOL[dtype])
    grads_t = {k: p.grad for k, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        assert p.grad is not None, name
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.data, grads_t[name].numpy(), **TOL[dtype],
                                   err_msg=name)
    for name, b in theirs.named_buffers():
        np.testing.assert_allclose(ours.state_dict()[name].data, b.numpy(), **TOL[dtype],
                                   err_msg=name)
    return out_c


def randn(*shape):
    return np.random.default_rng(0).standard_normal(shape)


# ---------------------------------------------------------------------------
# Parity with PyTorch
# ---------------------------------------------------------------------------

LAYERS = {
    "linear": (lambda m: m.Linear(5, 3), (4, 5)),
    "linear_3d_no_bias": (lambda m: m.Linear(5, 3, bias=False), (2, 4, 5)),
    "conv1d": (lambda m: m.Conv1d(3, 4, 3), (2, 3, 9)),
    "conv1d_stride_pad_dil": (lambda m: m.Conv1d(2, 3, 3, stride=2, padding=2, dilation=2),
                              (2, 2, 11)),
    "conv2d": (lambda m: m.Conv2d(2, 3, 3), (2, 2, 6, 7)),
    "conv2d_stride_pad": (lambda m: m.Conv2d(2, 4, (3, 2), stride=2, padding=1), (2, 2, 7, 6)),
    "conv2d_dilation_nobias": (lambda m: m.Conv2d(3, 2, 3, dilation=2, bias=False),
                               (1, 3, 8, 8)),
    "conv2d_groups": (lambda m: m.Conv2d(4, 6, 3, groups=2, padding=1), (2, 4, 5, 5)),
    "conv2d_same": (lambda m: m.Conv2d(2, 2, 4, padding="same"), (1, 2, 6, 6)),
    "conv2d_unbatched": (lambda m: m.Conv2d(2, 3, 3, stride=2), (2, 7, 7)),
    "conv1d_unbatched": (lambda m: m.Conv1d(2, 3, 3), (2, 7)),
    "linear_1d": (lambda m: m.Linear(5, 3), (5,)),
    "maxpool1d": (lambda m: m.MaxPool1d(2), (2, 3, 8)),
    "maxpool1d_pad": (lambda m: m.MaxPool1d(3, stride=2, padding=1), (2, 3, 9)),
    "maxpool2d": (lambda m: m.MaxPool2d(2), (2, 3, 6, 6)),
    "maxpool2d_overlap": (lambda m: m.MaxPool2d(3, stride=2, padding=1, dilation=1),
                          (2, 2, 7, 7)),
    "maxpool2d_dilation": (lambda m: m.MaxPool2d(2, stride=1, dilation=2), (1, 2, 6, 6)),
    "maxpool2d_odd_size": (lambda m: m.MaxPool2d(2), (1, 2, 7, 5)),
    "avgpool2d_odd_size": (lambda m: m.AvgPool2d(3, stride=2, padding=1), (1, 2, 8, 6)),
    "maxpool2d_ceil": (lambda m: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
                       (1, 2, 8, 7)),
    "maxpool1d_ceil": (lambda m: m.MaxPool1d(2, ceil_mode=True), (2, 2, 7)),
    "avgpool1d": (lambda m: m.AvgPool1d(3, stride=2), (2, 3, 9)),
    "avgpool1d_ceil": (lambda m: m.AvgPool1d(2, ceil_mode=True), (2, 2, 7)),
    "avgpool2d_ceil": (lambda m: m.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
                       (1, 2, 8, 7)),
    "avgpool2d_ceil_exclude": (lambda m: m.AvgPool2d(3, stride=2, padding=1, ceil_mode=True,
                                                     count_include_pad=False), (1, 2, 8, 7)),
    "avgpool2d": (lambda m: m.AvgPool2d(2), (2, 3, 6, 6)),
    "avgpool2d_pad": (lambda m: m.AvgPool2d(3, stride=2, padding=1), (1, 2, 7, 7)),
    "avgpool2d_pad_exclude": (lambda m: m.AvgPool2d(3, stride=2, padding=1,
                                                    count_include_pad=False), (1, 2, 7, 7)),
    "flatten": (lambda m: m.Flatten(), (2, 3, 4)),
    "batchnorm1d": (lambda m: m.BatchNorm1d(4), (6, 4)),
    "batchnorm1d_3d": (lambda m: m.BatchNorm1d(3, momentum=0.3), (4, 3, 5)),
    "batchnorm1d_cumulative": (lambda m: m.BatchNorm1d(3, momentum=None), (5, 3)),
    "batchnorm2d": (lambda m: m.BatchNorm2d(3), (2, 3, 4, 4)),
    "batchnorm2d_no_affine": (lambda m: m.BatchNorm2d(3, affine=False), (2, 3, 3, 3)),
    "batchnorm2d_no_bias_untracked": (lambda m: m.BatchNorm2d(3, bias=False,
                                                              track_running_stats=False),
                                      (2, 3, 3, 3)),
    "layernorm": (lambda m: m.LayerNorm(5), (3, 5)),
    "layernorm_2d": (lambda m: m.LayerNorm((3, 4)), (2, 3, 4)),
    "relu": (lambda m: m.ReLU(), (3, 4)),
    "leaky_relu": (lambda m: m.LeakyReLU(0.2), (3, 4)),
    "gelu": (lambda m: m.GELU(), (3, 4)),
    "gelu_tanh": (lambda m: m.GELU(approximate="tanh"), (3, 4)),
    "sigmoid": (lambda m: m.Sigmoid(), (3, 4)),
    "tanh": (lambda m: m.Tanh(), (3, 4)),
    "softmax": (lambda m: m.Softmax(dim=1), (3, 4)),
    "log_softmax": (lambda m: m.LogSoftmax(dim=-1), (3, 4)),
    "sequential_cnn": (lambda m: m.Sequential(
        m.Conv2d(1, 2, 3), m.ReLU(), m.MaxPool2d(2), m.Flatten(), m.Linear(8, 3)), (2, 1, 6, 6)),
}


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_torch(name, train, dtype):
    make, shape = LAYERS[name]
    torch.manual_seed(0)
    theirs = make(torch.nn)
    ours = make(nn)
    check_parity(ours, theirs, randn(*shape), dtype, train=train)


def _derivatives(lib, model, x, params):
    """First derivatives recorded with create_graph, then the gradient of their weighted sum.

    Returns (outputs, first-order gradients with create_graph, first-order gradients of a
    plain backward, second-order gradients), each as float64 arrays; x first, then the
    parameters in ``params`` order.
    """
    rng = np.random.default_rng(7)
    out = model(x)
    shape = tuple(out.shape)
    v = rng.standard_normal(shape)
    inputs = [x, *params]
    if lib is torch:
        grad, wrap = torch.autograd.grad, lambda a: torch.tensor(a)
    else:
        grad, wrap = cr.grad, lambda a: cr.tensor(a)
    firsts = grad((out * wrap(v)).sum(), inputs, create_graph=True, allow_unused=True)
    weights = [rng.standard_normal(tuple(t.shape)) for t in inputs]
    total = None
    for g, w in zip(firsts, weights):
        if g is not None and g.requires_grad:
            term = (g * wrap(w)).sum()
            total = term if total is None else total + term
    seconds = [None] * len(inputs)
    if total is not None:
        seconds = grad(total, inputs, allow_unused=True)
    out2 = model(x)
    plain = grad((out2 * wrap(v)).sum(), inputs, allow_unused=True)

    def arrays(ts):
        return [np.zeros(tuple(t.shape)) if g is None else
                (g.detach().numpy() if lib is torch else np.asarray(g.data))
                for g, t in zip(ts, inputs)]

    value = out.detach().numpy() if lib is torch else out.data
    return value, arrays(firsts), arrays(plain), arrays(seconds)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_second_order_matches_torch(name, train):
    """create_graph through each layer: first derivatives (which must equal a plain
    backward's) and the gradient of their weighted sum, against PyTorch's, in float64."""
    make, shape = LAYERS[name]
    torch.manual_seed(0)
    theirs = make(torch.nn).to(torch.float64)
    ours = make(nn).to(np.float64)
    ours.load_state_dict(theirs.state_dict())
    ours.train(train)
    theirs.train(train)
    x = randn(*shape)
    names = [n for n, _ in theirs.named_parameters()]
    ours_params = dict(ours.named_parameters())
    results = {}
    for lib, model, params in ((torch, theirs, [p for _, p in theirs.named_parameters()]),
                               (cr, ours, [ours_params[n] for n in names])):
        xt = (torch.tensor(x, requires_grad=True) if lib is torch
              else cr.tensor(x, requires_grad=True))
        results[lib] = _derivatives(lib, model, xt, params)
    (v_t, first_t, _, second_t), (v_c, first_c, plain_c, second_c) = results[torch], results[cr]
    np.testing.assert_allclose(v_c, v_t, **TOL[np.float64])
    for label, a, b in zip(["input", *names], first_c, plain_c):
        np.testing.assert_allclose(a, b, **TOL[np.float64], err_msg=f"create_graph vs plain: "
                                                                    f"{label}")
    for label, a, b in zip(["input", *names], first_c, first_t):
        np.testing.assert_allclose(a, b, **TOL[np.float64], err_msg=f"first order: {label}")
    for label, a, b in zip(["input", *names], second_c, second_t):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11,
                                   err_msg=f"second order: {label}")


@pytest.mark.parametrize("batch, features", [(64, 64), (32, 512), (1, 100), (65, 64),
                                             (64, 63)])
def test_linear_fast_path_matches_torch_and_the_plain_product(batch, features):
    """Few rows and many outputs take a transposed product (ops.fused.Linear); both sides
    of its switch, against PyTorch and against x @ w.T + b."""
    torch.manual_seed(0)
    theirs = torch.nn.Linear(48, features)
    ours = nn.Linear(48, features)
    check_parity(ours, theirs, randn(batch, 48), np.float32)
    x = cr.tensor(randn(batch, 48).astype(np.float32))
    w, b = ours.weight.data, ours.bias.data
    np.testing.assert_allclose(ours(x).data, x.data @ w.T + b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_embedding_matches_torch(dtype):
    torch.manual_seed(0)
    theirs = torch.nn.Embedding(7, 3, padding_idx=2)
    ours = nn.Embedding(7, 3, padding_idx=2)
    idx = np.array([[0, 2, 6], [2, 2, 1]])
    check_parity(ours, theirs, idx, dtype)
    assert np.all(ours.weight.grad.numpy()[2] == 0)


def test_batchnorm_running_stats_over_steps_and_eval():
    torch.manual_seed(0)
    theirs, ours = torch.nn.BatchNorm2d(3, momentum=0.2), nn.BatchNorm2d(3, momentum=0.2)
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = (rng.standard_normal((4, 3, 2, 2)) * 3 + 1).astype(np.float32)
        ours(cr.tensor(x))
        theirs(torch.tensor(x))
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].data, value.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=key)
    assert int(ours.num_batches_tracked.item()) == 3
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(ours(cr.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_maxpool_tie_goes_to_first_maximum():
    x = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]], dtype=np.float32)
    xc = cr.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    F.max_pool2d(xc, 2).sum().backward()
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(xc.grad.data, xt.grad.numpy())
    assert xc.grad.data[0, 0, 0, 0] == 1 and xc.grad.data[0, 0, 0, 3] == 1


def test_maxpool_nan_propagates():
    x = cr.tensor([[[1.0, np.nan, 2.0, 3.0]]], requires_grad=True)
    out = F.max_pool1d(x, 2)
    assert np.isnan(out.numpy(force=True)[0, 0, 0]) and out.numpy(force=True)[0, 0, 1] == 3
    out.sum().backward()
    assert x.grad.data.tolist() == [[[0.0, 1.0, 0.0, 1.0]]]


def test_maxpool_overlapping_windows_accumulate():
    x = np.array([[[0.0, 5.0, 1.0, 0.0, 2.0]]], dtype=np.float32)
    xc = cr.tensor(x, requires_grad=True)
    F.max_pool1d(xc, 3, stride=1).sum().backward()
    assert xc.grad.data.tolist() == [[[0.0, 2.0, 0.0, 0.0, 1.0]]]


def test_dropout_train_and_eval():
    cr.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = cr.ones(200, 100, requires_grad=True)
    y = drop(x)
    kept = y.numpy(force=True) != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.numpy(force=True)[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)
    assert y.dtype == np.float32
    drop.eval()
    assert drop(x) is x
    assert np.all(F.dropout(x, 1.0).numpy(force=True) == 0)
    cr.manual_seed(5)
    a = F.dropout(cr.ones(10, 10), 0.5).data
    cr.manual_seed(5)
    np.testing.assert_array_equal(a, F.dropout(cr.ones(10, 10), 0.5).data)


# ---------------------------------------------------------------------------
# gradcheck (float64) and second order, on small shapes
# ---------------------------------------------------------------------------

def _t(*shape, scale=1.0, seed=0):
    data = np.random.default_rng(seed).standard_normal(shape) * scale
    return cr.tensor(data, requires_grad=True)


GRADCHECK = {
    "linear": (lambda x, w, b: F.linear(x, w, b), [(3, 4), (2, 4), (2,)]),
    "linear_3d": (lambda x, w: F.linear(x, w), [(2, 3, 4), (2, 4)]),
    "conv1d": (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2),
               [(2, 2, 7), (3, 2, 2), (3,)]),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1),
               [(2, 2, 5, 4), (2, 2, 3, 2), (2,)]),
    "conv2d_dilation_groups": (lambda x, w: F.conv2d(x, w, dilation=2, groups=2),
                               [(1, 4, 5, 5), (2, 2, 2, 2)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2, stride=1, padding=1), [(2, 2, 4, 3)]),
    "max_pool1d": (lambda x: F.max_pool1d(x, 3, stride=2), [(2, 2, 7)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
                   [(2, 2, 5, 5)]),
    "avg_pool1d": (lambda x: F.avg_pool1d(x, 2), [(2, 2, 6)]),
    "max_pool2d_ceil": (lambda x: F.max_pool2d(x, 2, ceil_mode=True), [(1, 2, 5, 3)]),
    "avg_pool2d_ceil": (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
                        [(1, 2, 4, 5)]),
    "batch_norm_train": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         [(4, 3, 2), (3,), (3,)]),
    "batch_norm_eval": (lambda x, w, b: F.batch_norm(
        x, cr.tensor([0.1, -0.2, 0.3], dtype=cr.float64),
        cr.tensor([1.5, 0.5, 2.0], dtype=cr.float64), w, b), [(4, 3), (3,), (3,)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)]),
    "embedding": (lambda w: F.embedding(cr.tensor([[0, 3], [3, 1]]), w), [(4, 3)]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), [(3, 4)]),
    "gelu": (lambda x: F.gelu(x), [(3, 4)]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), [(3, 4)]),
    "softmax": (lambda x: F.softmax(x, dim=0), [(3, 4)]),
    "log_softmax": (lambda x: F.log_softmax(x, dim=1), [(3, 4)]),
}

@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name):
    fn, shapes = GRADCHECK[name]
    inputs = [_t(*s, seed=i) for i, s in enumerate(shapes)]
    assert cr.gradcheck(fn, inputs, **FLOAT64_TOL)


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradgradcheck(name):
    fn, shapes = GRADCHECK[name]
    inputs = [_t(*s, seed=i) for i, s in enumerate(shapes)]
    assert cr.gradgradcheck(fn, inputs, **FLOAT64_TOL)


def test_linear_is_one_fused_op():
    x, w, b = _t(3, 4), _t(2, 4), _t(2)
    out = F.linear(x, w, b)
    assert out.grad_fn.name == "linear"
    assert out.grad_fn.parents == (x, w, b)


def test_fused_ops_of_a_transformer_block():
    x = _t(2, 3, 4)
    assert F.layer_norm(x, (4,), _t(4), _t(4)).grad_fn.name == "layer_norm"
    assert F.gelu(x).grad_fn.name == "gelu"
    for mask in (None, np.tri(3, 3, dtype=bool)):
        out = F.scaled_dot_product_attention(x, x, x, attn_mask=mask, is_causal=mask is None)
        assert out.grad_fn.parents[0].name == "attention_softmax"


def test_float32_gelu_within_two_ulp_of_exact():
    # float32 GELU computes erf from a fitted polynomial (ops/fused.py): every 97th float32
    # in [-10, 10], against erf in float64 (math.erf, correctly rounded to a few ulp)
    bits = np.concatenate([np.arange(0, 0x41200000, 97 * 2**10, dtype=np.uint32),
                           np.arange(0x80000000, 0xC1200000, 97 * 2**10, dtype=np.uint32)])
    x = np.concatenate([bits.view(np.float32), [0.0, -0.0, 8.0, -8.0, 30.0, -30.0]])
    x = x.astype(np.float32)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(float)])
    got = F.gelu(cr.tensor(x)).numpy().astype(np.float64)
    ulp = np.spacing(np.abs(exact.astype(np.float32))).astype(np.float64)
    pos = x >= 0
    assert np.max(np.abs(got - exact)[pos] / ulp[pos]) <= 2.05
    assert np.max(np.abs(got - exact)[~pos]) <= 2e-7  # 1 + erf cancels: an absolute bound
    assert got[-4] == 8 and got[-2] == 30 and got[-3] == got[-1] == 0  # erf is +-1 there
    assert F.gelu(cr.tensor(np.float32([np.nan]))).isnan().all()


def test_relu_is_the_engine_op():
    assert F.relu(_t(3)).grad_fn.name == "relu"


def test_softmax_stable_at_1e4():
    x = cr.tensor([[1e4, -1e4, 0.0], [1e4, 1e4, 1e4]], requires_grad=True)
    s = F.softmax(x, dim=1)
    ls = F.log_softmax(x, dim=1)
    assert np.all(np.isfinite(s.numpy(force=True))) and np.all(np.isfinite(ls.numpy(force=True)))
    np.testing.assert_allclose(s.data, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    (s.sum() + ls.sum()).backward()
    assert np.all(np.isfinite(x.grad.numpy()))


# ---------------------------------------------------------------------------
# Initialisation
# ---------------------------------------------------------------------------

def test_linear_and_conv_default_init_bounds():
    cr.manual_seed(0)
    fc = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = fc.weight.detach().numpy()
    assert w.dtype == np.float32 and fc.bias.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert np.abs(fc.bias.detach().numpy()).max() <= bound
    conv = nn.Conv2d(6, 16, 5)
    cbound = 1 / math.sqrt(6 * 25)
    cw = conv.weight.detach().numpy()
    assert np.abs(cw).max() <= cbound
    assert abs(cw.std() - cbound / math.sqrt(3)) < 0.03 * cbound
    assert np.abs(conv.bias.detach().numpy()).max() <= cbound
    t = torch.nn.Linear(400, 300)
    assert abs(float(t.weight.detach().std()) - w.std()) < 0.02 * bound


def test_embedding_init_is_standard_normal_and_seeded():
    cr.manual_seed(1)
    emb = nn.Embedding(1000, 50, padding_idx=0)
    w = emb.weight.detach().numpy()
    assert abs(w[1:].mean()) < 0.02 and abs(w[1:].std() - 1) < 0.02
    assert np.all(w[0] == 0)
    cr.manual_seed(1)
    np.testing.assert_array_equal(nn.Embedding(1000, 50, padding_idx=0).weight.data, w)


def test_init_functions():
    cr.manual_seed(0)
    w = cr.zeros(200, 300)
    nn.init.xavier_uniform_(w)
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 500)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.data.std() - math.sqrt(2 / 300)) < 0.002
    nn.init.xavier_normal_(w, gain=2.0)
    assert abs(w.data.std() - 2 * math.sqrt(2 / 500)) < 0.002
    nn.init.trunc_normal_(w, std=1.0, a=-1.0, b=1.0)
    assert np.abs(w.numpy()).max() <= 1.0
    assert nn.init.zeros_(w) is w and np.all(w.numpy() == 0)
    assert np.all(nn.init.ones_(cr.zeros(2, 2)).numpy() == 1)
    assert nn.init.eye_(cr.zeros(2, 3)).data.tolist() == [[1, 0, 0], [0, 1, 0]]
    assert math.isclose(nn.init.calculate_gain("tanh"), torch.nn.init.calculate_gain("tanh"))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(cr.zeros(3))
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        nn.init.calculate_gain("swish")


# ---------------------------------------------------------------------------
# Errors a user can cause
# ---------------------------------------------------------------------------

def test_linear_shape_error_names_layer_and_shapes():
    with pytest.raises(ValueError) as err:
        nn.Linear(784, 10)(cr.zeros(32, 100))
    expected = "Linear(784, 10): expected input with last dim 784, got shape (32, 100)"
    assert str(err.value) == expected


def test_functional_linear_errors():
    with pytest.raises(ValueError, match=r"linear \(weight of shape \(2, 3\)\): bias of shape "
                                         r"\(3,\) doesn't match 2 output features"):
        F.linear(cr.zeros(1, 3), cr.zeros(2, 3), cr.zeros(3))
    with pytest.raises(ValueError, match="expected input with last dim 3, got shape"):
        F.linear(cr.zeros(1, 4), cr.zeros(2, 3))


def test_dtype_mismatch_error():
    with pytest.raises(TypeError, match=r"Linear\(3, 2\): input dtype float64 doesn't match "
                                        r"weight dtype float32"):
        nn.Linear(3, 2)(cr.zeros(1, 3, dtype=cr.float64))


def test_conv_errors():
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8\): expected input of shape \(N, 3, H, W\), "
                                         r"got shape \(2, 1, 8, 8\)"):
        nn.Conv2d(3, 8, 3)(cr.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match="smaller than the"):
        F.conv2d(cr.zeros(1, 1, 2, 2), cr.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)


def test_norm_and_embedding_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected a 4-d input with 3 "
                                         r"channels in dim 1, got shape \(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(cr.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(cr.zeros(1, 3))
    with pytest.raises(ValueError, match=r"trailing shape \(5,\)"):
        nn.LayerNorm(5)(cr.zeros(2, 4))
    with pytest.raises(ValueError, match=r"normalized_shape must have at least one dim"):
        F.layer_norm(cr.zeros(2, 4), ())  # PyTorch refuses it too
    with pytest.raises(IndexError, match="table of 4 rows"):
        nn.Embedding(4, 2)(cr.tensor([4]))
    with pytest.raises(IndexError, match=r"got values in \[-1, 1\] for a table of 4 rows"):
        nn.Embedding(4, 2)(cr.tensor([1, -1]))  # PyTorch refuses negative indices too
    with pytest.raises(TypeError, match="integer indices"):
        nn.Embedding(4, 2)(cr.tensor([1.0]))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_pool_errors():
    with pytest.raises(ValueError, match="at most half of the kernel"):
        F.max_pool2d(cr.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match="expected a 3-d or 4-d input"):
        F.avg_pool2d(cr.zeros(4, 4), 2)


def test_reprs_match_torch():
    cases = [
        lambda m: m.Linear(784, 10),
        lambda m: m.Linear(3, 2, bias=False),
        lambda m: m.Conv2d(1, 6, 5),
        lambda m: m.Conv2d(3, 8, 3, stride=2, padding=1, dilation=2, groups=1, bias=False),
        lambda m: m.Conv1d(4, 4, 3, groups=2),
        lambda m: m.MaxPool2d(2),
        lambda m: m.MaxPool1d(3, stride=2),
        lambda m: m.AvgPool2d(2),
        lambda m: m.Flatten(),
        lambda m: m.Dropout(0.1),
        lambda m: m.BatchNorm1d(10),
        lambda m: m.BatchNorm2d(4, momentum=None),
        lambda m: m.BatchNorm1d(4, bias=False),
        lambda m: m.LayerNorm((2, 3), bias=False),
        lambda m: m.LayerNorm(10),
        lambda m: m.Embedding(10, 3, padding_idx=0),
        lambda m: m.ReLU(),
        lambda m: m.LeakyReLU(0.2),
        lambda m: m.GELU(),
        lambda m: m.Sigmoid(),
        lambda m: m.Tanh(),
        lambda m: m.Softmax(dim=1),
    ]
    for make in cases:
        assert repr(make(nn)) == repr(make(torch.nn))
