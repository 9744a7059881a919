"""Regression metrics: mean squared and mean absolute error, per sample as in Keras.

    mse_i = mean_j (y_true_ij - y_pred_ij)^2        mae_i = mean_j |y_true_ij - y_pred_ij|

(the mean is over the last axis; 1-D inputs give one value per element, since each element
is then a sample - Keras would return one number for the whole batch). Shapes must match,
except (n,) against (n, 1): broadcasting those two gives an (n, n) array, a classic silent
bug, so they are aligned instead; any other mismatch is an error.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.metrics.base import MeanMetricWrapper, as_array, same_rank

__all__ = [
    "mean_squared_error",
    "mean_absolute_error",
    "mse",
    "mae",
    "MeanSquaredError",
    "MeanAbsoluteError",
]


def _difference(name: str, y_true, y_pred) -> np.ndarray:
    y_true = as_array(y_true, "y_true", name).astype(np.float64)
    y_pred = as_array(y_pred, "y_pred", name).astype(np.float64)
    y_true, y_pred = same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{name}: y_true shape {y_true.shape} and y_pred shape {y_pred.shape} differ; "
            "give targets shaped like the model's output"
        )
    return y_true - y_pred


def _per_sample_mean(errors: np.ndarray) -> np.ndarray:
    return errors if errors.ndim <= 1 else errors.mean(axis=-1)


def mean_squared_error(y_true, y_pred):
    """Per-sample mean of squared errors over the last axis.

    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).tolist()
    [0.5]
    """
    difference = _difference("mean_squared_error", y_true, y_pred)
    return _per_sample_mean(np.square(difference))


def mean_absolute_error(y_true, y_pred):
    """Per-sample mean of absolute errors over the last axis."""
    difference = _difference("mean_absolute_error", y_true, y_pred)
    return _per_sample_mean(np.abs(difference))


mse = mean_squared_error
mae = mean_absolute_error


class MeanSquaredError(MeanMetricWrapper):
    """Running mean squared error (smaller is better)."""

    direction = "down"

    def __init__(self, name="mean_squared_error"):
        super().__init__(mean_squared_error, name=name)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean absolute error (smaller is better)."""

    direction = "down"

    def __init__(self, name="mean_absolute_error"):
        super().__init__(mean_absolute_error, name=name)
