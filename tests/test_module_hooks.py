"""Module hooks (forward pre-hooks, forward hooks, full backward pre-hooks and hooks,
the global ones), against PyTorch: the same order of calls, the same grad_input and
grad_output, the same effect of a returned value."""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import hooks as cr_hooks


def _twins(dtype=np.float64):
    """The same two-layer network in chainrule and in PyTorch, same weights."""
    rng = np.random.default_rng(0)
    w1, b1 = rng.normal(size=(4, 3)), rng.normal(size=4)
    w2, b2 = rng.normal(size=(2, 4)), rng.normal(size=2)
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to(dtype)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    theirs = theirs.to(getattr(torch, np.dtype(dtype).name))
    state = {"0.weight": w1, "0.bias": b1, "2.weight": w2, "2.bias": b2}
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.tensor(v.astype(dtype)) for k, v in state.items()})
    x = rng.normal(size=(5, 3)).astype(dtype)
    return ours, theirs, x


def _np(values):
    return tuple(None if v is None else np.asarray(v.detach().numpy()
                                                   if hasattr(v, "detach") else v.numpy())
                 for v in values)


def _record(model, log, names):
    handles = []
    for name, module in model.named_modules():
        tag = names(name)

        def pre(m, args, tag=tag):
            log.append(("pre", tag))

        def fwd(m, args, out, tag=tag):
            log.append(("fwd", tag))

        def bpre(m, grad_output, tag=tag):
            log.append(("bpre", tag, _np(grad_output)))

        def bwd(m, grad_input, grad_output, tag=tag):
            log.append(("bwd", tag, _np(grad_input), _np(grad_output)))

        handles += [module.register_forward_pre_hook(pre), module.register_forward_hook(fwd),
                    module.register_full_backward_pre_hook(bpre),
                    module.register_full_backward_hook(bwd)]
    return handles


def _same_log(ours, theirs, dtype):
    assert [entry[:2] for entry in ours] == [entry[:2] for entry in theirs]
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(ours, theirs):
        for grads_a, grads_b in zip(a[2:], b[2:]):
            assert len(grads_a) == len(grads_b), (a[:2], grads_a, grads_b)
            for ga, gb in zip(grads_a, grads_b):
                assert (ga is None) == (gb is None), (a[:2], ga, gb)
                if ga is not None:
                    assert ga.dtype == gb.dtype
                    np.testing.assert_allclose(ga, gb, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_order_of_calls_and_gradients_match_torch(dtype, input_requires_grad):
    ours, theirs, x = _twins(dtype)
    log, tlog = [], []
    handles = _record(ours, log, lambda n: n or "root")
    _record(theirs, tlog, lambda n: n or "root")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns when no input requires grad
        tx = torch.tensor(x, requires_grad=input_requires_grad)
        theirs(tx).pow(2).sum().backward()
    ours(cr.tensor(x, requires_grad=input_requires_grad)).pow(2).sum().backward()
    _same_log(log, tlog, dtype)
    for name, p in ours.named_parameters():
        tp = dict(theirs.named_parameters())[name]
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)
    for h in handles:
        h.remove()
    assert all(not m._forward_hooks and not m._backward_hooks for m in ours.modules())


class _Two(nn.Module):
    def forward(self, a, b, scale):
        return a * scale, b * 3.0


class _TorchTwo(torch.nn.Module):
    def forward(self, a, b, scale):
        return a * scale, b * 3.0


@pytest.mark.parametrize("b_requires_grad", [True, False])
def test_tuple_outputs_unused_output_and_non_tensor_argument_like_torch(b_requires_grad):
    log, tlog = [], []
    ours, theirs = _Two(), _TorchTwo()
    _record(ours, log, lambda n: "two")
    _record(theirs, tlog, lambda n: "two")
    a = np.array([1.0, 2.0])
    x, _ = ours(cr.tensor(a, requires_grad=True), cr.tensor(a, requires_grad=b_requires_grad),
                2.0)
    tx, _ = theirs(torch.tensor(a, requires_grad=True),
                   torch.tensor(a, requires_grad=b_requires_grad), 2.0)
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    _same_log(log, tlog, np.float64)
    assert log[-1][2][2] is None and log[-1][3][1] is None  # the float, the unused output


def test_returned_values_replace_args_output_grad_output_and_grad_input():
    results = []
    for lib in (cr, torch):
        lin = (nn.Linear if lib is cr else torch.nn.Linear)(2, 2, bias=False)
        with (cr.no_grad() if lib is cr else torch.no_grad()):
            lin.weight.copy_(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
        lin.register_forward_pre_hook(lambda m, args: args[0] + 1)  # not a tuple: wrapped
        lin.register_forward_hook(lambda m, args, out: out * 10)
        lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
        lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 3,))
        x = lib.tensor([[1.0, -1.0]], requires_grad=True)
        y = lin(x)
        y.sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy(), lin.weight.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b)


