import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import init
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import (
    ELU,
    Activation,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    PReLU,
    ReLU,
    Softmax,
    functional_call,
)


def away_from_zero(*shape, seed=0):
    """Random float64 values with |x| in [0.2, 2]: no input sits on a kink of relu-like maps."""
    rng = np.random.default_rng(seed)
    magnitude = rng.uniform(0.2, 2.0, shape)
    return tg.Tensor(magnitude * rng.choice([-1.0, 1.0], shape), requires_grad=True,
                     dtype=np.float64)


def as_input(array):
    return tg.Tensor(array, requires_grad=True, dtype=np.float64)


# ----- Dense -------------------------------------------------------------------------------------
def test_dense_computes_x_kernel_plus_bias():
    layer = Dense(3, input_dim=4, bias_initializer="random_normal")
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    expected = x @ layer.kernel.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-6)
    assert layer(x).dtype == np.float32
    assert layer.compute_output_shape((None, 4)) == (None, 3)


def test_dense_applies_activation_and_acts_on_the_last_axis():
    layer = Dense(3, activation="relu", input_dim=4)
    x = np.random.default_rng(2).standard_normal((2, 6, 4)).astype(np.float32)
    out = layer(x).numpy()
    assert out.shape == (2, 6, 3)
    np.testing.assert_allclose(out, np.maximum(x @ layer.kernel.numpy(), 0), rtol=1e-6)


def test_dense_without_bias_and_defaults():
    layer = Dense(2, use_bias=False, input_dim=3)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["kernel"]
    config = Dense(2).get_config()
    assert config["kernel_initializer"] == "glorot_uniform"
    assert config["bias_initializer"] == "zeros" and config["activation"] is None


@pytest.mark.parametrize("activation", [None, "tanh", "softmax", "elu"])
def test_dense_gradcheck_inputs_and_weights(activation):
    layer = Dense(3, activation=activation, input_dim=4, bias_initializer="random_normal")
    x = away_from_zero(5, 4)
    kernel, bias = as_input(layer.kernel.numpy()), as_input(layer.bias.numpy())
    assert gradcheck(lambda x, k, b: functional_call(layer, {"kernel": k, "bias": b}, x),
                     [x, kernel, bias])


def test_dense_gradients_flow_into_parameters():
    layer = Dense(2, input_dim=3)
    x = np.random.default_rng(3).standard_normal((4, 3)).astype(np.float32)
    upstream = np.random.default_rng(4).standard_normal((4, 2)).astype(np.float32)
    layer(x).backward(tg.Tensor(upstream))
    np.testing.assert_allclose(layer.kernel.grad.numpy(), x.T @ upstream, rtol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.numpy(), upstream.sum(0), rtol=1e-5)


def test_dense_bad_input_errors_name_the_layer_and_shapes():
    layer = Dense(3, input_dim=4, name="hidden")
    with pytest.raises(ValueError, match=r"hidden \(Dense\).*\(None, 4\).*\(2, 5\)"):
        layer(tg.ones(2, 5))
    with pytest.raises(ValueError, match=r"hidden \(Dense\).*at least 2 axes.*\(4,\)"):
        layer(tg.ones(4))
    with pytest.raises(ValueError, match="features"):
        Dense(3)(tg.ones(4))
    with pytest.raises(ValueError, match="positive integer"):
        Dense(0)
    with pytest.raises(ValueError, match="Did you mean 'relu'"):
        Dense(3, activation="rleu")
    with pytest.raises(ValueError, match="Did you mean 'he_normal'"):
        Dense(3, kernel_initializer="he_norml")


