"""The IDX reader/writer: round trips, byte layout, and every validation error."""

import gzip
import struct

import numpy as np
import pytest

from tinygrad_edu.datasets.idx import IDXFormatError, parse_idx, read_idx, write_idx


@pytest.mark.parametrize(
    "dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
)
@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_every_type(tmp_path, dtype, compress):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((4, 3, 2)) * 50).astype(dtype)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_layout_is_big_endian_as_the_format_defines(tmp_path):
    path = tmp_path / "x"
    write_idx(path, np.array([[1, -2, 300]], dtype=np.int16))
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, 0x0B, 2])
    assert struct.unpack(">II", raw[4:12]) == (1, 3)
    assert struct.unpack(">3h", raw[12:]) == (1, -2, 300)


def test_hand_written_mnist_style_header(tmp_path):
    pixels = np.arange(2 * 2 * 3, dtype=np.uint8)
    raw = bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 2, 3) + pixels.tobytes()
    path = tmp_path / "imgs-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(raw))
    array = read_idx(path, dtype=np.uint8, shape=(None, 2, 3))
    np.testing.assert_array_equal(array, pixels.reshape(2, 2, 3))


def test_gzip_is_detected_by_content_not_name(tmp_path):
    path = tmp_path / "no-extension"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9])))
    np.testing.assert_array_equal(read_idx(path), [7, 9])
    plain = tmp_path / "plain.gz"  # a .gz name holding plain IDX still reads
    plain.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 1, 5]))
    np.testing.assert_array_equal(read_idx(plain), [5])


def _error(data, **kwargs):
    with pytest.raises(IDXFormatError) as info:
        parse_idx(data, source="some/file", **kwargs)
    message = str(info.value)
    assert message.startswith("some/file: ")
    return message


def test_bad_magic_numbers():
    assert "two zero bytes" in _error(bytes([0, 1, 8, 1, 0, 0, 0, 0]))
    assert "HTML" in _error(b"<html><body>404</body></html>")
    assert "shorter than the 4-byte magic" in _error(b"\x00\x00")
    assert "unknown IDX element type code 0x07" in _error(bytes([0, 0, 7, 1, 0, 0, 0, 0]))
    assert "0 dimensions" in _error(bytes([0, 0, 8, 0]))


def test_truncated_header_and_payload_and_trailing_bytes():
    assert "truncated IDX header" in _error(bytes([0, 0, 8, 3, 0, 0, 0, 1]))
    header = bytes([0, 0, 0x0C, 1]) + struct.pack(">I", 3)  # three int32 = 12 bytes
    message = _error(header + bytes(10))
    assert "truncated IDX file" in message and "12 bytes" in message and "only 10" in message
    assert "2 unexpected bytes" in _error(header + bytes(14))


def test_dtype_and_shape_requirements():
    data = bytes([0, 0, 8, 2]) + struct.pack(">II", 2, 3) + bytes(6)
    assert parse_idx(data, dtype=np.uint8, shape=(2, None)).shape == (2, 3)
    assert "expected IDX elements of type int16" in _error(data, dtype=np.int16)
    assert "expected an array of shape (any, 4)" in _error(data, shape=(None, 4))
    assert "expected an array of shape (2, 3, 1)" in _error(data, shape=(2, 3, 1))


def test_truncated_or_damaged_gzip_names_the_file(tmp_path):
    good = gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 5000) + bytes(range(250)) * 20)
    truncated = tmp_path / "cut.gz"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(IDXFormatError, match=r"cut\.gz: corrupt or truncated gzip"):
        read_idx(truncated)
    damaged = bytearray(good)
    damaged[-6] ^= 0xFF  # inside the CRC-32 trailer: only the checksum can notice
    bad_crc = tmp_path / "crc.gz"
    bad_crc.write_bytes(bytes(damaged))
    with pytest.raises(IDXFormatError, match=r"crc\.gz: corrupt or truncated gzip"):
        read_idx(bad_crc)


def test_write_idx_refuses_what_idx_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="cannot store dtype int64"):
        write_idx(tmp_path / "a", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "b", np.uint8(3))


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nothing-here")
