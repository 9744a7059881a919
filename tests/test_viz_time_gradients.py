"""viz.plot_time_gradients: lines per model against t (log axis) and heatmaps."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import tinygrad_edu as tg  # noqa: E402
import viz  # noqa: E402
from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu.trace import TimeGradientTracer  # noqa: E402


def _traced(layer_class, records=3):
    tg.manual_seed(0)
    model = nn.Sequential([layer_class(4, input_shape=(7, 2)), nn.Dense(1)])
    tracer = TimeGradientTracer(model)
    x = tg.Tensor(np.random.default_rng(0).normal(size=(3, 7, 2)))
    for _ in range(records):
        (model(x) ** 2).sum().backward()
        tracer.record()
    return tracer


def test_one_line_per_model_and_one_heatmap_each():
    runs = {"SimpleRNN": _traced(nn.SimpleRNN), "LSTM": _traced(nn.LSTM)}
    figure = viz.plot_time_gradients(runs)
    lines_axis, *heatmaps = figure.axes[:3]
    assert lines_axis.get_yscale() == "log"
    assert [line.get_label() for line in lines_axis.get_lines()] == ["SimpleRNN", "LSTM"]
    np.testing.assert_allclose(lines_axis.get_lines()[0].get_ydata(),
                               runs["SimpleRNN"].norms()[0])
    assert [ax.get_title() for ax in heatmaps] == ["SimpleRNN", "LSTM"]
    image = heatmaps[0].get_images()[0]
    assert image.get_array().shape == (3, 7)  # recorded steps x time steps
    assert image.norm.vmin > 0  # a log colour scale shared by the heatmaps
    assert heatmaps[1].get_images()[0].norm is image.norm


def test_lines_only_and_a_later_record():
    tracer = _traced(nn.GRU)
    figure = viz.plot_time_gradients(tracer, heatmap=False, record=-1)
    assert len(figure.axes) == 1
    np.testing.assert_allclose(figure.axes[0].get_lines()[0].get_ydata(), tracer.norms()[-1])
    assert "training step 2" in figure.axes[0].get_title()


def test_wrong_input_is_named():
    with pytest.raises(TypeError, match="expected a TimeGradientTracer"):
        viz.plot_time_gradients(object())
    with pytest.raises(ValueError, match="no tracers given"):
        viz.plot_time_gradients({})
