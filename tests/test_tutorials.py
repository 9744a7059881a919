"""The tutorial notebooks: each runs from top to bottom and its own checks pass.

Every notebook honours ``TINYGRAD_EDU_QUICK=1`` (small data, few epochs) and ends with a
"Checks" cell of assertions on its results, finishing with ``print("checks passed")``. Here
the code cells of each notebook are joined into one script (IPython magics such as
``%matplotlib inline`` left out; no Jupyter needed) and run in a fresh interpreter in quick
mode, with the Agg matplotlib backend, in a temporary folder (checkpoints land there).

The notebooks are generated from ``tutorials/src/*.py`` by ``tutorials/_build_notebooks.py``;
the tests also check that they are up to date, stored without outputs and listed in
``tutorials/README.md``.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("[0-9][0-9]_*.ipynb"))
SOURCES = sorted((TUTORIALS / "src").glob("[0-9][0-9]_*.py"))
QUICK_RUN_TIMEOUT = 180  # seconds; a quick run takes a few


def _cells(notebook: Path, kind: str) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == kind]


def notebook_script(notebook: Path) -> str:
    """The notebook's code cells as one script, without IPython magics and shell lines."""
    kept = []
    for cell in _cells(notebook, "code"):
        lines = [line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))]
        kept.append("\n".join(lines))
    return "\n\n".join(kept) + "\n"


def _builder():
    spec = importlib.util.spec_from_file_location("_build_notebooks",
                                                  TUTORIALS / "_build_notebooks.py")
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


def test_there_are_notebooks_for_every_source():
    assert len(NOTEBOOKS) >= 12
    assert [n.stem for n in NOTEBOOKS] == [s.stem for s in SOURCES]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_in_quick_mode(notebook, tmp_path, fashion_mnist_available):
    script = notebook_script(notebook)
    if "load_fashion_mnist" in script and not fashion_mnist_available:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    path = tmp_path / f"{notebook.stem}.py"
    path.write_text(script, encoding="utf-8")
    env = dict(os.environ, TINYGRAD_EDU_QUICK="1", MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
                   [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    # Run the script as a kernel runs a notebook: its code has no file of its own, so worker
    # processes (a Dask cluster's) do not re-run the notebook when they start.
    runner = f"exec(compile(open({str(path)!r}).read(), {str(path)!r}, 'exec'))"
    result = subprocess.run([sys.executable, "-c", runner], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=QUICK_RUN_TIMEOUT)
    assert result.returncode == 0, (
        f"{notebook.name} failed in quick mode:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    assert result.stdout.rstrip().endswith("checks passed"), result.stdout[-2000:]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
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
    assert "TINYGRAD_EDU_QUICK" in code[0], "the first code cell reads the quick-mode switch"
    assert "assert " in code[-1] and code[-1].rstrip().endswith('print("checks passed")')


def test_notebooks_are_built_from_their_sources():
    builder = _builder()
    for source in builder.sources():
        notebook = builder.target(source)
        assert notebook.read_text(encoding="utf-8") == builder.notebook_text(source), (
            f"{notebook.name} is out of date: run python tutorials/_build_notebooks.py")


def test_every_notebook_is_listed_in_the_readme():
    readme = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    for notebook in NOTEBOOKS:
        assert f"({notebook.name})" in readme, f"{notebook.name} is not linked in the README"
    assert 'pip install -e ".[tutorials]"' in readme and "jupyter lab tutorials/" in readme
