"""The operators and op methods of :class:`~tinygrad_edu.tensor.Tensor`.

``a + b``, ``a @ b``, ``a < b``, ``x[i]``, ``x.exp()``, ``x.sum(axis=0)``, ``x.reshape(2, 3)``:
each is a line that hands the arrays to an op. The math and the backward rules live in
:mod:`tinygrad_edu.ops`; :class:`TensorOperators` is the base class of ``Tensor`` that holds
these doors, so that ``tensor.py`` keeps only the class's core (data, grad, graph link,
``backward()``, in-place updates).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TensorOperators", "checked_dtype"]

# Bound by tensor.py once the Tensor class exists: the ops import Tensor, so neither they nor
# the class can be imported here, before it.
Tensor = None
operands = None
_ew = _linalg = _reduce = _shape = None

# numpy binary operators whose Tensor operand is on the right: the Tensor's reflected method
_REFLECTED_UFUNCS = {
    np.add: "__radd__", np.subtract: "__rsub__", np.multiply: "__rmul__",
    np.true_divide: "__rtruediv__", np.power: "__rpow__", np.matmul: "__rmatmul__",
    np.less: "__gt__", np.less_equal: "__ge__", np.greater: "__lt__",
    np.greater_equal: "__le__", np.equal: "__eq__", np.not_equal: "__ne__",
}
# numpy ufunc name -> the Tensor method that computes it, where the names differ
_TENSOR_METHODS = {"absolute": "abs", "negative": "__neg__", "true_divide": "__truediv__"}


def checked_dtype(dtype, who: str) -> np.dtype:
    """``np.dtype(dtype)``, with an error that names the function for an unknown name."""
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{who}: unknown dtype {dtype!r}; use e.g. 'float32', 'float64', "
                        "'int64' or 'bool'") from None


class TensorOperators:
    """Base class of :class:`~tinygrad_edu.tensor.Tensor`: its operators and op methods.

    >>> from tinygrad_edu import Tensor
    >>> (2 - Tensor([1.0, 5.0])).tolist()    # computed as (-t) + 2
    [1.0, -3.0]
    """

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """numpy operators with a Tensor on the right (``array * tensor``) become the
        Tensor's reflected operators, so the result is a Tensor with a graph. Other numpy
        functions would silently drop the graph, so they are refused with the fix."""
        reflected = _REFLECTED_UFUNCS.get(ufunc)
        if (reflected and method == "__call__" and not kwargs and len(inputs) == 2
                and inputs[1] is self and not isinstance(inputs[0], Tensor)):
            return getattr(self, reflected)(inputs[0])
        name = ufunc.__name__
        method_name = _TENSOR_METHODS.get(name, name)
        instead = (f"tensor.{method_name}()" if hasattr(TensorOperators, method_name)
                   else "the tinygrad_edu op of the same name")
        others = ", ..." if ufunc.nin > 1 else ""
        raise TypeError(
            f"np.{name} cannot take a Tensor: numpy functions do not record the graph, so no "
            f"gradient would flow. Use {instead} to stay differentiable, or np.{name}"
            f"(tensor.numpy(){others}) for a plain numpy result."
        )

    # ----- arithmetic operators ----------------------------------------------------------
    def __add__(self, other):
        if type(other) is not Tensor or other.data.dtype is not self.data.dtype:
            self, other = operands(self, other)
        return _ew.Add.apply(self, other)

    def __radd__(self, other):
        return _ew.Add.apply(*operands(other, self))

    def __sub__(self, other):
        if type(other) is not Tensor or other.data.dtype is not self.data.dtype:
            self, other = operands(self, other)
        return _ew.Sub.apply(self, other)

    def __rsub__(self, other):
        # 2 - t is computed as (-t) + 2: one rule fewer, the same result
        return _ew.Add.apply(*operands(_ew.Neg.apply(self), other))

    def __mul__(self, other):
        if type(other) is not Tensor or other.data.dtype is not self.data.dtype:
            self, other = operands(self, other)
        return _ew.Mul.apply(self, other)

    def __rmul__(self, other):
        return _ew.Mul.apply(*operands(other, self))

    def __truediv__(self, other):
        if type(other) is not Tensor or other.data.dtype is not self.data.dtype:
            self, other = operands(self, other)
        return _ew.Div.apply(self, other)

    def __rtruediv__(self, other):
        return _ew.Div.apply(*operands(other, self))

    def __neg__(self):
        return _ew.Neg.apply(self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        return _ew.power(self, exponent)

    def __rpow__(self, base):
        return _ew.power(base, self)

    def __matmul__(self, other):
        if (type(other) is Tensor and other.data.dtype is self.data.dtype
                and self.data.ndim >= 2 and other.data.ndim >= 2):
            return _linalg.MatMul.apply(self, other)
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(other, self)

    # ----- comparisons: boolean tensors, outside the graph ---------------------------------
    def _compare(self, other, ufunc):
        a, b = operands(self, other)
        return Tensor._wrap(ufunc(a.data, b.data))

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    # ----- indexing ------------------------------------------------------------------------
    def __getitem__(self, index):
        return _shape.getitem(self, index)

    # ----- ops as methods (the math and the backward rules live in tinygrad_edu/ops) -------
    def exp(self):
        return _ew.Exp.apply(self)

    def log(self):
        return _ew.Log.apply(self)

    def sqrt(self):
        return _ew.Sqrt.apply(self)

    def abs(self):
        return _ew.Abs.apply(self)

    def __abs__(self):
        return _ew.Abs.apply(self)

    def sin(self):
        return _ew.Sin.apply(self)

    def cos(self):
        return _ew.Cos.apply(self)

    def tanh(self):
        return _ew.Tanh.apply(self)

    def sigmoid(self):
        return _ew.Sigmoid.apply(self)

    def relu(self):
        return _ew.Relu.apply(self)

    def maximum(self, other):
        return _ew.maximum(self, other)

    def minimum(self, other):
        return _ew.minimum(self, other)

    def clip(self, low=None, high=None):
        return _ew.clip(self, low, high)

    def sum(self, axis=None, keepdims=False):
        return _reduce.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return _reduce.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _reduce.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _reduce.min(self, axis, keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        return _reduce.var(self, axis, keepdims, ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        return _reduce.std(self, axis, keepdims, ddof)

    def logsumexp(self, axis=None, keepdims=False):
        return _reduce.logsumexp(self, axis, keepdims)

    def reshape(self, *shape):
        return _shape.reshape(self, *shape)

    def transpose(self, *axes):
        return _shape.transpose(self, *axes)

    def permute(self, *axes):
        return _shape.transpose(self, *axes)

    def swapaxes(self, axis1, axis2):
        return _shape.swapaxes(self, axis1, axis2)

    def broadcast_to(self, shape):
        return _shape.broadcast_to(self, shape)

    def squeeze(self, axis=None):
        return _shape.squeeze(self, axis)

    def unsqueeze(self, axis):
        return _shape.unsqueeze(self, axis)

    def flatten(self, start_axis=0):
        return _shape.flatten(self, start_axis)

    def astype(self, dtype) -> Tensor:
        """A copy converted to ``dtype``; differentiable between floating dtypes."""
        dtype = checked_dtype(dtype, "astype")
        if dtype == self.data.dtype:
            return self
        if self._requires_grad and dtype.kind != "f":
            return Tensor._wrap(self.data.astype(dtype))  # leaves the graph: not differentiable
        return _ew.Cast.apply(self, dtype=dtype)

    def float(self) -> Tensor:
        """As float32."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """As float64 (what gradient checks use)."""
        return self.astype(np.float64)

    # ----- not differentiable: results leave the graph ------------------------------------
    def sign(self) -> Tensor:
        return Tensor._wrap(np.sign(self.data))


# ----- more ops as methods and operators --------------------------------------------------
# ``t.cumsum(axis=0)`` is ``ops.cumsum(t, axis=0)``: these functional forms take the tensor
# first, so each is bound as it is (its docstring included).
OP_METHODS = (
    "cumsum", "cumprod", "take_along_axis", "gather", "sort", "argsort", "topk", "prod",
    "tril", "triu", "masked_fill", "flip", "roll", "repeat", "tile", "split", "chunk",
    "argmax", "argmin", "any", "all", "isnan", "isinf", "isfinite", "isclose", "floor", "ceil",
    "round", "trunc", "square", "rsqrt", "reciprocal", "log2", "log10", "log1p", "expm1", "tan",
    "sinh", "cosh", "arcsin", "arccos", "arctan", "logaddexp", "remainder", "floor_divide",
)


def _reflected(fn):
    def reflected(self, other):
        return fn(other, self)

    reflected.__doc__ = f"other {fn.__name__} self"
    return reflected


def bind_op_methods(ops) -> None:
    """Make the ops in :data:`OP_METHODS` methods, and ``%``, ``//``, ``round()`` operators
    (called by tensor.py once the ops exist)."""
    for name in OP_METHODS:
        setattr(TensorOperators, name, getattr(ops, name))
    TensorOperators.__round__ = ops.round
    TensorOperators.__mod__ = ops.remainder
    TensorOperators.__rmod__ = _reflected(ops.remainder)
    TensorOperators.__floordiv__ = ops.floor_divide
    TensorOperators.__rfloordiv__ = _reflected(ops.floor_divide)
