"""Ordinary PyTorch programs run with ``import chainrule as torch`` and match PyTorch.

Each program in tests/ported/ is written once as ``program(torch, weights, data, steps,
dtype)``, in the style people write them with PyTorch. It runs here twice: with PyTorch and
with chainrule bound to ``torch`` (and ``import torch``, ``from torch import nn``,
``import torch.nn.functional as F``, ``from torch.utils.data import DataLoader`` inside the
program giving chainrule's modules), from the same initial weights (PyTorch's
initialisation, moved as NumPy arrays through ``load_state_dict``) and the same inputs.
Random draws the program makes (``torch.randn``, ``torch.randn_like``) are served in both
runs from one NumPy stream. The losses of every step and the final parameters and buffers
must agree: to 1e-9 relative in float64 and 1e-5 in float32.
"""

import contextlib
import importlib
import sys

import numpy as np
import pytest
import torch
from ported import dcgan, gpt, mnist_cnn, resnet, vae, word_lm

import chainrule as cr

TOL = {"float64": 1e-9, "float32": 1e-5}


@contextlib.contextmanager
def same_draws(lib, seed=0):
    """Serve ``lib.randn`` and ``lib.randn_like`` from a NumPy stream seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    default = lib.float32

    def randn(*size, dtype=None, **_):
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        return lib.from_numpy(rng.standard_normal(size)).to(dtype or default)

    def randn_like(t, dtype=None, **_):
        return lib.from_numpy(rng.standard_normal(tuple(t.shape))).to(dtype or t.dtype)

    saved = lib.randn, lib.randn_like
    lib.randn, lib.randn_like = randn, randn_like
    try:
        yield
    finally:
        lib.randn, lib.randn_like = saved


_TORCH_MODULES = ("torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils",
                  "torch.optim", "torch.optim.lr_scheduler", "torch.utils", "torch.utils.data")


@contextlib.contextmanager
def imported_as_torch(lib):
    """While the program runs, ``import torch`` (``from torch import nn``, ``import
    torch.nn.functional as F``, ``from torch.utils.data import DataLoader``) gives ``lib``'s
    modules, as ``import chainrule as torch`` would for a whole program."""
    if lib is torch:
        yield
        return
    saved = {name: sys.modules.get(name) for name in _TORCH_MODULES}
    for name in _TORCH_MODULES:
        sys.modules[name] = importlib.import_module(lib.__name__ + name[len("torch"):])
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def initial_weights(program, dtype, **kwargs):
    """PyTorch's initialisation of the program's model, as NumPy arrays."""
    torch.manual_seed(0)
    return program(torch, dtype=dtype, **kwargs)["state"]


def run_both(program, data, steps, dtype, **kwargs):
    weights = initial_weights(program, dtype, **kwargs)
    out = {}
    for name, lib in (("torch", torch), ("chainrule", cr)):
        with same_draws(lib), imported_as_torch(lib):
            out[name] = program(lib, weights=weights, data=data, steps=steps, dtype=dtype,
                                **kwargs)
    return out["torch"], out["chainrule"]


def assert_states_close(expected, actual, dtype, noise_only=None):
    """Every parameter and buffer: in float64 elementwise (against the tensor's largest
    entry); in float32 the norm of the difference against the tensor's norm, since Adam
    turns rounding noise in a gradient near zero into a step of up to ``lr``.

    ``noise_only`` maps a key to the entries whose gradient is zero in exact arithmetic (a
    key bias under softmax) and a bound: Adam moves them by rounding noise alone,
    differently in each library; in float32 they are only checked against the bound.
    """
    rtol = TOL[dtype]
    assert list(actual) == list(expected)
    for key, want in expected.items():
        got = actual[key]
        assert got.shape == want.shape and got.dtype == want.dtype, key
        if want.dtype.kind != "f":
            np.testing.assert_array_equal(got, want, err_msg=key)
        elif dtype == "float64":
            scale = float(np.max(np.abs(want))) if want.size else 0.0
            np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=key)
        else:
            if noise_only and key in noise_only:
                where, bound = noise_only[key]
                assert np.max(np.abs(got[where] - want[where])) <= bound, key
                got, want = np.delete(got, where, axis=0), np.delete(want, where, axis=0)
            err = np.linalg.norm(got - want) / max(float(np.linalg.norm(want)), 1e-30)
            assert err <= rtol, f"{key}: relative difference {err:.1e} > {rtol:.0e}"


def assert_runs_match(expected, actual, dtype, noise_only=None):
    rtol = TOL[dtype]
    assert len(actual["losses"]) == len(expected["losses"])
    np.testing.assert_allclose(actual["losses"], expected["losses"], rtol=rtol, atol=0)
    assert_states_close(expected["state"], actual["state"], dtype, noise_only)


# ---------------------------------------------------------------------------------------------
# GPT with its trainer
# ---------------------------------------------------------------------------------------------

def _digit_sorting(n, rng):
    """Sequences of 4 digits followed by the same digits sorted: predict the next token."""
    digits = rng.integers(0, 10, size=(n, 4))
    seq = np.concatenate([digits, np.sort(digits, axis=1), np.full((n, 1), 10)], axis=1)
    x, y = seq[:, :-1].copy(), seq[:, 1:].copy()
    y[:, :3] = -1          # no loss on the unsorted prompt
    return x.astype(np.int64), y.astype(np.int64)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("attention", ["manual", "sdpa", "mha"])
def test_gpt_trainer(dtype, attention):
    data = _digit_sorting(16, np.random.default_rng(1))
    expected, actual = run_both(gpt.program, data, steps=6, dtype=dtype, attention=attention)
    name = "attn.attn.in_proj_bias" if attention == "mha" else "attn.c_attn.bias"
    n_embd = gpt.GPTConfig.n_embd
    key_bias = {f"transformer.h.{i}.{name}": (np.arange(n_embd, 2 * n_embd), 3e-3)
                for i in range(gpt.GPTConfig.n_layer)}
    assert_runs_match(expected, actual, dtype, noise_only=key_bias)
    assert actual["generated"] == expected["generated"]


# ---------------------------------------------------------------------------------------------
# word-level language model with an LSTM
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("tie_weights", [False, True])
def test_lstm_word_language_model(dtype, tie_weights):
    expected, actual = run_both(word_lm.program, None, steps=8, dtype=dtype,
                                tie_weights=tie_weights)
    assert_runs_match(expected, actual, dtype)
    assert actual["ppl"] == pytest.approx(expected["ppl"], rel=TOL[dtype])


# ---------------------------------------------------------------------------------------------
# variational autoencoder
# ---------------------------------------------------------------------------------------------

def _images(n, rng):
    """MNIST-shaped images in [0, 1], mostly dark with bright strokes."""
    return np.clip(rng.standard_normal((n, 1, 28, 28)) * 0.4 - 0.2, 0.0, 1.0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_vae(dtype):
    rng = np.random.default_rng(2)
    data = (_images(32, rng), _images(12, rng))
    expected, actual = run_both(vae.program, data, steps=4, dtype=dtype)
    assert_runs_match(expected, actual, dtype)
    np.testing.assert_allclose(actual["samples"], expected["samples"], rtol=TOL[dtype],
                               atol=TOL[dtype])


# ---------------------------------------------------------------------------------------------
# DCGAN
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dcgan(dtype):
    images = np.tanh(np.random.default_rng(3).standard_normal((12, 3, 16, 16)))
    expected, actual = run_both(dcgan.program, images, steps=3, dtype=dtype)
    assert_runs_match(expected, actual, dtype)
    np.testing.assert_allclose(actual["samples"], expected["samples"], rtol=TOL[dtype],
                               atol=TOL[dtype])


# ---------------------------------------------------------------------------------------------
# MNIST CNN with Adadelta and StepLR
# ---------------------------------------------------------------------------------------------

def _mnist_like(n, rng):
    """Images shaped like MNIST's (bytes scaled to [0, 1]) and labels 0..9."""
    x = rng.integers(0, 256, size=(n, 1, 28, 28)).astype(np.float64) / 255
    return x, rng.integers(0, 10, size=n).astype(np.int64)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_mnist_cnn_adadelta(dtype):
    rng = np.random.default_rng(4)
    data = (_mnist_like(16, rng), _mnist_like(10, rng))
    expected, actual = run_both(mnist_cnn.program, data, steps=2, dtype=dtype)
    assert_runs_match(expected, actual, dtype)
    (loss_t, correct_t), (loss_c, correct_c) = expected["tests"][-1], actual["tests"][-1]
    assert correct_c == correct_t
    assert loss_c == pytest.approx(loss_t, rel=TOL[dtype])


