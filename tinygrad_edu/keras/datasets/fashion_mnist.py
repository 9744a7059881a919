"""``keras.datasets.fashion_mnist``: Zalando's clothing images."""

from tinygrad_edu.datasets import load_fashion_mnist

__all__ = ["load_data"]


def load_data(path=None):
    """Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``: uint8, shapes
    (60000, 28, 28), (60000,), (10000, 28, 28), (10000,); labels 0..9 name
    ``FASHION_MNIST_CLASS_NAMES``. See :func:`~tinygrad_edu.datasets.load_fashion_mnist`."""
    return load_fashion_mnist(path)
