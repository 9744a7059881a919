"""The table of op cases: one row per (op, situation) to check against finite differences.

Every public differentiable op has at least one row; the test suite and
``tinygrad-edu gradcheck`` run each row through :func:`~tinygrad_edu.gradcheck.gradcheck`
(first derivatives) and :func:`~tinygrad_edu.gradcheck.gradgradcheck` (second derivatives).
A meta-test fails when an op, or a graph node type, is exercised by no row.

Rows cover broadcasting ((1,) -> (3, 4), 0-d), repeated indices, masks and extreme inputs.
Inputs are sampled away from kinks (|x| near 0 for relu/abs, ties for max) where the
derivative is not defined and finite differences would straddle it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import functional, losses
from tinygrad_edu.ops import conv as conv_ops
from tinygrad_edu.tensor import Tensor


@dataclass(frozen=True)
class OpCase:
    """One row of the table.

    Attributes:
        name: unique id, ``"<op>/<situation>"``.
        op: the public op this row checks (as named in ``tinygrad_edu.ops.__all__`` or
            ``tinygrad_edu.functional``).
        fn: function of the input Tensors returning a Tensor.
        shapes: the shape of each input.
        domain: inputs are drawn uniformly from this interval...
        away_from_zero: ...with |x| >= this, when set (kinks at 0).
        make_inputs: custom input arrays ``rng -> list`` (overrides shapes/domain).
        differentiable: which inputs require grad (default: all floating inputs).
        order: highest derivative order checked (1 for ops not twice differentiable, 0 for
            ops without a gradient: indices and truth values, checked by value only).
        tolerances: keyword overrides for gradcheck (eps, atol, rtol).
    """

    name: str
    op: str
    fn: Callable
    shapes: tuple = ()
    domain: tuple = (-2.0, 2.0)
    away_from_zero: float = 0.0
    make_inputs: Callable | None = None
    differentiable: tuple | None = None
    order: int = 2
    tolerances: dict = field(default_factory=dict)

    def inputs(self, seed: int = 0) -> list:
        """Fresh float64 input tensors for this row."""
        rng = np.random.default_rng(seed)
        if self.make_inputs is not None:
            arrays = self.make_inputs(rng)
        else:
            arrays = []
            for shape in self.shapes:
                values = rng.uniform(*self.domain, size=shape)
                if self.away_from_zero:
                    magnitude = np.maximum(np.abs(values), self.away_from_zero)
                    values = np.where(values < 0, -magnitude, magnitude)
                arrays.append(values)
        tensors = []
        for index, array in enumerate(arrays):
            array = np.asarray(array)
            floating = array.dtype.kind == "f"
            wants_grad = floating and (self.differentiable is None or index in self.differentiable)
            dtype = np.float64 if floating else None
            tensors.append(Tensor(array, requires_grad=wants_grad, dtype=dtype))
        return tensors


def _distinct(shape, low=-2.0, high=2.0):
    """Values with no ties (max/min/sort need distinct entries)."""
    def make(rng):
        count = int(np.prod(shape))
        values = np.linspace(low, high, count)
        return [rng.permutation(values).reshape(shape)]
    return make


CASES: list[OpCase] = [
    # ---- elementwise binary, with broadcasting -------------------------------------------
    OpCase("add/same", "add", lambda a, b: a + b, ((3, 4), (3, 4))),
    OpCase("add/broadcast-(1,)", "add", lambda a, b: a + b, ((3, 4), (1,))),
    OpCase("add/broadcast-0d", "add", lambda a, b: a + b, ((3, 4), ())),
    OpCase("add/broadcast-both", "add", lambda a, b: tg.add(a, b), ((2, 1, 4), (3, 1))),
    OpCase("add/reflected", "add", lambda a: 2.0 + a, ((3,),)),
    OpCase("sub/broadcast", "sub", lambda a, b: a - b, ((3, 4), (4,))),
    OpCase("sub/reflected", "sub", lambda a: 2.0 - a, ((3,),)),
    OpCase("sub/functional", "sub", lambda a, b: tg.sub(a, b), ((2, 3), (2, 1))),
    OpCase("mul/broadcast", "mul", lambda a, b: a * b, ((3, 4), (3, 1))),
    OpCase("mul/reflected", "mul", lambda a: 3.0 * a, ((3,),)),
    OpCase("mul/same-tensor", "mul", lambda a: tg.mul(a, a), ((4,),)),
    OpCase("div/broadcast", "div", lambda a, b: a / b, ((3, 4), (4,)), away_from_zero=0.5),
    OpCase("div/reflected", "div", lambda a: 2.0 / a, ((3,),), away_from_zero=0.5),
    OpCase("div/functional", "div", lambda a, b: tg.div(a, b), ((3,), (3,)), away_from_zero=0.5),
    OpCase("neg/basic", "neg", lambda a: -a, ((3, 2),)),
    OpCase("neg/functional", "neg", lambda a: tg.neg(a), ((3,),)),
    OpCase("power/tensor-exponent", "power", lambda a, b: a ** b, ((3, 4), (3, 4)),
           domain=(0.5, 2.0)),
    OpCase("power/scalar-exponent", "power", lambda a: a ** 3, ((3, 4),)),
    OpCase("power/fractional", "power", lambda a: a ** 2.5, ((4,),), domain=(0.5, 2.0)),
    OpCase("power/reflected", "power", lambda a: 2.0 ** a, ((4,),)),
    OpCase("power/broadcast-exponent", "power", lambda a, b: tg.power(a, b), ((2, 3), (1,)),
           domain=(0.5, 2.0)),
    OpCase("maximum/broadcast", "maximum", lambda a, b: tg.maximum(a, b), ((3, 4), (4,))),
    OpCase("minimum/broadcast", "minimum", lambda a, b: tg.minimum(a, b), ((3, 4), (3, 1))),
    OpCase("where/mask", "where", lambda c, a, b: tg.where(c, a, b),
           make_inputs=lambda rng: [rng.random((3, 4)) > 0.5, rng.normal(size=(3, 4)),
                                    rng.normal(size=(4,))]),
    # ---- elementwise unary ---------------------------------------------------------------
    OpCase("exp/basic", "exp", lambda a: a.exp(), ((3, 4),)),
    OpCase("exp/functional", "exp", lambda a: tg.exp(a), ((2,),)),
    OpCase("log/basic", "log", lambda a: a.log(), ((3, 4),), domain=(0.2, 3.0)),
    OpCase("log/functional", "log", lambda a: tg.log(a), ((2,),), domain=(0.2, 3.0)),
    OpCase("sqrt/basic", "sqrt", lambda a: a.sqrt(), ((3, 4),), domain=(0.2, 3.0)),
    OpCase("sqrt/functional", "sqrt", lambda a: tg.sqrt(a), ((2,),), domain=(0.2, 3.0)),
    OpCase("abs/basic", "abs", lambda a: abs(a), ((3, 4),), away_from_zero=0.1),
    OpCase("abs/functional", "abs", lambda a: tg.abs(a), ((4,),), away_from_zero=0.1),
    OpCase("sin/basic", "sin", lambda a: tg.sin(a), ((3, 4),)),
    OpCase("cos/basic", "cos", lambda a: tg.cos(a), ((3, 4),)),
    OpCase("tanh/basic", "tanh", lambda a: tg.tanh(a), ((3, 4),)),
    OpCase("tanh/saturated", "tanh", lambda a: a.tanh(), ((4,),), domain=(-8.0, 8.0)),
    OpCase("sigmoid/basic", "sigmoid", lambda a: tg.sigmoid(a), ((3, 4),)),
    OpCase("sigmoid/extreme", "sigmoid", lambda a: a.sigmoid(), ((6,),), domain=(-30.0, 30.0)),
    OpCase("relu/basic", "relu", lambda a: tg.relu(a), ((3, 4),), away_from_zero=0.1),
    OpCase("clip/both", "clip", lambda a: tg.clip(a, -1.0, 1.0),
           make_inputs=lambda rng: [np.array([-1.7, -0.5, 0.2, 0.9, 1.5, 1.9])]),
    OpCase("clip/low-only", "clip", lambda a: a.clip(low=0.0), ((5,),), away_from_zero=0.1),
    # ---- reductions ----------------------------------------------------------------------
    OpCase("sum/all", "sum", lambda a: a.sum(), ((3, 4),)),
    OpCase("sum/axis-keepdims", "sum", lambda a: tg.sum(a, axis=1, keepdims=True), ((3, 4),)),
    OpCase("sum/tuple-axis", "sum", lambda a: a.sum(axis=(0, 2)), ((2, 3, 4),)),
    OpCase("mean/axis", "mean", lambda a: tg.mean(a, axis=0), ((3, 4),)),
    OpCase("mean/all", "mean", lambda a: a.mean(), ((3, 4),)),
    OpCase("max/axis", "max", lambda a: tg.max(a, axis=1), make_inputs=_distinct((3, 4))),
    OpCase("max/all", "max", lambda a: a.max(), make_inputs=_distinct((3, 4))),
    OpCase("min/axis-keepdims", "min", lambda a: tg.min(a, axis=0, keepdims=True),
           make_inputs=_distinct((3, 4))),
    OpCase("var/axis", "var", lambda a: tg.var(a, axis=1), ((3, 5),)),
    OpCase("var/ddof1", "var", lambda a: a.var(ddof=1), ((6,),)),
    OpCase("std/axis", "std", lambda a: tg.std(a, axis=0), ((4, 3),)),
    OpCase("logsumexp/axis", "logsumexp", lambda a: tg.logsumexp(a, axis=1), ((3, 4),)),
    OpCase("logsumexp/extreme", "logsumexp", lambda a: a.logsumexp(axis=-1, keepdims=True),
           ((2, 3),), domain=(-500.0, 500.0)),
    # ---- linear algebra ------------------------------------------------------------------
    OpCase("matmul/matrix", "matmul", lambda a, b: a @ b, ((3, 4), (4, 5))),
    OpCase("matmul/batched-broadcast", "matmul", lambda a, b: tg.matmul(a, b),
           ((2, 3, 4), (4, 2))),
    OpCase("matmul/vector-left", "matmul", lambda a, b: a @ b, ((4,), (4, 3))),
    OpCase("matmul/vector-right", "matmul", lambda a, b: a @ b, ((3, 4), (4,))),
    OpCase("matmul/dot", "matmul", lambda a, b: a @ b, ((4,), (4,))),
    # ---- shape ---------------------------------------------------------------------------
    OpCase("reshape/basic", "reshape", lambda a: tg.reshape(a, (4, 3)) * 1.5, ((3, 4),)),
    OpCase("transpose/2d", "transpose", lambda a: a.T, ((3, 4),)),
    OpCase("transpose/permute", "transpose", lambda a: tg.transpose(a, (2, 0, 1)), ((2, 3, 4),)),
    OpCase("swapaxes/basic", "swapaxes", lambda a: tg.swapaxes(a, 0, 2), ((2, 3, 4),)),
    OpCase("broadcast_to/basic", "broadcast_to", lambda a: tg.broadcast_to(a, (3, 4)), ((1, 4),)),
    OpCase("squeeze/basic", "squeeze", lambda a: tg.squeeze(a, 1), ((3, 1, 2),)),
    OpCase("unsqueeze/basic", "unsqueeze", lambda a: tg.unsqueeze(a, 0), ((3, 2),)),
    OpCase("flatten/keep-batch", "flatten", lambda a: tg.flatten(a, 1), ((2, 3, 2),)),
    OpCase("getitem/slice", "getitem", lambda a: a[1:3, ::2], ((4, 5),)),
    OpCase("getitem/int-repeated", "getitem", lambda a: tg.getitem(a, [0, 2, 0, 0]), ((3, 2),)),
    OpCase("getitem/bool-mask", "getitem", lambda a, m: a[m],
           make_inputs=lambda rng: [rng.normal(size=(3, 4)), rng.random((3, 4)) > 0.4]),
    OpCase("getitem/int-and-slice", "getitem", lambda a: a[np.array([1, 1]), 1:], ((3, 3),)),
    OpCase("concatenate/axis1", "concatenate", lambda a, b: tg.concatenate([a, b], axis=1),
           ((2, 3), (2, 2))),
    OpCase("stack/axis0", "stack", lambda a, b: tg.stack([a, b]), ((2, 3), (2, 3))),
    OpCase("pad/2d", "pad", lambda a: tg.pad(a, ((1, 0), (2, 1)), value=0.5), ((2, 3),)),
    OpCase("astype/float32-roundtrip", "astype", lambda a: a.astype(np.float32) * 2.0, ((3,),),
           tolerances={"eps": 1e-2, "atol": 1e-4, "rtol": 1e-3}),
    # ---- compositions that exercise several rules at once --------------------------------
    OpCase("composite/mlp-layer", "matmul",
           lambda x, w, b: (x @ w + b).tanh().sum(axis=1), ((4, 3), (3, 5), (5,))),
    # ---- functional, losses and conv (rows for tinygrad_edu.functional / losses / ops.conv) -
    # activations (kinks at 0 avoided where the first or second derivative jumps)
    OpCase("sigmoid/functional", "sigmoid", lambda a: functional.sigmoid(a), ((3, 4),)),
    OpCase("tanh/functional", "tanh", lambda a: functional.tanh(a), ((3, 4),)),
    OpCase("relu/functional", "relu", lambda a: functional.relu(a), ((3, 4),),
           away_from_zero=0.1),
    OpCase("relu/keras-options", "relu",
           lambda a: functional.relu(a, negative_slope=0.1, max_value=1.5, threshold=0.5),
           make_inputs=lambda rng: [np.array([-1.2, -0.3, 0.2, 0.9, 1.3, 1.8, 2.4])]),
    OpCase("relu6/basic", "relu6", lambda a: functional.relu6(a),
           make_inputs=lambda rng: [np.array([-1.0, 0.5, 3.0, 5.5, 7.0])]),
    OpCase("leaky_relu/default-slope", "leaky_relu", lambda a: functional.leaky_relu(a),
           ((3, 4),), away_from_zero=0.1),
    OpCase("elu/basic", "elu", lambda a: functional.elu(a, alpha=1.5), ((3, 4),),
           away_from_zero=0.1),
    OpCase("elu/large-positive", "elu", lambda a: functional.elu(a),
           make_inputs=lambda rng: [np.array([-30.0, -1.0, 5.0, 700.0])]),
    OpCase("selu/basic", "selu", lambda a: functional.selu(a), ((3, 4),), away_from_zero=0.1),
    OpCase("silu/basic", "silu", lambda a: functional.silu(a), ((3, 4),)),
    OpCase("swish/basic", "swish", lambda a: functional.swish(a), ((4,),)),
    OpCase("gelu/exact", "gelu", lambda a: functional.gelu(a), ((3, 4),), domain=(-3.0, 3.0)),
    OpCase("gelu/tanh-approximation", "gelu", lambda a: functional.gelu(a, approximate=True),
           ((3, 4),), domain=(-3.0, 3.0)),
    OpCase("erf/basic", "erf", lambda a: functional.erf(a), ((3, 4),)),
    OpCase("softplus/basic", "softplus", lambda a: functional.softplus(a), ((3, 4),),
           domain=(-5.0, 5.0)),
    OpCase("softplus/extreme", "softplus", lambda a: functional.softplus(a),
           make_inputs=lambda rng: [np.array([-800.0, -40.0, 40.0, 800.0])]),
    OpCase("softsign/basic", "softsign", lambda a: functional.softsign(a), ((3, 4),),
           away_from_zero=0.1),
    OpCase("hard_sigmoid/basic", "hard_sigmoid", lambda a: functional.hard_sigmoid(a),
           make_inputs=lambda rng: [np.array([-4.0, -2.5, -0.5, 0.7, 2.9, 3.5])]),
    OpCase("hard_silu/basic", "hard_silu", lambda a: functional.hard_silu(a),
           make_inputs=lambda rng: [np.array([-4.0, -2.5, -0.5, 0.7, 2.9, 3.5])]),
    OpCase("hard_swish/basic", "hard_swish", lambda a: functional.hard_swish(a), ((4,),)),
    OpCase("mish/basic", "mish", lambda a: functional.mish(a), ((3, 4),), domain=(-4.0, 4.0)),
    OpCase("exponential/basic", "exponential", lambda a: functional.exponential(a), ((3, 4),)),
    OpCase("linear/basic", "linear", lambda a: functional.linear(a) * 2.0, ((3,),)),
    OpCase("log_sigmoid/basic", "log_sigmoid", lambda a: functional.log_sigmoid(a), ((3, 4),),
           domain=(-6.0, 6.0)),
    OpCase("get_activation/by-name", "get_activation",
           lambda a: functional.get_activation("elu")(a), ((3, 4),), away_from_zero=0.1),
    OpCase("softmax/last-axis", "softmax", lambda a: functional.softmax(a), ((3, 4),)),
    OpCase("softmax/axis0", "softmax", lambda a: functional.softmax(a, axis=0), ((3, 4),)),
    OpCase("softmax/extreme", "softmax", lambda a: functional.softmax(a),
           make_inputs=lambda rng: [np.array([[1000.0, 999.0, -1000.0], [-5.0, -4.0, -6.0]])]),
    OpCase("log_softmax/last-axis", "log_softmax", lambda a: functional.log_softmax(a),
           ((3, 4),)),
    OpCase("log_softmax/extreme", "log_softmax", lambda a: functional.log_softmax(a, axis=1),
           make_inputs=lambda rng: [np.array([[1000.0, 999.0, -1000.0], [-5.0, -4.0, -6.0]])]),
    OpCase("dropout/seeded-mask", "dropout",
           lambda a: functional.dropout(a, 0.4, training=True, seed=3), ((4, 5),)),
    # normalizations (per-channel gamma and beta as extra inputs)
    OpCase("moments/axes", "moments",
           lambda a: tg.stack(functional.moments(a, axis=(0, 2))), ((3, 2, 4),)),
    OpCase("batch_norm/batch-statistics", "batch_norm",
           lambda x, g, b: functional.batch_norm(x, g, b), ((4, 3), (3,), (3,))),
    OpCase("batch_norm/nhwc", "batch_norm",
           lambda x, g, b: functional.batch_norm(x, g, b, epsilon=1e-3),
           ((2, 3, 3, 2), (2,), (2,))),
    OpCase("batch_norm/given-statistics", "batch_norm",
           lambda x, m, v, g: functional.batch_norm(x, g, None, mean=m, variance=v),
           make_inputs=lambda rng: [rng.normal(size=(4, 3)), rng.normal(size=3),
                                    rng.uniform(0.5, 2.0, size=3), rng.normal(size=3)]),
    OpCase("layer_norm/last-axis", "layer_norm",
           lambda x, g, b: functional.layer_norm(x, g, b), ((3, 5), (5,), (5,))),
    OpCase("layer_norm/two-axes", "layer_norm",
           lambda x: functional.layer_norm(x, axis=(1, 2)), ((2, 3, 4),)),
    OpCase("instance_norm/nhwc", "instance_norm",
           lambda x, g, b: functional.instance_norm(x, g, b), ((2, 3, 3, 2), (2,), (2,))),
    OpCase("group_norm/nhwc", "group_norm",
           lambda x, g, b: functional.group_norm(x, 2, g, b), ((2, 2, 3, 4), (4,), (4,))),
    # fused cross-entropies: first and second derivatives, also at extreme logits
    OpCase("softmax_cross_entropy/probability-targets", "softmax_cross_entropy",
           lambda z, y: functional.softmax_cross_entropy(z, y),
           make_inputs=lambda rng: [rng.normal(size=(3, 4)) * 2,
                                    rng.dirichlet(np.ones(4), size=3)]),
    OpCase("softmax_cross_entropy/extreme-logits", "softmax_cross_entropy",
           lambda z: functional.softmax_cross_entropy(z, np.eye(3)[[1, 0]]),
           make_inputs=lambda rng: [np.array([[1000.0, -1000.0, 0.5], [-1000.0, 1000.0, 3.0]])]),
    OpCase("softmax_cross_entropy/axis0", "softmax_cross_entropy",
           lambda z, y: functional.softmax_cross_entropy(z, y, axis=0),
           make_inputs=lambda rng: [rng.normal(size=(4, 2)), rng.dirichlet(np.ones(4), 2).T]),
    OpCase("sparse_softmax_cross_entropy/labels", "sparse_softmax_cross_entropy",
           lambda z, labels: functional.sparse_softmax_cross_entropy(z, labels),
           make_inputs=lambda rng: [rng.normal(size=(4, 3)) * 2, np.array([0, 2, 1, 2])]),
    OpCase("sparse_softmax_cross_entropy/extreme-logits", "sparse_softmax_cross_entropy",
           lambda z: functional.sparse_softmax_cross_entropy(z, np.array([[2], [0]])),
           make_inputs=lambda rng: [np.array([[1000.0, -1000.0, 0.0], [-1000.0, 999.0, 0.0]])]),
    OpCase("sigmoid_binary_cross_entropy/soft-targets", "sigmoid_binary_cross_entropy",
           lambda z, y: functional.sigmoid_binary_cross_entropy(z, y),
           make_inputs=lambda rng: [rng.normal(size=(3, 4)) * 3, rng.random((3, 4))]),
    OpCase("sigmoid_binary_cross_entropy/extreme-logits", "sigmoid_binary_cross_entropy",
           lambda z: functional.sigmoid_binary_cross_entropy(z, np.array([1.0, 0.0, 1.0, 0.0])),
           make_inputs=lambda rng: [np.array([1000.0, -1000.0, -1000.0, 1000.0])]),
    # convolution (Convolution; ConvInputGrad and ConvKernelGrad in its backward passes) and
    # pooling (MaxPool with MaxPoolScatter/MaxPoolGather, AvgPool with AvgPoolScatter)
    OpCase("conv2d/valid", "conv2d", lambda x, k, b: conv_ops.conv2d(x, k, b),
           ((2, 4, 5, 2), (3, 2, 2, 3), (3,))),
    OpCase("conv2d/same-strided", "conv2d",
           lambda x, k: conv_ops.conv2d(x, k, strides=2, padding="same"),
           ((2, 5, 4, 2), (3, 3, 2, 2))),
    OpCase("conv2d/dilated", "conv2d",
           lambda x, k: conv_ops.conv2d(x, k, padding="same", dilation_rate=2),
           ((1, 5, 5, 1), (2, 2, 1, 2))),
    OpCase("conv2d/one-channel-strided", "conv2d",  # one input channel: tap-by-tap copy
           lambda x, k, b: conv_ops.conv2d(x, k, b, strides=(2, 1)),
           ((2, 5, 4, 1), (2, 2, 1, 3), (3,))),
    OpCase("conv2d_relu/valid", "conv2d_relu", lambda x, k, b: conv_ops.conv2d_relu(x, k, b),
           ((2, 4, 5, 2), (3, 2, 2, 3), (3,))),
    OpCase("conv2d_relu/one-channel-same-strided", "conv2d_relu",
           lambda x, k: conv_ops.conv2d_relu(x, k, strides=2, padding="same"),
           ((2, 5, 4, 1), (3, 3, 1, 2))),
    OpCase("max_pool2d/valid", "max_pool2d", lambda x: conv_ops.max_pool2d(x, 2),
           make_inputs=_distinct((2, 4, 5, 2))),
    OpCase("max_pool2d/valid-overlapping-uncovered", "max_pool2d",  # last row/column unread
           lambda x: conv_ops.max_pool2d(x, (3, 2), strides=(2, 1)),
           make_inputs=_distinct((1, 6, 4, 2))),
    OpCase("max_pool2d/same-overlapping", "max_pool2d",
           lambda x: conv_ops.max_pool2d(x, 3, strides=2, padding="same"),
           make_inputs=_distinct((1, 5, 4, 2))),
    OpCase("avg_pool2d/valid", "avg_pool2d", lambda x: conv_ops.avg_pool2d(x, (2, 3)),
           ((2, 4, 6, 2),)),
    OpCase("avg_pool2d/same-overlapping", "avg_pool2d",
           lambda x: conv_ops.avg_pool2d(x, 3, strides=2, padding="same"), ((1, 5, 4, 2),)),
    # losses (compositions; rows make the CLI's gradient check cover them)
    OpCase("mean_squared_error/basic", "mean_squared_error",
           lambda y, p: losses.mean_squared_error(y, p), ((3, 4), (3, 4))),
    OpCase("mean_absolute_error/basic", "mean_absolute_error",
           lambda p: losses.mean_absolute_error(np.zeros((3, 4)), p), ((3, 4),),
           away_from_zero=0.1),
    OpCase("mean_absolute_percentage_error/basic", "mean_absolute_percentage_error",
           lambda p: losses.mean_absolute_percentage_error(np.full((2, 3), 0.5), p),
           ((2, 3),), domain=(1.0, 2.0)),
    OpCase("mean_squared_logarithmic_error/basic", "mean_squared_logarithmic_error",
           lambda y, p: losses.mean_squared_logarithmic_error(y, p), ((2, 3), (2, 3)),
           domain=(0.1, 3.0)),
    OpCase("binary_crossentropy/probabilities", "binary_crossentropy",
           lambda p: losses.binary_crossentropy(np.array([[1.0, 0.0, 1.0]] * 2), p),
           ((2, 3),), domain=(0.05, 0.95)),
    OpCase("categorical_crossentropy/probabilities", "categorical_crossentropy",
           lambda p: losses.categorical_crossentropy(np.eye(3)[[0, 2]], p),
           ((2, 3),), domain=(0.1, 1.0)),
    OpCase("categorical_crossentropy/after-softmax", "categorical_crossentropy",
           lambda z: losses.categorical_crossentropy(np.eye(4)[[0, 2, 3]],
                                                     functional.softmax(z)), ((3, 4),)),
    OpCase("sparse_categorical_crossentropy/probabilities", "sparse_categorical_crossentropy",
           lambda p: losses.sparse_categorical_crossentropy(np.array([1, 0]), p),
           ((2, 3),), domain=(0.1, 1.0)),
    OpCase("huber/both-regions", "huber", lambda p: losses.huber(np.zeros((2, 4)), p),
           make_inputs=lambda rng: [np.array([[-2.0, -0.5, 0.3, 1.7], [0.8, -1.4, 2.5, 0.1]])]),
    OpCase("hinge/basic", "hinge", lambda p: losses.hinge(np.array([[1.0, -1.0, 1.0]]), p),
           make_inputs=lambda rng: [np.array([[0.4, 0.2, 1.6]])]),
    OpCase("kl_divergence/basic", "kl_divergence", lambda y, p: losses.kl_divergence(y, p),
           ((2, 3), (2, 3)), domain=(0.1, 0.9)),
    OpCase("log_cosh/basic", "log_cosh", lambda y, p: losses.log_cosh(y, p),
           ((2, 3), (2, 3)), domain=(-3.0, 3.0)),
]


from tinygrad_edu.op_cases_extended import EXTENDED_CASES  # noqa: E402 - needs OpCase above

CASES += EXTENDED_CASES

from tinygrad_edu.op_cases_conv import CONV_FAMILY_CASES  # noqa: E402 - needs OpCase above

CASES += CONV_FAMILY_CASES


def find(op_or_name: str) -> list[OpCase]:
    """The rows whose ``op`` or ``name`` equals ``op_or_name``."""
    return [c for c in CASES if op_or_name in (c.op, c.name)]


def covered_ops() -> set[str]:
    return {c.op for c in CASES}


# ---- recurrent cells: one time step of SimpleRNN, LSTM and GRU (tinygrad_edu.functional) ----
# Inputs: x_proj (batch, gates * units), h_prev (and c_prev) (batch, units), the recurrent
# kernel (units, gates * units) and the GRU's recurrent bias (gates * units,). Two-output
# cells are checked on (h_t, c_t) joined, so both outputs get a random upstream gradient.
CASES += [
    OpCase("simple_rnn_cell/tanh", "simple_rnn_cell",
           lambda x, h, u: functional.simple_rnn_cell(x, h, u), ((3, 4), (3, 4), (4, 4))),
    OpCase("simple_rnn_cell/recurrent-mask", "simple_rnn_cell",
           lambda x, h, u, m: functional.simple_rnn_cell(x, h, u, recurrent_mask=m),
           make_inputs=lambda rng: [rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (2, 3)),
                                    rng.uniform(-2, 2, (3, 3)), np.array([[2.0, 0.0, 2.0]])],
           differentiable=(0, 1, 2)),
    OpCase("lstm_cell/h-and-c", "lstm_cell",
           lambda x, h, c, u: tg.concatenate(list(functional.lstm_cell(x, h, c, u)), axis=1),
           ((2, 12), (2, 3), (2, 3), (3, 12))),
    OpCase("lstm_cell/gate-blocks", "lstm_cell",
           lambda x, h, c, u: tg.concatenate(list(functional.lstm_cell(
               functional.split_gates(x, 4), h, c, functional.split_gates(u, 4))), axis=1),
           ((2, 8), (2, 2), (2, 2), (2, 8))),
    OpCase("gru_cell/reset-after", "gru_cell",
           lambda x, h, u, b: functional.gru_cell(x, h, u, b), ((2, 9), (2, 3), (3, 9), (9,))),
    OpCase("gru_cell/reset-before", "gru_cell",
           lambda x, h, u: functional.gru_cell(x, h, u, reset_after=False),
           ((2, 9), (2, 3), (3, 9))),
    OpCase("split_gates/three-blocks", "split_gates",
           lambda z: tg.concatenate(functional.split_gates(z, 3)[::-1], axis=1), ((2, 6),)),
]
