"""Op-case rows for the convolution family beyond ``conv2d``: grouped and depthwise
convolution, transposed convolution, dilated max pooling, 1-D convolution and pooling, and
upsampling.

Shapes are kept tiny: every row is checked to second order by finite differences.
:mod:`tinygrad_edu.op_cases` joins these rows to its table.
"""

from __future__ import annotations

from tinygrad_edu.op_cases import OpCase, _distinct
from tinygrad_edu.ops import conv1d as conv1d_ops
from tinygrad_edu.ops.conv import conv2d, max_pool2d
from tinygrad_edu.ops.conv_transpose import conv_transpose1d, conv_transpose2d
from tinygrad_edu.ops.grouped_conv import depthwise_conv2d
from tinygrad_edu.ops.upsampling import upsample2d

CONV_FAMILY_CASES: list[OpCase] = [
    OpCase("conv2d/grouped", "conv2d",
           lambda x, k, b: conv2d(x, k, b, strides=(1, 2), padding="same", groups=2),
           ((2, 4, 5, 4), (2, 3, 2, 4), (4,))),
    OpCase("conv2d/depthwise-groups", "conv2d",
           lambda x, k: conv2d(x, k, dilation_rate=(2, 1), groups=3),
           ((1, 5, 4, 3), (2, 2, 1, 6))),
    OpCase("depthwise_conv2d/multiplier-strided", "depthwise_conv2d",
           lambda x, k, b: depthwise_conv2d(x, k, b, strides=2, padding="same"),
           ((1, 5, 4, 2), (3, 2, 2, 2), (4,))),
    OpCase("depthwise_conv2d/dilated", "depthwise_conv2d",
           lambda x, k: depthwise_conv2d(x, k, dilation_rate=2), ((2, 5, 5, 2), (2, 2, 2, 1))),
    OpCase("conv_transpose2d/valid-strided", "conv_transpose2d",
           lambda x, k, b: conv_transpose2d(x, k, b, strides=2), ((2, 3, 2, 2), (3, 2, 3, 2),
                                                                 (3,))),
    OpCase("conv_transpose2d/same-output-padding", "conv_transpose2d",
           lambda x, k: conv_transpose2d(x, k, strides=(2, 3), padding="same",
                                         output_padding=(1, 0)), ((1, 2, 3, 2), (3, 4, 2, 2))),
    OpCase("conv_transpose2d/dilated-same", "conv_transpose2d",
           lambda x, k: conv_transpose2d(x, k, padding="same", dilation_rate=2),
           ((1, 3, 3, 1), (2, 3, 2, 1))),
    OpCase("conv_transpose1d/same-output-padding", "conv_transpose1d",
           lambda x, k, b: conv_transpose1d(x, k, b, strides=2, padding="same",
                                            output_padding=0), ((2, 3, 2), (3, 2, 2), (2,))),
    OpCase("conv1d/causal-dilated", "conv1d",
           lambda x, k, b: conv1d_ops.conv1d(x, k, b, padding="causal", dilation_rate=2),
           ((2, 6, 2), (2, 2, 3), (3,))),
    OpCase("conv1d/same-strided-grouped", "conv1d",
           lambda x, k: conv1d_ops.conv1d(x, k, strides=2, padding="same", groups=2),
           ((2, 7, 4), (3, 2, 2))),
    OpCase("max_pool2d/dilated-same", "max_pool2d",
           lambda x: max_pool2d(x, 2, strides=1, padding="same", dilation=(2, 1)),
           make_inputs=_distinct((1, 4, 5, 2))),
    OpCase("max_pool1d/overlapping-same", "max_pool1d",
           lambda x: conv1d_ops.max_pool1d(x, 3, strides=2, padding="same"),
           make_inputs=_distinct((2, 7, 2))),
    OpCase("avg_pool1d/same", "avg_pool1d",
           lambda x: conv1d_ops.avg_pool1d(x, 3, strides=2, padding="same"), ((2, 6, 2),)),
    OpCase("upsample2d/nearest", "upsample2d", lambda x: upsample2d(x, (2, 3)),
           ((2, 2, 3, 2),)),
    OpCase("upsample2d/bilinear", "upsample2d",
           lambda x: upsample2d(x, (3, 2), interpolation="bilinear"), ((1, 3, 2, 2),)),
]
