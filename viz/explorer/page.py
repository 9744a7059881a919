"""One self-contained HTML page: the Graphviz drawing, the embedded data, the page's own script.

The page needs nothing from outside: its CSS and JavaScript ship in ``viz/explorer/static``
and are inlined (the JavaScript files joined into one script), the graph is an inline SVG,
and a Content-Security-Policy forbids every network request. It opens offline in any
browser, and in a notebook it lives in an iframe's
``srcdoc`` (no server).
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path

__all__ = ["Page", "asset", "embedded_data", "inline_svg"]

_NO_NETWORK = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
               "img-src data:")
_DATA = re.compile(r'<script type="application/json" id="explorer-data">(.*?)</script>', re.S)


def asset(name: str) -> str:
    """The text of a file shipped in ``viz/explorer/static``."""
    return resources.files("viz.explorer").joinpath("static", name).read_text(encoding="utf-8")


def inline_svg(svg: bytes | str) -> str:
    """Graphviz's SVG without its XML prolog, DOCTYPE and comments, ready to sit in HTML."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    return text[text.index("<svg"):]


def _json_script(data) -> str:
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/")  # a "</script>" inside a string must not end the block


def _joined(scripts) -> str:
    """The page's script files as one script, in one function scope (the files are the
    chapters of one program, split for reading; nothing of theirs leaks into the page)."""
    parts = "\n".join(asset(name) for name in scripts)
    return f'(function () {{\n"use strict";\n{parts}\n}})();'


def embedded_data(page_html: str) -> dict:
    """The data a page was built from, parsed back out of its HTML (for checks and tests)."""
    match = _DATA.search(page_html)
    if match is None:
        raise ValueError("embedded_data: this is not an explorer page (no embedded data)")
    return json.loads(match.group(1).replace("<\\/", "</"))


class Page:
    """A finished page: ``.html`` (the text), ``.save(path)``, and inline display in Jupyter.

    Attributes:
        html: the whole HTML document.
        data: the data embedded in it (plain dicts and lists).
        title: the page title.
    """

    #: height of the inline view in a notebook, in pixels
    height = 640

    def __init__(self, title: str, body: str, data: dict, scripts):
        self.title, self.data = title, data
        self.html = (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_NO_NETWORK}\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{asset('explorer.css')}</style></head>"
            f"<body>{body}<script type=\"application/json\" id=\"explorer-data\">"
            f"{_json_script(data)}</script><script>{_joined(scripts)}</script></body></html>\n"
        )

    def save(self, path) -> Path:
        """Write the page to ``path`` (e.g. ``"step.html"``); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        return path

    @property
    def size_kb(self) -> float:
        """The page's size in kB (1024 bytes), as written by :meth:`save`."""
        return len(self.html.encode("utf-8")) / 1024

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width: 100%; height: {self.height}px; border: 1px solid #ccc" '
                f'title="{html.escape(self.title, quote=True)}"></iframe>')

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.title!r}: {self.size_kb:.0f} kB>"
