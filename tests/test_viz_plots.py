"""Plots: non-blank figures with the expected panels, labels, legends and plotted numbers."""

import types

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
from viz.activations import (  # noqa: E402
    activation_derivative,
    plot_activation_functions,
    plot_activation_histograms,
)
from viz.optimizers import optimizer_paths, plot_optimizer_paths  # noqa: E402
from viz.training import (  # noqa: E402
    confusion_matrix,
    plot_confusion_matrix,
    plot_history,
    plot_softmax,
)


def assert_drawn(figure, panels):
    """The figure is a matplotlib Figure with ``panels`` visible axes and is not blank."""
    assert isinstance(figure, Figure)
    visible = [ax for ax in figure.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert len(visible) == panels
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3].astype(np.float64)
    assert pixels.std() > 10.0  # a blank canvas has std 0
    return visible


def legend_texts(ax):
    legend = ax.get_legend()
    return [text.get_text() for text in legend.get_texts()] if legend else []


# ----- plot_history ---------------------------------------------------------------------------
HISTORY = {"loss": [1.0, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.8],
           "val_loss": [1.1, 0.8, 0.7], "val_accuracy": [0.45, 0.6, 0.7]}


def test_history_one_panel_per_metric_with_train_and_validation():
    axes = assert_drawn(plot_history(HISTORY), 2)
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    assert [ax.get_ylabel() for ax in axes] == ["loss", "accuracy"]
    assert all(ax.get_xlabel() == "epoch" for ax in axes)
    assert legend_texts(axes[0]) == ["train", "validation"]
    train, validation = axes[0].get_lines()
    np.testing.assert_allclose(train.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(train.get_ydata(), HISTORY["loss"])
    np.testing.assert_allclose(validation.get_ydata(), HISTORY["val_loss"])
    assert validation.get_linestyle() == "--"


def test_history_several_runs_overlaid_with_labels():
    mse = types.SimpleNamespace(history={"loss": [0.3, 0.2], "val_loss": [0.35, 0.3]})
    cross_entropy = {"loss": [0.9, 0.3], "val_loss": [1.0, 0.5]}
    (ax,) = assert_drawn(plot_history([mse, cross_entropy], labels=["MSE", "CE"], logy=True), 1)
    assert legend_texts(ax) == ["MSE (train)", "MSE (validation)", "CE (train)",
                                "CE (validation)"]
    assert ax.get_yscale() == "log"
    lines = ax.get_lines()
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    (ax,) = plot_history({"sigmoid": mse, "relu": cross_entropy}, metrics="loss").axes
    assert legend_texts(ax)[0] == "sigmoid (train)"
    (ax,) = plot_history([mse, cross_entropy]).axes
    assert legend_texts(ax)[0] == "run 1 (train)"


def test_history_errors():
    with pytest.raises(ValueError, match="Did you mean 'accuracy'"):
        plot_history(HISTORY, metrics=["acuracy"])
    with pytest.raises(TypeError, match="expected a History"):
        plot_history(42)
    with pytest.raises(ValueError, match="the history is empty"):
        plot_history(types.SimpleNamespace(history={}))
    with pytest.raises(ValueError, match="2 labels for 1 runs"):
        plot_history([HISTORY], labels=["a", "b"])


# ----- confusion matrix -----------------------------------------------------------------------
def test_confusion_matrix_counts_match_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, 300)
    predicted = np.where(rng.random(300) < 0.6, truth, rng.integers(0, 4, 300))
    np.testing.assert_array_equal(confusion_matrix(truth, predicted),
                                  metrics.confusion_matrix(truth, predicted))
    for mode in ("true", "pred", "all"):
        np.testing.assert_allclose(confusion_matrix(truth, predicted, normalize=mode),
                                   metrics.confusion_matrix(truth, predicted, normalize=mode))
    one_hot = np.eye(4)[truth]
    np.testing.assert_array_equal(confusion_matrix(one_hot, predicted),
                                  confusion_matrix(truth, predicted))


