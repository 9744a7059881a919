"""Normalization: the functions (tinygrad_edu.functional.normalization) and the layers
(tinygrad_edu.nn.normalization) against PyTorch, Keras and finite differences."""

import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import functional
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
from tinygrad_edu.nn import Dense, Sequential, functional_call
from tinygrad_edu.nn.normalization import (
    BatchNormalization,
    GroupNormalization,
    InstanceNormalization,
    LayerNormalization,
)

RNG = np.random.default_rng(0)
IMAGES = RNG.normal(loc=1.5, scale=2.0, size=(4, 3, 5, 6))  # NHWC, C = 6
GAMMA = RNG.normal(size=6)
BETA = RNG.normal(size=6)
UPSTREAM = RNG.normal(size=IMAGES.shape)


def _float64(values, requires_grad=True):
    return tg.Tensor(values, requires_grad=requires_grad, dtype=np.float64)


def _to_nchw(a):
    return a.transpose(0, 3, 1, 2)


def _compare_with_torch(ours, theirs, images=IMAGES, upstream=UPSTREAM, channels_first=True):
    """Run ``ours(x, gamma, beta)`` (NHWC) and ``theirs(x, gamma, beta)`` (NCHW or as given);
    compare outputs and the gradients of x, gamma and beta."""
    torch = pytest.importorskip("torch")
    move = _to_nchw if channels_first else (lambda a: a)
    x, gamma, beta = _float64(images), _float64(GAMMA), _float64(BETA)
    y = ours(x, gamma, beta)
    y.backward(_float64(upstream, False))
    xt = torch.tensor(move(images), requires_grad=True)
    gt = torch.tensor(GAMMA, requires_grad=True)
    bt = torch.tensor(BETA, requires_grad=True)
    yt = theirs(xt, gt, bt)
    yt.backward(torch.tensor(move(upstream)))
    back = (lambda a: a.transpose(0, 2, 3, 1)) if channels_first else (lambda a: a)
    np.testing.assert_allclose(y.numpy(), back(yt.detach().numpy()), atol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), back(xt.grad.numpy()), atol=1e-10)
    np.testing.assert_allclose(gamma.grad.numpy(), gt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(beta.grad.numpy(), bt.grad.numpy(), atol=1e-10)


# ----- the functions against PyTorch ------------------------------------------------------------


def test_batch_norm_training_matches_torch():
    _compare_with_torch(
        lambda x, g, b: functional.batch_norm(x, g, b),
        lambda x, g, b: __import__("torch").nn.functional.batch_norm(
            x, None, None, g, b, training=True, eps=1e-3))


def test_batch_norm_on_features_matches_torch():
    features, upstream = IMAGES.reshape(-1, 6), UPSTREAM.reshape(-1, 6)
    _compare_with_torch(
        lambda x, g, b: functional.batch_norm(x, g, b),
        lambda x, g, b: __import__("torch").nn.functional.batch_norm(
            x, None, None, g, b, training=True, eps=1e-3),
        images=features, upstream=upstream, channels_first=False)


def test_layer_norm_matches_torch():
    _compare_with_torch(
        lambda x, g, b: functional.layer_norm(x, g, b),
        lambda x, g, b: __import__("torch").nn.functional.layer_norm(x, (6,), g, b, eps=1e-3),
        channels_first=False)


def test_group_norm_matches_torch():
    _compare_with_torch(
        lambda x, g, b: functional.group_norm(x, 3, g, b),
        lambda x, g, b: __import__("torch").nn.functional.group_norm(x, 3, g, b, eps=1e-3))


def test_instance_norm_matches_torch():
    _compare_with_torch(
        lambda x, g, b: functional.instance_norm(x, g, b),
        lambda x, g, b: __import__("torch").nn.functional.instance_norm(
            x, weight=g, bias=b, eps=1e-3))


def test_statistics_per_sample_and_channel():
    x = _float64(IMAGES, False)
    out = functional.instance_norm(x).numpy()
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(1, 2)), 1, rtol=1e-3)  # epsilon shrinks it a bit
    out = functional.layer_norm(x, axis=(1, 2, 3)).numpy()
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), 0, atol=1e-12)
    assert np.allclose(functional.group_norm(x, 6).numpy(), functional.instance_norm(x).numpy())
    assert np.allclose(functional.group_norm(x, 1).numpy(), out)


def test_moments_are_biased():
    mean, variance = functional.moments(_float64(IMAGES, False), axis=(0, 1, 2))
    np.testing.assert_allclose(mean.numpy(), IMAGES.mean(axis=(0, 1, 2)))
    np.testing.assert_allclose(variance.numpy(), IMAGES.var(axis=(0, 1, 2)))


