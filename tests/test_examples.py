"""The walkthrough examples (examples/0N_*.py, docs/walkthrough.md): their numbers, asserted."""

import importlib.util
import math
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TESTS = ROOT / "tests"
WALKTHROUGH = ROOT / "docs" / "walkthrough.md"


def load(name):
    """Import examples/<name>.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scalar_net():
    return load("01_scalar_network_backprop_vs_perturbation")


@pytest.fixture(scope="module")
def reverse_mode():
    return load("02_reverse_mode_and_finite_differences")


@pytest.fixture(scope="module")
def layers():
    return load("03_layers_with_handwritten_backward")


@pytest.fixture(scope="module")
def jacobians():
    return load("04_jacobians_and_vjps_on_graphs")


@pytest.fixture(scope="module")
def batched_mlp():
    return load("05_batched_mlp_softmax_cross_entropy")


# -- 01: a sigmoid network, backprop versus perturbation, the chain rule --------------

def test_scalar_network_losses(scalar_net):
    assert round(scalar_net.loss_numpy(scalar_net.START), 3) == 12.017
    assert round(scalar_net.loss_numpy(scalar_net.TRAINED), 3) == 0.347
    loss, _ = scalar_net.loss_and_grads_chainrule(scalar_net.START)
    assert round(loss, 3) == 12.017
    assert round(scalar_net.loss_and_grads_chainrule(scalar_net.TRAINED)[0], 3) == 0.347


def test_scalar_network_perturbation_against_backprop(scalar_net):
    slopes, evaluations = scalar_net.perturbation_gradient(scalar_net.START)
    assert evaluations == 7 * 11
    _, grads = scalar_net.loss_and_grads_chainrule(scalar_net.START)
    # A line fitted over +-0.005 has an O(delta^2) error; backprop has none.
    np.testing.assert_allclose(slopes, grads, rtol=1e-3)
    scalar_loss, scalar_grads = scalar_net.loss_scalar(scalar_net.START)
    assert scalar_loss == pytest.approx(12.017, abs=5e-4)
    np.testing.assert_allclose(scalar_grads, grads, rtol=1e-12)
    # One step with lr = 0.002: 12.017 -> 12.010
    assert round(scalar_net.one_step(scalar_net.START, slopes), 3) == 12.010
    assert round(scalar_net.one_step(scalar_net.START, grads), 3) == 12.010


def test_scalar_network_chain_rule_one_and_several_paths(scalar_net):
    for name, (got, closed) in scalar_net.chain_rule_examples().items():
        assert got == pytest.approx(closed, rel=1e-14), name


@pytest.mark.parametrize("engine", ["manual_node_graph", "scalar_node_graph",
                                    "tensor_node_graph", "torch_node_graph"])
def test_scalar_network_node_graph_values(scalar_net, engine):
    if engine == "torch_node_graph":
        pytest.importorskip("torch")
    r = getattr(scalar_net, engine)()
    assert {k: round(v, 4) for k, v in r.items()} == {
        "yhat": 0.6225, "L": 0.4741, "dL/dw1": -0.5663, "dL/dw2": -0.9439, "dL/db": -0.3775}


# -- 02: finite differences fail; reverse mode on scalars and matrices ----------------

def test_reverse_mode_forward_difference_error(reverse_mode):
    assert reverse_mode.forward_difference_error() == pytest.approx(0.09509146, abs=5e-8)


def test_reverse_mode_is_exact(reverse_mode):
    value, grad, trace = reverse_mode.reverse_mode_gradient()
    assert value == math.log(2) + 10 - math.sin(5)
    assert grad[0] == 5.5
    assert grad[1] == pytest.approx(2 - math.cos(5), rel=1e-15)
    adjoints = {name: vbar for name, _, vbar in trace}
    assert adjoints == {"v-1": 5.5, "v0": grad[1], "v1": 1.0, "v2": 1.0, "v3": -1.0,
                        "v4": 1.0, "v5": 1.0}


def test_reverse_mode_control_flow(reverse_mode):
    r = reverse_mode.control_flow_gradients()
    assert r["a > 0"] == (27.0, 27.0, 27.0, None)    # x = a + b = 3, y = x^3
    assert r["a <= 0"] == (8.0, 12.0, None, 12.0)    # x = a + c = 2


def test_reverse_mode_matmul_vjp(reverse_mode):
    m = reverse_mode.matmul_vjp()
    np.testing.assert_allclose(m["engine"], m["AtG"], rtol=1e-13)
    np.testing.assert_allclose(m["engine"], m["numeric"], rtol=1e-6, atol=1e-8)


# -- 03: layers with a hand-written backward ------------------------------------------

def test_layers_linear_step_by_hand(layers):
    W, b = layers.initial_parameters()
    r = layers.numpy_step(W, b)
    g, x = np.array([0.1, 0.2]), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(r["grad_weights"], [[0.1, 0.2, 0.3], [0.2, 0.4, 0.6]], rtol=1e-15)
    np.testing.assert_array_equal(r["grad_bias"], g)
    np.testing.assert_allclose(r["grad_input"], W.T @ g, rtol=1e-15)
    np.testing.assert_allclose(r["weights"], W - 0.01 * np.outer(g, x), rtol=1e-15)
    np.testing.assert_allclose(r["bias"], b - 0.01 * g, rtol=1e-15)
    for grad in r["grads_after_update"]:  # reset after the update
        assert not grad.any()


@pytest.mark.parametrize("step", ["function_step", "autograd_step"])
def test_layers_chainrule_agrees_with_the_module(layers, step):
    W, b = layers.initial_parameters()
    ref = layers.numpy_step(W, b)
    got = getattr(layers, step)(W, b)
    for key in ("output", "grad_input", "grad_weights", "grad_bias", "weights", "bias"):
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-14, atol=1e-17, err_msg=key)


def test_layers_grads_accumulate_and_shape_errors(layers):
    layer = layers.Linear(3, 2, np.random.default_rng(0))
    layer.forward(layers.X)
    layer.backward(layers.GRAD_OUTPUT)
    layer.backward(layers.GRAD_OUTPUT)
    np.testing.assert_allclose(layer.grad_bias, 2 * layers.GRAD_OUTPUT)
    layer.update_parameters(0.01)
    assert not layer.grad_weights.any() and not layer.grad_bias.any()
    with pytest.raises(ValueError, match="input size"):
        layer.forward(np.ones(4))
    with pytest.raises(ValueError, match="gradient size"):
        layer.backward(np.ones(3))


def test_layers_network_keeps_intermediates_and_matches_chainrule(layers):
    r = layers.network_gradients()
    assert r["intermediate_shapes"] == [(3,), (4,), (4,), (2,)]
    for a, b in zip(r["numpy"], r["chainrule"]):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-16)


# -- 04: Jacobians and VJPs on graphs -------------------------------------------------

def test_explicit_jacobians_equal_the_engine(jacobians):
    params = jacobians.make_chain()
    report = jacobians.chain_jacobians(params)
    assert [layer["L_x"].shape for layer in report] == [(3, 4), (3, 3), (2, 3), (1, 2)]
    assert report[0]["L_theta"].shape == (3, 12)
    assert jacobians.check_chain(report, params) == {
        "linear W1": True, "relu": True, "linear W2": True, "L2 loss": True}


def test_jacobians_backward_is_a_linear_network(jacobians):
    lin = jacobians.backward_is_linear()
    assert set(lin["gate"]) == {0.0, 1.0}  # the relu gate passes some units and blocks others
    np.testing.assert_allclose(lin["combined"], lin["separate"], rtol=1e-12)
    np.testing.assert_allclose(lin["engine"], lin["transposed_net"], rtol=1e-12)
    np.testing.assert_allclose(lin["second_order"], lin["second_order_closed"], rtol=1e-12)


def test_jacobians_batches_branches_sharing(jacobians):
    averaged, batched = jacobians.batch_gradients()
    np.testing.assert_allclose(averaged, batched, rtol=1e-12)
    dag = jacobians.branch_and_merge()
    assert np.abs(dag["g_a"]).min() > 0 and np.abs(dag["g_b"]).max() > 0  # both paths count
    np.testing.assert_allclose(dag["engine"], dag["g_a"] + dag["g_b"], rtol=1e-12)
    shared = jacobians.shared_parameter()
    np.testing.assert_allclose(shared["shared"], shared["first"] + shared["second"], rtol=1e-12)


def test_jacobians_backprop_to_the_data_grows_the_neuron(jacobians):
    history = jacobians.excite_neuron()
    assert history[-1] > history[0] + 2.5  # from -1.87 to about 1.0
    assert all(b > a for a, b in zip(history[:20], history[1:21]))  # a steady climb first
    assert max(history) - history[-1] < 0.05  # then it stays near the top it found


# -- 05: a batched MLP with softmax and cross-entropy ---------------------------------

def test_batched_mlp_delta_formulas_equal_chainrule(batched_mlp):
    r = batched_mlp.compare()
    assert r["loss_chainrule"] == pytest.approx(r["loss_numpy"], rel=1e-13)
    for g_np, g_cr in zip(r["grads_numpy"], r["grads_chainrule"]):
        assert g_np.shape == g_cr.shape
        np.testing.assert_allclose(g_cr, g_np, rtol=1e-10, atol=1e-14)


# -- every example runs and prints its numbers ----------------------------------------

@pytest.mark.parametrize("name,expected", [
    ("01_scalar_network_backprop_vs_perturbation",
     "Scalar : yhat 0.6225  L 0.4741  dL/dw1 -0.5663  dL/dw2 -0.9439"),
    ("03_layers_with_handwritten_backward",
     "chainrule autograd        : same gradients and updated parameters: True"),
    ("04_jacobians_and_vjps_on_graphs", "equals dJ/dW1 of the mean loss: True"),
    ("05_batched_mlp_softmax_cross_entropy", "dL/dW1 (8, 5) : Delta formulas == chainrule: True"),
])
def test_main_prints(name, expected, capsys):
    load(name).main()
    out = capsys.readouterr().out
    assert expected in out
    assert "False" not in out


def test_an_example_runs_as_a_command():
    script = EXAMPLES / "02_reverse_mode_and_finite_differences.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "error in df/dx2 = 0.09509146" in done.stdout
    assert "False" not in done.stdout


# -- docs/walkthrough.md ------------------------------------------------------------------

PAGE_BLOCKS = re.findall(r"```python\n(.*?)```", WALKTHROUGH.read_text(encoding="utf-8"), re.S)


def test_walkthrough_has_a_python_block_per_example():
    assert len(PAGE_BLOCKS) == len(list(EXAMPLES.glob("*.py"))) == 7


@pytest.mark.parametrize("index", range(len(PAGE_BLOCKS)))
def test_walkthrough_block_runs_as_copied(index, tmp_path):
    """Each block runs on its own, in a fresh interpreter: nothing from another block."""
    done = subprocess.run([sys.executable, "-c", PAGE_BLOCKS[index]], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"docs/walkthrough.md block {index}:\n{done.stderr}"


def test_docs_name_every_example_and_only_existing_ones():
    names = sorted(path.name for path in EXAMPLES.glob("*.py"))
    page = WALKTHROUGH.read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in names:
        assert f"python examples/{name}" in page, name
        assert f"examples/{name}" in readme, name
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for mentioned in re.findall(r"examples/([\w.]+\.py)", doc.read_text(encoding="utf-8")):
            assert mentioned in names, f"{doc.name} names examples/{mentioned}, which is not there"


# -- the docs' words and links ----------------------------------------------------------

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_no_lecture_note_is_named_by_an_internal_number():
    """Users never saw "seed 003" (the word seed is kept for the random seed)."""
    internal = re.compile(r"\bseeds?[ _]?0\d\d|seeds\.md|explain_seed", re.IGNORECASE)
    scripts = [*sorted(EXAMPLES.glob("*.py")), ROOT / "docs" / "img" / "explain_figures.py",
               *sorted((ROOT / "src" / "chainrule").rglob("*.py")),
               *sorted(p for p in TESTS.glob("*.py") if p.name != "test_examples.py")]
    for path in [*DOCS, *scripts]:
        found = internal.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.relative_to(ROOT)}: {found}"


def test_every_picture_and_page_the_docs_link_to_exists():
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#]+)\)", doc.read_text(encoding="utf-8")):
            # reference/ and figures/ are generated by the site's build, whose strict
            # mode checks those links (tests/test_docs_site.py)
            generated = target.lstrip("./").startswith(("reference/", "figures/"))
            if "://" not in target and not generated:
                assert (doc.parent / target).exists(), f"{doc.name} links to {target}"


# -- 06 and 07: a transformer and an LSTM trained for real (shortened) -----------------

@pytest.mark.parametrize("name, steps", [("06_transformer_sorting", 25),
                                         ("07_lstm_sequence", 40)])
def test_real_model_learns_and_follows_pytorch(name, steps, capsys):
    example = load(name)
    result = example.main(steps=steps, check_torch=False, n_test=50)
    losses = result["losses"]
    assert np.mean(losses[-5:]) < 0.9 * np.mean(losses[:5])  # it learns
    assert "right:" in capsys.readouterr().out
    pytest.importorskip("torch")
    assert example.compare_with_torch(steps=5) < 1e-4  # same weights, same batches
