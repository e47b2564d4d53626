"""chainrule.nn.Module, Parameter, Sequential, ModuleList: registration, traversal,
modes, gradients, state_dict (keys and values as PyTorch's), repr, errors."""

import copy

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import functional as F


def lenet(m):
    return m.Sequential(
        m.Conv2d(1, 4, 3), m.BatchNorm2d(4), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
        m.Linear(4 * 3 * 3, 8), m.Dropout(0.2), m.Linear(8, 3),
    )


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 5)
        self.act = nn.Tanh()
        self.blocks = nn.ModuleList([nn.Linear(5, 5), nn.Linear(5, 5)])
        self.fc2 = nn.Linear(5, 2, bias=False)
        self.scale = nn.Parameter(cr.ones(1))
        self.register_buffer("steps", cr.tensor(0))
        self.register_buffer("scratch", cr.zeros(2), persistent=False)

    def forward(self, x):
        x = self.act(self.fc1(x))
        for block in self.blocks:
            x = block(x).relu()
        return self.fc2(x) * self.scale


# ---------------------------------------------------------------------------
# Registration and traversal
# ---------------------------------------------------------------------------

def test_parameters_registered_by_assignment_in_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "blocks.0.weight", "blocks.0.bias",
                     "blocks.1.weight", "blocks.1.bias", "fc2.weight"]
    assert len(list(net.parameters())) == 8
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "blocks", "fc2"]
    assert len(list(net.modules())) == 1 + 4 + 2
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert net.fc2.bias is None


def test_state_dict_keys_match_torch():
    assert list(lenet(nn).state_dict()) == list(lenet(torch.nn).state_dict())
    net = Net()
    assert list(net.state_dict()) == [
        "scale", "steps", "fc1.weight", "fc1.bias", "blocks.0.weight", "blocks.0.bias",
        "blocks.1.weight", "blocks.1.bias", "fc2.weight"]


def test_shared_parameter_listed_once():
    fc = nn.Linear(3, 3)
    model = nn.Sequential(fc, nn.ReLU(), fc)
    assert len(list(model.parameters())) == 2
    out = model(cr.ones(2, 3)).sum()
    out.backward()
    assert fc.weight.grad.shape == (3, 3)


def test_reassigning_and_deleting_attributes():
    net = Net()
    net.fc2 = None
    assert net.fc2 is None and "fc2.weight" not in net.state_dict()
    with pytest.raises(TypeError, match="cannot assign a Tensor to parameter 'scale'"):
        net.scale = cr.ones(1)
    net.scale = nn.Parameter(cr.zeros(1))
    assert net.scale.item() == 0
    net.plain = 3
    assert net.plain == 3 and "plain" not in dict(net.named_parameters())
    del net.fc1
    assert not hasattr(net, "fc1")
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        _ = net.nope


def test_assign_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first"):
        Bad()


def test_missing_forward_is_a_clear_error():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(cr.ones(1))


# ---------------------------------------------------------------------------
# Modes, gradients, apply, dtype
# ---------------------------------------------------------------------------

def test_train_eval_propagate():
    model = lenet(nn)
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model[1].eval()
    assert not model[1].training and model[0].training


def test_zero_grad_sets_none_and_training_step_reduces_loss():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    x = cr.randn(32, 4)
    y = cr.tensor(np.argmax(x.data[:, :3], axis=1))
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        with cr.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    F.cross_entropy(model(x), y).backward()
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in model.parameters())


def test_apply_and_requires_grad():
    model = lenet(nn)
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Sequential" and seen[0] == "Conv2d"
    model.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert np.all(model[5].weight.detach().numpy() == 0)
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_double_keeps_parameter_objects():
    model = lenet(nn)
    params = list(model.parameters())
    model.double()
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 for p in params)
    assert model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    assert model(cr.zeros(2, 1, 8, 8, dtype=cr.float64)).dtype == np.float64
    model.float()
    assert model(cr.zeros(2, 1, 8, 8)).dtype == np.float32
    assert model.to("cpu") is model and model.to("cpu", cr.float64)[0].weight.dtype == np.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda")


# ---------------------------------------------------------------------------
# state_dict and load_state_dict
# ---------------------------------------------------------------------------