def test_confusion_matrix_figure_labels_and_cells():
    truth = [0, 0, 1, 1, 2, 2, 2]
    predicted = [0, 1, 1, 1, 2, 0, 2]
    names = ["cat", "dog", "bird"]
    figure = plot_confusion_matrix(truth, predicted, class_names=names)
    (ax,) = assert_drawn(figure, 1)
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    cells = [t.get_text() for t in ax.texts]
    assert cells == ["1", "1", "0", "0", "2", "0", "1", "0", "2"]
    (ax,) = assert_drawn(plot_confusion_matrix(truth, predicted, normalize=True), 1)
    assert ax.texts[0].get_text() == "0.50" and "normalized" in ax.get_title()
    with pytest.raises(ValueError, match="normalize"):
        confusion_matrix(truth, predicted, normalize="rows")


# ----- softmax bars ---------------------------------------------------------------------------
def test_softmax_bars_heights_and_titles():
    probs = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    axes = assert_drawn(plot_softmax(probs, ["a", "b", "c"], true_labels=[1, 2]), 2)
    np.testing.assert_allclose([bar.get_height() for bar in axes[0].patches], probs[0])
    assert axes[0].get_title() == "predicted b (70%), true b"
    assert axes[1].get_title() == "predicted a (50%), true c"
    assert axes[0].get_ylabel() == "probability"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["a", "b", "c"]
    colours = [bar.get_facecolor() for bar in axes[1].patches]
    assert colours[0] != colours[1] != colours[2]  # predicted, other, true
    (ax,) = assert_drawn(plot_softmax(tg.Tensor([0.25, 0.75])), 1)
    assert ax.get_title() == "predicted 1 (75%)"


def test_softmax_refuses_logits():
    with pytest.raises(ValueError, match="apply softmax first"):
        plot_softmax([2.0, -1.0, 0.5])
    with pytest.raises(ValueError, match="2 class names for 3 classes"):
        plot_softmax([0.2, 0.3, 0.5], ["a", "b"])


# ----- activation functions -------------------------------------------------------------------
def test_activation_functions_and_autograd_derivatives():
    figure = plot_activation_functions(["sigmoid", "tanh", "relu"], x_range=(-4, 4), points=81)
    axes = assert_drawn(figure, 3)
    assert [ax.get_title() for ax in axes] == ["sigmoid", "tanh", "relu"]
    assert legend_texts(axes[0]) == ["f(x)", "f'(x)"]
    x = axes[0].get_lines()[-2].get_xdata()
    sigmoid = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(axes[0].get_lines()[-2].get_ydata(), sigmoid, atol=1e-6)
    np.testing.assert_allclose(axes[0].get_lines()[-1].get_ydata(), sigmoid * (1 - sigmoid),
                               atol=1e-6)
    np.testing.assert_allclose(axes[1].get_lines()[-1].get_ydata(), 1 - np.tanh(x) ** 2,
                               atol=1e-6)
    relu_slope = axes[2].get_lines()[-1].get_ydata()
    np.testing.assert_array_equal(relu_slope[x < 0], 0.0)
    np.testing.assert_array_equal(relu_slope[x > 0], 1.0)


def test_activation_functions_defaults_callables_and_errors():
    assert_drawn(plot_activation_functions(), 6)

    def squareplus(t):
        return (t + (t * t + 4.0).sqrt()) / 2

    (ax,) = assert_drawn(plot_activation_functions([squareplus]), 1)
    assert ax.get_title() == "squareplus"
    value, slope = activation_derivative(squareplus, np.array([0.0, 3.0]))
    np.testing.assert_allclose(slope, [0.5, (1 + 3 / np.sqrt(13)) / 2], rtol=1e-6)
    with pytest.raises(ValueError, match="Did you mean 'relu'"):
        plot_activation_functions(["rellu"])
    with pytest.raises(ValueError, match="not elementwise"):
        plot_activation_functions(["softmax"])


