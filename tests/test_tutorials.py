"""The tutorial notebooks, in English and Korean: each runs from top to bottom in a real
Jupyter kernel and its own checks pass; the results table's generator writes its format.

Every notebook honours ``TINYGRAD_EDU_QUICK=1`` (small data, few epochs) and ends with a
"Checks" cell of assertions on its results, finishing with ``print("checks passed")``. Here
each notebook is executed the way ``tutorials/_make_results.py`` executes it for the
published table (nbclient, a fresh ``python3`` kernel, a temporary working folder), but in
quick mode; the numbers it reports are then formatted into a table that must have the same
form as the committed one in ``tutorials/README.md``.

The notebooks are generated from ``tutorials/src/*.py`` by ``tutorials/_build_notebooks.py``;
the tests also check that both languages are up to date, share their code, are stored
without outputs and are listed in their README.
"""

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("[0-9][0-9]_*.ipynb"))
KOREAN = sorted((TUTORIALS / "ko").glob("[0-9][0-9]_*.ipynb"))
SOURCES = sorted((TUTORIALS / "src").glob("[0-9][0-9]_*.py"))
QUICK_RUN_TIMEOUT = 300  # seconds per cell; a quick run takes a few
QUICK_RUNS = {}  # notebook path -> what run_notebook returned (filled by the quick runs)


def _cells(notebook: Path, kind: str) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == kind]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, TUTORIALS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fashion_mnist_available():
    from tinygrad_edu.datasets import DatasetNotFoundError, load_fashion_mnist

    try:
        load_fashion_mnist()
    except DatasetNotFoundError:
        return False
    return True


def test_there_are_notebooks_for_every_source_in_both_languages():
    assert len(NOTEBOOKS) >= 12
    assert [n.stem for n in NOTEBOOKS] == [s.stem for s in SOURCES] == [n.stem for n in KOREAN]


@pytest.mark.parametrize("notebook", NOTEBOOKS + KOREAN,
                         ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_notebook_runs_in_quick_mode_in_a_real_kernel(notebook, fashion_mnist_available):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    if "load_fashion_mnist" in "".join(_cells(notebook, "code")) and not fashion_mnist_available:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    results = _load("_make_results")
    run = results.run_notebook(notebook, quick=True, timeout=QUICK_RUN_TIMEOUT)
    cells = [cell for cell in run["notebook"].cells if cell.cell_type == "code"]
    checks = "".join(output.get("text", "") for output in cells[-2].outputs)
    assert checks.rstrip().endswith("checks passed"), checks[-2000:]
    for cell in cells:
        errors = [output for output in cell.outputs if output.output_type == "error"]
        assert not errors, errors
        for output in cell.outputs:  # a figure shows its picture, not only "<Figure size ...>"
            data = output.get("data", {})
            if data.get("text/plain", "").startswith("<Figure size"):
                assert "image/png" in data, "a figure printed as text instead of a picture"
    assert len(run["values"]) == len(results.RESULTS[notebook.name[:2]])
    QUICK_RUNS[notebook] = run


def test_the_results_table_has_the_generators_format():
    """The committed table parses with the generator's own format, has a row per notebook
    with a number for every result, and the table a quick run produces parses the same."""
    results = _load("_make_results")
    for language, readme in results.READMES.items():
        committed = results.parse_table(readme.read_text(encoding="utf-8"))
        assert sorted(committed) == [n.name for n in NOTEBOOKS], language
        for name, row in committed.items():
            labels = [entry[0 if language == "en" else 1] for entry in results.RESULTS[name[:2]]]
            assert all(f"{label}: " in row["results"] for label in labels), (name, row)
            assert re.search(r"\d", row["results"]) and row["seconds"] >= 0
        assert "Run " in readme.read_text(encoding="utf-8") or language == "ko"
    runs = {path.name: run for path, run in QUICK_RUNS.items() if path.parent == TUTORIALS}
    if not runs:  # the quick runs were not selected: run the smallest notebook here
        first = NOTEBOOKS[0]
        runs = {first.name: results.run_notebook(first, quick=True)}
    for language in results.HEADERS:
        table = results.format_table(runs, language, True, "2000-01-01", results.machine())
        rows = results.parse_table(table)
        assert sorted(rows) == sorted(runs)
        for name, run in runs.items():
            assert f"| {run['seconds']:.0f} s |" in table and rows[name]["results"]


@pytest.mark.parametrize("notebook", NOTEBOOKS + KOREAN,
                         ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_notebook_is_stored_without_outputs(notebook):
    data = json.loads(notebook.read_text(encoding="utf-8"))
    assert data["nbformat"] == 4
    for cell in data["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell["id"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_teaches_and_checks(notebook):
    markdown = _cells(notebook, "markdown")
    code = _cells(notebook, "code")
    assert markdown[0].startswith(f"# {notebook.stem[:2]} - "), "first cell: a numbered title"
    assert "What the course says" in markdown[0] and "What to look for" in markdown[0]
    assert "(../docs/glossary.md)" in markdown[0]
    assert "TINYGRAD_EDU_QUICK" in code[0], "the first code cell reads the quick-mode switch"
    assert "assert " in code[-1] and code[-1].rstrip().endswith('print("checks passed")')


@pytest.mark.parametrize("notebook", KOREAN, ids=lambda path: path.stem)
def test_the_korean_notebook_is_the_english_one_in_korean(notebook):
    english = TUTORIALS / notebook.name
    assert _cells(notebook, "code") == _cells(english, "code")  # the same computations
    korean, original = _cells(notebook, "markdown"), _cells(english, "markdown")
    assert len(korean) == len(original)
    assert korean[0].startswith(f"# {notebook.stem[:2]} - ")
    assert "강의 내용" in korean[0] and "살펴볼 점" in korean[0]
    assert "(../../docs/glossary.md)" in korean[0]
    hangul = re.compile(r"[\uac00-\ud7a3]")
    assert all(hangul.search(text) for text in korean), "every markdown cell is in Korean"
    for text, twin in zip(korean, original):  # headings match section by section
        assert re.findall(r"^#+ (\d+)\.", text, re.M) == re.findall(r"^#+ (\d+)\.", twin, re.M)
    ids = [cell["id"] for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]]
    english_ids = [cell["id"] for cell in json.loads(english.read_text(encoding="utf-8"))["cells"]]
    assert ids == english_ids


def test_every_english_markdown_cell_has_a_korean_twin():
    builder = _load("_build_notebooks")
    for source in builder.sources():
        assert builder.untranslated(source) == [], source.name


def test_notebooks_are_built_from_their_sources():
    builder = _load("_build_notebooks")
    for source in builder.sources():
        for language in builder.LANGUAGES:
            notebook = builder.target(source, language)
            assert notebook.read_text(encoding="utf-8") == builder.notebook_text(
                source, language), (
                f"{notebook} is out of date: run python tutorials/_build_notebooks.py")


def test_every_notebook_is_listed_in_its_readme():
    readme = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    korean = (TUTORIALS / "ko" / "README.md").read_text(encoding="utf-8")
    for notebook in NOTEBOOKS:
        assert f"({notebook.name})" in readme, f"{notebook.name} is not linked in the README"
        assert f"({notebook.name})" in korean, f"{notebook.name} is not in the Korean README"
    assert 'pip install -e ".[tutorials]"' in readme and "jupyter lab tutorials/" in readme
    assert "(ko/README.md)" in readme and "(../README.md)" in korean
    assert "(../docs/glossary.md)" in readme and "(../../docs/glossary.md)" in korean
