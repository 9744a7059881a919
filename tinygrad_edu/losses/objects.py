"""Loss objects: a per-sample loss plus a reduction over the batch, and lookup by name.

``MeanSquaredError()(y_true, y_pred)`` returns the number to minimize; the per-sample values
come from the functions in :mod:`tinygrad_edu.losses.functions`. The classes take Keras's
arguments in Keras's order (``BinaryCrossentropy(True)`` means ``from_logits=True``).
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.lookup import did_you_mean
from tinygrad_edu.losses.functions import (
    binary_crossentropy,
    categorical_crossentropy,
    hinge,
    huber,
    ignored_mask,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    sparse_categorical_crossentropy,
)
from tinygrad_edu.tensor import as_tensor

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Huber", "Hinge",
    "KLDivergence", "LogCosh", "get_loss", "REDUCTIONS", "ALIASES",
]

REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none")


class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` returns the reduced loss.

    Args:
        name: label for logs and history.
        reduction: "sum_over_batch_size" (default; alias "mean") divides the sum of the
            per-sample values by their number, "sum" adds them, "mean_with_sample_weight"
            divides by the sum of the sample weights, "none" returns them unreduced.

    Subclasses implement ``call(y_true, y_pred)`` returning per-sample values.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        if reduction is None:
            reduction = "none"
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}."
                             f"{did_you_mean(reduction, REDUCTIONS)} "
                             f"Valid: {', '.join(REDUCTIONS)}")
        self.name = name or _snake_name(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true, y_pred):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        weights = None
        if sample_weight is not None:
            weights = as_tensor(sample_weight).astype(values.data.dtype)
            if weights.ndim == values.ndim + 1 and weights.shape[-1:] == (1,):
                weights = weights.squeeze(-1)
            try:
                np.broadcast_shapes(weights.shape, values.shape)
            except ValueError:
                raise ValueError(
                    f"{self.name}: sample_weight of shape {weights.shape} does not match the "
                    f"per-sample losses of shape {values.shape}"
                ) from None
            values = values * weights
        if self.reduction == "none" or values.ndim == 0:
            return values
        if self.reduction == "sum":
            return values.sum()
        if self.reduction == "mean_with_sample_weight" and weights is not None:
            return values.sum() / max(float(np.broadcast_to(weights.data, values.shape).sum()),
                                      1e-12)
        return values.mean()

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def _snake_name(class_name: str) -> str:
    return _CLASS_TO_FUNCTION.get(class_name, class_name.lower())


class LossFunctionWrapper(Loss):
    """A per-sample loss function (with fixed keyword arguments) as a :class:`Loss`."""

    def __init__(self, fn, name=None, reduction="sum_over_batch_size", **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction)
        self.fn = fn
        self.kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.kwargs}


class _KerasLoss(LossFunctionWrapper):
    """A named loss class: ``function`` with the keyword ``options`` (and their defaults).

    Arguments follow Keras's order: the options first, then ``reduction`` and ``name``, so
    ``BinaryCrossentropy(True)`` means ``from_logits=True`` as in Keras.
    """

    function = None
    options: dict = {}
    keyword_options: dict = {}  # options beyond Keras's, after its positional ones

    def __init__(self, *args, **kwargs):
        cls = type(self).__name__
        order = [*self.options, "reduction", "name"]
        if len(args) > len(order):
            raise TypeError(f"{cls}: takes at most {len(order)} positional arguments "
                            f"({', '.join(order)}), got {len(args)}")
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError(f"{cls}: got two values for {key!r}")
            kwargs[key] = value
        unknown = set(kwargs) - set(order) - set(self.keyword_options)
        if unknown:
            raise TypeError(f"{cls}: unexpected arguments {sorted(unknown)}; accepted: "
                            f"{', '.join([*order, *self.keyword_options])}")
        reduction = kwargs.pop("reduction", "sum_over_batch_size")
        name = kwargs.pop("name", None) or self.function.__name__
        super().__init__(self.function, name=name, reduction=reduction,
                         **{**self.options, **self.keyword_options, **kwargs})


class MeanSquaredError(_KerasLoss):
    """The batch reduction of :func:`mean_squared_error`."""

    function = staticmethod(mean_squared_error)


class MeanAbsoluteError(_KerasLoss):
    """The batch reduction of :func:`mean_absolute_error`."""

    function = staticmethod(mean_absolute_error)


class MeanAbsolutePercentageError(_KerasLoss):
    """The batch reduction of :func:`mean_absolute_percentage_error`."""

    function = staticmethod(mean_absolute_percentage_error)


class MeanSquaredLogarithmicError(_KerasLoss):
    """The batch reduction of :func:`mean_squared_logarithmic_error`."""

    function = staticmethod(mean_squared_logarithmic_error)


class BinaryCrossentropy(_KerasLoss):
    """The batch reduction of :func:`binary_crossentropy` (from_logits, label_smoothing, axis)."""

    function = staticmethod(binary_crossentropy)
    options = {"from_logits": False, "label_smoothing": 0.0, "axis": -1}


class CategoricalCrossentropy(_KerasLoss):
    """The batch reduction of :func:`categorical_crossentropy` (from_logits, label_smoothing,
    axis)."""

    function = staticmethod(categorical_crossentropy)
    options = {"from_logits": False, "label_smoothing": 0.0, "axis": -1}


class SparseCategoricalCrossentropy(_KerasLoss):
    """The batch reduction of :func:`sparse_categorical_crossentropy` (from_logits,
    ignore_class; label_smoothing by keyword).

    With ``ignore_class``, the ignored entries count as masked out, as in Keras: the default
    reduction averages over the other entries only (sum of their losses / their number).
    """

    function = staticmethod(sparse_categorical_crossentropy)
    options = {"from_logits": False, "ignore_class": None}
    keyword_options = {"label_smoothing": 0.0}

    def __call__(self, y_true, y_pred, sample_weight=None):
        ignore_class = self.kwargs["ignore_class"]
        if ignore_class is None:
            return super().__call__(y_true, y_pred, sample_weight)
        y_pred = as_tensor(y_pred)
        valid = ignored_mask(y_true, y_pred, ignore_class).astype(y_pred.data.dtype)
        if self.reduction in ("sum_over_batch_size", "mean"):
            # Keras's mask rule: weights size / (number of valid entries), so that the mean
            # over all entries is the mean over the valid ones.
            valid *= valid.size / max(float(valid.sum()), 1.0)
        if sample_weight is not None:
            given = np.asarray(getattr(sample_weight, "data", sample_weight), valid.dtype)
            if given.ndim == valid.ndim + 1 and given.shape[-1] == 1:
                given = given[..., 0]
            valid = given * valid
        return super().__call__(y_true, y_pred, valid)


class Huber(_KerasLoss):
    """The batch reduction of :func:`huber` (delta, default 1.0)."""

    function = staticmethod(huber)
    options = {"delta": 1.0}


class Hinge(_KerasLoss):
    """The batch reduction of :func:`hinge`."""

    function = staticmethod(hinge)


class KLDivergence(_KerasLoss):
    """The batch reduction of :func:`kl_divergence`."""

    function = staticmethod(kl_divergence)


class LogCosh(_KerasLoss):
    """The batch reduction of :func:`log_cosh`."""

    function = staticmethod(log_cosh)


_CLASSES = {cls.__name__: cls for cls in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, Huber, Hinge, KLDivergence, LogCosh)}
_CLASS_TO_FUNCTION = {name: cls.function.__name__ for name, cls in _CLASSES.items()}

_FUNCTIONS = {fn.__name__: fn for fn in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, huber, hinge, kl_divergence, log_cosh)}

ALIASES = {
    "mse": "mean_squared_error", "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error",
    "bce": "binary_crossentropy", "cce": "categorical_crossentropy",
    "scce": "sparse_categorical_crossentropy", "kld": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence", "logcosh": "log_cosh",
    "huber_loss": "huber",
}


def get_loss(identifier) -> Loss:
    """A :class:`Loss` object for a Keras name, a class name, a Loss or a callable.

    Names (case-insensitive): the function names (``"categorical_crossentropy"``), their
    aliases (``"mse"``, ``"mae"``, ``"mape"``, ``"msle"``, ``"bce"``, ``"cce"``, ``"kld"``...)
    and the class names (``"CategoricalCrossentropy"``). A plain function
    ``fn(y_true, y_pred)`` is wrapped so that its per-sample values are averaged.

    >>> get_loss("mse")
    MeanSquaredError(name='mean_squared_error', reduction='sum_over_batch_size')
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        for cls in _CLASSES.values():
            if cls.function is identifier:
                return cls()
        return LossFunctionWrapper(identifier)
    if not isinstance(identifier, str):
        raise TypeError(f"get_loss: expected a loss name, a Loss or a callable, got "
                        f"{type(identifier).__name__}")
    if identifier in _CLASSES:
        return _CLASSES[identifier]()
    key = identifier.strip().lower()
    key = ALIASES.get(key, key)
    for cls in _CLASSES.values():
        if key in (cls.__name__.lower(), _CLASS_TO_FUNCTION[cls.__name__]):
            return cls()
    valid = sorted(set(_FUNCTIONS) | set(ALIASES))
    raise ValueError(f"Unknown loss {identifier!r}.{did_you_mean(key, valid + list(_CLASSES))} "
                     f"Valid names: {', '.join(valid)}")
