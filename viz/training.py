"""Pictures of training results: loss/metric curves, the confusion matrix, softmax outputs.

All functions return a ``matplotlib.figure.Figure`` (see :mod:`viz.figures`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import numpy as np
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .figures import as_array, new_figure

__all__ = ["plot_history", "plot_confusion_matrix", "plot_softmax", "confusion_matrix"]


# ----- training curves ---------------------------------------------------------------------
def _is_curves(value) -> bool:
    """A dict of metric name -> sequence of numbers (one run's history)."""
    return isinstance(value, Mapping) and bool(value) and all(
        isinstance(v, (list, tuple, np.ndarray)) for v in value.values())


def _curves(run, who="plot_history") -> dict:
    history = getattr(run, "history", run)
    if isinstance(history, Mapping) and not history:
        raise ValueError(f"{who}: the history is empty (nothing was recorded: train first)")
    if _is_curves(history):
        return {str(k): np.asarray(v, dtype=np.float64).ravel() for k, v in history.items()}
    raise TypeError(
        f"{who}: expected a History (with a .history dict), a dict metric -> list of values, "
        f"or a list / dict of those; got {type(run).__name__}"
    )


def _runs(history_or_list, labels) -> list:
    """[(label or None, curves)] from the accepted input forms."""
    if isinstance(history_or_list, Mapping) and not _is_curves(history_or_list):
        names, runs = list(history_or_list), list(history_or_list.values())
    elif isinstance(history_or_list, (list, tuple)):
        names, runs = [None] * len(history_or_list), list(history_or_list)
    else:
        names, runs = [None], [history_or_list]
    if not runs:
        raise ValueError("plot_history: no runs given")
    if labels is not None:
        labels = [labels] if isinstance(labels, str) else list(labels)
        if len(labels) != len(runs):
            raise ValueError(f"plot_history: {len(labels)} labels for {len(runs)} runs")
        names = labels
    if len(runs) > 1:
        names = [str(n) if n is not None else f"run {i + 1}" for i, n in enumerate(names)]
    return [(name, _curves(run)) for name, run in zip(names, runs)]


def plot_history(history_or_list, metrics=None, labels=None, logy=False, title=None,
                 separate=False):
    """Training and validation curves per epoch, one panel per metric, several runs overlaid.

    Each run keeps one colour; training is a solid line with dots, validation (the
    ``val_<metric>`` entry, when present) a dashed line. With more than four lines in a
    panel the legend goes to the right of the panels, never over the curves.

    Args:
        history_or_list: a ``History`` (anything with a ``.history`` dict, e.g. what
            ``fit`` returns, Keras's included), a dict ``{"loss": [...], "val_loss": [...]}``,
            a list of those (several runs), or a dict ``label -> run``.
        metrics: the metrics to draw, e.g. ``["loss", "accuracy"]`` (their ``val_``
            curves come along); default: every training metric.
        labels: one legend label per run (default: the dict keys, or "run 1", "run 2"...).
        logy: logarithmic y axis (useful for losses spanning decades).
        title: a title over the whole figure.
        separate: one panel per run and metric (small multiples on a shared y axis), for
            runs too many to overlay: each panel shows one run's training and validation.

    Returns:
        The Figure: panel titles and y labels are the metric names (with the run's name when
        ``separate``), the x label is "epoch".

    >>> fig = plot_history({"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss']
    """
    runs = _runs(history_or_list, labels)
    available = list(dict.fromkeys(k for _, curves in runs for k in curves))
    if metrics is None:
        metrics = [k for k in available if not k.startswith("val_")] or available
    else:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        for metric in metrics:
            if metric not in available:
                close = difflib.get_close_matches(metric, available, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"plot_history: no metric {metric!r} in the history.{hint} "
                                 f"Available: {', '.join(available)}")
    coloured = list(enumerate(runs))
    panels = [(metric, [item]) for item in coloured for metric in metrics] if separate else [
        (metric, coloured) for metric in metrics]
    figure, axes = new_figure(len(panels), columns=min(len(panels), 3 if not separate else 5),
                              panel_size=(4.5, 3.2) if not separate else (3.0, 2.6),
                              sharey=separate)
    crowded = False
    for ax, (metric, members) in zip(axes, panels):
        lines = 0
        for index, (name, curves) in members:
            colour = f"C{index % 10}"
            for key, kind, line in ((metric, "train", "-"), ("val_" + metric, "validation", "--")):
                if key not in curves:
                    continue
                values = curves[key]
                label = kind if name is None or separate else f"{name} ({kind})"
                ax.plot(np.arange(1, values.size + 1), values, line, color=colour,
                        marker="o" if kind == "train" else None, markersize=3, label=label)
                lines += 1
        run_name = members[0][1][0] if separate else None
        ax.set_title(metric if run_name is None else f"{run_name}", fontsize="medium")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        if logy:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        crowded = crowded or lines > 4
        if lines <= 4 and (not separate or ax is axes[0]):
            ax.legend(fontsize="small")
    if crowded:  # one legend for all panels, beside them
        handles, names = axes[0].get_legend_handles_labels()
        figure.legend(handles, names, loc="outside right center", fontsize="small")
    if title:
        figure.suptitle(title)
    return figure


# ----- confusion matrix ----------------------------------------------------------------------
def _labels(y, who: str) -> np.ndarray:
    array = as_array(y, who)
    if array.ndim == 2:
        return array.argmax(axis=1)  # one-hot targets or predicted probabilities
    if array.ndim != 1:
        raise ValueError(f"{who}: expected class labels of shape (n,) or scores of shape "
                         f"(n, classes), got shape {array.shape}")
    if not np.all(array == np.round(array)) or (array.size and array.min() < 0):
        raise ValueError(f"{who}: class labels must be integers >= 0")
    return array.astype(np.int64)


def confusion_matrix(y_true, y_pred, num_classes=None, normalize=None) -> np.ndarray:
    """Counts ``C[i, j]`` of samples of true class ``i`` predicted as class ``j``.

    Args:
        y_true, y_pred: integer labels of shape (n,), or one-hot / probabilities of shape
            (n, classes) (their argmax is taken).
        num_classes: size of the matrix (default: the largest label + 1).
        normalize: None for counts; ``"true"`` divides each row by its total (the recall of
            each class on the diagonal), ``"pred"`` each column (precision), ``"all"`` by n.
    """
    true = _labels(y_true, "confusion_matrix (y_true)")
    pred = _labels(y_pred, "confusion_matrix (y_pred)")
    if true.shape != pred.shape:
        raise ValueError(f"confusion_matrix: {true.size} true labels but {pred.size} predictions")
    seen = int(max(true.max(initial=-1), pred.max(initial=-1))) + 1
    size = seen if num_classes is None else int(num_classes)
    if size < seen:
        raise ValueError(f"confusion_matrix: label {seen - 1} does not fit {size} classes")
    matrix = np.zeros((size, size), dtype=np.float64)
    np.add.at(matrix, (true, pred), 1.0)
    if normalize in (None, False):
        return matrix.astype(np.int64)
    totals = {"true": matrix.sum(axis=1, keepdims=True), "pred": matrix.sum(axis=0, keepdims=True),
              "all": matrix.sum()}
    if normalize not in totals:
        raise ValueError(f"confusion_matrix: normalize must be None, 'true', 'pred' or 'all', "
                         f"got {normalize!r}")
    total = totals[normalize]
    return np.divide(matrix, total, out=np.zeros_like(matrix), where=total != 0)


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize=False, cmap="Blues",
                          title=None):
    """The confusion matrix as a coloured grid with the number in every cell.

    Args:
        y_true, y_pred: labels or scores, as for :func:`confusion_matrix`.
        class_names: a name per class (the tick labels); default: 0, 1, 2...
        normalize: ``False`` for counts; ``True`` (same as ``"true"``): fractions of each
            true class; ``"pred"`` or ``"all"`` as in :func:`confusion_matrix`.
        cmap: a matplotlib colour map name.
        title: default "Confusion matrix" (with the normalization said).

    Returns:
        The Figure (rows: "True label", columns: "Predicted label").
    """
    mode = "true" if normalize is True else (normalize or None)
    classes = len(class_names) if class_names is not None else None
    matrix = confusion_matrix(y_true, y_pred, num_classes=classes, normalize=mode)
    names = [str(n) for n in class_names] if class_names is not None else [
        str(i) for i in range(matrix.shape[0])]
    size = matrix.shape[0]
    figure, (ax,) = new_figure(1, panel_size=(max(4.0, 0.55 * size + 2.5),
                                              max(3.5, 0.5 * size + 2.0)))
    image = ax.imshow(matrix, cmap=cmap, vmin=0)
    figure.colorbar(image, ax=ax, label="fraction" if mode else "count")
    threshold = matrix.max() / 2 if matrix.size else 0
    for i in range(size):
        for j in range(size):
            value = matrix[i, j]
            text = f"{value:.2f}" if mode else str(int(value))
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    color="white" if value > threshold else "black")
    ax.set_xticks(range(size), names, rotation=45 if size > 5 else 0, ha="right" if size > 5
                  else "center")
    ax.set_yticks(range(size), names)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title(title or ("Confusion matrix" + (f" (normalized over {mode})" if mode else "")))
    return figure


