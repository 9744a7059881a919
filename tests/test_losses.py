"""Losses (tinygrad_edu.losses): Keras's formulas, clipping and reductions, PyTorch's values
and gradients, lookup by name and the errors for mismatched labels."""

import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import functional, losses
from tinygrad_edu.gradcheck import gradcheck

RNG = np.random.default_rng(0)
N, C = 6, 4
ONE_HOT = np.eye(C)[RNG.integers(0, C, N)]
LABELS = ONE_HOT.argmax(-1)
PROBS = RNG.dirichlet(np.ones(C), size=N)
PROBS[0] = [1.0, 0.0, 0.0, 0.0]  # exact 0 and 1: only clipping keeps the log finite
LOGITS = RNG.normal(scale=3.0, size=(N, C))
TARGETS = RNG.normal(size=(N, C))
BINARY = (RNG.random((N, C)) > 0.5).astype(np.float64)
BINARY_PROBS = RNG.random((N, C))
BINARY_PROBS[0, :2] = [0.0, 1.0]

# name -> (y_true, y_pred): every loss, on inputs that exercise its special cases
KERAS_CASES = {
    "mean_squared_error": (TARGETS, LOGITS),
    "mean_absolute_error": (TARGETS, LOGITS),
    "mean_absolute_percentage_error": (np.where(np.abs(TARGETS) < 0.1, 0.0, TARGETS), LOGITS),
    "mean_squared_logarithmic_error": (np.abs(TARGETS), LOGITS),  # negative y_pred clipped
    "binary_crossentropy": (BINARY, BINARY_PROBS),
    "categorical_crossentropy": (ONE_HOT, PROBS),
    "sparse_categorical_crossentropy": (LABELS, PROBS),
    "huber": (TARGETS, LOGITS),
    "hinge": (BINARY, LOGITS),  # {0, 1} labels become {-1, 1}
    "kl_divergence": (PROBS[::-1], PROBS),
    "log_cosh": (TARGETS, LOGITS * 100),  # large errors: cosh would overflow
}


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def _numpy(value):
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def _ours_and_grad(loss, y_true, y_pred, dtype=np.float32):
    prediction = tg.Tensor(y_pred, requires_grad=True, dtype=dtype)
    value = loss(y_true, prediction)
    value.backward()
    return value.numpy(), prediction.grad.numpy()


@pytest.mark.parametrize("name", sorted(KERAS_CASES))
def test_matches_keras_values_and_gradients(keras, name):
    import torch

    y_true, y_pred = KERAS_CASES[name]
    y_true = y_true.astype(np.int64 if y_true.dtype.kind == "i" else np.float32)
    y_pred = y_pred.astype(np.float32)
    keras_loss = keras.losses.get(name) if name != "huber" else keras.losses.Huber()
    prediction = torch.tensor(y_pred, requires_grad=True)
    expected = keras_loss(torch.tensor(y_true), prediction)
    expected = expected.mean() if expected.ndim else expected
    expected.backward()

    value, grad = _ours_and_grad(losses.get_loss(name), y_true, y_pred)
    assert np.isfinite(value) and np.isfinite(grad).all()
    np.testing.assert_allclose(value, _numpy(expected), rtol=1e-5)
    np.testing.assert_allclose(grad, _numpy(prediction.grad), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("cls_name, y_true", [("BinaryCrossentropy", BINARY),
                                              ("CategoricalCrossentropy", ONE_HOT),
                                              ("SparseCategoricalCrossentropy", LABELS)])
def test_from_logits_matches_keras(keras, cls_name, y_true):
    import torch

    logits = LOGITS.astype(np.float32)
    prediction = torch.tensor(logits, requires_grad=True)
    expected = getattr(keras.losses, cls_name)(from_logits=True)(torch.tensor(y_true), prediction)
    expected.backward()
    value, grad = _ours_and_grad(getattr(losses, cls_name)(from_logits=True), y_true, logits)
    np.testing.assert_allclose(value, _numpy(expected), rtol=1e-5)
    np.testing.assert_allclose(grad, _numpy(prediction.grad), rtol=1e-4, atol=1e-7)


def test_label_smoothing_matches_keras(keras):
    for cls_name, y_true, y_pred in (("BinaryCrossentropy", BINARY, BINARY_PROBS),
                                     ("CategoricalCrossentropy", ONE_HOT, PROBS)):
        for from_logits in (False, True):
            inputs = LOGITS if from_logits else y_pred
            expected = getattr(keras.losses, cls_name)(from_logits=from_logits,
                                                       label_smoothing=0.2)(y_true, inputs)
            ours = getattr(losses, cls_name)(from_logits=from_logits, label_smoothing=0.2)
            np.testing.assert_allclose(ours(y_true, inputs).numpy(), _numpy(expected),
                                       rtol=1e-5)


def test_categorical_crossentropy_renormalizes_then_clips():
    """Keras's formula on probabilities: p / sum(p), clipped to [1e-7, 1 - 1e-7], then log."""
    scores = np.array([[2.0, 1.0, 1.0], [0.0, 0.0, 3.0]])
    y = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    expected = [-np.log(0.5), -np.log(1e-7)]
    got = losses.categorical_crossentropy(y, tg.Tensor(scores, dtype=np.float64))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9)


