"""Metrics from confusion counts: precision, recall and ROC AUC (binary or multi-label).

All three look at every element of ``y_pred`` (a probability) against ``y_true`` (any
non-zero label is a positive) and accumulate weighted counts over batches:

    predicted positive at threshold t:  y_pred > t
    TP = sum w [pred pos and true pos]   FP = sum w [pred pos and true neg]
    FN = sum w [pred neg and true pos]   TN = sum w [pred neg and true neg]

    precision = TP / (TP + FP)      recall = TP / (TP + FN)      (0 when the divisor is 0)

ROC AUC, as Keras computes it: ``num_thresholds`` (200) thresholds ``0 - 1e-7, 1/199, ...,
198/199, 1 + 1e-7``; at each one the true positive rate TPR = TP / (TP + FN) and the false
positive rate FPR = FP / (FP + TN); the area under the curve through these points by the
trapezoid rule. That is an approximation: scores between two thresholds are not told apart,
so it can differ from the exact AUC (scikit-learn's ``roc_auc_score``) in the third
decimal. ``num_thresholds=None`` computes the exact area instead (every distinct score is a
threshold; ties make a diagonal step), at the cost of storing every prediction seen.

Sample weights give one weight per sample; it applies to every element of that sample.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.metrics.base import Metric, as_array, same_rank

__all__ = ["Precision", "Recall", "AUC", "precision", "recall", "auc"]

_EPSILON = 1e-7  # Keras's backend epsilon: the end thresholds sit just outside [0, 1]


def _labels_predictions_weights(name, y_true, y_pred, sample_weight, class_id=None):
    """Flattened (is_positive, y_pred, weight) arrays after Keras's shape alignment."""
    y_true = as_array(y_true, "y_true", name)
    y_pred = as_array(y_pred, "y_pred", name).astype(np.float64)
    y_pred, y_true = same_rank(y_pred, y_true)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{name}: y_true shape {y_true.shape} and y_pred shape {y_pred.shape} differ; "
            "give one 0/1 label per predicted probability"
        )
    if sample_weight is None:
        weight = np.ones(y_pred.shape)
    else:
        weight = np.asarray(sample_weight, dtype=np.float64)[..., None]
        _, weight = same_rank(y_true, weight, expand_rank_1=False)
        try:
            weight = np.broadcast_to(weight, y_pred.shape)
        except ValueError:
            raise ValueError(
                f"{name}: sample_weight of shape {np.shape(sample_weight)} does not fit "
                f"y_pred of shape {y_pred.shape}; give one weight per sample"
            ) from None
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ValueError(f"{name}: class_id needs y_pred of shape (n, classes), got "
                             f"{y_pred.shape}")
        y_true, y_pred, weight = y_true[..., class_id], y_pred[..., class_id], weight[..., class_id]
    return (y_true != 0).ravel(), y_pred.ravel(), weight.ravel()


def _ratio(numerator, denominator):
    return np.divide(numerator, denominator, out=np.zeros_like(numerator, dtype=np.float64),
                     where=denominator != 0)


class _ThresholdCounts(Metric):
    """Weighted TP/FP/FN counts at one threshold."""

    def __init__(self, thresholds=None, class_id=None, name=None):
        threshold = 0.5 if thresholds is None else thresholds
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating)):
            raise TypeError(
                f"{type(self).__name__}: thresholds must be one number (default 0.5), got "
                f"{thresholds!r}; make one metric per threshold"
            )
        self.threshold = float(threshold)
        self.class_id = class_id
        super().__init__(name=name)

    def reset_state(self) -> None:
        self.true_positives = 0.0
        self.false_positives = 0.0
        self.false_negatives = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        positive, scores, weight = _labels_predictions_weights(
            self.name, y_true, y_pred, sample_weight, self.class_id
        )
        predicted = scores > self.threshold
        self.true_positives += float(weight[predicted & positive].sum())
        self.false_positives += float(weight[predicted & ~positive].sum())
        self.false_negatives += float(weight[~predicted & positive].sum())


class Precision(_ThresholdCounts):
    """Running precision TP / (TP + FP): of the predicted positives, the share that are.

    Args:
        thresholds: probability above which a prediction is positive (default 0.5).
        class_id: only look at this column of (n, classes) outputs.
    """

    default_name = "precision"

    def result(self) -> float:
        return float(_ratio(self.true_positives, self.true_positives + self.false_positives))


