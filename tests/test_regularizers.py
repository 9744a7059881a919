import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import regularizers
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import Dense

W = np.array([[0.5, -1.5], [2.0, -0.25]])


def weight():
    return tg.Tensor(W, requires_grad=True, dtype=np.float64)


def test_keras_definitions_without_one_half():
    assert regularizers.L1(0.1)(weight()).item() == pytest.approx(0.1 * np.abs(W).sum())
    assert regularizers.L2(0.1)(weight()).item() == pytest.approx(0.1 * (W ** 2).sum())
    both = regularizers.L1L2(l1=0.1, l2=0.2)(weight()).item()
    assert both == pytest.approx(0.1 * np.abs(W).sum() + 0.2 * (W ** 2).sum())


def test_default_factors_follow_keras():
    assert regularizers.get("l1").get_config() == {"l1": 0.01}
    assert regularizers.get("l2").get_config() == {"l2": 0.01}
    assert regularizers.l1_l2().get_config() == {"l1": 0.01, "l2": 0.01}
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}  # Keras 3 class defaults
    assert regularizers.L1L2()(weight()).item() == 0.0


def test_gradients_are_the_textbook_ones():
    w = weight()
    regularizers.L2(0.1)(w).backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * 0.1 * W)
    # the textbook's (1/2) * lambda * sum(w**2) has gradient lambda * w: it is L2(lambda / 2)
    w = weight()
    regularizers.L2(0.3 / 2)(w).backward()
    np.testing.assert_allclose(w.grad.numpy(), 0.3 * W)
    w = weight()
    regularizers.L1(0.1)(w).backward()
    np.testing.assert_allclose(w.grad.numpy(), 0.1 * np.sign(W))


@pytest.mark.parametrize("regularizer", [
    regularizers.L1(0.3), regularizers.L2(0.3), regularizers.L1L2(0.1, 0.2),
])
def test_gradcheck(regularizer):
    assert gradcheck(regularizer, [weight()])


def test_get_accepts_names_configs_objects_and_none():
    assert regularizers.get(None) is None
    l2 = regularizers.L2(0.5)
    assert regularizers.get(l2) is l2
    rebuilt = regularizers.get(regularizers.serialize(regularizers.L1L2(0.1, 0.2)))
    assert isinstance(rebuilt, regularizers.L1L2) and rebuilt.get_config() == {"l1": 0.1,
                                                                               "l2": 0.2}
    assert isinstance(regularizers.get("L2"), regularizers.L2)
    assert regularizers.serialize(None) is None


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="Did you mean 'l2'"):
        regularizers.get("l22")
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        regularizers.L2(-0.1)
    with pytest.raises(TypeError, match="regularizer must be"):
        regularizers.get(0.1)
    with pytest.raises(TypeError, match="cannot serialize"):
        regularizers.serialize(lambda w: w.sum())


def test_layer_penalties_are_collected_for_training():
    layer = Dense(3, input_dim=2, kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.5),
                  bias_initializer="ones")
    kernel_penalty, bias_penalty = layer.regularization_losses()
    assert kernel_penalty.item() == pytest.approx(0.01 * (layer.kernel.numpy() ** 2).sum(),
                                                  rel=1e-6)
    assert bias_penalty.item() == pytest.approx(0.5 * 3)
    total = kernel_penalty + bias_penalty
    total.backward()
    np.testing.assert_allclose(layer.kernel.grad.numpy(), 0.02 * layer.kernel.numpy(), rtol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.numpy(), [0.5, 0.5, 0.5])