def test_softmax_output_with_extreme_logits_is_clipped_not_infinite():
    z = tg.Tensor([[1000.0, -1000.0]], requires_grad=True)
    loss = losses.categorical_crossentropy([[0.0, 1.0]], functional.softmax(z))
    loss.sum().backward()
    np.testing.assert_allclose(loss.item(), -np.log(np.float32(1e-7)), rtol=1e-5)
    assert np.isfinite(z.grad.numpy()).all()
    fused = losses.CategoricalCrossentropy(from_logits=True)([[0.0, 1.0]], z)
    assert fused.item() == 2000.0  # the fused op does not clip: the true cross-entropy


def test_binary_crossentropy_clipping_bound():
    value = losses.binary_crossentropy([[1.0]], tg.Tensor([[0.0]], dtype=np.float64))
    np.testing.assert_allclose(value.numpy(), [-np.log(1e-7)], rtol=1e-9)


# ----- against PyTorch --------------------------------------------------------------------------


def _torch_case(name, torch):
    fn = torch.nn.functional
    t = torch.tensor
    return {
        "mean_squared_error": (TARGETS, LOGITS, lambda y, p: fn.mse_loss(p, t(y))),
        "mean_absolute_error": (TARGETS, LOGITS, lambda y, p: fn.l1_loss(p, t(y))),
        "huber": (TARGETS, LOGITS, lambda y, p: fn.huber_loss(p, t(y), delta=1.0)),
        "binary_crossentropy": (BINARY, np.clip(BINARY_PROBS, 0.01, 0.99),
                                lambda y, p: fn.binary_cross_entropy(p, t(y))),
        "categorical_crossentropy": (ONE_HOT, np.clip(PROBS, 0.01, 1.0),
                                     lambda y, p: fn.nll_loss(
                                         torch.log(p / p.sum(-1, keepdim=True)), t(LABELS))),
        "kl_divergence": (np.clip(PROBS[::-1], 0.01, 1.0), np.clip(PROBS, 0.01, 1.0),
                          lambda y, p: fn.kl_div(torch.log(p), t(y), reduction="sum") / N),
    }[name]


@pytest.mark.parametrize("name", ["mean_squared_error", "mean_absolute_error", "huber",
                                  "binary_crossentropy", "categorical_crossentropy",
                                  "kl_divergence"])
def test_matches_torch_functional(name):
    torch = pytest.importorskip("torch")
    y_true, y_pred, reference = _torch_case(name, torch)
    prediction = torch.tensor(y_pred, requires_grad=True)
    expected = reference(y_true, prediction)
    expected.backward()  # torch's mean over all elements = the mean of Keras's per-row means
    value, grad = _ours_and_grad(losses.get_loss(name), y_true, y_pred, np.float64)
    np.testing.assert_allclose(value, expected.item(), rtol=1e-10)
    np.testing.assert_allclose(grad, prediction.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cls, y_true, reference", [
    ("CategoricalCrossentropy", ONE_HOT, lambda fn, z, t: fn.cross_entropy(z, t(ONE_HOT))),
    ("SparseCategoricalCrossentropy", LABELS, lambda fn, z, t: fn.cross_entropy(z, t(LABELS))),
    ("BinaryCrossentropy", BINARY,
     lambda fn, z, t: fn.binary_cross_entropy_with_logits(z, t(BINARY))),
])
def test_from_logits_matches_torch(cls, y_true, reference):
    torch = pytest.importorskip("torch")
    logits = torch.tensor(LOGITS, requires_grad=True)
    expected = reference(torch.nn.functional, logits, torch.tensor)
    expected.backward()
    value, grad = _ours_and_grad(getattr(losses, cls)(from_logits=True), y_true, LOGITS,
                                 np.float64)
    np.testing.assert_allclose(value, expected.item(), rtol=1e-10)
    np.testing.assert_allclose(grad, logits.grad.numpy(), rtol=1e-9, atol=1e-12)


