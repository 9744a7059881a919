"""The engine: accumulation, graph freeing, hooks, grad modes, higher order, deep graphs."""

import gc
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, detect_anomaly, enable_grad, grad, no_grad
from tinygrad_edu.autograd import state


def test_gradients_of_a_reused_tensor_are_summed():
    x = Tensor(3.0, requires_grad=True)
    y = x * x + x  # x is used three times
    y.backward()
    assert x.grad.item() == pytest.approx(7.0)


def test_gradients_accumulate_across_backward_calls_until_zero_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    x.zero_grad()
    assert x.grad is None


def test_second_backward_through_a_freed_graph_says_so():
    x = Tensor(2.0, requires_grad=True)
    y = (x * x).exp()
    y.backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(8.0)


def test_non_scalar_backward_needs_a_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="single-element"):
        (x * 2).backward()
    (x * 2).backward(Tensor([1.0, 0.5]))
    assert x.grad.tolist() == [2.0, 1.0]


def test_backward_on_a_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_leaf_gradients_are_not_shared_objects():
    a = Tensor([1.0], requires_grad=True)
    b = Tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad


def test_second_derivative_of_tanh():
    values = np.linspace(-2, 2, 7)
    x = Tensor(values, requires_grad=True, dtype="float64")
    (dy,) = grad(x.tanh().sum(), x, create_graph=True)
    (d2y,) = grad(dy.sum(), x)
    sech2 = 1 / np.cosh(values) ** 2
    np.testing.assert_allclose(dy.data, sech2, rtol=1e-12)
    np.testing.assert_allclose(d2y.data, -2 * np.tanh(values) * sech2, rtol=1e-12)


def test_third_derivative_of_a_polynomial():
    x = Tensor(2.0, requires_grad=True, dtype="float64")
    (d1,) = grad(x ** 4, x, create_graph=True)
    (d2,) = grad(d1, x, create_graph=True)
    (d3,) = grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == (32.0, 48.0, 48.0)


def test_hessian_vector_product():
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(3, 3))
    symmetric = matrix + matrix.T
    x = Tensor(rng.normal(size=3), requires_grad=True, dtype="float64")
    v = Tensor(rng.normal(size=3), dtype="float64")
    a = Tensor(symmetric, dtype="float64")
    f = 0.5 * (x @ (a @ x))
    (g,) = grad(f, x, create_graph=True)
    (hv,) = grad((g * v).sum(), x)
    np.testing.assert_allclose(hv.data, symmetric @ v.data, rtol=1e-12)


def test_create_graph_backward_leaves_a_differentiable_grad():
    x = Tensor(3.0, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    assert x.grad.requires_grad
    first = x.grad
    x.grad = None
    first.backward()
    assert x.grad.item() == pytest.approx(18.0)


def test_grad_does_not_touch_dot_grad_and_reports_unused_inputs():
    x = Tensor(1.0, requires_grad=True)
    unused = Tensor(1.0, requires_grad=True)
    (gx,) = grad(x * 2, x)
    assert gx.item() == 2.0 and x.grad is None
    with pytest.raises(ValueError, match="not used"):
        grad(x * 2, [x, unused])
    assert grad(x * 2, [x, unused], allow_unused=True)[1] is None


def test_no_grad_records_nothing_and_enable_grad_restores():
    w = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = w * 2
        with enable_grad():
            z = w * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    assert state.grad_enabled


def test_grad_modes_work_as_decorators():
    @no_grad()
    def inference(t):
        return t * 2

    w = Tensor([1.0], requires_grad=True)
    assert not inference(w).requires_grad
    assert state.grad_enabled


def test_hooks_see_replace_and_can_be_removed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()))
    doubler = x.register_hook(lambda g: g * 2)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [6.0, 6.0]
    handle.remove()
    doubler.remove()
    x.zero_grad()
    (x * 3).sum().backward()
    assert len(seen) == 1 and x.grad.tolist() == [3.0, 3.0]


def test_hook_on_an_intermediate_changes_what_flows_upstream():
    x = Tensor(1.0, requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g * 0)
    (h * 5).backward()
    assert x.grad.item() == 0.0


