"""chainrule.explain: see backprop.
"""
from .table import BackwardTable, backward_table
from .dot import to_dot, render, graph
from .jacobian import jacobian, layer_jacobians
from .anomaly import AnomalyError, detect_anomaly
from .memory import memory_report
