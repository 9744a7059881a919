"""Finding, verifying and downloading the files of a data set.

A data set is described by a :class:`DatasetSpec`: its files, their published SHA-256 sums
and the mirrors that serve them. :func:`fetch_arrays` looks for the files, in this order:

1. the ``path=`` argument (a folder holding the files). When it is given, it is the only
   place tried: a wrong explicit path is an error, not something to paper over;
2. ``$TINYGRAD_EDU_DATA/<name>/``;
3. the user cache, ``$XDG_CACHE_HOME/tinygrad_edu/<name>/`` (``~/.cache/...`` by default);
4. ``/usr/share/datasets/<name>/`` (where Debian's ``dataset-fashion-mnist`` puts its files);
5. a download from each mirror in turn into the user cache.

In every folder a file may be gzip-compressed (``train-images-idx3-ubyte.gz``) or not
(``train-images-idx3-ubyte`` or ``train-images.idx3-ubyte``).

Integrity. Every file, wherever it comes from, must decompress to bytes whose SHA-256 is the
published sum of the *decompressed* file, and must pass the IDX checks (magic number, type,
shape, size). The sum of the decompressed bytes is used because copies of the same data are
compressed differently (Debian recompresses the Fashion-MNIST archives, so their ``.gz`` bytes
differ from the originals while the images are identical). A download is also accepted when
its archive matches the published sum of the ``.gz`` itself. A file that fails is never used;
a download that fails is deleted before it reaches its final name, so the cache never holds
a bad file (the write is a rename of a finished, verified temporary file).
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinygrad_edu.atomic_write import atomic_path
from tinygrad_edu.datasets.idx import IDXFormatError, parse_idx, read_file_bytes

__all__ = [
    "DataFile",
    "DatasetSpec",
    "DatasetNotFoundError",
    "ChecksumError",
    "cache_dir",
    "fetch_arrays",
    "SYSTEM_DATA_DIR",
]

SYSTEM_DATA_DIR = "/usr/share/datasets"
ENV_VAR = "TINYGRAD_EDU_DATA"
DOWNLOAD_TIMEOUT_SECONDS = 60  # longest wait for the next bytes
DOWNLOAD_DEADLINE_SECONDS = 900  # longest time spent on one mirror, all its files together
_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class DataFile:
    """One file of a data set.

    Attributes:
        name: the published file name, e.g. ``"train-images-idx3-ubyte.gz"``.
        archive_sha256: SHA-256 of the published ``.gz`` file.
        content_sha256: SHA-256 of the decompressed IDX bytes.
        shape: the array shape the file must hold.
    """

    name: str
    archive_sha256: str
    content_sha256: str
    shape: tuple

    @property
    def content_bytes(self) -> int:
        """The size of the decompressed IDX file: its header and one byte per element."""
        return 4 + 4 * len(self.shape) + math.prod(self.shape)

    @property
    def max_download_bytes(self) -> int:
        """The most a download of this file may be: gzip can grow incompressible data by a
        few bytes per 16 KiB block, so 1% plus 64 KiB above the content is ample."""
        return self.content_bytes + self.content_bytes // 100 + 2**16

    def local_names(self) -> tuple:
        """The names this file may have on disk: compressed, plain, and the dotted plain
        form some unzip tools produce (``train-images.idx3-ubyte``)."""
        plain = self.name[:-3] if self.name.endswith(".gz") else self.name
        stem, _, kind = plain.rpartition("-idx")
        dotted = f"{stem}.idx{kind}" if stem else plain
        return tuple(dict.fromkeys((self.name, plain, dotted)))


@dataclass(frozen=True)
class DatasetSpec:
    """Where a data set lives and how to recognise its files.

    Attributes:
        name: folder name in caches and in ``/usr/share/datasets`` (e.g. ``"fashion-mnist"``).
        title: human name for messages (``"Fashion-MNIST"``).
        files: role -> :class:`DataFile`; roles ``x_train, y_train, x_test, y_test``.
        mirrors: base URLs, tried in order; a file's URL is ``mirror + file.name``.
        debian_package: the Debian package that installs the files, if there is one.
    """

    name: str
    title: str
    files: dict
    mirrors: tuple
    debian_package: str | None = None


class DatasetNotFoundError(FileNotFoundError):
    """No usable copy of a data set was found; the message lists every place tried."""


class ChecksumError(ValueError):
    """A file's SHA-256 differs from the published one (corrupt, truncated or a different
    file)."""


def cache_dir(name: str | None = None) -> Path:
    """The user cache folder, ``$XDG_CACHE_HOME/tinygrad_edu`` (default ``~/.cache``), or
    its sub-folder for data set ``name``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    root = Path(base) / "tinygrad_edu"
    return root / name if name else root


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_file(file: DataFile, path: Path, source=None) -> np.ndarray:
    """Decompress, verify the checksum of the content, and parse one IDX file."""
    source = source or str(path)
    content = read_file_bytes(path, max_bytes=file.content_bytes)
    digest = _sha256(content)
    if digest != file.content_sha256:
        raise ChecksumError(
            f"{source}: SHA-256 of the decompressed data is {digest}, expected "
            f"{file.content_sha256}: the file is corrupt, truncated or not {file.name}"
        )
    # The checksum already proves the content; parsing still checks the header so that a
    # spec with a wrong shape fails loudly.
    return parse_idx(content, source=source, dtype=np.uint8, shape=file.shape)


