"""Gradient clipping by hand: the returned norm, new arrays, and the array helpers."""

import math

import numpy as np
import pytest

from tinygrad_edu import Tensor
from tinygrad_edu.optim import clip_grad_norm, clip_grad_value, clipping


def with_grads(*grads):
    params = []
    for grad in grads:
        param = Tensor(np.zeros(len(grad)), requires_grad=True)
        param.grad = Tensor(grad)
        params.append(param)
    return params


def test_clip_grad_norm_scales_everything_and_returns_the_norm_before():
    a, b = with_grads([3.0, 0.0], [0.0, 4.0])
    old = a.grad.data
    assert clip_grad_norm([a, b], max_norm=1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.data, [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.grad.data, [0.0, 0.8], rtol=1e-6)
    assert old.tolist() == [3.0, 0.0]  # a new array; the old one is untouched
    assert a.grad.dtype == np.float32


def test_clip_grad_norm_below_the_limit_changes_nothing():
    (a,) = with_grads([0.3, 0.4])
    grad = a.grad
    assert clip_grad_norm(a, max_norm=1.0) == pytest.approx(0.5)
    assert a.grad is grad


def test_clip_grad_norm_ignores_params_without_grad_and_keeps_non_finite_grads():
    (a,) = with_grads([np.nan, 1.0])
    b = Tensor([1.0], requires_grad=True)
    assert math.isnan(clip_grad_norm([a, b], 1.0))
    assert math.isnan(a.grad.data[0]) and a.grad.data[1] == 1.0 and b.grad is None


def test_clip_grad_value_clips_elements_and_returns_the_norm_before():
    a, b = with_grads([3.0, -0.2], [-4.0, 0.1])
    old = a.grad.data
    assert clip_grad_value([a, b], 0.5) == pytest.approx(math.sqrt(9 + 0.04 + 16 + 0.01))
    assert a.grad.tolist() == pytest.approx([0.5, -0.2])
    assert b.grad.tolist() == pytest.approx([-0.5, 0.1])
    assert old.tolist() == pytest.approx([3.0, -0.2])


def test_bad_limits():
    (a,) = with_grads([1.0])
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([a], 0.0)
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value([a], -1.0)
    with pytest.raises(TypeError, match="Tensors"):
        clip_grad_norm([np.ones(2)], 1.0)


def test_l2_norm_survives_float32_overflow_of_the_squares():
    huge = np.array([3e20, 4e20], dtype=np.float32)  # the squares overflow float32
    assert clipping.l2_norm(huge) == pytest.approx(5e20, rel=1e-6)
    assert math.isinf(clipping.l2_norm(np.array([np.inf, 1.0], dtype=np.float32)))


def test_array_helpers():
    g = np.array([3.0, 4.0], dtype=np.float32)
    assert clipping.clip_by_norm(g, 10.0) is g
    clipped = clipping.clip_by_norm(g, 1.0)
    assert clipped.dtype == np.float32 and clipped.tolist() == pytest.approx([0.6, 0.8])
    assert clipping.global_norm([g, np.array([12.0])]) == pytest.approx(13.0)
    assert clipping.clip_by_value(g, 3.5).tolist() == [3.0, 3.5]