def _kwargs_run(lib):
    log = []

    class Scale(nn.Module if lib is cr else torch.nn.Module):
        def forward(self, x, *, factor=1.0):
            if factor < 0:
                raise ValueError("negative factor")
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("kw", kwargs)),
                            with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append("first"), prepend=True)
    out = m(lib.tensor([1.0, 2.0]), factor=2.0)
    log.append(out.tolist())
    m2 = Scale()
    m2.register_forward_hook(lambda mod, args, out: log.append(("always", out)),
                             always_call=True)
    m2.register_forward_hook(lambda mod, args, out: log.append("not always"))
    with pytest.raises(ValueError, match="negative factor"):
        m2(lib.tensor([1.0]), factor=-1.0)
    return log


def test_kwargs_prepend_and_always_call_like_torch():
    ours, theirs = _kwargs_run(cr), _kwargs_run(torch)
    assert ours == theirs
    assert ours[:3] == ["first", ("kw", {"factor": 3.0}), [3.0, 6.0]]


def _global_run(lib, glob):
    log = []
    lin = lib.Linear(2, 2)
    lin.register_forward_hook(lambda m, a, o: log.append("own"))
    lin.register_full_backward_hook(lambda m, gi, go: log.append("own backward"))
    handles = [glob.register_module_forward_pre_hook(lambda m, a: log.append("pre")),
               glob.register_module_forward_hook(lambda m, a, o: log.append("global")),
               glob.register_module_full_backward_hook(
                   lambda m, gi, go: log.append("global backward")),
               glob.register_module_full_backward_pre_hook(
                   lambda m, go: log.append("global backward pre"))]
    x = (cr if lib is nn else torch).ones(1, 2, requires_grad=True)
    lin(x).sum().backward()
    for h in handles:
        h.remove()
    lin(x)
    return log


def test_global_hooks_run_before_the_modules_own_like_torch():
    ours = _global_run(nn, cr_hooks)
    theirs = _global_run(torch.nn, torch.nn.modules.module)
    assert ours == theirs == ["pre", "global", "own", "global backward pre",
                              "global backward", "own backward", "own"]


def test_input_used_twice_and_second_order_gradients():
    log = []
    m = nn.Tanh()
    m.register_full_backward_hook(lambda mod, gi, go: log.append(gi[0]))
    x = cr.tensor([0.3, -0.7], dtype=cr.float64, requires_grad=True)
    y = m(x)
    (gx,) = cr.autograd.grad((y * y).sum(), x, create_graph=True)
    t = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    tm = torch.nn.Tanh()
    tlog = []
    tm.register_full_backward_hook(lambda mod, gi, go: tlog.append(gi[0]))
    (tgx,) = torch.autograd.grad((tm(t) ** 2).sum(), t, create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), tgx.detach().numpy())
    np.testing.assert_allclose(log[0].detach().numpy(), tlog[0].detach().numpy())
    gx.sum().backward()
    tgx.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_hooks_counted_removed_once_and_errors_are_clear():
    gc.collect()  # modules of earlier tests, dropped with their hooks still on
    m = nn.Linear(2, 2)
    before = cr_hooks.live
    calls = []
    h = m.register_forward_hook(lambda *a: calls.append(1))
    assert cr_hooks.live == before + 1
    m(cr.ones(1, 2))
    h.remove()
    h.remove()  # a second remove does nothing
    assert cr_hooks.live == before
    m(cr.ones(1, 2))
    assert calls == [1]
    with pytest.raises(TypeError, match="callable"):
        m.register_forward_hook(3)
    h = m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input"):
        m(cr.ones(1, 2, requires_grad=True)).sum().backward()
    h.remove()
    h = m.register_forward_pre_hook(lambda mod, a, k: "nope", with_kwargs=True)
    with pytest.raises(RuntimeError, match="new_args, new_kwargs"):
        m(cr.ones(1, 2))
    h.remove()
    assert cr_hooks.live == 0


class _Triple(nn.Module):
    def forward(self, a):
        return a * 3


class _TorchTriple(torch.nn.Module):
    def forward(self, a):
        return a * 3


def test_a_module_called_twice_on_a_0d_tensor_fires_per_call_like_torch():
    logs = []
    for lib, module in ((cr, _Triple()), (torch, _TorchTriple())):
        log = []
        module.register_full_backward_hook(
            lambda m, gi, go, log=log: log.append((float(gi[0]), float(go[0]))))
        x = lib.tensor(2.0, requires_grad=True)
        (module(x) * module(x)).backward()
        logs.append((log, float(x.grad)))
    assert logs[0] == logs[1] == ([(18.0, 6.0), (18.0, 6.0)], 36.0)
