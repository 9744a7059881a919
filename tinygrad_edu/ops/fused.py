"""Fused cross-entropies: the activation and the loss as one op, stable for any logits.

Writing ``-sum(y * log(softmax(z)))`` with separate ops fails twice over: softmax(z)
underflows to 0 for very negative logits and log(0) = -inf, and the chain of backward rules
costs a dozen array passes. Fused, the loss goes through log-sum-exp (finite for logits of
+-1000) and the gradient collapses to one line:

    d/dz [-sum_k y_k log softmax(z)_k] = softmax(z) * sum_k y_k - y        (= p - y for one-hot y)
    d/dz [binary cross-entropy(sigmoid(z), y)] = sigmoid(z) - y

The forward pass keeps the probabilities, so an ordinary backward pass computes that
gradient from saved numpy arrays in one shot. When the backward pass is itself being
recorded (``create_graph=True``, e.g. for a Hessian-vector product) the same formulas are
evaluated with Tensor ops instead, so these ops are twice differentiable.

Each op returns the loss per sample (the class axis removed) or per element; averaging over
the batch is left to the caller (``tinygrad_edu.losses``), whose mean then contributes the 1/N.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import Function, is_grad_enabled
from tinygrad_edu.ops.axes import normalize_axes
from tinygrad_edu.ops.reduce import log_softmax
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["softmax_cross_entropy", "sparse_softmax_cross_entropy",
           "sigmoid_binary_cross_entropy"]


def _log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """log softmax(z) = (z - max z) - log(sum(exp(z - max z))): every exp is at most 1."""
    axis = (axis % z.ndim,)
    shifted = z - np.maximum.reduce(z, axis=axis, keepdims=True)
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


class SoftmaxCrossEntropy(Function):
    """loss = -sum_k y_k * log_softmax(z)_k along ``axis`` (y: one-hot or probabilities).

    Backward, with g = dL/d(loss) broadcast along the class axis:
        dz = g * (softmax(z) * sum_k y_k - y)
        dy = -g * log_softmax(z)
    """

    saves_inputs = True
    hint = "logits and targets must have the same shape (batch..., classes)"

    def forward(self, logits, targets, axis):
        self.axis = axis
        self.log_probs = _log_softmax(logits, axis)
        self.probs = np.exp(self.log_probs)
        return -np.sum(targets * self.log_probs, axis=axis)

    def backward(self, g):
        logits, targets = self.inputs
        axis = self.axis
        if not is_grad_enabled():  # ordinary backward: one numpy expression
            g_along = np.expand_dims(g.data, axis)
            grad_logits = grad_targets = None
            if logits.requires_grad:
                total = np.sum(targets.data, axis=axis, keepdims=True)
                grad_logits = Tensor._wrap(g_along * (self.probs * total - targets.data))
            if targets.requires_grad:
                grad_targets = Tensor._wrap(-g_along * self.log_probs)
            return grad_logits, grad_targets
        log_probs = log_softmax(logits, axis=axis)
        g_along = g.unsqueeze(axis)
        grad_logits = g_along * (log_probs.exp() * targets.sum(axis=axis, keepdims=True) - targets)
        grad_targets = -g_along * log_probs if targets.requires_grad else None
        return grad_logits, grad_targets


class SparseSoftmaxCrossEntropy(Function):
    """loss = -log_softmax(z)[label] along the last axis, for integer class labels.

    Backward:  dz = g * (softmax(z) - one_hot(label)).   Labels get no gradient.
    """

    hint = "labels must hold one integer class index per row of logits"

    def forward(self, logits, labels):
        self.log_probs = log_probs = _log_softmax(logits, -1)
        # Where each row's label sits in the flattened (samples, classes) array: one flat
        # index is cheaper than a (row, column) pair of index arrays.
        classes = log_probs.shape[-1]
        self.picks = np.arange(0, labels.size * classes, classes) + labels.reshape(-1)
        return -log_probs.reshape(-1).take(self.picks).reshape(labels.shape)

    def backward(self, g):
        logits, labels = self.inputs
        if not is_grad_enabled():
            grad = np.exp(self.log_probs)  # softmax(z), a new array to write into
            grad.reshape(-1)[self.picks] -= 1  # each row's label once: no repeated index
            grad *= g.data[..., None]
            return Tensor._wrap(grad), None
        one_hot = Tensor._wrap(np.eye(logits.shape[-1], dtype=logits.data.dtype)[labels.data])
        probs = log_softmax(logits, axis=-1).exp()
        return g.unsqueeze(-1) * (probs - one_hot), None


class SigmoidBinaryCrossEntropy(Function):
    """loss = -(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))), elementwise, computed as

        max(z, 0) - z * y + log(1 + exp(-|z|))        (no overflow for any z)

    Backward:  dz = g * (sigmoid(z) - y),   dy = -g * z.
    """

    saves_inputs = True
    hint = "logits and targets must have the same shape"

    def forward(self, logits, targets):
        small = np.exp(-np.abs(logits))
        self.probs = np.where(logits >= 0, 1.0 / (1.0 + small), small / (1.0 + small))
        self.probs = self.probs.astype(logits.dtype, copy=False)
        loss = np.maximum(logits, 0) - logits * targets + np.log1p(small)
        return loss.astype(logits.dtype, copy=False)

    def backward(self, g):
        logits, targets = self.inputs
        if not is_grad_enabled():
            grad_logits = grad_targets = None
            if logits.requires_grad:
                grad_logits = Tensor._wrap(g.data * (self.probs - targets.data))
            if targets.requires_grad:
                grad_targets = Tensor._wrap(-g.data * logits.data)
            return grad_logits, grad_targets
        grad_logits = g * (logits.sigmoid() - targets)
        grad_targets = -g * logits if targets.requires_grad else None
        return grad_logits, grad_targets


def _float_logits(logits, who) -> Tensor:
    logits = as_tensor(logits)
    if logits.data.dtype.kind != "f":
        raise TypeError(f"{who}: logits must be floating, got dtype {logits.data.dtype}")
    if logits.ndim == 0:
        raise ValueError(f"{who}: logits must have a class axis, got a 0-d tensor")
    return logits


def _targets_like(targets, logits: Tensor, who: str, hint: str = "") -> Tensor:
    targets = as_tensor(targets, dtype=logits.data.dtype)
    if targets.shape != logits.shape:
        raise ValueError(
            f"{who}: targets have shape {targets.shape} but logits have shape {logits.shape}; "
            f"they must match.{hint}"
        )
    if targets.data.dtype != logits.data.dtype:
        targets = targets.astype(logits.data.dtype)
    return targets


def softmax_cross_entropy(logits, targets, axis=-1):
    """Per-sample cross-entropy of softmax(logits) against one-hot or probability targets.

    Args:
        logits: unnormalized scores, shape (batch..., classes).
        targets: same shape; each row one-hot or a probability distribution.
        axis: the class axis.

    Returns:
        The loss per sample, shape ``logits.shape`` without ``axis``.

    >>> import tinygrad_edu as tg
    >>> loss = softmax_cross_entropy(tg.Tensor([[1000.0, -1000.0]]), tg.Tensor([[0.0, 1.0]]))
    >>> loss.tolist()
    [2000.0]
    """
    who = "softmax_cross_entropy"
    logits = _float_logits(logits, who)
    targets = _targets_like(targets, logits, who, " Targets are one-hot rows or probability "
                            "distributions; for integer class labels use "
                            "sparse_softmax_cross_entropy.")
    (axis,) = normalize_axes(axis, logits.ndim, who)
    return SoftmaxCrossEntropy.apply(logits, targets, axis=axis)


def integer_labels(labels, logits: Tensor, who: str) -> Tensor:
    """Validated integer class labels of shape logits.shape[:-1] (a trailing 1 is dropped)."""
    labels = as_tensor(labels)
    values = labels.data
    expected = logits.shape[:-1]
    if values.shape == expected + (1,):
        values = values[..., 0]
    if values.shape != expected:
        raise ValueError(
            f"{who}: labels have shape {labels.shape} but logits of shape {logits.shape} need "
            f"one integer class index per row, shape {expected}. One-hot labels of shape "
            f"{logits.shape} go to the non-sparse categorical cross-entropy."
        )
    if values.dtype.kind == "f":
        if not np.all(values == np.round(values)):
            raise ValueError(f"{who}: labels must be integer class indices, got fractional "
                             "values; for probability targets use the non-sparse version")
        values = values.astype(np.int64)
    elif values.dtype.kind not in "iub":
        raise TypeError(f"{who}: labels must be integers, got dtype {values.dtype}")
    classes = logits.shape[-1]
    values = values.astype(np.intp, copy=False)
    # One pass for both bounds: read as unsigned, a negative label becomes huge.
    if np.maximum.reduce(values.view(np.uintp), axis=None, initial=0) >= classes:
        raise ValueError(
            f"{who}: labels must lie in [0, {classes - 1}] for {classes} classes, got values "
            f"from {values.min()} to {values.max()}"
        )
    return Tensor._wrap(values)


def sparse_softmax_cross_entropy(logits, labels):
    """Per-sample cross-entropy of softmax(logits) against integer class labels.

    Args:
        logits: shape (batch..., classes), classes on the last axis.
        labels: integer class indices, shape (batch...) or (batch..., 1).

    Returns:
        The loss per sample, shape ``logits.shape[:-1]``.
    """
    who = "sparse_softmax_cross_entropy"
    logits = _float_logits(logits, who)
    return SparseSoftmaxCrossEntropy.apply(logits, integer_labels(labels, logits, who))


def sigmoid_binary_cross_entropy(logits, targets):
    """Elementwise binary cross-entropy of sigmoid(logits) against targets in [0, 1].

    Returns:
        The loss per element, the shape of ``logits`` (finite for logits of +-1000).
    """
    who = "sigmoid_binary_cross_entropy"
    logits = as_tensor(logits)
    if logits.data.dtype.kind != "f":
        raise TypeError(f"{who}: logits must be floating, got dtype {logits.data.dtype}")
    targets = _targets_like(targets, logits, who)
    return SigmoidBinaryCrossEntropy.apply(logits, targets)
