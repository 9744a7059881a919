"""Every axis-taking op with every valid axis (negative ones too) and a few invalid ones, on
0-d to 4-d tensors: results match numpy, errors are ValueErrors that name the op.

numpy refuses an axis on a 0-d tensor; here (as in PyTorch) axis 0 and -1 are valid there
and act on the single element, so the reference for a 0-d input is numpy's result on the
1-element 1-D tensor, given the shape the op's rule implies.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import functional

SHAPES = [(), (3,), (2, 3), (2, 1, 3), (2, 3, 1, 2)]


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _take_first(x, axis):
    return np.take_along_axis(x, np.zeros((1,) * x.ndim, dtype=np.int64), axis)


def _ones_shaped(x):
    """The first element of x, keeping every axis (each of size 1)."""
    return x[(slice(0, 1),) * x.ndim]


@dataclass
class AxisOp:
    name: str
    ours: Callable
    reference: Callable
    zero_d: str = "element"  # "element": the 1-D result of one element, shaped as the rule says
    inserting: bool = False


OPS = [
    AxisOp("sum", lambda t, a: tg.sum(t, axis=a), np.sum),
    AxisOp("sum", lambda t, a: t.sum(axis=a, keepdims=True),
           lambda x, a: np.sum(x, axis=a, keepdims=True)),
    AxisOp("mean", lambda t, a: tg.mean(t, axis=a), np.mean),
    AxisOp("max", lambda t, a: tg.max(t, axis=a), np.max),
    AxisOp("min", lambda t, a: t.min(axis=a, keepdims=True),
           lambda x, a: np.min(x, axis=a, keepdims=True)),
    AxisOp("var", lambda t, a: tg.var(t, axis=a), np.var),
    AxisOp("std", lambda t, a: tg.std(t, axis=a), np.std),
    AxisOp("logsumexp", lambda t, a: tg.logsumexp(t, axis=a),
           lambda x, a: np.log(np.sum(np.exp(x), axis=a))),
    AxisOp("prod", lambda t, a: tg.prod(t, axis=a), np.prod),
    AxisOp("cumsum", lambda t, a: tg.cumsum(t, axis=a), np.cumsum),
    AxisOp("cumprod", lambda t, a: tg.cumprod(t, axis=a), np.cumprod),
    AxisOp("sort", lambda t, a: tg.sort(t, axis=a), np.sort),
    AxisOp("argsort", lambda t, a: tg.argsort(t, axis=a),
           lambda x, a: np.argsort(x, axis=a, kind="stable")),
    AxisOp("topk", lambda t, a: tg.topk(t, 1, axis=a)[0],
           lambda x, a: np.take(np.flip(np.sort(x, axis=a), a), [0], axis=a)),
    AxisOp("argmax", lambda t, a: tg.argmax(t, axis=a), np.argmax),
    AxisOp("argmin", lambda t, a: tg.argmin(t, axis=a, keepdims=True),
           lambda x, a: np.argmin(x, axis=a, keepdims=True)),
    AxisOp("any", lambda t, a: tg.any(t > 0, axis=a), lambda x, a: np.any(x > 0, axis=a)),
    AxisOp("all", lambda t, a: tg.all(t > 0, axis=a), lambda x, a: np.all(x > 0, axis=a)),
    AxisOp("flip", lambda t, a: tg.flip(t, axis=a), np.flip),
    AxisOp("roll", lambda t, a: tg.roll(t, 1, axis=a), lambda x, a: np.roll(x, 1, axis=a)),
    AxisOp("repeat", lambda t, a: tg.repeat(t, 2, axis=a), lambda x, a: np.repeat(x, 2, axis=a)),
    AxisOp("split", lambda t, a: tg.split(t, 1, axis=a)[0], lambda x, a: x, zero_d="error"),
    AxisOp("chunk", lambda t, a: tg.chunk(t, 1, axis=a)[0], lambda x, a: x, zero_d="error"),
    AxisOp("softmax", lambda t, a: functional.softmax(t, axis=a), _softmax, zero_d="error"),
    AxisOp("log_softmax", lambda t, a: functional.log_softmax(t, axis=a),
           lambda x, a: np.log(_softmax(x, a)), zero_d="error"),
    AxisOp("take_along_axis", lambda t, a: tg.take_along_axis(
        t, np.zeros((1,) * t.ndim, dtype=np.int64), axis=a), _take_first, zero_d="error"),
    # PyTorch's gather reads the leading part of the other axes (no broadcasting)
    AxisOp("gather", lambda t, a: tg.gather(t, a, np.zeros((1,) * t.ndim, dtype=np.int64)),
           lambda x, a: _ones_shaped(x)),
    AxisOp("moments", lambda t, a: functional.moments(t, a)[1], np.var),
    AxisOp("layer_norm", lambda t, a: functional.layer_norm(t, axis=a),
           lambda x, a: (x - x.mean(a, keepdims=True)) / np.sqrt(x.var(a, keepdims=True) + 1e-3),
           zero_d="error"),
    AxisOp("concatenate", lambda t, a: tg.concatenate([t, t], axis=a),
           lambda x, a: np.concatenate([x, x], axis=a), zero_d="error"),
    AxisOp("flatten", lambda t, a: tg.flatten(t, a),
           lambda x, a: x.reshape(x.shape[:a] + (-1,))),
    AxisOp("swapaxes", lambda t, a: tg.swapaxes(t, a, 0), lambda x, a: np.swapaxes(x, a, 0)),
    AxisOp("squeeze", lambda t, a: tg.squeeze(_ones_shaped(t), axis=a),
           lambda x, a: np.squeeze(_ones_shaped(x), axis=a)),
    AxisOp("unsqueeze", lambda t, a: tg.unsqueeze(t, a), np.expand_dims, inserting=True),
    AxisOp("stack", lambda t, a: tg.stack([t, t], axis=a),
           lambda x, a: np.stack([x, x], axis=a), inserting=True),
]


def _axes(ndim, inserting):
    positions = ndim + 1 if inserting else max(ndim, 1)
    valid = list(range(-positions, positions))
    invalid = [positions, positions + 3, -positions - 1]
    return valid, invalid


def _expected(op, x, axis):
    if x.ndim or op.inserting:
        return op.reference(x, axis)
    one = np.asarray(op.reference(x.reshape(1), 0))  # the op on the one element, as 1-D
    # The result is 0-d, except where the op makes elements: flatten gives (1,), repeat (2,).
    return one if op.name in ("repeat", "flatten") else one.reshape(())


CASES = [pytest.param(op, shape, id=f"{op.name}-{i}-{len(shape)}d")
         for i, op in enumerate(OPS) for shape in SHAPES]


@pytest.mark.parametrize("op,shape", CASES)
def test_every_valid_axis_matches_numpy(op, shape):
    x = np.random.default_rng(3).uniform(-2, 2, size=shape)
    valid, _ = _axes(len(shape), op.inserting)
    for axis in valid:
        if not shape and op.zero_d == "error":
            with pytest.raises(ValueError, match=op.name):
                op.ours(tg.Tensor(x, dtype="float64"), axis)
            continue
        out = op.ours(tg.Tensor(x, dtype="float64"), axis)
        expected = np.asarray(_expected(op, x, axis))
        assert out.shape == expected.shape, (op.name, shape, axis, out.shape, expected.shape)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12,
                                   err_msg=f"{op.name} axis {axis} of shape {shape}")


@pytest.mark.parametrize("op,shape", CASES)
def test_invalid_axes_are_value_errors_naming_the_op(op, shape):
    x = tg.Tensor(np.ones(shape))
    _, invalid = _axes(len(shape), op.inserting)
    # an op that needs an axis may refuse a 0-d tensor before it looks at the axis
    message = op.name if not shape and op.zero_d == "error" else rf"{op.name}.*(axis|position)"
    for axis in invalid:
        with pytest.raises(ValueError, match=message):
            op.ours(x, axis)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_non_integer_axes_are_value_errors(op):
    with pytest.raises(ValueError, match=op.name):
        op.ours(tg.ones(2, 3), 1.5)