# ----- shape and activation layers ---------------------------------------------------------------
def test_flatten_shapes_and_declared_input_check():
    flatten = Flatten(input_shape=(28, 28))
    assert flatten(tg.ones(3, 28, 28)).shape == (3, 784)
    assert flatten.compute_output_shape((None, 28, 28)) == (None, 784)
    with pytest.raises(ValueError, match=r"flatten \(Flatten\).*\(None, 28, 28\)"):
        flatten(tg.ones(3, 32, 32))
    assert Flatten()(tg.ones(2, 3, 4, 5)).shape == (2, 60)
    x = away_from_zero(2, 3, 2)
    assert gradcheck(lambda t: Flatten()(t), [x])


def test_activation_layer_uses_named_function():
    x = np.array([[-2.0, 0.5]], dtype=np.float32)
    np.testing.assert_allclose(Activation("sigmoid")(x).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-6)
    assert Activation(None)(x).numpy().tolist() == x.tolist()
    with pytest.raises(ValueError, match="Did you mean 'sigmoid'"):
        Activation("sigmod")
    assert gradcheck(lambda t: Activation("selu")(t), [away_from_zero(3, 4)])


def test_activation_layer_defaults_follow_keras():
    assert LeakyReLU().negative_slope == 0.3
    assert LeakyReLU(alpha=0.1).negative_slope == 0.1
    assert ELU().alpha == 1.0
    assert Softmax().axis == -1
    prelu = PReLU()
    prelu(tg.ones(2, 3))
    assert not prelu.alpha.numpy().any()