class Recall(_ThresholdCounts):
    """Running recall TP / (TP + FN): of the real positives, the share found.

    Args:
        thresholds: probability above which a prediction is positive (default 0.5).
        class_id: only look at this column of (n, classes) outputs.
    """

    default_name = "recall"

    def result(self) -> float:
        return float(_ratio(self.true_positives, self.true_positives + self.false_negatives))


class AUC(Metric):
    """Running area under the ROC curve (see the module docstring for the method).

    Args:
        num_thresholds: Keras's 200 evenly spaced thresholds by default; None for the exact
            area.
        from_logits: ``y_pred`` holds logits; a stable sigmoid turns them into
            probabilities first.
    """

    default_name = "auc"

    def __init__(self, num_thresholds=200, from_logits=False, name=None):
        if num_thresholds is not None and (
            isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int)
            or num_thresholds < 2
        ):
            raise ValueError(f"AUC: num_thresholds must be an int > 1 or None, got "
                             f"{num_thresholds!r}")
        self.num_thresholds = num_thresholds
        self.from_logits = from_logits
        if num_thresholds is not None:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = np.array([-_EPSILON, *inner, 1.0 + _EPSILON])
        super().__init__(name=name)

    def reset_state(self) -> None:
        if self.num_thresholds is None:
            self._batches = []
        else:
            self.true_positives = np.zeros(self.num_thresholds)
            self.false_positives = np.zeros(self.num_thresholds)
            self.positive_total = 0.0
            self.negative_total = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        positive, scores, weight = _labels_predictions_weights(
            self.name, y_true, y_pred, sample_weight
        )
        if self.from_logits:
            # sigmoid via tanh: finite for any logit, no overflow warning
            scores = 0.5 * (1.0 + np.tanh(0.5 * scores))
        if self.num_thresholds is None:
            self._batches.append((positive, scores, weight))
            return
        # Number of thresholds strictly below each score = how many thresholds call it
        # positive; counts at threshold i are the sums over scores with more than i below.
        below = np.searchsorted(self.thresholds, np.clip(scores, 0.0, 1.0), side="left")
        for counts, mask in ((self.true_positives, positive), (self.false_positives, ~positive)):
            histogram = np.bincount(below, weights=weight * mask, minlength=self.num_thresholds + 1)
            counts += np.cumsum(histogram[::-1])[::-1][1:]
        self.positive_total += float(weight[positive].sum())
        self.negative_total += float(weight[~positive].sum())

    def result(self) -> float:
        if self.num_thresholds is None:
            return _exact_roc_auc(self._batches)
        true_positive_rate = _ratio(self.true_positives, self.positive_total)
        false_positive_rate = _ratio(self.false_positives, self.negative_total)
        heights = (true_positive_rate[:-1] + true_positive_rate[1:]) / 2
        return float(np.sum((false_positive_rate[:-1] - false_positive_rate[1:]) * heights))


def _exact_roc_auc(batches) -> float:
    """Exact ROC AUC: thresholds at every distinct score, trapezoids between the points."""
    if not batches:
        return 0.0
    positive, scores, weight = (np.concatenate(parts) for parts in zip(*batches))
    order = np.argsort(-scores, kind="stable")
    positive, scores, weight = positive[order], scores[order], weight[order]
    true_positives = np.cumsum(weight * positive)
    false_positives = np.cumsum(weight * ~positive)
    # Only the last index of each run of equal scores is a point of the curve.
    last_of_run = np.r_[scores[1:] != scores[:-1], True]
    tpr = np.r_[0.0, true_positives[last_of_run]]
    fpr = np.r_[0.0, false_positives[last_of_run]]
    if tpr[-1] == 0 or fpr[-1] == 0:
        return 0.0  # one class only: the curve is undefined
    tpr, fpr = tpr / tpr[-1], fpr / fpr[-1]
    return float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2))


def precision(y_true, y_pred, threshold=0.5, sample_weight=None) -> float:
    """Precision of one batch, TP / (TP + FP) (a number, not per-sample values)."""
    return Precision(thresholds=threshold)(y_true, y_pred, sample_weight=sample_weight)


def recall(y_true, y_pred, threshold=0.5, sample_weight=None) -> float:
    """Recall of one batch, TP / (TP + FN)."""
    return Recall(thresholds=threshold)(y_true, y_pred, sample_weight=sample_weight)


def auc(y_true, y_pred, num_thresholds=200, sample_weight=None) -> float:
    """ROC AUC of one batch; ``num_thresholds=None`` for the exact value.

    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], num_thresholds=None)
    0.75
    """
    return AUC(num_thresholds=num_thresholds)(y_true, y_pred, sample_weight=sample_weight)
