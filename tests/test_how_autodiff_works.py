"""docs/how_autodiff_works.md (and its Korean twin) cannot drift from the code it explains.

Every code block introduced by a line ``From `path/in/the/repository.py`:`` (in the Korean
guide ``출처 `path`:``) must stand in that file as it is, line for line (the block may be
dedented as a whole). Every ``>>>`` example in a guide runs, in order, as one doctest whose
line numbers are the guide's own. Any other code block is an error: it would be code that
nothing checks.
"""

from __future__ import annotations

import doctest
import pathlib
import re
import textwrap
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
GUIDES = [ROOT / "docs" / "how_autodiff_works.md", ROOT / "docs" / "ko" / "how_autodiff_works.md"]

_FENCE = re.compile(r"^```")
_MARKER = re.compile(r"^(?:From|출처) `([^`]+)`:$")


def code_blocks(text: str) -> list:
    """(first line number, the line before the fence, the block's lines) for each fenced block."""
    lines = text.splitlines()
    blocks, index = [], 0
    while index < len(lines):
        if _FENCE.match(lines[index]):
            end = index + 1
            while end < len(lines) and not _FENCE.match(lines[end]):
                end += 1
            before = next((line for line in reversed(lines[:index]) if line.strip()), "")
            blocks.append((index + 2, before, lines[index + 1:end]))
            index = end + 1
        else:
            index += 1
    return blocks


def excerpts(text: str) -> list:
    """(line number, source path, the excerpt's lines) for every marked block."""
    found = []
    for lineno, before, block in code_blocks(text):
        marker = _MARKER.match(before.strip())
        if marker:
            found.append((lineno, marker.group(1), block))
    return found


def _contains_run(source_lines: list, excerpt: list) -> bool:
    """Whether ``excerpt`` is a run of consecutive source lines, dedented alike."""
    wanted = textwrap.dedent("\n".join(excerpt)).splitlines()
    size = len(wanted)
    for start in range(len(source_lines) - size + 1):
        window = source_lines[start:start + size]
        if textwrap.dedent("\n".join(window)).splitlines() == wanted:
            return True
    return False


def drifted(text: str, root: pathlib.Path = ROOT) -> list:
    """A message for every excerpt of ``text`` that no longer matches its file under ``root``."""
    problems = []
    for lineno, path, block in excerpts(text):
        source = root / path
        if not source.is_file():
            problems.append(f"line {lineno}: {path} does not exist")
        elif not block or not _contains_run(source.read_text().splitlines(), block):
            problems.append(f"line {lineno}: the excerpt is not in {path} as written")
    return problems


def examples_only(text: str) -> str:
    """The guide with every line outside a ``>>>`` block blanked: the examples keep their
    line numbers, and a fence line never runs into an expected output."""
    kept = [""] * len(text.splitlines())
    for lineno, _, block in code_blocks(text):
        if block and block[0].startswith(">>>"):
            kept[lineno - 1:lineno - 1 + len(block)] = block
    return "\n".join(kept) + "\n"


@pytest.fixture(params=GUIDES, ids=lambda path: str(path.relative_to(ROOT)))
def guide(request) -> pathlib.Path:
    return request.param


def test_every_excerpt_matches_the_source(guide):
    text = guide.read_text()
    assert len(excerpts(text)) >= 10, "the guide walks through the engine in excerpts"
    assert drifted(text) == []


def test_every_block_is_an_excerpt_or_an_example(guide):
    for lineno, before, block in code_blocks(guide.read_text()):
        is_example = bool(block) and block[0].startswith(">>>")
        assert is_example or _MARKER.match(before.strip()), (
            f"{guide.name} line {lineno}: a code block that is neither an example (>>>) nor an "
            "excerpt (after a line From `path`:)")


def test_the_examples_run(guide):
    text = guide.read_text()
    parser = doctest.DocTestParser()
    test = parser.get_doctest(examples_only(text), {}, guide.name, str(guide), 0)
    assert len(test.examples) >= 20
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    with warnings.catch_warnings():
        # the anomaly example makes a NaN on purpose; numpy says so as it happens
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"


def test_the_twins_show_the_same_code():
    english, korean = (path.read_text() for path in GUIDES)
    assert [(path, block) for _, path, block in excerpts(english)] == [
        (path, block) for _, path, block in excerpts(korean)]


def test_a_changed_line_is_caught():
    text = GUIDES[0].read_text()
    for lineno, path, block in excerpts(text):
        lines = text.splitlines()
        lines[lineno - 1 + len(block) - 1] += "  # changed"  # the excerpt's last line
        assert drifted("\n".join(lines)) == [
            f"line {lineno}: the excerpt is not in {path} as written"]


def test_a_changed_source_is_caught(tmp_path):
    text = GUIDES[0].read_text()
    for _, path, _ in excerpts(text):
        copy = tmp_path / path
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text((ROOT / path).read_text())
    assert drifted(text, tmp_path) == []
    lineno, path, block = excerpts(text)[0]
    source = (tmp_path / path).read_text()
    line = next(line for line in block if line.strip() and source.count(line.strip()) == 1)
    (tmp_path / path).write_text(source.replace(line.strip(), line.strip() + " + 0"))
    assert drifted(text, tmp_path) == [f"line {lineno}: the excerpt is not in {path} as written"]
