import numpy as np

import chainrule as cr


def test_reused_intermediate_accumulates():
    a = cr.tensor(3.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0


def test_second_order_cube():
    x = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    (g,) = cr.grad(x ** 3, x, create_graph=True)
    (h,) = cr.grad(g, x)
    assert np.isclose(g.item(), 12.0) and np.isclose(h.item(), 12.0)
