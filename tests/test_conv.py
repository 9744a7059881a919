"""Convolution: the op (tinygrad_edu.ops.conv) and the layers (tinygrad_edu.nn.conv).

Finite-difference checks of the ops (first and second order) are rows of the op-case
table; here: agreement with PyTorch (NCHW <-> NHWC; first and second derivatives), Keras's
"same" padding rule, the layers' shapes, weights, gradients and configs, and the error
messages. Pooling has its own file, tests/test_pooling.py.
"""

import math

import numpy as np
import pytest
from image_layouts import float64, to_nchw, to_nhwc, torch_same_pad

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
from tinygrad_edu.nn import Sequential, functional_call
from tinygrad_edu.nn.conv import (
    AveragePooling2D,
    Conv2D,
    GlobalAveragePooling2D,
    MaxPooling2D,
)
from tinygrad_edu.ops.conv import avg_pool2d, conv2d, conv_output_size, max_pool2d, same_padding
from tinygrad_edu.ops.windows import Col2Im, Im2Col

RNG = np.random.default_rng(0)


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
    x, k, b = float64(x_values), float64(k_values), float64(b_values)
    y = conv2d(x, k, b, strides=strides, padding=padding)
    upstream = RNG.normal(size=y.shape)
    y.backward(float64(upstream, False))

    pair = (strides, strides) if isinstance(strides, int) else strides
    xt = torch.tensor(to_nchw(x_values), requires_grad=True)
    kt = torch.tensor(k_values.transpose(3, 2, 0, 1), requires_grad=True)
    bt = torch.tensor(b_values, requires_grad=True)
    padded = torch_same_pad(torch, xt, window, pair) if padding == "same" else xt
    yt = torch.nn.functional.conv2d(padded, kt, bt, stride=pair)
    yt.backward(torch.tensor(to_nchw(upstream)))

    np.testing.assert_allclose(y.numpy(), to_nhwc(yt.detach().numpy()), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), to_nhwc(xt.grad.numpy()), atol=1e-12)
    np.testing.assert_allclose(k.grad.numpy(), kt.grad.numpy().transpose(2, 3, 1, 0),
                               atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), atol=1e-12)


def test_dilated_conv2d_matches_torch():
    torch = pytest.importorskip("torch")
    x_values, k_values = RNG.normal(size=(2, 9, 9, 2)), RNG.normal(size=(3, 3, 2, 3))
    x, k = float64(x_values), float64(k_values)
    y = conv2d(x, k, dilation_rate=2)
    y.sum().backward()
    xt = torch.tensor(to_nchw(x_values), requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, torch.tensor(k_values.transpose(3, 2, 0, 1)),
                                    dilation=2)
    yt.sum().backward()
    np.testing.assert_allclose(y.numpy(), to_nhwc(yt.detach().numpy()), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), to_nhwc(xt.grad.numpy()), atol=1e-12)


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


@pytest.mark.parametrize("shape, window, filters, dilation, padding", [
    ((2, 9, 9, 2), (3, 3), 3, 2, "same"),
    ((2, 10, 9, 1), (3, 2), 4, (2, 3), "valid"),
    ((1, 8, 8, 3), (2, 2), 2, 3, "same"),
])
def test_dilated_conv2d_with_padding_matches_torch(shape, window, filters, dilation, padding):
    torch = pytest.importorskip("torch")
    x_values = RNG.normal(size=shape)
    k_values = RNG.normal(size=(*window, shape[3], filters))
    x, k = float64(x_values), float64(k_values)
    y = conv2d(x, k, padding=padding, dilation_rate=dilation)
    upstream = RNG.normal(size=y.shape)
    y.backward(float64(upstream, False))
    pair = (dilation, dilation) if isinstance(dilation, int) else dilation
    xt = torch.tensor(to_nchw(x_values), requires_grad=True)
    kt = torch.tensor(k_values.transpose(3, 2, 0, 1), requires_grad=True)
    if padding == "same":
        top, bottom = same_padding(shape[1], window[0], 1, pair[0])
        left, right = same_padding(shape[2], window[1], 1, pair[1])
        padded = torch.nn.functional.pad(xt, (left, right, top, bottom))
    else:
        padded = xt
    yt = torch.nn.functional.conv2d(padded, kt, dilation=pair)
    yt.backward(torch.tensor(to_nchw(upstream)))
    np.testing.assert_allclose(y.numpy(), to_nhwc(yt.detach().numpy()), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), to_nhwc(xt.grad.numpy()), atol=1e-12)
    np.testing.assert_allclose(k.grad.numpy(), kt.grad.numpy().transpose(2, 3, 1, 0),
                               atol=1e-12)


