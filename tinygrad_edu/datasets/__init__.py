"""Data: the course's image sets, toy sets, batching and splitting.

- :func:`load_fashion_mnist`, :func:`load_mnist`: ``(x_train, y_train), (x_test, y_test)``
  as uint8 arrays, like ``keras.datasets`` (files found or downloaded and verified as
  described in :mod:`tinygrad_edu.datasets.fetch`);
- :func:`read_idx`, :func:`write_idx`: the IDX file format, with validation;
- :func:`make_spiral`, :func:`make_moons`, :func:`make_circles`: 2-D sets needing nothing;
- :class:`DataLoader`, :func:`to_categorical`, :func:`train_test_split`;
- :func:`get_file`: download a file once into the cache (Keras's ``utils.get_file``).

>>> from tinygrad_edu.datasets import make_moons, train_test_split, DataLoader
>>> x, y = make_moons(200, noise=0.1, seed=0)
>>> x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0)
>>> [xb.shape for xb, yb in DataLoader(x_train, y_train, batch_size=64, seed=0)]
[(64, 2), (64, 2), (22, 2)]
"""

from tinygrad_edu.datasets.fetch import (
    ChecksumError,
    DataFile,
    DatasetNotFoundError,
    DatasetSpec,
    cache_dir,
)
from tinygrad_edu.datasets.get_file import get_file
from tinygrad_edu.datasets.idx import IDXFormatError, read_idx, write_idx
from tinygrad_edu.datasets.loader import DataLoader, to_categorical
from tinygrad_edu.datasets.mnist import (
    FASHION_MNIST,
    FASHION_MNIST_CLASS_NAMES,
    MNIST,
    load_fashion_mnist,
    load_idx_dataset,
    load_mnist,
)
from tinygrad_edu.datasets.split import train_test_split
from tinygrad_edu.datasets.toy import make_circles, make_moons, make_spiral

__all__ = [
    "load_fashion_mnist",
    "load_mnist",
    "load_idx_dataset",
    "FASHION_MNIST",
    "MNIST",
    "FASHION_MNIST_CLASS_NAMES",
    "DatasetSpec",
    "DataFile",
    "DatasetNotFoundError",
    "ChecksumError",
    "cache_dir",
    "IDXFormatError",
    "read_idx",
    "write_idx",
    "make_spiral",
    "make_moons",
    "make_circles",
    "DataLoader",
    "to_categorical",
    "train_test_split",
    "get_file",
]
