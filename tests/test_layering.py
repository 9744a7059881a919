"""The core's imports point one way: the engine below Tensor, the module tree below the file format.

The imports are read from the source (top-level and inside functions alike), so a lazy import
that closes a circle is caught too.
"""

import ast
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.nn import weights as module_weights

PACKAGE = pathlib.Path(tg.__file__).parent


def _imports(path: pathlib.Path) -> set:
    """Every ``tinygrad_edu`` module that ``path`` imports, anywhere in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("tinygrad_edu")}


def _files(folder: str) -> list:
    files = sorted((PACKAGE / folder).glob("*.py"))
    assert files, f"no files under {folder}"
    return files


def test_the_module_tree_never_imports_the_file_format():
    for path in _files("nn"):
        imported = _imports(path)
        assert not any(name.startswith("tinygrad_edu.serialization") for name in imported), path
    assert "tinygrad_edu.nn.module" in _imports(PACKAGE / "serialization.py")


def test_the_engine_imports_nothing_above_it():
    for path in _files("autograd"):
        outside = {name for name in _imports(path) if not name.startswith("tinygrad_edu.autograd")}
        assert outside == set(), f"{path.name} imports {outside}"


def test_a_lazy_import_inside_a_function_is_seen(tmp_path):
    lazy = tmp_path / "lazy.py"
    lazy.write_text("def save():\n    from tinygrad_edu import serialization\n")
    assert "tinygrad_edu.serialization" in _imports(lazy)


def test_save_reaches_the_file_format_through_the_seam(tmp_path, monkeypatch):
    model = tg.nn.Dense(2, input_shape=(3,))
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    twin = tg.nn.Dense(2, input_shape=(3,))
    twin.load_weights(path)
    np.testing.assert_array_equal(twin.kernel.numpy(), model.kernel.numpy())

    monkeypatch.setattr(module_weights, "_file_format", {})
    with pytest.raises(RuntimeError, match=r"Module\.save: no file format is registered"):
        model.save(tmp_path / "model.npz")


def test_the_keras_namespace_sits_on_top_and_reaches_viz_only_lazily():
    """Nothing in the framework imports the Keras-shaped namespace (it only arranges names);
    the namespace imports only the framework itself, never viz: ``plot_model`` is looked up
    in ``tinygrad_edu.viz`` on first use, so the namespace needs neither Graphviz nor
    matplotlib."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "keras" in path.relative_to(PACKAGE).parts:
            imported = _imports(path)
            assert not any(name.startswith("tinygrad_edu.viz") for name in imported), path
            top = {alias.name.split(".")[0] for node in ast.walk(ast.parse(path.read_text()))
                   if isinstance(node, ast.Import) for alias in node.names}
            top |= {node.module.split(".")[0] for node in ast.walk(ast.parse(path.read_text()))
                    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
            third_party = top - set(sys.stdlib_module_names) - {"tinygrad_edu", "__future__"}
            assert not third_party, f"{path} imports {third_party}"
        else:
            assert not any(name.startswith("tinygrad_edu.keras")
                           for name in _imports(path)), f"{path} imports the Keras namespace"
    script = ("import sys, tinygrad_edu.keras as keras; "
              "assert not {'viz', 'graphviz', 'matplotlib'} & set(sys.modules), sorted("
              "m for m in sys.modules if m.split('.')[0] in ('viz', 'graphviz', 'matplotlib'))")
    environment = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=environment, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
