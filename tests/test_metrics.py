"""Metrics: hand-computed cases, shape rules, errors, and agreement with Keras."""

import os

import numpy as np
import pytest

from tinygrad_edu import metrics
from tinygrad_edu.metrics import (
    AUC,
    BinaryAccuracy,
    CategoricalAccuracy,
    Mean,
    MeanAbsoluteError,
    MeanSquaredError,
    Precision,
    Recall,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    auc,
    binary_accuracy,
    categorical_accuracy,
    mae,
    mse,
    precision,
    recall,
    resolve_metric,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
)


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


# ---------------------------------------------------------------- running means


def test_mean_is_weighted_over_all_samples_not_over_batches():
    m = Mean()
    assert m.result() == 0.0  # nothing seen: 0, not NaN
    m.update_state([1.0, 1.0, 1.0])
    m.update_state([0.0])
    assert m.result() == pytest.approx(0.75)  # 3 of 4 samples, not mean(1, 0) = 0.5
    m.update_state([10.0, 20.0], sample_weight=[0.0, 1.0])
    assert m.result() == pytest.approx((3 + 20) / 5)
    m.reset_state()
    assert m.result() == 0.0 and m(np.float32(2.0)) == 2.0


def test_accuracy_accumulates_like_one_big_batch():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 103)
    scores = rng.random((103, 4))
    metric = SparseCategoricalAccuracy()
    for start in range(0, 103, 32):
        metric.update_state(labels[start:start + 32], scores[start:start + 32])
    expected = np.mean(scores.argmax(1) == labels)
    assert metric.result() == pytest.approx(expected, abs=1e-12)


# ---------------------------------------------------------------- accuracies


def test_binary_accuracy_threshold_and_shapes():
    assert binary_accuracy([1, 0, 1, 0], [0.9, 0.6, 0.5, 0.1]).tolist() == [1, 0, 0, 1]
    assert binary_accuracy([1, 0], [0.4, 0.1], threshold=0.3).tolist() == [1, 1]
    column = binary_accuracy(np.array([1, 0]), np.array([[0.9], [0.9]]))
    assert column.shape == (2, 1) and column.ravel().tolist() == [1, 0]
    metric = BinaryAccuracy()
    assert metric([[1, 0], [1, 1]], [[0.7, 0.2], [0.1, 0.9]]) == pytest.approx(0.75)
    weighted = BinaryAccuracy()([1, 0, 1], [0.9, 0.9, 0.9], sample_weight=[1, 0, 3])
    assert weighted == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"binary_accuracy: y_true shape \(4,\) and y_pred "
                                         r"shape \(4, 3\) differ"):
        binary_accuracy([0, 1, 1, 0], np.zeros((4, 3)))


def test_categorical_and_sparse_accuracy():
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])
    assert categorical_accuracy(np.eye(3)[[1, 1, 2]], scores).tolist() == [1, 0, 1]
    assert sparse_categorical_accuracy([1, 1, 2], scores).tolist() == [1, 0, 1]
    assert sparse_categorical_accuracy([[1], [1], [2]], scores).tolist() == [1, 0, 1]
    assert sparse_categorical_accuracy(np.array([1.0, 0.0, 2.0]), scores).tolist() == [1, 1, 1]
    assert CategoricalAccuracy()(np.eye(3)[[1, 1, 2]], scores) == pytest.approx(2 / 3)


def test_accuracy_errors_suggest_the_right_variant():
    scores = np.zeros((4, 10))
    with pytest.raises(ValueError, match="use sparse_categorical_accuracy"):
        categorical_accuracy(np.arange(4), scores)
    with pytest.raises(ValueError, match="looks one-hot: use categorical_accuracy"):
        sparse_categorical_accuracy(np.eye(10)[:4], scores)
    with pytest.raises(ValueError, match=r"labels must be in 0..9 for 10 classes, found 0..10"):
        sparse_categorical_accuracy([0, 1, 2, 10], scores)
    with pytest.raises(ValueError, match="whole numbers"):
        sparse_categorical_accuracy([0.5, 1, 2, 3], scores)
    with pytest.raises(TypeError, match="numeric"):
        sparse_categorical_accuracy(["a"] * 4, scores)


