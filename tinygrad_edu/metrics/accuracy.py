"""Accuracy metrics, as Keras names and computes them.

Functional forms return one value per sample (1.0 for a hit, 0.0 for a miss), like
``keras.metrics.*_accuracy``; take ``.mean()`` for the accuracy of a batch. The classes
accumulate the weighted mean of those values over batches.

- binary:      hit = [(y_pred > threshold) == y_true]          (element-wise, threshold 0.5)
- categorical: hit = [argmax(y_pred) == argmax(y_true)]       (one-hot targets)
- sparse:      hit = [argmax(y_pred) == y_true]               (integer targets)
- top-k:       hit = [score of the true class >= k-th largest score]   (ties count as hits)
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.metrics.base import MeanMetricWrapper, as_array, same_rank

__all__ = [
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
]


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Element-wise hits of thresholded predictions: ``float((y_pred > threshold) == y_true)``.

    Shapes (n,) and (n, 1) are matched to each other; otherwise they must be equal.

    >>> binary_accuracy([1, 0, 1], [0.9, 0.2, 0.4]).tolist()
    [1.0, 1.0, 0.0]
    """
    name = "binary_accuracy"
    y_true = as_array(y_true, "y_true", name)
    y_pred = as_array(y_pred, "y_pred", name)
    y_true, y_pred = same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{name}: y_true shape {y_true.shape} and y_pred shape {y_pred.shape} differ; "
            "binary accuracy compares element by element (one sigmoid output per label). "
            "For softmax outputs use categorical_accuracy or sparse_categorical_accuracy"
        )
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return (predicted == y_true).astype(np.float32)


def _check_class_scores(name: str, y_pred: np.ndarray) -> None:
    if y_pred.ndim < 1 or y_pred.shape[-1] < 1:
        raise ValueError(
            f"{name}: y_pred must hold one score per class on its last axis, got shape "
            f"{y_pred.shape}"
        )


def categorical_accuracy(y_true, y_pred):
    """Per-sample hits ``argmax(y_pred) == argmax(y_true)`` for one-hot ``y_true``.

    >>> categorical_accuracy([[0, 1], [1, 0]], [[0.3, 0.7], [0.4, 0.6]]).tolist()
    [1.0, 0.0]
    """
    name = "categorical_accuracy"
    y_true = as_array(y_true, "y_true", name)
    y_pred = as_array(y_pred, "y_pred", name)
    _check_class_scores(name, y_pred)
    if y_true.shape != y_pred.shape:
        hint = ""
        if y_true.shape in (y_pred.shape[:-1], y_pred.shape[:-1] + (1,)):
            hint = " y_true looks like integer labels: use sparse_categorical_accuracy."
        raise ValueError(
            f"{name}: y_true must be one-hot with the shape of y_pred {y_pred.shape}, got "
            f"{y_true.shape}.{hint}"
        )
    return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(np.float32)


def _integer_labels(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Labels shaped like y_pred without its class axis (a trailing 1 is dropped), checked to
    be whole numbers in [0, num_classes)."""
    _check_class_scores(name, y_pred)
    num_classes = y_pred.shape[-1]
    if y_true.shape == y_pred.shape[:-1] + (1,) and y_true.shape != y_pred.shape:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        hint = " y_true looks one-hot: use categorical_accuracy." \
            if y_true.shape == y_pred.shape else ""
        raise ValueError(
            f"{name}: y_true must hold one integer label per sample, shape {y_pred.shape[:-1]} "
            f"for y_pred {y_pred.shape}; got {y_true.shape}.{hint}"
        )
    if y_true.size:
        if y_true.dtype.kind == "f" and np.any(y_true != np.round(y_true)):
            raise ValueError(f"{name}: labels must be whole numbers, got e.g. {y_true.flat[0]}")
        if y_true.min() < 0 or y_true.max() >= num_classes:
            raise ValueError(
                f"{name}: labels must be in 0..{num_classes - 1} for {num_classes} classes, "
                f"found {y_true.min()}..{y_true.max()}"
            )
    return y_true.astype(np.int64)


def sparse_categorical_accuracy(y_true, y_pred):
    """Per-sample hits ``argmax(y_pred) == y_true`` for integer labels.

    >>> sparse_categorical_accuracy([1, 0], [[0.3, 0.7], [0.4, 0.6]]).tolist()
    [1.0, 0.0]
    """
    name = "sparse_categorical_accuracy"
    y_pred = as_array(y_pred, "y_pred", name)
    labels = _integer_labels(name, as_array(y_true, "y_true", name), y_pred)
    return (np.argmax(y_pred, axis=-1) == labels).astype(np.float32)


def _in_top_k(labels: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    num_classes = y_pred.shape[-1]
    k = min(int(k), num_classes)
    target = np.take_along_axis(y_pred, labels[..., None], axis=-1)[..., 0]
    # The k-th largest score per row; the true class is a hit if it scores at least that.
    kth_largest = np.partition(y_pred, num_classes - k, axis=-1)[..., num_classes - k]
    return (target >= kth_largest).astype(np.float32)


def _check_k(name: str, k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{name}: k must be an int >= 1, got {k!r}")
    return int(k)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per-sample hits: is the true class (argmax of one-hot ``y_true``) among the ``k``
    highest scores? A tie with the k-th score counts as a hit (as in Keras)."""
    name = "top_k_categorical_accuracy"
    k = _check_k(name, k)
    y_true = as_array(y_true, "y_true", name)
    y_pred = as_array(y_pred, "y_pred", name)
    _check_class_scores(name, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{name}: y_true must be one-hot with the shape of y_pred {y_pred.shape}, got "
            f"{y_true.shape} (for integer labels use sparse_top_k_categorical_accuracy)"
        )
    return _in_top_k(np.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per-sample hits: is the integer label among the ``k`` highest scores?"""
    name = "sparse_top_k_categorical_accuracy"
    k = _check_k(name, k)
    y_pred = as_array(y_pred, "y_pred", name)
    labels = _integer_labels(name, as_array(y_true, "y_true", name), y_pred)
    return _in_top_k(labels, y_pred, k)


class BinaryAccuracy(MeanMetricWrapper):
    """Running binary accuracy (see :func:`binary_accuracy`)."""

    def __init__(self, name="binary_accuracy", threshold=0.5):
        super().__init__(binary_accuracy, name=name, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """Running categorical accuracy for one-hot targets."""

    def __init__(self, name="categorical_accuracy"):
        super().__init__(categorical_accuracy, name=name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """Running accuracy for integer targets."""

    def __init__(self, name="sparse_categorical_accuracy"):
        super().__init__(sparse_categorical_accuracy, name=name)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """Running top-k accuracy for one-hot targets (k=5 by default, as Keras)."""

    def __init__(self, k=5, name="top_k_categorical_accuracy"):
        super().__init__(top_k_categorical_accuracy, name=name, k=_check_k(name, k))


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """Running top-k accuracy for integer targets."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy"):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, k=_check_k(name, k))
