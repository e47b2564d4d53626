"""The seeds' worked examples (examples/seed_00X_*.py): their numbers, asserted."""

import importlib.util
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name):
    """Import examples/<name>.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def seed000():
    return load("seed_000_module_view")


@pytest.fixture(scope="module")
def seed001():
    return load("seed_001_backprop_graphs")


@pytest.fixture(scope="module")
def seed002():
    return load("seed_002_sigmoid_network")


@pytest.fixture(scope="module")
def seed003():
    return load("seed_003_reverse_mode")


@pytest.fixture(scope="module")
def seed004():
    return load("seed_004_batched_mlp")


# -- seed 000 -----------------------------------------------------------------------

def test_000_linear_step_by_hand(seed000):
    W, b = seed000.initial_parameters()
    r = seed000.numpy_step(W, b)
    g, x = np.array([0.1, 0.2]), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(r["grad_weights"], [[0.1, 0.2, 0.3], [0.2, 0.4, 0.6]], rtol=1e-15)
    np.testing.assert_array_equal(r["grad_bias"], g)
    np.testing.assert_allclose(r["grad_input"], W.T @ g, rtol=1e-15)
    np.testing.assert_allclose(r["weights"], W - 0.01 * np.outer(g, x), rtol=1e-15)
    np.testing.assert_allclose(r["bias"], b - 0.01 * g, rtol=1e-15)
    for grad in r["grads_after_update"]:  # reset after the update
        assert not grad.any()


@pytest.mark.parametrize("step", ["function_step", "autograd_step"])
def test_000_chainrule_agrees_with_the_module(seed000, step):
    W, b = seed000.initial_parameters()
    ref = seed000.numpy_step(W, b)
    got = getattr(seed000, step)(W, b)
    for key in ("output", "grad_input", "grad_weights", "grad_bias", "weights", "bias"):
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-14, atol=1e-17, err_msg=key)


def test_000_grads_accumulate_and_shape_errors(seed000):
    layer = seed000.Linear(3, 2, np.random.default_rng(0))
    layer.forward(seed000.X)
    layer.backward(seed000.GRAD_OUTPUT)
    layer.backward(seed000.GRAD_OUTPUT)
    np.testing.assert_allclose(layer.grad_bias, 2 * seed000.GRAD_OUTPUT)
    layer.update_parameters(0.01)
    assert not layer.grad_weights.any() and not layer.grad_bias.any()
    with pytest.raises(ValueError, match="input size"):
        layer.forward(np.ones(4))
    with pytest.raises(ValueError, match="gradient size"):
        layer.backward(np.ones(3))


def test_000_network_keeps_intermediates_and_matches_chainrule(seed000):
    r = seed000.network_gradients()
    assert r["intermediate_shapes"] == [(3,), (4,), (4,), (2,)]
    for a, b in zip(r["numpy"], r["chainrule"]):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-16)


# -- seed 001 -----------------------------------------------------------------------

def test_001_explicit_jacobians_equal_the_engine(seed001):
    params = seed001.make_chain()
    report = seed001.chain_jacobians(params)
    assert [layer["L_x"].shape for layer in report] == [(3, 4), (3, 3), (2, 3), (1, 2)]
    assert report[0]["L_theta"].shape == (3, 12)
    assert seed001.check_chain(report, params) == {
        "linear W1": True, "relu": True, "linear W2": True, "L2 loss": True}


def test_001_backward_is_a_linear_network(seed001):
    lin = seed001.backward_is_linear()
    assert set(lin["gate"]) == {0.0, 1.0}  # the relu gate passes some units and blocks others
    np.testing.assert_allclose(lin["combined"], lin["separate"], rtol=1e-12)
    np.testing.assert_allclose(lin["engine"], lin["transposed_net"], rtol=1e-12)
    np.testing.assert_allclose(lin["second_order"], lin["second_order_closed"], rtol=1e-12)


def test_001_batches_branches_sharing(seed001):
    averaged, batched = seed001.batch_gradients()
    np.testing.assert_allclose(averaged, batched, rtol=1e-12)
    dag = seed001.branch_and_merge()
    assert np.abs(dag["g_a"]).min() > 0 and np.abs(dag["g_b"]).max() > 0  # both paths count
    np.testing.assert_allclose(dag["engine"], dag["g_a"] + dag["g_b"], rtol=1e-12)
    shared = seed001.shared_parameter()
    np.testing.assert_allclose(shared["shared"], shared["first"] + shared["second"], rtol=1e-12)


def test_001_backprop_to_the_data_grows_the_neuron(seed001):
    history = seed001.excite_neuron()
    assert history[-1] > history[0] + 2.5  # from -1.87 to about 1.0
    assert all(b > a for a, b in zip(history[:20], history[1:21]))  # a steady climb first
    assert max(history) - history[-1] < 0.05  # then it stays near the top it found


# -- seed 002 -----------------------------------------------------------------------

def test_002_losses_of_the_seed(seed002):
    assert round(seed002.loss_numpy(seed002.START), 3) == 12.017
    assert round(seed002.loss_numpy(seed002.TRAINED), 3) == 0.347
    loss, _ = seed002.loss_and_grads_chainrule(seed002.START)
    assert round(loss, 3) == 12.017
    assert round(seed002.loss_and_grads_chainrule(seed002.TRAINED)[0], 3) == 0.347


def test_002_perturbation_against_backprop(seed002):
    slopes, evaluations = seed002.perturbation_gradient(seed002.START)
    assert evaluations == 7 * 11
    _, grads = seed002.loss_and_grads_chainrule(seed002.START)
    # A line fitted over +-0.005 has an O(delta^2) error; backprop has none.
    np.testing.assert_allclose(slopes, grads, rtol=1e-3)
    scalar_loss, scalar_grads = seed002.loss_scalar(seed002.START)
    assert scalar_loss == pytest.approx(12.017, abs=5e-4)
    np.testing.assert_allclose(scalar_grads, grads, rtol=1e-12)
    # The seed's one step with lr = 0.002: 12.017 -> 12.010
    assert round(seed002.one_step(seed002.START, slopes), 3) == 12.010
    assert round(seed002.one_step(seed002.START, grads), 3) == 12.010


def test_002_chain_rule_one_and_several_paths(seed002):
    for name, (got, closed) in seed002.chain_rule_examples().items():
        assert got == pytest.approx(closed, rel=1e-14), name


@pytest.mark.parametrize("engine", ["manual_node_graph", "scalar_node_graph",
                                    "tensor_node_graph", "torch_node_graph"])
def test_002_node_graph_values(seed002, engine):
    if engine == "torch_node_graph":
        pytest.importorskip("torch")
    r = getattr(seed002, engine)()
    assert {k: round(v, 4) for k, v in r.items()} == {
        "yhat": 0.6225, "L": 0.4741, "dL/dw1": -0.5663, "dL/dw2": -0.9439, "dL/db": -0.3775}


# -- seed 003 -----------------------------------------------------------------------

def test_003_forward_difference_error(seed003):
    assert seed003.forward_difference_error() == pytest.approx(0.09509146, abs=5e-8)


def test_003_reverse_mode_is_exact(seed003):
    value, grad, trace = seed003.reverse_mode_gradient()
    assert value == math.log(2) + 10 - math.sin(5)
    assert grad[0] == 5.5
    assert grad[1] == pytest.approx(2 - math.cos(5), rel=1e-15)
    adjoints = {name: vbar for name, _, vbar in trace}
    assert adjoints == {"v-1": 5.5, "v0": grad[1], "v1": 1.0, "v2": 1.0, "v3": -1.0,
                        "v4": 1.0, "v5": 1.0}


def test_003_control_flow(seed003):
    r = seed003.control_flow_gradients()
    assert r["a > 0"] == (27.0, 27.0, 27.0, None)    # x = a + b = 3, y = x^3
    assert r["a <= 0"] == (8.0, 12.0, None, 12.0)    # x = a + c = 2


def test_003_matmul_vjp(seed003):
    m = seed003.matmul_vjp()
    np.testing.assert_allclose(m["engine"], m["AtG"], rtol=1e-13)
    np.testing.assert_allclose(m["engine"], m["numeric"], rtol=1e-6, atol=1e-8)


# -- seed 004 -----------------------------------------------------------------------

def test_004_delta_formulas_equal_chainrule(seed004):
    r = seed004.compare()
    assert r["loss_chainrule"] == pytest.approx(r["loss_numpy"], rel=1e-13)
    for g_np, g_cr in zip(r["grads_numpy"], r["grads_chainrule"]):
        assert g_np.shape == g_cr.shape
        np.testing.assert_allclose(g_cr, g_np, rtol=1e-10, atol=1e-14)


# -- every example runs and prints its numbers ----------------------------------------

@pytest.mark.parametrize("name,expected", [
    ("seed_000_module_view",
     "chainrule autograd        : same gradients and updated parameters: True"),
    ("seed_001_backprop_graphs", "equals dJ/dW1 of the mean loss: True"),
    ("seed_002_sigmoid_network", "Scalar : yhat 0.6225  L 0.4741  dL/dw1 -0.5663  dL/dw2 -0.9439"),
    ("seed_004_batched_mlp", "dL/dW1 (8, 5) : Delta formulas == chainrule: True"),
])
def test_main_prints(name, expected, capsys):
    load(name).main()
    out = capsys.readouterr().out
    assert expected in out
    assert "False" not in out


def test_an_example_runs_as_a_command():
    done = subprocess.run([sys.executable, str(EXAMPLES / "seed_003_reverse_mode.py")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "error in df/dx2 = 0.09509146" in done.stdout
    assert "False" not in done.stdout
