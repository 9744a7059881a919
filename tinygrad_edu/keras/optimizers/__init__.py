"""``keras.optimizers``: the optimizers of :mod:`tinygrad_edu.optim`, Keras style.

``SGD(learning_rate=0.01)``, ``Adam()``... are the classes of :mod:`tinygrad_edu.optim`, each
seen through a subclass that only adds a note: Keras 2's ``lr=`` is accepted (it is the
learning rate), and says once that Keras 3 calls it ``learning_rate``. Everything else
(formulas, state, ``get_config``) is the one implementation: ``isinstance(opt,
tinygrad_edu.optim.SGD)`` holds. ``get`` and ``schedules`` are :mod:`tinygrad_edu.optim`'s.

>>> from tinygrad_edu.keras.optimizers import SGD
>>> import tinygrad_edu
>>> isinstance(SGD(learning_rate=0.2), tinygrad_edu.optim.SGD)
True
"""

from tinygrad_edu import optim as _optim
from tinygrad_edu.keras._namespace import missing_names as _missing_names
from tinygrad_edu.keras.optimizers import schedules
from tinygrad_edu.notes import note_once as _note_once


def _keras_view(cls: type) -> type:
    """``cls`` accepting Keras 2's ``lr=`` with a one-time note (a subclass of the same name)."""

    def __init__(self, *args, **kwargs):  # noqa: N807 - the subclass's constructor
        if "lr" in kwargs:
            _note_once("optimizer lr", f"{cls.__name__}(lr=...): Keras 3 calls this argument "
                       "learning_rate (lr is accepted and means the same)")
        cls.__init__(self, *args, **kwargs)

    doc = (f"Keras's ``{cls.__name__}``: :class:`tinygrad_edu.optim.{cls.__name__}`, which also "
           "accepts Keras 2's ``lr=`` (with a one-time note).")
    return type(cls.__name__, (cls,), {"__init__": __init__, "__doc__": doc,
                                       "__module__": __name__, "__qualname__": cls.__name__})


_CLASSES = [name for name in _optim.__all__ if isinstance(getattr(_optim, name), type)
            and issubclass(getattr(_optim, name), _optim.Optimizer)]
globals().update({name: _keras_view(getattr(_optim, name)) for name in _CLASSES
                  if name != "Optimizer"})
Optimizer = _optim.Optimizer
get = _optim.get

__all__ = ["get", "schedules"]
__all__ += sorted(_CLASSES)
__getattr__ = _missing_names(__name__, "optimizers")

from tinygrad_edu.keras.optimizers import legacy  # noqa: E402, F401 - TensorFlow 2.11's path
