"""The output-memory pool of convolution and pooling: memory returns only once nothing sees it."""

import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.ops import buffers
from tinygrad_edu.ops.conv import conv2d
from tinygrad_edu.ops.pooling import max_pool2d

LARGE = (256, 1024)  # 1 MB of float32, above MIN_BYTES


@pytest.fixture(autouse=True)
def empty_pool():
    buffers.release()
    yield
    buffers.release()


def memory_of(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def test_a_live_array_is_never_handed_out_again():
    first = buffers.empty(LARGE, np.float32)
    second = buffers.empty(LARGE, np.float32)
    assert not np.shares_memory(first, second)
    first.fill(1.0)
    second.fill(2.0)
    assert np.all(first == 1.0)


def test_memory_comes_back_once_its_array_dies():
    first = buffers.empty(LARGE, np.float32)
    address = memory_of(first)
    del first
    assert memory_of(buffers.empty(LARGE, np.float32)) == address
    assert buffers.pooled_bytes() == np.prod(LARGE) * 4


def test_a_view_keeps_the_memory_in_use():
    first = buffers.empty(LARGE, np.float32)
    first.fill(3.0)
    row = first[7]
    del first
    second = buffers.empty(LARGE, np.float32)
    second.fill(4.0)
    assert np.all(row == 3.0)


def test_the_same_bytes_serve_another_shape_and_dtype():
    first = buffers.empty((512, 512), np.float64)  # 2 MB
    address = memory_of(first)
    del first
    again = buffers.empty((1024, 512), np.float32)
    assert memory_of(again) == address
    assert again.shape == (1024, 512) and again.dtype == np.float32


def test_zeros_are_zero_even_on_reused_memory():
    stale = buffers.empty(LARGE, np.float32)
    stale.fill(np.nan)
    del stale
    fresh = buffers.zeros(LARGE, np.float32)
    assert np.count_nonzero(fresh) == 0


def test_small_arrays_come_from_numpy():
    small = buffers.empty((4, 4), np.float32)
    assert small.base is None and small.flags.owndata
    assert buffers.pooled_bytes() == 0


def test_the_pool_stays_under_its_cap(monkeypatch):
    monkeypatch.setattr(buffers, "POOL_BYTES", 3 * 1024 * 1024)
    for rows in (256, 512, 768, 1024):  # 1, 2, 3 and 4 MB, each dead at once
        buffers.empty((rows, 1024), np.float32)
        assert buffers.pooled_bytes() <= buffers.POOL_BYTES
    # the 4 MB array did not fit at all: it lived outside the pool
    kept = buffers.empty((768, 1024), np.float32)
    assert buffers.pooled_bytes() == 3 * 1024 * 1024
    del kept


def test_a_full_pool_keeps_the_buffers_in_use(monkeypatch):
    monkeypatch.setattr(buffers, "POOL_BYTES", 2 * 1024 * 1024)
    held = buffers.empty(LARGE, np.float32)
    held.fill(5.0)
    buffers.empty((512, 1024), np.float32)  # 2 MB: only room if the held one were dropped
    assert buffers.pooled_bytes() == 1024 * 1024
    assert np.all(held == 5.0)


def test_release_forgets_free_buffers_and_leaves_used_ones_alone():
    held = buffers.empty(LARGE, np.float32)
    held.fill(6.0)
    buffers.release()
    assert buffers.pooled_bytes() == 0
    other = buffers.empty(LARGE, np.float32)
    assert not np.shares_memory(held, other)
    assert np.all(held == 6.0)


def test_two_threads_never_share_a_buffer():
    taken, errors = [], []
    start, finish = threading.Barrier(2), threading.Barrier(2)

    def take_many(value):
        try:
            start.wait()
            mine = []
            for _ in range(50):
                array = buffers.empty(LARGE, np.float32)
                array.fill(value)
                mine.append(array)
                if len(mine) > 3:
                    mine.pop(0)  # frees one for reuse by either thread
                assert all(np.all(a == value) for a in mine)
            taken.extend(memory_of(a) for a in mine)
            finish.wait()  # both threads still hold the arrays they kept
        except AssertionError as error:
            errors.append(error)
            finish.abort()

    threads = [threading.Thread(target=take_many, args=(v,)) for v in (1.0, 2.0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(taken)) == len(taken) == 6


def test_an_output_the_user_keeps_survives_the_next_step():
    rng = np.random.default_rng(0)
    kernel = tg.Tensor(rng.standard_normal((3, 3, 1, 32)).astype(np.float32), requires_grad=True)
    images = rng.standard_normal((64, 28, 28, 1)).astype(np.float32)
    first = conv2d(tg.Tensor(images), kernel)
    kept = first.numpy()
    expected = kept.copy()
    del first
    for _ in range(3):  # later steps of the same shapes
        max_pool2d(conv2d(tg.Tensor(-images), kernel), 2).sum().backward()
    np.testing.assert_array_equal(kept, expected)


def test_a_training_step_reuses_its_memory():
    layer = tg.nn.Conv2D(32, 3, activation="relu")
    images = tg.Tensor(np.ones((64, 28, 28, 1), dtype=np.float32))
    for _ in range(2):
        tg.nn.MaxPooling2D()(layer(images)).sum().backward()
    held = buffers.pooled_bytes()
    assert held > 0
    for _ in range(3):
        tg.nn.MaxPooling2D()(layer(images)).sum().backward()
    assert buffers.pooled_bytes() == held