def _find_file(file: DataFile, directory: Path) -> Path | None:
    for local_name in file.local_names():
        candidate = directory / local_name
        if candidate.is_file():
            return candidate
    return None


def _load_directory(spec: DatasetSpec, directory: Path):
    """(arrays by role, None) when every file is present and valid, else (None, problem)."""
    if not directory.is_dir():
        return None, "no such folder"
    arrays, problems = {}, []
    for role, file in spec.files.items():
        found = _find_file(file, directory)
        if found is None:
            problems.append(f"{file.name} missing")
            continue
        try:
            arrays[role] = _load_file(file, found)
        except (IDXFormatError, ChecksumError, OSError) as error:
            problems.append(str(error))
    if problems:
        return None, "; ".join(problems)
    return arrays, None


def _open_url(url: str, timeout: float):
    """Open ``url`` for reading (tests replace this to serve files without a network)."""
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - https/file (checked)


def _check_url(url: str) -> None:
    """Only https and file URLs; plain http only to this machine (the loopback address)."""
    parts = urllib.parse.urlsplit(url)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme == "https" or parts.scheme == "file" or (parts.scheme == "http" and local):
        return
    raise ValueError(f"{url}: only https:// (or file://) mirrors are used; plain {parts.scheme}"
                     ":// can be tampered with on the way")


def _download_file(file: DataFile, url: str, directory: Path, deadline: float) -> np.ndarray:
    """Download ``url`` into ``directory`` as ``file.name``; return its verified array.

    The bytes go to a temporary file in the same folder (:mod:`tinygrad_edu.atomic_write`)
    and are checked first: the archive must match the published SHA-256 of the ``.gz``, or
    else (a mirror that recompressed it) its decompressed bytes must match the published
    content SHA-256; the IDX header must be right either way. Only then is the file renamed
    to its final name. On any failure the temporary file is removed, so the cache never
    holds an unverified file.

    Limits: at most ``file.max_download_bytes`` are received and at most
    ``file.content_bytes`` decompressed (both follow from the spec's shape), and the download
    must end before ``deadline`` (a ``time.monotonic()`` value: the mirror's time is up),
    however slowly the mirror trickles its bytes.
    """
    _check_url(url)
    limit = file.max_download_bytes
    if time.monotonic() > deadline:
        raise TimeoutError(f"{url}: not tried, the mirror has used up its "
                           f"{DOWNLOAD_DEADLINE_SECONDS} s")
    with atomic_path(directory / file.name, "download") as temporary:
        digest, received = hashlib.sha256(), 0
        with open(temporary, "wb") as out, _open_url(
                url, min(DOWNLOAD_TIMEOUT_SECONDS, DOWNLOAD_DEADLINE_SECONDS)) as response:
            declared = getattr(response, "headers", {}).get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise ValueError(f"{url}: the mirror announces {int(declared):,} bytes, more "
                                 f"than the {limit:,} that {file.name} can take")
            read = getattr(response, "read1", response.read)  # returns what has arrived
            while chunk := read(_CHUNK_BYTES):
                received += len(chunk)
                if received > limit:
                    raise ValueError(f"{url}: more than {limit:,} bytes received, more than "
                                     f"{file.name} can take; the mirror serves something else")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url}: the mirror took longer than its "
                                       f"{DOWNLOAD_DEADLINE_SECONDS} s ({received:,} bytes of "
                                       "this file received)")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() == file.archive_sha256:
            content = read_file_bytes(temporary, max_bytes=file.content_bytes)
            return parse_idx(content, source=url, dtype=np.uint8, shape=file.shape)
        return _load_file(file, Path(temporary), source=url)


