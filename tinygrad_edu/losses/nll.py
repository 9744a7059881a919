"""The negative log-likelihood of class labels, PyTorch's ``nll_loss``.

It takes log-probabilities (the output of ``log_softmax``) and integer labels and returns
-log_probs[label], reduced over the batch. ``nll_loss(log_softmax(z), y)`` equals the
sparse categorical cross-entropy of the logits z, which is the fused, faster choice for
training; ``nll_loss`` is for models that output log-probabilities themselves.

Unlike PyTorch's (classes on axis 1), the classes are on the **last** axis, as everywhere in
this framework (channels-last): log_probs has shape (batch..., classes).
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.ops import fused
from tinygrad_edu.ops.indexing import take_along_axis
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["nll_loss"]


def nll_loss(log_probs, labels, weight=None, ignore_index=-100, reduction="mean"):
    """loss_i = -w[y_i] log_probs[i, y_i], reduced over every position i.

    Args:
        log_probs: log-probabilities, shape (batch..., classes).
        labels: integer class indices, shape (batch...).
        weight: optional per-class weights w, shape (classes,) (default: all 1).
        ignore_index: entries with this label contribute nothing, to the loss or to the
            normalizer (PyTorch's default -100).
        reduction: "mean" (sum_i loss_i / sum_i w[y_i] over the kept entries, PyTorch's
            weighted mean; 0 when no entry is kept, rather than PyTorch's NaN), "sum" or "none".

    >>> import tinygrad_edu as tg
    >>> log_p = tg.Tensor([[0.0, -1.0], [-2.0, -0.5]])
    >>> nll_loss(log_p, [0, 1]).item()
    0.25
    """
    who = "nll_loss"
    log_probs = as_tensor(log_probs)
    if log_probs.data.dtype.kind != "f" or log_probs.ndim == 0:
        raise ValueError(f"{who}: log_probs must be a floating tensor (batch..., classes), got "
                         f"shape {log_probs.shape} and dtype {log_probs.data.dtype}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{who}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    raw = as_tensor(labels).data
    kept = raw != ignore_index
    labels = fused.integer_labels(Tensor._wrap(np.where(kept, raw, 0)), log_probs, who)
    picked = take_along_axis(log_probs, labels.unsqueeze(-1), axis=-1).squeeze(-1)
    dtype = log_probs.data.dtype
    weights = kept.reshape(picked.shape).astype(dtype)
    if weight is not None:
        weight = as_tensor(weight).data.astype(dtype)
        if weight.shape != log_probs.shape[-1:]:
            raise ValueError(f"{who}: weight needs one value per class, shape "
                             f"{log_probs.shape[-1:]}, got {weight.shape}")
        weights = weights * weight[labels.data]
    losses = -picked * Tensor._wrap(weights)
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    return total * (1.0 / max(float(weights.sum()), np.finfo(dtype).tiny))
