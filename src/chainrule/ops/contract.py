"""einsum on NumPy, contracted two operands at a time so that the work ends in BLAS.

``np.einsum`` without a path runs its own loops (no BLAS), and with ``optimize=``
it still falls back to them whenever a pair shares a batch index (``bij,bjk->bik``).
:func:`einsum` here takes NumPy's greedy contraction order (``np.einsum_path``,
cached per equation and shapes) and does each pairwise contraction as one
``np.matmul``: batch letters lead, contracted letters are flattened into the inner
dimension, kept letters into the outer ones. Letters of size 1 broadcast, as in
PyTorch.

Equations here are explicit and plain: letters only, ``->`` given, no ellipsis
(:func:`chainrule.einsum` expands what users write into this form). This module
imports nothing of chainrule: :mod:`chainrule.ops.arrays` offers :func:`einsum`
to VJPs as ``xp.einsum``.

>>> a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
>>> bool(np.allclose(einsum("ij,jk->ik", a, b), a @ b))
True
>>> einsum("ii->", np.eye(3)).item()
3.0
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["einsum", "split_equation"]


@functools.lru_cache(maxsize=1024)
def split_equation(equation: str) -> tuple[tuple[str, ...], str]:
    """``("ij", "jk"), "ik"`` for ``"ij,jk->ik"`` (an explicit, plain equation)."""
    lhs, arrow, output = equation.partition("->")
    if not arrow:
        raise ValueError(f"einsum: equation {equation!r} has no '->'")
    return tuple(lhs.split(",")), output


def einsum(equation: str, *operands: np.ndarray) -> np.ndarray:
    """The einsum of ``operands`` by an explicit equation such as ``"bij,bjk->bik"``."""
    inputs, output = split_equation(equation)
    if len(inputs) != len(operands):
        raise ValueError(
            f"einsum: equation {equation!r} names {len(inputs)} operand(s), got {len(operands)}")
    arrays = [np.asarray(a) for a in operands]
    if len(arrays) == 1:
        return np.einsum(equation, arrays[0])  # transpose, diagonal, sums: one pass
    sizes = _sizes(inputs, arrays)
    terms = []
    for k, (letters, a) in enumerate(zip(inputs, arrays)):
        elsewhere = set(output).union(*(s for j, s in enumerate(inputs) if j != k))
        keep = "".join(dict.fromkeys(c for c in letters if c in elsewhere))
        if keep != letters:  # diagonals of repeated letters, sums of private ones
            a = np.einsum(f"{letters}->{keep}", a)
        terms.append((keep, a))
    for step in _path(tuple(t[0] for t in terms), output, tuple(a.shape for _, a in terms)):
        picked = [terms[i] for i in step]
        for i in sorted(step, reverse=True):
            del terms[i]
        later = set(output).union(*(s for s, _ in terms))
        acc = picked[0]
        for i in range(1, len(picked)):
            needed = later.union(*(s for s, _ in picked[i + 1:]))
            acc = _contract_pair(acc, picked[i], needed)
        terms.append(acc)
    letters, result = terms[0]
    if letters != output:
        result = np.transpose(result, [letters.index(c) for c in output])
    shape = tuple(sizes[c] for c in output)
    if result.shape != shape:  # a letter of size 1 everywhere it was kept
        result = np.array(np.broadcast_to(result, shape))
    return result


def _sizes(inputs: tuple[str, ...], arrays: list[np.ndarray]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for k, (letters, a) in enumerate(zip(inputs, arrays)):
        if len(letters) != a.ndim:
            raise ValueError(
                f"einsum: operand {k} has {a.ndim} dim(s) but subscripts {letters!r}")
        for c, n in zip(letters, a.shape):
            seen = sizes.setdefault(c, n)
            if seen == 1:
                sizes[c] = n
            elif n not in (1, seen):
                raise ValueError(
                    f"einsum: subscript {c} has size {n} for operand {k}, which does not "
                    f"broadcast with size {seen} seen before")
    return sizes


@functools.lru_cache(maxsize=1024)
def _path(inputs: tuple[str, ...], output: str, shapes: tuple) -> list[tuple[int, ...]]:
    """NumPy's greedy order of pairwise contractions (positions in the shrinking list)."""
    if len(inputs) == 2:
        return [(0, 1)]
    dummies = [np.broadcast_to(np.zeros(()), s) for s in shapes]  # shapes only, no memory
    path = np.einsum_path(",".join(inputs) + "->" + output, *dummies, optimize="greedy")[0]
    return [tuple(step) for step in path[1:]]


def _contract_pair(left: tuple[str, np.ndarray], right: tuple[str, np.ndarray],
                   needed: set) -> tuple[str, np.ndarray]:
    """Contract two terms ``(letters, array)``, keeping the letters in ``needed``."""
    la, a = left
    lb, b = right
    la, a = _sum_private(la, a, lb, needed)
    lb, b = _sum_private(lb, b, la, needed)
    shared = [c for c in la if c in lb]
    batch = [c for c in shared if c in needed]
    summed = [c for c in shared if c not in needed]
    only_a = [c for c in la if c not in lb]
    only_b = [c for c in lb if c not in la]
    for c in summed:  # size 1 on one side only: that side broadcasts, sum the other first
        na, nb = a.shape[la.index(c)], b.shape[lb.index(c)]
        if na != nb and na == 1:
            b = b.sum(axis=lb.index(c), keepdims=True)
        elif na != nb:
            a = a.sum(axis=la.index(c), keepdims=True)
    out_letters = "".join(batch + only_a + only_b)
    nb_ = len(batch)
    if not summed:  # an outer (or batched elementwise) product
        a_t = np.transpose(a, [la.index(c) for c in batch + only_a])
        b_t = np.transpose(b, [lb.index(c) for c in batch + only_b])
        a_t = a_t.reshape(a_t.shape + (1,) * len(only_b))
        b_t = b_t.reshape(b_t.shape[:nb_] + (1,) * len(only_a) + b_t.shape[nb_:])
        return out_letters, a_t * b_t
    a_t = np.transpose(a, [la.index(c) for c in batch + only_a + summed])
    b_t = np.transpose(b, [lb.index(c) for c in batch + summed + only_b])
    outer_a = a_t.shape[nb_:nb_ + len(only_a)]
    outer_b = b_t.shape[nb_ + len(summed):]
    inner = math.prod(a_t.shape[nb_ + len(only_a):])
    a_m = a_t.reshape(a_t.shape[:nb_] + (math.prod(outer_a), inner))
    b_m = b_t.reshape(b_t.shape[:nb_] + (inner, math.prod(outer_b)))
    out = np.matmul(a_m, b_m)
    return out_letters, out.reshape(out.shape[:nb_] + outer_a + outer_b)


def _sum_private(letters: str, a: np.ndarray, other: str, needed: set) -> tuple[str, np.ndarray]:
    """Sum out the letters that neither the other operand nor anything later uses."""
    private = [i for i, c in enumerate(letters) if c not in other and c not in needed]
    if not private:
        return letters, a
    kept = "".join(c for i, c in enumerate(letters) if i not in private)
    return kept, a.sum(axis=tuple(private))