def test_function_errors():
    x = tg.randn(2, 3, 3, 6)
    with pytest.raises(ValueError, match=r"group_norm: groups=4 .* 6"):
        functional.group_norm(x, 4)
    with pytest.raises(ValueError, match=r"batch_norm: gamma has shape \(5,\).*\(6,\)"):
        functional.batch_norm(x, tg.ones(5))
    with pytest.raises(ValueError, match="both mean and variance"):
        functional.batch_norm(x, mean=tg.zeros(6))
    with pytest.raises(ValueError, match="epsilon"):
        functional.layer_norm(x, epsilon=0.0)
    with pytest.raises(ValueError, match="instance_norm.*layer_norm"):
        functional.instance_norm(tg.randn(4, 6))


# ----- BatchNormalization -----------------------------------------------------------------------


def test_batch_normalization_weights_and_buffers():
    layer = BatchNormalization(input_shape=(5, 6))
    assert [p.name for p in layer.parameters()] == [f"{layer.name}.gamma", f"{layer.name}.beta"]
    assert sorted(dict(layer.named_buffers())) == ["moving_mean", "moving_variance"]
    assert layer.count_params() == 4 * 6
    assert sum(w.size for w in layer.non_trainable_weights) == 2 * 6
    assert sorted(layer.state_dict()) == ["beta", "gamma", "moving_mean", "moving_variance"]
    plain = BatchNormalization(center=False, scale=False, input_shape=(6,))
    assert plain.parameters() == [] and plain.count_params() == 12


def test_summary_counts_of_the_course_model():
    model = Sequential([
        tg.nn.Flatten(input_shape=(28, 28)),
        Dense(256, activation="elu", kernel_initializer="he_normal"),
        BatchNormalization(momentum=0.9),
        Dense(128, activation="selu", kernel_initializer="lecun_normal"),
        Dense(128, activation="selu", kernel_initializer="lecun_normal"),
        Dense(10, activation="softmax"),
    ])
    assert model.count_params() == 252_682
    assert sum(p.size for p in model.parameters()) == 252_170
    assert sum(w.size for w in model.non_trainable_weights) == 512


def test_batch_normalization_training_matches_torch():
    torch = pytest.importorskip("torch")
    layer = BatchNormalization(momentum=0.9, gamma_initializer="random_normal",
                               beta_initializer="random_normal", input_shape=(3, 5, 6))
    layer.astype(np.float64)
    x = _float64(IMAGES)
    layer(x).backward(_float64(UPSTREAM, False))
    twin = torch.nn.BatchNorm2d(6, eps=1e-3, momentum=0.1).double()
    with torch.no_grad():
        twin.weight.copy_(torch.tensor(layer.gamma.numpy()))
        twin.bias.copy_(torch.tensor(layer.beta.numpy()))
    xt = torch.tensor(_to_nchw(IMAGES), requires_grad=True)
    out = twin(xt)
    out.backward(torch.tensor(_to_nchw(UPSTREAM)))
    np.testing.assert_allclose(layer(x).numpy(), out.detach().numpy().transpose(0, 2, 3, 1),
                               atol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy().transpose(0, 2, 3, 1),
                               atol=1e-10)
    np.testing.assert_allclose(layer.gamma.grad.numpy(), twin.weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(layer.beta.grad.numpy(), twin.bias.grad.numpy(), atol=1e-10)
    # the moving means agree; torch's running variance uses the unbiased batch variance
    layer_once = BatchNormalization(momentum=0.9).astype(np.float64)
    layer_once(_float64(IMAGES, False))
    np.testing.assert_allclose(layer_once.moving_mean.numpy(), twin.running_mean.numpy(),
                               rtol=1e-6)
    n = IMAGES.size // 6
    biased = IMAGES.var(axis=(0, 1, 2))
    np.testing.assert_allclose(layer_once.moving_variance.numpy(), 0.9 + 0.1 * biased,
                               rtol=1e-6)
    np.testing.assert_allclose(twin.running_var.numpy(), 0.9 + 0.1 * biased * n / (n - 1),
                               rtol=1e-6)


@pytest.mark.parametrize("momentum", [0.99, 0.9])
def test_moving_statistics_and_inference_match_keras(momentum):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    ours = BatchNormalization(momentum=momentum)
    theirs = keras.layers.BatchNormalization(momentum=momentum)
    batches = [RNG.normal(loc=2.0, scale=3.0, size=(8, 4, 4, 3)).astype(np.float32)
               for _ in range(3)]
    import torch

    def numpy(value):
        return getattr(value, "value", value).detach().cpu().numpy()

    for batch in batches:
        trained = ours(batch)
        expected = theirs(torch.tensor(batch), training=True)
        np.testing.assert_allclose(trained.numpy(), numpy(expected), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.moving_mean.numpy(), numpy(theirs.moving_mean), rtol=1e-5)
    np.testing.assert_allclose(ours.moving_variance.numpy(), numpy(theirs.moving_variance),
                               rtol=1e-5)
    ours.eval()
    inferred = numpy(theirs(torch.tensor(batches[0]), training=False))
    np.testing.assert_allclose(ours(batches[0]).numpy(), inferred, rtol=1e-4, atol=1e-5)


def test_moving_update_formula_and_inference_mode():
    layer = BatchNormalization(momentum=0.8, epsilon=1e-3)
    x = RNG.normal(loc=3.0, size=(16, 5)).astype(np.float32)
    layer(x)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.2 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.8 + 0.2 * x.var(axis=0),
                               rtol=1e-5)
    layer.eval()
    before = layer.moving_mean.numpy().copy()
    out = layer(x).numpy()
    expected = (x - before) / np.sqrt(layer.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), before)  # eval never updates