# ----- activation histograms ------------------------------------------------------------------
def test_activation_histograms_from_arrays():
    rng = np.random.default_rng(0)
    layers = [rng.random((50, 10)), rng.random((50, 10)) * 0.1 + 0.45]
    axes = assert_drawn(plot_activation_histograms(layers, bins=20, title="std 0.01"), 2)
    assert [ax.get_title().splitlines()[0] for ax in axes] == ["layer 1", "layer 2"]
    first, second = (layer.ravel() for layer in layers)
    assert axes[0].get_title().splitlines()[1] == f"mean {first.mean():.2g}, std {first.std():.2g}"
    assert not axes[0].texts  # the numbers are above the panel, not over the bars
    assert axes[0].get_xlabel() == "activation" and axes[0].get_ylabel() == "count"
    assert sum(bar.get_height() for bar in axes[0].patches) == 500
    assert axes[0].get_xlim()[0] <= layers[0].min() and axes[1].get_xlim()[1] >= layers[0].max()
    axes = plot_activation_histograms({"a": layers[0], "b": tg.Tensor(layers[1])}).axes
    assert [ax.get_title().splitlines()[0] for ax in axes] == ["a", "b"]
    assert second.std() < 0.1
    with pytest.raises(TypeError, match="expected a model"):
        plot_activation_histograms(np.ones(3))


def test_activation_histograms_from_a_model_with_hooks():
    nn = pytest.importorskip("tinygrad_edu.nn")
    model = nn.Sequential([nn.Dense(20, activation="sigmoid", kernel_initializer="random_normal")
                           for _ in range(3)])
    x = tg.randn(64, 20)
    expected = []
    hidden = x
    for layer in model.layers:
        hidden = layer(hidden)
        expected.append(hidden.numpy().copy())
    axes = assert_drawn(plot_activation_histograms(model, x, bins=10, value_range=(0, 1)), 3)
    assert [ax.get_title().splitlines()[0] for ax in axes] == ["dense", "dense_1", "dense_2"]
    for ax, values in zip(axes, expected):
        counts, _ = np.histogram(values, bins=10, range=(0, 1))
        np.testing.assert_array_equal([bar.get_height() for bar in ax.patches], counts)
    assert all(not layer._forward_hooks for layer in model.layers)  # hooks removed again
    (ax,) = plot_activation_histograms(model, x, layers=["dense_1"]).axes
    assert ax.get_title().splitlines()[0] == "dense_1"
    with pytest.raises(ValueError, match="pass the input batch x"):
        plot_activation_histograms(model)
    with pytest.raises(ValueError, match="no layer named 'dense_9'"):
        plot_activation_histograms(model, x, layers=["dense_9"])


# ----- optimizer paths ------------------------------------------------------------------------
def course_function(x, y):
    return x**2 / 20 + y**2


class PlainSGD:
    """A stand-in optimizer with the interface the plots use."""

    def __init__(self, params, lr):
        self.params, self.lr = params, lr

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        with tg.no_grad():
            for p in self.params:
                p -= self.lr * p.grad


def test_optimizer_paths_follow_the_update_rule():
    paths = optimizer_paths(course_function, (-7.0, 2.0),
                            {"SGD": lambda params: PlainSGD(params, lr=0.95)}, steps=5)
    path = paths["SGD"]
    # df/dx = x / 10, df/dy = 2 y  =>  x <- x (1 - 0.095), y <- y (1 - 1.9)
    steps = np.arange(6)
    np.testing.assert_allclose(path[:, 0], -7.0 * 0.905**steps, rtol=1e-5)
    np.testing.assert_allclose(path[:, 1], 2.0 * (-0.9) ** steps, rtol=1e-5)


def test_optimizer_paths_figure():
    optimizers = {"SGD": lambda p: PlainSGD(p, lr=0.95), "slow": lambda p: PlainSGD(p, lr=0.1)}
    figure = plot_optimizer_paths(course_function, (-7.0, 2.0), optimizers, steps=30,
                                  xlim=(-10, 10), ylim=(-5, 5))
    axes = assert_drawn(figure, 2)
    assert axes[0].get_title().startswith("SGD (30 steps) -> (-0.35")
    assert axes[1].get_title().startswith("slow (30 steps)")
    assert axes[0].get_xlabel() == "x" and axes[0].get_ylabel() == "y"
    assert legend_texts(axes[0]) == ["start", "minimum", "SGD"]
    assert axes[0].collections  # the contour lines
    path_line = axes[0].get_lines()[-1]
    assert len(path_line.get_xdata()) == 31 and path_line.get_xdata()[0] == -7.0
    (ax,) = assert_drawn(plot_optimizer_paths(course_function, (-7.0, 2.0), optimizers,
                                              overlay=True), 1)
    assert legend_texts(ax) == ["start", "minimum", "SGD (30 steps)", "slow (30 steps)"]


