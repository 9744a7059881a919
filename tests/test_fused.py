"""Fused cross-entropies (tinygrad_edu.ops.fused): values, gradients, both backward paths,
extreme logits, dtypes and errors. Finite-difference checks of first and second derivatives
are rows of the op-case table."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.ops.fused import (
    sigmoid_binary_cross_entropy,
    softmax_cross_entropy,
    sparse_softmax_cross_entropy,
)

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(scale=3.0, size=(5, 4))
TARGETS = RNG.dirichlet(np.ones(4), size=5)
LABELS = np.array([0, 3, 1, 1, 2])
UPSTREAM = RNG.normal(size=5)


def _float64(values, requires_grad=True):
    return tg.Tensor(values, requires_grad=requires_grad, dtype=np.float64)


def _log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def test_softmax_cross_entropy_value_and_gradients():
    z, y = _float64(LOGITS), _float64(TARGETS)
    loss = softmax_cross_entropy(z, y)
    np.testing.assert_allclose(loss.numpy(), -(TARGETS * _log_softmax(LOGITS)).sum(-1),
                               rtol=1e-12)
    loss.backward(_float64(UPSTREAM, False))
    p = np.exp(_log_softmax(LOGITS))
    np.testing.assert_allclose(z.grad.numpy(), UPSTREAM[:, None] * (p - TARGETS), atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), -UPSTREAM[:, None] * _log_softmax(LOGITS),
                               atol=1e-12)


def test_sparse_equals_one_hot_version():
    z1, z2 = _float64(LOGITS), _float64(LOGITS)
    sparse = sparse_softmax_cross_entropy(z1, LABELS)
    dense = softmax_cross_entropy(z2, np.eye(4)[LABELS])
    np.testing.assert_allclose(sparse.numpy(), dense.numpy(), rtol=1e-12)
    sparse.backward(_float64(UPSTREAM, False))
    dense.backward(_float64(UPSTREAM, False))
    np.testing.assert_allclose(z1.grad.numpy(), z2.grad.numpy(), atol=1e-12)


def test_sparse_accepts_column_labels_and_integral_floats():
    expected = sparse_softmax_cross_entropy(LOGITS, LABELS).numpy()
    np.testing.assert_array_equal(
        sparse_softmax_cross_entropy(LOGITS, LABELS[:, None]).numpy(), expected)
    np.testing.assert_array_equal(
        sparse_softmax_cross_entropy(LOGITS, LABELS.astype(np.float32)).numpy(), expected)


def test_sigmoid_binary_cross_entropy_value_and_gradients():
    y_values = RNG.random((5, 4))
    z, y = _float64(LOGITS), _float64(y_values)
    loss = sigmoid_binary_cross_entropy(z, y)
    p = 1 / (1 + np.exp(-LOGITS))
    expected = -(y_values * np.log(p) + (1 - y_values) * np.log(1 - p))
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-10)
    upstream = RNG.normal(size=(5, 4))
    loss.backward(_float64(upstream, False))
    np.testing.assert_allclose(z.grad.numpy(), upstream * (p - y_values), atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), -upstream * LOGITS, atol=1e-12)


@pytest.mark.parametrize("make_loss", [
    lambda z: softmax_cross_entropy(z, np.eye(3, dtype=np.float32)[[1, 0]]),
    lambda z: sparse_softmax_cross_entropy(z, np.array([1, 0])),
    lambda z: sigmoid_binary_cross_entropy(z, np.array([[1, 0, 1], [0, 1, 0]], np.float32)),
])
def test_extreme_logits_give_finite_loss_and_gradients(make_loss):
    z = tg.Tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]], requires_grad=True)
    loss = make_loss(z).sum()
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() > 1000  # confidently wrong costs a lot
    assert np.isfinite(z.grad.numpy()).all()
    assert np.abs(z.grad.numpy()).max() <= 1.0 + 1e-6


def test_extreme_logits_exact_values():
    z = tg.Tensor([[1000.0, -1000.0]], requires_grad=True)
    loss = softmax_cross_entropy(z, [[0.0, 1.0]])
    assert loss.tolist() == [2000.0]
    loss.backward(tg.ones(1))
    np.testing.assert_array_equal(z.grad.numpy(), [[1.0, -1.0]])
    binary = sigmoid_binary_cross_entropy(tg.Tensor([1000.0, -1000.0]), [0.0, 0.0])
    assert binary.tolist() == [1000.0, 0.0]


@pytest.mark.parametrize("fused, args", [
    (softmax_cross_entropy, (TARGETS,)),
    (sparse_softmax_cross_entropy, (LABELS,)),
    (sigmoid_binary_cross_entropy, (RNG.random((5, 4)),)),
])
def test_numpy_backward_equals_recorded_backward(fused, args):
    """The one-shot numpy gradient and the create_graph Tensor-op gradient agree."""
    z1, z2 = _float64(LOGITS), _float64(LOGITS)
    upstream = _float64(RNG.normal(size=fused(LOGITS, *args).shape), False)
    (plain,) = tg.grad(fused(z1, *args), z1, upstream)
    (recorded,) = tg.grad(fused(z2, *args), z2, upstream, create_graph=True)
    assert not plain.requires_grad and recorded.requires_grad
    np.testing.assert_allclose(plain.numpy(), recorded.numpy(), atol=1e-13)


def test_double_backward_matches_the_softmax_hessian():
    """Hessian-vector product of sum(CE): H = diag(p) - p p^T per row."""
    z = _float64(LOGITS[:1])
    (g,) = tg.grad(softmax_cross_entropy(z, TARGETS[:1]).sum(), z, create_graph=True)
    v = RNG.normal(size=(1, 4))
    (hv,) = tg.grad((g * _float64(v, False)).sum(), z)
    p = np.exp(_log_softmax(LOGITS[:1]))[0]
    hessian = np.diag(p) - np.outer(p, p)
    np.testing.assert_allclose(hv.numpy()[0], hessian @ v[0], atol=1e-12)


def test_float32_stays_float32():
    z = tg.Tensor(LOGITS, requires_grad=True)
    for loss in (softmax_cross_entropy(z, TARGETS), sparse_softmax_cross_entropy(z, LABELS),
                 sigmoid_binary_cross_entropy(z, TARGETS)):
        z.grad = None
        loss.sum().backward()
        assert loss.dtype == np.float32 and z.grad.dtype == np.float32


def test_matches_torch():
    torch = pytest.importorskip("torch")
    fn = torch.nn.functional
    zt = torch.tensor(LOGITS, requires_grad=True)
    expected = fn.cross_entropy(zt, torch.tensor(TARGETS), reduction="none")
    expected.backward(torch.tensor(UPSTREAM))
    z = _float64(LOGITS)
    loss = softmax_cross_entropy(z, TARGETS)
    loss.backward(_float64(UPSTREAM, False))
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(z.grad.numpy(), zt.grad.numpy(), atol=1e-12)

    zt.grad = None
    fn.cross_entropy(zt, torch.tensor(LABELS), reduction="sum").backward()
    z = _float64(LOGITS)
    sparse_softmax_cross_entropy(z, LABELS).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), zt.grad.numpy(), atol=1e-12)

    y_values = RNG.random((5, 4))
    zt.grad = None
    expected = fn.binary_cross_entropy_with_logits(zt, torch.tensor(y_values), reduction="sum")
    expected.backward()
    z = _float64(LOGITS)
    loss = sigmoid_binary_cross_entropy(z, y_values).sum()
    loss.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(z.grad.numpy(), zt.grad.numpy(), atol=1e-12)


# ----- errors ---------------------------------------------------------------------------------


def test_target_shape_mismatch_names_the_op_and_the_fix():
    with pytest.raises(ValueError, match="softmax_cross_entropy.*sparse_softmax_cross_entropy"):
        softmax_cross_entropy(LOGITS, LABELS)
    with pytest.raises(ValueError, match=r"sigmoid_binary_cross_entropy.*\(5, 4\)"):
        sigmoid_binary_cross_entropy(LOGITS, TARGETS[:, :2])


def test_bad_labels():
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        sparse_softmax_cross_entropy(LOGITS, np.array([0, 1, 2, 3, 4]))
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        sparse_softmax_cross_entropy(LOGITS, np.array([0, 1, -1, 3, 0]))
    with pytest.raises(ValueError, match="integer class indices"):
        sparse_softmax_cross_entropy(LOGITS, np.array([0.5, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match="one integer class index per row"):
        sparse_softmax_cross_entropy(LOGITS, np.eye(4)[LABELS])


def test_integer_logits_are_refused():
    with pytest.raises(TypeError, match="floating"):
        softmax_cross_entropy(np.ones((2, 3), dtype=np.int64), np.ones((2, 3)))
    with pytest.raises(TypeError, match="floating"):
        sigmoid_binary_cross_entropy(np.ones(3, dtype=np.int64), np.ones(3))
