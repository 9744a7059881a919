"""Loss functions with Keras's names, formulas, clipping and reductions.

Each loss exists in two forms, as in Keras:

* a function ``loss(y_true, y_pred)`` returning one value per sample
  (:mod:`tinygrad_edu.losses.functions`), e.g. ``mean_squared_error(y, p).shape == (batch,)``;
* a class whose instances reduce those values to the number that is minimized
  (:mod:`tinygrad_edu.losses.objects`): ``MeanSquaredError()(y, p)`` is a scalar.

``get_loss("mse")`` finds either by name, with a suggestion for a misspelled one.
"""

from tinygrad_edu.losses.functions import *  # noqa: F403
from tinygrad_edu.losses.functions import __all__ as _function_names
from tinygrad_edu.losses.nll import nll_loss
from tinygrad_edu.losses.objects import *  # noqa: F403
from tinygrad_edu.losses.objects import __all__ as _object_names

__all__ = [*_function_names, "nll_loss", *_object_names]
