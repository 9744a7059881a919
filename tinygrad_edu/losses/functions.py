"""The losses as functions of (y_true, y_pred), one value per sample, with Keras's formulas.

Each returns the mean (or sum) over the last axis, e.g.
``mean_squared_error(y, p).shape == (batch,)``; the classes in
:mod:`tinygrad_edu.losses.objects` reduce these values over the batch.

Probabilities are clipped to [epsilon, 1 - epsilon] with Keras's epsilon = 1e-7 before a
log, so a confident wrong prediction costs -log(1e-7) ~ 16.1 instead of infinity.
``from_logits=True`` skips the sigmoid/softmax layer and uses the fused, stable ops of
:mod:`tinygrad_edu.ops.fused` instead (finite for logits of +-1000, and faster).

Shapes: ``y_true`` and ``y_pred`` must have the same shape, except that a trailing axis of
size 1 is added or dropped to match (``(batch,)`` against ``(batch, 1)``), as Keras does.
``sparse_categorical_crossentropy`` takes integer labels of shape ``(batch,)``.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.functional.activations import softplus
from tinygrad_edu.ops import fused
from tinygrad_edu.ops.elementwise import where
from tinygrad_edu.ops.reduce import log_softmax
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = [
    "EPSILON", "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "huber", "hinge", "kl_divergence", "log_cosh",
]

EPSILON = 1e-7  # Keras's backend epsilon: the clipping bound for probabilities


# ----- input checking -----------------------------------------------------------------------


def _prediction(y_pred, who, y_true=None) -> Tensor:
    y_pred = as_tensor(y_pred)
    if y_pred.data.dtype.kind != "f":
        swapped = (y_true is not None and np.asarray(y_true).dtype.kind == "f"
                   and y_pred.data.dtype.kind in "iu")
        hint = (" (integer labels as y_pred and floats as y_true: are the arguments swapped? "
                "The order is (y_true, y_pred), as in Keras)") if swapped else ""
        raise TypeError(f"{who}: y_pred must be floating, got dtype {y_pred.data.dtype}{hint}")
    return y_pred


def _label_hint(y_true: Tensor, y_pred: Tensor) -> str:
    """Say what to do when integer class labels meet per-class predictions."""
    if y_pred.ndim == 0 or y_pred.shape[-1] < 2:
        return ""
    looks_sparse = y_true.shape == y_pred.shape[:-1] or y_true.shape == y_pred.shape[:-1] + (1,)
    if not looks_sparse:
        return ""
    classes = y_pred.shape[-1]
    return (f" y_true looks like integer class labels while y_pred has {classes} classes per "
            "sample: use loss='sparse_categorical_crossentropy', or one-hot encode the labels "
            f"first with tinygrad_edu.to_categorical(labels, {classes}).")


def _align(y_true: Tensor, y_pred: Tensor, who: str) -> tuple[Tensor, Tensor]:
    """Same dtype, and the same shape up to a trailing axis of size 1 (Keras's rule)."""
    if y_true.data.dtype != y_pred.data.dtype:
        y_true = y_true.astype(y_pred.data.dtype)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1:] == (1,):
        y_true = y_true.squeeze(-1)
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1:] == (1,):
        y_true = y_true.unsqueeze(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{who}: y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; "
            f"they must match.{_label_hint(y_true, y_pred)}"
        )
    return y_true, y_pred


def _prepare(y_true, y_pred, who) -> tuple[Tensor, Tensor]:
    y_pred = _prediction(y_pred, who)
    return _align(as_tensor(y_true, dtype=y_pred.data.dtype), y_pred, who)


def _check_order(y_true: Tensor, y_pred: Tensor, who: str) -> None:
    """Refuse arguments that are clearly swapped (the PyTorch habit ``loss(pred, target)``):
    y_pred holds nothing but exact 0s and 1s, as labels do, while y_true holds values that
    no label has. A real prediction is almost never exactly 0 or 1 everywhere."""
    predictions, targets = y_pred.data, y_true.data
    if predictions.size == 0 or not np.all((predictions == 0) | (predictions == 1)):
        return
    not_label = targets[(targets != 0) & (targets != 1)]
    if not_label.size:
        raise ValueError(
            f"{who}: the arguments look swapped: y_pred holds only 0s and 1s, like labels, "
            f"while y_true holds values such as {float(not_label.flat[0]):.4g} that no label "
            "has. The order is (y_true, y_pred), as in Keras: loss(labels, predictions) "
            "(PyTorch's losses take (prediction, target), the other way round)."
        )