def test_state_dict_round_trip_and_torch_interchange():
    cr.manual_seed(0)
    torch.manual_seed(0)
    theirs = lenet(torch.nn)
    theirs.train()
    theirs(torch.randn(4, 1, 8, 8))  # move the running statistics
    ours = lenet(nn)
    result = ours.load_state_dict(theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].data, value.numpy())
    # and back: a fresh chainrule model loads chainrule's state dict
    again = lenet(nn)
    again.load_state_dict(ours.state_dict())
    x = cr.randn(2, 1, 8, 8)
    ours.eval()
    again.eval()
    theirs.eval()
    np.testing.assert_array_equal(ours(x).data, again(x).data)
    expected = theirs(torch.tensor(x.numpy())).detach().numpy()
    np.testing.assert_allclose(ours(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_state_dict_values_share_memory_and_are_detached():
    fc = nn.Linear(2, 2)
    state = fc.state_dict()
    assert not state["weight"].requires_grad
    with cr.no_grad():
        fc.weight.fill_(3.0)
    assert np.all(state["weight"].numpy() == 3.0)
    assert fc.state_dict(keep_vars=True)["weight"] is fc.weight


def test_load_state_dict_errors_name_keys_and_shapes():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    state = dict(model.state_dict())
    del state["0.bias"]
    state["extra.weight"] = np.zeros(1)
    state["0.weight"] = np.zeros((5, 3))
    before = model[0].weight.detach().numpy().copy()
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(state)
    text = str(err.value)
    assert 'Missing key(s) in state_dict: "0.bias"' in text
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in text
    assert ("size mismatch for 0.weight: copying a value of shape (5, 3), the shape in the "
            "current model is (2, 3)") in text
    np.testing.assert_array_equal(model[0].weight.data, before)  # nothing loaded on error
    state["0.weight"] = np.ones((2, 3))
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["extra.weight"]
    assert np.all(model[0].weight.detach().numpy() == 1)
    assert model[0].weight.dtype == np.float32


def test_buffers_saved_and_loaded():
    net = Net()
    net.steps.data[...] = 7
    other = Net()
    other.load_state_dict(net.state_dict())
    assert other.steps.item() == 7
    assert "scratch" not in net.state_dict()
    with pytest.raises(TypeError, match="register_buffer"):
        net.register_buffer("bad", np.zeros(2))


# ---------------------------------------------------------------------------
# Containers, repr, Parameter
# ---------------------------------------------------------------------------

def test_sequential_and_modulelist_containers():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert head(cr.ones(4, 2)).shape == (4, 3)
    model.append(nn.Sigmoid())
    assert len(model) == 4 and list(model.state_dict())[-1] == "2.bias"
    with pytest.raises(IndexError, match="out of range"):
        model[10]
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    layers = nn.ModuleList([nn.Linear(2, 2)])
    layers.append(nn.Linear(2, 2))
    layers.insert(0, nn.Tanh())
    assert [type(m).__name__ for m in layers] == ["Tanh", "Linear", "Linear"]
    assert list(layers.state_dict()) == ["1.weight", "1.bias", "2.weight", "2.bias"]
    del layers[0]
    assert list(layers.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_repr_matches_torch():
    assert repr(lenet(nn)) == repr(lenet(torch.nn))

    class Small(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(784, 10), nn.ReLU())

    assert repr(Small()) == (
        "Small(\n"
        "  (body): Sequential(\n"
        "    (0): Linear(in_features=784, out_features=10, bias=True)\n"
        "    (1): ReLU()\n"
        "  )\n"
        ")"
    )


def test_parameter_is_a_tensor_subclass():
    p = nn.Parameter(cr.tensor([1.0, 2.0]))
    assert isinstance(p, cr.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.]")
    base = cr.zeros(3)
    shared = nn.Parameter(base)
    assert np.shares_memory(shared.detach().numpy(), base.detach().numpy())  # as in PyTorch
    (p * p).sum().backward()
    assert p.grad.tolist() == [2.0, 4.0]
    frozen = nn.Parameter(cr.zeros(2), requires_grad=False)
    assert not frozen.requires_grad
    with pytest.raises(RuntimeError, match="floating-point"):
        nn.Parameter(cr.tensor([1, 2]))


def test_deepcopy_copies_parameters():
    model = lenet(nn)
    clone = copy.deepcopy(model)
    assert all(a is not b for a, b in zip(model.parameters(), clone.parameters()))
    for (k, a), (_, b) in zip(model.state_dict().items(), clone.state_dict().items()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=k)
    with cr.no_grad():
        next(clone.parameters()).fill_(0.0)
    assert not np.all(next(model.parameters()).detach().numpy() == 0)


def test_a_failed_load_state_dict_changes_nothing():
    """The second layer's value can't be used: the first layer must stay as it was."""
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    for bad in (np.array([["a", "b"], ["c", "d"]]), [[1.0, 2.0], [3.0]]):
        state = {k: np.ones_like(v) for k, v in before.items()}
        state["1.weight"] = bad
        with pytest.raises(RuntimeError, match="1.weight"):
            model.load_state_dict(state)
        for key, value in model.state_dict().items():
            np.testing.assert_array_equal(value.data, before[key], err_msg=key)


@pytest.mark.parametrize("dtype", [np.bool_, np.int64, np.int32, np.complex64])
def test_non_float_values_for_float_parameters_are_refused(dtype):
    model = nn.Sequential(nn.Linear(3, 2))
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state["0.weight"] = np.ones((2, 3), dtype=dtype)
    with pytest.raises(RuntimeError, match=f"dtype mismatch for 0.weight: copying a value of "
                                           f"dtype {np.dtype(dtype)}, the parameter is float32"):
        model.load_state_dict(state)
    state["0.weight"] = np.ones((2, 3), dtype=np.float64)  # floats of another width: cast
    model.load_state_dict(state)
    assert model[0].weight.dtype == np.float32


def test_integer_buffers_take_integers():
    bn = nn.BatchNorm1d(2)
    state = dict(bn.state_dict())
    state["num_batches_tracked"] = np.array(4.5)
    with pytest.raises(RuntimeError, match="dtype mismatch for num_batches_tracked.*buffer"):
        bn.load_state_dict(state)
    state["num_batches_tracked"] = np.array(4, dtype=np.int32)
    bn.load_state_dict(state)
    assert bn.num_batches_tracked.item() == 4
