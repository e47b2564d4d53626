"""The Scalar engine: each op's local derivative, graph semantics, recompute, memory."""

import gc
import math
import random
import weakref

import pytest

import chainrule as cr
from chainrule import Scalar
from chainrule.graph import GraphFreedError
from chainrule.scalar import dot
from chainrule.scalar_nn import MLP, Layer, Neuron


def numeric_grad(f, xs, h=1e-6):
    """Central differences of f(*xs) in float64."""
    grads = []
    for i in range(len(xs)):
        up = list(xs)
        down = list(xs)
        up[i] += h
        down[i] -= h
        grads.append((f(*up) - f(*down)) / (2 * h))
    return grads


# Each case: (name, function of Scalars and numbers alike, input values).
CASES = [
    ("add", lambda a, b: a + b, (1.3, -0.7)),
    ("radd", lambda a: 2.5 + a, (0.4,)),
    ("sub", lambda a, b: a - b, (1.3, -0.7)),
    ("rsub", lambda a: 2.5 - a, (0.4,)),
    ("mul", lambda a, b: a * b, (1.3, -0.7)),
    ("rmul", lambda a: 2.5 * a, (0.4,)),
    ("div", lambda a, b: a / b, (1.3, -0.7)),
    ("rdiv", lambda a: 2.5 / a, (0.4,)),
    ("neg", lambda a: -a, (0.4,)),
    ("pow const", lambda a: a ** 3, (0.8,)),
    ("pow negative const", lambda a: a ** -2.5, (0.8,)),
    ("pow scalar", lambda a, b: a ** b, (1.7, 0.6)),
    ("rpow", lambda a: 3.0 ** a, (0.6,)),
    ("exp", lambda a: a.exp() if isinstance(a, Scalar) else math.exp(a), (0.3,)),
    ("log", lambda a: a.log() if isinstance(a, Scalar) else math.log(a), (1.9,)),
    ("sqrt", lambda a: a.sqrt() if isinstance(a, Scalar) else math.sqrt(a), (1.9,)),
    ("sin", lambda a: a.sin() if isinstance(a, Scalar) else math.sin(a), (0.9,)),
    ("cos", lambda a: a.cos() if isinstance(a, Scalar) else math.cos(a), (0.9,)),
    ("tanh", lambda a: a.tanh() if isinstance(a, Scalar) else math.tanh(a), (0.9,)),
    ("sigmoid", lambda a: a.sigmoid() if isinstance(a, Scalar) else 1 / (1 + math.exp(-a)),
     (-0.9,)),
    ("relu +", lambda a: a.relu() if isinstance(a, Scalar) else max(a, 0.0), (0.9,)),
    ("relu -", lambda a: a.relu() if isinstance(a, Scalar) else max(a, 0.0), (-0.9,)),
    ("composite", lambda a, b: (a * b + a / b) ** 2 - b, (0.7, 1.6)),
]


@pytest.mark.parametrize("name,fn,values", CASES, ids=[c[0] for c in CASES])
def test_each_op_value_and_gradient(name, fn, values):
    xs = [Scalar(v) for v in values]
    out = fn(*xs)
    out.backward()
    assert out.data == pytest.approx(fn(*values), rel=1e-12)
    expected = numeric_grad(fn, values)
    for x, e in zip(xs, expected):
        assert x.grad == pytest.approx(e, rel=1e-6, abs=1e-9)


def test_matches_pytorch_float64():
    torch = pytest.importorskip("torch")
    vals = (0.7, 1.6)
    xs = [Scalar(v) for v in vals]
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in vals]

    def f(a, b):  # the same code runs on Scalars and on torch tensors
        return ((a * b).exp() + a.sigmoid() * b ** a - (a / b).tanh() ** 2
                + (a + 1).log() * b.sin() - a.cos().relu() + b.sqrt())

    out = f(*xs)
    ref = f(*ts)
    out.backward()
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-14)
    for x, t in zip(xs, ts):
        assert x.grad == pytest.approx(t.grad.item(), rel=1e-12)


