"""Gradient clipping: keep one bad batch from throwing the weights far away.

Two ways to use it:

* as an optimizer option (Keras style): ``Adam(clipnorm=1.0)``, ``SGD(clipvalue=0.5)`` or
  ``RMSprop(global_clipnorm=5.0)``;
* by hand in an explicit loop (PyTorch style), between ``backward()`` and ``step()``::

      loss.backward()
      norm = clip_grad_norm(model.parameters(), max_norm=1.0)
      opt.step()

Clipping never writes into a gradient array: a gradient may be shared by several tensors
(the backward pass of ``a + b`` hands the same array to both), so clipped gradients are new
arrays. The array functions below work on plain numpy arrays and return Python floats, so a
float32 gradient stays float32.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.tensor import Tensor

__all__ = [
    "clip_grad_norm",
    "clip_grad_value",
    "l2_norm",
    "global_norm",
    "clip_by_norm",
    "clip_by_value",
]


def l2_norm(array: np.ndarray) -> float:
    """``||array||_2 = sqrt(sum(array**2))`` as a Python float (NaN/inf if the array has any)."""
    flat = array.ravel()
    with np.errstate(over="ignore"):  # an overflow is handled just below
        norm = math.sqrt(float(np.dot(flat, flat)))
    if math.isinf(norm) and np.isfinite(flat).all():
        # the squares of huge float32 values overflowed; the norm itself is finite
        norm = float(np.linalg.norm(flat.astype(np.float64)))
    return norm


def global_norm(arrays) -> float:
    """``sqrt(sum of ||a||_2**2 over all arrays)``: the norm of everything as one vector."""
    return math.sqrt(sum(l2_norm(array) ** 2 for array in arrays))


def clip_by_norm(array: np.ndarray, max_norm: float, norm: float | None = None) -> np.ndarray:
    """``array * max_norm / norm`` when ``norm > max_norm``, else ``array`` itself (no copy).

    ``norm`` is the array's L2 norm (computed when not given). Keras writes the same rule as
    ``array * max_norm / max(norm, max_norm)``.
    """
    if norm is None:
        norm = l2_norm(array)
    if norm <= max_norm:
        return array
    return array * (max_norm / norm)


def clip_by_value(array: np.ndarray, clip_value: float) -> np.ndarray:
    """Each element limited to ``[-clip_value, clip_value]`` (a new array)."""
    return np.clip(array, -clip_value, clip_value)


def _check_positive(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{owner}: {name} must be a number > 0, got {value!r}")
    return float(value)


def _with_grads(params, owner):
    params = [params] if isinstance(params, Tensor) else list(params)
    for param in params:
        if not isinstance(param, Tensor):
            raise TypeError(f"{owner}: expected Tensors, got {type(param).__name__}")
    return [param for param in params if param.grad is not None]


def clip_grad_norm(params, max_norm: float) -> float:
    """Scale all gradients together so that their global L2 norm is at most ``max_norm``.

    ``total = sqrt(sum_p ||p.grad||**2)``; if ``total > max_norm`` every gradient becomes
    ``p.grad * max_norm / total`` (the direction of the whole step is kept). Parameters
    without a gradient are ignored. If ``total`` is NaN or inf the gradients are left as they
    are, so that the caller can see the returned value and skip the step.

    Args:
        params: a Tensor or an iterable of Tensors (e.g. ``model.parameters()``).
        max_norm: the largest allowed global norm (> 0).

    Returns:
        The global norm *before* clipping, as a Python float (handy to log).

    PyTorch's ``clip_grad_norm_`` is the same rule (it writes into the gradients in place);
    Keras calls it the ``global_clipnorm`` option.

    >>> x = Tensor([3.0, 4.0], requires_grad=True)
    >>> x.grad = Tensor([3.0, 4.0])
    >>> clip_grad_norm([x], max_norm=1.0)
    5.0
    >>> x.grad.tolist()
    [0.6000000238418579, 0.800000011920929]
    """
    max_norm = _check_positive("clip_grad_norm", "max_norm", max_norm)
    params = _with_grads(params, "clip_grad_norm")
    total = global_norm(param.grad.data for param in params)
    if math.isfinite(total) and total > max_norm:
        scale = max_norm / total
        for param in params:
            param.grad = Tensor._wrap(param.grad.data * scale)
    return total


def clip_grad_value(params, clip_value: float) -> float:
    """Limit every gradient element to ``[-clip_value, clip_value]``.

    Unlike norm clipping this changes the direction of the step. Parameters without a
    gradient are ignored.

    Args:
        params: a Tensor or an iterable of Tensors.
        clip_value: the largest allowed absolute value of an element (> 0).

    Returns:
        The global L2 norm of the gradients *before* clipping, as a Python float.

    PyTorch's ``clip_grad_value_`` is the same rule (in place, returning nothing); Keras calls
    it the ``clipvalue`` option.
    """
    clip_value = _check_positive("clip_grad_value", "clip_value", clip_value)
    params = _with_grads(params, "clip_grad_value")
    total = global_norm(param.grad.data for param in params)
    for param in params:
        param.grad = Tensor._wrap(clip_by_value(param.grad.data, clip_value))
    return total
