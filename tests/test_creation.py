"""Tensor creation: linspace, rectangular eye, randint (and their errors)."""

import numpy as np
import pytest

import tinygrad_edu as tg


@pytest.mark.parametrize("start, stop, num, endpoint", [
    (0, 1, 5, True), (-2.5, 3.0, 7, False), (1, 1, 3, True), (0, 1, 0, True), (5, -5, 11, True),
])
def test_linspace_matches_numpy_and_torch(start, stop, num, endpoint):
    ours = tg.linspace(start, stop, num, endpoint=endpoint)
    assert ours.dtype == np.float32 and ours.shape == (num,)
    expected = np.linspace(start, stop, num, endpoint=endpoint)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-6, atol=1e-7)
    assert tg.linspace(start, stop, num, endpoint=endpoint, dtype="float64").numpy().tolist() == \
        expected.tolist()
    if endpoint:
        torch = pytest.importorskip("torch")
        np.testing.assert_allclose(ours.numpy(), torch.linspace(start, stop, num).numpy(),
                                   rtol=1e-6, atol=1e-6)


def test_linspace_rejects_a_bad_count():
    for num in (-1, 2.5):
        with pytest.raises(ValueError, match="linspace: num"):
            tg.linspace(0, 1, num)


@pytest.mark.parametrize("n, m, k", [(3, None, 0), (2, 4, 0), (4, 2, 0), (3, 4, 1), (3, 3, -2),
                                     (0, 3, 0), (2, 2, 5)])
def test_eye_is_rectangular_with_any_diagonal(n, m, k):
    ours = tg.eye(n, m, k=k)
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours.numpy(), np.eye(n, m, k=k))


def test_eye_rejects_negative_sizes():
    with pytest.raises(ValueError, match="eye: m"):
        tg.eye(2, -1)
    with pytest.raises(ValueError, match="eye: n"):
        tg.eye(1.5)


def test_randint_is_in_range_uniform_and_seeded():
    tg.manual_seed(5)
    first = tg.randint(3, 7, (4000,))
    assert first.dtype == np.int64 and first.shape == (4000,)
    values, counts = np.unique(first.numpy(), return_counts=True)
    assert values.tolist() == [3, 4, 5, 6]
    assert np.all(np.abs(counts / 4000 - 0.25) < 0.03)
    tg.manual_seed(5)
    assert np.array_equal(tg.randint(3, 7, (4000,)).numpy(), first.numpy())
    assert set(tg.randint(2, size=50).tolist()) <= {0, 1}
    assert tg.randint(10, size=(2, 3), dtype="int32").dtype == np.int32
    assert tg.randint(0, 5).shape == ()


def test_randint_rejects_an_empty_range_and_float_dtypes():
    with pytest.raises(ValueError, match="randint: high"):
        tg.randint(5, 5)
    with pytest.raises(TypeError, match="randint: dtype"):
        tg.randint(0, 5, 3, dtype="float32")
