"""The package's shape holds: imports point down, and lists that must agree do.

docs/ENGINE_NOTES.md draws the map these tests check.
"""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops.arrays import ARRAY_API, NUMPY
from chainrule.ops.namespace import TENSOR

PACKAGE = pathlib.Path(cr.__file__).resolve().parent

# The engine: it may import NumPy and itself, never the libraries built on it.
CORE = ["graph.py", "function.py", "dtypes.py", "tensor.py", "creation.py", "return_types.py",
        "scalar.py", "ops", "tensor_methods", "devices.py", "random.py", "runtime.py",
        "allocator.py"]
ABOVE_CORE = {"nn", "optim", "data", "distributed", "explain", "train", "cli", "io",
              "autograd", "gradcheck", "scalar_nn", "utils"}


def _modules(names):
    for name in names:
        path = PACKAGE / name
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _chainrule_imports(path: pathlib.Path, source: str | None = None) -> set:
    """The chainrule subpackages and modules that ``path`` imports (absolute names)."""
    package = ["chainrule", *path.relative_to(PACKAGE).parent.parts]
    found = set()
    if source is None:
        source = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            parts = base + (node.module.split(".") if node.module else [])
            if parts[:1] != ["chainrule"]:
                continue
            if len(parts) == 1:  # from chainrule import x / from .. import x
                found.update(alias.name for alias in node.names)
            else:
                found.add(parts[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "chainrule" and len(parts) > 1:
                    found.add(parts[1])
    return found


@pytest.mark.parametrize("path", list(_modules(CORE)), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_imports_point_down(path):
    upward = _chainrule_imports(path) & ABOVE_CORE
    assert not upward, f"{path.relative_to(PACKAGE)} imports {sorted(upward)}"


def test_graph_imports_nothing_of_chainrule():
    assert _chainrule_imports(PACKAGE / "graph.py") == set()


def test_ops_never_import_tensor():
    for path in _modules(["ops"]):
        assert not _chainrule_imports(path) & {"tensor", "creation", "tensor_methods"}, path


def test_the_check_sees_an_upward_import():
    # the AST reading above resolves relative imports: make sure it would catch them
    source = "from ..nn import Linear\nfrom .. import explain\nimport chainrule.optim.sgd\n"
    found = _chainrule_imports(PACKAGE / "ops" / "elementwise.py", source)
    assert found == {"nn", "explain", "optim"}


# ---------------------------------------------------------------------------
# The two array namespaces: one table of names
# ---------------------------------------------------------------------------

def test_both_namespaces_offer_every_name_of_the_table():
    for name in ARRAY_API:
        assert callable(getattr(NUMPY, name)), name
        assert callable(getattr(TENSOR, name)), name
    assert NUMPY.names() == TENSOR.names() == sorted(ARRAY_API)


def test_a_namespace_missing_a_name_is_refused():
    from chainrule.ops.arrays import ArrayNamespace

    partial = dict(ARRAY_API)
    partial.pop("exp")
    with pytest.raises(TypeError, match="missing \\['exp'\\]"):
        ArrayNamespace("partial", partial)


A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
IDX = np.array([[2, 0, 1], [0, 0, 2]])
# one call of each name, run on both namespaces: the Tensor result must equal NumPy's
CALLS = {
    "exp": lambda xp, a: xp.exp(a), "log": lambda xp, a: xp.log(xp.abs(a)),
    "sqrt": lambda xp, a: xp.sqrt(xp.abs(a)), "sin": lambda xp, a: xp.sin(a),
    "cos": lambda xp, a: xp.cos(a), "tanh": lambda xp, a: xp.tanh(a),
    "sinh": lambda xp, a: xp.sinh(a), "cosh": lambda xp, a: xp.cosh(a),
    "polygamma": lambda xp, a: xp.polygamma(1, xp.abs(a)),
    "erfinv": lambda xp, a: xp.erfinv(a * 0.4),
    "abs": lambda xp, a: xp.abs(a), "sign": lambda xp, a: xp.sign(a),
    "sigmoid": lambda xp, a: xp.sigmoid(a),
    "where": lambda xp, a: xp.where(np.array([True, False, True]), a, 0.5),
    "maximum": lambda xp, a: xp.maximum(a, 0.3), "minimum": lambda xp, a: xp.minimum(a, 0.3),
    "zeros_like": lambda xp, a: xp.zeros_like(a),
    "astype": lambda xp, a: xp.astype(a, np.float32),
    "sum": lambda xp, a: xp.sum(a, axis=1, keepdims=True),
    "sum_to": lambda xp, a: xp.sum_to(a, (1, 3)),
    "take_along_axis": lambda xp, a: xp.take_along_axis(a, IDX, 1),
    "scatter_add_along": lambda xp, a: xp.scatter_add_along(a, (2, 3), IDX, 1),
    "cumsum": lambda xp, a: xp.cumsum(a, axis=1), "cumprod": lambda xp, a: xp.cumprod(a, axis=0),
    "logcumsumexp": lambda xp, a: xp.logcumsumexp(a, 1),
    "scatter_reduce": lambda xp, a: xp.scatter_reduce(a, a, IDX, 1, "prod", True),
    "reshape": lambda xp, a: xp.reshape(a, (3, 2)),
    "broadcast_to": lambda xp, a: xp.broadcast_to(a, (4, 2, 3)),
    "transpose": lambda xp, a: xp.transpose(a),
    "swapaxes": lambda xp, a: xp.swapaxes(a, 0, 1),
    "expand_dims": lambda xp, a: xp.expand_dims(a, 1),
    "scatter_add": lambda xp, a: xp.scatter_add(a, (3, 3), np.array([0, 0])),
    "matmul": lambda xp, a: xp.matmul(a, xp.transpose(a)),
    "einsum": lambda xp, a: xp.einsum("ij,kj->ik", a, a),
    "solve": lambda xp, a: xp.solve(xp.matmul(a, xp.transpose(a)), a),
    "det": lambda xp, a: xp.det(xp.matmul(a, xp.transpose(a))),
    "sliding_windows": lambda xp, a: xp.sliding_windows(a, (2, 2), (1, 1), (1, 1)),
    "col2im": lambda xp, a: xp.col2im(xp.reshape(a, (1, 1, 2, 3)), (2, 4), (1, 1), (1, 1)),
}


def test_every_name_has_a_call_here():
    assert set(CALLS) == set(ARRAY_API)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_tensor_namespace_computes_what_numpy_does(name):
    expected = CALLS[name](NUMPY, A)
    x = cr.tensor(A, requires_grad=True)
    got = CALLS[name](TENSOR, x)
    assert isinstance(got, cr.Tensor)
    np.testing.assert_allclose(got.data, expected, rtol=1e-15)
    assert got.dtype == np.asarray(expected).dtype
