"""Elementwise ops. Notation: ``y`` is the output, ``g = dL/dy`` the incoming gradient.

Binary ops broadcast like numpy; each backward rule returns the gradient at the broadcast
shape and the engine sums it back to each input's shape (``autograd.unbroadcast``).

Ops whose result is a real number turn integer and boolean inputs into float32 first
(:mod:`tinygrad_edu.ops.dtypes`).
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.dtypes import float_array, reject_booleans
from tinygrad_edu.tensor import Tensor, as_tensor, operands

_BROADCAST_HINT = "Shapes must be broadcast-compatible (numpy rules: trailing axes equal or 1)"


class Add(Function):
    """y = a + b.   da = g,  db = g."""

    hint = _BROADCAST_HINT

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    """y = a - b.   da = g,  db = -g."""

    hint = _BROADCAST_HINT

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.inputs[1].requires_grad else None)


class Mul(Function):
    """y = a * b.   da = g * b,  db = g * a."""

    hint = _BROADCAST_HINT
    saves_inputs = True

    def forward(self, a, b):
        return a * b

    def backward(self, g):
        a, b = self.inputs
        return (g * b if a.requires_grad else None), (g * a if b.requires_grad else None)


class Div(Function):
    """y = a / b.   da = g / b,  db = -g * a / b**2.

    ``db`` is computed as -(g / b) * (a / b), two quotients: ``b * b`` underflows to 0 in
    float32 for |b| < 1e-23, which would make the gradient inf where the true value is finite.
    """

    hint = _BROADCAST_HINT
    saves_inputs = True

    def forward(self, a, b):
        if a.dtype.kind != "f" and b.dtype.kind != "f":  # true division of integers
            return float_array(a) / float_array(b)
        return a / b

    def backward(self, g):
        a, b = self.inputs
        g_over_b = g / b
        grad_a = g_over_b if a.requires_grad else None
        grad_b = -g_over_b * (a / b) if b.requires_grad else None
        return grad_a, grad_b


class Neg(Function):
    """y = -a.   da = -g."""

    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


class Pow(Function):
    """y = a ** b.   da = g * b * a**(b - 1),  db = g * y * log(a).

    Where b = 0, y = 1 is constant in a, so da = 0, also at a = 0 where the formula would be
    0 * 0**(-1) = 0 * inf = NaN. For ``db`` the convention at a = 0 is 0 (the limit of
    y * log(a) as a -> 0+ for b > 0).
    """

    hint = _BROADCAST_HINT
    saves_inputs = True
    keeps_output = True

    def forward(self, a, b):
        return a**b

    def backward(self, g):
        a, b = self.inputs
        grad_a = None
        if a.requires_grad:
            if (b.data == 0).any():  # a ** 1 is finite everywhere, and b = 0 zeroes it
                exponent = where(b == 0, 1.0, b - 1.0)
            else:
                exponent = b - 1.0
            grad_a = g * b * a ** exponent
        grad_b = None
        if b.requires_grad:
            zero = a == 0
            safe_a = where(zero, 1.0, a)
            grad_b = where(zero, 0.0, g * self.output * log(safe_a))
        return grad_a, grad_b


class Exp(Function):
    """y = exp(a).   da = g * y."""

    keeps_output = True

    def forward(self, a):
        return np.exp(float_array(a))

    def backward(self, g):
        return g * self.output


class Log(Function):
    """y = log(a) (natural).   da = g / a."""

    saves_inputs = True

    def forward(self, a):
        return np.log(float_array(a))

    def backward(self, g):
        return g / self.inputs[0]


class Sqrt(Function):
    """y = sqrt(a).   da = g / (2 y)."""

    keeps_output = True

    def forward(self, a):
        return np.sqrt(float_array(a))

    def backward(self, g):
        return g / (self.output * 2.0)


class Abs(Function):
    """y = |a|.   da = g * sign(a)  (0 at a = 0, as a subgradient)."""

    saves_inputs = True

    def forward(self, a):
        return np.abs(a)

    def backward(self, g):
        return g * self.inputs[0].sign()


class Sin(Function):
    """y = sin(a).   da = g * cos(a)."""

    saves_inputs = True

    def forward(self, a):
        return np.sin(float_array(a))

    def backward(self, g):
        return g * cos(self.inputs[0])


class Cos(Function):
    """y = cos(a).   da = -g * sin(a)."""

    saves_inputs = True

    def forward(self, a):
        return np.cos(float_array(a))

    def backward(self, g):
        return -g * sin(self.inputs[0])


class Tanh(Function):
    """y = tanh(a).   da = g * (1 - y**2)."""

    keeps_output = True

    def forward(self, a):
        return np.tanh(float_array(a))

    def backward(self, g):
        y = self.output
        return g * (1.0 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-a)).   da = g * y * (1 - y).

    Computed as exp(-|a|) based halves so that neither branch overflows: sigmoid(+-1000) is
    exactly 1 and 0, never NaN.
    """

    keeps_output = True

    def forward(self, a):
        a = float_array(a)
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(a.dtype, copy=False)

    def backward(self, g):
        y = self.output
        return g * y * (1.0 - y)


