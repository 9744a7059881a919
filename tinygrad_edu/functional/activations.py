"""Activation functions by their Keras names, and ``get_activation`` to look them up by name.

Most are compositions of the primitive ops (``where``, ``exp``, ``tanh``...), so their
gradients, and their second derivatives, come from the rules of those ops. Three are
primitive :class:`~tinygrad_edu.autograd.Function` nodes of their own, for speed or
stability: :class:`Softmax` (used at the output of every classifier), :class:`Softplus`
(``log(1 + exp(x))`` without overflow) and :class:`Erf` (needed by the exact GELU).
Their backward rules are Tensor ops, so they are twice differentiable too.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.lookup import unknown_name
from tinygrad_edu.ops.axes import normalize_axes
from tinygrad_edu.ops.elementwise import where
from tinygrad_edu.ops.reduce import log_softmax as stable_log_softmax
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = [
    "sigmoid", "tanh", "relu", "relu6", "leaky_relu", "elu", "selu", "silu", "swish", "gelu",
    "erf", "softplus", "softsign", "hard_sigmoid", "hard_silu", "hard_swish", "mish",
    "exponential", "linear", "log_sigmoid", "softmax", "log_softmax", "get_activation",
]

# SELU's constants (Klambauer et al., 2017), the values Keras uses.
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _float_tensor(x, who: str) -> Tensor:
    """``x`` as a tensor; integer and boolean inputs become float32, as in every float op."""
    x = as_tensor(x)
    if x.data.dtype.kind != "f":
        return x.astype(np.float32)
    return x


def _constant(value, like: Tensor) -> Tensor:
    """A graph-free scalar in ``like``'s dtype (keeps float32 float32)."""
    return Tensor._wrap(np.asarray(value, dtype=like.data.dtype))


# ----- primitive nodes ------------------------------------------------------------------------


class Softmax(Function):
    """y = exp(x - max x) / sum(exp(x - max x)) along ``axis``.

    Backward (J is symmetric, J = diag(y) - y y^T):
        dx = y * (g - sum(g * y, axis))
    """

    keeps_output = True

    def forward(self, x, axis):
        self.axis = axis
        if x.size == 0:  # nothing to normalize (and no maximum to shift by)
            return x.copy()
        shifted = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))
        return shifted / np.add.reduce(shifted, axis=axis, keepdims=True)

    def backward(self, g):
        y = self.output
        return y * (g - (g * y).sum(axis=self.axis, keepdims=True))


class Softplus(Function):
    """y = log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)) so it never overflows.

    Backward:  dx = g * sigmoid(x).
    """

    saves_inputs = True

    def forward(self, x):
        return (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)

    def backward(self, g):
        return g * self.inputs[0].sigmoid()


# numpy has no erf; math.erf per element is exact to double precision but costs ~0.15 us per
# value, so for large tensors gelu(x, approximate=True) is the faster choice.
_erf_elementwise = np.vectorize(math.erf, otypes=[np.float64])


class Erf(Function):
    """y = erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt.

    Backward:  dx = g * 2/sqrt(pi) * exp(-x^2).
    """

    saves_inputs = True

    def forward(self, x):
        return _erf_elementwise(x).astype(x.dtype, copy=False)

    def backward(self, g):
        x = self.inputs[0]
        return g * (-(x * x)).exp() * (2.0 / math.sqrt(math.pi))


# ----- activations ----------------------------------------------------------------------------


def sigmoid(x):
    """1 / (1 + exp(-x)), exact 0 and 1 at -+1000 instead of overflow.  d/dx = y (1 - y)."""
    return _float_tensor(x, "sigmoid").sigmoid()


