"""Reading an ``.npz`` archive that may be damaged or hostile, without pickle and within limits.

``numpy.load`` trusts the archive: a zip member that inflates to gigabytes is inflated, a
truncated file raises ``zipfile.BadZipFile`` or ``EOFError``, and any numeric-looking dtype
is accepted. :func:`read_archive` reads each member itself and checks, before allocating:

* the archive is a readable ZIP file (else a ValueError saying it is damaged);
* each member's uncompressed size (from the ZIP directory) fits the limit, and a compressed
  member does not inflate more than :data:`MAX_COMPRESSION_RATIO` times (a "zip bomb");
* the member is a ``.npy`` array whose header declares exactly as many bytes as the member
  holds, with a plain dtype: numbers for weights, a short unicode string for the JSON
  members. Objects (pickles), strings, complex numbers, dates and structured records are
  refused with the member's name.

Only the declared number of bytes is ever read, and reading to the end checks the member's
CRC-32, so a flipped bit is caught too.
"""

from __future__ import annotations

import os
import zipfile
import zlib

import numpy as np

__all__ = ["read_archive", "check_sizes", "MAX_ARCHIVE_BYTES", "MAX_COMPRESSION_RATIO",
           "MAX_TEXT_BYTES"]

#: largest total of uncompressed bytes accepted in one file (raise it for huge models)
MAX_ARCHIVE_BYTES = 8 * 2**30
#: a deflated member larger than 1 MiB may be at most this many times its compressed size
MAX_COMPRESSION_RATIO = 100
#: largest JSON member (header, architecture)
MAX_TEXT_BYTES = 16 * 2**20
_NUMERIC_KINDS = "biuf"
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


def _damaged(who, path, detail) -> ValueError:
    return ValueError(f"{who}: {path!r} is damaged or not a tinygrad_edu file ({detail})")


def check_sizes(who, path, infos, max_bytes) -> None:
    """Refuse ZIP members (``ZipInfo`` objects) over ``max_bytes`` in all, or a zip bomb."""
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise ValueError(
            f"{who}: {path!r} would unpack to {total:,} bytes, more than the limit of "
            f"{max_bytes:,} (tinygrad_edu.archive.MAX_ARCHIVE_BYTES); refusing to load it"
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if (info.compress_type != zipfile.ZIP_STORED and info.file_size > 2**20
                and ratio > MAX_COMPRESSION_RATIO):
            raise ValueError(
                f"{who}: {path!r}: member {info.filename!r} inflates {ratio:,.0f} times "
                f"({info.compress_size:,} -> {info.file_size:,} bytes), over the limit of "
                f"{MAX_COMPRESSION_RATIO} times for real weights (a zip bomb?); refusing it"
            )


def _read_member(who, path, archive, info, text_members) -> np.ndarray:
    name = info.filename.removesuffix(".npy")
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)
            shape, fortran_order, dtype = reader(member)
        except ValueError as error:
            raise _damaged(who, path, f"member {name!r} has no valid .npy header: {error}"
                           ) from None
        header_bytes = member.tell()
        if dtype.hasobject:
            raise ValueError(
                f"{who}: {path!r} contains pickled Python objects (member {name!r}). They "
                "are refused because unpickling can run arbitrary code; tinygrad_edu files "
                "hold plain arrays only."
            )
        allowed = "U" if name in text_members else _NUMERIC_KINDS
        if dtype.kind not in allowed or dtype.fields is not None or dtype.subdtype is not None:
            wanted = "a JSON string" if name in text_members else "numbers (int or float)"
            raise ValueError(f"{who}: {path!r}: member {name!r} has dtype {dtype}; it must "
                             f"hold {wanted}. The file is damaged or was not written by "
                             "tinygrad_edu.")
        if any(size < 0 for size in shape):
            raise _damaged(who, path, f"member {name!r} declares the shape {shape}")
        count = 1
        for size in shape:
            count *= size
        n_bytes = count * dtype.itemsize
        if name in text_members and (shape != () or n_bytes > MAX_TEXT_BYTES):
            raise _damaged(who, path, f"member {name!r} is not one short string")
        if n_bytes != info.file_size - header_bytes:
            raise _damaged(who, path, f"member {name!r} declares {n_bytes:,} bytes of data "
                                      f"but holds {info.file_size - header_bytes:,}")
        buffer = bytearray(n_bytes)
        view, filled = memoryview(buffer), 0
        while filled < n_bytes:
            got = member.readinto(view[filled:])
            if not got:
                raise _damaged(who, path, f"member {name!r} ends early")
            filled += got
        if member.read(1):  # reading to the end also verifies the CRC-32
            raise _damaged(who, path, f"member {name!r} is longer than declared")
    array = np.frombuffer(buffer, dtype=dtype)
    return array.reshape(shape, order="F" if fortran_order else "C")


def read_archive(path, who="load", text_members=(), max_bytes=None) -> dict:
    """Every array of the ``.npz`` file ``path``, by member name (without ``.npy``).

    Args:
        path: the file.
        who: the function named in error messages.
        text_members: the members that hold one JSON string; all others must be numeric.
        max_bytes: the limit on the total uncompressed size (default
            :data:`MAX_ARCHIVE_BYTES`).

    Raises:
        ValueError: damaged, hostile or oversized content; the message names the member.
    """
    path = os.fspath(path)
    max_bytes = MAX_ARCHIVE_BYTES if max_bytes is None else max_bytes
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            check_sizes(who, path, infos, max_bytes)
            members = {}
            for info in infos:
                if not info.filename.endswith(".npy"):
                    raise _damaged(who, path, f"unexpected member {info.filename!r}")
                members[info.filename.removesuffix(".npy")] = _read_member(
                    who, path, archive, info, text_members)
            return members
    except _READ_ERRORS as error:
        if isinstance(error, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        raise _damaged(who, path, f"{type(error).__name__}: {error}") from None
