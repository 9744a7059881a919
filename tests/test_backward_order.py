"""backward_order: the engine's order, public; derivative_name: how grad() names results."""

import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import backward_order, derivative_name


def _hooked_order(root):
    """The nodes in the order backward() actually runs them (a hook fires just before)."""
    seen, stack, visited = [], [root], set()
    while stack:
        tensor = stack.pop()
        if tensor.grad_fn is None or id(tensor) in visited:
            continue
        visited.add(id(tensor))
        tensor.register_hook(lambda grad, node=tensor.grad_fn: seen.append(node))
        stack.extend(tensor.grad_fn.inputs)
    root.backward(retain_graph=True)
    return seen


def test_order_is_the_one_backward_runs():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    w = tg.Tensor([0.5, -1.0], requires_grad=True)
    a = x * w
    b = a.exp() + a.tanh() * x  # a and x used twice: a diamond
    loss = (b * b).sum()
    order = backward_order(loss)
    assert [node.name for node in order][:2] == ["Sum", "Mul"]
    assert order == _hooked_order(loss)
    assert backward_order([loss, a]) == order  # a second root inside adds nothing


def test_long_chain_needs_no_recursion():
    x = tg.Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    order = backward_order(y)
    assert len(order) == 100_000 and order[0] is y.grad_fn


def test_freed_graph_and_leaves():
    x = tg.Tensor(2.0, requires_grad=True)
    assert backward_order(x) == []
    y = x * 3
    y.backward()
    with pytest.raises(RuntimeError, match="already freed"):
        backward_order(y)


def test_derivative_names():
    assert derivative_name("y", "x") == "dy/dx"
    assert derivative_name("dy/dx", "x") == "d2y/dx2"
    assert derivative_name("d2y/dx2", "x") == "d3y/dx3"
    assert derivative_name("dy/dx", "w") == "d(dy/dx)/dw"
    assert derivative_name("loss", None) is None
    x = tg.Tensor(3.0, requires_grad=True, name="x")
    y = x ** 3
    y.name = "y"
    (dy,) = tg.grad(y, x, create_graph=True)
    (d2y,) = tg.grad(dy, x)
    assert (dy.name, d2y.name) == ("dy/dx", "d2y/dx2")
    (unnamed,) = tg.grad((x * 2), x)
    assert unnamed.name is None
