"""The harness that compares an op with PyTorch: forward values, first and second derivatives,
in float64 and float32, on contiguous and on transposed (non-contiguous) inputs.

A :class:`Ref` row names the op, our function, PyTorch's, the main inputs and variants (0-d,
size-0, broadcasting). Input makers are functions ``rng -> array``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import tinygrad_edu as tg


def uniform(shape, low=-2.0, high=2.0):
    return lambda rng: rng.uniform(low, high, size=shape)


def distinct(shape, low=-2.0, high=2.0):
    count = int(np.prod(shape))
    return lambda rng: rng.permutation(np.linspace(low, high, count)).reshape(shape)


def fixed(values):
    return lambda rng: np.array(values, dtype=np.float64)


@dataclass
class Ref:
    """One comparison row: ``ours`` and ``theirs`` take the same number of tensors."""

    op: str
    ours: Callable
    theirs: Callable
    inputs: list
    variants: list = field(default_factory=list)  # more input lists (0-d, size-0, broadcast)
    second_order: bool = True

    @property
    def input_lists(self) -> list:
        return [self.inputs, *self.variants]


def unary(op, ours, theirs, low=-2.0, high=2.0, shape=(3, 4)) -> Ref:
    """A row for an elementwise op of one input, with 0-d and size-0 variants."""
    return Ref(op, ours, theirs, [uniform(shape, low, high)],
               [[uniform((), low, high)], [uniform((0,), low, high)],
                [uniform((2, 0, 3), low, high)]])


def binary(op, ours, theirs, low=-2.0, high=2.0, low_b=None, high_b=None) -> Ref:
    """A row for a broadcasting op of two inputs, with 0-d, size-0 and two-sided variants."""
    low_b = low if low_b is None else low_b
    high_b = high if high_b is None else high_b
    b = lambda shape: uniform(shape, low_b, high_b)  # noqa: E731
    a = lambda shape: uniform(shape, low, high)  # noqa: E731
    return Ref(op, ours, theirs, [a((3, 4)), b((4,))],
               [[a(()), b(())], [a((3,)), b(())], [a((0, 3)), b((3,))], [a((2, 1, 3)), b((4, 1))]])


def _leaves(arrays, dtype, transposed):
    """Our leaves and PyTorch's for ``arrays``; transposed: each input of 2+ dims is stored
    with its axes reversed and handed over as a reversed view (a non-contiguous input)."""
    import torch

    torch_dtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    ours, theirs, views_ours, views_theirs = [], [], [], []
    for array in arrays:
        flip = transposed and array.ndim >= 2
        stored = np.ascontiguousarray(array.transpose()) if flip else array
        mine = tg.Tensor(stored, requires_grad=True, dtype=dtype)
        reference = torch.tensor(stored, dtype=torch_dtype, requires_grad=True)
        ours.append(mine)
        theirs.append(reference)
        views_ours.append(mine.transpose() if flip else mine)
        views_theirs.append(reference.permute(*reversed(range(array.ndim))) if flip
                            else reference)
    return ours, theirs, views_ours, views_theirs


def _tolerances(dtype):
    return {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else {"rtol": 2e-5, "atol": 1e-6}


def _as_numpy(grad, like):
    return np.zeros(like.shape) if grad is None else grad.detach().numpy(force=True)


def compare(row: Ref, arrays, dtype=np.float64, transposed=False, seed=0) -> None:
    """Values and gradients of ``row`` on ``arrays`` against PyTorch's."""
    import torch

    rng = np.random.default_rng(seed)
    ours, theirs, views_ours, views_theirs = _leaves(arrays, dtype, transposed)
    if transposed:
        assert any(not v.data.flags.c_contiguous for v in views_ours), "no view to test"
    out, expected = row.ours(*views_ours), row.theirs(*views_theirs)
    tolerances = _tolerances(dtype)
    assert out.dtype == dtype, f"{row.op}: result dtype {out.dtype}, inputs {np.dtype(dtype)}"
    assert out.shape == tuple(expected.shape), (out.shape, tuple(expected.shape))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tolerances)
    if not expected.requires_grad:
        return
    upstream = rng.normal(size=out.shape)
    grads = tg.grad(out, ours, tg.Tensor(upstream, dtype=dtype), create_graph=True,
                    allow_unused=True)
    expected_grads = torch.autograd.grad(expected, theirs, torch.tensor(upstream, dtype=expected
                                         .dtype), create_graph=True, allow_unused=True)
    for g, r, leaf in zip(grads, expected_grads, ours):
        mine = np.zeros(leaf.shape) if g is None else g.data
        np.testing.assert_allclose(mine, _as_numpy(r, leaf), **tolerances)
    if not row.second_order:
        return
    # Second derivatives: differentiate w . grad for a random w once more.
    weights = [rng.normal(size=leaf.shape) for leaf in ours]
    mine_total = sum((g * tg.Tensor(w, dtype=dtype)).sum() for g, w in zip(grads, weights)
                     if g is not None and g.requires_grad)
    their_terms = [(r * torch.tensor(w, dtype=r.dtype)).sum()
                   for r, w in zip(expected_grads, weights) if r is not None and r.requires_grad]
    second = (tg.grad(mine_total, ours, allow_unused=True)
              if isinstance(mine_total, tg.Tensor) else [None] * len(ours))
    expected_second = (torch.autograd.grad(sum(their_terms), theirs, allow_unused=True)
                       if their_terms else [None] * len(theirs))
    for g, r, leaf in zip(second, expected_second, ours):
        mine = np.zeros(leaf.shape) if g is None else g.data
        np.testing.assert_allclose(mine, _as_numpy(r, leaf), rtol=tolerances["rtol"] * 10,
                                   atol=tolerances["atol"] * 10)
