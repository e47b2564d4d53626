"""Result dtypes of binary ops between tensors follow torch.result_type, gradients included."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr

PAIRS = [  # (values, dtype) of each operand; a number alone makes a 0-d tensor
    (([1.0, 2.0], "float32"), (1.5, "float64")),
    (([1, 2], "int64"), (1.5, "float64")),
    (([1, 2], "int64"), (1.5, "float32")),
    (([1, 2], "int32"), (3, "int64")),
    (([1.0], "float64"), (1.5, "float32")),
    ((1.0, "float64"), (1.5, "float32")),
    (([1.0], "float16"), (1.5, "float64")),
    (([True, False], "bool"), (3, "int64")),
    (([[1.0, 2.0]], "float32"), ([3.0], "float64")),
    (([1.0, 2.0], "float32"), ([3, 4], "int64")),
    (([1.0, 2.0], "float16"), ([3, 4], "int64")),
    (([1, 2], "uint8"), ([3, 4], "int8")),
]
OPS = {
    "add": lambda m, a, b: a + b, "sub": lambda m, a, b: a - b, "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b, "maximum": lambda m, a, b: m.maximum(a, b),
    "minimum": lambda m, a, b: m.minimum(a, b),
    "where": lambda m, a, b: m.where(m.tensor(True), a, b),
}


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("first, second", PAIRS)
def test_result_dtype_is_torch_result_type(op, first, second):
    for a, b in ((first, second), (second, first)):
        x, y = (cr.tensor(np.array(v, dtype=d)) for v, d in (a, b))
        tx, ty = (torch.from_numpy(np.array(v, dtype=d)) for v, d in (a, b))
        if op == "sub" and "bool" in (a[1], b[1]):
            continue  # torch refuses subtracting bools
        got = OPS[op](cr, x, y)
        want = OPS[op](torch, tx, ty)
        assert str(got.dtype) == str(want.dtype).replace("torch.", ""), (a, b)
        np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-6)


def test_gradients_keep_each_operand_dtype_and_second_order_crosses_the_cast():
    x = cr.tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), requires_grad=True)
    s = cr.tensor(np.array(0.5), requires_grad=True)  # 0-d float64
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ts = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    out, tout = (x * s * x).sum(), (tx * ts * tx).sum()
    assert out.dtype == np.float32 and tout.dtype == torch.float32
    (gx,) = cr.grad(out, x, create_graph=True)
    (tgx,) = torch.autograd.grad(tout, tx, create_graph=True)
    (gs,) = cr.grad(gx.sum(), s)  # d/ds of sum(2 s x) = 2 sum(x): through the cast
    (tgs,) = torch.autograd.grad(tgx.sum(), ts)
    assert gx.dtype == np.float32 and gs.dtype == np.float64
    np.testing.assert_allclose(gs.data, tgs.numpy(), rtol=1e-6)
    assert gs.item() == pytest.approx(12.0)
