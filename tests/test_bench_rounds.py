"""The benchmarks' shared ``--rounds`` option refuses a count its quartiles cannot use."""

import argparse
import importlib.util
import pathlib

import pytest

COMMON = pathlib.Path(__file__).resolve().parent.parent / "bench" / "common.py"


@pytest.fixture(scope="module")
def common():
    spec = importlib.util.spec_from_file_location("bench_common", COMMON)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parser_with_rounds(common):
    parser = argparse.ArgumentParser(prog="bench_example")
    common.add_rounds_argument(parser, default=5)
    return parser


def test_rounds_default_and_given(common):
    parser = parser_with_rounds(common)
    assert parser.parse_args([]).rounds == 5
    assert parser.parse_args(["--rounds", "2"]).rounds == 2


@pytest.mark.parametrize("given, message", [
    ("1", "--rounds must be at least 2 (the quartiles need two rounds), got 1"),
    ("0", "--rounds must be at least 2"),
    ("three", "--rounds takes a whole number, got 'three'"),
])
def test_rounds_refused_with_a_clear_message(common, capsys, given, message):
    parser = parser_with_rounds(common)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--rounds", given])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
