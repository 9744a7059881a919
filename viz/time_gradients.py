"""Pictures of the gradient through time recorded by a ``TimeGradientTracer``.

Two views of ``tracer.norms()`` (recorded training steps x time steps):

* a line per model: ``||dL/dh_t||`` against the time step t at one training step, on a log
  y axis. A vanishing gradient is a line climbing by decades from t = 0 to the last step;
  an LSTM's line stays nearly flat;
* a heatmap per model: time steps (x) by training steps (y), log colour scale, so one sees
  whether the early steps ever receive a gradient as training goes on.

Pass one tracer or ``{"label": tracer, ...}``; the heatmaps share one colour scale.

>>> import tinygrad_edu as tg
>>> from tinygrad_edu import nn
>>> from tinygrad_edu.trace_time import TimeGradientTracer
>>> model = nn.Sequential([nn.SimpleRNN(3, input_shape=(5, 2)), nn.Dense(1)])
>>> tracer = TimeGradientTracer(model)
>>> (model(tg.ones(2, 5, 2)) ** 2).sum().backward(); tracer.record()
>>> fig = plot_time_gradients(tracer)
>>> fig.axes[0].get_yscale(), fig.axes[0].get_xlabel()
('log', 'time step t')
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.colors import LogNorm

from viz.figures import new_figure

__all__ = ["plot_time_gradients"]


def _runs(tracer_or_runs, layer) -> list:
    """[(label, norms table)] from one tracer or a dict label -> tracer."""
    if isinstance(tracer_or_runs, Mapping):
        pairs = [(str(label), tracer) for label, tracer in tracer_or_runs.items()]
    else:
        pairs = [(None, tracer_or_runs)]
    if not pairs:
        raise ValueError("plot_time_gradients: no tracers given")
    runs = []
    for label, tracer in pairs:
        if not hasattr(tracer, "norms") or not hasattr(tracer, "steps"):
            raise TypeError("plot_time_gradients: expected a TimeGradientTracer (or a dict "
                            f"label -> TimeGradientTracer), got {type(tracer).__name__}")
        runs.append((label, tracer, tracer.norms(layer)))
    return runs


def plot_time_gradients(tracer, layer=None, record=0, heatmap=True):
    """``||dL/dh_t||`` against t (one line per model) and a time x training-step heatmap.

    Args:
        tracer: a ``TimeGradientTracer`` or a dict ``{label: tracer}``.
        layer: which traced recurrent layer (default: each tracer's first).
        record: which recorded training step the lines show (0: the first, -1: the last).
        heatmap: add one heatmap per model.

    Returns:
        A matplotlib Figure.
    """
    runs = _runs(tracer, layer)
    panels = 1 + (len(runs) if heatmap else 0)
    figure, axes = new_figure(panels, columns=min(panels, 4), panel_size=(4.2, 3.2))
    lines = axes[0]
    for label, _, table in runs:
        row = table[record]
        lines.plot(np.arange(len(row)), row, marker=".", label=label)
    step = runs[0][1].steps[record]
    lines.set(yscale="log", xlabel="time step t", ylabel="||dL/dh_t||",
              title=f"gradient through time (training step {step})")
    lines.grid(True, which="both", alpha=0.3)
    if any(label for label, _, _ in runs):
        lines.legend()
    if heatmap:
        positive = np.concatenate([t[np.isfinite(t) & (t > 0)] for _, _, t in runs])
        norm = LogNorm(vmin=positive.min(), vmax=positive.max()) if positive.size else None
        for ax, (label, run_tracer, table) in zip(axes[1:], runs):
            masked = np.ma.masked_invalid(np.where(table > 0, table, np.nan))
            image = ax.imshow(masked, aspect="auto", origin="lower", norm=norm,
                              cmap="viridis", interpolation="nearest",
                              extent=(-0.5, table.shape[1] - 0.5, -0.5, table.shape[0] - 0.5))
            ax.set(xlabel="time step t", ylabel="recorded training step",
                   title=label or "||dL/dh_t||")
            ticks = np.linspace(0, table.shape[0] - 1, min(table.shape[0], 5)).round()
            ax.set_yticks(ticks, [str(run_tracer.steps[int(i)]) for i in ticks])
        figure.colorbar(image, ax=axes[1:], label="||dL/dh_t||")
    return figure
