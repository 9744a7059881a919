"""``keras.utils``: ``to_categorical``, ``set_random_seed``, ``plot_model``, ``get_file``, ...

``plot_model`` lives in ``viz`` (it needs Graphviz) and is imported on first use. Keras 2's
``keras.utils.np_utils.to_categorical`` path is here too.

>>> from tinygrad_edu.keras.utils import to_categorical
>>> to_categorical([1, 0], 2).tolist()
[[0.0, 1.0], [1.0, 0.0]]
"""

from tinygrad_edu.datasets import get_file, to_categorical
from tinygrad_edu.keras._namespace import missing_names as _missing_names
from tinygrad_edu.keras.backend import clear_session
from tinygrad_edu.random import set_random_seed

__all__ = ["to_categorical", "set_random_seed", "plot_model", "model_to_dot", "get_file",
           "clear_session", "np_utils"]
# The drawing lives in viz (it needs Graphviz); tinygrad_edu.viz finds that package by its place.
__getattr__ = _missing_names(__name__, "utils", lazy={"plot_model": "tinygrad_edu.viz",
                                                      "model_to_dot": "tinygrad_edu.viz"})

from tinygrad_edu.keras.utils import np_utils, vis_utils  # noqa: E402, F401 - Keras 2's paths
