"""Keras-named metrics on numpy arrays: stateful classes plus functional forms.

Classes (``update_state`` / ``result`` / ``reset_state``; see :mod:`.base`):
BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError, Precision, Recall, AUC,
and Mean (a running weighted mean, e.g. of the loss).

Functions: the accuracy, mse and mae forms return one value per sample, like Keras's;
precision, recall and auc return a number for the batch.

Names accepted in ``compile(metrics=[...])``: ``"accuracy"``/``"acc"`` (resolved by
:func:`resolve_metric`), ``binary_accuracy``, ``categorical_accuracy``,
``sparse_categorical_accuracy``, ``top_k_categorical_accuracy``,
``sparse_top_k_categorical_accuracy``, ``mse``/``mean_squared_error``,
``mae``/``mean_absolute_error``, ``precision``, ``recall``, ``auc``. The string given is
the metric's name, hence the key in the training logs (``"acc"`` logs ``acc`` and
``val_acc``), as in Keras.
"""

from __future__ import annotations

from tinygrad_edu.lookup import did_you_mean
from tinygrad_edu.metrics.accuracy import (
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from tinygrad_edu.metrics.base import Mean, MeanMetricWrapper, Metric
from tinygrad_edu.metrics.confusion import AUC, Precision, Recall, auc, precision, recall
from tinygrad_edu.metrics.regression import (
    MeanAbsoluteError,
    MeanSquaredError,
    mae,
    mean_absolute_error,
    mean_squared_error,
    mse,
)

__all__ = [
    "Metric", "Mean", "MeanMetricWrapper",
    "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "MeanSquaredError", "MeanAbsoluteError", "Precision", "Recall", "AUC",
    "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "mean_squared_error", "mean_absolute_error", "mse", "mae", "precision", "recall", "auc",
    "get", "resolve_metric", "metric_direction", "ACCURACY_NAMES",
]

ACCURACY_NAMES = ("accuracy", "acc")

_REGISTRY = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "precision": Precision,
    "recall": Recall,
    "auc": AUC,
}

_BINARY_LOSSES = {"binary_crossentropy", "bce", "binary_focal_crossentropy"}
_SPARSE_LOSSES = {"sparse_categorical_crossentropy"}
_CATEGORICAL_LOSSES = {"categorical_crossentropy", "cce", "categorical_focal_crossentropy"}


def _unknown(name: str) -> ValueError:
    valid = sorted({*_REGISTRY, *ACCURACY_NAMES})
    return ValueError(f"Unknown metric {name!r}.{did_you_mean(name.lower(), valid, 3, 0.5)} "
                      f"Valid names: {', '.join(valid)}")


def get(identifier) -> Metric:
    """A fresh metric for a name, a Metric class, a Metric instance (returned as is), or a
    function ``fn(y_true, y_pred)`` returning per-sample values (wrapped in a running mean).

    ``"accuracy"`` needs the loss or shapes to be resolved: use :func:`resolve_metric`.

    Raises:
        ValueError: unknown name (the closest valid names are suggested).
        TypeError: anything else.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ACCURACY_NAMES:
            raise ValueError(
                f"metric {identifier!r} depends on the loss and label shape; use "
                "resolve_metric(name, loss_name, y_shape, y_pred_shape)"
            )
        if key not in _REGISTRY:
            raise _unknown(identifier)
        return _REGISTRY[key](name=identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(
        f"metrics: expected a metric name, Metric or function, got {type(identifier).__name__}"
    )


def _loss_key(loss) -> str | None:
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss.lower()
    return str(getattr(loss, "name", None) or getattr(loss, "__name__", "")).lower() or None


def _accuracy_class(loss, y_shape, y_pred_shape):
    key = _loss_key(loss)
    if key in _BINARY_LOSSES:
        return BinaryAccuracy
    if key in _SPARSE_LOSSES:
        return SparseCategoricalAccuracy
    if key in _CATEGORICAL_LOSSES:
        return CategoricalAccuracy
    if y_pred_shape is not None and len(y_pred_shape) > 0:
        if y_pred_shape[-1] == 1:
            return BinaryAccuracy
        if y_shape is not None and (
            len(y_shape) < len(y_pred_shape) or (len(y_shape) > 0 and y_shape[-1] == 1)
        ):
            return SparseCategoricalAccuracy
        return CategoricalAccuracy
    if y_shape is not None and (len(y_shape) == 1 or (len(y_shape) > 0 and y_shape[-1] == 1)):
        return BinaryAccuracy
    return CategoricalAccuracy


def resolve_metric(name, loss_name=None, y_shape=None, y_pred_shape=None) -> Metric:
    """Turn a ``compile(metrics=...)`` entry into a fresh Metric named as given.

    ``"accuracy"`` / ``"acc"`` becomes, as in Keras:

    1. binary_accuracy for a binary cross-entropy loss, sparse_categorical_accuracy for
       sparse_categorical_crossentropy, categorical_accuracy for categorical_crossentropy;
    2. otherwise, from the shapes (Keras 3's rule, used by ``compile`` before it knows the
       loss's meaning): predictions with last axis 1 -> binary; labels of lower rank than
       the predictions, or labels with last axis 1 against several outputs -> sparse;
       else categorical;
    3. with only the label shape known: labels (n,) or (n, 1) -> binary, else categorical.

    Args:
        name: a metric name, Metric, Metric class or function (see :func:`get`).
        loss_name: the loss as a name or a loss object/function (its ``name`` or
            ``__name__`` is used), or None.
        y_shape: shape of the targets, or None.
        y_pred_shape: shape of the model's output, or None.

    >>> resolve_metric("accuracy", "sparse_categorical_crossentropy")
    SparseCategoricalAccuracy(name='accuracy')
    >>> resolve_metric("acc", None, y_shape=(32, 1), y_pred_shape=(32, 1))
    BinaryAccuracy(name='acc')
    """
    if isinstance(name, str) and name.lower() in ACCURACY_NAMES:
        y_shape = None if y_shape is None else tuple(y_shape)
        y_pred_shape = None if y_pred_shape is None else tuple(y_pred_shape)
        return _accuracy_class(loss_name, y_shape, y_pred_shape)(name=name)
    return get(name)


def metric_direction(name: str) -> str | None:
    """``"up"`` when a larger logged value is better, ``"down"`` when smaller is, or None
    when the name is not known (``"val_"`` prefixes are ignored)."""
    key = name.lower().removeprefix("val_")
    if key == "loss" or key.endswith("_loss") or key.endswith("crossentropy"):
        return "down"
    if key in ACCURACY_NAMES or key.endswith("accuracy"):
        return "up"
    if key in _REGISTRY:
        return _REGISTRY[key].direction
    return None
