"""``keras.backend``: ``clear_session`` and the few settings a numpy framework has.

>>> import tinygrad_edu
>>> clear_session(); tinygrad_edu.nn.Dense(2).name
'dense'
"""

from tinygrad_edu.keras._namespace import missing_names as _missing_names
from tinygrad_edu.nn import reset_names

__all__ = ["clear_session", "epsilon", "floatx", "image_data_format", "backend"]


def clear_session(free_memory=True) -> None:
    """Start the default layer names again (the next Dense is ``dense``), as Keras does.

    There is no graph or device memory to free here; ``free_memory`` is accepted for Keras's
    signature."""
    reset_names()


def epsilon() -> float:
    """The fuzz factor Keras uses in losses and constraints (1e-7)."""
    return 1e-7


def floatx() -> str:
    """The default float type, ``"float32"``."""
    return "float32"


def image_data_format() -> str:
    """``"channels_last"``: images are (batch, height, width, channels), as in Keras."""
    return "channels_last"


def backend() -> str:
    """The name of the array library underneath: ``"numpy"``."""
    return "numpy"


__getattr__ = _missing_names(__name__, "backend")
