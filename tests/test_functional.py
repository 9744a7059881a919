"""Activations, softmax, get_activation and dropout (tinygrad_edu.functional).

First and second derivatives of every function are checked by the op-case table
(tests/test_op_cases.py); here: values against formulas, PyTorch and Keras, stability,
dtypes, lookup by name and dropout's statistics.
"""

import math
import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import functional as fn
from tinygrad_edu.functional.activations import ACTIVATIONS, activation_name

X = np.linspace(-4.0, 4.0, 33)


def _erf(values):
    return np.array([math.erf(v) for v in np.ravel(values)]).reshape(np.shape(values))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


REFERENCE = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "exponential": np.exp,
    "linear": lambda x: x,
    "log_sigmoid": lambda x: -np.log1p(np.exp(-x)),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(),
    "log_softmax": lambda x: x - np.log(np.exp(x).sum()),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_match_their_formula(name):
    got = fn.get_activation(name)(tg.Tensor(X, dtype=np.float64)).numpy()
    np.testing.assert_allclose(got, REFERENCE[name](X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_keep_float32(name):
    x = tg.Tensor(X.astype(np.float32), requires_grad=True)
    y = fn.get_activation(name)(x)
    y.backward(tg.ones(*y.shape))
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - {"exponential"}))
def test_activations_are_finite_at_extreme_inputs(name):
    x = tg.Tensor([-1000.0, -80.0, 0.0, 80.0, 1000.0], requires_grad=True)
    y = fn.get_activation(name)(x)
    y.backward(tg.ones(*y.shape))
    assert np.isfinite(y.numpy()).all(), y
    assert np.isfinite(x.grad.numpy()).all(), x.grad


def test_softplus_and_softmax_extremes_are_exact():
    assert fn.softplus(tg.Tensor([1000.0, -1000.0])).tolist() == [1000.0, 0.0]
    p = fn.softmax(tg.Tensor([[1000.0, -1000.0, 1000.0]]))
    np.testing.assert_array_equal(p.numpy(), [[0.5, 0.0, 0.5]])
    log_p = fn.log_softmax(tg.Tensor([[1000.0, -1000.0]]))
    np.testing.assert_allclose(log_p.numpy(), [[0.0, -2000.0]])


def test_softmax_axis_and_rows_sum_to_one():
    x = tg.randn(3, 4, 5)
    for axis in (0, 1, -1):
        total = fn.softmax(x, axis=axis).numpy().sum(axis=axis)
        np.testing.assert_allclose(total, 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="softmax"):
        fn.softmax(tg.Tensor(1.0))


def test_gelu_tanh_approximation_is_close_to_exact():
    x = tg.Tensor(X, dtype=np.float64)
    exact = fn.gelu(x).numpy()
    approximate = fn.gelu(x, approximate=True).numpy()
    assert 0 < np.abs(exact - approximate).max() < 1e-3


def test_relu_keras_options():
    x = tg.Tensor([-2.0, 0.0, 0.4, 1.0, 3.0, 9.0])
    np.testing.assert_allclose(fn.relu(x, max_value=2.0).numpy(), [0, 0, 0.4, 1, 2, 2])
    np.testing.assert_allclose(fn.relu(x, threshold=0.5).numpy(), [0, 0, 0, 1, 3, 9])
    np.testing.assert_allclose(fn.relu(x, negative_slope=0.1).numpy(), [-0.2, 0, 0.4, 1, 3, 9],
                               rtol=1e-6)
    with pytest.raises(ValueError, match="negative_slope"):
        fn.relu(x, negative_slope=-1)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax"])
def test_integer_and_boolean_inputs_become_float32(name):
    activation = fn.get_activation(name)
    for data in ([1, 2], [True, False]):
        out = activation(tg.Tensor(data))
        assert out.dtype == np.float32
        expected = activation(tg.Tensor(np.asarray(data, dtype=np.float32)))
        np.testing.assert_allclose(out.numpy(), expected.numpy())


# ----- get_activation --------------------------------------------------------------------------


def test_get_activation_by_name_callable_and_none():
    assert fn.get_activation("relu") is fn.relu
    assert fn.get_activation("ReLU") is fn.relu
    assert fn.get_activation(None) is fn.linear
    assert fn.get_activation("linear") is fn.linear

    def custom(x):
        return x * 2

    assert fn.get_activation(custom) is custom
    assert activation_name(fn.selu) == "selu"
    assert activation_name(custom) is None


@pytest.mark.parametrize("typo, suggestion", [("rleu", "relu"), ("sigmod", "sigmoid"),
                                               ("softmx", "softmax"), ("leakyrelu", "leaky_relu")])
