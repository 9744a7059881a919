"""Losses of class labels: nll_loss, the sparse cross-entropy's ignore_class and
label_smoothing, and the binary cross-entropy's label_smoothing, against PyTorch and Keras."""

import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import functional, losses

RNG = np.random.default_rng(4)
LOGITS = RNG.normal(size=(6, 4)) * 2
LABELS = np.array([0, 3, 1, -1, 2, -1])


def _torch():
    return pytest.importorskip("torch")


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def _numpy(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


# ----- nll_loss ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_matches_torch(reduction, weighted):
    torch = _torch()
    labels = np.where(LABELS < 0, -100, LABELS)
    weight = np.array([1.0, 2.0, 0.5, 3.0]) if weighted else None
    z = tg.Tensor(LOGITS, requires_grad=True, dtype="float64")
    ours = losses.nll_loss(functional.log_softmax(z), labels, weight=weight, reduction=reduction)
    zt = torch.tensor(LOGITS, requires_grad=True)
    theirs = torch.nn.functional.nll_loss(
        torch.log_softmax(zt, -1), torch.tensor(labels),
        weight=None if weight is None else torch.tensor(weight), reduction=reduction)
    np.testing.assert_allclose(ours.numpy(), _numpy(theirs), rtol=1e-12)
    upstream = RNG.normal(size=ours.shape)
    ours.backward(tg.Tensor(upstream, dtype="float64"))
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(z.grad.numpy(), zt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_nll_loss_checks_its_inputs():
    log_p = functional.log_softmax(tg.Tensor(LOGITS))
    with pytest.raises(ValueError, match="nll_loss.*reduction"):
        losses.nll_loss(log_p, [0] * 6, reduction="avg")
    with pytest.raises(ValueError, match="nll_loss.*labels"):
        losses.nll_loss(log_p, [0, 4, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="nll_loss.*weight"):
        losses.nll_loss(log_p, [0] * 6, weight=[1.0, 2.0])
    assert losses.nll_loss(log_p, [-100] * 6).item() == 0.0  # nothing kept: 0, not NaN


# ----- sparse categorical cross-entropy --------------------------------------------------------


@pytest.mark.parametrize("from_logits", [True, False])
def test_sparse_ignore_class_matches_keras(from_logits):
    keras = _keras()
    y_pred = LOGITS if from_logits else np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
    y_pred = y_pred.astype(np.float32)
    ours_values = losses.sparse_categorical_crossentropy(LABELS, y_pred, from_logits,
                                                         ignore_class=-1)
    theirs_values = keras.losses.sparse_categorical_crossentropy(
        LABELS, y_pred, from_logits=from_logits, ignore_class=-1)
    np.testing.assert_allclose(ours_values.numpy(), _numpy(theirs_values), rtol=1e-5, atol=1e-6)
    ours = losses.SparseCategoricalCrossentropy(from_logits, -1)(LABELS, y_pred)
    theirs = keras.losses.SparseCategoricalCrossentropy(from_logits, -1)(LABELS, y_pred)
    np.testing.assert_allclose(ours.item(), float(_numpy(theirs)), rtol=1e-5)


def test_sparse_ignore_class_averages_over_the_kept_entries_and_passes_no_gradient():
    z = tg.Tensor(LOGITS, requires_grad=True, dtype="float64")
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(LABELS, z)
    kept = LABELS >= 0
    expected = losses.sparse_categorical_crossentropy(
        LABELS[kept], tg.Tensor(LOGITS[kept], dtype="float64"), True)
    np.testing.assert_allclose(loss.item(), expected.numpy().mean(), rtol=1e-12)
    loss.backward()
    assert np.all(z.grad.numpy()[~kept] == 0) and np.all(z.grad.numpy()[kept] != 0)


@pytest.mark.parametrize("smoothing", [0.1, 0.3])
def test_sparse_label_smoothing_matches_torch_and_the_one_hot_form(smoothing):
    torch = _torch()
    labels = np.where(LABELS < 0, 1, LABELS)
    z = tg.Tensor(LOGITS, requires_grad=True, dtype="float64")
    ours = losses.SparseCategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)(
        labels, z)
    zt = torch.tensor(LOGITS, requires_grad=True)
    theirs = torch.nn.functional.cross_entropy(zt, torch.tensor(labels),
                                               label_smoothing=smoothing)
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(z.grad.numpy(), zt.grad.numpy(), rtol=1e-10, atol=1e-14)
    probabilities = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
    one_hot = losses.categorical_crossentropy(np.eye(4)[labels], probabilities,
                                              label_smoothing=smoothing)
    sparse = losses.sparse_categorical_crossentropy(labels, probabilities,
                                                    label_smoothing=smoothing)
    np.testing.assert_allclose(sparse.numpy(), one_hot.numpy(), rtol=1e-6)


def test_sparse_options_are_checked_and_configured():
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.sparse_categorical_crossentropy([0], [[0.5, 0.5]], label_smoothing=1.5)
    loss = losses.SparseCategoricalCrossentropy(True, 255, label_smoothing=0.1)
    assert loss.get_config()["ignore_class"] == 255
    assert loss.get_config()["label_smoothing"] == 0.1
    assert losses.get_loss("sparse_categorical_crossentropy").get_config()["ignore_class"] is None


# ----- binary cross-entropy ---------------------------------------------------------------------


@pytest.mark.parametrize("from_logits", [True, False])
def test_binary_label_smoothing_matches_keras(from_logits):
    keras = _keras()
    y_true = (RNG.random((5, 3)) > 0.5).astype(np.float32)
    y_pred = RNG.normal(size=(5, 3)).astype(np.float32)
    if not from_logits:
        y_pred = 1 / (1 + np.exp(-y_pred))
    ours = losses.BinaryCrossentropy(from_logits, 0.2)(y_true, y_pred)
    theirs = keras.losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=0.2)(
        y_true, y_pred)
    np.testing.assert_allclose(ours.item(), float(_numpy(theirs)), rtol=1e-5)


def test_binary_label_smoothing_matches_its_formula():
    y_true = np.array([[1.0, 0.0, 1.0]])
    logits = np.array([[2.0, -1.0, 0.5]])
    ours = losses.binary_crossentropy(y_true, logits, from_logits=True, label_smoothing=0.1)
    smoothed = y_true * 0.9 + 0.05
    p = 1 / (1 + np.exp(-logits))
    expected = -(smoothed * np.log(p) + (1 - smoothed) * np.log(1 - p)).mean(-1)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-6)
