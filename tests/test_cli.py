"""The ``tinygrad-edu`` command: gradcheck table and exit codes, ``python -m`` parity."""

import subprocess
import sys

from tinygrad_edu.cli import main
from tinygrad_edu.op_cases import CASES


def test_gradcheck_prints_a_table_and_succeeds(capsys):
    assert main(["gradcheck", "--op", "tanh"]) == 0
    out = capsys.readouterr().out
    assert "max abs err" in out and "max rel err" in out
    rows = [line for line in out.splitlines() if line.startswith("tanh/")]
    assert len(rows) == 2 * sum(case.op == "tanh" for case in CASES)
    assert all(line.rstrip().endswith("yes") for line in rows)
    assert "0 failed" in out


def test_order_selects_first_or_second_derivatives(capsys):
    assert main(["gradcheck", "--op", "exp/basic", "--order", "2"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()
            if line.startswith("exp/basic")]
    assert [row[1] for row in rows] == ["2"]


def test_a_wrong_backward_rule_fails_with_exit_status_1(monkeypatch, capsys):
    from tinygrad_edu.ops import elementwise

    monkeypatch.setattr(elementwise.Exp, "backward", lambda self, g: g * self.output * 1.1)
    assert main(["gradcheck", "--op", "exp", "--order", "1", "-v"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "numerical" in out and "analytical" in out


def test_unknown_op_lists_the_known_ones(capsys):
    assert main(["gradcheck", "--op", "no_such_op"]) == 2
    assert "Known ops" in capsys.readouterr().err


def test_python_dash_m_is_the_same_command():
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "gradcheck", "--op", "sin"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "sin/basic" in result.stdout
