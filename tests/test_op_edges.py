"""Regression tests for the ops at their edges: dtypes, 0-d and size-0 tensors, extreme
values, kinks, and the reports that must not hide a NaN."""

import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import functional as fn
from tinygrad_edu.gradcheck import gradcheck

# ----- dtypes ------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [[1, 2, 3], [True, False, True]], ids=["int", "bool"])
def test_sigmoid_of_integers_and_booleans_is_float32(data):
    expected = 1 / (1 + np.exp(-np.asarray(data, dtype=np.float64)))
    for out in (tg.Tensor(data).sigmoid(), tg.sigmoid(tg.Tensor(data)), fn.sigmoid(data)):
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "tanh"])
def test_float_ops_of_integers_are_float32(name):
    t = tg.Tensor([5, 6, 7])
    for out in (getattr(t, name)(), getattr(tg, name)(t)):
        assert out.dtype == np.float32, name
        np.testing.assert_allclose(out.numpy(), getattr(np, name)(np.array([5.0, 6.0, 7.0])),
                                   rtol=1e-6)


def test_true_division_of_integers_is_float32():
    images = tg.Tensor(np.array([[0, 128, 255]], dtype=np.uint8))
    for out in (tg.Tensor([5, 6, 7]) / 2, images / 255, 1 / tg.Tensor([2, 4]),
                tg.div(tg.Tensor([3]), tg.Tensor([2]))):
        assert out.dtype == np.float32
    np.testing.assert_allclose((images / 255).numpy(), [[0, 128 / 255, 1]], rtol=1e-6)


def test_integer_constants_that_do_not_fit_the_tensor_dtype_are_not_wrapped():
    images = tg.Tensor(np.array([128, 255], dtype=np.uint8))
    np.testing.assert_allclose((images / 256).numpy(), [0.5, 255 / 256])
    assert (tg.Tensor([True, False]) + 2).tolist() == [3, 2]


# ----- power at 0 --------------------------------------------------------------------------


def test_gradient_of_x_to_the_zero_is_zero_also_at_zero():
    x = tg.Tensor([0.0, 0.0, 2.0], requires_grad=True)
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    x = tg.Tensor([0.0, 3.0], requires_grad=True)
    y = tg.Tensor([0.0, 0.0], requires_grad=True)
    (x ** y).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    np.testing.assert_allclose(y.grad.numpy(), [0.0, np.log(3.0)], rtol=1e-6)


def test_second_derivative_of_x_to_the_zero_is_finite():
    x = tg.Tensor([0.0, 1.5], requires_grad=True, dtype="float64")
    (first,) = tg.grad((x ** 0).sum(), x, create_graph=True)
    (second,) = tg.grad(first.sum(), x, allow_unused=True)
    assert second is None or np.all(second.numpy() == 0)


# ----- axes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("call, op", [
    (lambda a: tg.stack([a], axis=77), "stack"),
    (lambda a: tg.unsqueeze(a, 9), "unsqueeze"),
    (lambda a: tg.flatten(a, 4), "flatten"),
    (lambda a: tg.squeeze(tg.ones(2, 1), 6), "squeeze"),
    (lambda a: tg.transpose(a, (1, 2)), "transpose"),
    (lambda a: tg.swapaxes(a, 0, 3), "swapaxes"),
    (lambda a: tg.concatenate([a, a], axis=-3), "concatenate"),
    (lambda a: a.sum(axis=2), "sum"),
    (lambda a: fn.softmax(a, axis=5), "softmax"),
    (lambda a: a.cumsum(axis=2), "cumsum"),
], ids=["stack", "unsqueeze", "flatten", "squeeze", "transpose", "swapaxes", "concatenate",
        "sum", "softmax", "cumsum"])
def test_out_of_range_axes_are_errors_naming_the_op_and_the_range(call, op):
    with pytest.raises(ValueError, match=rf"{op}.*out of range.*valid values are -\d+ to \d+"):
        call(tg.ones(2, 3))


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp", "prod", "squeeze",
                                  "cumsum", "cumprod", "sort", "flip"])
