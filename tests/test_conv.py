"""Convolution and pooling: the ops (tinygrad_edu.ops.conv) and the layers (tinygrad_edu.nn.conv).

Finite-difference checks of the ops (first and second order) are rows of the op-case
table; here: agreement with PyTorch (NCHW <-> NHWC), Keras's "same" padding rule, the
layers' shapes, weights, gradients and configs, and the error messages.
"""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
from tinygrad_edu.nn import Sequential, functional_call
from tinygrad_edu.nn.conv import (
    AveragePooling2D,
    Conv2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
)
from tinygrad_edu.ops.conv import (
    Col2Im,
    Im2Col,
    avg_pool2d,
    conv2d,
    conv_output_size,
    max_pool2d,
    same_padding,
)

RNG = np.random.default_rng(0)


def _float64(values, requires_grad=True):
    return tg.Tensor(values, requires_grad=requires_grad, dtype=np.float64)


def _to_nchw(a):
    return a.transpose(0, 3, 1, 2)


def _to_nhwc(a):
    return a.transpose(0, 2, 3, 1)


def _torch_same_pad(torch, xt, window, strides, value=0.0):
    """Pad an NCHW tensor with Keras's "same" rule (the odd pixel at the bottom/right)."""
    top, bottom = same_padding(xt.shape[2], window[0], strides[0])
    left, right = same_padding(xt.shape[3], window[1], strides[1])
    return torch.nn.functional.pad(xt, (left, right, top, bottom), value=value)


# ----- the op against PyTorch -------------------------------------------------------------------

CONV_CASES = [  # input shape, kernel (kh, kw), filters, strides, padding
    ((2, 7, 8, 3), (3, 3), 4, 1, "valid"),
    ((2, 7, 8, 3), (3, 2), 4, 2, "same"),
    ((1, 9, 8, 2), (4, 4), 5, 3, "same"),
    ((2, 9, 8, 3), (5, 3), 2, (2, 1), "valid"),
    ((3, 6, 6, 1), (2, 2), 3, 1, "same"),
]


@pytest.mark.parametrize("shape, window, filters, strides, padding", CONV_CASES)
def test_conv2d_matches_torch(shape, window, filters, strides, padding):
    torch = pytest.importorskip("torch")
    x_values = RNG.normal(size=shape)
    k_values = RNG.normal(size=(*window, shape[3], filters))
    b_values = RNG.normal(size=filters)
    x, k, b = _float64(x_values), _float64(k_values), _float64(b_values)
    y = conv2d(x, k, b, strides=strides, padding=padding)
    upstream = RNG.normal(size=y.shape)
    y.backward(_float64(upstream, False))

    pair = (strides, strides) if isinstance(strides, int) else strides
    xt = torch.tensor(_to_nchw(x_values), requires_grad=True)
    kt = torch.tensor(k_values.transpose(3, 2, 0, 1), requires_grad=True)
    bt = torch.tensor(b_values, requires_grad=True)
    padded = _torch_same_pad(torch, xt, window, pair) if padding == "same" else xt
    yt = torch.nn.functional.conv2d(padded, kt, bt, stride=pair)
    yt.backward(torch.tensor(_to_nchw(upstream)))

    np.testing.assert_allclose(y.numpy(), _to_nhwc(yt.detach().numpy()), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), _to_nhwc(xt.grad.numpy()), atol=1e-12)
    np.testing.assert_allclose(k.grad.numpy(), kt.grad.numpy().transpose(2, 3, 1, 0),
                               atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), atol=1e-12)


