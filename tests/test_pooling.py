"""Pooling: the ops (tinygrad_edu.ops.pooling) and the layers (tinygrad_edu.nn.conv).

Finite-difference checks of the ops are rows of the op-case table; here: agreement with
PyTorch (NCHW <-> NHWC), the tie rule of max pooling (all of a window's gradient to its first
maximum, as in PyTorch and Keras), Keras's "same" averaging, and the layers.
"""

import math

import numpy as np
import pytest
from image_layouts import float64, to_nchw, to_nhwc, torch_same_pad

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
from tinygrad_edu.nn.conv import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
)
from tinygrad_edu.ops.pooling import MaxPoolGather, MaxPoolScatter, avg_pool2d, max_pool2d

RNG = np.random.default_rng(1)


# ----- the ops against PyTorch ------------------------------------------------------------------

POOL_CASES = [  # input shape, pool size, strides, padding
    ((2, 6, 6, 3), 2, None, "valid"),
    ((2, 7, 5, 2), 3, 2, "valid"),
    ((2, 7, 5, 2), 3, 2, "same"),
    ((1, 5, 6, 2), (2, 3), 1, "same"),
    ((1, 7, 7, 1), 2, None, "same"),
]


@pytest.mark.parametrize("shape, pool, strides, padding", POOL_CASES)
def test_max_pool2d_matches_torch(shape, pool, strides, padding):
    torch = pytest.importorskip("torch")
    x_values = RNG.permutation(np.linspace(-3, 3, int(np.prod(shape)))).reshape(shape)
    x = float64(x_values)
    y = max_pool2d(x, pool, strides, padding)
    upstream = RNG.normal(size=y.shape)
    y.backward(float64(upstream, False))
    window = (pool, pool) if isinstance(pool, int) else pool
    steps = window if strides is None else (strides, strides)
    xt = torch.tensor(to_nchw(x_values), requires_grad=True)
    padded = torch_same_pad(torch, xt, window, steps, -math.inf) if padding == "same" else xt
    yt = torch.nn.functional.max_pool2d(padded, window, steps)
    yt.backward(torch.tensor(to_nchw(upstream)))
    np.testing.assert_allclose(y.numpy(), to_nhwc(yt.detach().numpy()))
    np.testing.assert_allclose(x.grad.numpy(), to_nhwc(xt.grad.numpy()), atol=1e-12)


TIE_CASES = [  # input shape, pool size, strides, padding
    ((2, 6, 6, 3), 2, None, "valid"),
    ((2, 7, 5, 2), 3, 2, "valid"),
    ((2, 7, 5, 2), 3, 2, "same"),
    ((1, 6, 7, 2), (2, 3), 1, "same"),
    ((3, 4, 4, 1), 4, None, "valid"),
]


@pytest.mark.parametrize("shape, pool, strides, padding", TIE_CASES)
def test_max_pool2d_ties_go_to_the_first_maximum_like_torch(shape, pool, strides, padding):
    """Pixels from {0, 1, 2}: most windows hold their maximum more than once. All of the
    window's gradient goes to the first maximum in row-major order, as in PyTorch."""
    torch = pytest.importorskip("torch")
    x_values = RNG.integers(0, 3, size=shape).astype(np.float32)
    x = tg.Tensor(x_values, requires_grad=True)
    y = max_pool2d(x, pool, strides, padding)
    upstream = RNG.normal(size=y.shape).astype(np.float32)
    y.backward(tg.Tensor(upstream))
    window = (pool, pool) if isinstance(pool, int) else pool
    steps = window if strides is None else (strides, strides)
    xt = torch.tensor(to_nchw(x_values), requires_grad=True)
    padded = torch_same_pad(torch, xt, window, steps, -math.inf) if padding == "same" else xt
    yt = torch.nn.functional.max_pool2d(padded, window, steps)
    yt.backward(torch.tensor(to_nchw(upstream)))
    np.testing.assert_array_equal(y.numpy(), to_nhwc(yt.detach().numpy()))
    np.testing.assert_allclose(x.grad.numpy(), to_nhwc(xt.grad.numpy()), rtol=1e-6, atol=1e-6)
    assert x.grad.dtype == np.float32


def test_max_pool2d_tie_gives_the_whole_gradient_to_one_pixel():
    x = tg.Tensor(np.full((1, 2, 2, 1), 7.0, dtype=np.float32), requires_grad=True)
    max_pool2d(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [1.0, 0.0, 0.0, 0.0])


