"""``get_file``: download a file once into the cache, as Keras's ``keras.utils.get_file``.

The file is stored as ``<cache_dir>/<cache_subdir>/<fname>`` (``cache_dir`` defaults to the
user cache of :func:`~tinygrad_edu.datasets.cache_dir`). A file already there is returned
without a download (after its hash is checked, when ``file_hash`` is given). A download goes
to a temporary file that becomes the target only once it is complete and its hash matches,
so the cache never holds a half-written or wrong file. Only ``https://`` and ``file://``
URLs are fetched (plain ``http`` only from this machine).

>>> import pathlib, tempfile
>>> source = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
>>> _ = source.write_text("hello")
>>> path = get_file("notes.txt", source.as_uri(), cache_dir=tempfile.mkdtemp())
>>> pathlib.Path(path).read_text()
'hello'
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tinygrad_edu.atomic_write import atomic_path
from tinygrad_edu.datasets import fetch

__all__ = ["get_file"]

_CHUNK_BYTES = 1 << 20


def _digest(path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _algorithm(file_hash: str, hash_algorithm: str) -> str:
    if hash_algorithm == "auto":  # Keras: a 64-digit hash is SHA-256, anything else MD5
        return "sha256" if len(file_hash) == 64 else "md5"
    if hash_algorithm not in ("sha256", "md5"):
        raise ValueError(f"get_file: hash_algorithm must be 'auto', 'sha256' or 'md5', got "
                         f"{hash_algorithm!r}")
    return hash_algorithm


def _check_hash(path, file_hash, hash_algorithm, origin) -> None:
    if file_hash is None:
        return
    found = _digest(path, _algorithm(file_hash, hash_algorithm))
    if found != file_hash.lower():
        raise fetch.ChecksumError(f"get_file: {origin} has hash {found}, expected {file_hash}; "
                                  "the file is corrupt or not the one expected")


def get_file(fname=None, origin=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, cache_dir=None, force_download=False):
    """The local path of ``origin``'s file, downloading it the first time.

    Args:
        fname: the file's name in the cache (default: the last part of ``origin``).
        origin: the URL.
        file_hash: the expected SHA-256 (64 hex digits) or MD5, checked after a download and
            on every later call.
        cache_subdir: folder under ``cache_dir`` (Keras's default ``"datasets"``).
        hash_algorithm: ``"auto"``, ``"sha256"`` or ``"md5"``.
        extract: not supported here (unpack the archive with ``shutil.unpack_archive``).
        cache_dir: default the user cache (``~/.cache/tinygrad_edu``).
        force_download: download even when the file is cached.

    Raises:
        ValueError: no ``origin``, or ``extract=True``.
        ChecksumError: the file's hash differs from ``file_hash``.
    """
    if not origin:
        raise ValueError("get_file: give origin=, the URL to download")
    if extract:
        raise ValueError("get_file: extract=True is not supported; unpack the downloaded file "
                         "with shutil.unpack_archive(path)")
    fname = fname or os.path.basename(origin.split("?")[0])
    folder = Path(cache_dir) if cache_dir else fetch.cache_dir()
    target = folder / cache_subdir / fname
    if target.exists() and not force_download:
        _check_hash(target, file_hash, hash_algorithm, target)
        return os.fspath(target)
    fetch._check_url(origin)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target, "get_file") as temporary:
        with open(temporary, "wb") as out, fetch._open_url(origin, 60) as response:
            while chunk := response.read(_CHUNK_BYTES):
                out.write(chunk)
        _check_hash(temporary, file_hash, hash_algorithm, origin)
    return os.fspath(target)
