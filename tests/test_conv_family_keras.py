"""The convolution-family layers against Keras 3 (torch backend): Conv2D(groups), Conv1D,
DepthwiseConv2D/1D, SeparableConv2D/1D, Conv2DTranspose, Conv1DTranspose, the 1-D pooling layers,
zero padding, cropping and upsampling.

Random weights go into the Keras layer and are copied into ours with get_weights /
set_weights (same names, shapes and order, checked); the outputs, the gradients of a random
contraction of the output (with respect to the input and every weight) and the output
shapes Keras computes must agree.
"""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":  # pragma: no cover - another backend was loaded first
    pytest.skip("these tests need KERAS_BACKEND=torch", allow_module_level=True)

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn  # noqa: E402

ATOL = 1e-5


def _twins(name, input_shape, *args, **options):
    """A Keras layer with random weights and ours with the same weights copied in."""
    keras_layer = getattr(keras.layers, name)(*args, **options)
    keras_layer.build((None, *input_shape[1:]))
    rng = np.random.default_rng(1)
    keras_layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32)
                             for w in keras_layer.get_weights()])
    ours = getattr(nn, name)(*args, **options)
    ours(tg.zeros(*input_shape))
    ours.set_weights(keras_layer.get_weights())
    assert [w.name.split(".")[-1] for w in ours.weights] == [w.name for w in keras_layer.weights]
    return keras_layer, ours


def _compare(name, input_shape, *args, **options):
    keras_layer, ours = _twins(name, input_shape, *args, **options)
    rng = np.random.default_rng(2)
    x = rng.normal(size=input_shape).astype(np.float32)

    x_t = torch.tensor(x, requires_grad=True)
    y_t = keras_layer(x_t)
    upstream = rng.normal(size=tuple(y_t.shape)).astype(np.float32)
    weights_t = [w.value for w in keras_layer.trainable_weights]
    grads_t = torch.autograd.grad((y_t * torch.tensor(upstream)).sum(), [x_t, *weights_t])

    x_ours = tg.Tensor(x, requires_grad=True)
    y = ours(x_ours)
    (y * tg.Tensor(upstream)).sum().backward()
    grads = [x_ours.grad] + [w.grad for w in ours.trainable_weights]

    assert y.shape == tuple(y_t.shape)
    np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), atol=ATOL, rtol=1e-5)
    assert len(grads) == len(grads_t)
    for grad, grad_t in zip(grads, grads_t):
        np.testing.assert_allclose(grad.numpy(), grad_t.numpy(), atol=ATOL * 5, rtol=1e-4)
    for shape in [input_shape, (None, *input_shape[1:])]:
        assert ours.compute_output_shape(shape) == tuple(keras_layer.compute_output_shape(shape))


CONV1D = [
    ((2, 11, 3), 4, 3, {}),
    ((2, 11, 3), 4, 3, {"strides": 2, "padding": "same", "activation": "relu"}),
    ((1, 12, 4), 6, 3, {"padding": "causal", "dilation_rate": 2}),
    ((2, 10, 6), 4, 2, {"groups": 2, "padding": "same", "use_bias": False}),
    ((2, 9, 6), 6, 1, {"groups": 6, "strides": 3}),
    ((2, 5, 2), 3, 5, {"padding": "same"}),
]


@pytest.mark.parametrize("shape, filters, size, options", CONV1D)
def test_conv1d_matches_keras(shape, filters, size, options):
    _compare("Conv1D", shape, filters, size, **options)


@pytest.mark.parametrize("shape, filters, size, options", [
    ((2, 7, 6, 4), 6, 3, {"groups": 2}),
    ((1, 8, 8, 6), 9, (3, 2), {"groups": 3, "strides": 2, "padding": "same"}),
    ((2, 7, 7, 4), 4, 3, {"groups": 4, "dilation_rate": 2, "activation": "relu"}),
    ((2, 5, 5, 8), 4, 1, {"groups": 2, "use_bias": False}),
])
def test_grouped_conv2d_matches_keras(shape, filters, size, options):
    _compare("Conv2D", shape, filters, size, **options)