def _unwritable(directory: Path) -> str | None:
    """Why downloads cannot be stored in ``directory``, or None when they can."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return error.strerror or type(error).__name__
    if not os.access(directory, os.W_OK):
        return "permission denied"
    return None


def _download_into_cache(spec: DatasetSpec, directory: Path) -> dict:
    """Download every file of ``spec`` that is missing or bad in ``directory``.

    Each mirror gets :data:`DOWNLOAD_DEADLINE_SECONDS` in all, counted from its first
    request, so a slow mirror cannot hold up the fetch once per file."""
    arrays, deadlines = {}, {}
    for role, file in spec.files.items():
        found = _find_file(file, directory) if directory.is_dir() else None
        if found is not None:
            try:
                arrays[role] = _load_file(file, found)
                continue
            except (IDXFormatError, ChecksumError):
                pass  # a damaged cached copy is replaced by a fresh download below
        errors = []
        for mirror in spec.mirrors:
            url = mirror + file.name
            print(f"Downloading {url} to {directory}", file=sys.stderr)
            try:
                deadline = deadlines.setdefault(mirror,
                                                time.monotonic() + DOWNLOAD_DEADLINE_SECONDS)
                arrays[role] = _download_file(file, url, directory, deadline)
                break
            except (OSError, ValueError) as error:  # URLError and TimeoutError are OSErrors
                errors.append(f"{url}: {type(error).__name__}: {error}")
        else:
            raise OSError("; ".join(errors) if errors else "no mirror configured")
    return arrays


def _fixes(spec: DatasetSpec, cache_writable: bool = True) -> list:
    names = ", ".join(file.name for file in spec.files.values())
    fixes = []
    if spec.debian_package:
        fixes.append(f"on Debian/Ubuntu: sudo apt-get install {spec.debian_package}")
    fixes += [
        f"download {names} (from {spec.mirrors[0]}) into a folder and pass "
        f'path="that/folder"',
        f"or put them in $TINYGRAD_EDU_DATA/{spec.name}/ and set {ENV_VAR}",
    ]
    if cache_writable:
        fixes.append(f"or connect to the internet and call again (files are cached in "
                     f"{cache_dir(spec.name)})")
    else:
        fixes.append(f"or make {cache_dir(spec.name)} writable, or set XDG_CACHE_HOME to a "
                     "writable folder, so that the files can be downloaded and cached")
    return fixes


def fetch_arrays(spec: DatasetSpec, path=None) -> dict:
    """The verified arrays of ``spec`` (role -> uint8 array), found as the module docstring
    describes.

    Raises:
        DatasetNotFoundError: nothing usable anywhere; the message lists each place tried,
            what was wrong there, and how to fix it.
    """
    if path is not None:
        arrays, problem = _load_directory(spec, Path(os.fspath(path)))
        if arrays is not None:
            return arrays
        raise DatasetNotFoundError(
            f"{spec.title}: cannot load from path={os.fspath(path)!r}: {problem}. The folder "
            f"must hold {', '.join(f.name for f in spec.files.values())} (gzip-compressed or "
            "not); pass path=None to search the usual places and download"
        )
    tried = []
    env_root = os.environ.get(ENV_VAR)
    places = [(f"${ENV_VAR}", Path(env_root) / spec.name if env_root else None)]
    places += [("user cache", cache_dir(spec.name))]
    places += [("system data", Path(SYSTEM_DATA_DIR) / spec.name)]
    for label, directory in places:
        if directory is None:
            tried.append(f"{label}: not set")
            continue
        arrays, problem = _load_directory(spec, directory)
        if arrays is not None:
            return arrays
        tried.append(f"{label} {directory}: {problem}")
    cache = cache_dir(spec.name)
    problem = _unwritable(cache)
    if problem is not None:
        tried.append(f"download: not tried, the cache folder {cache} cannot be written "
                     f"({problem})")
    else:
        try:
            return _download_into_cache(spec, cache)
        except OSError as error:
            tried.append(f"download into {cache}: {error}")
    lines = [f"{spec.title} not found. Tried:"]
    lines += [f"  {number}. {entry}" for number, entry in enumerate(tried, 1)]
    lines += ["To fix it:"] + [f"  - {fix}" for fix in _fixes(spec, cache_writable=problem is None)]
    raise DatasetNotFoundError("\n".join(lines))