def test_dilated_conv2d_matches_torch():
    torch = pytest.importorskip("torch")
    x_values, k_values = RNG.normal(size=(2, 9, 9, 2)), RNG.normal(size=(3, 3, 2, 3))
    x, k = _float64(x_values), _float64(k_values)
    y = conv2d(x, k, dilation_rate=2)
    y.sum().backward()
    xt = torch.tensor(_to_nchw(x_values), requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, torch.tensor(k_values.transpose(3, 2, 0, 1)),
                                    dilation=2)
    yt.sum().backward()
    np.testing.assert_allclose(y.numpy(), _to_nhwc(yt.detach().numpy()), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), _to_nhwc(xt.grad.numpy()), atol=1e-12)


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
    x = _float64(x_values)
    y = max_pool2d(x, pool, strides, padding)
    upstream = RNG.normal(size=y.shape)
    y.backward(_float64(upstream, False))
    window = (pool, pool) if isinstance(pool, int) else pool
    steps = window if strides is None else (strides, strides)
    xt = torch.tensor(_to_nchw(x_values), requires_grad=True)
    padded = _torch_same_pad(torch, xt, window, steps, -math.inf) if padding == "same" else xt
    yt = torch.nn.functional.max_pool2d(padded, window, steps)
    yt.backward(torch.tensor(_to_nchw(upstream)))
    np.testing.assert_allclose(y.numpy(), _to_nhwc(yt.detach().numpy()))
    np.testing.assert_allclose(x.grad.numpy(), _to_nhwc(xt.grad.numpy()), atol=1e-12)


@pytest.mark.parametrize("shape, pool, strides", [((2, 6, 6, 3), 2, None), ((2, 7, 5, 2), 3, 2),
                                                  ((1, 5, 6, 2), (2, 3), 1)])
def test_avg_pool2d_valid_matches_torch(shape, pool, strides):
    torch = pytest.importorskip("torch")
    x_values = RNG.normal(size=shape)
    x = _float64(x_values)
    y = avg_pool2d(x, pool, strides)
    upstream = RNG.normal(size=y.shape)
    y.backward(_float64(upstream, False))
    window = (pool, pool) if isinstance(pool, int) else pool
    xt = torch.tensor(_to_nchw(x_values), requires_grad=True)
    yt = torch.nn.functional.avg_pool2d(xt, window, window if strides is None else strides)
    yt.backward(torch.tensor(_to_nchw(upstream)))
    np.testing.assert_allclose(y.numpy(), _to_nhwc(yt.detach().numpy()), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), _to_nhwc(xt.grad.numpy()), atol=1e-12)


def test_avg_pool2d_same_averages_only_pixels_inside_the_image():
    x_values = RNG.normal(size=(1, 5, 5, 2))
    y = avg_pool2d(_float64(x_values, False), 2, padding="same").numpy()
    assert y.shape == (1, 3, 3, 2)
    # the last row and column of windows hold 2 (or 1) real pixels, padded with one more
    np.testing.assert_allclose(y[0, 2, 2], x_values[0, 4, 4])
    np.testing.assert_allclose(y[0, 0, 2], x_values[0, 0:2, 4].mean(axis=0))
    np.testing.assert_allclose(y[0, 1, 1], x_values[0, 2:4, 2:4].mean(axis=(0, 1)))


# ----- Keras's arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize("size, window, stride", [(28, 3, 1), (28, 3, 2), (7, 2, 2), (5, 4, 3),
                                                  (6, 1, 1), (10, 5, 4)])
def test_same_padding_rule(size, window, stride):
    before, after = same_padding(size, window, stride)
    assert after - before in (0, 1)  # the odd pixel goes after, as in TensorFlow
    out = conv_output_size(size, window, stride, "same")
    assert out == math.ceil(size / stride)
    assert (size + before + after - window) // stride + 1 == out


def test_im2col_and_col2im_are_transposes():
    x = RNG.normal(size=(2, 5, 6, 3))
    cols = RNG.normal(size=(2, 2, 2, 3, 2, 3))
    params = {"strides": (2, 3), "dilation": (1, 1)}
    forward = Im2Col.apply(tg.Tensor(x, dtype=np.float64), window=(3, 2), **params).numpy()
    back = Col2Im.apply(tg.Tensor(cols, dtype=np.float64), input_shape=x.shape,
                        **params).numpy()
    # <Im2Col(x), cols> == <x, Col2Im(cols)>
    np.testing.assert_allclose((forward * cols).sum(), (x * back).sum(), rtol=1e-12)