def test_top_k_counts_ties_and_clamps_k():
    scores = np.array([[0.1, 0.3, 0.3, 0.3], [0.4, 0.3, 0.2, 0.1]])
    onehot = np.eye(4)[[1, 3]]
    # Row 0: class 1 ties with two others for first place -> a hit even for k=1 (as Keras).
    assert top_k_categorical_accuracy(onehot, scores, k=1).tolist() == [1, 0]
    assert top_k_categorical_accuracy(onehot, scores, k=3).tolist() == [1, 0]
    assert top_k_categorical_accuracy(onehot, scores, k=4).tolist() == [1, 1]
    assert top_k_categorical_accuracy(onehot, scores, k=50).tolist() == [1, 1]
    assert TopKCategoricalAccuracy(k=2)(onehot, scores) == pytest.approx(0.5)
    assert SparseTopKCategoricalAccuracy(k=4)([1, 3], scores) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        TopKCategoricalAccuracy(k=0)


# ---------------------------------------------------------------- regression


def test_mse_and_mae_per_sample():
    y_true = np.array([[0.0, 1.0], [2.0, 2.0]])
    y_pred = np.array([[1.0, 1.0], [0.0, 2.0]])
    assert mse(y_true, y_pred).tolist() == [0.5, 2.0]
    assert mae(y_true, y_pred).tolist() == [0.5, 1.0]
    assert MeanSquaredError()(y_true, y_pred) == pytest.approx(1.25)
    assert MeanAbsoluteError()(y_true, y_pred, sample_weight=[1, 3]) == pytest.approx(0.875)
    # (n,) targets against an (n, 1) output: aligned, not broadcast to (n, n).
    assert mse(np.array([1.0, 2.0]), np.array([[1.0], [4.0]])).tolist() == [0.0, 4.0]
    assert mse([1.0, 3.0], [1.0, 1.0]).tolist() == [0.0, 4.0]
    with pytest.raises(ValueError, match=r"mean_squared_error: y_true shape \(2, 3\)"):
        mse(np.zeros((2, 3)), np.zeros((2, 2)))


# ---------------------------------------------------------------- confusion metrics


def test_precision_and_recall_by_hand():
    y_true = [1, 1, 0, 0, 1]
    y_pred = [0.9, 0.2, 0.8, 0.1, 0.7]  # TP = 2, FP = 1, FN = 1
    assert precision(y_true, y_pred) == pytest.approx(2 / 3)
    assert recall(y_true, y_pred) == pytest.approx(2 / 3)
    assert recall(y_true, y_pred, threshold=0.15) == pytest.approx(1.0)
    assert precision([0, 0], [0.1, 0.2]) == 0.0  # no predicted positives: 0, not NaN
    weighted = Precision()(y_true, y_pred, sample_weight=[1, 1, 4, 1, 1])
    assert weighted == pytest.approx(2 / 6)
    per_class = Recall(class_id=1)(np.eye(2)[[1, 1, 0]], np.array([[0.2, 0.8], [0.6, 0.4],
                                                                    [0.3, 0.7]]))
    assert per_class == pytest.approx(0.5)
    with pytest.raises(TypeError, match="thresholds must be one number"):
        Precision(thresholds=[0.3, 0.5])


def test_auc_exact_and_approximate_against_scikit_learn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, 500)
    y_pred = np.clip(0.3 * y_true + rng.random(500) * 0.8, 0, 1)
    y_pred[:50] = np.round(y_pred[:50], 1)  # some ties
    weights = rng.random(500)
    for sample_weight in (None, weights):
        expected = sklearn_metrics.roc_auc_score(y_true, y_pred, sample_weight=sample_weight)
        exact = auc(y_true, y_pred, num_thresholds=None, sample_weight=sample_weight)
        assert exact == pytest.approx(expected, abs=1e-12)
        assert auc(y_true, y_pred, sample_weight=sample_weight) == pytest.approx(expected, abs=5e-3)
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], num_thresholds=None) == 0.75
    streamed = AUC(num_thresholds=None)
    for start in range(0, 500, 128):
        streamed.update_state(y_true[start:start + 128], y_pred[start:start + 128])
    assert streamed.result() == pytest.approx(sklearn_metrics.roc_auc_score(y_true, y_pred))


