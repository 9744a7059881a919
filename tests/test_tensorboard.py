"""The TensorBoard callback's event files, read back with TensorBoard's own reader: the
scalars equal History's, batch scalars follow update_freq, histograms hold the weights and
gradients of that epoch, the graph lists the layers."""

import sys

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator")

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu.callbacks import LambdaCallback, TensorBoard  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.random((20, 3)).astype("float32")
Y = np.eye(2, dtype="float32")[RNG.integers(0, 2, 20)]


def model():
    tg.manual_seed(0)
    net = nn.Sequential([nn.Dense(4, activation="relu", input_shape=(3,), name="hidden"),
                         nn.BatchNormalization(name="norm"),
                         nn.Dense(2, activation="softmax", name="out")], name="net")
    net.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return net


def read(folder):
    accumulator = event_accumulator.EventAccumulator(
        str(folder), size_guidance={"scalars": 0, "histograms": 0, "graph": 1})
    accumulator.Reload()
    return accumulator


def scalars(accumulator, tag):
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


def test_epoch_scalars_equal_history_in_keras_run_folders(tmp_path):
    history = model().fit(X, Y, batch_size=8, epochs=3, verbose=0, shuffle=False,
                          validation_data=(X[:6], Y[:6]),
                          callbacks=[TensorBoard(tmp_path)]).history
    train, validation = read(tmp_path / "train"), read(tmp_path / "validation")
    for key in ("loss", "accuracy"):
        steps, values = zip(*scalars(train, f"epoch_{key}"))
        assert steps == (0, 1, 2)
        np.testing.assert_allclose(values, history[key], rtol=1e-6)
        steps, values = zip(*scalars(validation, f"epoch_{key}"))
        np.testing.assert_allclose(values, history[f"val_{key}"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in scalars(train, "epoch_learning_rate")],
                               [1e-3] * 3, rtol=1e-6)
    iterations = scalars(validation, "evaluation_loss_vs_iterations")
    assert [step for step, _ in iterations] == [3, 6, 9]
    np.testing.assert_allclose([v for _, v in iterations], history["val_loss"], rtol=1e-6)
    assert "batch_loss" not in train.Tags()["scalars"]  # update_freq="epoch"


@pytest.mark.parametrize("update_freq, expected_steps", [("batch", list(range(1, 10))),
                                                         (2, [2, 4, 6, 8])])
def test_batch_scalars_follow_update_freq(tmp_path, update_freq, expected_steps):
    batch_losses = []
    recorder = LambdaCallback(on_train_batch_end=lambda b, logs: batch_losses.append(
        logs["loss"]))
    model().fit(X, Y, batch_size=8, epochs=3, verbose=0, shuffle=False,
                callbacks=[TensorBoard(tmp_path, update_freq=update_freq), recorder])
    logged = scalars(read(tmp_path / "train"), "batch_loss")
    assert [step for step, _ in logged] == expected_steps
    np.testing.assert_allclose([value for _, value in logged],
                               [batch_losses[step - 1] for step in expected_steps], rtol=1e-6)


def test_histograms_hold_the_epochs_weights_and_last_gradients(tmp_path):
    weights, gradients = [], []

    def remember_gradients(batch, logs):
        gradients.append({p.name: p.grad.numpy().copy() for p in net.parameters()})

    def remember_weights(epoch, logs):
        weights.append({path: array for path, array in net.state_dict().items()})

    net = model()
    net.fit(X, Y, batch_size=8, epochs=4, verbose=0, shuffle=False,
            callbacks=[TensorBoard(tmp_path, histogram_freq=2),
                       LambdaCallback(on_train_batch_end=remember_gradients,
                                      on_epoch_end=remember_weights)])
    accumulator = read(tmp_path / "train")
    tags = accumulator.Tags()["histograms"]
    assert "hidden/kernel/histogram" in tags and "norm/moving_mean/histogram" in tags
    assert "hidden/kernel/gradient" in tags and "norm/moving_mean/gradient" not in tags
    kernel = accumulator.Histograms("hidden/kernel/histogram")
    assert [event.step for event in kernel] == [0, 2]
    for event, epoch in zip(kernel, (0, 2)):
        values = weights[epoch]["hidden.kernel"]
        assert event.histogram_value.num == values.size
        np.testing.assert_allclose(event.histogram_value.sum, values.sum(), rtol=1e-5)
        np.testing.assert_allclose(event.histogram_value.min, values.min(), rtol=1e-6)
    steps_per_epoch = 3
    gradient = accumulator.Histograms("out/bias/gradient")
    for event, epoch in zip(gradient, (0, 2)):
        last = gradients[(epoch + 1) * steps_per_epoch - 1]["out.bias"]
        np.testing.assert_allclose(event.histogram_value.sum, last.sum(), atol=1e-6)
        np.testing.assert_allclose(event.histogram_value.sum_squares, (last ** 2).sum(),
                                   rtol=1e-5)


def test_the_graph_lists_the_layers_in_order(tmp_path):
    model().fit(X, Y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    graph = read(tmp_path / "train").Graph()
    assert [(node.name, node.op, list(node.input)) for node in graph.node] == [
        ("net/input", "Placeholder", []), ("net/hidden", "Dense", ["net/input"]),
        ("net/norm", "BatchNormalization", ["net/hidden"]),
        ("net/out", "Dense", ["net/norm"])]
    model().fit(X, Y, epochs=1, verbose=0,
                callbacks=[TensorBoard(tmp_path / "nograph", write_graph=False)])
    with pytest.raises(ValueError):
        read(tmp_path / "nograph" / "train").Graph()


def test_missing_tensorboardx_and_bad_arguments_are_clear(monkeypatch):
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard("logs", histogram_freq=-1)
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard("logs", update_freq="sometimes")
    with pytest.raises(ValueError, match="write_images"):
        TensorBoard("logs", write_images=True)
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match="pip install"):
        TensorBoard("logs")


def test_a_functional_models_graph_has_its_calls_as_edges(tmp_path):
    a, b = nn.Input((3,), name="a"), nn.Input((2,), name="b")
    shared = nn.Dense(2, name="shared")
    out = nn.Add(name="sum")([shared(a), nn.Dense(2, name="side")(b)])
    net = nn.Model([a, b], nn.Dense(1, name="out")(out), name="fn")
    net.compile(optimizer="sgd", loss="mse")
    net.fit([X, X[:, :2]], Y[:, :1], epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    edges = {node.name: list(node.input) for node in read(tmp_path / "train").Graph().node}
    assert edges == {"fn/a": [], "fn/b": [], "fn/shared": ["fn/a"], "fn/side": ["fn/b"],
                     "fn/sum": ["fn/shared", "fn/side"], "fn/out": ["fn/sum"]}
