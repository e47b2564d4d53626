"""chainrule.explain: see backpropagation happen.

Views of a graph, for Scalar and Tensor graphs alike (they share one protocol):

- :func:`to_dot`, :func:`render`, :func:`graph`: the graph as Graphviz DOT text,
  as an SVG/PNG file, or as a picture in a notebook; ``backward=True`` adds the
  graph of the backward pass (seed 001's forward-backward network).
- :func:`backward_table`: forward assignments and adjoint assignments with their
  numbers (seed 003's figure 1), fan-out and un-broadcasting shown as steps.
- :func:`jacobian`, :func:`layer_jacobians`: L^x and L^θ at the operating point.
- :func:`memory_report`: the bytes a graph keeps for backward.
- :class:`detect_anomaly`: the op and the line where a NaN or an inf was born.
- ``python -m chainrule.explain FORMULA --at x=1``: all of it from the shell.

>>> import chainrule as cr
>>> from chainrule import explain
>>> x = cr.tensor(2.0, requires_grad=True)
>>> round(float(explain.backward_table(x.exp()).gradients["v_0"]), 4)
7.3891
"""

from .anomaly import AnomalyError, detect_anomaly
from .dot import Graph, GraphvizMissing, graph, render, to_dot
from .jacobian import OpJacobian, jacobian, layer_jacobians
from .memory import memory_report
from .table import BackwardTable, backward_table

__all__ = [
    "to_dot", "render", "graph", "Graph", "GraphvizMissing",
    "backward_table", "BackwardTable",
    "jacobian", "layer_jacobians", "OpJacobian",
    "memory_report",
    "detect_anomaly", "AnomalyError",
]