class Relu(Function):
    """y = max(a, 0).   da = g * [a > 0]."""

    def forward(self, a):
        self.mask = a > 0
        return a.copy() if a.dtype.kind == "b" else np.maximum(a, 0)  # relu of a bool is itself

    def backward(self, g):
        return Mul.apply(g, Tensor._wrap(self.mask))  # float * bool keeps the float dtype


class Maximum(Function):
    """y = max(a, b) elementwise.   da = g * [a > b],  db = g * [a < b]; a tie splits g in half."""

    hint = _BROADCAST_HINT

    def forward(self, a, b):
        self.share_a = (a > b) + 0.5 * (a == b)
        return np.maximum(a, b)

    def backward(self, g):
        share_a = Tensor._wrap(self.share_a.astype(g.data.dtype))
        return g * share_a, g * (1.0 - share_a)


class Minimum(Function):
    """y = min(a, b) elementwise.   da = g * [a < b],  db = g * [a > b]; a tie splits g in half."""

    hint = _BROADCAST_HINT

    def forward(self, a, b):
        self.share_a = (a < b) + 0.5 * (a == b)
        return np.minimum(a, b)

    def backward(self, g):
        share_a = Tensor._wrap(self.share_a.astype(g.data.dtype))
        return g * share_a, g * (1.0 - share_a)


class Clip(Function):
    """y = min(max(a, low), high).   da = g * [low <= a <= high]."""

    def forward(self, a, low, high):
        self.inside = (a >= low) & (a <= high)
        return np.clip(a, low, high).astype(a.dtype, copy=False)

    def backward(self, g):
        return g * Tensor._wrap(self.inside.astype(g.data.dtype))


class Where(Function):
    """y = a where condition else b.   da = g where condition else 0,  db = the rest."""

    hint = "condition, a and b must broadcast together"

    def forward(self, condition, a, b):
        return np.where(condition, a, b)

    def backward(self, g):
        condition, a, b = self.inputs
        zero = Tensor._wrap(np.zeros((), dtype=g.data.dtype))
        grad_a = where(condition, g, zero) if a.requires_grad else None
        grad_b = where(condition, zero, g) if b.requires_grad else None
        return None, grad_a, grad_b


class Cast(Function):
    """y = a converted to another float dtype.   da = g converted back to a's dtype."""

    def forward(self, a, dtype):
        return a.astype(dtype)

    def backward(self, g):
        return g.astype(self.inputs[0].data.dtype)


# Functional forms: accept Tensors, arrays or scalars.


def add(a, b):
    """a + b, broadcasting."""
    return Add.apply(*operands(a, b))


def sub(a, b):
    """a - b, broadcasting."""
    return Sub.apply(*operands(a, b))


def mul(a, b):
    """a * b, broadcasting."""
    return Mul.apply(*operands(a, b))


def div(a, b):
    """a / b, broadcasting."""
    return Div.apply(*operands(a, b))


def neg(a):
    """-a."""
    return Neg.apply(as_tensor(a))


def power(a, b):
    """a ** b with a tensor or scalar exponent."""
    a, b = operands(a, b)
    reject_booleans("power", a, b)
    if a.data.dtype.kind != "f" and b.data.dtype.kind == "f":
        a = a.astype(b.data.dtype)
    return Pow.apply(a, b)


def exp(a):
    """e ** a."""
    return Exp.apply(as_tensor(a))


def log(a):
    """Natural logarithm."""
    return Log.apply(as_tensor(a))


def sqrt(a):
    """Square root."""
    return Sqrt.apply(as_tensor(a))


def abs(a):  # noqa: A001 - the numpy name, kept on purpose; shadows only inside this module
    """|a|."""
    return Abs.apply(as_tensor(a))


def sin(a):
    """Sine."""
    return Sin.apply(as_tensor(a))


def cos(a):
    """Cosine."""
    return Cos.apply(as_tensor(a))


def tanh(a):
    """Hyperbolic tangent."""
    return Tanh.apply(as_tensor(a))


def sigmoid(a):
    """Logistic sigmoid 1 / (1 + exp(-a)), stable for any input."""
    return Sigmoid.apply(as_tensor(a))


def relu(a):
    """max(a, 0)."""
    return Relu.apply(as_tensor(a))


def maximum(a, b):
    """Elementwise maximum of two tensors (broadcasting)."""
    return Maximum.apply(*operands(a, b))


def minimum(a, b):
    """Elementwise minimum of two tensors (broadcasting)."""
    return Minimum.apply(*operands(a, b))


def clip(a, low=None, high=None):
    """Limit values to [low, high]; either bound may be None."""
    if low is None and high is None:
        raise ValueError("clip: give at least one of low and high")
    a = as_tensor(a)
    low = -np.inf if low is None else low
    high = np.inf if high is None else high
    if low > high:
        raise ValueError(f"clip: low ({low}) must not exceed high ({high})")
    return Clip.apply(a, low=low, high=high)


def where(condition, a, b):
    """Pick from ``a`` where ``condition`` holds, else from ``b`` (broadcasting)."""
    condition = as_tensor(condition)
    if condition.data.dtype != np.bool_:
        condition = Tensor._wrap(condition.data.astype(bool))
    a, b = operands(a, b)
    return Where.apply(condition, a, b)
