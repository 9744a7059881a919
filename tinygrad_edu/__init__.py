"""tinygrad_edu: a small, readable deep-learning framework for learning how networks train.

Where things live, from the bottom up:

* ``autograd/``: the engine: the graph node and ``apply`` (``function.py``), the backward loop,
  ``grad()`` and the broadcasting rule (``engine.py``), ``no_grad`` and friends
  (``grad_mode.py``), hooks (``hooks.py``);
* ``tensor.py``: the ``Tensor`` class's core; its operators and op methods are in
  ``tensor_operators.py``;
* ``ops/``: the primitive ops, forward and backward side by side;
* ``functional/``: composites built from the ops (activations, softmax, normalizations);
  ``losses/``, ``init.py`` (initializers), ``regularizers.py``, ``constraints.py``;
* ``nn/``: the module tree (``module.py``), what is done with its weights (``weights.py``),
  the layers;
* ``optim/``, ``training.py``, ``callbacks/``, ``metrics/``, ``datasets/``, ``serialization.py``.

``docs/how_autodiff_works.md`` reads the engine from the ground up.

>>> import tinygrad_edu as tg
>>> x = tg.Tensor([1.0, -2.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad.tolist()
[2.0, -4.0]
"""

from tinygrad_edu.tensor import Tensor  # noqa: I001 - Tensor must be defined before the ops
from tinygrad_edu.autograd import detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad
from tinygrad_edu.creation import (
    arange,
    eye,
    full,
    ones,
    linspace,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from tinygrad_edu.ops import *  # noqa: F403 - the public ops, listed in ops.__all__
from tinygrad_edu.ops import __all__ as _op_names
from tinygrad_edu.random import manual_seed
from tinygrad_edu.threads import get_num_threads, set_num_threads

# The layers above the engine: functional -> nn -> training (each imports only what is below).
from tinygrad_edu import constraints, functional, init, losses, optim, regularizers  # noqa: E402
from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu import callbacks, datasets, metrics, trace  # noqa: E402
from tinygrad_edu.datasets import (  # noqa: E402
    DataLoader,
    load_fashion_mnist,
    load_mnist,
    to_categorical,
)
from tinygrad_edu.serialization import load_model, save_model  # noqa: E402
from tinygrad_edu.nn import Input, Model  # noqa: E402

float32 = "float32"
float64 = "float64"
int64 = "int64"

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "grad", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly",
    "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "linspace", "eye", "randn",
    "rand", "randint",
    "manual_seed", "set_num_threads", "get_num_threads", "float32", "float64", "int64", *_op_names,
    "functional", "init", "losses", "optim", "regularizers", "constraints", "nn", "load_model",
    "save_model",
    "callbacks", "datasets", "metrics", "trace", "DataLoader", "load_fashion_mnist", "load_mnist",
    "to_categorical", "Input", "Model",
]
