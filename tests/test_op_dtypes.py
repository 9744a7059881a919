"""The dtype rule of every public op, on integer, boolean and float32 inputs.

* ops whose result is a real number (exp, log, division, mean...) give float32 for integer
  and boolean inputs, and keep float32;
* indices (argmax, argsort) are int64 and truth values (any, isnan...) are bool;
* sums and products count: booleans give int64, as in numpy and PyTorch;
* subtraction, negation, powers, remainders and floor quotients of booleans are errors that
  name the op;
* every other op keeps its input's dtype.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import functional, ops
from tinygrad_edu.functional.activations import ACTIVATIONS as ACTIVATION_TABLE

INPUTS = {
    "int": np.array([[1, 2, 3], [4, 5, 6]]),
    "bool": np.array([[True, False, True], [False, True, True]]),
    "float32": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32),
}

FLOAT_RESULT = {
    "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "div", "mean", "var", "std",
    "logsumexp", "tan", "sinh", "cosh", "arcsin", "arccos", "arctan", "log2", "log10", "log1p",
    "expm1", "logaddexp", "rsqrt", "reciprocal",
}
INDEX_RESULT = {"argsort", "argmax", "argmin"}
TRUTH_RESULT = {"any", "all", "isnan", "isinf", "isfinite", "isclose"}
COUNTING = {"sum", "cumsum", "prod", "cumprod"}
NOT_FOR_BOOLEANS = {"neg", "sub", "power", "remainder", "floor_divide"}
PICK = np.array([[0], [2]])

CALLS = {
    "abs": tg.abs, "add": lambda a: a + a, "clip": lambda a: tg.clip(a, 0, 2), "cos": tg.cos,
    "div": lambda a: a / a, "exp": tg.exp, "log": tg.log, "maximum": lambda a: tg.maximum(a, a),
    "minimum": lambda a: tg.minimum(a, a), "mul": lambda a: a * a, "neg": lambda a: -a,
    "power": lambda a: a ** a, "relu": tg.relu, "sigmoid": tg.sigmoid, "sin": tg.sin,
    "sqrt": tg.sqrt, "sub": lambda a: a - a, "tanh": tg.tanh,
    "where": lambda a: tg.where(a > 1, a, a), "matmul": lambda a: a @ a.T,
    "logsumexp": lambda a: tg.logsumexp(a, 1), "max": tg.max, "mean": tg.mean, "min": tg.min,
    "std": tg.std, "sum": tg.sum, "var": tg.var,
    "broadcast_to": lambda a: tg.broadcast_to(a, (2, 2, 3)),
    "concatenate": lambda a: tg.concatenate([a, a]), "flatten": tg.flatten,
    "getitem": lambda a: a[0], "pad": lambda a: tg.pad(a, 1), "reshape": lambda a: a.reshape(3, 2),
    "squeeze": tg.squeeze, "stack": lambda a: tg.stack([a, a]),
    "swapaxes": lambda a: a.swapaxes(0, 1), "transpose": lambda a: a.T,
    "unsqueeze": lambda a: a.unsqueeze(0), "cumsum": lambda a: a.cumsum(1),
    "cumprod": lambda a: a.cumprod(1), "take_along_axis": lambda a: tg.take_along_axis(a, PICK, 1),
    "gather": lambda a: tg.gather(a, 1, PICK), "einsum": lambda a: tg.einsum("ij->ji", a),
    "sort": tg.sort, "topk": lambda a: tg.topk(a, 2)[0], "prod": tg.prod, "tril": tg.tril,
    "triu": tg.triu, "masked_fill": lambda a: tg.masked_fill(a, np.array([True, False, False]), 0),
    "flip": tg.flip, "roll": lambda a: tg.roll(a, 1), "repeat": lambda a: tg.repeat(a, 2),
    "tile": lambda a: tg.tile(a, 2), "split": lambda a: tg.split(a, 3, axis=1)[0],
    "chunk": lambda a: tg.chunk(a, 2, axis=1)[0], "floor": tg.floor, "ceil": tg.ceil,
    "round": tg.round, "trunc": tg.trunc, "square": tg.square, "rsqrt": tg.rsqrt,
    "reciprocal": tg.reciprocal, "log2": tg.log2, "log10": tg.log10, "log1p": tg.log1p,
    "expm1": tg.expm1, "tan": tg.tan, "sinh": tg.sinh, "cosh": tg.cosh,
    "arcsin": lambda a: tg.arcsin(a * 0), "arccos": lambda a: tg.arccos(a * 0),
    "arctan": tg.arctan, "logaddexp": lambda a: tg.logaddexp(a, a),
    "remainder": lambda a: a % a, "argsort": tg.argsort, "argmax": tg.argmax,
    "argmin": tg.argmin, "any": tg.any, "all": tg.all, "isnan": tg.isnan, "isinf": tg.isinf,
    "isfinite": tg.isfinite, "isclose": lambda a: tg.isclose(a, a),
    "floor_divide": lambda a: a // a,
}


def test_every_public_op_is_in_the_table():
    assert not set(ops.__all__) - set(CALLS), sorted(set(ops.__all__) - set(CALLS))


def expected_dtype(op: str, kind: str):
    """The dtype the rule gives, or TypeError."""
    given = INPUTS[kind].dtype
    if op in FLOAT_RESULT:
        return np.dtype(np.float32)
    if op in INDEX_RESULT:
        return np.dtype(np.int64)
    if op in TRUTH_RESULT:
        return np.dtype(np.bool_)
    if kind == "bool" and op in COUNTING:
        return np.dtype(np.int64)
    if kind == "bool" and op in NOT_FOR_BOOLEANS:
        return TypeError
    return given


@pytest.mark.parametrize("kind", sorted(INPUTS))
@pytest.mark.parametrize("op", sorted(CALLS))
def test_result_dtype_follows_the_rule(op, kind):
    x = tg.Tensor(INPUTS[kind])
    expected = expected_dtype(op, kind)
    if expected is TypeError:
        with pytest.raises(TypeError, match=rf"(?i){op.replace('_', '')}|{op}"):
            CALLS[op](x)
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        out = CALLS[op](x)
    assert out.dtype == expected, f"{op} of {kind}: {out.dtype}, rule: {expected}"


ACTIVATIONS = [name for name in ACTIVATION_TABLE if name != "linear"]


@pytest.mark.parametrize("kind", sorted(INPUTS))
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_give_float32(name, kind):
    out = functional.get_activation(name)(tg.Tensor(INPUTS[kind]))
    assert out.dtype == np.float32, f"{name} of {kind}: {out.dtype}"
    reference = functional.get_activation(name)(tg.Tensor(INPUTS[kind].astype(np.float32)))
    np.testing.assert_allclose(out.numpy(), reference.numpy())
