"""The documents a new user reads: every Python block of README.md runs as printed, on its
own, and every name the glossary gives exists in the framework.

The course-model example trains on all of Fashion-MNIST for 10 epochs (a minute or two on
2 cores): as printed it runs with ``-m slow``; the default run trains it for 1 epoch, the
only change made to it."""

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```", README, re.S | re.M)
GLOSSARY = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
BLOCK_TIMEOUT = 900  # seconds; the Fashion-MNIST example trains for up to 10 epochs


def _imported_modules(code: str) -> set[str]:
    found = re.findall(r"^\s*(?:from|import) ([A-Za-z_][\w]*)", code, re.M)
    return set(found) - {"tinygrad_edu"}


def test_the_readme_has_its_examples():
    assert len(BLOCKS) >= 5
    assert 'pip install -e ".[dev,reference]"' in README  # how to run the reference tests
    assert "(tutorials/ko/README.md)" in README and "(docs/glossary.md)" in README


FULL_TRAINING = "epochs=10"


def _long(code: str) -> bool:
    return "load_fashion_mnist" in code and FULL_TRAINING in code


@pytest.mark.parametrize("code", [pytest.param(code, marks=pytest.mark.slow) if _long(code)
                                  else code for code in BLOCKS],
                         ids=lambda code: code.splitlines()[-1][:40])
def test_readme_block_runs_as_printed(code, tmp_path):
    _run_block(code, tmp_path)


@pytest.mark.parametrize("code", [code for code in BLOCKS if _long(code)],
                         ids=lambda code: code.splitlines()[-1][:40])
def test_readme_training_block_runs_for_one_epoch(code, tmp_path):
    _run_block(code.replace(FULL_TRAINING, "epochs=1"), tmp_path)
    assert (tmp_path / "fashion.npz").exists()


def _run_block(code, tmp_path):
    for module in sorted(_imported_modules(code)):
        pytest.importorskip(module)
    if "load_fashion_mnist" in code:
        from tinygrad_edu.datasets import DatasetNotFoundError, load_fashion_mnist

        try:
            load_fashion_mnist()
        except DatasetNotFoundError:
            pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=BLOCK_TIMEOUT)
    assert result.returncode == 0, f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"


def test_every_name_in_the_glossary_exists():
    rows = [line for line in GLOSSARY.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) > 60
    for row in rows[1:]:
        korean, english, _ = (cell.strip() for cell in row.strip("|").split("|"))
        assert re.search(r"[\uac00-\ud7a3]", korean) and re.search(r"[a-z]", english), row
    names = set(re.findall(r"`((?:nn|optim|callbacks|regularizers|trace|gradcheck|viz|"
                           r"functional|sklearn|losses)\.[A-Za-z_][\w.]*)", GLOSSARY))
    assert len(names) > 30
    for name in sorted(names):
        head, *rest = name.split(".")
        value = importlib.import_module(f"tinygrad_edu.{head}")
        for part in rest:
            assert hasattr(value, part), f"the glossary names {name}, which does not exist"
            value = getattr(value, part)
    from tinygrad_edu import init
    from tinygrad_edu.functional import get_activation
    from tinygrad_edu.losses import get_loss

    for initializer in re.findall(r'`"((?:glorot|he|lecun)_\w+)"`', GLOSSARY):
        init.get(initializer)
    for activation in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softmax"):
        assert f'"{activation}"' in GLOSSARY
        get_activation(activation)
    for loss in re.findall(r'`"(\w+_crossentropy|mean_squared_error|mse)"`', GLOSSARY):
        get_loss(loss)


def test_the_skip_summary_names_the_reference_extra(tmp_path):
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tmp_path / "test_reference.py").write_text(
        "import sys\nimport pytest\n\nsys.modules['torch'] = None  # as if not installed\n\n\n"
        "def test_against_torch():\n    pytest.importorskip('torch')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(tmp_path)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert "1 skipped" in result.stdout, result.stdout
    assert ('1 reference tests skipped: PyTorch/Keras are not installed; include them with '
            'pip install -e ".[dev,reference]"') in result.stdout
