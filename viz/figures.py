"""Figure helpers shared by the plotting modules.

Figures are made with ``matplotlib.figure.Figure`` directly, never through ``pyplot``: no
window opens, no display is needed, nothing accumulates in pyplot's global list of figures,
and the caller's backend is left alone. Jupyter shows a returned figure inline; a script
saves it with ``fig.savefig(path)``.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from tinygrad_edu.tensor import Tensor

__all__ = ["new_figure", "as_array"]


def new_figure(panels: int, columns: int | None = None, panel_size=(4.0, 3.0),
               sharex=False, sharey=False):
    """A figure with ``panels`` axes on a grid; returns ``(figure, list_of_axes)``.

    Unused grid cells are hidden, so the list holds exactly ``panels`` axes.
    """
    panels = max(int(panels), 1)
    columns = min(columns or panels, panels)
    rows = math.ceil(panels / columns)
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
