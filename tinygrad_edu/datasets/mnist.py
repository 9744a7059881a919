"""MNIST and Fashion-MNIST, returned exactly like ``keras.datasets``.

Both are 70,000 grey 28 x 28 images (60,000 for training, 10,000 for testing) stored as four
IDX files. :func:`load_fashion_mnist` and :func:`load_mnist` return
``(x_train, y_train), (x_test, y_test)`` as uint8 arrays of shapes (60000, 28, 28),
(60000,), (10000, 28, 28), (10000,), pixel values 0..255 and labels 0..9, like Keras.
Scale the pixels yourself (``x_train.astype("float32") / 255``) as the course does.

Where the files are looked for, and how they are verified, is described in
:mod:`tinygrad_edu.datasets.fetch`. The checksums below are the published SHA-256 sums of the
original ``.gz`` archives and of their decompressed contents.
"""

from __future__ import annotations

from tinygrad_edu.datasets.fetch import DataFile, DatasetSpec, fetch_arrays

__all__ = [
    "load_fashion_mnist",
    "load_mnist",
    "load_idx_dataset",
    "FASHION_MNIST",
    "MNIST",
    "FASHION_MNIST_CLASS_NAMES",
]

FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    title="Fashion-MNIST",
    files={
        "x_train": DataFile(
            "train-images-idx3-ubyte.gz",
            archive_sha256="3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            content_sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            shape=(60000, 28, 28),
        ),
        "y_train": DataFile(
            "train-labels-idx1-ubyte.gz",
            archive_sha256="a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            content_sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            shape=(60000,),
        ),
        "x_test": DataFile(
            "t10k-images-idx3-ubyte.gz",
            archive_sha256="346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            content_sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            shape=(10000, 28, 28),
        ),
        "y_test": DataFile(
            "t10k-labels-idx1-ubyte.gz",
            archive_sha256="67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            content_sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            shape=(10000,),
        ),
    },
    mirrors=(
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    debian_package="dataset-fashion-mnist",
)

MNIST = DatasetSpec(
    name="mnist",
    title="MNIST",
    files={
        "x_train": DataFile(
            "train-images-idx3-ubyte.gz",
            archive_sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            content_sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            shape=(60000, 28, 28),
        ),
        "y_train": DataFile(
            "train-labels-idx1-ubyte.gz",
            archive_sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            content_sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            shape=(60000,),
        ),
        "x_test": DataFile(
            "t10k-images-idx3-ubyte.gz",
            archive_sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            content_sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            shape=(10000, 28, 28),
        ),
        "y_test": DataFile(
            "t10k-labels-idx1-ubyte.gz",
            archive_sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            content_sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            shape=(10000,),
        ),
    },
    mirrors=(
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
    ),
)

FASHION_MNIST_CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


def load_idx_dataset(spec: DatasetSpec, path=None):
    """Load the four-file IDX data set ``spec`` as ``(x_train, y_train), (x_test, y_test)``.

    Raises:
        DatasetNotFoundError: no verified copy could be found or downloaded.
    """
    arrays = fetch_arrays(spec, path=path)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_fashion_mnist(path=None):
    """Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``, uint8, like Keras's
    ``keras.datasets.fashion_mnist.load_data()``.

    Args:
        path: a folder holding the four files (``train-images-idx3-ubyte.gz``, ...,
            compressed or not). Default: search ``$TINYGRAD_EDU_DATA/fashion-mnist``, the
            user cache, ``/usr/share/datasets/fashion-mnist`` (``apt-get install
            dataset-fashion-mnist``), then download into the user cache.

    Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
    7 Sneaker, 8 Bag, 9 Ankle boot (see ``FASHION_MNIST_CLASS_NAMES``).

    Raises:
        DatasetNotFoundError: lists every place tried and how to fix it.
    """
    return load_idx_dataset(FASHION_MNIST, path=path)


def load_mnist(path=None):
    """MNIST handwritten digits as ``(x_train, y_train), (x_test, y_test)``, uint8, like
    ``keras.datasets.mnist.load_data()``.

    Args:
        path: a folder holding the four IDX files; default: search
            ``$TINYGRAD_EDU_DATA/mnist``, the user cache, ``/usr/share/datasets/mnist``,
            then download into the user cache.

    Raises:
        DatasetNotFoundError: lists every place tried and how to fix it.
    """
    return load_idx_dataset(MNIST, path=path)