def test_unknown_activation_suggests_the_closest_name(typo, suggestion):
    with pytest.raises(ValueError, match=f"Did you mean '{suggestion}'"):
        fn.get_activation(typo)


def test_get_activation_rejects_other_types():
    with pytest.raises(TypeError, match="get_activation"):
        fn.get_activation(3)


# ----- against PyTorch and Keras ---------------------------------------------------------------

TORCH_NAMES = {
    "sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "relu6": "relu6", "elu": "elu",
    "selu": "selu", "silu": "silu", "gelu": "gelu", "softplus": "softplus",
    "softsign": "softsign", "hard_sigmoid": "hardsigmoid", "hard_silu": "hardswish",
    "mish": "mish", "log_sigmoid": "logsigmoid",
}


@pytest.mark.parametrize("name", sorted(TORCH_NAMES))
def test_forward_and_backward_match_torch(name):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(1).normal(scale=2.5, size=(4, 6))
    upstream = np.random.default_rng(2).normal(size=(4, 6))
    x = tg.Tensor(values, requires_grad=True, dtype=np.float64)
    y = fn.get_activation(name)(x)
    y.backward(tg.Tensor(upstream, dtype=np.float64))
    xt = torch.tensor(values, requires_grad=True)
    yt = getattr(torch.nn.functional, TORCH_NAMES[name])(xt)
    yt.backward(torch.tensor(upstream))
    # 1e-7: PyTorch's hardsigmoid backward multiplies by a single-precision 1/6
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-12)


def test_softmax_and_log_softmax_match_torch():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(3).normal(scale=3, size=(3, 5))
    upstream = np.random.default_rng(4).normal(size=(3, 5))
    for ours, theirs in ((fn.softmax, torch.softmax), (fn.log_softmax, torch.log_softmax)):
        x = tg.Tensor(values, requires_grad=True, dtype=np.float64)
        ours(x, axis=1).backward(tg.Tensor(upstream, dtype=np.float64))
        xt = torch.tensor(values, requires_grad=True)
        yt = theirs(xt, dim=1)
        yt.backward(torch.tensor(upstream))
        np.testing.assert_allclose(ours(x, axis=1).numpy(), yt.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_activations_match_keras_functions():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = X.astype(np.float32)
    for name in ("leaky_relu", "hard_sigmoid", "selu", "gelu", "elu", "softplus"):
        result = getattr(keras.activations, name)(x)
        expected = result.detach().cpu().numpy() if hasattr(result, "detach") else result
        np.testing.assert_allclose(fn.get_activation(name)(tg.Tensor(x)).numpy(), expected,
                                   rtol=1e-5, atol=1e-6, err_msg=name)


# ----- dropout ----------------------------------------------------------------------------------


def test_dropout_keeps_the_expected_fraction_and_scales_survivors():
    rate = 0.3
    y = fn.dropout(tg.ones(200, 500), rate).numpy()
    kept = y != 0
    assert abs(kept.mean() - (1 - rate)) < 0.01
    np.testing.assert_allclose(y[kept], 1 / (1 - rate), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation


def test_dropout_gradient_is_the_scaled_mask():
    x = tg.randn(50, 40, requires_grad=True)
    y = fn.dropout(x, 0.5, seed=7)
    y.sum().backward()
    mask = (y.numpy() != 0).astype(np.float32)
    np.testing.assert_allclose(x.grad.numpy(), mask * 2.0)


def test_dropout_identity_at_inference_and_rate_zero():
    x = tg.randn(3, 4)
    assert fn.dropout(x, 0.5, training=False) is x
    assert fn.dropout(x, 0.0) is x


def test_dropout_seed_and_global_seed_reproduce():
    x = tg.ones(10, 10)
    np.testing.assert_array_equal(fn.dropout(x, 0.5, seed=1).numpy(),
                                  fn.dropout(x, 0.5, seed=1).numpy())
    tg.manual_seed(5)
    first = fn.dropout(x, 0.5).numpy()
    tg.manual_seed(5)
    np.testing.assert_array_equal(first, fn.dropout(x, 0.5).numpy())


def test_dropout_noise_shape_drops_whole_channels():
    y = fn.dropout(tg.ones(4, 3, 3, 8), 0.5, seed=0, noise_shape=(4, 1, 1, 8)).numpy()
    per_map = y.reshape(4, 9, 8)
    assert (per_map == per_map[:, :1, :]).all()
    with pytest.raises(ValueError, match="noise_shape"):
        fn.dropout(tg.ones(4, 3), 0.5, noise_shape=(2, 3))


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rejects_rates_outside_zero_one(rate):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        fn.dropout(tg.ones(2), rate)
    with pytest.raises(TypeError):
        fn.dropout(tg.ones(2), "0.5")
