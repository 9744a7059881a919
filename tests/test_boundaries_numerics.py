"""Numeric boundaries of the public API: swapped loss arguments are refused instead of
silently giving another number, numpy functions on tensors say what to use instead while
numpy operators keep working, and ragged data is named."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import losses

PROBABILITIES = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]], np.float32)
ONE_HOT = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 1.5, -0.3]], np.float32)

SWAPPED = [
    ("categorical_crossentropy", lambda: losses.categorical_crossentropy(PROBABILITIES, ONE_HOT)),
    ("categorical_crossentropy", lambda: losses.categorical_crossentropy(
        LOGITS, ONE_HOT, from_logits=True)),
    ("binary_crossentropy", lambda: losses.binary_crossentropy(
        PROBABILITIES[:, :1], ONE_HOT[:, :1])),
    ("categorical_crossentropy", lambda: losses.CategoricalCrossentropy()(PROBABILITIES,
                                                                          ONE_HOT)),
]


@pytest.mark.parametrize("who, call", SWAPPED,
                         ids=["probabilities", "logits", "binary", "loss object"])
def test_swapped_loss_arguments_are_refused(who, call):
    with pytest.raises(ValueError, match=rf"{who}: the arguments look swapped: y_pred holds only "
                                         r"0s and 1s, like labels.*The order is \(y_true, "
                                         r"y_pred\), as in Keras"):
        call()


def test_sparse_labels_given_as_predictions_say_the_order():
    with pytest.raises(TypeError, match=r"y_pred must be floating, got dtype int64 .*are the "
                                        r"arguments swapped\? The order is \(y_true, y_pred\)"):
        losses.sparse_categorical_crossentropy(PROBABILITIES, np.array([0, 2]))


def test_the_right_order_gives_the_right_values():
    expected = -np.log([0.7, 0.3])
    np.testing.assert_allclose(
        losses.categorical_crossentropy(ONE_HOT, PROBABILITIES).numpy(), expected, rtol=1e-6)
    shifted = LOGITS - LOGITS.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(
        losses.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True).numpy(),
        -(ONE_HOT * log_softmax).sum(axis=1), rtol=1e-5)


@pytest.mark.parametrize("y_true, y_pred", [
    (np.array([[0.9, 0.1]], np.float32), np.array([[0.8, 0.2]], np.float32)),  # soft labels
    (ONE_HOT, ONE_HOT),  # a perfect model
    (np.array([[0.25, 0.75]], np.float32), np.array([[0.5, 0.5]], np.float32)),
], ids=["soft labels", "perfect predictions", "distillation targets"])
def test_legitimate_inputs_are_not_mistaken_for_swapped_ones(y_true, y_pred):
    value = losses.categorical_crossentropy(y_true, y_pred).numpy()
    renormalized = np.clip(y_pred / y_pred.sum(axis=1, keepdims=True), 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(value, -(y_true * np.log(renormalized)).sum(axis=1), rtol=1e-5)


@pytest.mark.parametrize("function, method", [
    (np.exp, "exp"), (np.log, "log"), (np.tanh, "tanh"), (np.sqrt, "sqrt"),
    (np.absolute, "abs")])
def test_numpy_functions_on_a_tensor_name_the_tensor_method(function, method):
    with pytest.raises(TypeError, match=rf"np.{function.__name__} cannot take a Tensor: numpy "
                                        rf"functions do not record the graph.*Use "
                                        rf"tensor.{method}\(\) .*or np.{function.__name__}"
                                        r"\(tensor.numpy\(\)\)"):
        function(tg.Tensor([1.0, 2.0], requires_grad=True))


@pytest.mark.parametrize("operation, gradient", [
    (lambda a, t: a * t, [2.0, 3.0]), (lambda a, t: a - t, [-1.0, -1.0]),
    (lambda a, t: a / t, [-2.0, -0.75]), (lambda a, t: a + t, [1.0, 1.0]),
    (lambda a, t: a ** t, [2.0 * np.log(2.0), 9.0 * np.log(3.0)])],
    ids=["mul", "sub", "div", "add", "pow"])
def test_numpy_operators_with_a_tensor_on_the_right_stay_differentiable(operation, gradient):
    array = np.array([2.0, 3.0], np.float32)
    tensor = tg.Tensor([1.0, 2.0], requires_grad=True)
    out = operation(array, tensor)
    assert isinstance(out, tg.Tensor) and out.dtype == np.float32
    out.sum().backward()
    np.testing.assert_allclose(tensor.grad.numpy(), gradient, rtol=1e-6)


def test_ragged_lists_are_named_as_ragged():
    with pytest.raises(ValueError, match=r"Tensor: the nested lists are ragged \(rows of "
                                         r"different lengths\)"):
        tg.Tensor([[1.0, 2.0], [3.0]])