@pytest.mark.parametrize("in_channels", [1, 3])
def test_conv2d_second_derivatives_match_torch(in_channels):
    """Double backward: the gradient of ||dL/dx||^2 + ||dL/dk||^2 with respect to x and k."""
    torch = pytest.importorskip("torch")
    x_values = RNG.normal(size=(2, 7, 6, in_channels))
    k_values = RNG.normal(size=(3, 2, in_channels, 4))
    b_values = RNG.normal(size=4)
    x, k, b = float64(x_values), float64(k_values), float64(b_values)
    y = conv2d(x, k, b, strides=(2, 1), padding="same").tanh()
    dx, dk = tg.grad((y * y).sum(), [x, k], create_graph=True)
    ((dx * dx).sum() + (dk * dk).sum()).backward()

    xt = torch.tensor(to_nchw(x_values), requires_grad=True)
    kt = torch.tensor(k_values.transpose(3, 2, 0, 1), requires_grad=True)
    bt = torch.tensor(b_values, requires_grad=True)
    yt = torch.tanh(torch.nn.functional.conv2d(torch_same_pad(torch, xt, (3, 2), (2, 1)), kt,
                                               bt, stride=(2, 1)))
    dxt, dkt = torch.autograd.grad((yt * yt).sum(), [xt, kt], create_graph=True)
    ((dxt * dxt).sum() + (dkt * dkt).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), to_nhwc(xt.grad.numpy()), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(k.grad.numpy(), kt.grad.numpy().transpose(2, 3, 1, 0),
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_small_cnn_step_matches_torch():
    """Conv -> relu -> pool -> conv -> relu -> pool -> dense: every gradient, as in PyTorch."""
    torch = pytest.importorskip("torch")
    model = Sequential([Conv2D(4, 3, activation="relu", input_shape=(12, 12, 1)),
                        MaxPooling2D(), Conv2D(6, 3, activation="relu"), MaxPooling2D(),
                        tg.nn.Flatten(), tg.nn.Dense(3)])
    x_values = RNG.random((5, 12, 12, 1)).astype(np.float32)
    labels = RNG.integers(0, 3, size=5)
    loss = tg.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, model(x_values))
    loss.backward()
    conv1, _, conv2, _, _, dense = model.layers
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2))
    with torch.no_grad():
        for ours, theirs in ((conv1, twin[0]), (conv2, twin[3])):
            theirs.weight.copy_(torch.tensor(ours.kernel.numpy().transpose(3, 2, 0, 1)))
            theirs.bias.copy_(torch.tensor(ours.bias.numpy()))
    kernel_t = torch.tensor(dense.kernel.numpy(), requires_grad=True)
    bias_t = torch.tensor(dense.bias.numpy(), requires_grad=True)
    features = twin(torch.tensor(to_nchw(x_values))).permute(0, 2, 3, 1).reshape(5, -1)
    torch.nn.functional.cross_entropy(features @ kernel_t + bias_t,
                                      torch.tensor(labels)).backward()
    np.testing.assert_allclose(loss.numpy(), torch.nn.functional.cross_entropy(
        features @ kernel_t + bias_t, torch.tensor(labels)).item(), rtol=1e-5)
    np.testing.assert_allclose(dense.kernel.grad.numpy(), kernel_t.grad.numpy(), atol=1e-6)
    for ours, theirs in ((conv1, twin[0]), (conv2, twin[3])):
        np.testing.assert_allclose(ours.kernel.grad.numpy(),
                                   theirs.weight.grad.numpy().transpose(2, 3, 1, 0), atol=1e-5)
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), atol=1e-5)


@pytest.mark.parametrize("in_channels", [1, 3])
def test_conv_and_pooling_take_strided_inputs(in_channels):
    """Views (a transpose, a flip) give what their contiguous copies give, gradients too."""
    base = RNG.normal(size=(2, 7, 6, in_channels))
    kernel = float64(RNG.normal(size=(3, 2, in_channels, 3)), False)

    def loss(t):  # conv and pooling both read t itself (valid padding: no padded copy)
        y, z = conv2d(t, kernel, strides=(1, 2)), max_pool2d(t, 2, 1)
        return (y * np.cos(np.arange(y.data.size)).reshape(y.shape)).sum() + (z * z).sum()

    for make_view in (lambda a: a.transpose(0, 2, 1, 3), lambda a: a[:, ::-1, ::2]):
        x = float64(base)
        view = make_view(x)  # a strided view of x's data, no copy
        assert not view.data.flags["C_CONTIGUOUS"]
        value = loss(view)
        value.backward()
        copy = float64(np.ascontiguousarray(make_view(base)))
        value_of_copy = loss(copy)
        value_of_copy.backward()
        expected_grad = np.zeros_like(base)
        make_view(expected_grad)[...] = copy.grad.numpy()
        np.testing.assert_allclose(value.numpy(), value_of_copy.numpy(), rtol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), expected_grad, atol=1e-12)


@pytest.mark.parametrize("in_channels", [1, 3])
def test_conv_and_pooling_keep_float32(in_channels):
    x = tg.randn(2, 6, 6, in_channels, requires_grad=True)
    k = tg.randn(3, 3, in_channels, 4, requires_grad=True)
    b = tg.randn(4, requires_grad=True)
    y = conv2d(x, k, b, padding="same")
    pooled = max_pool2d(y, 3, strides=2, padding="same") + avg_pool2d(y, 3, 2, "same")
    pooled.sum().backward()
    assert y.dtype == pooled.dtype == np.float32
    assert x.grad.dtype == k.grad.dtype == b.grad.dtype == np.float32


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
    xt = torch.tensor(to_nchw(x_values), requires_grad=True)
    out = twin(xt)
    out.sum().backward()
    np.testing.assert_allclose(layer(x).numpy(), to_nhwc(out.detach().numpy()), atol=1e-5)
    np.testing.assert_allclose(layer.kernel.grad.numpy(),
                               twin.weight.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-4)
    np.testing.assert_allclose(x.grad.numpy(), to_nhwc(xt.grad.numpy()), atol=1e-5)


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
