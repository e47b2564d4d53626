"""Every tensor primitive, its forward beside its vector-Jacobian product.

Grouped by kind, simple to complex: :mod:`.elementwise`, :mod:`.reduce`,
:mod:`.shape` (and indexing), :mod:`.linalg`, :mod:`.conv` (and pooling),
:mod:`.fused` (kernels with a forward of their own for stability or speed).
None of them builds a Jacobian: each backward returns the vector-Jacobian product
``g^T J`` directly. None imports Tensor: a backward sees arrays, or Tensors
through the array namespace under ``create_graph=True`` (:mod:`.arrays` holds the
names a backward may use and their NumPy side, :mod:`.namespace` the Tensor side).

This package's ``__init__`` imports nothing, so the engine can import
:mod:`.arrays` without importing every op.
"""