def test_activation_layers_forward_values():
    x = np.array([[-2.0, -0.5, 0.5, 3.0]], dtype=np.float32)
    np.testing.assert_allclose(LeakyReLU()(x).numpy(), np.where(x > 0, x, 0.3 * x), rtol=1e-6)
    np.testing.assert_allclose(ELU(0.5)(x).numpy(), np.where(x > 0, x, 0.5 * np.expm1(x)),
                               rtol=1e-6)
    np.testing.assert_allclose(ReLU()(x).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(ReLU(max_value=1.0)(x).numpy(), np.clip(x, 0, 1))
    np.testing.assert_allclose(ReLU(negative_slope=0.1, threshold=1.0)(x).numpy(),
                               np.where(x > 1.0, x, 0.1 * (x - 1.0)), rtol=1e-6)
    e = np.exp(x - x.max())
    np.testing.assert_allclose(Softmax()(x).numpy(), e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(Softmax(axis=0)(x).numpy(), np.ones_like(x))


@pytest.mark.parametrize("make", [
    lambda: LeakyReLU(), lambda: LeakyReLU(0.05), lambda: ELU(0.7), lambda: ReLU(),
    lambda: ReLU(max_value=1.5, negative_slope=0.2, threshold=0.1),
    lambda: Softmax(), lambda: Softmax(axis=0),
])
def test_activation_layers_gradcheck(make):
    x = away_from_zero(3, 5)
    assert gradcheck(lambda t: make()(t), [x])


def test_prelu_learns_one_slope_per_element_or_per_shared_axis():
    prelu = PReLU(alpha_initializer=init.RandomUniform(0.1, 0.5, seed=1))
    x = away_from_zero(4, 3, 2)
    prelu(x)
    assert prelu.alpha.shape == (3, 2)
    alpha = prelu.alpha.numpy()
    xv = x.numpy()
    np.testing.assert_allclose(prelu(x).numpy(), np.where(xv > 0, xv, alpha * xv), rtol=1e-6)
    shared = PReLU(shared_axes=[1, 2])
    shared(tg.ones(2, 5, 5, 3))
    assert shared.alpha.shape == (1, 1, 3)
    with pytest.raises(ValueError, match="shared axis 4 is out of range"):
        PReLU(shared_axes=[4])(tg.ones(2, 5, 5, 3))
    with pytest.raises(ValueError, match=r"p_re_lu.*\(None, 3, 2\).*\(4, 3, 3\)"):
        prelu(tg.ones(4, 3, 3))


def test_prelu_gradcheck_inputs_and_alpha():
    prelu = PReLU(alpha_initializer=init.RandomUniform(0.1, 0.5, seed=2), input_shape=(5,))
    x = away_from_zero(3, 5)
    alpha = as_input(prelu.alpha.numpy())
    assert gradcheck(lambda t, a: functional_call(prelu, {"alpha": a}, t), [x, alpha])


def test_activation_layers_reject_bad_arguments():
    with pytest.raises(ValueError, match="negative_slope"):
        LeakyReLU(-0.1)
    with pytest.raises(ValueError, match="max_value"):
        ReLU(max_value=-1)


# ----- Dropout ---------------------------------------------------------------------------------
def test_dropout_keeps_the_expected_fraction_and_scales_survivors():
    layer = Dropout(0.3)
    out = layer(tg.ones(400, 500)).numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.005  # binomial std here is 0.0007
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
    assert abs(out.mean() - 1.0) < 0.01  # inverted dropout keeps the expectation


def test_dropout_is_the_identity_in_inference_mode():
    layer = Dropout(0.5).eval()
    x = tg.randn(3, 4)
    assert layer(x) is x
    assert Dropout(0.0)(x) is x


def test_dropout_seed_gives_a_reproducible_sequence_of_masks():
    first, second = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    x = tg.ones(10, 10)
    a1, a2 = first(x).numpy(), first(x).numpy()
    b1, b2 = second(x).numpy(), second(x).numpy()
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert (a1 != a2).any()  # a new mask at every call
    tg.manual_seed(3)
    c = Dropout(0.5)(x).numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(Dropout(0.5)(x).numpy(), c)


def test_dropout_gradcheck_with_a_fixed_mask_and_in_inference():
    x = away_from_zero(4, 6)
    # a fresh layer with the same seed draws the same first mask at every evaluation
    assert gradcheck(lambda t: Dropout(0.4, seed=11)(t), [x])
    assert gradcheck(lambda t: Dropout(0.4, seed=11).eval()(t), [x])


def test_dropout_noise_shape_shares_the_mask():
    out = Dropout(0.5, noise_shape=(None, 1), seed=1)(tg.ones(50, 4)).numpy()
    assert ((out == 0).all(axis=1) | (out != 0).all(axis=1)).all()


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rejects_rates_outside_zero_one(rate):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(rate)


def test_dropout_rejects_non_numeric_rate():
    with pytest.raises(TypeError, match="rate"):
        Dropout("0.5")


# ----- configs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    Dense(3, activation="relu", kernel_regularizer="l2", kernel_initializer=init.HeNormal(3)),
    Activation("tanh"), Flatten(input_shape=(2, 3)), Dropout(0.2, seed=1), PReLU(shared_axes=[1]),
    LeakyReLU(0.1), ELU(0.5), ReLU(max_value=6.0), Softmax(axis=1),
])
def test_get_config_rebuilds_an_equivalent_layer(layer):
    config = layer.get_config()
    twin = type(layer).from_config(config)
    assert twin.get_config() == config


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_dense_matches_keras_with_the_same_weights():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(5).standard_normal((4, 3)).astype(np.float32)
    ours = Dense(2, activation="selu", input_dim=3, bias_initializer="random_normal")
    theirs = keras.layers.Dense(2, activation="selu")
    theirs.build((None, 3))
    theirs.set_weights([ours.kernel.numpy(), ours.bias.numpy()])
    np.testing.assert_allclose(ours(x).numpy(), keras.ops.convert_to_numpy(theirs(x)),
                               rtol=1e-5, atol=1e-6)
    pairs = [(LeakyReLU(), keras.layers.LeakyReLU()), (ELU(), keras.layers.ELU()),
             (Softmax(), keras.layers.Softmax())]
    for ours_layer, keras_layer in pairs:
        np.testing.assert_allclose(ours_layer(x).numpy(),
                                   keras.ops.convert_to_numpy(keras_layer(x)), rtol=1e-5,
                                   atol=1e-6)