def test_auc_from_logits_and_degenerate_input():
    logits = np.array([-1000.0, -2.0, 3.0, 1000.0])
    assert AUC(from_logits=True)([0, 0, 1, 1], logits) == pytest.approx(1.0)
    assert auc([1, 1, 1], [0.2, 0.5, 0.9]) == 0.0  # one class only: undefined, reported as 0
    with pytest.raises(ValueError, match="num_thresholds"):
        AUC(num_thresholds=1)


# ---------------------------------------------------------------- names and resolution


@pytest.mark.parametrize("loss, y_shape, pred_shape, expected", [
    ("binary_crossentropy", (32,), None, BinaryAccuracy),
    ("sparse_categorical_crossentropy", (32,), None, SparseCategoricalAccuracy),
    ("categorical_crossentropy", (32, 10), None, CategoricalAccuracy),
    ("mse", (32, 1), (32, 1), BinaryAccuracy),
    (None, (32,), (32, 10), SparseCategoricalAccuracy),
    (None, (32, 1), (32, 10), SparseCategoricalAccuracy),
    (None, (32, 10), (32, 10), CategoricalAccuracy),
    (None, (32,), (32, 1), BinaryAccuracy),
    (None, (32, 1), None, BinaryAccuracy),
    (None, (32, 10), None, CategoricalAccuracy),
    (None, None, None, CategoricalAccuracy),
])
def test_resolve_accuracy(loss, y_shape, pred_shape, expected):
    for name in ("accuracy", "acc", "Accuracy"):
        metric = resolve_metric(name, loss, y_shape, pred_shape)
        assert type(metric) is expected and metric.name == name


def test_resolve_accepts_loss_objects_and_other_metrics():
    class BinaryCrossentropy:
        name = "binary_crossentropy"

    def sparse_categorical_crossentropy(y_true, y_pred):
        return None

    assert type(resolve_metric("accuracy", BinaryCrossentropy())) is BinaryAccuracy
    assert type(resolve_metric("acc", sparse_categorical_crossentropy)) is \
        SparseCategoricalAccuracy
    mse_metric = resolve_metric("mse", "mse")
    assert type(mse_metric) is MeanSquaredError and mse_metric.name == "mse"
    auc_metric = AUC()
    assert resolve_metric(auc_metric) is auc_metric
    custom = resolve_metric(lambda y_true, y_pred: np.abs(y_true - y_pred))
    assert custom([1.0, 2.0], [1.0, 4.0]) == pytest.approx(1.0)


def test_unknown_metric_names_suggest_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'accuracy'"):
        resolve_metric("accuarcy")
    with pytest.raises(ValueError, match="Did you mean 'precision'"):
        metrics.get("precison")
    with pytest.raises(ValueError, match="resolve_metric"):
        metrics.get("accuracy")
    with pytest.raises(TypeError, match="expected a metric name"):
        metrics.get(3)


def test_metric_direction():
    assert metrics.metric_direction("val_loss") == "down"
    assert metrics.metric_direction("val_accuracy") == "up"
    assert metrics.metric_direction("mae") == "down"
    assert metrics.metric_direction("val_auc") == "up"
    assert metrics.metric_direction("learning_rate") is None
    assert Recall.direction == "up" and MeanAbsoluteError.direction == "down"


# ---------------------------------------------------------------- agreement with Keras


def _compare_with_keras(ours, theirs, batches, rel=1e-5):
    for args in batches:
        ours.update_state(*args[:2], sample_weight=args[2] if len(args) > 2 else None)
        theirs.update_state(*args)
    expected = float(np.asarray(theirs.result()))
    assert ours.result() == pytest.approx(expected, rel=rel, abs=1e-6)


def _batches(rng, make, count=3, weighted=False):
    out = []
    for size in (32, 32, 17)[:count]:
        y_true, y_pred = make(rng, size)
        out.append((y_true, y_pred, rng.random(size)) if weighted else (y_true, y_pred))
    return out


def _binary(rng, size, column=True):
    shape = (size, 1) if column else (size,)
    return rng.integers(0, 2, shape).astype(np.float32), rng.random(shape).astype(np.float32)


def _onehot(rng, size, classes=7):
    labels = rng.integers(0, classes, size)
    return np.eye(classes, dtype=np.float32)[labels], rng.random((size, classes)).astype(np.float32)


def _sparse(rng, size, classes=7):
    return rng.integers(0, classes, size), rng.random((size, classes)).astype(np.float32)