def _torch_expressions(torch):
    """The losses torch.nn.functional lacks, written as torch expressions (Keras's formulas)."""
    eps = 1e-7

    def mape(y, p):
        return (100 * ((y - p).abs() / y.abs().clamp(min=eps)).mean(-1)).mean()

    def msle(y, p):
        return ((torch.log1p(p.clamp(min=eps)) - torch.log1p(y.clamp(min=eps))) ** 2).mean()

    def hinge(y, p):
        return torch.relu(1 - (2 * y - 1) * p).mean()

    def log_cosh(y, p):
        return torch.log(torch.cosh(p - y)).mean()

    def sparse(y, p):
        q = (p / p.sum(-1, keepdim=True)).clamp(eps, 1 - eps)
        return torch.nn.functional.nll_loss(torch.log(q), y)

    return {
        "mean_absolute_percentage_error": (TARGETS, LOGITS, mape),
        "mean_squared_logarithmic_error": (np.abs(TARGETS), LOGITS, msle),
        "hinge": (BINARY, LOGITS, hinge),
        "log_cosh": (TARGETS, LOGITS, log_cosh),
        "sparse_categorical_crossentropy": (LABELS, PROBS, sparse),
    }


@pytest.mark.parametrize("name", ["mean_absolute_percentage_error",
                                  "mean_squared_logarithmic_error", "hinge", "log_cosh",
                                  "sparse_categorical_crossentropy"])
def test_matches_torch_expressions(name):
    torch = pytest.importorskip("torch")
    y_true, y_pred, reference = _torch_expressions(torch)[name]
    prediction = torch.tensor(y_pred, requires_grad=True)
    expected = reference(torch.tensor(y_true), prediction)
    expected.backward()
    value, grad = _ours_and_grad(losses.get_loss(name), y_true, y_pred, np.float64)
    np.testing.assert_allclose(value, expected.item(), rtol=1e-10)
    np.testing.assert_allclose(grad, prediction.grad.numpy(), rtol=1e-9, atol=1e-12)


# ----- gradients by finite differences -------------------------------------------------------


@pytest.mark.parametrize("name", ["mean_absolute_percentage_error",
                                  "mean_squared_logarithmic_error", "hinge", "log_cosh"])
def test_gradcheck(name):
    y_true, y_pred = KERAS_CASES[name]
    if name == "mean_absolute_percentage_error":
        y_true = TARGETS  # no zero targets: those divide by epsilon = 1e-7
    loss = losses.get_loss(name)
    prediction = tg.Tensor(y_pred + 0.05, requires_grad=True, dtype=np.float64)
    assert gradcheck(lambda p: loss(y_true, p), [prediction])


# ----- reductions, sample weights, shapes -----------------------------------------------------


def test_functions_return_one_value_per_sample_and_classes_reduce():
    per_sample = losses.mean_squared_error(TARGETS, tg.Tensor(LOGITS, dtype=np.float64))
    assert per_sample.shape == (N,)
    np.testing.assert_allclose(per_sample.numpy(), ((LOGITS - TARGETS) ** 2).mean(-1))
    mse = losses.MeanSquaredError
    prediction = tg.Tensor(LOGITS, dtype=np.float64)
    np.testing.assert_allclose(mse()(TARGETS, prediction).item(), per_sample.numpy().mean())
    np.testing.assert_allclose(mse(reduction="mean")(TARGETS, prediction).item(),
                               per_sample.numpy().mean())
    np.testing.assert_allclose(mse(reduction="sum")(TARGETS, prediction).item(),
                               per_sample.numpy().sum())
    np.testing.assert_allclose(mse(reduction="none")(TARGETS, prediction).numpy(),
                               per_sample.numpy())
    np.testing.assert_allclose(mse(reduction=None)(TARGETS, prediction).numpy(),
                               per_sample.numpy())


def test_sample_weight(keras):
    weights = RNG.random(N)
    prediction = tg.Tensor(LOGITS, dtype=np.float64)
    per_sample = losses.mean_squared_error(TARGETS, prediction).numpy()
    ours = losses.MeanSquaredError()(TARGETS, prediction, sample_weight=weights)
    np.testing.assert_allclose(ours.item(), (per_sample * weights).mean())
    expected = keras.losses.MeanSquaredError()(TARGETS, LOGITS, sample_weight=weights)
    np.testing.assert_allclose(ours.item(), _numpy(expected), rtol=1e-5)
    weighted = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    np.testing.assert_allclose(weighted(TARGETS, prediction, sample_weight=weights).item(),
                               (per_sample * weights).sum() / weights.sum())
    with pytest.raises(ValueError, match="sample_weight"):
        losses.MeanSquaredError()(TARGETS, prediction, sample_weight=np.ones(N + 1))