def test_gradient_of_log_x1_plus_x1x2_minus_sin_x2():
    # f(x1, x2) = log x1 + x1 x2 - sin x2 at (2, 5): grad = (1/x1 + x2, x1 - cos x2)
    x1, x2 = Scalar(2.0), Scalar(5.0)
    f = x1.log() + x1 * x2 - x2.sin()
    f.backward()
    assert f.data == math.log(2) + 10 - math.sin(5)
    assert x1.grad == 1 / 2 + 5
    assert x2.grad == pytest.approx(2 - math.cos(5), rel=1e-15)


def test_sigmoid_neuron_graph_values():
    x1, x2, y = (Scalar(v, requires_grad=False) for v in (1.5, 2.5, 1.0))
    w1, w2, b = Scalar(-4.0), Scalar(3.0), Scalar(-1.0)
    yhat = (w1 * x1 + w2 * x2 + b).sigmoid()
    loss = -y * yhat.log() - (1 - y) * (1 - yhat).log()
    loss.backward()
    assert round(yhat.data, 4) == 0.6225
    assert round(loss.data, 4) == 0.4741
    assert (round(w1.grad, 4), round(w2.grad, 4), round(b.grad, 4)) == (-0.5663, -0.9439, -0.3775)
    assert x1.grad is None and y.grad is None  # data does not require grad


