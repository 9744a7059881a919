"""Build the tutorial notebooks, in English (``tutorials/NN_name.ipynb``) and in Korean
(``tutorials/ko/NN_name.ipynb``), from one source each: ``tutorials/src/NN_name.py``.

The sources are plain Python files in the "percent" format, easy to read, diff and lint:

    # %% [markdown]
    # # A title
    # Some *markdown*: each line starts with "# " (or is a bare "#" for a blank line).

    # %% [markdown] lang=ko
    # # 제목
    # The same cell in Korean, right after the English one.

    # %%
    x = 1 + 1          # a code cell runs until the next "# %%" marker

A markdown cell is English unless its marker says ``lang=ko``; every English markdown cell is
followed by its Korean twin. Both notebooks get the same code cells, so they compute the
same things; a cell keeps the same id in both.

IPython magics are written commented out, as ``# %matplotlib inline``, so that the sources
stay valid Python; in the notebook the line becomes ``%matplotlib inline``.

The notebooks are written with the ``json`` module (no Jupyter needed), without outputs, with
stable cell ids, so rebuilding an unchanged source gives the same file byte for byte.

Usage::

    python tutorials/_build_notebooks.py           # (re)write every notebook, both languages
    python tutorials/_build_notebooks.py --check   # exit 1 if a notebook is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

TUTORIALS = Path(__file__).resolve().parent
SOURCES = TUTORIALS / "src"
CELL_MARKER = re.compile(r"^# %%(?P<kind> \[markdown\])?(?: lang=(?P<lang>[a-z]{2}))?\s*$")
LANGUAGES = ("en", "ko")
COMMENTED_MAGIC = re.compile(r"^# (?P<magic>%[A-Za-z].*)$")

METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}


def _trim(lines: list[str]) -> list[str]:
    """Drop blank lines at both ends of a cell."""
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _markdown_line(line: str, source: Path, number: int) -> str:
    if line.strip() == "#":
        return ""
    if line.startswith("# "):
        return line[2:]
    if not line.strip():
        return ""
    raise ValueError(f"{source.name}:{number}: a markdown cell line must start with '# ' "
                     f"(or be '#'), got {line!r}")


def parse_cells(source: Path) -> list[tuple[str, str, str | None]]:
    """``[(cell_type, text, language)]`` from a percent-format file (language: ``None`` for
    code, ``"en"`` or ``"ko"`` for markdown); text before the first marker is ignored."""
    cells = []
    kind, lines, language = None, [], None
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        marker = CELL_MARKER.match(line)
        if marker:
            if kind is not None:
                cells.append((kind, lines, language))
            kind, lines = ("markdown" if marker.group("kind") else "code"), []
            language = (marker.group("lang") or "en") if kind == "markdown" else None
            if language not in (None, *LANGUAGES):
                raise ValueError(f"{source.name}:{number}: unknown language {language!r}; "
                                 f"use one of {', '.join(LANGUAGES)}")
            continue
        if kind == "markdown":
            line = _markdown_line(line, source, number)
        elif COMMENTED_MAGIC.match(line):
            line = COMMENTED_MAGIC.match(line).group("magic")
        lines.append(line)
    if kind is not None:
        cells.append((kind, lines, language))
    result = [(kind, "\n".join(_trim(lines)), language) for kind, lines, language in cells]
    return [cell for cell in result if cell[1]]


def _source_lines(text: str) -> list[str]:
    """The notebook convention: a list of lines, each but the last ending in a newline."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def build_notebook(source: Path, language: str = "en") -> dict:
    """The notebook for one source file in one language, as a JSON-ready dict (nbformat 4.5,
    no outputs). A Korean cell takes the id of the English cell it translates."""
    cells = []
    index = -1
    for kind, text, cell_language in parse_cells(source):
        if cell_language in (None, "en"):
            index += 1
        if cell_language not in (None, language):
            continue
        cell = {"cell_type": kind, "id": f"{source.stem[:2]}-{index:03d}", "metadata": {},
                "source": _source_lines(text)}
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        cells.append(cell)
    return {"cells": cells, "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}


def notebook_text(source: Path, language: str = "en") -> str:
    return json.dumps(build_notebook(source, language), indent=1, ensure_ascii=False) + "\n"


def sources() -> list[Path]:
    return sorted(SOURCES.glob("[0-9][0-9]_*.py"))


def target(source: Path, language: str = "en") -> Path:
    folder = TUTORIALS if language == "en" else TUTORIALS / language
    return folder / f"{source.stem}.ipynb"


def untranslated(source: Path) -> list[str]:
    """The English markdown cells not directly followed by a Korean one (their first line)."""
    cells = parse_cells(source)
    missing = []
    for position, (kind, text, language) in enumerate(cells):
        following = cells[position + 1] if position + 1 < len(cells) else None
        if kind == "markdown" and language == "en" and (
                following is None or following[2] != "ko"):
            missing.append(text.splitlines()[0])
    return missing


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="report notebooks that differ from their sources; write nothing")
    args = parser.parse_args(argv)
    stale = []
    for source in sources():
        for language in LANGUAGES:
            path, text = target(source, language), notebook_text(source, language)
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == text:
                continue
            stale.append(str(path.relative_to(TUTORIALS)))
            if not args.check:
                path.parent.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(TUTORIALS.parent)}")
    if args.check and stale:
        print("out of date (run python tutorials/_build_notebooks.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
