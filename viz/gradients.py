"""Pictures of per-layer gradient magnitudes recorded by a ``GradientTracer``.

Three views of the same numbers (``tracer.matrix(quantity)``: layers x recorded steps):

* ``kind="lines"``: one line per layer over the training steps, log y axis. Layers are
  coloured from dark (input side) to light (output side), so a vanishing gradient is a fan of
  lines whose dark end lies decades below the light end.
* ``kind="heatmap"``: layers (rows, input at the top) x steps (columns), log colour scale.
* ``kind="bars"``: one bar per layer at chosen steps, log y axis: the classic
  vanishing-gradient picture, bars shrinking towards the input in a deep sigmoid net.

Several runs can be drawn side by side, on one shared scale: pass ``{"label": tracer, ...}``.

>>> import numpy as np, tinygrad_edu as tg
>>> from tinygrad_edu.nn import Dense, Sequential
>>> from tinygrad_edu.trace import GradientTracer
>>> model = Sequential([Dense(4, activation="sigmoid", input_dim=2), Dense(1)])
>>> tracer = GradientTracer(model)
>>> (model(tg.ones(3, 2)) ** 2).sum().backward(); tracer.record()
>>> fig = plot_gradient_trace(tracer, kind="bars")
>>> fig.axes[0].get_yscale(), fig.axes[0].get_ylabel()
('log', 'gradient L2 norm')
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import LogNorm

from .figures import new_figure

__all__ = ["plot_gradient_trace", "QUANTITY_LABELS"]

KINDS = ("lines", "heatmap", "bars")

QUANTITY_LABELS = {
    "grad_norm": "gradient L2 norm",
    "grad_mean_abs": "mean |gradient|",
    "grad_max_abs": "max |gradient|",
    "weight_norm": "weight L2 norm",
    "update_ratio": "update / weight ratio",
    "output_grad_norm": "norm of dL/d(layer output)",
}


def _runs(tracer_or_runs) -> list:
    """[(label or None, tracer)] from one tracer or a dict label -> tracer."""
    if isinstance(tracer_or_runs, Mapping):
        runs = [(str(label), tracer) for label, tracer in tracer_or_runs.items()]
    else:
        runs = [(None, tracer_or_runs)]
    if not runs:
        raise ValueError("plot_gradient_trace: no tracers given")
    for label, tracer in runs:
        if not hasattr(tracer, "matrix") or not hasattr(tracer, "steps"):
            raise TypeError("plot_gradient_trace: expected a GradientTracer (or a dict label -> "
                            f"GradientTracer), got {type(tracer).__name__}")
        if not tracer.steps:
            raise ValueError(f"plot_gradient_trace: {label or 'the tracer'} has recorded no step "
                             "yet; train first (fit(..., callbacks=[tracer]) or tracer.record())")
    return runs


def _columns(tracer, steps, who) -> np.ndarray:
    """Indices into the tracer's records for the chosen step numbers (default: all)."""
    recorded = list(tracer.steps)
    if steps is None:
        return np.arange(len(recorded))
    indices = []
    for step in np.atleast_1d(steps):
        if int(step) not in recorded:
            nearest = min(recorded, key=lambda s: abs(s - int(step)))
            raise ValueError(f"plot_gradient_trace: step {int(step)} was not recorded "
                             f"({who}); nearest recorded step: {nearest}")
        indices.append(recorded.index(int(step)))
    return np.array(indices, dtype=int)


def _positive_range(matrices) -> tuple:
    values = np.concatenate([m[np.isfinite(m) & (m > 0)].ravel() for m in matrices])
    if values.size == 0:
        return 1e-12, 1.0
    low, high = float(values.min()), float(values.max())
    return (low / 2, high * 2) if low == high else (low, high)


def _layer_colours(count: int) -> list:
    palette = colormaps["viridis"]
    return [palette(0.85 * i / max(count - 1, 1)) for i in range(count)]


