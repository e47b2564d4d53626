"""chainrule.explain: see backpropagation happen.

Views of a graph, for Scalar and Tensor graphs alike (they share one protocol):

- :func:`to_dot`, :func:`render`, :func:`graph`: the graph as Graphviz DOT text,
  as an SVG/PNG file, or as a picture in a notebook; ``backward=True`` adds the
  graph of the backward pass (forward and backward as one bigger network).
- :func:`backward_table`: forward assignments and adjoint assignments with their
  numbers (the evaluation trace of reverse mode), fan-out and un-broadcasting
  shown as steps.
- :func:`jacobian`, :func:`layer_jacobians`: L^x and L^θ at the operating point.
- :func:`memory_report`: the bytes a graph keeps for backward.
- :class:`detect_anomaly`: the op and the line where a NaN or an inf was born.
- :class:`HealthMonitor`, :func:`diagnose`: per-layer training health and findings in
  words; :func:`write_report`: a run's report page (``chainrule report``).
- ``python -m chainrule.explain FORMULA --at x=1``: all of it from the shell.

>>> import chainrule as cr
>>> from chainrule import explain
>>> x = cr.tensor(2.0, requires_grad=True)
>>> round(float(explain.backward_table(x.exp()).gradients["v_0"]), 4)
7.3891
"""

from __future__ import annotations

import importlib
from typing import Any

# Names are imported on first use (PEP 562), so that ``import chainrule``, which
# exports detect_anomaly from here, does not pay for the views it does not use.
_WHERE = {
    "to_dot": "dot", "render": "dot", "graph": "dot", "Graph": "dot", "GraphvizMissing": "dot",
    "backward_table": "table", "BackwardTable": "table",
    "jacobian": "jacobians", "layer_jacobians": "jacobians", "OpJacobian": "jacobians",
    "memory_report": "memory",
    "detect_anomaly": "anomaly", "AnomalyError": "anomaly",
    "HealthMonitor": "health", "diagnose": "health", "write_report": "report",
}

__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'chainrule.explain' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_WHERE))
