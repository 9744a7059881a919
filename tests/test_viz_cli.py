"""The `graph` subcommand: safe parsing, forward/backward, printed gradients, the drawing."""

import argparse
import re
import shutil

import numpy as np
import pytest

pytest.importorskip("graphviz")

from viz.cli import add_commands  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")

NEURON = ["tanh(x*w + b)", "--set", "x=2.0", "--set", "w=-3.0", "--set", "b=6.88"]


def run(argv):
    parser = argparse.ArgumentParser(prog="tinygrad-edu")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["graph", *argv])
    return args.run(args)


def printed_numbers(text):
    return {name: float(value) for name, value in re.findall(r"d/d(\w+) = (\S+)", text)}


@needs_dot
def test_neuron_example_prints_value_and_gradients_and_draws_svg(tmp_path, capsys):
    output = tmp_path / "neuron.svg"
    assert run([*NEURON, "-o", str(output)]) == 0
    printed = capsys.readouterr().out
    z = 2.0 * -3.0 + 6.88
    slope = 1 - np.tanh(z) ** 2
    value = float(re.search(r"tanh\(x\*w \+ b\) = (\S+)", printed).group(1))
    assert value == pytest.approx(np.tanh(z), rel=1e-5)
    grads = printed_numbers(printed)
    assert grads == pytest.approx({"x": -3.0 * slope, "w": 2.0 * slope, "b": slope}, rel=1e-4)
    assert f"wrote {output}" in printed
    svg = output.read_text()
    assert "<svg" in svg
    for text in ("Tanh", "Add", "Mul", "tanh(x*w + b)", "grad 0.501", "mean |grad|"):
        assert text in svg


@needs_dot
@pytest.mark.parametrize("name, magic", [("g.png", b"\x89PNG"), ("g.pdf", b"%PDF")])
def test_format_comes_from_the_extension(tmp_path, name, magic, capsys):
    assert run([*NEURON, "-o", str(tmp_path / name)]) == 0
    assert (tmp_path / name).read_bytes()[:4] == magic


def test_dot_output_needs_no_graphviz_program(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert run([*NEURON, "-o", str(tmp_path / "neuron.dot"), "--rankdir", "TB"]) == 0
    source = (tmp_path / "neuron.dot").read_text()
    assert "digraph" in source and "rankdir=TB" in source and "grad -1.503" in source


def test_missing_dot_writes_the_source_and_says_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert run([*NEURON, "-o", str(tmp_path / "neuron.svg")]) == 1
    captured = capsys.readouterr()
    assert "apt-get install graphviz" in captured.err and "brew install graphviz" in captured.err
    assert "Tanh" in (tmp_path / "neuron.dot").read_text()
    assert not (tmp_path / "neuron.svg").exists()
    assert printed_numbers(captured.out)  # the numbers are still printed


@pytest.mark.parametrize("expression, fragment", [
    ("__import__('os').system('touch PWNED')", "not allowed"),
    ("x.__class__", "attribute access"),
    ("(lambda: 1)()", "a lambda is not allowed"),
    ("[x for x in y]", "list comprehension"),
    ("open('x')", "unknown function 'open'"),
    ("x.y", "attribute access"),
])
def test_anything_but_arithmetic_is_refused(tmp_path, monkeypatch, capsys, expression, fragment):
    monkeypatch.chdir(tmp_path)
    status = run([expression, "--set", "x=1", "--set", "y=2", "-o", "out.dot"])
    assert status == 2
    error = capsys.readouterr().err
    assert fragment in error and "Allowed:" in error
    assert list(tmp_path.iterdir()) == []  # nothing drawn, nothing run


@pytest.mark.parametrize("argv, fragment", [
    (["x * w", "--set", "x=1"], "no value for w; add --set w=VALUE"),
    (["x * width", "--set", "x=1", "--set", "widht=1"], "(width: did you mean widht?)"),
    (["x * 2", "--set", "x"], "write NAME=VALUE"),
    (["x * 2", "--set", "x=two"], "'two' is not a number"),
    (["x * 2", "--set", "x=1", "--set", "x=2"], "x is given more than once"),
])
def test_bad_assignments_are_explained(tmp_path, capsys, argv, fragment):
    assert run([*argv, "-o", str(tmp_path / "g.dot")]) == 2
    assert fragment in capsys.readouterr().err


def test_unused_variables_are_noted_and_constants_work(tmp_path, capsys):
    assert run(["x * x", "--set", "x=3", "--set", "unused=1", "-o", str(tmp_path / "a.dot")]) == 0
    captured = capsys.readouterr()
    assert "unused not used" in captured.err and printed_numbers(captured.out) == {"x": 6.0}
    assert run(["2 * 3", "-o", str(tmp_path / "b.dot")]) == 0
    assert "2 * 3 = 6" in capsys.readouterr().out


def test_unknown_extension_is_a_clear_error(tmp_path, capsys):
    assert run([*NEURON, "-o", str(tmp_path / "neuron.jpg")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err


def test_float64_variables(tmp_path, capsys):
    assert run(["x ** 3", "--set", "x=0.1", "--dtype", "float64", "-o",
                str(tmp_path / "g.dot")]) == 0
    assert printed_numbers(capsys.readouterr().out)["x"] == pytest.approx(0.03, rel=1e-12)


def test_wired_into_the_main_command(tmp_path, capsys):
    cli = pytest.importorskip("tinygrad_edu.cli")
    assert cli.main(["graph", *NEURON, "-o", str(tmp_path / "n.dot")]) == 0
    assert "d/dx = -1.50" in capsys.readouterr().out
