"""Every row of the op-case table against finite differences, first and second order."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.autograd import Function
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
from tinygrad_edu.op_cases import CASES, covered_ops

FIRST = [pytest.param(case, id=case.name) for case in CASES if case.order >= 1]
SECOND = [pytest.param(case, id=case.name) for case in CASES if case.order >= 2]
VALUES_ONLY = [pytest.param(case, id=case.name) for case in CASES if case.order == 0]


@pytest.mark.parametrize("case", FIRST)
def test_first_derivatives(case):
    assert gradcheck(case.fn, case.inputs(), **case.tolerances)


@pytest.mark.parametrize("case", SECOND)
def test_second_derivatives(case):
    assert gradgradcheck(case.fn, case.inputs(), **case.tolerances)


@pytest.mark.parametrize("case", VALUES_ONLY)
def test_ops_without_gradient_leave_the_graph(case):
    """Indices, truth values and floor quotients: results that no backward pass reaches."""
    inputs = case.inputs()
    assert any(t.requires_grad for t in inputs)
    out = case.fn(*inputs)
    assert not out.requires_grad and out.grad_fn is None, case.name


def test_rows_without_gradient_are_exactly_the_ops_without_gradient():
    assert {case.op for case in CASES if case.order == 0} == set(ops.NOT_DIFFERENTIABLE)


def test_names_are_unique():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


def _public_ops() -> set:
    names = set(ops.__all__) | {"astype"}
    try:
        from tinygrad_edu import functional
    except ImportError:
        return names
    return names | set(getattr(functional, "__all__", ()))


def test_every_public_op_has_a_row():
    missing = sorted(_public_ops() - covered_ops())
    assert not missing, f"public ops with no row in tinygrad_edu/op_cases.py: {missing}"


def test_every_graph_node_type_is_exercised(monkeypatch):
    """Each Function subclass must be run by some row, in forward or in a backward pass."""
    used = set()
    for cls in Function.registry().values():
        original = cls.forward

        def recording(self, *args, _original=original, _name=cls.__name__, **kwargs):
            used.add(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "forward", recording)
    for case in CASES:
        if case.order == 0:
            case.fn(*case.inputs())
            continue
        check = gradgradcheck if case.order >= 2 else gradcheck
        check(case.fn, case.inputs(), **case.tolerances)
    missing = sorted(set(Function.registry()) - used)
    assert not missing, f"graph node types no op-case row exercises: {missing}"


def test_wrong_backward_rule_is_caught(monkeypatch):
    from tinygrad_edu.ops import elementwise

    monkeypatch.setattr(elementwise.Sin, "backward",
                        lambda self, g: g * self.inputs[0].cos() * 1.01)
    x = tg.randn(3, requires_grad=True)
    assert not gradcheck(lambda a: a.sin(), [x], raise_exception=False)


def test_wrong_second_derivative_is_caught(monkeypatch):
    from tinygrad_edu.ops import elementwise

    monkeypatch.setattr(elementwise.Tanh, "backward",
                        lambda self, g: g * (1.0 - self.output.detach() ** 2))
    x = tg.randn(3, requires_grad=True)
    assert gradcheck(lambda a: a.tanh(), [x])
    assert not gradgradcheck(lambda a: a.tanh(), [x], raise_exception=False)


def test_cases_check_float64_even_from_float32_rows():
    case = CASES[0]
    inputs = [t.astype(np.float32).detach().requires_grad_() for t in case.inputs()]
    assert gradcheck(case.fn, inputs)
