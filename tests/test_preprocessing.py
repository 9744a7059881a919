"""Preprocessing layers against Keras 3: Rescaling, Normalization (adapt, invert, given
statistics, saved weights), Resizing and CenterCrop."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn

RNG = np.random.default_rng(0)
IMAGES = (RNG.random((4, 7, 9, 3)) * 255).astype(np.float32)
FEATURES = RNG.normal(5.0, 3.0, size=(50, 4)).astype(np.float32) * [1, 10, 100, 0.1]


def keras_layers():
    keras = pytest.importorskip("keras")
    return keras.layers, keras.ops.convert_to_numpy


def ours(layer, x):
    return layer(tg.Tensor(x)).numpy()


def test_rescaling_equals_keras_with_scalar_and_per_channel_arguments():
    layers, to_numpy = keras_layers()
    for scale, offset in [(1 / 255, 0.0), (1 / 127.5, -1.0), ([0.5, 1.0, 2.0], [0.0, 1.0, -1.0])]:
        expected = to_numpy(layers.Rescaling(scale, offset)(IMAGES))
        np.testing.assert_allclose(ours(nn.Rescaling(scale, offset), IMAGES), expected,
                                   rtol=1e-6)
    uint8 = IMAGES.astype(np.uint8)
    out = ours(nn.Rescaling(1 / 255), uint8)
    assert out.dtype == np.float32 and out.max() <= 1.0


@pytest.mark.parametrize("axis", [-1, None, (1, 2), (-1, -2)], ids=str)
def test_normalization_adapt_equals_keras(axis):
    layers, to_numpy = keras_layers()
    keras_layer, layer = layers.Normalization(axis=axis), nn.Normalization(axis=axis)
    keras_layer.adapt(IMAGES)
    layer.adapt(IMAGES)
    (mean, variance, count), keras_weights = layer.get_weights(), keras_layer.get_weights()
    assert len(keras_weights) == 3  # mean, variance, count
    for ours_weight, keras_weight in zip((mean, variance), keras_weights):
        np.testing.assert_allclose(ours_weight, keras_weight, rtol=1e-5)
    assert count == IMAGES.size // mean.size
    np.testing.assert_allclose(ours(layer, IMAGES), to_numpy(keras_layer(IMAGES)), rtol=1e-5,
                               atol=1e-5)


def test_adapt_merges_batches_exactly_and_uses_the_population_variance():
    layers, to_numpy = keras_layers()
    batches = [FEATURES[:7], FEATURES[7:30], FEATURES[30:]]
    layer = nn.Normalization()
    layer.adapt(batches)
    np.testing.assert_allclose(layer.mean.numpy(), FEATURES.astype(np.float64).mean(0),
                               rtol=1e-6)
    np.testing.assert_allclose(layer.variance.numpy(), FEATURES.astype(np.float64).var(0),
                               rtol=1e-5)  # ddof=0
    keras_layer = layers.Normalization()
    keras_layer.adapt(FEATURES)  # (Keras's own batch merging needs TensorFlow installed)
    np.testing.assert_allclose(ours(layer, FEATURES), to_numpy(keras_layer(FEATURES)),
                               rtol=1e-5, atol=1e-5)
    standardized = ours(layer, FEATURES)
    np.testing.assert_allclose(standardized.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(standardized.std(0), 1.0, rtol=1e-5)


def test_given_statistics_invert_and_zero_variance_equal_keras():
    layers, to_numpy = keras_layers()
    mean, variance = [1.0, 2.0, 3.0, 0.0], [4.0, 0.25, 0.0, 1.0]
    for invert in [False, True]:
        expected = to_numpy(layers.Normalization(mean=mean, variance=variance,
                                                 invert=invert)(FEATURES))
        got = ours(nn.Normalization(mean=mean, variance=variance, invert=invert), FEATURES)
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    scalar = to_numpy(layers.Normalization(axis=None, mean=2.0, variance=9.0)(FEATURES))
    np.testing.assert_allclose(ours(nn.Normalization(axis=None, mean=2.0, variance=9.0),
                                    FEATURES), scalar, rtol=1e-6)
    assert nn.Normalization(mean=mean, variance=variance).weights == []  # Keras: none either


def test_the_adapted_statistics_are_non_trainable_weights_saved_with_the_model(tmp_path):
    model = nn.Sequential([nn.Normalization(input_shape=(4,)), nn.Dense(1)])
    model.layers[0].adapt(FEATURES)
    assert [w.shape for w in model.layers[0].non_trainable_weights] == [(4,), (4,), ()]
    assert all(p.shape != (4,) or p is model.layers[1].bias for p in model.parameters())
    before = model.layers[0].mean.numpy().copy()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(FEATURES, FEATURES[:, :1], epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[0].mean.numpy(), before)  # not trained
    model.save_weights(tmp_path / "model.weights.npz")
    twin = nn.Sequential([nn.Normalization(input_shape=(4,)), nn.Dense(1)])
    twin.load_weights(tmp_path / "model.weights.npz")
    np.testing.assert_array_equal(twin.predict(FEATURES, verbose=0),
                                  model.predict(FEATURES, verbose=0))
    config = nn.Normalization(axis=(1, 2), mean=[1.0], variance=[2.0], invert=True).get_config()
    assert nn.Normalization.from_config(config).get_config() == config


def test_normalization_gradient_is_the_upstream_over_the_deviation():
    layer = nn.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    x = tg.Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 1 / 3]] * 3, rtol=1e-6)


@pytest.mark.parametrize("size", [(3, 4), (14, 5), (7, 9), (20, 31)], ids=str)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("aspect", [{}, {"crop_to_aspect_ratio": True},
                                    {"pad_to_aspect_ratio": True, "fill_value": 9.0}], ids=str)
def test_resizing_equals_keras(size, interpolation, aspect):
    layers, to_numpy = keras_layers()
    expected = to_numpy(layers.Resizing(*size, interpolation=interpolation, **aspect)(IMAGES))
    got = ours(nn.Resizing(*size, interpolation=interpolation, **aspect), IMAGES)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)  # 0..255 pixels
    single = to_numpy(layers.Resizing(*size, interpolation=interpolation)(IMAGES[0]))
    np.testing.assert_allclose(ours(nn.Resizing(*size, interpolation=interpolation),
                                    IMAGES[0]), single, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("size", [(3, 4), (6, 8), (7, 9), (8, 4), (10, 12)], ids=str)
def test_center_crop_equals_keras_also_for_small_images(size):
    layers, to_numpy = keras_layers()
    expected = to_numpy(layers.CenterCrop(*size)(IMAGES))
    np.testing.assert_allclose(ours(nn.CenterCrop(*size), IMAGES), expected, rtol=1e-5,
                               atol=1e-4)
    assert nn.CenterCrop(*size).compute_output_shape((None, 7, 9, 3)) == (None, *size, 3)


def test_resizing_passes_gradients_back_to_the_pixels():
    from tinygrad_edu.gradcheck import gradcheck

    images = tg.Tensor(RNG.random((2, 5, 6, 1)), requires_grad=True)
    assert gradcheck(lambda t: nn.Resizing(3, 8)(t), [images])
    assert gradcheck(lambda t: nn.CenterCrop(3, 4)(t), [images])


MISTAKES = [
    (lambda: nn.Normalization(mean=[1.0]), ValueError, r"give both mean and variance"),
    (lambda: nn.Normalization(mean=[1.0, 2.0], variance=[1.0]), ValueError, r"one shape"),
    (lambda: nn.Normalization(axis="last"), TypeError, r"axis must be an int"),
    (lambda: nn.Normalization(axis=3).adapt(FEATURES), ValueError, r"axis \(3,\) is out of "
     r"range for inputs of shape \(50, 4\)"),
    (lambda: nn.Normalization(mean=0.0, variance=1.0, axis=None).adapt(FEATURES), ValueError,
     r"mean and variance were given"),
    (lambda: _adapted().adapt(np.ones((3, 5))), ValueError, r"adapt\(\) got data of shape "
     r"\(3, 5\), but the layer keeps axis \(-1,\) with sizes \(4,\)"),
    (lambda: nn.Rescaling("1/255"), TypeError, r"Rescaling: scale must be a number"),
    (lambda: nn.Resizing(0, 4), ValueError, r"Resizing: height must be a positive integer"),
    (lambda: nn.Resizing(2, 4, interpolation="area"), ValueError, r"interpolation must be"),
    (lambda: nn.Resizing(2, 4, antialias=True), ValueError, r"antialias=True is not supported"),
    (lambda: nn.Resizing(2, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True),
     ValueError, r"Resizing: choose crop_to_aspect_ratio or pad_to_aspect_ratio"),
    (lambda: nn.Resizing(2, 2)(tg.ones(4, 28 * 28)), ValueError, r"resize: expects "
     r"channels-last images"),
]


def _adapted():
    layer = nn.Normalization()
    layer.adapt(FEATURES)
    return layer


@pytest.mark.parametrize("make, error, message", MISTAKES, ids=[m[2][:25] for m in MISTAKES])
def test_mistakes_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_summary_says_where_the_normalization_statistics_come_from(capsys):
    model = nn.Sequential([nn.Normalization(input_shape=(4,)), nn.Dense(1)])
    model.summary()
    text = " ".join(capsys.readouterr().out.split())
    assert ("keeps 9 in mean, variance, count: statistics of the data computed once by "
            "adapt()") in text


def test_resizing_by_whole_factors_agrees_with_upsampling():
    from tinygrad_edu.ops.upsampling import upsample2d

    for interpolation in ["bilinear", "nearest"]:
        np.testing.assert_allclose(
            ours(nn.Resizing(14, 27, interpolation=interpolation), IMAGES),
            upsample2d(tg.Tensor(IMAGES), (2, 3), interpolation).numpy(), rtol=1e-6, atol=1e-4)
