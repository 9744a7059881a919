"""The IDX file format (MNIST, Fashion-MNIST), read and written with validation.

An IDX file is a tiny header followed by one big-endian array::

    bytes 0-1   0x00 0x00                 (always zero)
    byte  2     element type code         0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                                          0x0D float32, 0x0E float64
    byte  3     number of dimensions n    (>= 1)
    4 * n       the n sizes, each a big-endian uint32
    the rest    prod(sizes) elements, big-endian, C order

So ``train-images-idx3-ubyte`` starts ``00 00 08 03 | 00 00 EA 60 | 00 00 00 1C | 00 00 00 1C``:
uint8, three dimensions, 60000 x 28 x 28. Files are often gzip-compressed (``.gz``); the
reader recognises gzip by its first two bytes (1F 8B), not by the file name.

Every check names the file and says what is wrong, because a truncated download otherwise
shows up much later as a baffling reshape error:

>>> import tempfile, os, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "tiny-idx1-ubyte")
>>> write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
>>> read_idx(path)
array([3, 1, 4], dtype=uint8)
>>> with open(path, "r+b") as f:
...     _ = f.truncate(9)
>>> read_idx(path)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
tinygrad_edu.datasets.idx.IDXFormatError: ...: truncated IDX file: the header promises 3 ...
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

from tinygrad_edu.atomic_write import atomic_write

__all__ = ["IDXFormatError", "IDX_DTYPES", "read_idx", "parse_idx", "write_idx", "read_file_bytes"]

# type code -> big-endian numpy dtype, as fixed by the format's definition.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_DTYPE = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK_BYTES = 1 << 20
_MAX_PAYLOAD_BYTES = 2**40  # 1 TiB: far above any data set, far below an overflow


class IDXFormatError(ValueError):
    """A file is not valid IDX, is truncated, or is not the array the caller expected."""


def read_file_bytes(path, max_bytes: int | None = None) -> bytes:
    """All bytes of ``path``, decompressed when it is gzip data (detected by content).

    Decompression streams, so memory holds the result only once, and stops as soon as the
    result would exceed ``max_bytes`` (a small file inflating to gigabytes is refused
    without inflating it).

    Raises:
        IDXFormatError: the gzip stream is truncated or corrupt (its CRC-32 or length
            check fails), or the content is larger than ``max_bytes``.
    """
    path = os.fspath(path)
    limit = math.inf if max_bytes is None else max_bytes
    with open(path, "rb") as handle:
        start = handle.read(2)
        if start != _GZIP_MAGIC:
            rest = handle.read() if max_bytes is None else handle.read(max_bytes + 1 - len(start))
            raw = start + rest
            if len(raw) > limit:
                raise _too_large(path, max_bytes)
            return raw
        handle.seek(0)
        try:
            return _gunzip(handle, limit, path, max_bytes)
        except (EOFError, OSError, zlib.error) as error:
            # EOFError: the stream stops early (interrupted download); zlib.error: damaged
            # bytes; OSError: a failed CRC-32 or length check.
            raise IDXFormatError(
                f"{path}: corrupt or truncated gzip data ({type(error).__name__}: {error}); "
                "delete the file and fetch it again"
            ) from None


def _too_large(path, max_bytes) -> IDXFormatError:
    return IDXFormatError(f"{path}: the data is larger than the {max_bytes:,} bytes the data set "
                          "declares; the file is damaged or is not the expected one")


def _gunzip(handle, limit, path, max_bytes) -> bytes:
    """Stream-decompress the gzip members of ``handle``, never past ``limit`` bytes."""
    pieces, total = [], 0
    with gzip.GzipFile(fileobj=handle, mode="rb") as stream:
        while True:
            piece = stream.read(int(min(_CHUNK_BYTES, limit - total + 1)))
            if not piece:
                break
            total += len(piece)
            if total > limit:
                raise _too_large(path, max_bytes)
            pieces.append(piece)
    return b"".join(pieces)


def parse_idx(data: bytes, source: str = "<bytes>", dtype=None, shape=None) -> np.ndarray:
    """Decode IDX ``data`` into a native-endian numpy array (no copy of the payload for uint8).

    Args:
        data: the (already decompressed) file contents.
        source: the name used in error messages, normally the file path.
        dtype: when given, the element type the caller requires (e.g. ``np.uint8``).
        shape: when given, the shape the caller requires; ``None`` entries match any size,
            e.g. ``(None, 28, 28)``.

    Raises:
        IDXFormatError: bad magic bytes, unknown type code, zero dimensions, a payload
            shorter or longer than the header says, or a dtype/shape other than required.
    """
    view = memoryview(data)
    if len(view) < 4:
        raise IDXFormatError(
            f"{source}: not an IDX file: {len(view)} bytes is shorter than the 4-byte magic "
            "number"
        )
    if view[0] != 0 or view[1] != 0:
        hint = " (it looks like HTML: a download error page?)" if bytes(view[:1]) == b"<" else ""
        raise IDXFormatError(
            f"{source}: not an IDX file: the magic number must start with two zero bytes, "
            f"found {bytes(view[:4]).hex(' ')}{hint}"
        )
    type_code, ndim = view[2], view[3]
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02X} {dt.name}" for code, dt in IDX_DTYPES.items())
        raise IDXFormatError(
            f"{source}: unknown IDX element type code 0x{type_code:02X} (known: {known})"
        )
    if ndim == 0:
        raise IDXFormatError(f"{source}: IDX header declares 0 dimensions; at least 1 is needed")
    header_size = 4 + 4 * ndim
    if len(view) < header_size:
        raise IDXFormatError(
            f"{source}: truncated IDX header: {ndim} dimensions need {header_size} bytes, "
            f"the file has {len(view)}"
        )
    dims = tuple(int(size) for size in np.frombuffer(view[4:header_size], dtype=">u4"))
    item_dtype = IDX_DTYPES[type_code]
    count = math.prod(dims)  # Python ints: four 32-bit sizes overflow int64
    expected_bytes = count * item_dtype.itemsize
    if expected_bytes > _MAX_PAYLOAD_BYTES:
        raise IDXFormatError(
            f"{source}: the IDX header declares dimensions {dims}, i.e. {count:,} elements "
            f"({expected_bytes:,} bytes), more than any real file holds; the header is damaged"
        )
    actual_bytes = len(view) - header_size
    if actual_bytes < expected_bytes:
        raise IDXFormatError(
            f"{source}: truncated IDX file: the header promises {count} elements of "
            f"{item_dtype.name} ({expected_bytes} bytes after the {header_size}-byte header) "
            f"but only {actual_bytes} bytes follow it; delete the file and fetch it again"
        )
    if actual_bytes > expected_bytes:
        raise IDXFormatError(
            f"{source}: {actual_bytes - expected_bytes} unexpected bytes after the "
            f"{expected_bytes}-byte payload of shape {dims}; the file is damaged or not IDX"
        )
    native = item_dtype.newbyteorder("=")
    if dtype is not None and np.dtype(dtype) != native:
        raise IDXFormatError(
            f"{source}: expected IDX elements of type {np.dtype(dtype).name}, the file holds "
            f"{native.name}"
        )
    if shape is not None and (
        len(shape) != len(dims) or any(want not in (None, got) for want, got in zip(shape, dims))
    ):
        wanted = "(" + ", ".join("any" if size is None else str(size) for size in shape) + ")"
        raise IDXFormatError(
            f"{source}: expected an array of shape {wanted}, the file holds {dims}"
        )
    array = np.frombuffer(view[header_size:], dtype=item_dtype).reshape(dims)
    # One conversion to native byte order (a no-op view for one-byte types) and a writeable
    # copy, so that callers may normalise the data in place.
    return array.astype(native, copy=True)


def read_idx(path, dtype=None, shape=None) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a numpy array.

    Args:
        path: the file.
        dtype: the element type the caller requires, or None to accept any.
        shape: the required shape, ``None`` entries matching any size; or None.

    Raises:
        IDXFormatError: see :func:`parse_idx`; the message starts with the file path.
        FileNotFoundError: the file does not exist.
    """
    path = os.fspath(path)
    return parse_idx(read_file_bytes(path), source=path, dtype=dtype, shape=shape)


def write_idx(path, array, compress=None) -> None:
    """Write ``array`` as an IDX file; gzip-compressed when ``compress`` (default: the name
    ends in ``.gz``).

    Raises:
        TypeError: the array's dtype has no IDX type code.
        ValueError: a 0-d array, or a dimension larger than 2**32 - 1.
    """
    path = os.fspath(path)
    array = np.asarray(array)
    code = _CODE_OF_DTYPE.get(array.dtype.newbyteorder("="))
    if code is None:
        names = ", ".join(dt.name for dt in IDX_DTYPES.values())
        raise TypeError(f"write_idx: IDX cannot store dtype {array.dtype}; use one of {names}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: IDX needs 1 to 255 dimensions, got {array.ndim}")
    if max(array.shape) > 0xFFFFFFFF:
        raise ValueError(f"write_idx: dimension sizes must fit in 32 bits, got {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    if compress is None:
        compress = path.endswith(".gz")
    if compress:
        payload = gzip.compress(payload, mtime=0)
    atomic_write(path, lambda stream: stream.write(payload), "write_idx")