def test_mnist_cnn_dropout_in_eval_mode_changes_nothing():
    """With dropout p = 0.25 / 0.5, eval mode is the identity in both libraries."""
    rng = np.random.default_rng(5)
    weights = initial_weights(mnist_cnn.program, "float64", dropout=0.25)
    x = _mnist_like(6, rng)[0]
    outs = []
    for lib in (torch, cr):
        with imported_as_torch(lib):
            model = mnist_cnn.program(lib, weights=weights, dtype="float64",
                                      dropout=0.25)["model"]
            model.eval()
            with lib.no_grad():
                outs.append(model(lib.from_numpy(x)).numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-12, atol=1e-12)


# The program masks with log(tril(ones)): NumPy's warning for log(0) comes through chainrule
# (PyTorch is silent); PyTorch warns that its nested-tensor fast path is off.
@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_transformer_word_language_model(dtype):
    expected, actual = run_both(word_lm.program, None, steps=6, dtype=dtype,
                                model_type="Transformer")
    assert_runs_match(expected, actual, dtype)
    assert actual["ppl"] == pytest.approx(expected["ppl"], rel=TOL[dtype])


# ---------------------------------------------------------------------------------------------
# ResNet with SGD (Nesterov), MultiStepLR and label smoothing
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_resnet_sgd(dtype):
    rng = np.random.default_rng(6)
    data = (rng.standard_normal((16, 3, 12, 12)), rng.integers(0, 10, size=16))
    expected, actual = run_both(resnet.program, data, steps=4, dtype=dtype)
    assert_runs_match(expected, actual, dtype)
    assert actual["accuracy"] == expected["accuracy"]
