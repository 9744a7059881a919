"""The ops: primitive differentiable ones (each a :class:`~tinygrad_edu.autograd.Function`,
forward and backward side by side) and compositions of them.

The functional forms listed in ``__all__`` are the public ops: every one of them has a row in
the op-case table (``tinygrad_edu.op_cases``) that drives the gradient checks. The ops in
``NOT_DIFFERENTIABLE`` return indices, truth values or floor quotients, outside the graph;
their rows are checked by value. Axis arguments follow one rule (``ops.axes``), dtypes
another (``ops.dtypes``).
"""

from tinygrad_edu.ops.cumulative import cumprod, cumsum
from tinygrad_edu.ops.einsum import einsum
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
from tinygrad_edu.ops.indexing import gather, masked_fill, take_along_axis, tril, triu
from tinygrad_edu.ops.linalg import matmul
from tinygrad_edu.ops.logarithmic import expm1, log1p, log2, log10, logaddexp
from tinygrad_edu.ops.logical import all, any, isclose, isfinite, isinf, isnan
from tinygrad_edu.ops.powers import reciprocal, rsqrt, square
from tinygrad_edu.ops.rearrange import chunk, flip, repeat, roll, split, tile
from tinygrad_edu.ops.reduce import logsumexp, max, mean, min, prod, std, sum, var
from tinygrad_edu.ops.rounding import ceil, floor, floor_divide, remainder, round, trunc
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
from tinygrad_edu.ops.sorting import argmax, argmin, argsort, sort, topk
from tinygrad_edu.ops.trigonometric import arccos, arcsin, arctan, cosh, sinh, tan

__all__ = [
    "abs", "add", "clip", "cos", "div", "exp", "log", "maximum", "minimum", "mul", "neg",
    "power", "relu", "sigmoid", "sin", "sqrt", "sub", "tanh", "where", "matmul",
    "logsumexp", "max", "mean", "min", "std", "sum", "var",
    "broadcast_to", "concatenate", "flatten", "getitem", "pad", "reshape", "squeeze",
    "stack", "swapaxes", "transpose", "unsqueeze",
    # differentiable
    "cumsum", "cumprod", "take_along_axis", "gather", "einsum", "sort", "topk", "prod",
    "tril", "triu", "masked_fill", "flip", "roll", "repeat", "tile", "split", "chunk",
    "floor", "ceil", "round", "trunc", "square", "rsqrt", "reciprocal", "log2", "log10",
    "log1p", "expm1", "tan", "sinh", "cosh", "arcsin", "arccos", "arctan", "logaddexp",
    "remainder",
    # not differentiable: integer or boolean results outside the graph
    "argsort", "argmax", "argmin", "any", "all", "isnan", "isinf", "isfinite", "isclose",
    "floor_divide",
]

# Ops whose results are indices or truth values: they have no gradient, so the op-case table
# checks them by value and checks that their results leave the graph.
NOT_DIFFERENTIABLE = ("argsort", "argmax", "argmin", "any", "all", "isnan", "isinf",
                      "isfinite", "isclose", "floor_divide")
