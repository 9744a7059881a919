"""The four estimators: Keras 3's signature and SciKeras's, for classification and regression."""

from __future__ import annotations

import copy
import inspect

from tinygrad_edu.nn.module import Module, module_registry
from tinygrad_edu.sklearn.base import ROUTES, ModelWrapper
from tinygrad_edu.sklearn.targets import ClassifierTargets, RegressorTargets
from tinygrad_edu.sklearn.transport import fresh_copy

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "KerasClassifier", "KerasRegressor"]


# ----- Keras 3's signature -----------------------------------------------------------------
class _KerasThreeStyle(ModelWrapper):
    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _new_model(self, X, y_for_build):
        if isinstance(self.model, Module):
            return self.model if self.warm_start else fresh_copy(self.model)
        if not callable(self.model):
            raise TypeError(f"{type(self).__name__}: model must be a compiled model or a "
                            f"function returning one, got {type(self.model).__name__}")
        return self.model(X=X, y=y_for_build, **(self.model_kwargs or {}))

    def _fit_arguments(self, overrides):
        return {**(self.fit_kwargs or {}), **overrides}


class SKLearnClassifier(ClassifierTargets, _KerasThreeStyle):
    """Keras 3's ``keras.wrappers.SKLearnClassifier``: a compiled model (or a function
    ``model(X=X, y=y_one_hot, **model_kwargs)`` returning one) as a scikit-learn classifier."""


class SKLearnRegressor(RegressorTargets, _KerasThreeStyle):
    """Keras 3's ``keras.wrappers.SKLearnRegressor``: a compiled model (or a function
    ``model(X=X, y=y, **model_kwargs)`` returning one) as a scikit-learn regressor."""


# ----- SciKeras's signature ----------------------------------------------------------------
class _SciKerasStyle(ModelWrapper):
    def __init__(self, model=None, *, optimizer="rmsprop", loss=None, metrics=None, epochs=1,
                 batch_size=32, validation_split=0.0, callbacks=None, shuffle=True, verbose=1,
                 warm_start=False, random_state=None, **routed):
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.callbacks = callbacks
        self.shuffle = shuffle
        self.verbose = verbose
        self.warm_start = warm_start
        self.random_state = random_state
        self._routed_params = dict(routed)

    def _meta(self, X):
        meta = {"n_features_in_": X.shape[1], "n_samples_": len(X)}
        for key in ("classes_", "n_classes_", "target_type_", "target_ndim_",
                    "n_outputs_"):
            if hasattr(self, key):
                meta[key] = getattr(self, key)
        return meta

    def _new_model(self, X, y_for_build):
        if isinstance(self.model, Module):
            return fresh_copy(self.model) if getattr(self.model, "_compiled", None) else (
                module_registry()[type(self.model).__name__].from_config(
                    self.model.get_config()))
        if not callable(self.model):
            raise TypeError(f"{type(self).__name__}: model must be a function that builds a "
                            f"model, got {type(self.model).__name__}")
        arguments = self._routed("model__")
        accepted = inspect.signature(self.model).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
        for key, value in self._routed_params.items():
            if key.startswith(ROUTES):
                continue
            if key not in accepted and not takes_any:
                raise TypeError(
                    f"{type(self).__name__}: unknown argument {key!r}: the build function "
                    f"{getattr(self.model, '__name__', 'model')} does not take it. Arguments "
                    f"for the optimizer are written optimizer__{key}, for fit fit__{key}")
            arguments.setdefault(key, value)
        if "meta" in accepted:
            arguments["meta"] = self._meta(X)
        if "compile_kwargs" in accepted:
            arguments["compile_kwargs"] = {"optimizer": self.optimizer, "loss": self.loss,
                                           "metrics": self.metrics}
        return self.model(**arguments)

    def _fit_arguments(self, overrides):
        arguments = {"epochs": self.epochs, "batch_size": self.batch_size,
                     "validation_split": self.validation_split, "shuffle": self.shuffle,
                     "verbose": self.verbose,
                     "callbacks": copy.deepcopy(self.callbacks) if self.callbacks else None}
        return {**arguments, **self._routed("fit__"), **overrides}


class KerasClassifier(ClassifierTargets, _SciKerasStyle):
    """A classifier around a build function, with every fitting choice a parameter
    (SciKeras's ``KerasClassifier``): ``KerasClassifier(build, loss=..., model__units=32)``."""


class KerasRegressor(RegressorTargets, _SciKerasStyle):
    """A regressor around a build function, with every fitting choice a parameter
    (SciKeras's ``KerasRegressor``): ``KerasRegressor(build, loss="mse", epochs=50)``."""
