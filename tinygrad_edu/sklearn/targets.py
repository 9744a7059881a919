"""Targets in, predictions out: label encoding for classifiers, columns for regressors."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from tinygrad_edu.nn.module import Module
from tinygrad_edu.tensor import DEFAULT_FLOAT

__all__ = ["ClassifierTargets", "RegressorTargets"]


def _output_units(model: Module, X) -> int:
    """The number of output columns (building the model on one sample if needed)."""
    return int(np.prod(model.predict(X[:1], verbose=0).shape[1:]))


def _loss_name(model: Module) -> str:
    loss = model._compiled.loss
    loss = loss[0] if isinstance(loss, list) else loss
    return f"{type(loss).__name__} {getattr(loss, 'name', '')}".lower()


class ClassifierTargets(ClassifierMixin):
    """Label encoding: any labels in, the encoding the compiled model expects out."""

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one more epoch; the first call builds the model and fixes ``classes_``
        (all the classes, when ``y`` of the first batch does not hold every one)."""
        return self._fit(X, y, sample_weight, warm=True, epochs=1, classes=classes)

    def _targets(self, y, reset, classes=None):
        check_classification_targets(y)
        if reset:
            self.classes_ = np.unique(y if classes is None else np.asarray(classes))
            self.n_classes_ = len(self.classes_)
            self.target_type_ = type_of_target(y)
            if self.n_classes_ < 2:
                raise ValueError(f"{type(self).__name__}: the labels hold one class only "
                                 f"({self.classes_[0]!r}); a classifier needs at least two")
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(f"{type(self).__name__}: labels {unseen.tolist()} were not seen in "
                             f"the first fit (classes: {self.classes_.tolist()})")
        indices = np.searchsorted(self.classes_, y)
        one_hot = np.eye(self.n_classes_, dtype=DEFAULT_FLOAT)[indices]

        def for_model(model, X):
            units = _output_units(model, X)
            if "sparse" in _loss_name(model):
                return indices.astype(np.int64)
            if units == 1:
                if self.n_classes_ > 2:
                    raise ValueError(
                        f"{type(self).__name__}: the model has one output unit but the labels "
                        f"hold {self.n_classes_} classes; use {self.n_classes_} softmax units")
                return indices.astype(DEFAULT_FLOAT).reshape(-1, 1)
            if units != self.n_classes_:
                raise ValueError(f"{type(self).__name__}: the model has {units} output units "
                                 f"for {self.n_classes_} classes; they must match")
            return one_hot

        return one_hot, for_model

    def predict_proba(self, X):
        """Class probabilities, one column per class of ``classes_``."""
        outputs = self._raw_predict(X)
        outputs = outputs.reshape(outputs.shape[0], -1).astype(np.float64)
        if outputs.shape[1] == 1:
            return np.hstack([1.0 - outputs, outputs])
        return outputs

    def predict(self, X):
        """The most probable class of each sample, as one of ``classes_``."""
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]


class RegressorTargets(RegressorMixin):
    """Targets as float32 columns; predictions in the shape of the targets."""

    def _targets(self, y, reset, classes=None):
        columns = np.asarray(y, dtype=DEFAULT_FLOAT).reshape(len(y), -1)
        if reset:
            self.target_ndim_ = np.ndim(y)
            self.n_outputs_ = columns.shape[1]
        elif columns.shape[1] != self.n_outputs_:
            raise ValueError(f"{type(self).__name__}: y has {columns.shape[1]} columns but the "
                             f"model was fitted on {self.n_outputs_}")
        return columns, lambda model, X: columns

    def predict(self, X):
        """The model's outputs (one value per sample when fitted on a 1-D ``y``), as float64
        like scikit-learn's regressors (the model computes in float32; nothing is lost)."""
        outputs = self._raw_predict(X).astype(np.float64)
        return outputs.reshape(len(outputs)) if self.target_ndim_ == 1 else outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # one output unit per column of y
        return tags
