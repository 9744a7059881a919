"""The sum over leading axes as a product with ones gives numpy's numbers, up to rounding."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.ops import reduce_kernels
from tinygrad_edu.ops.reduce_kernels import sum_axes

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
    ((32, 26, 26, 32), (0, 1, 2), True),  # a convolution's bias gradient
    ((128, 10), (1,), False),  # row sums of a softmax: numpy
    ((8, 16, 12), (0, 1), True),  # leading axes
    ((8, 16, 12), (1, 2), False),  # trailing axes: numpy
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
    if fast:
        # The same numbers added in another order. Both are close to the exact sum (float64 of
        # float64 inputs is close enough to exact here); a recursive sum of n terms errs by at
        # most n * eps * sum(|a|), and in practice by far less: sqrt(n) is allowed.
        exact = np.add.reduce(a.astype(np.float64), axis=axis, keepdims=keepdims)
        scale = np.add.reduce(np.abs(a).astype(np.float64), axis=axis, keepdims=keepdims)
        allowed = np.sqrt(a.size / got.size) * np.finfo(dtype).eps * scale
        assert np.all(np.abs(got - exact) <= allowed)
        assert np.all(np.abs(want - exact) <= allowed)
    else:  # numpy's own call
        np.testing.assert_array_equal(got, want)
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


@pytest.mark.parametrize("fn", [
    lambda a: a.sum(axis=0),
    lambda a: a.mean(axis=0),
    lambda a: (a.reshape(4, 10, 12) * a.reshape(4, 10, 12)).sum(axis=(0, 1)),
], ids=["sum/axis0", "mean/axis0", "sum/axes01"])
def test_gradients_through_the_fast_routes(fn, ones_calls):
    a = tg.Tensor(RNG.standard_normal((40, 12)), requires_grad=True, dtype=np.float64)
    assert gradcheck(fn, [a])
    assert ones_calls  # the shape is large enough for the matrix-vector route