def test_a_0d_tensor_takes_axis_0_and_minus_1(name, axis):
    x = tg.Tensor(3.0, requires_grad=True)
    out = getattr(x, name)(axis)
    assert out.shape == () and out.item() == 3.0
    out.backward()
    assert x.grad.item() == 1.0


def test_a_0d_tensor_rejects_other_axes():
    for axis in (1, -2):
        with pytest.raises(ValueError, match="sum: axis"):
            tg.Tensor(3.0).sum(axis=axis)


# ----- numerical edges -----------------------------------------------------------------------


def test_std_of_a_constant_has_zero_gradient():
    x = tg.Tensor([[2.0, 1.0], [2.0, 3.0]], requires_grad=True)
    x.std(axis=0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, -0.5], [0.0, 0.5]])
    x = tg.Tensor([4.0, 4.0, 4.0], requires_grad=True)
    x.std().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_division_gradient_does_not_underflow_for_tiny_divisors():
    a = tg.Tensor([1e-20], requires_grad=True)
    b = tg.Tensor([1e-24], requires_grad=True)  # b * b = 1e-48 underflows float32
    (a / b).sum().backward()
    expected = -(1e-20 / 1e-24) / 1e-24
    np.testing.assert_allclose(b.grad.numpy(), [expected], rtol=1e-5)
    assert np.isfinite(a.grad.numpy()).all()


def test_log_softmax_keeps_float32_precision_at_large_logits():
    logits = np.array([[1e4, 1e4 - 1.0, 1e4 - 3.0, 0.0]])
    exact = logits - np.log(np.exp(logits - logits.max()).sum()) - logits.max()
    ours = fn.log_softmax(tg.Tensor(logits)).numpy()
    np.testing.assert_allclose(ours, exact, atol=1e-6)


def test_fused_cross_entropy_second_order_path_is_precise_at_large_logits():
    logits = np.array([[1e4, 1e4 - 1.0, 1e4 - 3.0]])
    targets = np.array([[0.0, 1.0, 0.0]])
    z = tg.Tensor(logits, requires_grad=True)
    (grad,) = tg.grad(fn.softmax_cross_entropy(z, targets).sum(), z, create_graph=True)
    shifted = logits - logits.max()
    exact = np.exp(shifted) / np.exp(shifted).sum() - targets
    np.testing.assert_allclose(grad.numpy(), exact, atol=1e-6)


def test_float16_reductions_accumulate_in_float32():
    x = tg.Tensor(np.full(4096, 20.0), dtype="float16")
    assert x.mean().dtype == np.float16 and x.mean().item() == 20.0
    assert x.var().item() == 0.0 and x.std().item() == 0.0
    big = tg.Tensor(np.arange(4096) % 7 * 100.0, dtype="float16")
    np.testing.assert_allclose(big.var().item(), np.var(np.arange(4096) % 7 * 100.0), rtol=1e-3)


def test_batch_norm_of_float16_normalizes():
    rng = np.random.default_rng(0)
    # Sums of 4096 values near 1000 overflow float16; the variance (1e4) itself fits.
    x = tg.Tensor(rng.normal(1000.0, 100.0, size=(4096, 3)), dtype="float16")
    y = fn.batch_norm(x)
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.numpy().astype(np.float64).std(axis=0), 1.0, rtol=1e-2)
    _, mean, variance = fn.batch_norm(x, return_statistics=True)
    assert np.isfinite(mean.numpy()).all() and np.isfinite(variance.numpy()).all()


@pytest.mark.parametrize("normalize", [
    lambda x: fn.layer_norm(x), lambda x: fn.instance_norm(x), lambda x: fn.group_norm(x, 2),
    lambda x: fn.batch_norm(x), lambda x: tg.nn.BatchNormalization()(x),
], ids=["layer_norm", "instance_norm", "group_norm", "batch_norm", "BatchNormalization"])
def test_normalizations_of_large_float16_values_stay_float16_and_finite(normalize):
    rng = np.random.default_rng(1)
    x = tg.Tensor(rng.normal(1000.0, 100.0, size=(2, 32, 32, 4)), dtype="float16")
    y = normalize(x)
    assert y.dtype == np.float16
    values = y.numpy().astype(np.float64)
    assert np.isfinite(values).all()
    np.testing.assert_allclose(values.std(), 1.0, rtol=2e-2)


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4)])
def test_size_0_inputs_give_empty_results(shape):
    x = tg.zeros(*shape, requires_grad=True)
    for out, expected in ((fn.softmax(x), shape), (fn.log_softmax(x), shape),
                          (x.logsumexp(axis=-1), shape[:-1]), (x.flatten(), (0,))):
        assert out.shape == expected
        out.sum().backward()
        assert x.grad.shape == shape
        x.grad = None
    assert np.all(x.logsumexp(axis=-1).numpy() == -np.inf)


