"""Functions built from the primitive ops: activations, softmax, dropout, normalizations,
image warps and resizing, and the time steps of the recurrent cells; and, under PyTorch's
``torch.nn.functional`` names, the convolution and pooling ops the layers are made of (they
live in ``ops/``: ``conv.py``, ``grouped_conv.py``, ``conv1d.py``, ``conv_transpose.py``,
``pooling.py``, ``upsampling.py``; NHWC / (N, L, C) layouts with Keras's kernel shapes).

Everything here is also reachable as ``tinygrad_edu.functional.<name>``; activations can be
looked up by their Keras name with :func:`get_activation`. The fused, numerically stable
cross-entropies live in :mod:`tinygrad_edu.ops.fused` and are re-exported here.
"""

from tinygrad_edu.functional.activations import *  # noqa: F403
from tinygrad_edu.functional.activations import (
    __all__ as _activation_names,
)
from tinygrad_edu.functional.dropout import dropout
from tinygrad_edu.functional.image_transform import affine_transform, resize
from tinygrad_edu.functional.normalization import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    moments,
)
from tinygrad_edu.functional.recurrent import gru_cell, lstm_cell, simple_rnn_cell, split_gates
from tinygrad_edu.ops.conv import conv2d, conv2d_relu
from tinygrad_edu.ops.conv1d import avg_pool1d, conv1d, max_pool1d
from tinygrad_edu.ops.conv_transpose import conv_transpose1d, conv_transpose2d
from tinygrad_edu.ops.fused import (
    sigmoid_binary_cross_entropy,
    softmax_cross_entropy,
    sparse_softmax_cross_entropy,
)
from tinygrad_edu.ops.grouped_conv import depthwise_conv2d
from tinygrad_edu.ops.pooling import avg_pool2d, max_pool2d
from tinygrad_edu.ops.upsampling import upsample2d

__all__ = [
    *_activation_names,
    "dropout", "affine_transform", "resize",
    "moments", "batch_norm", "layer_norm", "instance_norm", "group_norm",
    "softmax_cross_entropy", "sparse_softmax_cross_entropy", "sigmoid_binary_cross_entropy",
    "simple_rnn_cell", "lstm_cell", "gru_cell", "split_gates",
    "conv1d", "conv2d", "conv2d_relu", "depthwise_conv2d", "conv_transpose1d", "conv_transpose2d",
    "max_pool1d", "avg_pool1d", "max_pool2d", "avg_pool2d", "upsample2d",
]
