"""The fast reduction routes give numpy's numbers for every shape, dtype and layout."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.ops import reduce_kernels
from tinygrad_edu.ops.fused import sparse_softmax_cross_entropy
from tinygrad_edu.ops.reduce_kernels import max_axes, sum_axes

RNG = np.random.default_rng(7)


@pytest.fixture
def ones_calls(monkeypatch):
    """Counts the matrix-vector route, so a test can tell which route ran."""
    calls = []
    original = reduce_kernels._ones

    def counting(length, dtype):
        calls.append((length, dtype))
        return original(length, dtype)

    monkeypatch.setattr(reduce_kernels, "_ones", counting)
    return calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axis, fast", [
    ((128, 256), (0,), True),  # a bias gradient
    ((128, 10), (1,), True),  # row sums of a softmax
    ((8, 16, 12), (0, 1), True),  # leading axes
    ((8, 16, 12), (1, 2), True),  # trailing axes
    ((8, 16, 12), (1,), False),  # a middle axis: numpy
    ((8, 16, 12), None, False),  # everything: numpy's pairwise sum
    ((4, 5), (0,), False),  # small: numpy
])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_axes_matches_numpy(ones_calls, dtype, shape, axis, fast, keepdims):
    a = RNG.standard_normal(shape).astype(dtype)
    got = sum_axes(a, axis, keepdims)
    want = np.add.reduce(a, axis=axis, keepdims=keepdims)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-4 if dtype == np.float32 else 1e-12)
    assert bool(ones_calls) == fast


@pytest.mark.parametrize("a", [
    RNG.standard_normal((300, 20)).astype(np.float16),  # no BLAS for float16
    RNG.integers(-5, 5, (300, 20)),  # integers
    np.asfortranarray(RNG.standard_normal((300, 20)).astype(np.float32)),  # not C-contiguous
    np.zeros((0, 300), np.float32),  # empty
], ids=["float16", "int", "fortran", "empty"])
def test_sum_axes_leaves_other_arrays_to_numpy(ones_calls, a):
    for axis in ((0,), (1,)):
        got = sum_axes(a, axis, keepdims=False)
        np.testing.assert_allclose(got, np.add.reduce(a, axis=axis), rtol=1e-3)
        assert got.dtype == np.add.reduce(a, axis=axis).dtype
    assert not ones_calls


def test_sum_axes_keeps_nan_and_inf():
    a = np.ones((64, 8), np.float32)
    a[3, 2] = np.nan
    a[5, 4] = np.inf
    total = sum_axes(a, (0,), keepdims=False)
    assert np.isnan(total[2]) and np.isinf(total[4]) and total[0] == 64.0


def test_ones_are_shared_read_only():
    ones = reduce_kernels._ones(300, np.dtype(np.float32))
    assert ones is reduce_kernels._ones(300, np.dtype(np.float32))
    with pytest.raises(ValueError):
        ones[0] = 2.0


@pytest.mark.parametrize("shape", [(128, 10), (1024, 2), (4, 8, 10), (300, 100), (3, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_max_axes_over_the_last_axis_matches_numpy(shape, dtype):
    a = (RNG.standard_normal(shape) * 100).astype(dtype)
    got = max_axes(a, (a.ndim - 1,))
    want = np.max(a, axis=-1, keepdims=True)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("axis", [(0,), (0, 1), None])
def test_max_axes_over_other_axes_matches_numpy(axis):
    a = RNG.standard_normal((64, 8, 10)).astype(np.float32)
    np.testing.assert_array_equal(max_axes(a, axis), np.max(a, axis=axis, keepdims=True))


def test_max_axes_propagates_nan_and_handles_infinities():
    a = RNG.standard_normal((128, 10)).astype(np.float32)
    a[1, 3] = np.nan
    a[2, :] = -np.inf
    a[4, 7] = np.inf
    got = max_axes(a, (1,))[:, 0]
    assert np.isnan(got[1]) and got[2] == -np.inf and got[4] == np.inf
    np.testing.assert_array_equal(np.delete(got, [1, 2, 4]),
                                  np.delete(np.max(a, axis=1), [1, 2, 4]))


@pytest.mark.parametrize("fn", [
    lambda a: a.sum(axis=0),
    lambda a: a.mean(axis=1),
    lambda a: tg.logsumexp(a, axis=-1),
    lambda a: tg.functional.softmax(a, axis=-1),
], ids=["sum/axis0", "mean/axis1", "logsumexp/last", "softmax/last"])
def test_gradients_through_the_fast_routes(fn, ones_calls):
    a = tg.Tensor(RNG.standard_normal((40, 12)), requires_grad=True, dtype=np.float64)
    assert gradcheck(fn, [a])
    assert ones_calls  # the shape is large enough for the matrix-vector route


def test_cross_entropy_with_extreme_logits_on_the_fast_route():
    logits = RNG.standard_normal((128, 10)).astype(np.float32) * 1000
    labels = RNG.integers(0, 10, 128)
    loss = sparse_softmax_cross_entropy(tg.Tensor(logits, requires_grad=True), labels)
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    want = -log_probs[np.arange(128), labels]
    assert loss.dtype == np.float32 and np.all(np.isfinite(loss.numpy()))
    np.testing.assert_allclose(loss.numpy(), want, rtol=1e-5, atol=1e-3)