def test_conv2d_keeps_float32():
    x = tg.randn(2, 5, 5, 3, requires_grad=True)
    k = tg.randn(3, 3, 3, 4, requires_grad=True)
    y = conv2d(x, k, padding="same")
    y.sum().backward()
    assert y.dtype == x.grad.dtype == k.grad.dtype == np.float32


# ----- errors -------------------------------------------------------------------------------------


def test_conv2d_errors_name_the_op_shapes_and_fix():
    kernel = tg.randn(3, 3, 1, 4)
    with pytest.raises(ValueError, match=r"channels-first \(NCHW\).*transpose\(0, 2, 3, 1\)"):
        conv2d(tg.randn(2, 1, 28, 28), kernel)
    with pytest.raises(ValueError, match=r"input has 3 channels.*expects 1"):
        conv2d(tg.randn(2, 8, 8, 3), kernel)
    with pytest.raises(ValueError, match=r"4-D.*\(28, 28, 1\).*reshape\(1, 28, 28, 1\)"):
        conv2d(tg.randn(28, 28, 1), kernel)
    with pytest.raises(ValueError, match=r"3x3 kernel does not fit in the 2x2 input.*'same'"):
        conv2d(tg.randn(1, 2, 2, 1), kernel)
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        conv2d(tg.randn(1, 5, 5, 1), kernel, padding="full")
    with pytest.raises(ValueError, match="strides"):
        conv2d(tg.randn(1, 5, 5, 1), kernel, strides=0)
    with pytest.raises(ValueError, match="kernel must have shape"):
        conv2d(tg.randn(1, 5, 5, 1), tg.randn(3, 3, 4))
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        conv2d(tg.randn(1, 5, 5, 1), kernel, tg.randn(3))
    with pytest.raises(TypeError, match="1/255"):
        conv2d(tg.Tensor(np.zeros((1, 5, 5, 1), dtype=np.uint8)), kernel)


def test_pool_errors():
    with pytest.raises(ValueError, match=r"max_pool2d.*3x3 pooling window does not fit"):
        max_pool2d(tg.randn(1, 2, 2, 1), 3)
    with pytest.raises(ValueError, match="avg_pool2d.*pool_size"):
        avg_pool2d(tg.randn(1, 4, 4, 1), 0)


# ----- layers ----------------------------------------------------------------------------------


def test_conv2d_layer_weights_and_output_shapes():
    layer = Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1))
    assert layer.kernel.shape == (3, 3, 1, 32) and layer.bias.shape == (32,)
    assert layer.count_params() == 320
    assert layer(tg.randn(2, 28, 28, 1)).shape == (2, 26, 26, 32)
    assert layer.output_shape == (None, 26, 26, 32)
    for padding in ("valid", "same"):
        for strides in (1, 2, (2, 3)):
            conv = Conv2D(4, (3, 2), strides=strides, padding=padding)
            out = conv(tg.randn(1, 11, 10, 2))
            assert conv.compute_output_shape((None, 11, 10, 2)) == (None, *out.shape[1:])


def test_conv2d_layer_default_initializers_follow_keras_fans():
    layer = Conv2D(64, 5, input_shape=(32, 32, 16))
    fan_in, fan_out = 5 * 5 * 16, 5 * 5 * 64
    limit = math.sqrt(6 / (fan_in + fan_out))  # glorot_uniform
    kernel = layer.kernel.numpy()
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit
    np.testing.assert_array_equal(layer.bias.numpy(), 0)


