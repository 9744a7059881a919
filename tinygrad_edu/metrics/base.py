"""The Metric protocol, running means, and the shape rules shared by all metrics.

A metric is a small object with three methods, as in Keras::

    metric.reset_state()                                # forget everything
    metric.update_state(y_true, y_pred, sample_weight)  # add one batch (numpy arrays)
    metric.result()                                     # value over all batches so far

``metric(y_true, y_pred)`` does ``update_state`` then returns ``result()``.

Most metrics are a *weighted mean of per-sample values*: each batch gives one value per
sample (1.0 or 0.0 for accuracy, the squared error for mse), and the result is

    result = sum_i(w_i * v_i) / sum_i(w_i)

over every sample seen, with ``w_i = 1`` without sample weights. That is exactly the
accuracy over the whole epoch, not a mean of per-batch accuracies (which would overweight
a small last batch). Accumulators are float64 so that counts over millions of samples stay
exact; results are Python floats.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Metric", "Mean", "MeanMetricWrapper", "same_rank", "as_array"]


def as_array(value, what: str, metric: str) -> np.ndarray:
    """``np.asarray(value)`` (Tensors convert without a copy), refusing non-numbers."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{metric}: {what} must be numeric, got dtype {array.dtype}")
    return array


def same_rank(first: np.ndarray, second: np.ndarray, expand_rank_1: bool = True):
    """Make two arrays the same rank when they differ by one trailing axis of size 1.

    Keras's rule: labels shaped (n,) and predictions shaped (n, 1) become (n, 1) and (n, 1)
    (the rank-1 one is expanded; with ``expand_rank_1=False`` the other one is squeezed).
    Any other pair is returned unchanged.
    """
    if first.ndim == second.ndim + 1 and first.shape[-1] == 1:
        if second.ndim == 1 and expand_rank_1:
            second = second[..., None]
        else:
            first = first[..., 0]
    elif second.ndim == first.ndim + 1 and second.shape[-1] == 1:
        if first.ndim == 1 and expand_rank_1:
            first = first[..., None]
        else:
            second = second[..., 0]
    return first, second


def _samplewise(values: np.ndarray, sample_weight, metric: str):
    """Reduce ``values`` to one (weighted) value per sample; return (sum, weight sum).

    With weights, ``values`` is first averaged over the axes the weights do not have, then
    multiplied by them; a scalar weight makes the whole batch count as one sample (Keras
    does the same).
    """
    values = np.asarray(values, dtype=np.float64)
    weight = None
    if sample_weight is not None:
        weight = np.asarray(sample_weight, dtype=np.float64)
        values, weight = same_rank(values, weight)
        if values.ndim > weight.ndim:
            values = values.mean(axis=tuple(range(weight.ndim, values.ndim)))
        try:
            weight = np.broadcast_to(weight, values.shape)
        except ValueError:
            raise ValueError(
                f"{metric}: sample_weight of shape {np.shape(sample_weight)} does not fit "
                f"per-sample values of shape {values.shape}; give one weight per sample"
            ) from None
        values = values * weight
        if weight.ndim > 1:
            weight = weight.mean(axis=tuple(range(1, weight.ndim)))
    if values.ndim > 1:
        values = values.mean(axis=tuple(range(1, values.ndim)))
    if weight is not None:
        count = float(weight.sum())
    else:
        count = float(values.shape[0]) if values.ndim >= 1 else 1.0
    return float(values.sum()), count


class Metric:
    """Base class: a named, stateful measurement of predictions against targets.

    Attributes:
        name: the key under which training logs the value (``"accuracy"``,
            ``"val_accuracy"``).
        direction: ``"up"`` when larger is better, ``"down"`` otherwise; callbacks with
            ``mode="auto"`` read it.
    """

    direction = "up"
    default_name = "metric"

    def __init__(self, name: str | None = None):
        self.name = name or self.default_name
        self.reset_state()

    def reset_state(self) -> None:
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        """Add one batch, then return the result over everything seen so far."""
        self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """The weighted mean of the values given, e.g. the running loss of an epoch.

    ``update_state(values, sample_weight=None)`` takes values (one per sample, or a
    scalar for the whole batch) instead of ``y_true, y_pred``.

    >>> m = Mean()
    >>> m.update_state([1.0, 3.0]); m.update_state([5.0])
    >>> m.result()
    3.0
    """

    direction = "down"
    default_name = "mean"

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None) -> None:
        total, count = _samplewise(as_array(values, "values", self.name), sample_weight, self.name)
        self.total += total
        self.count += count

    def __call__(self, values, sample_weight=None) -> float:
        self.update_state(values, sample_weight=sample_weight)
        return self.result()

    def result(self) -> float:
        # No samples yet (or all weights zero) gives 0.0 rather than NaN, as in Keras.
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """A metric that is the weighted mean of ``fn(y_true, y_pred, **kwargs)`` per sample.

    Args:
        fn: returns one value per sample (or per element; extra axes are averaged).
        name: metric name; default ``fn.__name__``.
        direction: ``"up"`` or ``"down"``; default: the class's (``"up"`` here).
        **kwargs: passed to ``fn`` (e.g. ``threshold``, ``k``).
    """

    direction = "up"

    def __init__(self, fn, name: str | None = None, direction: str | None = None, **kwargs):
        self.fn = fn
        self.fn_kwargs = kwargs
        if direction is not None:
            self.direction = direction
        super().__init__(name=name or getattr(fn, "__name__", "metric"))

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        # User functions get numpy arrays whatever the caller passed (lists, Tensors).
        values = self.fn(np.asarray(y_true), np.asarray(y_pred), **self.fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()
