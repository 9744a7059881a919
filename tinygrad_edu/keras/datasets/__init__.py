"""``keras.datasets``: ``mnist.load_data()`` and ``fashion_mnist.load_data()``.

Both return ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, images (N, 28, 28) and
labels (N,), like Keras; the files are found, verified or downloaded by
:mod:`tinygrad_edu.datasets` (see :func:`~tinygrad_edu.datasets.load_fashion_mnist`).
"""

from tinygrad_edu.keras._namespace import missing_names as _missing_names
from tinygrad_edu.keras.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
__getattr__ = _missing_names(__name__, "datasets")
