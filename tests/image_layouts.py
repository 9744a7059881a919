"""Helpers of the convolution and pooling tests: float64 leaves, NCHW <-> NHWC, Keras's "same"
padding applied to a PyTorch tensor."""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.ops.windows import same_padding


def float64(values, requires_grad=True):
    return tg.Tensor(values, requires_grad=requires_grad, dtype=np.float64)


def to_nchw(a):
    return a.transpose(0, 3, 1, 2)


def to_nhwc(a):
    return a.transpose(0, 2, 3, 1)


def torch_same_pad(torch, xt, window, strides, value=0.0):
    """Pad an NCHW tensor with Keras's "same" rule (the odd pixel at the bottom/right)."""
    top, bottom = same_padding(xt.shape[2], window[0], strides[0])
    left, right = same_padding(xt.shape[3], window[1], strides[1])
    return torch.nn.functional.pad(xt, (left, right, top, bottom), value=value)
