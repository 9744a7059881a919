"""The implementation both estimator families share: build, compile, fit, predict, send."""

from __future__ import annotations

import copy
from contextlib import nullcontext

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from tinygrad_edu import losses, optim
from tinygrad_edu.nn.module import Module
from tinygrad_edu.random import fork_rng
from tinygrad_edu.sklearn.transport import one_blas_thread, portable_model, rebuild_model
from tinygrad_edu.tensor import DEFAULT_FLOAT

__all__ = ["ModelWrapper", "ROUTES"]

ROUTES = ("model__", "optimizer__", "loss__", "fit__")


class ModelWrapper(BaseEstimator):
    """Build, compile and fit a model; predict with it. Subclasses say how to build it."""

    # Routed parameters (``model__units``...) are parameters like the named ones: searched,
    # cloned and set; they live in one private dict because their names are the user's.
    def get_params(self, deep=True):
        return {**super().get_params(deep=deep), **getattr(self, "_routed_params", {})}

    def set_params(self, **params):
        if hasattr(self, "_routed_params"):
            named = set(self._get_param_names())
            for key in [key for key in params if key not in named]:
                self._routed_params[key] = params.pop(key)
        return super().set_params(**params)

    def _routed(self, prefix: str) -> dict:
        return {key[len(prefix):]: value
                for key, value in getattr(self, "_routed_params", {}).items()
                if key.startswith(prefix)}

    # what subclasses fill in
    def _new_model(self, X, y_for_build):
        """A new (compiled or not) model for this data."""
        raise NotImplementedError

    def _fit_arguments(self, overrides: dict) -> dict:
        """The keyword arguments of the model's ``fit``."""
        raise NotImplementedError

    def _uses_seed(self):
        return getattr(self, "random_state", None)

    def _targets(self, y, reset, classes=None):
        """(y as given to a build function, a function of the model giving y for ``fit``)."""
        raise NotImplementedError

    # the common steps
    def _random_stream(self):
        seed = self._uses_seed()
        if seed is None:
            return nullcontext()
        if not isinstance(seed, (int, np.integer)):
            seed = int(check_random_state(seed).randint(2**31 - 1))
        return fork_rng(int(seed))

    def _compile_if_needed(self, model):
        if not isinstance(model, Module):
            raise TypeError(f"{type(self).__name__}: the build function must return a "
                            f"tinygrad_edu model, got {type(model).__name__}")
        if getattr(model, "_compiled", None) is not None:
            return model
        loss = getattr(self, "loss", None)
        if loss is None:
            raise ValueError(
                f"{type(self).__name__}: the model is not compiled and no loss was given; "
                "compile it in the build function or pass loss=... (e.g. loss='mse')")
        optimizer = optim.get(getattr(self, "optimizer", "rmsprop"),
                              **self._routed("optimizer__"))
        loss_options = self._routed("loss__")
        loss_object = losses.get_loss(loss)
        if loss_options:
            loss_object = type(loss_object)(**{**loss_object.get_config(), **loss_options})
        model.compile(optimizer=optimizer, loss=loss_object,
                      metrics=copy.deepcopy(getattr(self, "metrics", None)))
        return model

    def _validate(self, X, y=None, reset=True):
        if y is None:
            return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        regression = not isinstance(self, ClassifierMixin)
        return validate_data(self, X, y, reset=reset, dtype=[np.float64, np.float32],
                             y_numeric=regression, multi_output=regression)

    def _fit(self, X, y, sample_weight=None, warm=False, epochs=None, classes=None,
             **fit_overrides):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None")
        warm = warm and hasattr(self, "model_")
        X, y = self._validate(X, y, reset=not warm)
        X = X.astype(DEFAULT_FLOAT, copy=False)
        if sample_weight is not None:
            sample_weight = self._sample_weight(sample_weight, len(X))
            if not np.any(sample_weight):
                raise ValueError(f"{type(self).__name__}: the sample weights are all zero, "
                                 "so there is nothing to learn from")
        y_for_build, targets_for = self._targets(y, reset=not warm, classes=classes)
        with self._random_stream(), one_blas_thread():
            if not warm:
                self.model_ = self._compile_if_needed(self._new_model(X, y_for_build))
                self.history_ = {}
            arguments = {**self._fit_arguments(fit_overrides)}
            if epochs is not None:
                arguments["epochs"] = epochs
            history = self.model_.fit(X, targets_for(self.model_, X), sample_weight=sample_weight,
                                      **arguments)
        for key, values in history.history.items():
            self.history_.setdefault(key, []).extend(values)
        return self

    def _sample_weight(self, sample_weight, count):
        weights = np.asarray(sample_weight, dtype=DEFAULT_FLOAT)
        if weights.ndim == 0:
            weights = np.full(count, weights, dtype=DEFAULT_FLOAT)
        if weights.shape != (count,):
            raise ValueError(f"{type(self).__name__}: sample_weight has shape {weights.shape}; "
                             f"expected one weight per sample, ({count},)")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError(f"{type(self).__name__}: sample_weight must be finite and >= 0")
        return weights

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build a new model (or go on with the last one when ``warm_start``) and train it.

        ``kwargs`` are passed to the model's ``fit`` and override the wrapper's settings.
        """
        return self._fit(X, y, sample_weight, warm=self.warm_start, **kwargs)

    def partial_fit(self, X, y, sample_weight=None):
        """Train for one more epoch, building the model on the first call."""
        return self._fit(X, y, sample_weight, warm=True, epochs=1)

    def _raw_predict(self, X):
        check_is_fitted(self, "model_")
        X = self._validate(X, reset=False).astype(DEFAULT_FLOAT, copy=False)
        with one_blas_thread():
            return self.model_.predict(X, batch_size=max(len(X), 1) if len(X) <= 4096 else 256,
                                       verbose=getattr(self, "verbose", 0))

    # pickling: the model as config + weights + optimizer state
    def __getstate__(self):
        state = dict(vars(self))
        for key in ("model_", "model"):
            if isinstance(state.get(key), Module):
                state[key] = {"__portable_model__": portable_model(state[key])}
        return state

    def __setstate__(self, state):
        for key in ("model_", "model"):
            value = state.get(key)
            if isinstance(value, dict) and "__portable_model__" in value:
                shape = (state["n_features_in_"],) if "n_features_in_" in state else None
                state[key] = rebuild_model(value["__portable_model__"], shape)
        vars(self).update(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self._uses_seed() is None
        return tags