def _clip_probabilities(p: Tensor) -> Tensor:
    return p.clip(EPSILON, 1.0 - EPSILON)


# ----- the losses, per sample ---------------------------------------------------------------


def mean_squared_error(y_true, y_pred):
    """mean((y_pred - y_true)^2) over the last axis.  d/dy_pred = 2 (y_pred - y_true) / n."""
    y_true, y_pred = _prepare(y_true, y_pred, "mean_squared_error")
    error = y_pred - y_true
    return (error * error).mean(axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_pred - y_true|) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred, "mean_absolute_error")
    return abs(y_pred - y_true).mean(axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, epsilon)) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred, "mean_absolute_percentage_error")
    scale = abs(y_true).maximum(EPSILON)
    return abs((y_true - y_pred) / scale).mean(axis=-1) * 100.0


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred, "mean_squared_logarithmic_error")
    difference = (y_pred.maximum(EPSILON) + 1.0).log() - (y_true.maximum(EPSILON) + 1.0).log()
    return (difference * difference).mean(axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """mean over ``axis`` of -(y log p + (1 - y) log(1 - p)), p = clip(y_pred, eps, 1 - eps).

    With ``from_logits=True``, y_pred are logits z and p = sigmoid(z) is fused into the loss
    (max(z, 0) - z y + log(1 + exp(-|z|)), gradient sigmoid(z) - y).
    ``label_smoothing`` s replaces y by y (1 - s) + s / 2.
    """
    who = "binary_crossentropy"
    y_true, y_pred = _prepare(y_true, y_pred, who)
    _check_order(y_true, y_pred, who)
    y_true = _smooth(y_true, label_smoothing, 2, who)
    if from_logits:
        elementwise = fused.sigmoid_binary_cross_entropy(y_pred, y_true)
    else:
        p = _clip_probabilities(y_pred)
        elementwise = -(y_true * p.log() + (1.0 - y_true) * (1.0 - p).log())
    return elementwise.mean(axis=axis)


def _smooth(y_true: Tensor, label_smoothing, classes: int, who: str) -> Tensor:
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{who}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + label_smoothing / classes


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum_k y_k log p_k over the class ``axis``, for one-hot (or probability) y_true.

    Without logits, Keras's formula on the probabilities (e.g. a softmax layer's output):
    p = y_pred / sum(y_pred) (renormalized), then clipped to [eps, 1 - eps], then the log.
    With ``from_logits=True`` the softmax is fused into the loss (gradient p - y).
    ``label_smoothing`` s replaces y by y (1 - s) + s / classes.
    """
    who = "categorical_crossentropy"
    y_pred = _prediction(y_pred, who)
    y_true = as_tensor(y_true, dtype=y_pred.data.dtype)
    if y_pred.ndim == 0 or y_true.shape != y_pred.shape:
        raise ValueError(
            f"{who}: y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; "
            f"they must match (one-hot rows).{_label_hint(y_true, y_pred)}"
        )
    if y_true.data.dtype != y_pred.data.dtype:
        y_true = y_true.astype(y_pred.data.dtype)
    _check_order(y_true, y_pred, who)
    y_true = _smooth(y_true, label_smoothing, y_pred.shape[axis], who)
    if from_logits:
        return fused.softmax_cross_entropy(y_pred, y_true, axis=axis)
    p = _clip_probabilities(y_pred / y_pred.sum(axis=axis, keepdims=True))
    return -(y_true * p.log()).sum(axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1, label_smoothing=0.0):
    """categorical_crossentropy with integer class labels instead of one-hot rows.

    y_true has shape (batch...) (or (batch..., 1)), y_pred (batch..., classes).
    loss = -log p[label], with p renormalized and clipped as in categorical_crossentropy,
    or the fused log-softmax when ``from_logits=True``.

    Args:
        ignore_class: a label value (e.g. -1 or a "void" class of a segmentation map) whose
            entries get loss 0; as in Keras, the loss classes then average over the other
            entries only (:class:`~tinygrad_edu.losses.SparseCategoricalCrossentropy`).
        label_smoothing: s in [0, 1]: the target is the one-hot row smoothed to
            (1 - s) one_hot + s / classes, so loss = (1 - s) (-log p[label]) + s mean_k(-log p_k)
            (the same as categorical_crossentropy's smoothing, and PyTorch's
            ``cross_entropy(label_smoothing=s)``).
    """
    who = "sparse_categorical_crossentropy"
    y_pred = _prediction(y_pred, who, y_true=y_true.data if isinstance(y_true, Tensor) else y_true)
    if axis not in (-1, y_pred.ndim - 1):
        raise ValueError(f"{who}: only the last axis can hold the classes, got axis={axis}")
    y_true = as_tensor(y_true)
    if y_pred.ndim >= 1 and y_true.shape == y_pred.shape and y_pred.shape[-1] > 1:
        raise ValueError(
            f"{who}: y_true has the shape of y_pred {y_pred.shape}: it looks one-hot "
            "encoded. Use loss='categorical_crossentropy' for one-hot labels, or pass the "
            "integer labels (labels.argmax(axis=-1))."
        )
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{who}: label_smoothing must be in [0, 1], got {label_smoothing}")
    valid = None
    if ignore_class is not None:  # ignored entries get a valid label here, and loss 0 below
        valid = ignored_mask(y_true, y_pred, ignore_class)
        y_true = Tensor._wrap(np.where(valid.reshape(y_true.shape), y_true.data, 0))
    labels = fused.integer_labels(y_true, y_pred, who)
    if from_logits:
        loss = fused.sparse_softmax_cross_entropy(y_pred, labels)
        log_probs = None
    else:
        log_probs = _clip_probabilities(y_pred / y_pred.sum(axis=-1, keepdims=True)).log()
        one_hot = np.eye(y_pred.shape[-1], dtype=y_pred.data.dtype)[labels.data]
        loss = -(log_probs * Tensor._wrap(one_hot)).sum(axis=-1)
    if label_smoothing:
        if log_probs is None:
            log_probs = log_softmax(y_pred, axis=-1)
        loss = loss * (1.0 - label_smoothing) - log_probs.mean(axis=-1) * label_smoothing
    if valid is not None:
        loss = where(valid, loss, 0.0)
    return loss


def ignored_mask(y_true, y_pred, ignore_class) -> np.ndarray:
    """True where a label is not ``ignore_class``, shaped like y_pred without its class axis."""
    values = as_tensor(y_true).data
    if values.shape == y_pred.shape[:-1] + (1,):
        values = values[..., 0]
    return values != ignore_class


def huber(y_true, y_pred, delta=1.0):
    """mean over the last axis of 0.5 e^2 where |e| <= delta, else delta (|e| - 0.5 delta),
    with e = y_pred - y_true: squared near 0, linear (robust to outliers) far away."""
    who = "huber"
    if not delta > 0:
        raise ValueError(f"{who}: delta must be > 0, got {delta}")
    y_true, y_pred = _prepare(y_true, y_pred, who)
    error = y_pred - y_true
    abs_error = abs(error)
    quadratic = error * error * 0.5
    linear = abs_error * delta - 0.5 * delta * delta
    return where(abs_error <= delta, quadratic, linear).mean(axis=-1)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)) over the last axis, labels in {-1, 1}.

    Labels given as {0, 1} are converted to {-1, 1} first (Keras does the same).
    """
    y_true, y_pred = _prepare(y_true, y_pred, "hinge")
    values = y_true.data
    if np.all((values == 0) | (values == 1)):
        y_true = y_true * 2.0 - 1.0
    return (1.0 - y_true * y_pred).relu().mean(axis=-1)


def kl_divergence(y_true, y_pred):
    """sum(y log(y / p)) over the last axis, with y and p clipped to [epsilon, 1]."""
    y_true, y_pred = _prepare(y_true, y_pred, "kl_divergence")
    y = y_true.clip(EPSILON, 1.0)
    p = y_pred.clip(EPSILON, 1.0)
    return (y * (y / p).log()).sum(axis=-1)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true))) over the last axis.

    Computed as x + softplus(-2x) - log 2, which equals log((e^x + e^-x) / 2) but never
    overflows (cosh(1000) does).  d/dx = tanh(x).
    """
    y_true, y_pred = _prepare(y_true, y_pred, "log_cosh")
    x = y_pred - y_true
    return (x + softplus(x * -2.0) - math.log(2.0)).mean(axis=-1)