def test_diverging_optimizer_stops_and_says_so():
    exploding = {"too fast": lambda p: PlainSGD(p, lr=1e30)}
    paths = optimizer_paths(course_function, (-7.0, 2.0), exploding, steps=30)
    assert len(paths["too fast"]) < 31 and np.all(np.isfinite(paths["too fast"]))
    (ax,) = plot_optimizer_paths(course_function, (-7.0, 2.0), exploding, xlim=(-10, 10),
                                 ylim=(-5, 5)).axes
    assert "diverged" in ax.get_title()


def test_optimizer_spec_errors():
    with pytest.raises(TypeError, match="non-empty dict"):
        optimizer_paths(course_function, (0, 0), [PlainSGD])
    with pytest.raises(TypeError, match="must be a factory"):
        optimizer_paths(course_function, (0, 0), {"x": 0.1})
    with pytest.raises(TypeError, match="without bind"):
        optimizer_paths(course_function, (0, 0), {"x": PlainSGD([], 0.1)})
    with pytest.raises(ValueError, match="must return a scalar"):
        optimizer_paths(lambda x, y: tg.stack([x, y]), (1, 1), {"x": lambda p: PlainSGD(p, 1)})


def test_optimizer_paths_with_the_real_optimizers():
    optim = pytest.importorskip("tinygrad_edu.optim")
    stand_in = optimizer_paths(course_function, (-7.0, 2.0),
                               {"SGD": lambda p: PlainSGD(p, lr=0.95)})["SGD"]
    real = optimizer_paths(course_function, (-7.0, 2.0), {
        "factory": lambda p: optim.SGD(p, lr=0.95),
        "unbound": optim.SGD(lr=0.95),
        "Momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
        "AdaGrad": lambda p: optim.Adagrad(p, lr=1.5),
        "Adam": lambda p: optim.Adam(p, lr=0.3),
    })
    np.testing.assert_allclose(real["factory"], stand_in, rtol=1e-6)
    np.testing.assert_allclose(real["unbound"], stand_in, rtol=1e-6)
    for label in ("Momentum", "AdaGrad", "Adam"):  # every one gets closer to the minimum
        assert np.linalg.norm(real[label][-1]) < 0.2 * np.linalg.norm(real[label][0])


def test_library_code_leaves_pyplot_alone():
    plt = pytest.importorskip("matplotlib.pyplot")
    before = plt.get_fignums()
    plot_history(HISTORY)
    plot_activation_functions(["relu"])
    assert plt.get_fignums() == before


def test_many_runs_get_their_own_panels_or_a_legend_beside_the_curves():
    runs = {f"remedy {k}": {"accuracy": [0.1 * k, 0.2 * k], "val_accuracy": [0.1, 0.15 * k]}
            for k in range(1, 6)}
    crowded = plot_history(runs, metrics=["accuracy"])
    (ax,) = crowded.axes
    assert ax.get_legend() is None and len(crowded.legends) == 1  # outside the axes
    assert len(crowded.legends[0].get_texts()) == 10
    panels = plot_history(runs, metrics=["accuracy"], separate=True).axes
    assert [ax.get_title() for ax in panels] == list(runs)
    assert all(len(ax.lines) == 2 for ax in panels)  # one run's training and validation
    assert panels[0].get_shared_y_axes().joined(panels[0], panels[4])


def test_softmax_bars_have_a_key():
    figure = plot_softmax(np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2]]), true_labels=[0, 2])
    (key,) = figure.legends
    assert [t.get_text() for t in key.get_texts()] == [
        "predicted class, when wrong", "true class", "other classes"]