def tanh(x):
    """Hyperbolic tangent.  d/dx = 1 - y^2."""
    return _float_tensor(x, "tanh").tanh()


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, with Keras 3's options, in Keras 3's order of steps:

    1. y = x where x > threshold, else 0          (for threshold = 0: max(x, 0))
    2. y = clip(y, 0, max_value)                   when ``max_value`` is given
    3. y = y - negative_slope * max(threshold - x, 0)

    So for threshold < 0 the values between threshold and 0 pass through unchanged unless a
    ``max_value`` clips them to 0. Derivative: 1 where step 1 and 2 pass x through (x > threshold,
    and 0 < x < max_value when clipping), plus ``negative_slope`` where x < threshold; at the
    kinks themselves it is 0, as in TensorFlow.
    """
    x = _float_tensor(x, "relu")
    if negative_slope < 0:
        raise ValueError(f"relu: negative_slope must be >= 0, got {negative_slope}")
    if max_value is not None and max_value < 0:
        raise ValueError(f"relu: max_value must be >= 0, got {max_value}")
    if negative_slope == 0 and max_value is None and threshold == 0:
        return x.relu()
    zero = _constant(0.0, x)
    y = where(x > threshold, x, zero) if threshold != 0 else x.relu()
    if max_value is not None:
        y = _clip_open(y, 0.0, max_value)
    if negative_slope:
        y = y - (threshold - x).relu() * negative_slope
    return y


def _clip_open(x, low, high):
    """clip(x, low, high) whose derivative is 1 only strictly inside (low, high), 0 at the
    bounds (TensorFlow's and PyTorch's rule for relu6)."""
    inside = Tensor._wrap((x.data > low) & (x.data < high))
    bound = where(x.data <= low, _constant(low, x), _constant(high, x))
    return where(inside, x, bound)


def relu6(x):
    """min(max(x, 0), 6).  d/dx = 1 on the open interval (0, 6), else 0 (also at 0 and 6)."""
    return _clip_open(_float_tensor(x, "relu6"), 0.0, 6.0)


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, negative_slope * x otherwise.

    The default slope 0.2 is that of Keras 3's function ``keras.activations.leaky_relu``;
    Keras 3's ``LeakyReLU`` layer defaults to 0.3 and PyTorch's ``leaky_relu`` to 0.01.
    """
    x = _float_tensor(x, "leaky_relu")
    if negative_slope < 0:
        raise ValueError(f"leaky_relu: negative_slope must be >= 0, got {negative_slope}")
    return where(x > 0, x, x * negative_slope)


def elu(x, alpha=1.0):
    """Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) otherwise.

    d/dx = 1 for x > 0, alpha * exp(x) otherwise. The exponential only ever sees the
    non-positive inputs, so a large positive x cannot overflow it (exp(1000) * 0 would be NaN
    in the backward pass).
    """
    return Elu.apply(_float_tensor(x, "elu"), alpha=float(alpha))


class Elu(Function):
    """y = x for x > 0, alpha * (exp(x) - 1) otherwise.

    Backward:  dx = g where x > 0, else g * (y + alpha)   (as alpha * exp(x) = y + alpha);
    computed as g * (1 + [x <= 0] * (y + alpha - 1)).

    One op instead of a where/exp composition: the course model runs it on every hidden
    layer. The exponential only sees min(x, 0), so a large positive x cannot overflow it.
    """

    keeps_output = True

    def forward(self, x, alpha):
        self.positive = x > 0
        self.alpha = alpha
        # alpha * (exp(min(x, 0)) - 1) + max(x, 0): each branch vanishes on the other's side,
        # and these vectorized passes beat any masked selection (np.where, copyto(where=)).
        y = np.expm1(np.minimum(x, 0))
        y *= alpha
        y += np.maximum(x, 0)
        return y

    def backward(self, g):
        # slope = 1 + [x <= 0] * (y + alpha - 1): 1 for x > 0, y + alpha otherwise. Written
        # with the output tensor y, so that a second derivative flows through it.
        negative = Tensor._wrap(~self.positive)
        slope = (self.output + (self.alpha - 1.0)) * negative + 1.0
        return g * slope


def selu(x):
    """Scaled ELU: scale * elu(x, alpha) with Keras's constants alpha ~ 1.6733, scale ~ 1.0507.

    With lecun_normal initialization and standardized inputs, activations keep mean 0 and
    variance 1 from layer to layer ("self-normalizing").
    """
    return elu(_float_tensor(x, "selu"), SELU_ALPHA) * SELU_SCALE


def silu(x):
    """x * sigmoid(x) (also called swish).  d/dx = s + x s (1 - s) with s = sigmoid(x)."""
    x = _float_tensor(x, "silu")
    return x * x.sigmoid()


swish = silu


def erf(x):
    """The Gauss error function (see :class:`Erf`)."""
    return Erf.apply(_float_tensor(x, "erf"))


