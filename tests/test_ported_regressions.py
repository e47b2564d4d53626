"""Regressions found by running ordinary PyTorch programs with chainrule (tests/ported/)."""

import numpy as np
import pytest
import torch

import chainrule as cr


def _tied(lib):
    """A decoder whose weight is tied to the encoder's after both are built."""
    nn = lib.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(5, 3)
            self.decoder = nn.Linear(3, 5)
            self.decoder.weight = self.encoder.weight
            self.register_buffer("steps", lib.zeros(()))
            self.register_buffer("scale", lib.ones(()))
            self.register_buffer("steps", lib.ones(()))      # registered again: same place
            self.head = nn.Identity()
            self.register_parameter("gain", nn.Parameter(lib.ones(2)))
            self.head = nn.Linear(3, 3)                     # assigned again: same place

    return Model()


def test_reassigned_parameters_buffers_and_modules_keep_their_place():
    ours, theirs = _tied(cr), _tied(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.state_dict())[:5] == ["gain", "steps", "scale", "encoder.weight",
                                           "decoder.weight"]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert ours.decoder.weight is ours.encoder.weight


def test_load_takes_pytorchs_arguments(tmp_path):
    """``torch.load(path, map_location=..., weights_only=True)`` as programs write it."""
    path = tmp_path / "model.pt"
    cr.save({"w": cr.ones(2)}, path)
    for where in (None, "cpu", cr.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        state = cr.load(path, map_location=where, weights_only=True)
        assert state["w"].tolist() == [1.0, 1.0]
    assert cr.load(str(path), "cpu", weights_only=False)["w"].shape == (2,)
    with pytest.raises(cr.devices.UnavailableDeviceError, match="chainrule.load: .*cuda"):
        cr.load(path, map_location="cuda")
    with pytest.raises(ValueError, match="pickle_module"):
        cr.load(path, pickle_module=object())


def test_float32_matmul_precision_is_kept():
    before = torch.get_float32_matmul_precision()
    try:
        for lib in (cr, torch):
            lib.set_float32_matmul_precision("high")
            assert lib.get_float32_matmul_precision() == "high"
            with pytest.warns(UserWarning, match="fast"):
                lib.set_float32_matmul_precision("fast")
            assert lib.get_float32_matmul_precision() == "high"
    finally:
        cr.set_float32_matmul_precision("highest")
        torch.set_float32_matmul_precision(before)


def test_autograd_grad_takes_pytorchs_arguments():
    """A gradient penalty as WGAN-GP code writes it (only_inputs=True), and
    materialize_grads, against PyTorch."""
    rng = np.random.default_rng(0)
    w0, x0 = rng.standard_normal((1, 4)), rng.standard_normal((3, 4))
    results = []
    for lib in (torch, cr):
        w = lib.tensor(w0, requires_grad=True)
        x = lib.tensor(x0, requires_grad=True)
        unused = lib.tensor([1.0, 2.0], requires_grad=True)
        out = lib.tanh(x @ w.T)
        grads = lib.autograd.grad(outputs=out, inputs=x, grad_outputs=lib.ones_like(out),
                                  create_graph=True, retain_graph=True, only_inputs=True)[0]
        penalty = ((grads.norm(2, dim=1) - 1) ** 2).mean()
        penalty.backward()
        out = lib.tanh(x @ w.T)
        (zero,) = lib.autograd.grad(out.sum(), unused, materialize_grads=True)
        results.append((penalty.item(), w.grad.numpy().copy(), zero.tolist()))
        with pytest.raises(ValueError, match="materialize_grads"):
            lib.autograd.grad(out.sum(), x, allow_unused=False, materialize_grads=True)
    (p_t, g_t, z_t), (p_c, g_c, z_c) = results
    assert p_c == pytest.approx(p_t, rel=1e-12)
    np.testing.assert_allclose(g_c, g_t, rtol=1e-12)
    assert z_c == z_t == [0.0, 0.0]
