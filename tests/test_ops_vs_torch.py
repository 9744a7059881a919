"""Every public op against PyTorch on random inputs: values, first and second derivatives,
float64 and float32, contiguous and transposed inputs, 0-d, size-0 and broadcasting variants.

The harness is in ``torch_reference.py``; the rows are here. Ops without a gradient (indices,
truth values) are compared by value in ``VALUE_REFERENCE``.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import ops

torch = pytest.importorskip("torch")

from torch_reference import Ref, binary, compare, distinct, fixed, unary, uniform  # noqa: E402

T = torch
IDX = np.array([[0, 3], [1, 1], [2, 0]])
MASK = np.array([True, False, True, False])


REFERENCE = [
    # ---- elementwise ----------------------------------------------------------------------
    binary("add", lambda a, b: a + b, lambda a, b: a + b),
    binary("sub", lambda a, b: a - b, lambda a, b: a - b),
    binary("mul", lambda a, b: a * b, lambda a, b: a * b),
    binary("div", lambda a, b: a / b, lambda a, b: a / b, low_b=0.5, high_b=2.0),
    unary("neg", lambda a: -a, lambda a: -a),
    binary("power", lambda a, b: a ** b, lambda a, b: a ** b, low=0.5, high=2.0),
    unary("exp", tg.exp, T.exp),
    unary("log", tg.log, T.log, 0.1, 3.0),
    unary("sqrt", tg.sqrt, T.sqrt, 0.1, 3.0),
    unary("abs", tg.abs, T.abs),
    unary("sin", tg.sin, T.sin),
    unary("cos", tg.cos, T.cos),
    unary("tanh", tg.tanh, T.tanh, -5.0, 5.0),
    unary("sigmoid", tg.sigmoid, T.sigmoid, -50.0, 50.0),
    unary("relu", tg.relu, T.relu),
    binary("maximum", tg.maximum, T.maximum),
    binary("minimum", tg.minimum, T.minimum),
    unary("clip", lambda a: tg.clip(a, -0.5, 1.0), lambda a: T.clamp(a, -0.5, 1.0)),
    binary("where", lambda a, b: tg.where(a > 0, a, b), lambda a, b: T.where(a > 0, a, b)),
    unary("square", tg.square, T.square),
    unary("rsqrt", tg.rsqrt, T.rsqrt, 0.2, 3.0),
    unary("reciprocal", tg.reciprocal, T.reciprocal, 0.3, 3.0),
    unary("log2", tg.log2, T.log2, 0.1, 3.0),
    unary("log10", tg.log10, T.log10, 0.1, 3.0),
    unary("log1p", tg.log1p, T.log1p, -0.9, 3.0),
    unary("expm1", tg.expm1, T.expm1),
    unary("tan", tg.tan, T.tan, -1.3, 1.3),
    unary("sinh", tg.sinh, T.sinh),
    unary("cosh", tg.cosh, T.cosh),
    unary("arcsin", tg.arcsin, T.asin, -0.95, 0.95),
    unary("arccos", tg.arccos, T.acos, -0.95, 0.95),
    unary("arctan", tg.arctan, T.atan, -4.0, 4.0),
    binary("logaddexp", tg.logaddexp, T.logaddexp, -30.0, 30.0),
    unary("floor", tg.floor, T.floor, -5.0, 5.0),
    unary("ceil", tg.ceil, T.ceil, -5.0, 5.0),
    unary("round", tg.round, T.round, -5.0, 5.0),
    unary("trunc", tg.trunc, T.trunc, -5.0, 5.0),
    binary("remainder", lambda a, b: a % b, T.remainder, -6.0, 6.0, 0.5, 2.0),
    # ---- linear algebra ---------------------------------------------------------------------
    Ref("matmul", tg.matmul, T.matmul, [uniform((2, 3, 4)), uniform((4, 5))],
        [[uniform((4,)), uniform((4, 3))], [uniform((0, 4)), uniform((4, 3))],
         [uniform((3, 4)), uniform((4,))]]),
    Ref("einsum", lambda a, b: tg.einsum("bij,bjk->bik", a, b),
        lambda a, b: T.einsum("bij,bjk->bik", a, b), [uniform((2, 3, 4)), uniform((2, 4, 2))],
        [[uniform((0, 3, 4)), uniform((0, 4, 2))]]),
    Ref("einsum", lambda a: tg.einsum("ii->", a), lambda a: T.einsum("ii->", a),
        [uniform((3, 3))], [[uniform((0, 0))]]),
    Ref("einsum", lambda a, b: tg.einsum("i,j->ij", a, b), lambda a, b: T.einsum("i,j->ij", a, b),
        [uniform((3,)), uniform((4,))], [[uniform((0,)), uniform((2,))]]),
    Ref("einsum", lambda a: tg.einsum("ijk->kji", a), lambda a: T.einsum("ijk->kji", a),
        [uniform((2, 3, 4))]),
    Ref("einsum", lambda a, b: tg.einsum("ij,->", a, b), lambda a, b: T.einsum("ij,->", a, b),
        [uniform((2, 3)), uniform(())]),
    Ref("einsum", lambda a, b: tg.einsum("...ij,...jk->...ik", a, b),
        lambda a, b: T.einsum("...ij,...jk->...ik", a, b), [uniform((1, 2, 3)), uniform((4, 3, 2))],
        [[uniform((2, 3)), uniform((2, 0, 3, 2))], [uniform((3, 2, 3)), uniform((3, 2))]]),
    Ref("einsum", lambda a: tg.einsum("...ii->...i", a), lambda a: T.einsum("...ii->...i", a),
        [uniform((2, 3, 3))]),
    # ---- reductions -------------------------------------------------------------------------
    Ref("sum", lambda a: tg.sum(a, axis=(0, 2)), lambda a: a.sum(dim=(0, 2)),
        [uniform((2, 3, 4))], [[uniform((0, 3, 2))]]),
    Ref("sum", lambda a: tg.sum(a, axis=-1), lambda a: a.sum(-1), [uniform((3, 4))],
        [[uniform(())], [uniform((3, 0))]]),
    Ref("mean", lambda a: tg.mean(a, axis=-1, keepdims=True), lambda a: a.mean(-1, keepdim=True),
        [uniform((3, 4))], [[uniform(())], [uniform((0, 4))]]),
    Ref("max", lambda a: tg.max(a, axis=-1), lambda a: a.amax(-1), [distinct((3, 4))],
        [[uniform(())], [uniform((0, 3))]]),
    Ref("min", lambda a: tg.min(a, axis=0), lambda a: a.amin(0), [distinct((3, 4))],
        [[uniform(())]]),
    Ref("var", lambda a: tg.var(a, axis=1, ddof=1), lambda a: a.var(1, unbiased=True),
        [uniform((3, 5))]),
    Ref("std", lambda a: tg.std(a, axis=0), lambda a: a.std(0, unbiased=False),
        [uniform((4, 3))], [[fixed([[1.5, 2.0], [1.5, 3.0]])]]),
    Ref("logsumexp", lambda a: tg.logsumexp(a, axis=-1), lambda a: T.logsumexp(a, -1),
        [uniform((3, 4), -300, 300)], [[uniform(())], [uniform((0, 4))], [uniform((3, 0))]]),
    Ref("prod", lambda a: tg.prod(a, axis=-1), lambda a: T.prod(a, -1), [uniform((3, 4))],
        [[uniform(())], [uniform((2, 0))], [fixed([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5]])]]),
    Ref("prod", tg.prod, T.prod, [uniform((2, 3))], [[fixed([[1.5, 0.0], [2.0, -1.0]])]]),
    Ref("cumsum", lambda a: tg.cumsum(a, axis=-1), lambda a: T.cumsum(a, -1), [uniform((3, 4))],
        [[uniform(())], [uniform((3, 0))], [uniform((0, 3))]]),
    Ref("cumsum", lambda a: tg.cumsum(a, axis=0), lambda a: T.cumsum(a, 0), [uniform((3, 4))]),
    Ref("cumprod", lambda a: tg.cumprod(a, axis=-1), lambda a: T.cumprod(a, -1),
        [uniform((3, 4))], [[uniform(())], [uniform((3, 0))],
                            [fixed([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [2.0, -1.0, 0.0]])]]),
    # ---- shape, indexing, rearranging -------------------------------------------------------
    Ref("reshape", lambda a: tg.reshape(a, (2, -1)), lambda a: a.reshape(2, -1),
        [uniform((3, 4))], [[uniform((0, 4))]]),
    Ref("transpose", lambda a: tg.transpose(a, (1, 2, 0)), lambda a: a.permute(1, 2, 0),
        [uniform((2, 3, 4))]),
    Ref("swapaxes", lambda a: tg.swapaxes(a, 0, 1), lambda a: a.transpose(0, 1),
        [uniform((2, 3, 4))]),
    Ref("broadcast_to", lambda a: tg.broadcast_to(a, (2, 3, 4)), lambda a: a.expand(2, 3, 4),
        [uniform((3, 1))], [[uniform(())]]),
    Ref("squeeze", lambda a: tg.squeeze(a), lambda a: a.squeeze(), [uniform((3, 1, 4))],
        [[uniform(())]]),
    Ref("unsqueeze", lambda a: tg.unsqueeze(a, -1), lambda a: a.unsqueeze(-1),
        [uniform((3, 4))], [[uniform(())], [uniform((0,))]]),
    Ref("flatten", lambda a: tg.flatten(a, 1), lambda a: a.flatten(1), [uniform((2, 3, 4))],
        [[uniform((0, 3))], [uniform((2, 0, 3))]]),
    Ref("getitem", lambda a: tg.getitem(a, (np.array([0, 2, 0]), slice(1, 3))),
        lambda a: a[T.tensor([0, 2, 0]), 1:3], [uniform((3, 4))]),
    Ref("concatenate", lambda a, b: tg.concatenate([a, b], axis=-1),
        lambda a, b: T.cat([a, b], -1), [uniform((3, 2)), uniform((3, 3))],
        [[uniform((3, 0)), uniform((3, 2))]]),
    Ref("stack", lambda a, b: tg.stack([a, b], axis=-1), lambda a, b: T.stack([a, b], -1),
        [uniform((2, 3)), uniform((2, 3))], [[uniform(()), uniform(())]]),
    Ref("pad", lambda a: tg.pad(a, ((1, 2), (0, 1)), value=0.5),
        lambda a: T.nn.functional.pad(a, (0, 1, 1, 2), value=0.5), [uniform((2, 3))]),
    Ref("take_along_axis", lambda a: tg.take_along_axis(a, IDX, axis=1),
        lambda a: T.take_along_dim(a, T.tensor(IDX), 1), [uniform((3, 4))]),
    Ref("take_along_axis", lambda a: tg.take_along_axis(a, IDX[:1], axis=1),
        lambda a: T.take_along_dim(a, T.tensor(IDX[:1]), 1), [uniform((3, 4))]),
    Ref("take_along_axis", lambda a: tg.take_along_axis(a, IDX[:, :0], axis=1),
        lambda a: T.take_along_dim(a, T.tensor(IDX[:, :0]), 1), [uniform((3, 4))],
        [[uniform((3, 0))]]),
    Ref("gather", lambda a: tg.gather(a, 0, IDX[:, :1].T), lambda a: T.gather(a, 0, T.tensor(
        IDX[:, :1].T)), [uniform((3, 4))]),
    Ref("gather", lambda a: tg.gather(a, 1, IDX[:, :0]), lambda a: T.gather(a, 1, T.tensor(
        IDX[:, :0])), [uniform((3, 4))]),
    Ref("masked_fill", lambda a: tg.masked_fill(a, MASK, -1.5),
        lambda a: a.masked_fill(T.tensor(MASK), -1.5), [uniform((3, 4))], [[uniform((0, 4))]]),
    Ref("masked_fill", lambda a: tg.masked_fill(a, np.array(True), 2.0),
        lambda a: a.masked_fill(T.tensor(True), 2.0), [uniform((3, 4))], [[uniform(())]]),
    Ref("tril", lambda a: tg.tril(a, -1), lambda a: T.tril(a, -1), [uniform((2, 3, 4))],
        [[uniform((0, 3))]]),
    Ref("triu", tg.triu, T.triu, [uniform((3, 4))], [[uniform((0, 3))], [uniform((3, 0))]]),
    Ref("flip", lambda a: tg.flip(a, (0, -1)), lambda a: T.flip(a, (0, -1)),
        [uniform((2, 3, 4))], [[uniform((0, 3))]]),
    Ref("flip", lambda a: tg.flip(a, 0), lambda a: T.flip(a, (0,)), [uniform((2, 3))],
        [[uniform(())]]),
    Ref("roll", lambda a: tg.roll(a, (1, -3), axis=(0, 1)), lambda a: T.roll(a, (1, -3), (0, 1)),
        [uniform((3, 4))], [[uniform((0, 4))]]),
    Ref("roll", lambda a: tg.roll(a, 5), lambda a: T.roll(a, 5), [uniform((3, 4))]),
    Ref("repeat", lambda a: tg.repeat(a, [2, 0, 1], axis=0),
        lambda a: T.repeat_interleave(a, T.tensor([2, 0, 1]), dim=0), [uniform((3, 4))],
        [[uniform((3, 0))]]),
    Ref("repeat", lambda a: tg.repeat(a, 2), lambda a: T.repeat_interleave(a, 2),
        [uniform((2, 3))], [[uniform(())]]),
    Ref("tile", lambda a: tg.tile(a, (2, 1, 3)), lambda a: T.tile(a, (2, 1, 3)),
        [uniform((3, 2))], [[uniform(())], [uniform((0, 2))]]),
    Ref("split", lambda a: tg.stack(tg.split(a, 2, axis=-1)),
        lambda a: T.stack(T.tensor_split(a, 2, -1)), [uniform((3, 4))], [[uniform((0, 4))]]),
    Ref("split", lambda a: tg.concatenate([p * (i + 1.0) for i, p in enumerate(
        tg.split(a, [1, 3]))]), lambda a: T.cat([p * (i + 1.0) for i, p in enumerate(
            T.tensor_split(a, [1, 3]))]), [uniform((5, 2))]),
    Ref("chunk", lambda a: tg.concatenate([p * (i + 1.0) for i, p in enumerate(
        tg.chunk(a, 3, axis=1))], axis=1), lambda a: T.cat([p * (i + 1.0) for i, p in enumerate(
            T.chunk(a, 3, 1))], 1), [uniform((2, 5))], [[uniform((0, 5))]]),
    Ref("sort", lambda a: tg.sort(a, axis=-1), lambda a: T.sort(a, dim=-1, stable=True).values,
        [distinct((3, 4))], [[uniform(())], [uniform((0, 3))]]),
    Ref("sort", lambda a: tg.sort(a, axis=0, descending=True),
        lambda a: T.sort(a, dim=0, descending=True, stable=True).values, [distinct((3, 4))]),
    Ref("topk", lambda a: tg.topk(a, 2)[0], lambda a: T.topk(a, 2).values, [distinct((3, 5))],
        [[uniform((0, 5))]]),
    Ref("topk", lambda a: tg.topk(a, 1)[0], lambda a: T.topk(a, 1).values, [distinct((3, 5))],
        [[uniform(())]]),
    Ref("topk", lambda a: tg.topk(a, 3, axis=0, largest=False)[0],
        lambda a: T.topk(a, 3, 0, largest=False).values, [distinct((4, 2))]),
]

# Ops without a gradient: (op, ours, theirs, inputs) compared by value and dtype kind.
SPECIAL = np.array([[1.5, np.nan, np.inf], [-np.inf, 0.0, -2.0]])
VALUE_REFERENCE = [
    ("argsort", lambda a: tg.argsort(a, axis=0), lambda a: T.argsort(a, dim=0, stable=True),
     [np.array([[1.0, 3.0], [1.0, 2.0], [0.0, 3.0]])]),
    ("argsort", lambda a: tg.argsort(a, descending=True),
     lambda a: T.argsort(a, dim=-1, descending=True, stable=True),
     [np.array([2.0, 5.0, 2.0, 5.0])]),
    ("argmax", lambda a: tg.argmax(a, axis=1, keepdims=True),
     lambda a: T.argmax(a, 1, keepdim=True), [np.array([[1.0, 7.0, 7.0], [4.0, 0.0, 2.0]])]),
    ("argmax", tg.argmax, T.argmax, [np.array([[1.0, 7.0], [7.0, 0.0]])]),
    ("argmin", lambda a: tg.argmin(a, axis=-1), lambda a: T.argmin(a, -1),
     [np.array([[1.0, -7.0, 3.0], [4.0, 0.0, 0.0]])]),
    ("any", lambda a: tg.any(a > 1, axis=0), lambda a: T.any(a > 1, 0),
     [np.array([[0.0, 2.0], [0.5, 3.0]])]),
    ("any", lambda a: tg.any(a), T.any, [np.zeros((0, 3))]),
    ("all", lambda a: tg.all(a, axis=1, keepdims=True), lambda a: T.all(a, 1, keepdim=True),
     [np.array([[1.0, 2.0], [0.0, 3.0]])]),
    ("all", lambda a: tg.all(a), T.all, [np.zeros((0, 3))]),
    ("isnan", tg.isnan, T.isnan, [SPECIAL]),
    ("isinf", tg.isinf, T.isinf, [SPECIAL]),
    ("isfinite", tg.isfinite, T.isfinite, [SPECIAL]),
    ("isclose", tg.isclose, T.isclose,
     [np.array([1.0, 2.0, np.nan, 1e-9]), np.array([1.0 + 1e-6, 2.1, np.nan, 0.0])]),
    ("isclose", lambda a, b: tg.isclose(a, b, equal_nan=True),
     lambda a, b: T.isclose(a, b, equal_nan=True), [np.array([np.nan, 1.0]), np.array([np.nan,
                                                                                       1.0])]),
    ("floor_divide", lambda a, b: a // b, T.floor_divide,
     [np.array([5.5, -5.5, 7.0, -7.0]), np.array([2.0, 2.0, -2.0, 3.0])]),
]


def test_every_public_op_has_a_reference_row():
    covered = {row.op for row in REFERENCE} | {row[0] for row in VALUE_REFERENCE}
    assert not set(ops.__all__) - covered, sorted(set(ops.__all__) - covered)


def _cases():
    for index, row in enumerate(REFERENCE):
        for variant, makers in enumerate(row.input_lists):
            yield pytest.param(row, makers, id=f"{row.op}-{index}-{variant}")


CASES = list(_cases())


@pytest.mark.parametrize("row,makers", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_values_and_derivatives_match_torch(row, makers, dtype):
    rng = np.random.default_rng(7)
    compare(row, [make(rng) for make in makers], dtype=dtype)


def _has_a_matrix(row):
    """Some input has two axes longer than 1: its transpose is a non-contiguous view."""
    shapes = [make(np.random.default_rng(0)).shape for make in row.inputs]
    return any(sum(n > 1 for n in shape) >= 2 for shape in shapes)


@pytest.mark.parametrize("row", [r for r in REFERENCE if _has_a_matrix(r)], ids=lambda r: r.op)
def test_transposed_inputs_match_torch(row):
    rng = np.random.default_rng(8)
    compare(row, [make(rng) for make in row.inputs], transposed=True)


@pytest.mark.parametrize("op,ours,theirs,arrays", VALUE_REFERENCE,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(VALUE_REFERENCE)])
def test_values_of_ops_without_gradient_match_torch(op, ours, theirs, arrays):
    out = ours(*[tg.Tensor(a, dtype="float64") for a in arrays])
    expected = theirs(*[T.tensor(a, dtype=T.float64) for a in arrays]).numpy()
    assert out.shape == expected.shape
    assert out.dtype.kind == expected.dtype.kind or (out.dtype.kind in "iu"
                                                     and expected.dtype.kind in "iu")
    np.testing.assert_array_equal(out.data, expected)
