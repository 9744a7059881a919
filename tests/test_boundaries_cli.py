"""Command-line boundaries: input that cannot be computed or written prints one clear line
and exits with status 2, never a traceback; expressions may start with ``-``."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("graphviz")


def run(*arguments, cwd):
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "tinygrad_edu", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=environment)


REFUSED = [
    ("matmul of two numbers", ["graph", "x @ w", "--set", "x=1", "--set", "w=2"],
     "tinygrad-edu graph: Expression 'x @ w': cannot compute 'x @ w': matmul: operands must "
     "have at least 1 dim"),
    ("a 990-digit literal", ["graph", "9" * 990], "a number is too large"),
    ("an output folder that cannot be created",
     ["graph", "x*2", "--set", "x=1", "-o", "blocker/sub/g.dot"],
     "tinygrad-edu graph: cannot write"),
    ("an unknown variable", ["graph", "x*y", "--set", "x=1"], "no value for y"),
]


@pytest.mark.parametrize("arguments, message", [case[1:] for case in REFUSED],
                         ids=[case[0] for case in REFUSED])
def test_refused_input_prints_one_line_and_exits_2(tmp_path, arguments, message):
    (tmp_path / "blocker").write_text("a file where a folder is needed")
    result = run(*arguments, "-o", "g.dot", cwd=tmp_path) if "-o" not in arguments else run(
        *arguments, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr


@pytest.mark.parametrize("expression, value, gradient", [
    ("-x*2", "-6", "-2"), ("-x", "-3", "-1"), ("-(x + 1) * x", "-12", "-7")])
def test_an_expression_may_start_with_a_minus(tmp_path, expression, value, gradient):
    result = run("graph", expression, "--set", "x=3", "-o", "g.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{expression} = {value}" in result.stdout
    assert f"d/dx = {gradient}" in result.stdout
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_options_still_work_around_a_minus_expression(tmp_path):
    result = run("graph", "--set", "x=3", "-x*2", "--no-values", "-o", "g.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "-x*2 = -6" in result.stdout