DEPTHWISE = [
    ((2, 7, 6, 3), 3, {}),
    ((1, 8, 7, 2), (3, 2), {"depth_multiplier": 3, "strides": 2, "padding": "same"}),
    ((2, 9, 9, 4), 3, {"dilation_rate": 2, "padding": "same", "activation": "tanh"}),
    ((2, 6, 6, 2), 2, {"depth_multiplier": 2, "use_bias": False, "strides": (1, 2)}),
    ((1, 9, 9, 2), 3, {"strides": 2, "dilation_rate": 2}),  # Keras allows both here
]


@pytest.mark.parametrize("shape, size, options", DEPTHWISE)
def test_depthwise_conv2d_matches_keras(shape, size, options):
    _compare("DepthwiseConv2D", shape, size, **options)  # Keras 3 calls the weight "kernel"


SEPARABLE = [
    ((2, 7, 6, 3), 4, 3, {}),
    ((1, 8, 7, 2), 5, (3, 2), {"depth_multiplier": 2, "strides": 2, "padding": "same"}),
    ((2, 9, 9, 3), 2, 3, {"dilation_rate": 2, "activation": "relu", "use_bias": False}),
    ((1, 10, 9, 2), 3, 3, {"strides": 2, "dilation_rate": 2, "padding": "same"}),
]


@pytest.mark.parametrize("shape, filters, size, options", SEPARABLE)
def test_separable_conv2d_matches_keras(shape, filters, size, options):
    _compare("SeparableConv2D", shape, filters, size, **options)


@pytest.mark.parametrize("name, shape, args, options", [
    ("DepthwiseConv1D", (2, 9, 3), (3,), {}),
    ("DepthwiseConv1D", (1, 10, 2), (4,), {"depth_multiplier": 3, "strides": 2,
                                           "padding": "same"}),
    ("DepthwiseConv1D", (2, 11, 4), (3,), {"dilation_rate": 2, "use_bias": False}),
    ("SeparableConv1D", (2, 9, 3), (5, 3), {}),
    ("SeparableConv1D", (1, 10, 2), (4, 3), {"depth_multiplier": 2, "strides": 2,
                                             "padding": "same", "activation": "relu"}),
])
def test_depthwise_and_separable_conv1d_match_keras(name, shape, args, options):
    _compare(name, shape, *args, **options)


TRANSPOSED = [
    ((2, 4, 5, 3), 4, 3, {}),
    ((2, 4, 5, 3), 2, (3, 2), {"strides": 2, "padding": "same"}),
    ((1, 3, 3, 2), 3, 4, {"strides": (2, 3), "padding": "same", "output_padding": (1, 2)}),
    ((2, 5, 4, 2), 2, 3, {"dilation_rate": 2, "activation": "relu"}),
    ((1, 3, 3, 2), 2, (5, 4), {"strides": 3, "padding": "same"}),
    ((1, 3, 3, 2), 2, (2, 3), {"strides": 3, "output_padding": (2, 1), "use_bias": False}),
    ((2, 4, 4, 3), 2, 3, {"strides": 2, "padding": "valid", "output_padding": 1}),
]


@pytest.mark.parametrize("shape, filters, size, options", TRANSPOSED)
def test_conv2d_transpose_matches_keras(shape, filters, size, options):
    _compare("Conv2DTranspose", shape, filters, size, **options)


@pytest.mark.parametrize("shape, filters, size, options", [
    ((2, 5, 3), 4, 3, {}),
    ((2, 5, 3), 2, 4, {"strides": 2, "padding": "same"}),
    ((1, 4, 2), 3, 3, {"strides": 3, "output_padding": 2, "activation": "relu"}),
    ((2, 6, 2), 2, 3, {"dilation_rate": 2, "padding": "same", "use_bias": False}),
    ((1, 4, 2), 2, 5, {"strides": 2, "padding": "same", "output_padding": 1}),
])
def test_conv1d_transpose_matches_keras(shape, filters, size, options):
    _compare("Conv1DTranspose", shape, filters, size, **options)


