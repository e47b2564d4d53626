"""chainrule.explain: backward table, DOT graphs, Jacobians, memory, anomaly mode, CLI."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule import explain, nn
from chainrule.explain import cli, expr
from chainrule.explain.anomaly import AnomalyError
from chainrule.explain.dot import GraphvizMissing

HAVE_DOT = shutil.which("dot") is not None
try:
    import graphviz  # noqa: F401
    HAVE_GRAPHVIZ = True
except ImportError:  # pragma: no cover - graphviz is in the test environment
    HAVE_GRAPHVIZ = False


def trace_example():
    x1 = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    x2 = cr.tensor(5.0, dtype=cr.float64, requires_grad=True)
    x1.label, x2.label = "x1", "x2"
    return x1, x2, cr.log(x1) + x1 * x2 - cr.sin(x2)


# The evaluation trace of log(x1) + x1*x2 - sin(x2) and its adjoints, as chainrule prints it
# (0-d float64 Tensors).
TRACE_TABLE = """\
step  pass      assignment                numbers              value      note
1     forward   v_-1 = x1                                      2
2     forward   v_0 = x2                                       5
3     forward   v_1 = log(v_-1)           log(2)               0.693147
4     forward   v_2 = v_-1 * v_0          2 * 5                10
5     forward   v_3 = sin(v_0)            sin(5)               -0.958924
6     forward   v_4 = v_1 + v_2           0.693147 + 10        10.6931
7     forward   v_5 = v_4 - v_3           10.6931 - -0.958924  11.6521
8     backward  v̄_5 = 1                                        1          start
9     backward  v̄_4 = v̄_5 · ∂v_5/∂v_4     1 · 1                1
10    backward  v̄_3 = v̄_5 · ∂v_5/∂v_3     1 · -1               -1
11    backward  v̄_1 = v̄_4 · ∂v_4/∂v_1     1 · 1                1
12    backward  v̄_2 = v̄_4 · ∂v_4/∂v_2     1 · 1                1
13    backward  v̄_0 = v̄_3 · ∂v_3/∂v_0     -1 · 0.283662        -0.283662  fan-out: contribution 1 of 2
14    backward  v̄_-1 = v̄_2 · ∂v_2/∂v_-1   1 · 5                5          fan-out: contribution 1 of 2
15    backward  v̄_0 += v̄_2 · ∂v_2/∂v_0    1 · 2                1.71634    fan-out: contribution 2 of 2
16    backward  v̄_-1 += v̄_1 · ∂v_1/∂v_-1  1 · 0.5              5.5        fan-out: contribution 2 of 2"""


# ---------------------------------------------------------------------------
# Backward table
# ---------------------------------------------------------------------------

def test_trace_table_text():
    *_, f = trace_example()
    assert str(explain.backward_table(f)) == TRACE_TABLE


def test_trace_table_gradients_and_values():
    x1, x2, f = trace_example()
    table = explain.backward_table(f)
    grads = table.gradients
    assert float(grads["x1"]) == pytest.approx(5.5)
    assert float(grads["x2"]) == pytest.approx(2 - math.cos(5))
    forward = {r.lhs: float(r.value) for r in table.rows if r.pass_ == "forward"}
    assert forward == pytest.approx({
        "v_-1": 2, "v_0": 5, "v_1": math.log(2), "v_2": 10, "v_3": math.sin(5),
        "v_4": math.log(2) + 10, "v_5": math.log(2) + 10 - math.sin(5)})


def test_table_leaves_grad_alone_and_matches_backward():
    x1, x2, f = trace_example()
    table = explain.backward_table(f)
    assert x1.grad is None and x2.grad is None
    f.backward()  # the graph was not freed by the table
    assert float(x1.grad) == pytest.approx(float(table.gradient(x1)))
    assert float(x2.grad) == pytest.approx(float(table.gradient(x2)))


def test_table_engine_order_same_rows_other_order():
    *_, f = trace_example()
    trace_rows = explain.backward_table(f).rows
    engine_rows = explain.backward_table(f, order="engine").rows
    order = lambda rows: [r.rhs for r in rows if r.pass_ == "backward"]  # noqa: E731
    assert order(trace_rows) != order(engine_rows)
    # the same set of adjoint terms (which one is '=' and which '+=' depends on order) ...
    terms = lambda rows: sorted(r.rhs for r in rows if r.pass_ == "backward")  # noqa: E731
    assert terms(trace_rows) == terms(engine_rows)
    # ... and the same final gradients
    a = explain.backward_table(f).gradients
    b = explain.backward_table(f, order="engine").gradients
    assert a == pytest.approx(b)


def test_table_shows_unbroadcast_sum_as_a_step():
    x = cr.randn(3, 4, requires_grad=True)
    b = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b.label = "b"
    table = explain.backward_table(((x + b) * 2).sum())
    text = str(table)
    assert "v̄_0 = sum(t, axis=0)" in text
    assert "un-broadcast: (3, 4) → (4,)" in text
    np.testing.assert_allclose(table.gradients["b"], [6, 6, 6, 6])
    row = cr.randn(3, 1, requires_grad=True)
    t2 = str(explain.backward_table((x + row).sum()))
    assert "sum(t, axis=1)" in t2 and "(3, 4) → (3, 1)" in t2
    c = cr.randn(1, 4, requires_grad=True)
    t3 = str(explain.backward_table((x * c).sum()))
    assert "sum(t, axis=0)" in t3 and "(3, 4) → (1, 4)" in t3


def test_table_fan_out_accumulates_with_plus_equals():
    a = cr.tensor(3.0, dtype=cr.float64, requires_grad=True)
    b = a + a
    c = b + b  # dc/da = 4
    table = explain.backward_table(c)
    plus = [r for r in table.rows if r.op == "+="]
    assert len(plus) == 2
    assert float(table.gradient(a)) == 4.0


def test_table_markdown_and_errors():
    x1, x2, f = trace_example()
    md = explain.backward_table(f).to_markdown().splitlines()
    assert md[0] == "| step | pass | assignment | numbers | value | note |"
    assert "| 16 | backward | v̄_-1 += v̄_1 · ∂v_1/∂v_-1 | 1 · 0.5 | 5.5 | fan-out: contribution 2 of 2 |" in md
    v = cr.randn(3, requires_grad=True) * 2
    with pytest.raises(ValueError, match="pass gradient"):
        explain.backward_table(v)
    assert "v̄_1 = [1, 1, 1]" in str(explain.backward_table(v, gradient=np.ones(3)))
    f.backward()
    with pytest.raises(RuntimeError, match="freed"):
        explain.backward_table(f)
    with pytest.raises(ValueError, match="no backward pass"):
        explain.backward_table(cr.tensor(1.0))


def test_table_on_scalars():
    x1 = cr.Scalar(2.0, label="x1")
    x2 = cr.Scalar(5.0, label="x2")
    f = x1.log() + x1 * x2 - x2.sin()
    table = explain.backward_table(f)
    assert table.gradients["x1"] == pytest.approx(5.5)
    assert table.gradients["x2"] == pytest.approx(2 - math.cos(5))
    text = str(table)
    assert "v_1 = log(v_-1)" in text and "v_2 = v_-1 * v_0" in text
    assert "v̄_-1 += v̄_1 · ∂v_1/∂v_-1  1 · 0.5" in text
    assert x1.grad is None


# ---------------------------------------------------------------------------
# DOT graphs
# ---------------------------------------------------------------------------

def test_to_dot_nodes_and_colours():
    w = cr.tensor([1.0, -2.0], requires_grad=True)
    w.label = "w"
    x = cr.tensor([3.0, 4.0])
    x.label = "x"
    loss = (w * x).sum()
    loss.backward(retain_graph=True)
    text = explain.to_dot(loss)
    lines = text.splitlines()
    assert lines[0] == "digraph chainrule {" and lines[-1] == "}"
    value_nodes = [ln for ln in lines if "shape=plaintext" in ln]
    op_nodes = [ln for ln in lines if "shape=box" in ln]
    assert len(value_nodes) == 4 and len(op_nodes) == 2  # w, x, w*x, loss; mul, sum
    w_node = next(ln for ln in value_nodes if "<b>w</b>" in ln)
    x_node = next(ln for ln in value_nodes if "<b>x</b>" in ln)
    assert "#69B0F9" in w_node and "parameter" in w_node and "(2,) float32" in w_node
    assert "data [1, -2]" in w_node and 'bgcolor="#D3443D"' in w_node and "grad [3, 4]" in w_node
    assert "#72E254" in x_node and "data" in x_node and "grad" not in x_node
    assert "n0 -> op_n2;" in text and "n1 -> op_n2;" in text and "op_n2 -> n2;" in text


def test_to_dot_summarises_large_arrays_and_shows_constants():
    x = cr.ones(100, 100, requires_grad=True)
    text = explain.to_dot((x * 2).sum())
    assert "(100, 100) float32 min 1 mean 1 max 1" in text
    assert 'label="2"' in text  # the Python constant 2 is a node


def test_to_dot_scalar_graph():
    a = cr.Scalar(2.0, label="a")
    b = cr.Scalar(-3.0, label="b", requires_grad=False)
    out = (a * b).tanh()
    out.backward()
    text = explain.to_dot(out)
    assert "<b>a</b>" in text and "data 2" in text and "grad" in text
    assert "tanh" in text and "mul" in text
    assert "() float" not in text  # scalars show their value, not a shape


def test_to_dot_backward_draws_the_bigger_network():
    x1, x2, f = trace_example()
    text = explain.to_dot(f, backward=True)
    assert "∂L/∂x1" in text and "∂L/∂x2" in text and "∂L/∂L" in text
    assert "cos" in text  # sin's VJP, recorded as an op of the backward graph
    assert "saved forward value" in text and "#F7E059" in text
    assert "legend" in text
    assert x1.grad is None  # recorded on the side, .grad untouched
    # after backward(create_graph=True) the existing gradient graphs are drawn
    x1b, x2b, fb = trace_example()
    fb.backward(create_graph=True)
    text2 = explain.to_dot(fb, backward=True)
    assert "∂L/∂x1" in text2 and "∂L/∂L" not in text2


def test_to_dot_refuses_non_values():
    with pytest.raises(TypeError, match="chainrule value"):
        explain.to_dot(np.ones(3))


# .ci/run installs Graphviz and sets this: there, a missing dot fails the test, never skips it
REQUIRE_GRAPHVIZ = os.environ.get("CHAINRULE_REQUIRE_GRAPHVIZ") == "1"


@pytest.mark.skipif(not (HAVE_DOT and HAVE_GRAPHVIZ) and not REQUIRE_GRAPHVIZ,
                    reason="needs Graphviz's dot program")
def test_render_svg_and_png(tmp_path):
    *_, f = trace_example()
    svg = explain.render(f, tmp_path / "f.svg")
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    png = explain.render(f, tmp_path / "f.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert explain.graph(f)._repr_svg_().lstrip().startswith(("<?xml", "<svg"))


@pytest.mark.skipif(not HAVE_GRAPHVIZ, reason="needs the graphviz package")
def test_render_without_dot_program_offers_dot_text(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    *_, f = trace_example()
    with pytest.raises(GraphvizMissing, match="apt-get install graphviz") as info:
        explain.render(f, tmp_path / "f.svg")
    assert info.value.dot.startswith("digraph")
    assert (tmp_path / "f.dot").read_text() == info.value.dot
    assert explain.graph(f)._repr_svg_() is None
    assert "DOT text" in repr(explain.graph(f))


def test_render_without_graphviz_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    *_, f = trace_example()
    with pytest.raises(GraphvizMissing, match="pip install graphviz"):
        explain.render(f, tmp_path / "g.png")
    assert (tmp_path / "g.dot").exists()


# ---------------------------------------------------------------------------
# Jacobians
# ---------------------------------------------------------------------------

def test_jacobian_of_elementwise_and_matmul():
    x = cr.tensor([1.0, 2.0, 3.0], dtype=cr.float64, requires_grad=True)
    J = explain.jacobian(x * x)
    np.testing.assert_array_equal(J.Lx, np.diag([2.0, 4.0, 6.0]))
    assert J.Ltheta is None
    W = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    W.label = "W"
    h = x.sin()  # an activation: W is then told apart as a parameter
    J = explain.jacobian(W @ h)
    np.testing.assert_allclose(J.Lx, W.data)  # d(Wh)/dh = W
    np.testing.assert_allclose(J.Ltheta, np.kron(np.eye(2), np.sin(x.numpy(force=True))[None, :]))
    assert [b.role for b in J.blocks] == ["θ", "x"]
    assert "L^θ wrt W (2, 3): 2x6" in str(J)


def test_jacobian_scalar_and_limits():
    a = cr.Scalar(0.5, label="a")
    J = explain.jacobian(a.tanh())
    assert J.Lx[0, 0] == pytest.approx(1 - math.tanh(0.5) ** 2)
    big = cr.ones(2000, requires_grad=True)
    with pytest.raises(ValueError, match="above max_entries"):
        explain.jacobian(big * 2)
    y = big.sum()
    y.backward()
    with pytest.raises(RuntimeError, match="freed"):
        explain.jacobian(y)


def test_layer_jacobians_of_callables_check_the_engines_vjp():
    W = cr.tensor([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]], dtype=cr.float64, requires_grad=True)
    W.label = "W"
    layers = [lambda h: h @ W.T, lambda h: h.tanh(), lambda h: (h * h).sum()]
    x = cr.tensor([0.3, -0.2], dtype=cr.float64)
    result = explain.layer_jacobians(layers, x)
    assert len(result) == 3
    np.testing.assert_allclose(result[0].Lx, W.data)
    assert result[0].param_names == ["W"] and result[0].Ltheta.shape == (3, 6)
    z = W.numpy(force=True) @ x.numpy(force=True)
    np.testing.assert_allclose(result[1].Lx, np.diag(1 - np.tanh(z) ** 2))
    for lj in result:
        assert lj.error < 1e-12
    # g_in = g_out L^x, chained by hand, is the gradient backward() gives
    xg = x.detach().requires_grad_()
    out = layers[2](layers[1](layers[0](xg)))
    out.backward()
    g = np.ones(1)
    for lj in reversed(result):
        g = g.reshape(-1) @ lj.Lx
    np.testing.assert_allclose(g, xg.grad.data)
    assert "max|g_out L - VJP|" in str(result)


def test_layer_jacobians_of_sequential():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = cr.randn(2, 3)
    result = explain.layer_jacobians(model, x)
    first = result[0]
    assert first.name == "Linear" and first.param_names == ["weight", "bias"]
    assert first.Lx.shape == (8, 6) and first.Ltheta.shape == (8, 16)
    np.testing.assert_allclose(first.Lx, np.kron(np.eye(2), model[0].weight.data), rtol=1e-6)
    assert result[1].Ltheta is None
    assert max(lj.error for lj in result) < 1e-5
    with pytest.raises(ValueError, match="max_entries"):
        explain.layer_jacobians(model, x, max_entries=10)
    with pytest.raises(TypeError, match="iterable of callables"):
        explain.layer_jacobians(object(), x)


# ---------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------

def test_memory_report_counts_buffers_once():
    x = cr.ones(1000, requires_grad=True)
    y = x.exp()                 # exp saves its output: 4000 bytes, also its value
    z = (y * y).sum()           # mul saves y twice: the same buffer
    report = explain.memory_report(z)
    assert report.total == 4000 + 4000 + 4
    mul = next(op for op in report.ops if op.op == "mul")
    assert [it.counted for it in mul.items if it.what == "saved"] == [0, 0]
    assert report.leaf_bytes == 4000
    assert "total kept for backward" in str(report)


def test_memory_report_views_and_modules():
    base = cr.ones(100, 10, requires_grad=True) * 1.0   # a non-leaf of 4000 bytes
    rows = base[0:50]                                   # a view of it
    report = explain.memory_report((rows * rows).sum())
    shared = [it for op in report.ops for it in op.items if it.shape == (50, 10)]
    assert shared and all(it.counted == 0 for it in shared if it.what == "saved")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    report = explain.memory_report(model(cr.randn(5, 3)).sum(), model)
    assert set(report.by_module) >= {"0", "2"}
    # as in PyTorch, a layer keeps its weight only for its input's gradient: the first
    # layer's input needs none, the second's does
    assert "leaf 2.weight" in str(report) and "leaf 0.weight" not in str(report)


# ---------------------------------------------------------------------------
# Anomaly mode
# ---------------------------------------------------------------------------

def test_anomaly_forward_names_op_line_and_inputs():
    x = cr.tensor([1.0, -1.0, 2.0], requires_grad=True)
    with pytest.raises(AnomalyError) as info, np.errstate(all="ignore"):
        with cr.detect_anomaly():
            y = x * 2
            y = (y - 1).log()  # the NaN is born here
    err = info.value
    assert err.op == "log" and err.pass_ == "forward"
    text = str(err)
    assert "y = (y - 1).log()  # the NaN is born here" in text
    assert "test_explain.py" in text
    assert "(3,) float32 min -3" in text and "max 3" in text
    assert not cr.graph._mode.anomaly  # the mode was restored


def test_anomaly_backward_names_the_op_whose_vjp_failed():
    w = cr.tensor([0.0, 4.0], requires_grad=True)
    with pytest.raises(AnomalyError) as info, np.errstate(all="ignore"):
        with cr.detect_anomaly():
            s = w.sqrt().sum()
            s.backward()
    err = info.value
    assert err.op == "sqrt" and err.pass_ == "backward"
    assert "s = w.sqrt().sum()" in str(err) and "s.backward()" in str(err)
    assert "inf" in str(err)


def test_anomaly_off_costs_nothing_and_check_nan_false():
    x = cr.tensor([-1.0], requires_grad=True)
    with np.errstate(all="ignore"):
        y = x.log()
        assert y._ctx._trace is None
        with cr.detect_anomaly(check_nan=False):
            z = x.log()
    assert z._ctx._trace is not None and "z = x.log()" in z._ctx._trace.line

    @cr.detect_anomaly()
    def step():
        return x.log()

    with pytest.raises(AnomalyError), np.errstate(all="ignore"):
        step()


def test_anomaly_is_thread_local_and_works_for_scalars():
    seen = []

    def other():
        seen.append(cr.graph._mode.anomaly)

    with cr.detect_anomaly():
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen == [False]
    a = cr.Scalar(-2.0, label="a")
    out = cr.Scalar(-1.0, requires_grad=False) ** a  # d/da of (-1)**a is nan
    with pytest.raises(AnomalyError, match="op 'pow'"):
        with cr.detect_anomaly():
            out.backward()


# ---------------------------------------------------------------------------
# Formulas and the command line
# ---------------------------------------------------------------------------

def run_cli(argv, capsys):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    code = cli.run(parser.parse_args(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_on_tensors_prints_the_trace_table(capsys):
    code, out, _ = run_cli(["log(x1) + x1*x2 - sin(x2)", "--at", "x1=2", "x2=5",
                            "--engine", "tensor"], capsys)
    assert code == 0
    assert "value: 11.6521" in out
    assert "∂f/∂x1 = 5.5" in out and "∂f/∂x2 = 1.71634" in out
    assert TRACE_TABLE in out


def test_cli_default_engine_is_scalar(capsys):
    code, out, _ = run_cli(["log(x1) + x1*x2 - sin(x2)", "--at", "x1=2", "x2=5"], capsys)
    assert code == 0 and "∂f/∂x1 = 5.5" in out and "∂f/∂x2 = 1.71634" in out
    tree = expr.parse("x * 2")
    assert isinstance(expr.evaluate(tree, {"x": 1.0}), cr.Scalar)


def test_cli_writes_dot_and_svg(tmp_path, capsys):
    dot_file, svg_file = tmp_path / "g.dot", tmp_path / "g.svg"
    code, out, err = run_cli(["x*sigmoid(x) + abs(x)", "--at", "x=-0.5", "--dot", str(dot_file),
                              "--svg", str(svg_file), "--markdown"], capsys)
    assert dot_file.read_text().startswith("digraph")
    assert "| step | pass |" in out
    if HAVE_DOT and HAVE_GRAPHVIZ:
        assert code == 0 and svg_file.read_text().lstrip().startswith(("<?xml", "<svg"))
    else:  # pragma: no cover
        assert code == 1 and "install" in err


@pytest.mark.parametrize("formula, refused", [
    ("__import__('os').system('ls')", "'__import__'"),
    ("x.real", "attribute access"),
    ("x[0]", "subscripts"),
    ("(lambda: 1)()", "lambdas"),
    ("x // 2", "'//'"),
    ("open('f')", "calling 'open'"),
    ("'a' + x", "not a real number"),
    ("x < 1", "comparisons"),
    ("log(x, 2)", "exactly one argument"),
    ("x +", "can't parse"),
    ("__builtins__", "dunder"),
])
def test_cli_refuses_with_one_line(formula, refused, capsys):
    code, out, err = run_cli([formula, "--at", "x=1"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and refused in err


def test_cli_errors_for_points_and_constants(capsys):
    code, _, err = run_cli(["x + y", "--at", "x=1"], capsys)
    assert code == 2 and "no value for 'y'" in err
    code, _, err = run_cli(["x", "--at", "x=abc"], capsys)
    assert code == 2 and "not a number" in err
    code, out, _ = run_cli(["2 * 3"], capsys)
    assert code == 0 and "value: 6" in out and "no variables" in out
    code, out, _ = run_cli(["x", "--at", "x=4"], capsys)
    assert code == 0 and "∂f/∂x = 1" in out


def test_main_cli_and_python_dash_m():
    from chainrule.cli import main

    assert main(["explain", "x*y", "--at", "x=2", "y=3"]) == 0
    proc = subprocess.run([sys.executable, "-m", "chainrule.explain", "exp(x)", "--at", "x=0"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "∂f/∂x = 1" in proc.stdout


def test_memory_report_on_scalars():
    a = cr.Scalar(2.0, label="a")
    b = cr.Scalar(3.0, label="b")
    report = explain.memory_report(a * b + a)
    # each op keeps its two local derivatives and its value, 8 bytes each as float64
    assert report.total == 2 * 3 * 8
    assert report.leaf_bytes == 16 and [op.op for op in report.ops] == ["mul", "add"]


def test_cli_svg_without_graphviz_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    svg_file = tmp_path / "g.svg"
    code, out, err = run_cli(["x * x", "--at", "x=3", "--svg", str(svg_file)], capsys)
    assert code == 1 and "∂f/∂x = 6" in out  # the explanation is still printed
    assert "pip install graphviz" in err and str(tmp_path / "g.dot") in err
    assert not svg_file.exists() and (tmp_path / "g.dot").read_text().startswith("digraph")


def test_table_prints_small_jacobians_as_g_out_times_L():
    W = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    h = cr.tensor([1.0, 2.0], requires_grad=True).tanh()
    text = str(explain.backward_table((W @ h).sum()))
    assert "v̄_1 = v̄_2 · ∂v_2/∂v_1      [1, 1] · [[1, 2], [3, 4]]" in text  # d(Wh)/dh = W


def test_table_engine_order_is_the_order_backward_runs():
    *_, f = trace_example()
    table = explain.backward_table(f, order="engine")
    listed = []  # the v_i of each "v̄_i · ∂v_i/∂v_j" row, once per op
    for r in table.rows:
        if r.pass_ == "backward" and "·" in r.rhs:
            i = r.rhs.split("∂")[1].split("/")[0]
            if not listed or listed[-1] != i:
                listed.append(i)
    ran = []  # the ops whose VJP the engine calls, in order

    def spy(vjp, name):
        def wrapped(*args):
            ran.append(name)
            return vjp(*args)
        return wrapped

    for v in explain._common.trace(f):
        if v._ctx is not None:
            v._ctx._vjp = spy(v._ctx._vjp, table.names[id(v)])
    f.backward()
    assert listed == ran == ["v_5", "v_3", "v_4", "v_2", "v_1"]


# ---------------------------------------------------------------------------
# Hardening (issue 14): bounded formulas, no recursion, one line for every mistake
# ---------------------------------------------------------------------------

def _explain_main(argv, capsys):
    from chainrule.cli import main

    code = main(["explain", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line(code, err, *needles):
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err


@pytest.mark.parametrize("argv, needles", [
    (["x/y", "--at", "x=1", "y=0"], ["division by zero in 'x / y': 'y' is 0 at this point"]),
    (["x**1000000", "--at", "x=2"], ["'x ** 1000000' overflows"]),
    (["x**-1", "--at", "x=0"], ["0 raised to the negative power -1"]),
    (["(-x)**0.5", "--at", "x=2"], ["no real value"]),
    (["exp(x)", "--at", "x=1000"], ["'exp(x)' overflows"]),
    (["log(x)", "--at", "x=0"], ["'log(x)' is not defined at 0"]),
    (["1" + "0" * 400 + "*x", "--at", "x=1"], ["(401 digits) is too large for a float"]),
    (["1e400*x", "--at", "x=1"], ["1e400 is too large for a float"]),
    (["x*2", "--at", "x=1", "--precision", "-5"], ["--precision", "1 to 17", "got -5"]),
    (["x*2", "--at", "x=1", "--precision", "99"], ["--precision"]),
    (["x\udcff*2", "--at", "x=1"], ["not UTF-8 text at character 2"]),
    (["x*2", "--at", "x=1\udcff"], ["--at has a byte that is not UTF-8"]),
    (["x*2", "--at", "x=1", "z=3"], ["--at z=3: the formula has no variable z",
                                     "its variables: x"]),
    (["x*2", "--at", "x=1", "x=2"], ["--at gives x twice"]),
])
def test_explain_mistakes_are_one_line(argv, needles, capsys):
    code, out, err = _explain_main(argv, capsys)
    _one_line(code, err, *needles)
    assert out == ""


def test_explain_output_into_a_missing_folder(tmp_path, capsys):
    for flag in ("--dot", "--svg"):
        target = tmp_path / "nowhere" / "g.out"
        code, out, err = _explain_main(["x*x", "--at", "x=3", flag, str(target)], capsys)
        _one_line(code, err, f"{flag} {target}: no such folder")


def test_fullwidth_names_are_one_name_in_the_formula_and_in_at(capsys):
    code, out, err = _explain_main(["ｘ*2", "--at", "ｘ=1"], capsys)
    assert code == 0 and "∂f/∂x = 2" in out, err


def test_long_sums_and_deep_nesting_evaluate_without_recursion():
    total = expr.evaluate(expr.parse("+".join(["x"] * 1000)), {"x": 1.5})
    assert total.data == 1500.0
    total.backward()
    nested = expr.parse("-" * 1998 + "x")  # 1,998 nested unary minuses: deeper than
    value = expr.evaluate(nested, {"x": 2.0})  # Python's recursion limit
    assert value.data == 2.0
    table = explain.backward_table(value)
    assert table.gradients["x"] == 1.0


def test_oversized_formulas_are_refused_fast():
    import time

    cases = ["x+" * 250_000 + "x",  # 500 kB: over the length bound
             "+".join(["x"] * 3000),  # within the length bound, too many terms
             "-" * 4000 + "x",
             "(" * 150 + "x" + ")" * 150 + "+x" * 2500]
    for text in cases:
        began = time.perf_counter()
        with pytest.raises(expr.ExpressionError) as info:
            expr.parse(text)
        assert time.perf_counter() - began < 0.1
        assert ("explain takes at most" in str(info.value)
                and "nested" not in str(info.value)), str(info.value)
        assert len(str(info.value)) < 200


def test_parse_errors_do_not_echo_a_long_formula():
    with pytest.raises(expr.ExpressionError) as info:
        expr.parse("x + " * 1000 + ")")
    assert len(str(info.value)) < 200 and "characters)" in str(info.value)


def test_a_closed_pipe_ends_explain_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "chainrule.explain", "x*y", "--at", "x=1",
                             "y=2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # `... | head -3` whose head has already exited
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and err == ""


def test_python_dash_m_explain_errors_are_one_line():
    proc = subprocess.run([sys.executable, "-m", "chainrule.explain", "x", "--bogus"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "python -m chainrule.explain: error: unrecognized arguments: --bogus (see python -m "
        "chainrule.explain --help)"]
