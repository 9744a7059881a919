"""Trigonometric and hyperbolic functions beyond sin, cos and tanh.

Notation: ``y`` is the output, ``g = dL/dy``. Each backward rule is written with Tensor ops
(so second derivatives work). Integer and boolean inputs become float32 first.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.dtypes import float_array
from tinygrad_edu.tensor import as_tensor

__all__ = ["tan", "sinh", "cosh", "arcsin", "arccos", "arctan"]


class Tan(Function):
    """y = tan(a).   da = g * (1 + y**2)   (= g / cos(a)**2)."""

    keeps_output = True

    def forward(self, a):
        return np.tan(float_array(a))

    def backward(self, g):
        y = self.output
        return g * (y * y + 1.0)


class Sinh(Function):
    """y = sinh(a) = (e**a - e**-a) / 2.   da = g * cosh(a)."""

    saves_inputs = True

    def forward(self, a):
        return np.sinh(float_array(a))

    def backward(self, g):
        return g * cosh(self.inputs[0])


class Cosh(Function):
    """y = cosh(a) = (e**a + e**-a) / 2.   da = g * sinh(a)."""

    saves_inputs = True

    def forward(self, a):
        return np.cosh(float_array(a))

    def backward(self, g):
        return g * sinh(self.inputs[0])


class Arcsin(Function):
    """y = arcsin(a), for -1 <= a <= 1.   da = g / sqrt(1 - a**2)  (inf at a = +-1)."""

    saves_inputs = True

    def forward(self, a):
        return np.arcsin(float_array(a))

    def backward(self, g):
        a = self.inputs[0]
        return g / (1.0 - a * a).sqrt()


class Arccos(Function):
    """y = arccos(a), for -1 <= a <= 1.   da = -g / sqrt(1 - a**2)."""

    saves_inputs = True

    def forward(self, a):
        return np.arccos(float_array(a))

    def backward(self, g):
        a = self.inputs[0]
        return -g / (1.0 - a * a).sqrt()


class Arctan(Function):
    """y = arctan(a).   da = g / (1 + a**2)."""

    saves_inputs = True

    def forward(self, a):
        return np.arctan(float_array(a))

    def backward(self, g):
        a = self.inputs[0]
        return g / (a * a + 1.0)


def tan(a):
    """Tangent (of an angle in radians)."""
    return Tan.apply(as_tensor(a))


def sinh(a):
    """Hyperbolic sine."""
    return Sinh.apply(as_tensor(a))


def cosh(a):
    """Hyperbolic cosine."""
    return Cosh.apply(as_tensor(a))


def arcsin(a):
    """Inverse sine, in [-pi/2, pi/2]; NaN outside [-1, 1] (as in numpy and PyTorch)."""
    return Arcsin.apply(as_tensor(a))


def arccos(a):
    """Inverse cosine, in [0, pi]; NaN outside [-1, 1]."""
    return Arccos.apply(as_tensor(a))


def arctan(a):
    """Inverse tangent, in (-pi/2, pi/2)."""
    return Arctan.apply(as_tensor(a))
