"""The Tensor: a numpy array that remembers the op that made it.

A tensor created by an op while recording keeps a link (``grad_fn``) to the graph node of
that op; ``backward()`` walks these links from the output back to the leaves and leaves
dL/d(leaf) in each leaf's ``.grad``.

This file holds the class's core: data and dtype, the graph link, ``backward()``, hooks and
in-place updates, and the dtype rules of mixed operands (:func:`operands`). The operators and
op methods (``a + b``, ``x.exp()``, ``x.sum()``...) are inherited from
:class:`~tinygrad_edu.tensor_operators.TensorOperators`; the engine that ``backward()`` runs is
:mod:`tinygrad_edu.autograd.engine`.

dtype rules: floating data is float32 unless asked otherwise; a Python or numpy scalar in an
expression takes the tensor's dtype (``x * 0.5`` stays float32); an integer or boolean tensor
meeting a float tensor is converted to the float's dtype.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu import tensor_operators
from tinygrad_edu.autograd import engine, function
from tinygrad_edu.autograd.grad_mode import state
from tinygrad_edu.autograd.hooks import RemovableHandle
from tinygrad_edu.tensor_operators import TensorOperators, checked_dtype

__all__ = ["Tensor", "as_tensor", "operands", "bump_versions", "DEFAULT_FLOAT"]

DEFAULT_FLOAT = np.dtype(np.float32)


def _convert(data, dtype) -> np.ndarray:
    """Turn user data into an ndarray: float32 unless ``dtype`` says otherwise."""
    if isinstance(data, Tensor):
        data = data.data
    try:
        array = (np.array(data) if dtype is None
                 else np.array(data, dtype=checked_dtype(dtype, "Tensor")))
    except ValueError as error:  # numpy >= 1.24 refuses ragged nested lists outright
        if "inhomogeneous" not in str(error) and "sequence" not in str(error):
            raise ValueError(f"Tensor: cannot convert the data to {dtype}: {error}") from None
        raise ValueError(
            "Tensor: the nested lists are ragged (rows of different lengths); every row needs "
            "the same length: pad or crop them first, e.g. with numpy"
        ) from None
    if dtype is not None:
        return array
    kind = array.dtype.kind
    if kind == "f":
        return array.astype(DEFAULT_FLOAT, copy=False)
    if kind in "biu":
        return array
    if kind == "O" or kind in "USV":
        raise TypeError(
            f"Tensor: cannot make a numeric tensor from {type(data).__name__} data of dtype "
            f"{array.dtype}; give numbers, nested lists of numbers or a numeric numpy array "
            "(ragged lists are not allowed: every row needs the same length)"
        )
    raise TypeError(f"Tensor: unsupported dtype {array.dtype} (use float, int or bool data)")


class Tensor(TensorOperators):
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: a scalar, (nested) list, numpy array or Tensor. The data is copied.
        requires_grad: record ops on this tensor so ``backward()`` fills ``.grad``.
            Only floating tensors can require grad.
        dtype: numpy dtype or name; default float32 for floating data, else the data's own.
        name: a label shown in reprs and graph drawings.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    Tensor([2., 4., 6.], dtype=float32)
    """

    __hash__ = object.__hash__  # identity hash: == builds a boolean tensor

    # Class-level defaults keep the constructor of op results to a single attribute write.
    grad = None
    name = None
    _requires_grad = False
    _ctx = None
    _version = 0
    _hooks = None
    _retains_grad = False

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = _convert(data, dtype)
        self.name = name
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _wrap(array: np.ndarray) -> Tensor:
        """A graph-free tensor around ``array`` (no copy, no checks): the ops' fast path."""
        t = _new(Tensor)
        t.data = array
        return t

    # ----- properties ------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            raise TypeError(
                f"Tensor of dtype {self.data.dtype} cannot require grad: only floating tensors "
                "are differentiable. Convert first, e.g. t.astype('float32')."
            )
        if not value and self._ctx is not None:
            raise ValueError("requires_grad: cannot switch off on a non-leaf; use .detach()")
        self._requires_grad = bool(value)

    def requires_grad_(self, value: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = value
        return self

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        """Axes reversed (the matrix transpose for 2-D)."""
        return self.transpose()

    @property
    def grad_fn(self):
        """The graph node that produced this tensor (None for leaves)."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    # ----- conversions -----------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self):
        """The single value as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: tensor has {self.data.size} elements, not 1")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._wrap(self.data)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(
                f"The truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", threshold=50)
        extra = [f"dtype={self.data.dtype}"]
        if self._ctx is not None:
            extra.append(f"op={self._ctx.name}")
        elif self._requires_grad:
            extra.append("requires_grad=True")
        if self.name:
            extra.append(f"name={self.name!r}")
        return f"Tensor({body}, {', '.join(extra)})"

    def _repr_html_(self) -> str:
        from tinygrad_edu.rich_display import tensor_html

        return tensor_html(self)

    # ----- autograd --------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False, create_graph=False) -> None:
        """Accumulate dL/d(leaf) into ``.grad`` of every leaf this tensor depends on.

        Args:
            grad: dL/d(self); may be omitted only for a single-element tensor (then 1).
            retain_graph: keep the graph so that backward can run through it again.
            create_graph: record the backward pass, for higher-order derivatives.
        """
        if not self._requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad - none of its inputs had "
                "requires_grad=True, or it was computed under no_grad()"
            )
        root_grad = engine._root_grad(self, grad, "backward")
        engine.run_backward([self], [root_grad], retain_graph, create_graph)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self.grad = None

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: tensor does not require grad")
        self._retains_grad = True
        return self

    def register_hook(self, hook) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed.

        The hook may return a replacement gradient (a Tensor) or None to keep it.
        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError("register_hook: tensor does not require grad")
        if self._hooks is None:
            self._hooks = {}
        key = len(self._hooks) and max(self._hooks) + 1
        self._hooks[key] = hook
        return RemovableHandle(self._hooks, key)

    # ----- in-place updates (never recorded) ---------------------------------------------
    def _prepare_inplace(self, what: str) -> None:
        if self._requires_grad and state.grad_enabled:
            raise RuntimeError(
                f"{what}: in-place change of a tensor that requires grad while recording. "
                "Wrap parameter updates in `with no_grad():`, or write the out-of-place "
                "form (x = x + y)."
            )
        bump_versions((self,))  # graphs that saved this tensor will notice the change

    def _inplace(self, what, ufunc, other):
        self._prepare_inplace(what)
        other = other.data if isinstance(other, Tensor) else other
        ufunc(self.data, other, out=self.data, casting="same_kind")
        return self

    def __iadd__(self, other):
        return self._inplace("+=", np.add, other)

    def __isub__(self, other):
        return self._inplace("-=", np.subtract, other)

    def __imul__(self, other):
        return self._inplace("*=", np.multiply, other)

    def __itruediv__(self, other):
        return self._inplace("/=", np.divide, other)

    def __setitem__(self, index, value):
        self._prepare_inplace("setitem")
        self.data[_index_arrays(index)] = value.data if isinstance(value, Tensor) else value

    def fill_(self, value) -> Tensor:
        """Set every element to ``value`` in place."""
        self._prepare_inplace("fill_")
        self.data.fill(value)
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def copy_(self, source) -> Tensor:
        """Copy ``source``'s values into this tensor in place (shapes must broadcast)."""
        self._prepare_inplace("copy_")
        np.copyto(self.data, source.data if isinstance(source, Tensor) else source,
                  casting="same_kind")
        return self


