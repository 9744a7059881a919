"""Primitive differentiable ops, each a :class:`~tinygrad_edu.autograd.Function`.

The functional forms listed in ``__all__`` are the public ops: every one of them has a row in
the op-case table (``tinygrad_edu.op_cases``) that drives the gradient checks.
"""

from tinygrad_edu.ops.elementwise import (
    abs,
    add,
    clip,
    cos,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    power,
    relu,
    sigmoid,
    sin,
    sqrt,
    sub,
    tanh,
    where,
)
from tinygrad_edu.ops.linalg import matmul
from tinygrad_edu.ops.reduce import logsumexp, max, mean, min, std, sum, var
from tinygrad_edu.ops.shape import (
    broadcast_to,
    concatenate,
    flatten,
    getitem,
    pad,
    reshape,
    squeeze,
    stack,
    swapaxes,
    transpose,
    unsqueeze,
)

__all__ = [
    "abs", "add", "clip", "cos", "div", "exp", "log", "maximum", "minimum", "mul", "neg",
    "power", "relu", "sigmoid", "sin", "sqrt", "sub", "tanh", "where", "matmul",
    "logsumexp", "max", "mean", "min", "std", "sum", "var",
    "broadcast_to", "concatenate", "flatten", "getitem", "pad", "reshape", "squeeze",
    "stack", "swapaxes", "transpose", "unsqueeze",
]