# ----- softmax outputs -------------------------------------------------------------------------
def plot_softmax(probs, class_names=None, true_labels=None, columns=4, max_samples=16):
    """Bar charts of predicted class probabilities, one panel per sample.

    The predicted class (the tallest bar) is orange; when ``true_labels`` are given, the
    true class is green (so a wrong prediction shows an orange and a green bar, a right one
    a green bar alone). A key under the panels says so.

    Args:
        probs: probabilities of shape (classes,) for one sample or (n, classes); each row
            must be non-negative and sum to 1 (apply softmax to logits first).
        class_names: a name per class (default 0, 1, 2...).
        true_labels: the true class of each sample (an int, or a sequence of n ints).
        columns: panels per row.
        max_samples: at most this many samples are drawn.

    Returns:
        The Figure; each panel's title names the prediction and its probability.
    """
    values = as_array(probs, "plot_softmax")
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2 or values.shape[1] == 0:
        raise ValueError(f"plot_softmax: expected probabilities of shape (classes,) or "
                         f"(n, classes), got shape {values.shape}")
    if np.any(values < 0) or not np.allclose(values.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("plot_softmax: each row must be probabilities (>= 0, summing to 1); "
                         "these look like logits: apply softmax first")
    classes = values.shape[1]
    names = [str(n) for n in class_names] if class_names is not None else [
        str(i) for i in range(classes)]
    if len(names) != classes:
        raise ValueError(f"plot_softmax: {len(names)} class names for {classes} classes")
    truth = None
    if true_labels is not None:
        truth = np.atleast_1d(np.asarray(true_labels, dtype=np.int64))
        if truth.size != values.shape[0]:
            raise ValueError(f"plot_softmax: {truth.size} true labels for {values.shape[0]} "
                             "samples")
    values = values[:max_samples]
    figure, axes = new_figure(len(values), columns=columns,
                              panel_size=(max(3.0, 0.4 * classes + 1.0), 2.6), sharey=True)
    for index, (ax, row) in enumerate(zip(axes, values)):
        predicted = int(row.argmax())
        colours = ["#9e9e9e"] * classes
        colours[predicted] = "#ff7f0e"
        title = f"predicted {names[predicted]} ({row[predicted]:.0%})"
        if truth is not None:
            colours[truth[index]] = "#2ca02c"
            title += f", true {names[truth[index]]}"
        ax.bar(range(classes), row, color=colours)
        ax.set_ylim(0, 1)
        ax.set_xticks(range(classes), names, rotation=45 if classes > 5 else 0,
                      ha="right" if classes > 5 else "center", fontsize="small")
        ax.set_title(title, fontsize="medium")
        if index % columns == 0:
            ax.set_ylabel("probability")
    key = [Patch(color="#ff7f0e", label="predicted class" if truth is None
                 else "predicted class, when wrong")]
    if truth is not None:
        key.append(Patch(color="#2ca02c", label="true class"))
    key.append(Patch(color="#9e9e9e", label="other classes"))
    figure.legend(handles=key, loc="outside lower center", ncols=len(key), fontsize="small")
    return figure
