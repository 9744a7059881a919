"""The graph node: :class:`Function`, one application of a differentiable op.

Every differentiable op is a subclass of :class:`Function` with two methods side by side:

* ``forward(self, *arrays, **params)`` computes the result on plain numpy arrays and keeps on
  ``self`` whatever the backward rule needs;
* ``backward(self, grad_out)`` receives dL/d(output) as a :class:`~tinygrad_edu.tensor.Tensor`
  and returns dL/d(input) for each input, written with Tensor ops.

:meth:`Function.apply` runs the forward and, while recording, links the result to its node.
"""

from __future__ import annotations

import itertools
import traceback
import weakref

import numpy as np

from tinygrad_edu.autograd.grad_mode import state

__all__ = ["Function"]

_function_registry: dict[str, type] = {}


class Function:
    """A node of the computation graph: one application of a differentiable op.

    Subclasses implement ``forward`` (numpy in, numpy out) and ``backward`` (Tensor in,
    Tensor(s) out, one per input; ``None`` for an input that needs no gradient).

    Attributes set by :meth:`apply`:
        inputs: the input tensors (kept alive while the graph is).
        module_path: the module whose forward created this node, e.g. ``"dense_1"``.
        created_at: the user's stack frames, only under :class:`detect_anomaly`.

    Class attributes:
        keeps_output: backward needs the output tensor (``exp``, ``tanh``...). It is held
            through a weak reference so that the graph holds no reference cycle.
        saves_inputs: backward reads the input values, so an in-place change of an input
            between forward and backward would make it wrong; the engine checks for that
            (cheaply: a node remembers the global version clock at its creation, and only
            when the clock has moved since does the engine compare the inputs' versions).
        differentiable_twice: ``False`` for fused ops whose backward is raw numpy; a
            ``create_graph=True`` backward through them raises a clear error.
    """

    keeps_output = False
    saves_inputs = False
    differentiable_twice = True
    inputs = None
    _stamp = 0
    _seq = 0
    module_path = None
    created_at = None
    _output_ref = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            raise TypeError(f"{cls.__name__}: a Function keeps what backward needs from "
                            "forward(); it defines no __init__ (apply() creates it bare)")
        if not cls.__name__.startswith("_"):
            _function_registry[cls.__name__] = cls

    @classmethod
    def registry(cls) -> dict[str, type]:
        """Every public Function subclass by name (the op-case meta-test reads this)."""
        return dict(_function_registry)

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def output(self):
        """The output tensor, or None once it is gone."""
        return self._output_ref() if self._output_ref is not None else None

    @classmethod
    def apply(cls, *inputs, **params):
        """Run ``forward`` on the inputs' arrays; link the result into the graph if needed."""
        node = cls()  # no __init__ (checked above): the cheapest way to a new object
        try:
            # The common calls spelled out: without parameters, no list and no keyword dict
            # to unpack per op (a call with ``**`` takes a slower path in the interpreter).
            if params:
                data = node.forward(*[t.data for t in inputs], **params)
            elif len(inputs) == 2:
                data = node.forward(inputs[0].data, inputs[1].data)
            elif len(inputs) == 1:
                data = node.forward(inputs[0].data)
            else:
                data = node.forward(*[t.data for t in inputs])
        except (ValueError, IndexError, TypeError) as error:
            raise _op_error(cls, inputs, params, error) from None
        out = _new(_tensor_class)
        out.data = data if type(data) is np.ndarray else np.asarray(data)
        if state.grad_enabled:
            for t in inputs:
                if t._requires_grad:
                    break
            else:
                return out
            node.inputs = inputs
            if state.module_path is not None:
                node.module_path = state.module_path
            node._stamp = state.version_clock
            node._seq = next(_sequence)
            out._requires_grad = True
            out._ctx = node
            if cls.keeps_output:
                node._output_ref = weakref.ref(out)
            if state.anomaly:
                node.created_at = traceback.extract_stack()[:-2]
        return out

    def forward(self, *arrays, **params):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad_out):  # pragma: no cover - abstract
        raise NotImplementedError

    def _release(self) -> None:
        """Drop what backward needed, inputs included: with ``inputs`` back to None, a second
        backward through this node fails clearly. The module path stays, for reprs."""
        module_path = self.module_path
        self.__dict__.clear()
        if module_path is not None:
            self.module_path = module_path

    def __repr__(self) -> str:
        where = f" in {self.module_path}" if self.module_path else ""
        return f"<{self.name}{where}>"


def _op_error(cls, inputs, params, error):
    shapes = ", ".join(str(t.shape) for t in inputs)
    hint = getattr(cls, "hint", "")
    where = f" (in {state.module_path})" if state.module_path else ""
    detail = f" with {params}" if params else ""
    message = f"{cls.__name__}{where}: cannot apply to inputs of shapes {shapes}{detail}: {error}"
    if hint:
        message += f". {hint}"
    return type(error)(message)


_new = object.__new__
_sequence = itertools.count()  # creation order of recorded nodes (the engine's priority)
_tensor_class = None  # set by tensor.py