def test_reused_intermediate_accumulates():
    a = Scalar(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    a2 = Scalar(3.0)
    d = a2 * a2 * a2  # d/da a^3 = 3 a^2
    d.backward()
    assert a2.grad == 27.0


def test_leaves_accumulate_and_freed_graph_raises():
    x = Scalar(2.0)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad == 8.0
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        y.backward()


def test_intermediates_keep_grad_only_when_asked():
    x = Scalar(2.0)
    h = (x * 3.0).retain_grad()
    k = x * 5.0
    out = h * k
    out.backward()
    assert h.grad == 10.0
    assert k.grad is None
    assert x.grad == 2 * 15 * 2.0


def _shared_graph():
    """A graph with a reused intermediate, constants, a dot node and every kind of op."""
    w, v = Scalar(0.7, label="w"), Scalar(-1.3, label="v")
    c = Scalar(2.0, requires_grad=False)
    h = (w * v + 0.5).tanh()
    k = dot([h, w, v], [v, c, h], 0.25)
    out = (h * k - 1.0 / (k + 3.0)) ** 2 + (v * c).sigmoid() * h - h.exp()
    return out, (w, v, c)


def test_fast_backward_sums_exactly_as_the_shared_engine():
    # Scalar.backward runs its own pass unless a hook or anomaly mode needs
    # graph.backward; both sum each gradient in the same order, so the numbers agree
    # to the last bit, and the leaves accumulate alike over two calls.
    out, leaves = _shared_graph()
    out.backward(retain_graph=True)
    out.backward()
    fast = [x.grad for x in leaves]
    out, leaves = _shared_graph()
    cr.graph.backward([out], [1.0], retain_graph=True)
    cr.graph.backward([out], [1.0])
    assert fast == [x.grad for x in leaves] and fast[2] is None
    assert all(isinstance(g, float) for g in fast[:2])


def test_hooks_on_scalars_run_through_the_shared_engine():
    x = Scalar(3.0)
    h = x * x
    handle = cr.graph.register_hook(h, lambda g: 2.0 * g)
    (h + 1.0).backward()
    assert x.grad == 2.0 * 6.0
    handle.remove()
    x.grad = None
    (x * x + 1.0).backward()  # no hook left: the Scalar-only pass again
    assert x.grad == 6.0


def test_a_freed_node_deep_in_the_graph_raises_and_leaves_the_graph_usable():
    x = Scalar(1.5)
    y = x * x
    z = y.sin() + x
    y.backward()  # frees y only
    x.grad = None
    with pytest.raises(GraphFreedError, match="op 'mul'"):
        z.backward(retain_graph=True)
    assert x.grad is None  # nothing was published
    y.forward()  # re-arms y; the failed pass left no marks behind
    z.backward()
    assert x.grad == pytest.approx(math.cos(1.5 * 1.5) * 2 * 1.5 + 1.0, rel=1e-15)


def test_a_result_of_constants_made_a_leaf_gets_a_gradient():
    c = Scalar(3.0, requires_grad=False)
    k = c * c  # recorded (forward() can redo it) but needs no gradient: a leaf
    assert k.is_leaf and not k.requires_grad
    k.requires_grad_()
    x = Scalar(2.0)
    (k * x).backward()
    assert (k.grad, x.grad, c.grad) == (2.0, 9.0, None)


def test_backward_from_a_leaf():
    x = Scalar(2.0)
    x.backward(gradient=3.0)
    x.backward()
    assert x.grad == 4.0


def test_backward_with_a_given_output_gradient():
    x = Scalar(2.0)
    (x * x).backward(gradient=0.5)
    assert x.grad == 2.0


def test_no_grad_records_nothing():
    x = Scalar(2.0)
    with cr.no_grad():
        y = x * x + 1
    assert y.data == 5.0
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    z = x * x  # recording is back on
    assert z.requires_grad and not z.is_leaf


def test_constants_get_no_gradient():
    c = Scalar(4.0, requires_grad=False)
    x = Scalar(2.0)
    (x * c).backward()
    assert x.grad == 4.0 and c.grad is None
    k = c * c
    assert not k.requires_grad


def test_relu_at_zero_has_zero_gradient():
    x = Scalar(0.0)
    y = x.relu()
    y.backward()
    assert y.data == 0.0 and x.grad == 0.0


def test_pow_edge_derivatives():
    # d/db a**b at a = 0 is 0 (the limit), and it is nan for a negative base.
    a, b = Scalar(0.0), Scalar(2.0)
    (a ** b).backward()
    assert a.grad == 0.0 and b.grad == 0.0
    a, b = Scalar(-2.0), Scalar(2.0)
    (a ** b).backward()
    assert a.grad == -4.0 and math.isnan(b.grad)
    # at a = 0 the derivative is inf for 0 < b < 1 and 0 for b = 0 (PyTorch's values)
    a = Scalar(0.0)
    (a ** 0.5).backward()
    assert a.grad == math.inf
    a, b = Scalar(0.0), Scalar(0.0)
    out = a ** b
    out.backward()
    assert (out.data, a.grad, b.grad) == (1.0, 0.0, 0.0)


def test_pow_matches_pytorch_at_edges():
    torch = pytest.importorskip("torch")
    for base, exponent in [(0.0, 0.5), (0.0, 0.0), (0.0, 2.0), (-2.0, 3.0), (1.5, -0.5)]:
        a, b = Scalar(base), Scalar(exponent)
        (a ** b).backward()
        ta = torch.tensor(base, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(exponent, dtype=torch.float64, requires_grad=True)
        (ta ** tb).backward()
        assert a.grad == pytest.approx(ta.grad.item(), nan_ok=True), (base, exponent)
        assert b.grad == pytest.approx(tb.grad.item(), nan_ok=True), (base, exponent)


def test_sigmoid_is_stable_far_out():
    lo, hi = Scalar(-1000.0).sigmoid(), Scalar(1000.0).sigmoid()
    assert lo.data == 0.0 and hi.data == 1.0


def test_clear_errors():
    with pytest.raises(ValueError, match="log"):
        Scalar(-1.0).log()
    with pytest.raises(ValueError, match=r"pow\(0.0, -1.0\)"):
        Scalar(0.0) ** -1
    with pytest.raises(ValueError, match="no real power"):
        Scalar(-8.0) ** (1 / 3)
    with pytest.raises(ValueError, match=r"exp\(1000.0\): math range error"):
        Scalar(1000.0).exp()
    with pytest.raises(TypeError):
        Scalar(1.0) + "a"
    with pytest.raises(TypeError, match="real number"):
        Scalar("x")


def test_comparisons_and_float_compare_values():
    a, b = Scalar(1.0), Scalar(2.0)
    assert a < b and b >= 2 and float(b) == 2.0 and b.item() == 2.0
    # control flow on values: the graph follows the branch taken
    x = Scalar(3.0)
    y = x * x if x > 0 else -x
    y.backward()
    assert x.grad == 6.0


# -- deep graphs, recompute, memory -------------------------------------------------

def test_million_op_chain_forward_and_backward():
    gc.disable()  # the collector's passes over a million live nodes only cost time here
    try:
        x = Scalar(0.5)
        y = x
        for _ in range(1_000_000):
            y = y + 1.0
        y.backward()
        assert y.data == 1_000_000.5
        assert x.grad == 1.0
        del y  # freeing a million-deep chain must not overflow the C stack either
    finally:
        gc.enable()


def test_forward_recomputes_a_deep_chain():
    x = Scalar(1.0)
    y = x
    for _ in range(50_000):
        y = y * 1.0 + 1.0  # 100,000 nodes: recomputed without recursion
    x.data = 3.0
    assert y.forward() == 50_003.0


def test_forward_recomputes_the_graph_after_leaves_change():
    # Build the graph once with placeholder values, then set the real values.
    x1, x2, y = (Scalar(0.0, label=n, requires_grad=False) for n in ("x1", "x2", "y"))
    w1, w2, b = Scalar(0.0, "w1"), Scalar(0.0, "w2"), Scalar(0.0, "b")
    z = w1 * x1 + w2 * x2 + b
    yhat = z.sigmoid()
    loss = -y * yhat.log() - (1 - y) * (1 - yhat).log()
    assert loss.data == pytest.approx(math.log(2))
    x1.data, x2.data, w1.data, w2.data, b.data, y.data = 1.5, 2.5, -4.0, 3.0, -1.0, 1.0
    assert round(loss.forward(), 4) == 0.4741
    assert round(yhat.data, 4) == 0.6225
    loss.backward()
    assert round(w1.grad, 4) == -0.5663
    # The backward freed the graph; forward() evaluates again and re-arms it.
    with pytest.raises(GraphFreedError):
        loss.backward()
    for p in (w1, w2, b):
        p.zero_grad()
    y.data = 0.0
    value = loss.forward()
    loss.backward()
    expected = -math.log(1 - 1 / (1 + math.exp(-(-4 * 1.5 + 3 * 2.5 - 1))))
    assert value == pytest.approx(expected, rel=1e-14)
    assert b.grad == pytest.approx(yhat.data - 0.0, rel=1e-14)  # dL/db = yhat - y


def test_forward_recomputes_dot_and_pow_nodes():
    w, x, e = Scalar(2.0), Scalar(3.0), Scalar(2.0)
    out = dot([w], [x], 1.0) ** e + 2.0 ** x
    assert out.data == 49.0 + 8.0
    x.data = 1.0
    assert out.forward() == 9.0 + 2.0
    out.backward()
    assert w.grad == 2 * 3.0 * 1.0
    assert x.grad == pytest.approx(2 * 3.0 * 2.0 + 2.0 * math.log(2.0))


def test_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        w = Scalar(0.3)
        h = (w * 2.0).tanh()
        out = dot([h, w], [h, 4.0], 1.0).exp() + h ** w
        probe = weakref.ref(h)
        out.backward()
        del h
        assert probe() is not None  # still reachable from out
        del out
        assert probe() is None  # gone without the cycle collector
        assert w.grad is not None
    finally:
        gc.enable()
    # and nothing cyclic was left behind for the collector to find
    x = Scalar(1.0)
    for _ in range(3):
        y = (x * x + x).sigmoid()
        y.backward()
    del y
    assert gc.collect() == 0


# -- dot and the teaching network ------------------------------------------------------

def test_dot_is_bit_identical_to_the_chain():
    rng = random.Random(3)
    ws = [Scalar(rng.uniform(-1, 1)) for _ in range(7)]
    xs = [Scalar(rng.uniform(-1, 1)) for _ in range(7)]
    b = Scalar(0.1)
    fused = dot(ws, xs, b)
    chain = sum((w * x for w, x in zip(ws, xs)), b)
    assert fused.data == chain.data
    fused.backward()
    g_fused = [v.grad for v in ws + xs + [b]]
    for v in ws + xs + [b]:
        v.grad = None
    chain.backward()
    assert g_fused == [v.grad for v in ws + xs + [b]]


def test_dot_errors():
    with pytest.raises(ValueError, match="2 weights but 1 inputs"):
        dot([Scalar(1.0), Scalar(2.0)], [1.0])
    with pytest.raises(TypeError, match="dot"):
        dot([Scalar(1.0)], ["a"])


def test_teaching_mlp_api_and_training():
    random.seed(0)
    model = MLP(2, [8, 1])
    assert len(model.parameters()) == 2 * 8 + 8 + 8 + 1
    names = [n for n, _ in model.named_parameters()]
    assert names[0] == "layers.0.neurons.0.w.0" and names[-1] == "layers.1.neurons.0.b"
    assert repr(model) == "MLP(Layer(2, 8, nonlin=True), Layer(8, 1, nonlin=False))"
    assert isinstance(model.layers[0], Layer) and isinstance(model.layers[0].neurons[0], Neuron)
    data = [([-1.0, -1.0], 1.0), ([1.0, 1.0], 1.0), ([-1.0, 1.0], -1.0), ([1.0, -1.0], -1.0)]

    def loss_fn():
        return sum(((model(x) - y) ** 2 for x, y in data), Scalar(0.0, requires_grad=False))

    first = loss_fn().data
    for _ in range(60):
        model.zero_grad()
        loss = loss_fn()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
    assert loss_fn().data < 0.2 * first
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(ValueError, match="got 3 inputs"):
        model([1.0, 2.0, 3.0])


def test_identical_numbers_to_micrograd():
    pytest.importorskip("micrograd")
    from micrograd.engine import Value
    from micrograd.nn import MLP as MicroMLP

    random.seed(0)
    theirs = MicroMLP(2, [16, 16, 1])
    ours = MLP(2, [16, 16, 1])
    for p_src, p_dst in zip(theirs.parameters(), ours.parameters(), strict=True):
        p_dst.data = float(p_src.data)
    rng = random.Random(1)
    samples = [([rng.uniform(-1, 1), rng.uniform(-1, 1)], rng.uniform(-1, 1)) for _ in range(20)]
    loss_t = sum(((theirs(x) - y) ** 2 for x, y in samples), Value(0.0))
    loss_o = sum(((ours(x) - y) ** 2 for x, y in samples), Scalar(0.0, requires_grad=False))
    loss_t.backward()
    loss_o.backward()
    assert loss_o.data == loss_t.data  # forward: the very same float operations
    for p_t, p_o in zip(theirs.parameters(), ours.parameters()):
        # backward: the same terms, summed in an order that may differ in the last bit
        assert (p_o.grad or 0.0) == pytest.approx(p_t.grad, rel=1e-12, abs=1e-15)


def test_small_conveniences():
    x = Scalar(0.25, label="x")
    assert f"{x:.2f}" == "0.25" and f"{x}" == repr(x) == "Scalar(label='x', data=0.2500)"
    assert bool(Scalar(0.0)) is False and bool(x) is True
    d = (x * 2).detach()
    assert d.data == 0.5 and d.is_leaf and not d.requires_grad
    c = Scalar(1.0).requires_grad_(False)
    assert not (c * 2).requires_grad
    with pytest.raises(RuntimeError, match="only a leaf"):
        (x * 2).requires_grad_(False)
    with pytest.raises(NotImplementedError, match="create_graph"):
        y = x * x
        cr.graph.backward([y], [1.0], create_graph=True)


def test_forward_names_the_op_that_fails():
    x = Scalar(2.0)
    y = (x * 1.0).log() + 1
    x.data = -1.0
    with pytest.raises(ValueError, match=r"forward\(\): log\(-1.0\)"):
        y.forward()
