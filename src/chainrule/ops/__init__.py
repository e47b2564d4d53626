"""Every tensor primitive, its forward beside its vector-Jacobian product.

Grouped by kind: :mod:`.elementwise`, :mod:`.reduce`, :mod:`.shape`,
:mod:`.linalg`, :mod:`.nn`. None of them builds a Jacobian (seed 003,
section 3), and none imports Tensor: they see arrays, or Tensors through the
array namespace under ``create_graph=True`` (:mod:`._backend`, :mod:`.namespace`).
"""
