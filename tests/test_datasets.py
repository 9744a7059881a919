"""Real Fashion-MNIST (when installed), toy sets, DataLoader, to_categorical, train_test_split."""

import gzip
import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.datasets import (
    DataLoader,
    DatasetNotFoundError,
    fetch,
    load_fashion_mnist,
    make_circles,
    make_moons,
    make_spiral,
    to_categorical,
    train_test_split,
)

DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"
needs_fashion = pytest.mark.skipif(
    not os.path.isfile(os.path.join(DEBIAN_FASHION, "train-images-idx3-ubyte.gz")),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)",
)


# ---------------------------------------------------------------- Fashion-MNIST


@needs_fashion
def test_fashion_mnist_like_keras():
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(path=DEBIAN_FASHION)
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    # Published facts of the data set: balanced classes, the first label is an ankle boot.
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert x_train.max() == 255 and x_train.min() == 0


@needs_fashion
def test_fashion_mnist_default_search_finds_the_system_copy(monkeypatch, tmp_path):
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (_, y_train), _ = load_fashion_mnist()
    assert y_train.shape == (60000,)


@needs_fashion
def test_modified_fashion_file_is_rejected(tmp_path):
    for name in os.listdir(DEBIAN_FASHION):
        os.symlink(os.path.join(DEBIAN_FASHION, name), tmp_path / name)
    labels = bytearray(gzip.decompress((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    labels[100] = (labels[100] + 1) % 10  # one wrong label, still a valid IDX file
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels)))
    with pytest.raises(DatasetNotFoundError, match="SHA-256 of the decompressed data"):
        load_fashion_mnist(path=tmp_path)


def test_fashion_mnist_not_found_error_tells_how_to_fix(monkeypatch, tmp_path):
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch, "SYSTEM_DATA_DIR", str(tmp_path / "none"))
    monkeypatch.setattr(fetch, "_open_url", lambda url, timeout: (_ for _ in ()).throw(
        OSError("offline")))
    with pytest.raises(DatasetNotFoundError) as info:
        load_fashion_mnist()
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "TINYGRAD_EDU_DATA" in message and "path=" in message and "offline" in message


# ---------------------------------------------------------------- toy sets