def test_trailing_axis_of_one_is_aligned_like_keras():
    y_true = np.array([0.0, 1.0, 1.0])
    y_pred = tg.Tensor([[0.2], [0.7], [0.9]], dtype=np.float64)
    per_sample = losses.mean_squared_error(y_true, y_pred)
    np.testing.assert_allclose(per_sample.numpy(), [0.04, 0.09, 0.01])
    column = losses.binary_crossentropy(y_true[:, None], y_pred.reshape(3))
    assert column.shape == ()  # Keras averages over the last (only) axis


def test_outputs_stay_float32():
    for name in KERAS_CASES:
        y_true, y_pred = KERAS_CASES[name]
        value, grad = _ours_and_grad(losses.get_loss(name), y_true, y_pred)
        assert value.dtype == np.float32 and grad.dtype == np.float32, name


# ----- names --------------------------------------------------------------------------------


@pytest.mark.parametrize("alias, cls", [
    ("mse", losses.MeanSquaredError), ("MAE", losses.MeanAbsoluteError),
    ("mape", losses.MeanAbsolutePercentageError), ("msle", losses.MeanSquaredLogarithmicError),
    ("bce", losses.BinaryCrossentropy), ("cce", losses.CategoricalCrossentropy),
    ("scce", losses.SparseCategoricalCrossentropy), ("kld", losses.KLDivergence),
    ("kullback_leibler_divergence", losses.KLDivergence), ("logcosh", losses.LogCosh),
    ("huber", losses.Huber), ("hinge", losses.Hinge),
    ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy),
])
def test_get_loss_names_and_aliases(alias, cls):
    assert type(losses.get_loss(alias)) is cls


def test_get_loss_objects_and_callables():
    loss = losses.Huber(delta=2.0)
    assert losses.get_loss(loss) is loss
    assert type(losses.get_loss(losses.Hinge)) is losses.Hinge
    assert type(losses.get_loss(losses.log_cosh)) is losses.LogCosh

    def doubled_mae(y_true, y_pred):
        return losses.mean_absolute_error(y_true, y_pred) * 2.0

    wrapped = losses.get_loss(doubled_mae)
    prediction = tg.Tensor(LOGITS, dtype=np.float64)
    np.testing.assert_allclose(wrapped(TARGETS, prediction).item(),
                               2 * np.abs(LOGITS - TARGETS).mean())


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'categorical_crossentropy'"):
        losses.get_loss("categorical_crossentropi")
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        losses.get_loss("mes")
    with pytest.raises(ValueError, match="Did you mean 'sum'"):
        losses.MeanSquaredError(reduction="summ")
    with pytest.raises(TypeError, match="get_loss"):
        losses.get_loss(3)


def test_keras_argument_order_and_config():
    bce = losses.BinaryCrossentropy(True, 0.1)
    assert bce.get_config() == {"name": "binary_crossentropy",
                                "reduction": "sum_over_batch_size", "from_logits": True,
                                "label_smoothing": 0.1, "axis": -1}
    twin = losses.BinaryCrossentropy.from_config(bce.get_config())
    assert twin.get_config() == bce.get_config()
    assert losses.Huber(0.5, "sum").reduction == "sum"
    with pytest.raises(TypeError, match="unexpected arguments"):
        losses.MeanSquaredError(from_logits=True)


# ----- mismatched labels ---------------------------------------------------------------------


def test_integer_labels_given_to_categorical_crossentropy():
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*to_categorical"):
        losses.categorical_crossentropy(LABELS, PROBS)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy"):
        losses.CategoricalCrossentropy()(LABELS[:, None], PROBS)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy"):
        losses.get_loss("mse")(LABELS, PROBS)


def test_one_hot_labels_given_to_sparse_categorical_crossentropy():
    with pytest.raises(ValueError, match="one-hot.*categorical_crossentropy"):
        losses.sparse_categorical_crossentropy(ONE_HOT, PROBS)


def test_other_shape_mismatches():
    with pytest.raises(ValueError, match=r"mean_squared_error: y_true has shape \(6, 3\)"):
        losses.mean_squared_error(TARGETS[:, :3], LOGITS)
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        losses.sparse_categorical_crossentropy(LABELS + 1, PROBS)
    with pytest.raises(TypeError, match="y_pred must be floating"):
        losses.mean_squared_error(TARGETS, LABELS)
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.binary_crossentropy(BINARY, BINARY_PROBS, label_smoothing=2.0)
    with pytest.raises(ValueError, match="delta"):
        losses.huber(TARGETS, LOGITS, delta=0.0)
