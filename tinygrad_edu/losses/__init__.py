"""Loss functions with Keras's names, formulas, clipping and reductions.

Each loss exists in two forms, as in Keras:

* a function ``loss(y_true, y_pred)`` returning one value per sample
  (:mod:`tinygrad_edu.losses.functions`), e.g. ``mean_squared_error(y, p).shape == (batch,)``;
* a class whose instances reduce those values to the number that is minimized
  (:mod:`tinygrad_edu.losses.objects`): ``MeanSquaredError()(y, p)`` is a scalar.

``get_loss("mse")`` finds the Loss object for any name (what ``compile`` uses), with a
suggestion for a misspelled one; ``get`` answers as Keras's ``keras.losses.get`` does.
"""

from tinygrad_edu.losses import objects as _objects
from tinygrad_edu.losses.functions import *  # noqa: F403
from tinygrad_edu.losses.functions import __all__ as _function_names
from tinygrad_edu.losses.nll import nll_loss
from tinygrad_edu.losses.objects import *  # noqa: F403
from tinygrad_edu.losses.objects import __all__ as _object_names
from tinygrad_edu.losses.objects import get_loss


def get(identifier):
    """A loss as Keras's ``losses.get`` gives it.

    A function name or alias (``"categorical_crossentropy"``, ``"mse"``) gives the function
    (one value per sample); a class name (``"MeanSquaredError"``) or a
    ``{"class_name", "config"}`` dict gives a new Loss object; a Loss, a function or None is
    returned as it is. An unknown name raises the ValueError of :func:`get_loss`.

    >>> get("mse").__name__, type(get("MeanSquaredError")).__name__
    ('mean_squared_error', 'MeanSquaredError')
    """
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        cls = get_loss(str(identifier.get("class_name", "")))
        return type(cls).from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        key = identifier.strip().lower()
        function = _objects._FUNCTIONS.get(_objects.ALIASES.get(key, key))
        if function is not None and identifier.strip() not in _objects._CLASSES:
            return function
    return get_loss(identifier)


__all__ = [*_function_names, "nll_loss", *_object_names, "get"]