def test_max_pool2d_tie_rule_matches_keras():
    keras = pytest.importorskip("keras")
    torch = pytest.importorskip("torch")
    if keras.backend.backend() != "torch":
        pytest.skip("needs KERAS_BACKEND=torch to take Keras's gradient")
    x_values = RNG.integers(0, 2, size=(2, 6, 6, 3)).astype(np.float32)
    x = tg.Tensor(x_values, requires_grad=True)
    max_pool2d(x, 3, 1, "same").sum().backward()
    xt = torch.tensor(x_values, requires_grad=True)
    keras.layers.MaxPooling2D(3, strides=1, padding="same")(xt).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("shape, pool, strides", [((2, 6, 6, 3), 2, None), ((2, 7, 5, 2), 3, 2),
                                                  ((1, 5, 6, 2), (2, 3), 1)])
def test_avg_pool2d_valid_matches_torch(shape, pool, strides):
    torch = pytest.importorskip("torch")
    x_values = RNG.normal(size=shape)
    x = float64(x_values)
    y = avg_pool2d(x, pool, strides)
    upstream = RNG.normal(size=y.shape)
    y.backward(float64(upstream, False))
    window = (pool, pool) if isinstance(pool, int) else pool
    xt = torch.tensor(to_nchw(x_values), requires_grad=True)
    yt = torch.nn.functional.avg_pool2d(xt, window, window if strides is None else strides)
    yt.backward(torch.tensor(to_nchw(upstream)))
    np.testing.assert_allclose(y.numpy(), to_nhwc(yt.detach().numpy()), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), to_nhwc(xt.grad.numpy()), atol=1e-12)


def test_avg_pool2d_same_averages_only_pixels_inside_the_image():
    x_values = RNG.normal(size=(1, 5, 5, 2))
    y = avg_pool2d(float64(x_values, False), 2, padding="same").numpy()
    assert y.shape == (1, 3, 3, 2)
    # the last row and column of windows hold 2 (or 1) real pixels, padded with one more
    np.testing.assert_allclose(y[0, 2, 2], x_values[0, 4, 4])
    np.testing.assert_allclose(y[0, 0, 2], x_values[0, 0:2, 4].mean(axis=0))
    np.testing.assert_allclose(y[0, 1, 1], x_values[0, 2:4, 2:4].mean(axis=(0, 1)))


def test_max_pool_scatter_and_gather_are_transposes():
    h_values, g_values = RNG.normal(size=(2, 7, 6, 3)), RNG.normal(size=(2, 3, 5, 3))
    index = RNG.integers(0, 6, size=g_values.shape).astype(np.uint8)
    params = {"index": index, "window": (3, 2), "strides": (2, 1)}
    picked = MaxPoolGather.apply(tg.Tensor(h_values, dtype=np.float64), **params).numpy()
    spread = MaxPoolScatter.apply(tg.Tensor(g_values, dtype=np.float64),
                                  input_shape=h_values.shape, **params).numpy()
    np.testing.assert_allclose((picked * g_values).sum(), (h_values * spread).sum(), rtol=1e-12)



# ----- errors and layers ---------------------------------------------------------------------


def test_pool_errors():
    with pytest.raises(ValueError, match=r"max_pool2d.*3x3 pooling window does not fit"):
        max_pool2d(tg.randn(1, 2, 2, 1), 3)
    with pytest.raises(ValueError, match="avg_pool2d.*pool_size"):
        avg_pool2d(tg.randn(1, 4, 4, 1), 0)


def test_pooling_layers():
    x = tg.randn(2, 7, 7, 3)
    assert MaxPooling2D()(x).shape == (2, 3, 3, 3)
    assert MaxPooling2D(padding="same")(x).shape == (2, 4, 4, 3)
    assert AveragePooling2D(3, strides=1)(x).shape == (2, 5, 5, 3)
    np.testing.assert_allclose(GlobalAveragePooling2D()(x).numpy(), x.numpy().mean(axis=(1, 2)),
                               rtol=1e-6)
    np.testing.assert_allclose(GlobalMaxPooling2D(keepdims=True)(x).numpy(),
                               x.numpy().max(axis=(1, 2), keepdims=True))
    pool = MaxPooling2D((2, 3), strides=(1, 2))
    assert pool.compute_output_shape((None, 7, 7, 3)) == (None, *pool(x).shape[1:])
    assert pool.count_params() == 0


@pytest.mark.parametrize("layer", [MaxPooling2D(2, strides=1, padding="same"),
                                   AveragePooling2D(3, strides=2, padding="same"),
                                   GlobalAveragePooling2D(), GlobalMaxPooling2D(keepdims=True)],
                         ids=lambda layer: type(layer).__name__)
def test_pooling_layers_gradcheck(layer):
    values = RNG.permutation(np.linspace(-2, 2, 2 * 4 * 5 * 2)).reshape(2, 4, 5, 2)
    x = float64(values)  # distinct values: no ties for the max
    assert gradcheck(layer, [x])
    assert gradgradcheck(layer, [x])