def test_spiral_geometry_and_reproducibility():
    x, y = make_spiral(points_per_class=50, num_classes=3, noise=0.0, seed=1)
    assert x.shape == (150, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 50, 50]
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[:50], np.linspace(0, 1, 50), atol=1e-6)
    # Without noise, arm j is arm 0 turned by 4*j radians: the end point of arm 1.
    theta = 4.0 * (1 + 1.0)
    np.testing.assert_allclose(x[99], [np.sin(theta), np.cos(theta)], atol=1e-6)
    a, _ = make_spiral(20, 2, seed=7)
    b, _ = make_spiral(20, 2, seed=7)
    c, _ = make_spiral(20, 2, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_toy_sets_follow_the_shared_seed():
    tg.manual_seed(3)
    first = make_moons(30, noise=0.1)[0]
    tg.manual_seed(3)
    np.testing.assert_array_equal(first, make_moons(30, noise=0.1)[0])


@pytest.mark.parametrize("n_samples", [100, 101, (30, 20)])
def test_moons_and_circles_match_scikit_learn_geometry(n_samples):
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    for ours, theirs in [(make_moons, sklearn_datasets.make_moons),
                         (make_circles, sklearn_datasets.make_circles)]:
        x, y = ours(n_samples, shuffle=False)
        x_ref, y_ref = theirs(n_samples, shuffle=False)
        assert x.dtype == np.float32 and y.dtype == np.int64
        np.testing.assert_allclose(x, x_ref, atol=1e-6)
        np.testing.assert_array_equal(y, y_ref)
    x, _ = make_circles(40, shuffle=False, factor=0.3)
    np.testing.assert_allclose(np.hypot(*x[20:].T), 0.3, atol=1e-6)


def test_noise_and_shuffle_keep_labels_with_points():
    x_clean, y_clean = make_circles(200, shuffle=False, seed=0)
    x, y = make_circles(200, shuffle=True, seed=0)
    assert sorted(map(tuple, np.round(x, 5))) == sorted(map(tuple, np.round(x_clean, 5)))
    radius = np.hypot(x[:, 0], x[:, 1])
    assert np.all((radius > 0.9) == (y == 0))
    x_noisy, _ = make_moons(200, noise=0.2, seed=0)
    x_plain, _ = make_moons(200, seed=0)
    assert 0.1 < np.std(x_noisy - x_plain) < 0.3


def test_toy_set_errors():
    with pytest.raises(ValueError, match="points_per_class"):
        make_spiral(0)
    with pytest.raises(ValueError, match="noise"):
        make_moons(10, noise=-1)
    with pytest.raises(ValueError, match="factor"):
        make_circles(10, factor=1.0)
    with pytest.raises(ValueError, match="two counts"):
        make_moons((1, 2, 3))


# ---------------------------------------------------------------- DataLoader


def test_loader_without_shuffle_slices_in_order():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    loader = DataLoader(x, y, batch_size=4, shuffle=False)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[0]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    assert np.shares_memory(batches[0][0], x)  # a view: no copy without shuffling
    dropping = DataLoader(x, y, batch_size=4, shuffle=False, drop_last=True)
    assert len(dropping) == 2 and [len(b[1]) for b in dropping] == [4, 4]


def test_loader_shuffles_each_pass_reproducibly():
    x = np.arange(100)
    passes = [np.concatenate([xb for xb, _ in DataLoader(x, -x, 32, seed=5)]) for _ in range(2)]
    np.testing.assert_array_equal(passes[0], passes[1])  # same seed, same first pass
    loader = DataLoader(x, -x, 32, seed=5)
    first, second = (np.concatenate([xb for xb, _ in loader]) for _ in range(2))
    assert sorted(first.tolist()) == x.tolist() and not np.array_equal(first, second)
    for xb, yb in loader:
        np.testing.assert_array_equal(yb, -xb)  # pairs stay together
    tg.manual_seed(0)
    shared_a = next(iter(DataLoader(x, batch_size=10)))
    tg.manual_seed(0)
    np.testing.assert_array_equal(shared_a, next(iter(DataLoader(x, batch_size=10))))


def test_loader_drop_last_with_shuffle_and_tensors():
    x = tg.Tensor(np.arange(10, dtype=np.float32))
    batches = list(DataLoader(x, batch_size=3, drop_last=True, seed=0))
    assert [len(b) for b in batches] == [3, 3, 3]
    assert len(set(np.concatenate(batches).tolist())) == 9


def test_loader_errors():
    with pytest.raises(ValueError, match="x has 3 samples .* y has 2"):
        DataLoader(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(np.zeros(3), batch_size=0)


# ---------------------------------------------------------------- to_categorical


def test_to_categorical_matches_keras_shapes():
    np.testing.assert_array_equal(to_categorical([1, 0, 2]), np.eye(3, dtype=np.float32)[[1, 0, 2]])
    out = to_categorical(np.array([[1], [3]]), num_classes=5)
    assert out.shape == (2, 5) and out.dtype == np.float32 and out[1, 3] == 1
    assert to_categorical(np.zeros((2, 3), dtype=np.uint8), 4).shape == (2, 3, 4)
    np.testing.assert_array_equal(to_categorical([1.0, 0.0]), [[0, 1], [1, 0]])


def test_to_categorical_errors():
    with pytest.raises(ValueError, match="label 3 does not fit num_classes=3"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match=">= 0"):
        to_categorical([-1, 2])
    with pytest.raises(ValueError, match="whole numbers"):
        to_categorical([0.5])
    with pytest.raises(TypeError, match="integers"):
        to_categorical(["a"])


# ---------------------------------------------------------------- train_test_split


def test_split_sizes_rounding_and_alignment():
    x, y = np.arange(10).reshape(10, 1) * 10, np.arange(10)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0)
    assert (len(x_train), len(x_test)) == (7, 3)  # ceil(2.5) = 3 test samples, as scikit-learn
    np.testing.assert_array_equal(x_test[:, 0], y_test * 10)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(10))
    assert len(train_test_split(x, test_size=4, seed=0)[1]) == 4
    a = train_test_split(y, seed=1)
    b = train_test_split(y, random_state=1)
    np.testing.assert_array_equal(a[0], b[0])


def test_split_without_shuffle_takes_the_last_rows():
    train, test = train_test_split(np.arange(10), test_size=0.3, shuffle=False)
    assert train.tolist() == list(range(7)) and test.tolist() == [7, 8, 9]


def test_stratified_split_keeps_class_shares():
    labels = np.repeat([0, 1, 2], [60, 30, 10])
    x = np.arange(100)
    _, _, y_train, y_test = train_test_split(x, labels, test_size=0.2, seed=0, stratify=labels)
    assert np.bincount(y_test).tolist() == [12, 6, 2]
    assert np.bincount(y_train).tolist() == [48, 24, 8]
    onehot = np.eye(3)[labels]
    _, y_test_onehot = train_test_split(labels, test_size=0.2, seed=0, stratify=onehot)
    assert np.bincount(y_test_onehot).tolist() == [12, 6, 2]


def test_stratified_rounding_hits_the_exact_test_size():
    labels = np.repeat([0, 1, 2], [7, 7, 7])
    for seed in range(5):
        _, test = train_test_split(labels, test_size=5, seed=seed, stratify=labels)
        counts = np.bincount(test, minlength=3)
        assert counts.sum() == 5 and counts.max() - counts.min() <= 1


def test_split_errors():
    with pytest.raises(ValueError, match="same number of samples"):
        train_test_split(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="both parts must be non-empty"):
        train_test_split(np.zeros(3), test_size=3)
    with pytest.raises(ValueError, match=r"in \(0, 1\)"):
        train_test_split(np.zeros(3), test_size=1.5)
    with pytest.raises(ValueError, match="only 1 member"):
        train_test_split(np.zeros(5), stratify=[0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match="shuffle=True"):
        train_test_split(np.zeros(4), stratify=[0, 1, 0, 1], shuffle=False)
    with pytest.raises(ValueError, match="not both"):
        train_test_split(np.zeros(4), seed=1, random_state=1)
