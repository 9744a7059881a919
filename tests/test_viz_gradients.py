"""plot_gradient_trace: non-blank figures, log scales, one line/row/bar group per layer, the
tracer's numbers on the axes."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import optim  # noqa: E402
from tinygrad_edu.losses import SparseCategoricalCrossentropy  # noqa: E402
from tinygrad_edu.nn import Dense, Sequential  # noqa: E402
from tinygrad_edu.trace import GradientTracer  # noqa: E402
from viz.gradients import plot_gradient_trace  # noqa: E402

STEPS = 6


def _trained_tracer(seed=0, layers=3, every=1):
    tg.manual_seed(seed)
    x, y = tg.datasets.make_spiral(10, 3, seed=seed)
    model = Sequential([Dense(5, activation="sigmoid", input_dim=2)]
                       + [Dense(5, activation="sigmoid") for _ in range(layers - 2)]
                       + [Dense(3)])
    tracer = GradientTracer(model, every=every)
    opt = optim.SGD(model.parameters(), learning_rate=0.5)
    loss_fn = SparseCategoricalCrossentropy(from_logits=True)
    for _ in range(STEPS):
        loss = loss_fn(tg.Tensor(y), model(tg.Tensor(x)))
        opt.zero_grad()
        loss.backward()
        tracer.record()
        opt.step()
    return tracer


@pytest.fixture(scope="module")
def tracer():
    return _trained_tracer()


def _non_blank(figure):
    assert isinstance(figure, Figure)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3].astype(np.float64)
    assert pixels.std() > 10.0
    return [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]


def test_lines_one_per_layer_on_a_log_axis(tracer):
    (ax,) = _non_blank(plot_gradient_trace(tracer))
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "gradient L2 norm"
    lines = ax.get_lines()
    assert len(lines) == len(tracer.layer_names) == 3
    assert [text.get_text() for text in ax.get_legend().get_texts()] == tracer.layer_names
    for line, name in zip(lines, tracer.layer_names):
        np.testing.assert_array_equal(line.get_xdata(), tracer.steps)
        np.testing.assert_allclose(line.get_ydata(), tracer.series("grad_norm", name))


def test_heatmap_is_layers_by_steps_with_a_log_colour_scale(tracer):
    figure = plot_gradient_trace(tracer, kind="heatmap", quantity="update_ratio")
    (ax,) = _non_blank(figure)
    (image,) = ax.get_images()
    assert image.get_array().shape == (3, STEPS)
    assert isinstance(image.norm, LogNorm)
    names, values = tracer.matrix("update_ratio")
    np.testing.assert_allclose(image.get_array().filled(np.nan), values)
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert ax.get_xlabel() == "step"
    colorbar = [a for a in figure.axes if a.get_label() == "<colorbar>"]
    assert len(colorbar) == 1 and colorbar[0].get_ylabel() == "update / weight ratio"


def test_bars_at_first_and_last_step_by_default(tracer):
    (ax,) = _non_blank(plot_gradient_trace(tracer, kind="bars", parameter="kernel"))
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "gradient L2 norm (kernel)"
    assert ax.get_xlabel() == "layer (input -> output)"
    assert [t.get_text() for t in ax.get_xticklabels()] == tracer.layer_names
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["step 0", f"step {STEPS - 1}"]
    heights = [patch.get_height() for patch in ax.patches]
    assert len(heights) == 3 * 2
    first = [tracer.series("grad_norm", n, "kernel")[0] for n in tracer.layer_names]
    np.testing.assert_allclose(heights[:3], first)


def test_chosen_steps_and_quantities(tracer):
    (ax,) = _non_blank(plot_gradient_trace(tracer, kind="bars", steps=[1, 3, 4],
                                           quantity="grad_max_abs"))
    assert len(ax.patches) == 3 * 3 and ax.get_ylabel() == "max |gradient|"
    (ax,) = _non_blank(plot_gradient_trace(tracer, steps=range(2, 5),
                                           quantity="output_grad_norm"))
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [2, 3, 4])
    with pytest.raises(ValueError, match="step 7 was not recorded.*nearest recorded step: 5"):
        plot_gradient_trace(tracer, steps=[7])


def test_several_runs_side_by_side_share_a_scale():
    runs = {"three layers": _trained_tracer(1), "five layers": _trained_tracer(2, layers=5)}
    figure = plot_gradient_trace(runs, kind="lines", title="depth")
    axes = _non_blank(figure)
    assert [ax.get_title() for ax in axes] == list(runs)
    assert [len(ax.get_lines()) for ax in axes] == [3, 5]
    assert axes[0].get_ylim() == axes[1].get_ylim()
    assert figure.get_suptitle() == "depth"
    heatmap = plot_gradient_trace(runs, kind="heatmap")
    images = [ax.get_images()[0] for ax in _non_blank(heatmap)]
    assert [image.get_array().shape for image in images] == [(3, STEPS), (5, STEPS)]
    assert images[0].norm.vmin == images[1].norm.vmin


def test_sparse_traces_and_values_a_log_axis_cannot_show():
    tracer = _trained_tracer(every=4)  # steps 0 and 4
    assert tracer.steps == [0, 4]
    (ax,) = _non_blank(plot_gradient_trace(tracer, quantity="update_ratio"))
    assert len(ax.get_lines()) == 3
    # weights without gradient (no backward) give NaN norms: left out, never an error
    empty = GradientTracer(Sequential([Dense(2, input_dim=2), Dense(1)]))
    empty.record()
    (ax,) = _non_blank(plot_gradient_trace(empty, kind="bars", quantity="weight_norm"))
    assert len(ax.patches) == 2


def test_errors_are_clear(tracer):
    with pytest.raises(ValueError, match="Did you mean 'heatmap'"):
        plot_gradient_trace(tracer, kind="heatmpa")
    with pytest.raises(TypeError, match="expected a GradientTracer"):
        plot_gradient_trace({"loss": [1.0, 0.5]})
    with pytest.raises(ValueError, match="has recorded no step"):
        plot_gradient_trace(GradientTracer(Sequential([Dense(2, input_dim=2)])))
    with pytest.raises(ValueError, match="unknown quantity"):
        plot_gradient_trace(tracer, quantity="norm")
