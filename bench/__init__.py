"""Benchmarks: chainrule against hand-written NumPy and PyTorch, each in its own process.

``python -m bench`` runs them all; ``python -m bench.<name>`` runs one (chain, mlp, cnn,
memory, deep_chain). See docs/benchmarks.md for the latest table.
"""
