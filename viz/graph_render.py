"""Turning a graph into a file, with a helpful error when Graphviz's ``dot`` is missing.

The Python package ``graphviz`` only writes DOT text; pictures are drawn by the separate
Graphviz program ``dot``. :class:`GraphDiagram` is a ``graphviz.Digraph`` whose rendering
(``pipe``, ``render``, and the inline display in Jupyter, which calls ``pipe``) turns the
"executable not found" failure into a :class:`GraphvizNotFoundError` that says how to install
Graphviz. The DOT text (``graph.source``) is always available, with or without ``dot``.
"""

from __future__ import annotations

from pathlib import Path

import graphviz

from tinygrad_edu.atomic_write import atomic_write

__all__ = ["GraphDiagram", "GraphvizNotFoundError", "render_graph", "INSTALL_HELP"]

INSTALL_HELP = (
    "Drawing the graph needs the Graphviz program 'dot', which was not found on PATH. "
    "Install Graphviz itself (the pip package 'graphviz' is only its Python interface):\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows:        winget install graphviz   (then open a new terminal)\n"
    "The DOT source is still available without it: graph.source, or "
    "render_graph(graph, 'graph.dot')."
)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """The Graphviz ``dot`` program is not installed (or not on PATH)."""

    def __init__(self, message: str = INSTALL_HELP):
        RuntimeError.__init__(self, message)


class GraphDiagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering explains how to install Graphviz if needed."""

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            if isinstance(error, GraphvizNotFoundError):
                raise
            raise GraphvizNotFoundError() from error

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            if isinstance(error, GraphvizNotFoundError):
                raise
            raise GraphvizNotFoundError() from error


_PICTURE_FORMATS = ("svg", "png", "pdf")
_SOURCE_FORMATS = ("dot", "gv")


def render_graph(graph, path, format=None) -> Path:  # noqa: A002 - graphviz's own word
    """Write ``graph`` to ``path`` as svg, png, pdf or DOT source, atomically.

    The picture is produced in memory and written to a temporary file next to ``path``,
    which then replaces ``path`` in one step: a reader never sees a half-written file, and
    a failed render leaves any previous file untouched.

    Args:
        graph: a ``graphviz.Digraph`` (e.g. from :func:`viz.draw_graph`).
        path: the output file.
        format: ``"svg"``, ``"png"``, ``"pdf"``, ``"dot"``/``"gv"`` (the source, which needs
            no Graphviz program); default: from the file extension.

    Returns:
        The path written.

    Raises:
        ValueError: unknown format.
        GraphvizNotFoundError: a picture format was asked for and ``dot`` is missing.
    """
    path = Path(path)
    chosen = (format or path.suffix.lstrip(".")).lower()
    if chosen in _SOURCE_FORMATS:
        content = graph.source.encode("utf-8")
    elif chosen in _PICTURE_FORMATS:
        try:
            content = graph.pipe(format=chosen)
        except graphviz.ExecutableNotFound as error:
            if isinstance(error, GraphvizNotFoundError):
                raise
            raise GraphvizNotFoundError() from error
    else:
        known = ", ".join(_PICTURE_FORMATS + _SOURCE_FORMATS)
        raise ValueError(
            f"render_graph: cannot tell the format of {str(path)!r} (got {chosen or 'none'!r}); "
            f"use a file name ending in one of {known}, or pass format="
        )
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda stream: stream.write(content), "render_graph")
    return path
