"""Figure helpers shared by the plotting modules, and how figures reach the screen.

Figures are made with ``matplotlib.figure.Figure`` directly, never through ``pyplot``: no
window opens, no display is needed, nothing accumulates in pyplot's global list of figures,
and the caller's backend is left alone.

A figure made this way has no pyplot backend to draw it, so Jupyter would print only
``<Figure size 640x480 with 1 Axes>``. :func:`enable_notebook_display` (called when ``viz``
is imported in IPython, and by every plot) registers a PNG formatter for figures with
IPython's display system, so a cell ending in a figure shows the picture with no
``%matplotlib inline``, whatever the backend (even ``MPLBACKEND=Agg``). In a script,
:func:`show` saves the figure to a file (or ``figure.savefig(path)`` does).
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from tinygrad_edu.tensor import Tensor

__all__ = ["new_figure", "as_array", "enable_notebook_display", "show"]


def _figure_png(figure) -> bytes:
    from IPython.core.pylabtools import print_figure

    return print_figure(figure, "png", bbox_inches="tight")


def _shell():
    """The running IPython shell, or None (plain Python)."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def enable_notebook_display() -> bool:
    """Make IPython show figures as PNG pictures; False outside IPython (nothing to do).
    Safe to repeat."""
    shell = _shell()
    if shell is None:
        return False
    shell.display_formatter.formatters["image/png"].for_type(Figure, _figure_png)
    return True


def show(figure, path=None):
    """Show ``figure``: inline in Jupyter, else saved as a PNG (``path`` or a temporary file)
    whose path is printed and returned.

    >>> figure = Figure()
    >>> _ = figure.subplots().plot([0, 1])
    >>> saved = show(figure, tempfile.mkdtemp() + "/line.png")  # doctest: +ELLIPSIS
    saved the figure to .../line.png
    """
    shell = _shell()
    if shell is not None and path is None and getattr(shell, "kernel", None) is not None:
        enable_notebook_display()
        from IPython.display import display

        display(figure)
        return None
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="tinygrad_edu_")) / "figure.png"
    path = Path(path)
    figure.savefig(path, dpi=110)
    print(f"saved the figure to {path}")
    return path


def new_figure(panels: int, columns: int | None = None, panel_size=(4.0, 3.0),
               sharex=False, sharey=False):
    """A figure with ``panels`` axes on a grid; returns ``(figure, list_of_axes)``.

    Unused grid cells are hidden, so the list holds exactly ``panels`` axes.
    """
    panels = max(int(panels), 1)
    columns = min(columns or panels, panels)
    rows = math.ceil(panels / columns)
    enable_notebook_display()
    figure = Figure(figsize=(panel_size[0] * columns, panel_size[1] * rows),
                    layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False, sharex=sharex, sharey=sharey)
    axes = list(grid.ravel())
    for unused in axes[panels:]:
        unused.set_visible(False)
    return figure, axes[:panels]


def as_array(values, who: str, dtype=np.float64) -> np.ndarray:
    """A numpy array from a Tensor, array or nested list, with a clear error otherwise."""
    data = values.data if isinstance(values, Tensor) else values
    try:
        return np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{who}: expected numbers (a Tensor, numpy array or list), got "
                        f"{type(values).__name__}: {error}") from None
