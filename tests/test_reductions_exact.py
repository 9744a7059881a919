"""The reductions of a training step are numpy's own: the same numbers, bit for bit."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.ops.fused import sparse_softmax_cross_entropy

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axis", [
    ((128, 256), 0),  # a bias gradient
    ((32, 26, 26, 32), (0, 1, 2)),  # a convolution's bias gradient
    ((1024, 10), 1),  # row sums of a softmax
    ((8, 16, 12), (1, 2)),
    ((8, 16, 12), 1),
    ((8, 16, 12), None),
])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_and_mean_equal_numpy_exactly(dtype, shape, axis, keepdims):
    a = RNG.standard_normal(shape).astype(dtype)
    total = tg.Tensor(a, dtype=dtype).sum(axis=axis, keepdims=keepdims).numpy()
    want = np.add.reduce(a, axis=axis, keepdims=keepdims)
    assert total.dtype == dtype
    np.testing.assert_array_equal(total, want)
    count = a.size // np.asarray(want).size
    mean = tg.Tensor(a, dtype=dtype).mean(axis=axis, keepdims=keepdims).numpy()
    np.testing.assert_array_equal(mean, want * np.array(1.0 / count, dtype=dtype))


@pytest.mark.parametrize("shape", [(128, 10), (1024, 2), (4, 8, 10), (300, 100)])
def test_max_over_the_last_axis_equals_numpy_exactly(shape):
    a = (RNG.standard_normal(shape) * 100).astype(np.float32)
    np.testing.assert_array_equal(tg.Tensor(a).max(axis=-1).numpy(), np.max(a, axis=-1))


def test_softmax_is_numpys_expression_exactly():
    x = RNG.standard_normal((1024, 10)).astype(np.float32)
    shifted = np.exp(x - np.max(x, axis=1, keepdims=True))
    want = shifted / np.sum(shifted, axis=1, keepdims=True)
    np.testing.assert_array_equal(tg.functional.softmax(tg.Tensor(x), axis=-1).numpy(), want)


def test_softmax_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((128, 10)).astype(np.float32)
    np.testing.assert_allclose(tg.functional.softmax(tg.Tensor(x), axis=-1).numpy(),
                               torch.softmax(torch.from_numpy(x), dim=-1).numpy(),
                               rtol=1e-6, atol=1e-7)


def test_sum_keeps_nan_and_inf():
    a = np.ones((64, 8), np.float32)
    a[3, 2] = np.nan
    a[5, 4] = np.inf
    total = tg.Tensor(a).sum(axis=0).numpy()
    assert np.isnan(total[2]) and np.isinf(total[4]) and total[0] == 64.0


def test_cross_entropy_with_extreme_logits():
    logits = RNG.standard_normal((128, 10)).astype(np.float32) * 1000
    labels = RNG.integers(0, 10, 128)
    loss = sparse_softmax_cross_entropy(tg.Tensor(logits, requires_grad=True), labels)
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    want = -log_probs[np.arange(128), labels]
    assert loss.dtype == np.float32 and np.all(np.isfinite(loss.numpy()))
    np.testing.assert_allclose(loss.numpy(), want, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("shape, axis, keepdims", [
    ((32,), None, False), ((4, 5), 0, False), ((4, 5), 1, True), ((3, 4, 5), (0, 2), False),
    ((80, 80), None, False), ((80, 80), 1, True), ((), None, False)])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_mean_backward_spreads_the_same_gradient_with_and_without_recording(
        shape, axis, keepdims, dtype):
    """An ordinary backward spreads g/n in numpy; a recorded one (create_graph) with ops:
    the same values, the input's shape and dtype, also above the size where the spread
    becomes a broadcast view (80x80)."""
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True, dtype=dtype)
    upstream = rng.standard_normal(np.mean(x.data, axis=axis, keepdims=keepdims).shape)
    (plain,) = tg.grad(x.mean(axis=axis, keepdims=keepdims), x,
                       tg.Tensor(upstream, dtype=dtype))
    (recorded,) = tg.grad(x.mean(axis=axis, keepdims=keepdims), x,
                          tg.Tensor(upstream, dtype=dtype), create_graph=True)
    assert plain.shape == x.shape and plain.dtype == x.dtype
    np.testing.assert_array_equal(plain.numpy(), recorded.numpy())
    count = x.data.size // max(np.asarray(upstream).size, 1)
    expected = np.broadcast_to(
        (upstream.reshape(np.mean(x.data, axis=axis, keepdims=True).shape)
         if axis is not None else upstream) / count, shape)
    np.testing.assert_allclose(plain.numpy(), expected, rtol=2e-3 if dtype == np.float16 else 1e-6)
