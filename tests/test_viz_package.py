"""How the pictures are imported: ``tinygrad_edu.viz`` always finds them, ``import viz`` too
unless something else has that name, and a missing extra gets one clear message."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_both_spellings_are_one_module(tmp_path):
    result = run("import viz\nfrom tinygrad_edu import viz as long\n"
                 "print(viz is long, callable(long.draw_graph), long.show.__module__)", tmp_path)
    assert result.stdout.split() == ["True", "True", "viz.figures"], result.stderr


def test_a_students_viz_py_does_not_hide_the_pictures(tmp_path):
    (tmp_path / "viz.py").write_text("MINE = True\n")
    result = run("import viz\nimport tinygrad_edu.viz as pictures\n"
                 "from tinygrad_edu.viz.training import plot_history\n"
                 "print(viz.MINE, pictures is not viz, callable(pictures.plot_history),\n"
                 "      plot_history is pictures.plot_history)", tmp_path)
    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr


def test_without_the_extra_one_clear_message(tmp_path):
    result = run("import importlib.util\n"
                 "real = importlib.util.find_spec\n"
                 "importlib.util.find_spec = lambda name, *rest: (\n"
                 "    None if name == 'matplotlib' else real(name, *rest))\n"
                 "import viz\n", tmp_path)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: tinygrad_edu's pictures need matplotlib")
    assert 'pip install "tinygrad-edu[viz]"' in last