def test_frozen_batch_normalization_runs_in_inference_mode():
    layer = BatchNormalization(input_shape=(5,))
    layer.trainable = False
    x = RNG.normal(loc=3.0, size=(16, 5)).astype(np.float32)
    out = layer(x).numpy()
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), 0)
    assert layer.parameters() == []


def test_batch_of_one_is_allowed():
    layer = BatchNormalization(beta_initializer="ones")
    np.testing.assert_allclose(layer(tg.randn(1, 4)).numpy(), 1.0)


@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_gradcheck(training):
    layer = BatchNormalization(gamma_initializer="random_normal",
                               beta_initializer="random_normal", input_shape=(2, 3))
    layer(tg.randn(5, 2, 3) * 2 + 1)  # moving statistics away from their initial values
    layer.train(training)
    x = tg.randn(4, 2, 3, requires_grad=True)
    gamma, beta = layer.gamma.detach().requires_grad_(), layer.beta.detach().requires_grad_()

    def fn(x, g, b):
        return functional_call(layer, {"gamma": g, "beta": b}, x)

    assert gradcheck(fn, [x, gamma, beta])
    assert gradgradcheck(fn, [x, gamma, beta])


# ----- LayerNormalization, InstanceNormalization, GroupNormalization -------------------------


@pytest.mark.parametrize("make_layer, shape", [
    (lambda: LayerNormalization(), (3, 5)),
    (lambda: LayerNormalization(axis=[1, 2]), (2, 3, 4)),
    (lambda: InstanceNormalization(), (2, 3, 3, 2)),
    (lambda: GroupNormalization(groups=2), (2, 2, 3, 4)),
])
def test_layer_gradcheck(make_layer, shape):
    layer = make_layer()
    layer.build((None, *shape[1:]))
    layer.built = True
    with tg.no_grad():
        layer.gamma.copy_(RNG.normal(size=layer.gamma.shape))
        layer.beta.copy_(RNG.normal(size=layer.beta.shape))
    x = tg.randn(*shape, requires_grad=True)
    gamma, beta = layer.gamma.detach().requires_grad_(), layer.beta.detach().requires_grad_()

    def fn(x, g, b):
        return functional_call(layer, {"gamma": g, "beta": b}, x)

    assert gradcheck(fn, [x, gamma, beta])
    assert gradgradcheck(fn, [x, gamma, beta])


def test_layer_normalization_and_group_normalization_layers_match_torch():
    torch = pytest.importorskip("torch")
    x = IMAGES.astype(np.float32)
    layer_norm = LayerNormalization()
    np.testing.assert_allclose(
        layer_norm(x).numpy(),
        torch.nn.functional.layer_norm(torch.tensor(x), (6,), eps=1e-3).numpy(), atol=1e-5)
    group_norm = GroupNormalization(groups=2)
    expected = torch.nn.functional.group_norm(torch.tensor(_to_nchw(x)), 2, eps=1e-3)
    np.testing.assert_allclose(group_norm(x).numpy(),
                               expected.numpy().transpose(0, 2, 3, 1), atol=1e-5)
    assert layer_norm.count_params() == group_norm.count_params() == 12


def test_layer_configs_round_trip():
    for layer in (BatchNormalization(momentum=0.9, epsilon=1e-5, center=False),
                  LayerNormalization(axis=[1, 2], gamma_regularizer="l2"),
                  InstanceNormalization(scale=False), GroupNormalization(groups=4, axis=-1)):
        config = layer.get_config()
        config.pop("name")
        twin = type(layer).from_config(config)
        assert {k: v for k, v in twin.get_config().items() if k != "name"} == config


def test_layer_errors():
    with pytest.raises(ValueError, match=r"group_normalization\w* \(GroupNormalization\): 12 "
                                         r"channels cannot be split into 32.*1, 2, 3, 4, 6, 12"):
        GroupNormalization()(tg.randn(2, 3, 3, 12))
    with pytest.raises(ValueError, match=r"\(InstanceNormalization\): expects channels-last"):
        InstanceNormalization()(tg.randn(4, 6))
    with pytest.raises(ValueError, match="momentum must be in"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        LayerNormalization(epsilon=0)
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        BatchNormalization(axis=3)(tg.randn(4, 6))
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        GroupNormalization(groups=0)
    layer = BatchNormalization()
    layer(tg.randn(4, 6))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(None, 6\)"):
        layer(tg.randn(4, 5))