@pytest.mark.parametrize("weighted", [False, True])
def test_accuracies_match_keras(keras, weighted):
    rng = np.random.default_rng(2)
    cases = [
        (BinaryAccuracy(), keras.metrics.BinaryAccuracy(), _binary),
        (BinaryAccuracy(), keras.metrics.BinaryAccuracy(),
         lambda r, n: _binary(r, n, column=False)),
        (BinaryAccuracy(threshold=0.7), keras.metrics.BinaryAccuracy(threshold=0.7), _binary),
        (CategoricalAccuracy(), keras.metrics.CategoricalAccuracy(), _onehot),
        (SparseCategoricalAccuracy(), keras.metrics.SparseCategoricalAccuracy(), _sparse),
        (TopKCategoricalAccuracy(), keras.metrics.TopKCategoricalAccuracy(), _onehot),
        (TopKCategoricalAccuracy(k=2), keras.metrics.TopKCategoricalAccuracy(k=2), _onehot),
        (SparseTopKCategoricalAccuracy(k=3), keras.metrics.SparseTopKCategoricalAccuracy(k=3),
         _sparse),
        (MeanSquaredError(), keras.metrics.MeanSquaredError(), _onehot),
        (MeanAbsoluteError(), keras.metrics.MeanAbsoluteError(), _onehot),
    ]
    for ours, theirs, make in cases:
        _compare_with_keras(ours, theirs, _batches(rng, make, weighted=weighted))


def test_top_k_ties_match_keras(keras):
    scores = np.round(np.random.default_rng(3).random((64, 6)), 1).astype(np.float32)
    onehot = np.eye(6, dtype=np.float32)[np.random.default_rng(4).integers(0, 6, 64)]
    for k in (1, 2, 5):
        _compare_with_keras(TopKCategoricalAccuracy(k=k),
                            keras.metrics.TopKCategoricalAccuracy(k=k), [(onehot, scores)])


@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_metrics_match_keras(keras, weighted):
    rng = np.random.default_rng(5)
    cases = [
        (Precision(), keras.metrics.Precision(), _binary),
        (Recall(), keras.metrics.Recall(), _binary),
        (Precision(thresholds=0.3), keras.metrics.Precision(thresholds=0.3),
         lambda r, n: _binary(r, n, column=False)),
        (Recall(thresholds=0.8), keras.metrics.Recall(thresholds=0.8), _binary),
        (Precision(class_id=2), keras.metrics.Precision(class_id=2), _onehot),
        (AUC(), keras.metrics.AUC(), _binary),
        (AUC(), keras.metrics.AUC(), lambda r, n: _binary(r, n, column=False)),
        (AUC(num_thresholds=17), keras.metrics.AUC(num_thresholds=17), _binary),
        (AUC(), keras.metrics.AUC(), _onehot),  # multi-column, flattened like Keras
    ]
    for ours, theirs, make in cases:
        _compare_with_keras(ours, theirs, _batches(rng, make, weighted=weighted), rel=1e-4)


def test_accuracy_resolution_matches_keras(keras):
    """The accuracy that "accuracy" means for each pair of shapes, through Keras's public API:
    a model that passes its input through, evaluated with metrics=["accuracy"]. With random
    data the binary, categorical and sparse accuracies all differ, so the values tell them
    apart."""
    rng = np.random.default_rng(5)
    for y_shape, pred_shape in [((64,), (64, 1)), ((64, 1), (64, 1)), ((64,), (64, 5)),
                                ((64, 1), (64, 5)), ((64, 5), (64, 5))]:
        classes = pred_shape[1] if pred_shape[1] > 1 else 2
        y_pred = rng.random(pred_shape).astype(np.float32)
        if y_shape == pred_shape and classes > 2:
            y_true = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, y_shape[0])]
        else:
            y_true = rng.integers(0, classes, y_shape).astype(np.float32)
        model = keras.Sequential([keras.Input(pred_shape[1:]), keras.layers.Identity()])
        model.compile(loss=lambda y, p: keras.ops.mean(p) * 0.0, metrics=["accuracy"])
        theirs = model.evaluate(y_pred, y_true, batch_size=64, verbose=0,
                                return_dict=True)["accuracy"]
        ours = resolve_metric("accuracy", None, y_shape, pred_shape)
        ours.update_state(y_true, y_pred)
        assert ours.result() == pytest.approx(theirs, abs=1e-6), (y_shape, pred_shape)