def plot_gradient_trace(tracer, kind="lines", steps=None, quantity="grad_norm", parameter=None,
                        title=None):
    """Per-layer gradient magnitudes recorded by a ``GradientTracer``.

    Args:
        tracer: a :class:`tinygrad_edu.trace.GradientTracer`, or a dict label -> tracer to
            draw several runs side by side on a shared scale.
        kind: ``"lines"`` (per-layer lines over steps), ``"heatmap"`` (layers x steps) or
            ``"bars"`` (per-layer bars at chosen steps).
        steps: the recorded step numbers to draw; default: all of them, except for
            ``"bars"``: the first and the last recorded steps.
        quantity: ``"grad_norm"`` (default), ``"grad_mean_abs"``, ``"grad_max_abs"``,
            ``"weight_norm"``, ``"update_ratio"`` or ``"output_grad_norm"``.
        parameter: ``None`` for each layer's weights together, or a parameter key such as
            ``"kernel"``.
        title: a title over the whole figure.

    Returns:
        A ``matplotlib.figure.Figure`` with one panel per run: y axis (lines, bars) or colour
        bar (heatmap) labelled with the quantity on a log scale, x label ``"step"`` (lines,
        heatmap) or ``"layer (input -> output)"`` (bars). Values that are zero, NaN or inf
        cannot sit on a log scale and are left out (grey in a heatmap).
    """
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), KINDS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"plot_gradient_trace: unknown kind {kind!r}.{hint} "
                         f"Choose one of {', '.join(KINDS)}")
    runs = _runs(tracer)
    label = QUANTITY_LABELS.get(quantity, quantity)
    if parameter is not None:
        label = f"{label} ({parameter})"
    data = []
    for run_label, run in runs:
        names, matrix = run.matrix(quantity, parameter)
        chosen = steps
        if kind == "bars" and steps is None:
            chosen = sorted({run.steps[0], run.steps[-1]})
        columns = _columns(run, chosen, run_label or "the tracer")
        data.append((run_label, names, np.asarray(run.steps)[columns], matrix[:, columns]))
    low, high = _positive_range([matrix for *_, matrix in data])
    draw = {"lines": _draw_lines, "heatmap": _draw_heatmap, "bars": _draw_bars}[kind]
    figure, axes = new_figure(len(data), columns=min(len(data), 3),
                              panel_size=(5.0, 3.6) if kind != "heatmap" else (5.2, 3.4),
                              sharey=kind != "heatmap")
    image = None
    for ax, (run_label, names, step_numbers, matrix) in zip(axes, data):
        image = draw(ax, names, step_numbers, matrix, label, (low, high))
        ax.set_title(run_label or f"{label} per layer")
    if kind == "heatmap":
        figure.colorbar(image, ax=axes, label=label)
    if title:
        figure.suptitle(title)
    return figure


def _plottable(values) -> np.ndarray:
    values = np.array(values, dtype=np.float64)
    values[~np.isfinite(values) | (values <= 0)] = np.nan
    return values


def _draw_lines(ax, names, step_numbers, matrix, label, value_range):
    for name, values, colour in zip(names, matrix, _layer_colours(len(names))):
        ax.plot(step_numbers, _plottable(values), color=colour, label=name,
                marker="o" if len(step_numbers) < 2 else None)
    ax.set_yscale("log")
    ax.set_ylim(value_range[0] / 1.5, value_range[1] * 1.5)
    ax.set_xlabel("step")
    ax.set_ylabel(label)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="x-small", ncol=2 if len(names) > 8 else 1, title="layer",
              title_fontsize="x-small")


def _draw_heatmap(ax, names, step_numbers, matrix, label, value_range):
    colours = colormaps["viridis"].with_extremes(bad="#bbbbbb")
    masked = np.ma.masked_invalid(_plottable(matrix))
    first, last = (step_numbers[0], step_numbers[-1]) if len(step_numbers) else (0, 0)
    half = 0.5 * ((last - first) / max(len(step_numbers) - 1, 1) or 1)
    image = ax.imshow(masked, aspect="auto", interpolation="nearest", cmap=colours,
                      norm=LogNorm(*value_range),
                      extent=(first - half, last + half, len(names) - 0.5, -0.5))
    ax.set_yticks(range(len(names)), names, fontsize="small")
    ax.set_xlabel("step")
    ax.set_ylabel("layer (input at the top)")
    return image


def _draw_bars(ax, names, step_numbers, matrix, label, value_range):
    count = max(len(step_numbers), 1)
    width = 0.8 / count
    positions = np.arange(len(names))
    for index, step in enumerate(step_numbers):
        ax.bar(positions + (index - (count - 1) / 2) * width, _plottable(matrix[:, index]),
               width=width, color=f"C{index % 10}", label=f"step {int(step)}")
    ax.set_yscale("log")
    ax.set_ylim(value_range[0] / 2, value_range[1] * 2)
    ax.set_xticks(positions, names, rotation=45, ha="right", fontsize="small")
    ax.set_xlabel("layer (input -> output)")
    ax.set_ylabel(label)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize="x-small")
