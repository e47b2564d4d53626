"""Ordinary PyTorch programs, each written once as ``program(torch, ...)``.

tests/test_ported_programs.py runs every program twice, with ``torch`` bound to PyTorch and
to chainrule, from the same initial weights and inputs, and compares the two runs.
"""