def gelu(x, approximate=False):
    """Gaussian error linear unit: x * Phi(x), Phi the standard normal CDF.

    Exact (the default in Keras 3 and PyTorch):  0.5 * x * (1 + erf(x / sqrt(2))).
    ``approximate=True`` uses the tanh form:
    0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
    """
    x = _float_tensor(x, "gelu")
    if approximate:
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (inner.tanh() + 1.0)
    return x * 0.5 * (erf(x * (1.0 / math.sqrt(2.0))) + 1.0)


def softplus(x):
    """log(1 + exp(x)) without overflow (see :class:`Softplus`).  d/dx = sigmoid(x)."""
    return Softplus.apply(_float_tensor(x, "softplus"))


def softsign(x):
    """x / (1 + |x|).  d/dx = 1 / (1 + |x|)^2."""
    x = _float_tensor(x, "softsign")
    return x / (abs(x) + 1.0)


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: relu6(x + 3) / 6.

    0 for x <= -3, 1 for x >= 3, x/6 + 1/2 in between. (Keras 2 used clip(0.2 x + 0.5, 0, 1),
    with kinks at -2.5 and 2.5; PyTorch's ``hardsigmoid`` is the Keras 3 form.)
    """
    x = _float_tensor(x, "hard_sigmoid")
    return (x + 3.0).clip(0.0, 6.0) * (1.0 / 6.0)


def hard_silu(x):
    """x * hard_sigmoid(x) (also called hard_swish)."""
    x = _float_tensor(x, "hard_silu")
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def mish(x):
    """x * tanh(softplus(x))."""
    x = _float_tensor(x, "mish")
    return x * softplus(x).tanh()


def exponential(x):
    """exp(x)."""
    return _float_tensor(x, "exponential").exp()


def linear(x):
    """The identity (Keras's ``activation=None``)."""
    return as_tensor(x)


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), finite for any x."""
    return -softplus(-_float_tensor(x, "log_sigmoid"))


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the maximum so that it never overflows.

    >>> import tinygrad_edu as tg
    >>> softmax(tg.Tensor([1000.0, 1000.0])).tolist()
    [0.5, 0.5]
    """
    x = _float_tensor(x, "softmax")
    if x.ndim == 0:
        raise ValueError("softmax: needs at least one axis; got a 0-d tensor")
    return Softmax.apply(x, axis=normalize_axes(axis, x.ndim, "softmax"))


def log_softmax(x, axis=-1):
    """log(softmax(x)) along ``axis``: the log-probabilities, finite even for huge logits.

    Computed as (x - m) - log(sum(exp(x - m))) with m = max(x), which keeps float32's full
    precision at logits of 1e4 (x - logsumexp(x) would lose three digits there).
    d/dx_i = g_i - softmax(x)_i * sum(g).
    """
    x = _float_tensor(x, "log_softmax")
    if x.ndim == 0:
        raise ValueError("log_softmax: needs at least one axis; got a 0-d tensor")
    return stable_log_softmax(x, axis=normalize_axes(axis, x.ndim, "log_softmax")[0])


# ----- lookup by name ---------------------------------------------------------------------------

ACTIVATIONS = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": selu,
    "silu": silu,
    "swish": swish,
    "gelu": gelu,
    "softplus": softplus,
    "softsign": softsign,
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu,
    "hard_swish": hard_swish,
    "mish": mish,
    "exponential": exponential,
    "linear": linear,
    "log_sigmoid": log_sigmoid,
    "softmax": softmax,
    "log_softmax": log_softmax,
}


def get_activation(activation):
    """The activation function for a Keras name, a callable, or None.

    Args:
        activation: a name such as ``"relu"`` (case-insensitive), a callable (returned
            unchanged), or None / ``"linear"`` for the identity.

    Raises:
        ValueError: for an unknown name, suggesting the closest valid one.

    >>> get_activation("relu") is relu
    True
    """
    if activation is None:
        return linear
    if callable(activation):
        return activation
    if not isinstance(activation, str):
        raise TypeError(
            f"get_activation: expected a name, a callable or None, got "
            f"{type(activation).__name__}"
        )
    key = activation.strip().lower()
    if key in ACTIVATIONS:
        return ACTIVATIONS[key]
    raise unknown_name("activation", activation, sorted(ACTIVATIONS))


def activation_name(fn) -> str | None:
    """The Keras name of a built-in activation function (for configs and summaries), else None."""
    for name, candidate in ACTIVATIONS.items():
        if candidate is fn:
            return name
    return None
