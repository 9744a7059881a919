"""Tensor construction, dtypes, operators, comparisons and in-place rules."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, no_grad
from tinygrad_edu.op_cases import CASES


def test_construction_defaults_to_float32():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(np.zeros(3)).dtype == np.float32  # float64 numpy data becomes float32
    assert Tensor(np.zeros(3), dtype="float64").dtype == np.float64
    assert Tensor([1, 2]).dtype.kind == "i"
    assert Tensor([True, False]).dtype == np.bool_


def test_construction_copies_data():
    array = np.ones(3, dtype=np.float32)
    t = Tensor(array)
    array[0] = 5
    assert t.data[0] == 1


def test_integer_and_bool_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating"):
        Tensor([1, 2], requires_grad=True)
    t = Tensor([True])
    with pytest.raises(TypeError, match="astype"):
        t.requires_grad = True


def test_ragged_or_text_data_is_a_clear_error():
    with pytest.raises((TypeError, ValueError)):
        Tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="numeric"):
        Tensor(["a", "b"])


def test_attributes_and_conversions():
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], name="x")
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.T.shape == (3, 2)
    assert t.numpy() is t.data
    assert Tensor([2.5]).item() == 2.5
    with pytest.raises(ValueError, match="6 elements"):
        t.item()
    assert len(t) == 2 and [row.shape for row in t] == [(3,), (3,)]


def test_repr_shows_values_dtype_and_op():
    w = Tensor([1.0, 2.0], requires_grad=True)
    text = repr(w * 2)
    assert "2., 4." in text and "float32" in text and "op=Mul" in text
    assert "requires_grad=True" in repr(w)


def test_detach_cuts_the_graph():
    w = Tensor([1.0], requires_grad=True)
    y = (w * 3).detach()
    assert not y.requires_grad and y.grad_fn is None


@pytest.mark.parametrize("scalar", [0.5, 2, np.float64(0.5), np.float32(0.5), True])
def test_scalars_never_promote_float32(scalar):
    x = Tensor([1.0, 2.0])
    for result in (x + scalar, scalar + x, x * scalar, scalar * x, x - scalar, scalar - x,
                   x / scalar, x ** scalar, tg.maximum(x, scalar)):
        assert result.dtype == np.float32


def test_float64_numpy_array_operand_follows_the_tensor():
    x = Tensor([1.0, 2.0])
    assert (x * np.array([1.0, 2.0])).dtype == np.float32
    assert (np.array([1.0, 2.0]) * x).dtype == np.float32
    x64 = Tensor([1.0, 2.0], dtype="float64")
    assert (x64 * np.float32(2)).dtype == np.float64


def test_int_tensor_meeting_float_tensor_takes_the_float_dtype():
    labels = Tensor([0, 1, 1])
    probs = Tensor([0.2, 0.5, 0.9])
    assert (labels * probs).dtype == np.float32
    assert (probs - labels).dtype == np.float32
    assert (labels + 1).dtype == labels.dtype
    assert (labels * 0.5).dtype == np.float32


REFLECTED = [
    ("2 + t", lambda t: 2 + t, lambda v: 2 + v, lambda v: np.ones_like(v)),
    ("2 - t", lambda t: 2 - t, lambda v: 2 - v, lambda v: -np.ones_like(v)),
    ("2 * t", lambda t: 2 * t, lambda v: 2 * v, lambda v: 2 * np.ones_like(v)),
    ("2 / t", lambda t: 2 / t, lambda v: 2 / v, lambda v: -2 / v**2),
    ("2 ** t", lambda t: 2 ** t, lambda v: 2.0**v, lambda v: np.log(2.0) * 2.0**v),
    ("array @ t", lambda t: np.eye(3) @ t, lambda v: v, lambda v: np.ones_like(v)),
]


@pytest.mark.parametrize("name,expr,value,derivative", REFLECTED, ids=[r[0] for r in REFLECTED])
def test_reflected_operators(name, expr, value, derivative):
    v = np.array([0.5, 1.5, 3.0])
    t = Tensor(v, requires_grad=True, dtype="float64")
    out = expr(t)
    np.testing.assert_allclose(out.data, value(v))
    out.sum().backward()
    np.testing.assert_allclose(t.grad.data, derivative(v))


def test_rsub_is_negation_plus_constant():
    t = Tensor([1.0], requires_grad=True)
    out = 2 - t
    assert out.grad_fn.name == "Add" and out.grad_fn.inputs[0].grad_fn.name == "Neg"


def test_comparisons_are_boolean_tensors_outside_the_graph():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask in (x > 1.5, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert mask.dtype == np.bool_ and not mask.requires_grad and mask.grad_fn is None
    assert (x > 1.5).tolist() == [False, True, True]
    assert {x: 1}[x] == 1  # still hashable by identity


def test_bool_of_multi_element_tensor_is_an_error():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    assert bool(Tensor([1.0]))


def test_inplace_change_of_a_tensor_requiring_grad_is_refused_while_recording():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w += 1
    with no_grad():
        w -= 0.5  # a manual parameter update
    np.testing.assert_allclose(w.data, [0.5, 1.5])


def test_inplace_change_of_a_saved_input_is_detected_at_backward():
    x = Tensor([1.0, 2.0])
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    x += 1  # Mul saved x to compute dL/dw
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_an_optimizer_step_between_two_backward_passes_is_detected():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    loss = (x * w * w).sum()  # Mul saved w
    loss.backward(retain_graph=True)
    tg.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_one_optimizer_step_marks_every_parameter_it_updates():
    first = Tensor([1.0, 2.0], requires_grad=True)
    second = Tensor([3.0, 4.0], requires_grad=True)
    loss = (first.sum() + second * second).sum()  # only the Mul saved `second`
    loss.backward(retain_graph=True)
    versions = (first._version, second._version)
    tg.optim.SGD([first, second], lr=0.1).step()
    assert first._version > versions[0] and second._version > versions[1]
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_inplace_change_of_a_saved_output_is_detected():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w.exp()
    with no_grad():
        y[0] = 0.0
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()


def test_setitem_and_fill():
    t = Tensor(np.zeros((2, 3)))
    t[0, 1] = 5.0
    t[1] = Tensor([1.0, 2.0, 3.0])
    assert t.data.tolist() == [[0, 5, 0], [1, 2, 3]]
    t.fill_(2.0)
    assert (t.data == 2).all()


@pytest.mark.parametrize("case", [c for c in CASES if c.order >= 1],
                         ids=[c.name for c in CASES if c.order >= 1])
def test_float32_stays_float32_through_every_op_and_its_gradient(case):
    inputs = [t.astype(np.float32).detach().requires_grad_(t.requires_grad)
              if t.dtype.kind == "f" else t for t in case.inputs()]
    out = case.fn(*inputs)
    assert out.dtype == np.float32, case.name
    upstream = Tensor(np.random.default_rng(0).normal(size=out.shape))
    out.backward(upstream)
    for t in inputs:
        if t.requires_grad:
            assert t.grad.dtype == np.float32, case.name


def test_matmul_shape_error_names_op_shapes_and_fix():
    with pytest.raises(ValueError, match=r"(?i)matmul.*\(3, 4\).*\(3, 4\).*\.T"):
        tg.randn(3, 4) @ tg.randn(3, 4)


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"Add.*\(3, 4\).*\(3,\).*broadcast"):
        tg.randn(3, 4) + tg.randn(3)


def test_bad_axis_is_a_clear_error():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        tg.randn(3, 4).sum(axis=2)
