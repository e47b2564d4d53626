"""Ordinary PyTorch programs run with ``import chainrule as torch`` and match PyTorch.

Each program in tests/ported/ is written once as ``program(torch, weights, data, steps,
dtype)``, in the style people write them with PyTorch. It runs here twice: with PyTorch and
with chainrule bound to ``torch``, from the same initial weights (PyTorch's initialisation,
moved as NumPy arrays through ``load_state_dict``) and the same inputs; random draws the
program makes (``torch.randn``, ``torch.randn_like``) are served in both runs from one NumPy
stream. The losses of every step and the final parameters and buffers must agree: to 1e-9
relative in float64 and about 1e-4 in float32.
"""

import contextlib

import numpy as np
import pytest
import torch
from ported import gpt, word_lm

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


def initial_weights(program, dtype, **kwargs):
    """PyTorch's initialisation of the program's model, as NumPy arrays."""
    torch.manual_seed(0)
    return program(torch, dtype=dtype, **kwargs)["state"]


def run_both(program, data, steps, dtype, **kwargs):
    weights = initial_weights(program, dtype, **kwargs)
    out = {}
    for name, lib in (("torch", torch), ("chainrule", cr)):
        with same_draws(lib):
            out[name] = program(lib, weights=weights, data=data, steps=steps, dtype=dtype,
                                **kwargs)
    return out["torch"], out["chainrule"]


def assert_states_close(expected, actual, dtype, noise_only=None):
    """Every parameter and buffer, elementwise, against the tensor's largest entry.

    ``noise_only`` maps a key to the entries whose gradient is zero in exact arithmetic (a
    key bias under softmax): Adam moves them by rounding noise alone, differently in each
    library, by less than ``bound``; in float32 they are only checked against that bound.
    """
    rtol = TOL[dtype]
    assert list(actual) == list(expected)
    for key, want in expected.items():
        got = actual[key]
        assert got.shape == want.shape and got.dtype == want.dtype, key
        if want.dtype.kind != "f":
            np.testing.assert_array_equal(got, want, err_msg=key)
            continue
        if dtype == "float32" and noise_only and key in noise_only:
            where, bound = noise_only[key]
            assert np.max(np.abs(got[where] - want[where])) <= bound, key
            got, want = np.delete(got, where, axis=0), np.delete(want, where, axis=0)
        scale = float(np.max(np.abs(want))) if want.size else 0.0
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=key)


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
@pytest.mark.parametrize("attention", ["manual", "mha"])
def test_gpt_trainer(dtype, attention):
    data = _digit_sorting(16, np.random.default_rng(1))
    expected, actual = run_both(gpt.program, data, steps=6, dtype=dtype, attention=attention)
    name = "attn.c_attn.bias" if attention == "manual" else "attn.attn.in_proj_bias"
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
