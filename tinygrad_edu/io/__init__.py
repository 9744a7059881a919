"""Reading and writing Keras's files: ``.keras`` (Keras 3), ``.weights.h5`` and legacy ``.h5``.

``model.save("m.keras")``, ``model.save_weights("w.weights.h5")``, ``load_model(path)`` and
``model.load_weights(path)`` reach these through :mod:`tinygrad_edu.serialization`, which
picks the format by the name when writing and by the content when reading. h5py is needed
for them (``pip install 'tinygrad-edu[keras-files]'``) and imported only when used.

Files: ``keras_config.py`` (layer configs both ways, where weights live), ``weights_h5.py``
(the HDF5 weights layout), ``keras_optimizer.py`` (optimizer config and variables),
``keras_file.py`` (the ``.keras`` archive), ``keras_h5.py`` (``.weights.h5`` and legacy
``.h5``), ``compiled_state.py`` (compile settings in this project's own files).
"""

from tinygrad_edu.io.keras_config import supported_layers
from tinygrad_edu.io.keras_file import load_keras, save_keras
from tinygrad_edu.io.keras_h5 import load_legacy_h5, load_weights_h5, save_weights_h5

__all__ = ["load_keras", "save_keras", "load_weights_h5", "save_weights_h5", "load_legacy_h5",
           "supported_layers"]