def test_conv2d_layer_gradcheck_inputs_and_weights():
    layer = Conv2D(2, 2, strides=2, padding="same", activation="tanh", input_shape=(3, 3, 2))
    x = tg.randn(2, 3, 3, 2, requires_grad=True)
    kernel, bias = layer.kernel.detach(), layer.bias.detach()

    def fn(x, k, b):
        return functional_call(layer, {"kernel": k, "bias": b}, x)

    inputs = [x, kernel.requires_grad_(), bias.requires_grad_()]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_conv2d_layer_matches_torch_module():
    torch = pytest.importorskip("torch")
    layer = Conv2D(3, 3, strides=2, padding="valid", input_shape=(9, 9, 2))
    x_values = RNG.normal(size=(4, 9, 9, 2)).astype(np.float32)
    x = tg.Tensor(x_values, requires_grad=True)
    layer(x).sum().backward()
    twin = torch.nn.Conv2d(2, 3, 3, stride=2)
    with torch.no_grad():
        twin.weight.copy_(torch.tensor(layer.kernel.numpy().transpose(3, 2, 0, 1)))
        twin.bias.copy_(torch.tensor(layer.bias.numpy()))
    xt = torch.tensor(_to_nchw(x_values), requires_grad=True)
    out = twin(xt)
    out.sum().backward()
    np.testing.assert_allclose(layer(x).numpy(), _to_nhwc(out.detach().numpy()), atol=1e-5)
    np.testing.assert_allclose(layer.kernel.grad.numpy(),
                               twin.weight.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-4)
    np.testing.assert_allclose(x.grad.numpy(), _to_nhwc(xt.grad.numpy()), atol=1e-5)


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
    x = _float64(values)  # distinct values: no ties for the max
    assert gradcheck(layer, [x])
    assert gradgradcheck(layer, [x])


def test_small_cnn_builds_and_summarizes():
    model = Sequential([
        Conv2D(8, 3, activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D(),
        Conv2D(16, 3, padding="same", activation="relu"),
        GlobalAveragePooling2D(),
    ])
    assert model(tg.randn(2, 28, 28, 1)).shape == (2, 16)
    assert model.count_params() == (3 * 3 * 1 * 8 + 8) + (3 * 3 * 8 * 16 + 16)
    assert [layer.output_shape for layer in model.layers] == [
        (None, 26, 26, 8), (None, 13, 13, 8), (None, 13, 13, 16), (None, 16)]


def test_layer_configs_round_trip():
    for layer in (Conv2D(4, (3, 2), strides=2, padding="same", activation="elu",
                         kernel_initializer="he_normal", kernel_regularizer="l2"),
                  MaxPooling2D(3, strides=2, padding="same"), AveragePooling2D((2, 1)),
                  GlobalAveragePooling2D(keepdims=True)):
        config = layer.get_config()
        config.pop("name")
        twin = type(layer).from_config(config)
        assert {k: v for k, v in twin.get_config().items() if k != "name"} == config


def test_layer_errors():
    with pytest.raises(ValueError, match=r"conv2d\w* \(Conv2D\).*looks channels-first"):
        Conv2D(4, 3)(tg.randn(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"\(Conv2D\): expects 4-D input.*channel axis"):
        Conv2D(4, 3)(tg.randn(2, 28, 28))
    with pytest.raises(ValueError, match=r"\(Conv2D\): a window of 5 does not fit"):
        Conv2D(4, 5, input_shape=(3, 3, 1)).compute_output_shape((None, 3, 3, 1))
    layer = Conv2D(4, 3)
    layer(tg.randn(1, 8, 8, 3))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(None, 8, 8, 3\)"):
        layer(tg.randn(1, 8, 8, 1))
    with pytest.raises(ValueError, match="filters must be a positive integer"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match="channels_last"):
        Conv2D(4, 3, data_format="channels_first")
    with pytest.raises(ValueError, match="padding"):
        MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="pool_size"):
        AveragePooling2D(pool_size=(2, 2, 2))