_new = object.__new__


def bump_versions(tensors) -> None:
    """Record an in-place change of each tensor's ``data``, with one tick of the version clock.

    Optimizers call this once per step, after updating the parameters' arrays in place: a graph
    that saved one of them then refuses to run its backward on the changed values.
    """
    state.version_clock += 1
    clock = state.version_clock
    for t in tensors:
        t._version = clock


def as_tensor(value, dtype=None) -> Tensor:
    """``value`` itself if it is a Tensor, else a new graph-free Tensor."""
    if isinstance(value, Tensor):
        return value
    return Tensor(value, dtype=dtype)


def operands(a, b) -> tuple[Tensor, Tensor]:
    """Make two operands of a binary op into Tensors of compatible dtypes.

    A Python/numpy scalar or array takes the dtype of the tensor it meets when that tensor is
    floating, so ``float32 * 0.5`` and ``float32 * np.float64(0.5)`` stay float32. An integer or
    boolean operand meeting a floating one is converted to the floating dtype.
    """
    a_is_tensor = isinstance(a, Tensor)
    b_is_tensor = isinstance(b, Tensor)
    if not a_is_tensor and not b_is_tensor:
        a = Tensor(a)
        a_is_tensor = True
    if not b_is_tensor:
        b = _lift(b, a.data.dtype)
    elif not a_is_tensor:
        a = _lift(a, b.data.dtype)
    a_kind, b_kind = a.data.dtype.kind, b.data.dtype.kind
    if a_kind != b_kind:
        if a_kind == "f" and b_kind in "biu":
            b = Tensor._wrap(b.data.astype(a.data.dtype))
        elif b_kind == "f" and a_kind in "biu":
            a = Tensor._wrap(a.data.astype(b.data.dtype))
    return a, b


def _lift(value, like: np.dtype) -> Tensor:
    """A constant operand for a tensor of dtype ``like``."""
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind not in "biuf":
        raise TypeError(f"unsupported operand of type {type(value).__name__} for a Tensor op")
    if like.kind == "f" or (kind in "biu" and isinstance(value, (int, bool))
                            and _fits(value, like)):
        return Tensor._wrap(array.astype(like, copy=False))
    if kind == "f":
        return Tensor._wrap(array.astype(DEFAULT_FLOAT, copy=False))
    return Tensor._wrap(array)


def _fits(value, like: np.dtype) -> bool:
    """Whether the Python int or bool ``value`` is exactly representable in dtype ``like``
    (``uint8_tensor / 256`` must not turn 256 into a uint8 0, nor ``bool_tensor + 2`` 2 into
    True)."""
    if like.kind == "b":
        return isinstance(value, bool)
    info = np.iinfo(like)
    return info.min <= value <= info.max


def _index_arrays(index):
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


engine._make_tensor = Tensor._wrap
engine._tensor_class = Tensor
function._tensor_class = Tensor
tensor_operators.Tensor = Tensor
tensor_operators.operands = operands

# The ops import Tensor, so they are bound here, after the class exists.
from tinygrad_edu.ops import elementwise as _ew  # noqa: E402
from tinygrad_edu.ops import linalg as _linalg  # noqa: E402
from tinygrad_edu.ops import reduce as _reduce  # noqa: E402
from tinygrad_edu.ops import shape as _shape  # noqa: E402

tensor_operators._ew, tensor_operators._linalg = _ew, _linalg
tensor_operators._reduce, tensor_operators._shape = _reduce, _shape
engine._sum_op = _reduce.Sum

from tinygrad_edu import ops as _ops  # noqa: E402

tensor_operators.bind_op_methods(_ops)
