"""Ops save for backward what PyTorch saves, so in-place changes after an op behave alike.

Backward refuses to run when a value an op saved was changed in place since
(version counters). That makes *what* an op saves visible: an op that keeps more
than PyTorch raises where PyTorch runs, one that keeps less runs where PyTorch
raises. The sweep takes one case per op of the catalogue (tests/op_catalogue.py),
makes each float64 input a non-leaf (``leaf * 1``), and in separate runs changes
one input, or the first floating output, in place with ``add_(0)`` (a new version,
the same values) before backward. chainrule must raise a RuntimeError exactly when
PyTorch does, and give PyTorch's leaf gradients when neither does.

A case is skipped only where the in-place change cannot be made in PyTorch itself
(it refuses ``add_`` on that tensor: an expanded view, one view of several
outputs, ...) or where there is no floating output to change; the skip says why.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from op_catalogue import CASES, Lib, make_inputs

import chainrule as cr

CR64 = Lib(cr, np.float64)
TORCH64 = Lib(torch, np.float64)

# One case per op name (its first shapes): what an op saves does not depend on shapes.
_FIRST: dict = {}
for _case in CASES:
    _FIRST.setdefault(_case.name, _case)
SWEPT = list(_FIRST.values())


class _InplaceRefused(Exception):
    """The in-place change itself was refused (by the library, before any backward)."""


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _is_float(t) -> bool:
    return t.dtype in (torch.float32, torch.float64) if isinstance(t, torch.Tensor) \
        else np.dtype(t.dtype).kind == "f"


def _run(lib, case, arrays, change):
    """Run ``case`` on non-leaf inputs, change input ``change`` (an int) or the first
    floating output (``"output"``) in place, then backward: the leaves' gradients."""
    leaves, xs = [], []
    for a in arrays:
        if a.dtype == np.float64:
            leaf = lib.leaf(a)
            leaves.append(leaf)
            xs.append(leaf * 1)  # a non-leaf: an in-place change to it is allowed
        else:
            xs.append(lib.as_tensor(a))
    outs = [o for o in _as_list(case.fn(lib, *xs)) if _is_float(o)]
    if not outs:
        raise _InplaceRefused("no floating output")
    target = outs[0] if change == "output" else xs[change]
    try:
        target.add_(0)
    except RuntimeError as err:
        raise _InplaceRefused(str(err).splitlines()[0]) from None
    rng = np.random.default_rng(3)
    total = None
    for o in outs:
        v = lib.as_tensor(rng.standard_normal(tuple(o.shape)))
        term = (o * v).sum()
        total = term if total is None else total + term
    if not total.requires_grad:
        raise _InplaceRefused("the outputs need no gradient")
    total.backward()
    return [None if x.grad is None else x.grad.numpy() for x in leaves]


def _outcome(lib, case, arrays, change):
    """``("refused", why)``, ``("raised", message)`` or ``("ran", gradients)``."""
    try:
        return "ran", _run(lib, case, arrays, change)
    except _InplaceRefused as err:
        return "refused", str(err)
    except RuntimeError as err:
        return "raised", str(err).splitlines()[0]


def _changes(case, arrays):
    return [i for i, a in enumerate(arrays) if a.dtype == np.float64] + ["output"]


def _compare(case, arrays, change):
    """None when chainrule behaves as PyTorch; else what differs. Raises Skipped
    through the caller where PyTorch refuses the in-place change itself."""
    theirs = _outcome(TORCH64, case, arrays, change)
    if theirs[0] == "refused":
        return "skip", theirs[1]
    ours = _outcome(CR64, case, arrays, change)
    where = f"{case.id}, {'output' if change == 'output' else f'input {change}'} changed"
    if ours[0] != theirs[0]:
        return "mismatch", f"{where}: chainrule {ours[0]} ({_short(ours[1])}), " \
                           f"torch {theirs[0]} ({_short(theirs[1])})"
    if ours[0] == "ran":
        for k, (a, b) in enumerate(zip(ours[1], theirs[1])):
            if (a is None) != (b is None):
                return "mismatch", f"{where}: leaf {k} gradient {a} vs torch {b}"
            if a is not None and not np.allclose(a, b, rtol=1e-7, atol=1e-10):
                return "mismatch", f"{where}: leaf {k} gradient differs from torch"
    return "same", ""


def _short(x):
    return x if isinstance(x, str) else "gradients"


@pytest.mark.parametrize("case", SWEPT, ids=[c.id for c in SWEPT])
def test_inplace_after_op_matches_torch(case):
    arrays = make_inputs(case)
    problems, skipped, checked = [], [], 0
    for change in _changes(case, arrays):
        verdict, detail = _compare(case, arrays, change)
        if verdict == "skip":
            skipped.append(f"{change}: {detail}")
        elif verdict == "mismatch":
            problems.append(detail)
            checked += 1
        else:
            checked += 1
    assert not problems, "\n".join(problems)
    if not checked:
        pytest.skip("torch refuses every in-place change here: " + "; ".join(skipped))


# ---------------------------------------------------------------------------
# The cases that motivated the sweep, written out
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
def test_mul_by_number_keeps_no_tensor(m):
    a = m.ones(3, requires_grad=True)
    x = a * 1
    y = x * 2.0
    x.add_(1)
    y.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
def test_mul_keeps_only_the_operand_a_needed_gradient_reads(m):
    a = m.ones(3, requires_grad=True)
    w = m.ones(3)
    x = a * 1
    y = x * w  # w needs no gradient: only w is saved (for x's gradient)
    x.add_(1)
    y.sum().backward()
    assert a.grad.tolist() == [1.0, 1.0, 1.0]
    a = m.ones(3, requires_grad=True)
    w = m.ones(3)
    x = a * 1
    y = x * w
    w.add_(1)  # but w itself was saved
    with pytest.raises(RuntimeError):
        y.sum().backward()


@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
def test_mul_and_div_do_not_keep_their_output(m):
    a = m.ones(3, requires_grad=True)
    b = m.full((3,), 2.0, requires_grad=True)
    for op in (lambda x, y: x * y, lambda x, y: x / y):
        y = op(a * 1, b * 1)
        y.add_(1)
        y.sum().backward()
    assert a.grad.tolist() == [2.5, 2.5, 2.5]  # 2 + 1/2
    assert b.grad.tolist() == [0.75, 0.75, 0.75]  # 1 - 1/4


@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
def test_div_keeps_the_divisor_for_the_dividends_gradient(m):
    a = m.ones(3, requires_grad=True)
    b = m.full((3,), 2.0)
    y = a / b
    b.add_(1)
    with pytest.raises(RuntimeError):
        y.sum().backward()
    a = m.ones(3, requires_grad=True)
    x = a * 1
    y = x / b  # b needs no gradient: x is not saved
    x.add_(1)
    y.sum().backward()
    assert np.allclose(a.grad.tolist(), [1 / 3] * 3)


@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
@pytest.mark.parametrize("op, saves", [("exp", "output"), ("sin", "input")])
def test_unary_ops_keep_their_output_or_their_input(m, op, saves):
    for changed in ("input", "output"):
        a = m.ones(3, requires_grad=True)
        x = a * 1
        y = getattr(x, op)()
        (x if changed == "input" else y).add_(0)
        if changed == saves:
            with pytest.raises(RuntimeError):
                y.sum().backward()
        else:
            y.sum().backward()
            assert a.grad is not None
