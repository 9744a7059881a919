"""The HTML a notebook shows for tensors, training histories and gradient reports.

Jupyter calls an object's ``_repr_html_`` to show it; these functions build that HTML with
the standard library only (the curves of a History are a small hand-drawn SVG, so no
plotting library is needed). A model's table is in :mod:`tinygrad_edu.nn.summary`.
"""

from __future__ import annotations

import html
import math

import numpy as np

__all__ = ["tensor_html", "history_html", "gradient_report_html"]

STYLE = "border-collapse:collapse;font-size:smaller"
FLAG_COLOURS = {"vanishing": "#1f5fbf", "exploding": "#c0392b"}
CURVE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def _values(data: np.ndarray) -> str:
    return html.escape(np.array2string(data, separator=", ", threshold=50, edgeitems=3,
                                       precision=4))


def tensor_html(tensor) -> str:
    """Values, shape, dtype, the op that made it and its gradient.

    >>> import tinygrad_edu as tg
    >>> "<b>shape</b> (2,)" in tensor_html(tg.Tensor([1.0, 2.0]))
    True
    """
    facts = [("shape", str(tensor.shape)), ("dtype", str(tensor.dtype))]
    ctx = getattr(tensor, "_ctx", None)
    if ctx is not None:
        facts.append(("op", ctx.name))
    if tensor.requires_grad:
        facts.append(("requires_grad", "True"))
    if tensor.name:
        facts.append(("name", tensor.name))
    header = " &middot; ".join(f"<b>{key}</b> {html.escape(value)}" for key, value in facts)
    parts = [f"<div><div>Tensor: {header}</div>", f"<pre>{_values(tensor.data)}</pre>"]
    if tensor.grad is not None:
        parts.append(f"<div><b>grad</b></div><pre>{_values(np.asarray(tensor.grad.data))}</pre>")
    return "".join(parts) + "</div>"


def _polyline(values, width, height, top, bottom) -> str:
    finite = [(i, v) for i, v in enumerate(values) if math.isfinite(v)]
    span = (top - bottom) or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{height - (v - bottom) / span * height:.1f}"
                    for i, v in finite)


def _curves_svg(series: dict, width=260, height=110) -> str:
    """Lines of same-kind series (``loss`` and ``val_loss``) on shared axes, with a key."""
    values = [v for curve in series.values() for v in curve if math.isfinite(v)]
    if not values:
        return ""
    top, bottom = max(values), min(values)
    lines, key = [], []
    for (name, curve), colour in zip(series.items(), CURVE_COLOURS):
        lines.append(f"<polyline fill='none' stroke='{colour}' stroke-width='1.5' "
                     f"points='{_polyline(curve, width, height, top, bottom)}'/>")
        key.append(f"<span style='color:{colour}'>&#9644; {html.escape(name)}</span>")
    return (f"<div style='display:inline-block;margin-right:1em'>"
            f"<svg width='{width}' height='{height + 4}' viewBox='0 -2 {width} {height + 4}' "
            f"style='border:1px solid #ccc'>{''.join(lines)}</svg><br>"
            f"<small>{' '.join(key)} ({bottom:.4g} to {top:.4g})</small></div>")


def history_html(history, max_rows=10) -> str:
    """A table of the epochs (the last ``max_rows``) and the curves of each metric."""
    keys = list(history.history)
    if not keys:
        return "<div>History (no epochs recorded)</div>"
    epochs = list(history.epoch) or list(range(len(history.history[keys[0]])))
    shown = range(max(len(epochs) - max_rows, 0), len(epochs))
    head = "".join(f"<th>{html.escape(key)}</th>" for key in keys)
    rows = []
    for index in shown:
        cells = "".join(f"<td>{history.history[key][index]:.4f}</td>"
                        if index < len(history.history[key]) else "<td></td>" for key in keys)
        rows.append(f"<tr><td>{epochs[index] + 1}</td>{cells}</tr>")
    skipped = (f"<p><small>first {len(epochs) - max_rows} epochs not shown</small></p>"
               if len(epochs) > max_rows else "")
    kinds = {}
    for key in keys:
        kinds.setdefault(key.removeprefix("val_"), {})[key] = [float(v) for v in
                                                                history.history[key]]
    curves = "".join(_curves_svg(series) for series in kinds.values())
    return (f"<div><b>History</b>: {len(epochs)} epochs<div>{curves}</div>"
            f"<table style='{STYLE}'><thead><tr><th>epoch</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{skipped}</div>")


def gradient_report_html(report) -> str:
    """The per-layer table, flagged rows coloured (blue: vanishing, red: exploding)."""
    what = "weights" if report.parameter is None else report.parameter
    head = "".join(f"<th>{html.escape(title)}</th>" for title, _ in report._COLUMNS)
    rows = []
    for row in report.rows:
        colour = FLAG_COLOURS.get(row["flag"])
        style = f" style='color:{colour};font-weight:bold'" if colour else ""
        cells = "".join(f"<td>{row[key]:.2e}</td>" for _, key in report._COLUMNS)
        rows.append(f"<tr{style}><td>{html.escape(row['layer'])}</td>{cells}"
                    f"<td>{html.escape(row['flag'])}</td></tr>")
    legend = (f"<small>Gradient L2 norm of each layer's {html.escape(what)}; /out: ratio to the "
              f"output layer. <span style='color:{FLAG_COLOURS['vanishing']}'>vanishing</span>"
              f" below {report.vanishing_ratio:g}, <span style='color:"
              f"{FLAG_COLOURS['exploding']}'>exploding</span> above "
              f"{report.exploding_ratio:g} or inf/NaN.</small>")
    return (f"<div><b>GradientReport</b> over {len(report.steps)} step(s)"
            f"<table style='{STYLE}'><thead><tr><th>layer</th>{head}<th>flag</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>{legend}</div>")