# ----- relu and relu6 ------------------------------------------------------------------------


def _keras_relu(x, negative_slope, max_value, threshold):
    """Keras 3's three steps, written out (see functional.relu)."""
    y = x * (x > threshold) if threshold != 0 else np.maximum(x, 0)
    if max_value is not None:
        y = np.clip(y, 0, max_value)
    return y - negative_slope * np.maximum(threshold - x, 0)


RELU_OPTIONS = [(0.0, None, -1.0), (0.1, None, -1.0), (0.0, 2.0, -1.0), (0.2, 1.5, -0.5),
                (0.1, 2.0, 0.5), (0.0, 6.0, 0.0)]


@pytest.mark.parametrize("negative_slope, max_value, threshold", RELU_OPTIONS)
def test_relu_options_follow_keras(negative_slope, max_value, threshold):
    x = np.linspace(-3, 3, 25).astype(np.float32)
    ours = fn.relu(tg.Tensor(x), negative_slope, max_value, threshold).numpy()
    np.testing.assert_allclose(ours, _keras_relu(x, negative_slope, max_value, threshold),
                               rtol=1e-6, atol=1e-7)
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    theirs = keras.activations.relu(x, negative_slope=negative_slope, max_value=max_value,
                                    threshold=threshold)
    theirs = theirs.detach().cpu().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_relu6_gradient_is_zero_at_0_and_6():
    x = tg.Tensor([-1.0, 0.0, 3.0, 6.0, 7.0], requires_grad=True)
    fn.relu6(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]
    torch = pytest.importorskip("torch")
    xt = torch.tensor([-1.0, 0.0, 3.0, 6.0, 7.0], requires_grad=True)
    torch.nn.functional.relu6(xt).sum().backward()
    assert xt.grad.tolist() == x.grad.tolist()


# ----- gradcheck reports -------------------------------------------------------------------------


class _NanAtOne(tg.autograd.Function):
    """y = 2 a with a backward that is NaN at element 1 only (a broken rule to report)."""

    def forward(self, a):
        return 2 * a

    def backward(self, g):
        grad = 2 * g.data.copy()
        grad[1] = np.nan
        return tg.Tensor._wrap(grad)


def test_gradcheck_reports_nan_as_nan_at_its_index():
    x = tg.Tensor([0.5, 1.0, 1.5], requires_grad=True)
    result = gradcheck(lambda a: _NanAtOne.apply(a), [x], raise_exception=False)
    assert not result.ok
    assert np.isnan(result.max_abs_error) and np.isnan(result.max_rel_error)
    # The rule is NaN at input element 1 for every output: 3 of the 9 Jacobian entries, and
    # only those are listed (no NaN spread over the other columns of the table).
    assert "3 of 9 Jacobian entries" in result.report
    assert "3 NaN and 0 inf analytical entries" in result.report
    rows = [line.split() for line in result.report.splitlines() if line.startswith("  (")]
    assert sorted(row[0] for row in rows) == ["(0,),", "(1,),", "(2,),"]
    assert all(row[1] == "(1,)" and row[3] == "nan" for row in rows)


# ----- Module.build by hand ---------------------------------------------------------------------


def test_build_called_by_hand_marks_the_layer_built_and_keeps_its_weights():
    layer = tg.nn.Dense(3)
    layer.build((None, 4))
    assert layer.built and layer.input_shape == (None, 4)
    layer.kernel.data[...] = 1.0
    optimizer = tg.optim.SGD(layer.parameters(), lr=0.1)
    layer(tg.ones(2, 4)).sum().backward()
    optimizer.step()
    np.testing.assert_allclose(layer.kernel.numpy(), 1.0 - 0.1 * 2.0)
