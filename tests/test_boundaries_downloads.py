"""Download boundaries, against real HTTP servers on 127.0.0.1 (a thread of http.server):
a size limit per file from the spec, a deadline per mirror, streaming decompression with a
limit, no plain-http mirror, one clear message for a cache that cannot be written, and IDX
headers whose sizes overflow."""

import gzip
import hashlib
import http.server
import threading
import time
import tracemalloc

import numpy as np
import pytest

from tinygrad_edu.datasets import fetch, idx
from tinygrad_edu.datasets.fetch import DataFile, DatasetNotFoundError, DatasetSpec
from tinygrad_edu.datasets.mnist import FASHION_MNIST, MNIST

ARRAY = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
CONTENT = bytes([0, 0, 8, 3]) + np.asarray(ARRAY.shape, ">u4").tobytes() + ARRAY.tobytes()
ARCHIVE = gzip.compress(CONTENT, mtime=0)
NAME = "tiny-images-idx3-ubyte.gz"


def _spec(*mirrors):
    file = DataFile(NAME, hashlib.sha256(ARCHIVE).hexdigest(),
                    hashlib.sha256(CONTENT).hexdigest(), ARRAY.shape)
    return DatasetSpec("tiny", "Tiny", {"x_train": file}, tuple(mirrors))


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802 - http.server's name
        body, delay = self.routes.get(self.path, (None, 0))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.end_headers()
        chunks = [body] if not delay else [body[i:i + 1] for i in range(len(body))]
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch, tmp_path):
    """A local mirror: ``server.serve(path, body, delay)``; its base URL is ``server.url``."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    monkeypatch.setattr(fetch, "SYSTEM_DATA_DIR", str(tmp_path / "system"))
    routes = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.serve = lambda path, body, delay=0: routes.__setitem__(path, (body, delay))
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _cache_files(tmp_path):
    folder = tmp_path / "cache" / "tinygrad_edu" / "tiny"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_good_local_mirror_is_downloaded_and_cached(server, tmp_path):
    server.serve("/good/" + NAME, ARCHIVE)
    arrays = fetch.fetch_arrays(_spec(server.url + "/good/"))
    np.testing.assert_array_equal(arrays["x_train"], ARRAY)
    assert _cache_files(tmp_path) == [NAME]


CASES = [
    ("more bytes than the file can take", lambda: ARCHIVE + bytes(200_000),
     r"more than [\d,]+ bytes received, more than tiny-images-idx3-ubyte.gz can take"),
    ("a small file inflating far beyond the spec", lambda: gzip.compress(bytes(50_000_000), 9),
     r"the data is larger than the 76 bytes the data set declares"),
]


@pytest.mark.parametrize("body, message", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_oversized_downloads_are_refused_and_the_next_mirror_used(server, tmp_path, body,
                                                                   message):
    server.serve("/bad/" + NAME, body())
    server.serve("/good/" + NAME, ARCHIVE)
    spec = _spec(server.url + "/bad/", server.url + "/empty/")
    tracemalloc.start()
    try:
        with pytest.raises(DatasetNotFoundError, match=message):
            fetch.fetch_arrays(spec)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # streamed in 1 MiB pieces, never held whole
    assert _cache_files(tmp_path) == []  # nothing unverified reaches the cache
    arrays = fetch.fetch_arrays(_spec(server.url + "/bad/", server.url + "/good/"))
    np.testing.assert_array_equal(arrays["x_train"], ARRAY)


def test_a_trickling_mirror_meets_its_deadline_and_the_next_one_is_used(server, monkeypatch):
    server.serve("/slow/" + NAME, ARCHIVE, delay=0.05)  # a byte every 50 ms: 4 s in all
    server.serve("/good/" + NAME, ARCHIVE)
    monkeypatch.setattr(fetch, "DOWNLOAD_DEADLINE_SECONDS", 0.5)
    start = time.monotonic()
    with pytest.raises(DatasetNotFoundError, match=r"the mirror took longer than its 0.5 s"):
        fetch.fetch_arrays(_spec(server.url + "/slow/"))
    assert time.monotonic() - start < 2.5
    arrays = fetch.fetch_arrays(_spec(server.url + "/slow/", server.url + "/good/"))
    np.testing.assert_array_equal(arrays["x_train"], ARRAY)


def test_the_deadline_covers_all_files_of_a_mirror(tmp_path, monkeypatch):
    """Each of two files alone would fit in the deadline; both together do not."""
    import io

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch, "SYSTEM_DATA_DIR", str(tmp_path / "system"))
    monkeypatch.setattr(fetch, "DOWNLOAD_DEADLINE_SECONDS", 0.5)

    def slow_opener(url, timeout):
        time.sleep(0.35)
        return io.BytesIO(ARCHIVE)

    monkeypatch.setattr(fetch, "_open_url", slow_opener)
    first = _spec().files["x_train"]
    second = DataFile("second-idx3-ubyte.gz", first.archive_sha256, first.content_sha256,
                      first.shape)
    spec = DatasetSpec("tiny", "Tiny", {"x_train": first, "y_train": second},
                       ("https://slow.example/",))
    with pytest.raises(DatasetNotFoundError, match=r"second-idx3-ubyte.gz: TimeoutError: .*the "
                                                   r"mirror took longer than its 0.5 s"):
        fetch.fetch_arrays(spec)
    assert _cache_files(tmp_path) == [NAME]  # the first file made it in time


def test_plain_http_mirrors_are_refused_before_connecting(server, monkeypatch):
    opened = []
    monkeypatch.setattr(fetch, "_open_url", lambda url, timeout: opened.append(url))
    with pytest.raises(DatasetNotFoundError, match=r"only https:// \(or file://\) mirrors are "
                                                   r"used; plain http:// can be tampered with"):
        fetch.fetch_arrays(_spec("http://mirror.example.org/data/"))
    assert opened == []


@pytest.mark.parametrize("spec", [FASHION_MNIST, MNIST], ids=["fashion-mnist", "mnist"])
def test_the_built_in_data_sets_list_only_https_mirrors(spec):
    assert spec.mirrors and all(mirror.startswith("https://") for mirror in spec.mirrors)


def test_a_cache_that_cannot_be_written_is_said_once(server, monkeypatch, tmp_path):
    server.serve("/good/" + NAME, ARCHIVE)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with pytest.raises(DatasetNotFoundError) as caught:
        fetch.fetch_arrays(_spec(server.url + "/good/", server.url + "/other/"))
    message = str(caught.value)
    assert message.count("cannot be written") == 1
    assert "download: not tried, the cache folder" in message
    assert "connect to the internet" not in message
    assert "set XDG_CACHE_HOME to a writable folder" in message


IDX_HEADERS = [
    ("four maximal sizes", b"\0\0\x08\x04" + b"\xff\xff\xff\xff" * 4,
     r"declares dimensions \(4294967295, 4294967295, 4294967295, 4294967295\), i.e. "
     r"[\d,]+ elements .*more than any real file holds"),
    ("a float64 file of 2**40 elements", b"\0\0\x0e\x02" + b"\x00\x10\x00\x00" * 2,
     r"\(1048576, 1048576\), i.e. 1,099,511,627,776 elements \(8,796,093,022,208 bytes\)"),
]


@pytest.mark.parametrize("header, message", [case[1:] for case in IDX_HEADERS],
                         ids=[case[0] for case in IDX_HEADERS])
def test_idx_sizes_that_overflow_give_a_clear_error(header, message):
    with pytest.raises(idx.IDXFormatError, match=message):
        idx.parse_idx(header + b"\0" * 16, source="f")


def test_a_mirror_whose_time_is_up_is_not_asked_again(tmp_path, monkeypatch):
    import io

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch, "SYSTEM_DATA_DIR", str(tmp_path / "system"))
    monkeypatch.setattr(fetch, "DOWNLOAD_DEADLINE_SECONDS", 0.2)
    requested = []

    def opener(url, timeout):
        requested.append(url)
        if url.startswith("https://slow.example/"):
            time.sleep(0.3)
        return io.BytesIO(ARCHIVE)

    monkeypatch.setattr(fetch, "_open_url", opener)
    first = _spec().files["x_train"]
    second = DataFile("second-idx3-ubyte.gz", first.archive_sha256, first.content_sha256,
                      first.shape)
    spec = DatasetSpec("tiny", "Tiny", {"x_train": first, "y_train": second},
                       ("https://slow.example/", "https://fast.example/"))
    arrays = fetch.fetch_arrays(spec)
    np.testing.assert_array_equal(arrays["y_train"], ARRAY)
    assert requested == ["https://slow.example/" + NAME, "https://fast.example/" + NAME,
                         "https://fast.example/second-idx3-ubyte.gz"]