@pytest.mark.parametrize("name, shape, args, options", [
    ("MaxPooling1D", (2, 9, 3), (), {}),
    ("MaxPooling1D", (2, 9, 3), (3,), {"strides": 2, "padding": "same"}),
    ("AveragePooling1D", (2, 9, 3), (2,), {}),
    ("AveragePooling1D", (2, 10, 3), (3,), {"strides": 1, "padding": "same"}),
    ("GlobalAveragePooling1D", (2, 9, 3), (), {}),
    ("GlobalMaxPooling1D", (2, 9, 3), (), {"keepdims": True}),
    ("ZeroPadding1D", (2, 5, 3), (), {}),
    ("ZeroPadding1D", (2, 5, 3), ((2, 0),), {}),
    ("Cropping1D", (2, 6, 3), (), {}),
    ("Cropping1D", (2, 6, 3), ((0, 3),), {}),
    ("UpSampling1D", (2, 4, 3), (3,), {}),
    ("ZeroPadding2D", (2, 3, 4, 2), (), {}),
    ("ZeroPadding2D", (2, 3, 4, 2), (2,), {}),
    ("ZeroPadding2D", (2, 3, 4, 2), ((1, 2),), {}),
    ("ZeroPadding2D", (2, 3, 4, 2), (((1, 0), (0, 3)),), {}),
    ("Cropping2D", (2, 5, 6, 2), (), {}),
    ("Cropping2D", (2, 5, 6, 2), (1,), {}),
    ("Cropping2D", (2, 5, 6, 2), (((2, 0), (1, 3)),), {}),
    ("UpSampling2D", (2, 3, 4, 2), (), {}),
    ("UpSampling2D", (2, 3, 4, 2), ((3, 2),), {"interpolation": "nearest"}),
    ("UpSampling2D", (2, 3, 4, 2), (), {"interpolation": "bilinear"}),
    ("UpSampling2D", (1, 5, 3, 2), ((2, 3),), {"interpolation": "bilinear"}),
    ("UpSampling2D", (1, 1, 2, 1), (4,), {"interpolation": "bilinear"}),
])
def test_layers_without_weights_match_keras(name, shape, args, options):
    _compare(name, shape, *args, **options)


def test_a_small_decoder_matches_keras_end_to_end():
    """An image path through the 2-D layers, weights copied in as one list."""
    shape = (2, 6, 6, 2)
    layers = [("Conv2D", (4, 3), {"padding": "same", "activation": "relu"}),
              ("DepthwiseConv2D", (3,), {"depth_multiplier": 2}),
              ("SeparableConv2D", (3, 3), {"padding": "same"}),
              ("Conv2DTranspose", (3, 3), {"strides": 2, "padding": "same"}),
              ("ZeroPadding2D", (1,), {}), ("Cropping2D", (((1, 0), (0, 1)),), {}),
              ("UpSampling2D", (), {"interpolation": "bilinear"})]
    keras_model = keras.Sequential([keras.Input(shape[1:])] + [
        getattr(keras.layers, name)(*args, **options) for name, args, options in layers])
    ours = nn.Sequential([getattr(nn, name)(*args, **options)
                          for name, args, options in layers])
    ours(tg.zeros(*shape))
    rng = np.random.default_rng(3)
    keras_model.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32)
                             for w in keras_model.get_weights()])
    ours.set_weights(keras_model.get_weights())
    x = rng.normal(size=shape).astype(np.float32)
    expected = keras.ops.convert_to_numpy(keras_model(x))
    np.testing.assert_allclose(ours(tg.Tensor(x)).numpy(), expected, atol=ATOL, rtol=1e-5)


def test_masked_global_average_pooling1d_matches_keras():
    """Embedding(mask_zero=True) -> GlobalAveragePooling1D averages the kept steps only."""
    tokens = np.array([[3, 1, 4, 0, 0], [5, 9, 2, 6, 5], [7, 0, 0, 0, 0]])
    keras_model = keras.Sequential([keras.Input((5,), dtype="int64"),
                                    keras.layers.Embedding(10, 3, mask_zero=True),
                                    keras.layers.GlobalAveragePooling1D()])
    ours = nn.Sequential([nn.Embedding(10, 3, mask_zero=True), nn.GlobalAveragePooling1D()])
    ours(tg.Tensor(tokens))
    ours.set_weights(keras_model.get_weights())
    expected = keras.ops.convert_to_numpy(keras_model(tokens))
    np.testing.assert_allclose(ours(tg.Tensor(tokens)).numpy(), expected, atol=ATOL)
    table = keras_model.get_weights()[0]
    np.testing.assert_allclose(expected[2], table[7], atol=ATOL)  # one kept step: itself
