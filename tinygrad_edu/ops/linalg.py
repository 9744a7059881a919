"""Matrix multiplication. ``g = dL/dy``; ``mT`` swaps the last two axes.

For y = a @ b (with any leading batch axes broadcast like numpy):

    da = g @ mT(b)        db = mT(a) @ g

The engine then sums the gradients over broadcast batch axes (``autograd.unbroadcast``).
"""

from __future__ import annotations

from tinygrad_edu.autograd import Function, state
from tinygrad_edu.ops.shape import Transpose
from tinygrad_edu.tensor import Tensor, operands

_SWAP_LAST_TWO = {n: (*range(n - 2), n - 1, n - 2) for n in range(2, 8)}


def _mT(t):
    """The matrix transpose of every matrix in a batch: the last two axes swapped."""
    if not state.grad_enabled:  # nothing to record: the numpy view is the whole op
        data = t.data
        return Tensor._wrap(data.T if data.ndim == 2 else data.swapaxes(-1, -2))
    ndim = t.ndim
    axes = _SWAP_LAST_TWO.get(ndim) or (*range(ndim - 2), ndim - 1, ndim - 2)
    return Transpose.apply(t, axes=axes)


class MatMul(Function):
    """y = a @ b for operands with at least 2 dims.   da = g @ b^T,  db = a^T @ g."""

    saves_inputs = True
    hint = ("The last axis of the left operand must equal the second-to-last of the right "
            "one; maybe one of them needs .T")

    def forward(self, a, b):
        return a @ b

    def backward(self, g):
        a, b = self.inputs
        # MatMul.apply is what ``@`` calls for operands of 2 or more dims, as these are.
        grad_a = MatMul.apply(g, _mT(b)) if a._requires_grad else None
        grad_b = MatMul.apply(_mT(a), g) if b._requires_grad else None
        return grad_a, grad_b


def matmul(a, b):
    """a @ b with numpy's rules: 1-D operands act as a row (left) or a column (right) vector."""
    a, b = operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: operands must have at least 1 dim, got shapes {a.shape} and {b.shape}; "
            "use * to scale by a scalar"
        )
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: inner dimensions differ: {a.shape} @ {b.shape} ({k_a} != {k_b}). "
            "The last axis of the left operand must equal the second-to-last of the right "
            "one; maybe one of them needs .T"
        )
    if a.ndim >= 2 and b.ndim >= 2:
        return MatMul.apply(a, b)
    # Lift vectors to matrices so one rule covers every case, then drop the added axes.
    left = a.unsqueeze(0) if a.ndim == 1 else a
    right = b.unsqueeze(-1) if b.ndim == 1 else b
    out = MatMul.apply(left, right)
    if b.ndim == 1:
        out = out.squeeze(-1)
    if a.ndim == 1:
        out = out.squeeze(-2 if b.ndim > 1 else -1)
    return out


def dot(a, b):
    """Alias of :func:`matmul` kept for readers coming from numpy."""
    return matmul(*operands(a, b))
