"""The convolution-family layers on their own: weights, defaults, parameter counts, saving and
loading, training steps and the errors they give. Agreement with Keras is in
test_conv_family_keras.py."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional_call

RNG = np.random.default_rng(0)


def test_weight_shapes_and_parameter_counts_follow_keras():
    grouped = nn.Conv2D(6, 3, groups=3, input_shape=(8, 8, 6))
    assert grouped.kernel.shape == (3, 3, 2, 6) and grouped.get_config()["groups"] == 3
    conv1d = nn.Conv1D(8, 5, groups=2, input_shape=(20, 4))
    assert conv1d.kernel.shape == (5, 2, 8) and conv1d.bias.shape == (8,)
    depthwise = nn.DepthwiseConv2D(3, depth_multiplier=2, input_shape=(8, 8, 3))
    assert depthwise.kernel.shape == (3, 3, 3, 2) and depthwise.bias.shape == (6,)
    transposed = nn.Conv2DTranspose(4, (3, 2), use_bias=False, input_shape=(5, 5, 6))
    assert transposed.kernel.shape == (3, 2, 4, 6) and transposed.bias is None
    assert [w.size for w in depthwise.get_weights()] == [54, 6]
    for layer in (conv1d, depthwise):
        assert np.all(layer.bias.numpy() == 0)  # bias_initializer="zeros"
    for layer in (conv1d, depthwise, transposed):
        assert np.abs(layer.kernel.numpy()).min() < np.abs(layer.kernel.numpy()).max()


def test_glorot_uniform_limits_use_keras_fans():
    layer = nn.DepthwiseConv2D(3, depth_multiplier=2, input_shape=(8, 8, 64))
    fan_in, fan_out = 9 * 64, 9 * 2
    limit = np.sqrt(6 / (fan_in + fan_out))
    assert np.abs(layer.kernel.numpy()).max() <= limit
    assert np.abs(layer.kernel.numpy()).max() > 0.9 * limit


def _every_layer_model():
    return nn.Sequential([
        nn.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 2), groups=2),
        nn.DepthwiseConv2D(3, depth_multiplier=2, padding="same", depthwise_regularizer="l2"),
        nn.SeparableConv2D(5, 3, padding="same", pointwise_regularizer="l1",
                           pointwise_constraint="max_norm"),
        nn.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
        nn.ZeroPadding2D(((1, 0), (0, 1))), nn.Cropping2D(((0, 1), (1, 0))),
        nn.UpSampling2D((1, 2), interpolation="bilinear"),
        nn.Reshape((16 * 32, 3)),
        nn.Conv1D(4, 3, padding="causal", dilation_rate=2, kernel_constraint="unit_norm"),
        nn.MaxPooling1D(4),
        nn.ZeroPadding1D(2), nn.Cropping1D((1, 3)), nn.UpSampling1D(2),
        nn.Conv1DTranspose(3, 3, strides=2, padding="same", output_padding=0),
        nn.DepthwiseConv1D(3, depth_multiplier=2, padding="same"), nn.SeparableConv1D(3, 3),
        nn.AveragePooling1D(3, strides=2, padding="same"), nn.GlobalAveragePooling1D(),
    ])


def test_a_model_of_every_new_layer_saves_and_loads(tmp_path):
    model = _every_layer_model()
    x = tg.Tensor(RNG.normal(size=(2, 8, 8, 2)).astype(np.float32))
    expected = model(x).numpy()
    assert expected.shape == (2, 3)
    model.save(tmp_path / "model.npz")
    loaded = tg.load_model(tmp_path / "model.npz")
    np.testing.assert_array_equal(loaded(x).numpy(), expected)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]


def test_compute_output_shape_equals_the_forward_shapes():
    model = _every_layer_model()
    shape = (2, 8, 8, 2)
    x = tg.zeros(*shape)
    for layer in model.layers:
        shape = layer.compute_output_shape(shape)
        x = layer(x)
        assert x.shape == shape, type(layer).__name__


@pytest.mark.parametrize("make, shape, weights", [
    (lambda: nn.Conv1D(2, 3, kernel_constraint="non_neg", bias_constraint="non_neg"),
     (4, 6, 2), ("kernel", "bias")),
    (lambda: nn.DepthwiseConv2D(2, depthwise_constraint="non_neg", bias_constraint="non_neg"),
     (4, 4, 4, 2), ("kernel", "bias")),
    (lambda: nn.SeparableConv2D(2, 2, depthwise_constraint="non_neg",
                                pointwise_constraint="non_neg", bias_constraint="non_neg"),
     (4, 4, 4, 2), ("depthwise_kernel", "pointwise_kernel", "bias")),
    (lambda: nn.Conv2DTranspose(2, 2, kernel_constraint="non_neg", bias_constraint="non_neg"),
     (4, 3, 3, 2), ("kernel", "bias")),
])
def test_constraints_hold_after_each_optimizer_step(make, shape, weights):
    layer = make()
    x = tg.Tensor(RNG.normal(size=shape).astype(np.float32) * 10)
    layer(x)
    optimizer = tg.optim.SGD(layer.parameters(), learning_rate=0.5)
    optimizer.zero_grad()
    ((layer(x) + 20.0) ** 2).mean().backward()  # pushes every weight down
    optimizer.step()
    for name in weights:
        assert np.all(getattr(layer, name).numpy() >= 0), name
    config = layer.get_config()
    assert all(config[key] is not None for key in config if key.endswith("_constraint"))


def test_training_lowers_the_loss():
    model = nn.Sequential([nn.Conv1D(4, 3, activation="tanh", input_shape=(12, 2)),
                           nn.GlobalMaxPooling1D(), nn.Dense(1)])
    x = RNG.normal(size=(32, 12, 2)).astype(np.float32)
    y = (x[:, :, 0].max(axis=1, keepdims=True) > 1.0).astype(np.float32)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.Conv1D(2, 3, strides=2, padding="same"), (1, 6, 2)),
    (lambda: nn.DepthwiseConv2D(2, depth_multiplier=2), (1, 4, 3, 2)),
    (lambda: nn.Conv2DTranspose(2, 3, strides=2, padding="same"), (1, 3, 2, 2)),
])
def test_layer_gradients_with_respect_to_every_weight(make, shape):
    layer = make()
    layer(tg.zeros(*shape))
    names = [name for name, _ in layer.named_parameters()]
    x = tg.Tensor(RNG.normal(size=shape), dtype=np.float64)

    def run(*weights):
        return functional_call(layer, dict(zip(names, weights)), x)

    weights = [tg.Tensor(p.numpy() + 0.1, requires_grad=True, dtype=np.float64)
               for _, p in layer.named_parameters()]
    assert gradcheck(run, weights)


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv1D(4, 3)(tg.ones(2, 10)), r"conv1d \(Conv1D\): expects 3-D input .*"
                                               r"channel axis: x.reshape\(\*x.shape, 1\)"),
    (lambda: nn.Conv1D(4, 3, input_shape=(10, 3))(tg.ones(2, 10, 4)),
     r"built for inputs of shape \(None, 10, 3\) but got shape \(2, 10, 4\)"),
    (lambda: nn.Conv1D(4, 5)(tg.ones(1, 3, 2)),
     r"conv1d \(in conv1d\): the kernel of 5 steps does not fit in the 3 steps"),
    (lambda: nn.MaxPooling1D(5)(tg.ones(1, 3, 2)), r"max_pooling1d\): the pooling window of 5"),
    (lambda: nn.Conv1D(3, 3, groups=2), r"Conv1D: groups=2 must divide filters=3"),
    (lambda: nn.Conv2D(6, 3, groups=4), r"Conv2D: groups=4 must divide filters=6"),
    (lambda: nn.Conv2D(6, 3, groups=2)(tg.ones(1, 5, 5, 3)),
     r"conv2d \(Conv2D\): groups=2 must divide both the 3 input channels"),
    (lambda: nn.Conv1D(4, 3, groups=4)(tg.ones(1, 6, 6)), r"groups=4 must divide both the 6"),
    (lambda: nn.DepthwiseConv2D(3)(tg.ones(2, 8, 8)), r"depthwise_conv2d \(DepthwiseConv2D\): "
                                                      r"expects 4-D input.*channel axis"),
    (lambda: nn.Conv2D(2, 3, strides=2, dilation_rate=2), r"cannot be combined"),
    (lambda: nn.Conv2DTranspose(2, 3, input_shape=(8, 8, 3))(tg.ones(2, 3, 8, 8)),
     r"channels-first.*x.transpose\(0, 2, 3, 1\)"),
    (lambda: nn.Conv2DTranspose(2, 3, strides=(2, 1), output_padding=(1, 1)),
     r"Conv2DTranspose: output_padding .* smaller than the strides \(2, 1\)"),
    (lambda: nn.UpSampling2D(0), r"UpSampling2D: size must be a positive int"),
    (lambda: nn.UpSampling2D(interpolation="area"), r"'nearest' or 'bilinear', got 'area'"),
    (lambda: nn.ZeroPadding2D((1, 2, 3)), r"ZeroPadding2D: padding must be an int, a pair"),
    (lambda: nn.Cropping1D(3)(tg.ones(1, 5, 2)), r"cropping1d \(Cropping1D\): cropping \(3, 3\) "
                                                 r"leaves nothing of the 5 steps"),
    (lambda: nn.UpSampling1D(2)(tg.ones(1, 4, 4, 1)), r"For images use the 2-D layer "
                                                      r"\(UpSampling2D\)"),
    (lambda: nn.GlobalMaxPooling1D(data_format="channels_first"), r"channels_last"),
])
def test_errors_name_the_layer_the_shape_and_the_fix(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_masked_global_average_pooling1d_gradient_skips_the_padding():
    layer = nn.GlobalAveragePooling1D()
    mask = np.array([[True, True, False], [True, False, False]])
    x = tg.Tensor(RNG.normal(size=(2, 3, 2)), requires_grad=True, dtype=np.float64)
    assert gradcheck(lambda t: layer(t, mask=mask), [x])
    layer(x, mask=mask).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[:, :, 0], [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
