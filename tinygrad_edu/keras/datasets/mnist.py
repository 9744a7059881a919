"""``keras.datasets.mnist``: the handwritten digits."""

from tinygrad_edu.datasets import load_mnist

__all__ = ["load_data"]


def load_data(path=None):
    """MNIST as ``(x_train, y_train), (x_test, y_test)``: uint8, shapes (60000, 28, 28),
    (60000,), (10000, 28, 28), (10000,). ``path``: a folder holding the four IDX files (Keras
    takes a file name in its cache instead); see :func:`~tinygrad_edu.datasets.load_mnist`."""
    return load_mnist(path)