def test_retain_grad_keeps_intermediate_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = (x * 2).retain_grad()
    (h * h).sum().backward()
    assert h.grad.tolist() == [4.0, 8.0]


def test_detect_anomaly_names_the_op_and_the_user_line():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), np.errstate(all="ignore"):
        y = (x.log() * 0).sum()  # log(0) * 0: the classic NaN source
        with pytest.raises(FloatingPointError) as info:
            y.backward()
    message = str(info.value)
    assert "Log" in message and "NaN" in message and "test_autograd.py" in message
    assert "x.log() * 0" in message


def test_nodes_record_the_running_module_path():
    x = Tensor([1.0], requires_grad=True)
    state.module_path = "sequential/dense_1"
    try:
        y = x * 2
    finally:
        state.module_path = None
    assert y.grad_fn.module_path == "sequential/dense_1"
    assert (x * 2).grad_fn.module_path is None


def _chain(length):
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(length):
        y = y * 1.0
    return x, y


def test_a_100000_op_chain_backpropagates_without_recursion():
    x, y = _chain(100_000)
    y.backward()
    assert x.grad.item() == 1.0
    assert sys.getrecursionlimit() < 100_000


def test_backward_work_grows_linearly_with_chain_length():
    """Count Python function calls (deterministic, unlike time) for chains of N and 2N ops."""
    def calls_for(length):
        x, y = _chain(length)
        count = 0

        def profiler(frame, event, arg):
            nonlocal count
            if event == "call":
                count += 1

        sys.setprofile(profiler)
        try:
            y.backward()
        finally:
            sys.setprofile(None)
        return count

    small, large = calls_for(2_000), calls_for(4_000)
    assert 1.9 < large / small < 2.1


def test_training_loop_frees_its_graphs():
    """1,000 forward/backward iterations of an MLP-shaped graph leave nothing behind."""
    rng = np.random.default_rng(0)
    w1 = Tensor(rng.normal(size=(8, 16)) * 0.1, requires_grad=True)
    w2 = Tensor(rng.normal(size=(16, 4)) * 0.1, requires_grad=True)
    x = Tensor(rng.normal(size=(32, 8)))

    def step():
        loss = ((x @ w1).relu() @ w2).tanh().mean()
        loss.backward()
        with no_grad():
            for w in (w1, w2):
                w -= 0.01 * w.grad
                w.zero_grad()

    def live_objects():
        gc.collect()
        objects = gc.get_objects()
        # issubclass on the type: isinstance would probe every lazy module attribute in the heap
        return sum(1 for o in objects if issubclass(type(o), Tensor)), len(objects)

    for _ in range(50):
        step()
    tensors_before, objects_before = live_objects()
    for _ in range(1000):
        step()
    tensors_after, objects_after = live_objects()
    assert tensors_after == tensors_before
    # a leak of even one object per iteration would show as >= 1000
    assert objects_after - objects_before < 100


def test_graph_holds_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        x = Tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).tanh().sum()
        del y
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_root_gradient_shape_must_match():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="shape"):
        (x * 2).backward(Tensor([1.0, 2.0, 3.0]))


def test_fused_like_rule_refuses_double_backward():
    from tinygrad_edu.autograd import Function

    class _RawSquare(Function):
        differentiable_twice = False

        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, g):
            return Tensor._wrap(2 * self.a * g.data)

    x = Tensor(3.0, requires_grad=True)
    y = _RawSquare.apply(x)
    with pytest.raises(RuntimeError, match="cannot be differentiated twice"):
        grad(y, x, create_graph=True)
    assert grad(_RawSquare.apply(x), x)[0].item() == 6.0


def test_manual_seed_makes_random_tensors_reproducible():
    tg.manual_seed(3)
    a = tg.randn(4).numpy().copy()
    tg.manual_seed(3)
    assert (tg.randn(4).numpy() == a).all()


def test_a_function_with_an_init_is_refused():
    with pytest.raises(TypeError, match="no __init__"):

        class _Scaled(tg.autograd.Function):
            def __init__(self, factor):
                self.factor = factor
