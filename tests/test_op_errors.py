"""Bad input to the ops is a clear error that names the op (ValueError or TypeError)."""

import numpy as np
import pytest

import tinygrad_edu as tg

A = tg.ones(2, 3)

CASES = [
    (lambda: tg.take_along_axis(A, np.array([[0], [3]]), axis=1), ValueError,
     r"take_along_axis: an index is out of range.*-3 to 2"),
    (lambda: tg.take_along_axis(A, np.array([[0.5]]), axis=1), TypeError,
     "take_along_axis: indices must be integers"),
    (lambda: tg.take_along_axis(A, np.array([0, 1]), axis=1), ValueError,
     "take_along_axis: indices need the same number of dims"),
    (lambda: tg.gather(A, 0, np.zeros((1, 4), dtype=int)), ValueError,
     "gather: index shape.*exceeds"),
    (lambda: tg.gather(A, 0, np.zeros(2, dtype=int)), ValueError, "gather: index needs 2 dims"),
    (lambda: tg.masked_fill(A, np.ones(3), 0.0), TypeError, "masked_fill: the mask must be"),
    (lambda: tg.masked_fill(A, np.ones((3, 3), bool), 0.0), ValueError,
     "masked_fill: mask of shape"),
    (lambda: tg.tril(tg.ones(3)), ValueError, "tril: needs a matrix"),
    (lambda: tg.einsum("ij,jk", A, A), ValueError, "einsum: give explicit subscripts"),
    (lambda: tg.einsum("...i->i", A), ValueError, "einsum: an operand has '...', so the output"),
    (lambda: tg.einsum("...ij,...jk->...ik", tg.ones(2, 2, 3), tg.ones(3, 3, 2)), ValueError,
     r"einsum: the '...' axes of the operands do not broadcast together: \[\(2,\), \(3,\)\]"),
    (lambda: tg.einsum("ij,jk->ik", A, A), ValueError, "einsum: letter 'j' has sizes 3 and 2"),
    (lambda: tg.einsum("ij->ik", A), ValueError, "einsum: output letter 'k'"),
    (lambda: tg.einsum("ijk->i", A), ValueError, "einsum: subscripts 'ijk' name 3 axes"),
    (lambda: tg.einsum("ij,ij->i", A), ValueError, "einsum: .* names 2 operand"),
    (lambda: tg.topk(A, 4), ValueError, "topk: k must be an integer from 0 to the axis size 3"),
    (lambda: tg.argmax(tg.zeros(0)), ValueError, "argmax: the tensor is empty"),
    (lambda: tg.max(tg.zeros(2, 0), axis=1), ValueError, "max: reducing axis"),
    (lambda: tg.split(A, 2, axis=1), ValueError, "split: 2 equal parts do not fit"),
    (lambda: tg.split(tg.Tensor(1.0), 1), ValueError, "split: a 0-d tensor"),
    (lambda: tg.chunk(A, 0), ValueError, "chunk: chunks must be a positive integer"),
    (lambda: tg.repeat(A, [1, 2], axis=1), ValueError, "repeat: 2 repeat counts"),
    (lambda: tg.repeat(A, -1), ValueError, "repeat: repeats must be non-negative"),
    (lambda: tg.tile(A, (2, -1)), ValueError, "tile: reps must be non-negative"),
    (lambda: tg.roll(A, (1, 2), axis=0), ValueError, "roll: got 2 shifts for 1 axes"),
    (lambda: tg.roll(A, 1.5, axis=0), ValueError, "roll: shifts must be integers"),
    (lambda: tg.isclose(A, A, rtol=-1.0), ValueError, "isclose: rtol and atol"),
    (lambda: tg.isclose(A, tg.ones(4)), ValueError, r"isclose: shapes \(2, 3\) and \(4,\)"),
    (lambda: tg.Tensor([True]) ** 2, TypeError, "power: not defined for boolean"),
    (lambda: tg.Tensor([True]) % tg.Tensor([True]), TypeError, "remainder: not defined"),
    (lambda: tg.Tensor([True]) // 2, TypeError, "floor_divide: not defined"),
    (lambda: tg.Tensor([1, 2]) ** -1, ValueError, "Pow: .*negative integer powers"),
    (lambda: tg.cumsum(A, axis=2), ValueError, "cumsum: axis 2 is out of range"),
    (lambda: tg.sum(A, axis=(0, -2)), ValueError, r"sum: axis \(0, -2\) repeats an axis"),
    (lambda: tg.transpose(A, (0, 0)), ValueError, "transpose: axes .* are not a permutation"),
    (lambda: tg.concatenate([A, tg.ones(3)]), ValueError, "concatenate: needs tensors"),
]


@pytest.mark.parametrize("call, error, message", CASES,
                         ids=[message.split(":")[0].split(" ")[0] + f"-{i}"
                              for i, (_, _, message) in enumerate(CASES)])
def test_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
