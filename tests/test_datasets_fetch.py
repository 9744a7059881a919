"""Finding, verifying and downloading data set files, with a tiny IDX data set written by the
test and served from file:// URLs or a replaced opener (no network needed)."""

import gzip
import hashlib
import io
import os

import numpy as np
import pytest

from tinygrad_edu.datasets import fetch
from tinygrad_edu.datasets.fetch import DataFile, DatasetNotFoundError, DatasetSpec
from tinygrad_edu.datasets.idx import write_idx
from tinygrad_edu.datasets.mnist import load_idx_dataset

REAL_OPEN_URL = fetch._open_url  # kept before any test replaces it
RNG = np.random.default_rng(0)
ARRAYS = {
    "x_train": RNG.integers(0, 256, (5, 3, 3), dtype=np.uint8),
    "y_train": RNG.integers(0, 10, 5, dtype=np.uint8),
    "x_test": RNG.integers(0, 256, (2, 3, 3), dtype=np.uint8),
    "y_test": RNG.integers(0, 10, 2, dtype=np.uint8),
}
NAMES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def _idx_bytes(array):
    header = bytes([0, 0, 8, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + array.tobytes()


def _make_spec(mirrors=(), debian_package="dataset-tiny"):
    files = {}
    for role, array in ARRAYS.items():
        content = _idx_bytes(array)
        archive = gzip.compress(content, mtime=0)
        files[role] = DataFile(
            NAMES[role],
            archive_sha256=hashlib.sha256(archive).hexdigest(),
            content_sha256=hashlib.sha256(content).hexdigest(),
            shape=array.shape,
        )
    return DatasetSpec("tiny", "Tiny-MNIST", files, tuple(mirrors), debian_package)


def _write_set(directory, compress=True, names=None):
    directory.mkdir(parents=True, exist_ok=True)
    for role, array in ARRAYS.items():
        name = (names or NAMES)[role]
        if not compress:
            name = name.removesuffix(".gz")
        write_idx(directory / name, array, compress=compress)
    return directory


def _assert_loaded(result):
    (x_train, y_train), (x_test, y_test) = result
    for got, role in [(x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"),
                      (y_test, "y_test")]:
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, ARRAYS[role])


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Isolated env, cache and system folders; the network is off unless a test serves."""
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(fetch, "SYSTEM_DATA_DIR", str(tmp_path / "system"))

    def no_network(url, timeout):
        raise OSError(f"network disabled in tests ({url})")

    monkeypatch.setattr(fetch, "_open_url", no_network)
    return {
        "env": tmp_path / "env",
        "cache": tmp_path / "xdg" / "tinygrad_edu" / "tiny",
        "system": tmp_path / "system" / "tiny",
        "mirror": tmp_path / "mirror",
    }


def test_cache_dir_honours_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert fetch.cache_dir("mnist") == tmp_path / "tinygrad_edu" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert str(fetch.cache_dir()).endswith(os.path.join(".cache", "tinygrad_edu"))


def test_explicit_path_compressed_plain_and_dotted(places, tmp_path):
    _assert_loaded(load_idx_dataset(_make_spec(), path=_write_set(tmp_path / "gz")))
    _assert_loaded(load_idx_dataset(_make_spec(), path=_write_set(tmp_path / "raw", False)))
    dotted = {role: name.replace("-idx", ".idx") for role, name in NAMES.items()}
    _assert_loaded(load_idx_dataset(_make_spec(), path=_write_set(tmp_path / "dot", False, dotted)))


def test_explicit_path_is_strict_even_when_other_places_are_fine(places, tmp_path):
    _write_set(places["system"])
    folder = _write_set(tmp_path / "partial")
    (folder / NAMES["y_test"]).unlink()
    with pytest.raises(DatasetNotFoundError) as info:
        load_idx_dataset(_make_spec(), path=folder)
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte.gz missing" in message and str(folder) in message


def test_lookup_order_env_then_cache_then_system(places, monkeypatch):
    visited = []
    original = fetch._load_directory
    monkeypatch.setattr(
        fetch, "_load_directory", lambda spec, d: visited.append(d) or original(spec, d)
    )
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(places["env"]))
    _write_set(places["system"])
    _assert_loaded(load_idx_dataset(_make_spec()))
    assert visited == [places["env"] / "tiny", places["cache"], places["system"]]
    visited.clear()
    _write_set(places["env"] / "tiny")
    _assert_loaded(load_idx_dataset(_make_spec()))
    assert visited == [places["env"] / "tiny"]


def test_corrupt_copy_is_skipped_for_a_good_one_later(places, monkeypatch):
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(places["env"]))
    folder = _write_set(places["env"] / "tiny", compress=False)
    raw = bytearray((folder / "train-images-idx3-ubyte").read_bytes())
    raw[-1] ^= 1  # one pixel changed: the header is still valid, only the checksum sees it
    (folder / "train-images-idx3-ubyte").write_bytes(bytes(raw))
    _write_set(places["system"])
    _assert_loaded(load_idx_dataset(_make_spec()))


def test_download_from_file_url_into_cache(places, monkeypatch):
    _write_set(places["mirror"])
    spec = _make_spec(mirrors=[places["mirror"].as_uri() + "/"])
    monkeypatch.setattr(fetch, "_open_url", REAL_OPEN_URL)  # urllib itself, file:// URLs
    _assert_loaded(load_idx_dataset(spec))
    assert sorted(os.listdir(places["cache"])) == sorted(NAMES.values())  # no .part left
    server = _Server({})  # the mirror is gone now: the cache must serve the second call
    monkeypatch.setattr(fetch, "_open_url", server)
    _assert_loaded(load_idx_dataset(spec))
    assert server.requests == []


class _Server:
    """Replaces the URL opener: serves bytes by URL and records requests."""

    def __init__(self, files):
        self.files = files
        self.requests = []

    def __call__(self, url, timeout):
        self.requests.append(url)
        if url not in self.files:
            raise OSError(f"404 {url}")
        return io.BytesIO(self.files[url])


def _served(mirror, transform=lambda role, data: data):
    return {
        mirror + NAMES[role]: transform(role, gzip.compress(_idx_bytes(array), mtime=0))
        for role, array in ARRAYS.items()
    }


def test_checksum_mismatch_is_rejected_and_never_cached(places, monkeypatch):
    def tamper(role, data):
        if role != "x_test":
            return data
        content = bytearray(gzip.decompress(data))
        content[-1] ^= 0xFF
        return gzip.compress(bytes(content))

    server = _Server(_served("https://bad/", tamper))
    monkeypatch.setattr(fetch, "_open_url", server)
    with pytest.raises(DatasetNotFoundError) as info:
        load_idx_dataset(_make_spec(mirrors=["https://bad/"]))
    message = str(info.value)
    assert "SHA-256" in message and "https://bad/t10k-images-idx3-ubyte.gz" in message
    cached = sorted(os.listdir(places["cache"]))
    assert "t10k-images-idx3-ubyte.gz" not in cached
    assert not [name for name in cached if name.endswith(".part")]


def test_truncated_download_rejected_then_next_mirror_used(places, monkeypatch):
    files = _served("https://cut/", lambda role, data: data[: len(data) // 2])
    files.update(_served("https://good/"))
    server = _Server(files)
    monkeypatch.setattr(fetch, "_open_url", server)
    _assert_loaded(load_idx_dataset(_make_spec(mirrors=["https://cut/", "https://good/"])))
    first = NAMES["x_train"]
    assert server.requests[:2] == ["https://cut/" + first, "https://good/" + first]


def test_recompressed_mirror_is_accepted_by_content_checksum(places, monkeypatch):
    # Different gzip bytes (level 1, another mtime), same IDX content.
    files = _served("https://re/", lambda role, d: gzip.compress(gzip.decompress(d), 1, mtime=9))
    spec = _make_spec(mirrors=["https://re/"])
    assert hashlib.sha256(files["https://re/" + NAMES["x_train"]]).hexdigest() != \
        spec.files["x_train"].archive_sha256
    monkeypatch.setattr(fetch, "_open_url", _Server(files))
    _assert_loaded(load_idx_dataset(spec))


def test_damaged_cached_file_is_replaced_by_download(places, monkeypatch):
    _write_set(places["cache"])
    (places["cache"] / NAMES["y_train"]).write_bytes(b"\x1f\x8b garbage")
    server = _Server(_served("https://m/"))
    monkeypatch.setattr(fetch, "_open_url", server)
    _assert_loaded(load_idx_dataset(_make_spec(mirrors=["https://m/"])))
    assert server.requests == ["https://m/" + NAMES["y_train"]]  # only the bad file fetched


def test_failure_message_lists_every_place_and_the_fixes(places, monkeypatch):
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(places["env"]))
    places["system"].mkdir(parents=True)
    with pytest.raises(DatasetNotFoundError) as info:
        load_idx_dataset(_make_spec(mirrors=["https://offline/"]))
    message = str(info.value)
    assert message.startswith("Tiny-MNIST not found")
    for expected in [str(places["env"] / "tiny"), str(places["cache"]), str(places["system"]),
                     "network disabled", "apt-get install dataset-tiny", "TINYGRAD_EDU_DATA",
                     'path="that/folder"', "train-images-idx3-ubyte.gz missing"]:
        assert expected in message, expected
    assert isinstance(info.value, FileNotFoundError)
