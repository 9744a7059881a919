"""Layers and models: the Module system and the Keras-named layers built on it.

``module.py`` holds the module tree (registration on assignment, building and calling, hooks,
traversal, modes); ``shapes.py`` how it learns and checks its shapes; ``weights.py`` what is
done with the weights it finds (``add_weight``, ``weights``, ``state_dict``,
``get_weights``/``set_weights``, ``save``); ``parameter.py`` the
``Parameter`` class and default names; ``model_api.py`` the ``compile``/``fit`` doors into
training; then the layers (``layers.py``, ``conv.py`` with ``conv1d.py``, ``depthwise_conv.py``
(and ``depthwise_conv1d.py``) and ``transposed_conv.py``, ``spatial.py``, ``normalization.py``),
``containers.py`` and ``sequential.py``. The functional API: ``symbolic.py`` (what ``Input``
returns and what layers return on it), ``input_layer.py``, ``functional_graph.py``,
``functional_model.py`` (``Model``), ``functional_config.py``, ``merge.py``; ``cloning.py``
(``clone_model``).
"""

from tinygrad_edu.nn.augmentation import (
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from tinygrad_edu.nn.bidirectional import Bidirectional
from tinygrad_edu.nn.cloning import clone_model
from tinygrad_edu.nn.containers import ModuleList, functional_call
from tinygrad_edu.nn.conv import (
    AveragePooling2D,
    Conv2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
)
from tinygrad_edu.nn.conv1d import (
    AveragePooling1D,
    Conv1D,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    MaxPooling1D,
)
from tinygrad_edu.nn.depthwise_conv import DepthwiseConv2D, SeparableConv2D
from tinygrad_edu.nn.depthwise_conv1d import DepthwiseConv1D, SeparableConv1D
from tinygrad_edu.nn.embedding import Embedding
from tinygrad_edu.nn.functional_model import Model
from tinygrad_edu.nn.input_layer import Input, InputLayer
from tinygrad_edu.nn.layers import (
    ELU,
    Activation,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    PReLU,
    ReLU,
    Softmax,
)
from tinygrad_edu.nn.masking import Masking
from tinygrad_edu.nn.merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract
from tinygrad_edu.nn.module import Module, module_registry
from tinygrad_edu.nn.normalization import (
    BatchNormalization,
    GroupNormalization,
    InstanceNormalization,
    LayerNormalization,
)
from tinygrad_edu.nn.parameter import InputSpec, Parameter, reset_names
from tinygrad_edu.nn.preprocessing import CenterCrop, Normalization, Rescaling, Resizing
from tinygrad_edu.nn.recurrent import GRU, LSTM, SimpleRNN
from tinygrad_edu.nn.recurrent_base import RecurrentLayer
from tinygrad_edu.nn.reshaping import Permute, RepeatVector, Reshape
from tinygrad_edu.nn.sequential import Sequential, summary
from tinygrad_edu.nn.spatial import (
    Cropping1D,
    Cropping2D,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from tinygrad_edu.nn.symbolic import SymbolicTensor
from tinygrad_edu.nn.time_distributed import TimeDistributed
from tinygrad_edu.nn.transposed_conv import Conv1DTranspose, Conv2DTranspose

__all__ = [
    "InputSpec", "Module", "ModuleList", "Parameter", "functional_call", "module_registry",
    "reset_names", "Sequential", "summary",
    "Dense", "Activation", "Flatten", "Dropout", "PReLU", "LeakyReLU", "ELU", "ReLU", "Softmax",
    "Reshape", "Permute", "RepeatVector",
    "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
    "Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
    "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "ZeroPadding2D", "Cropping2D",
    "UpSampling2D", "ZeroPadding1D", "Cropping1D", "UpSampling1D", "Conv1DTranspose",
    "DepthwiseConv1D", "SeparableConv1D",
    "BatchNormalization", "LayerNormalization", "InstanceNormalization", "GroupNormalization",
    "RecurrentLayer", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed",
    "Embedding", "Masking",
    "Rescaling", "Normalization", "Resizing", "CenterCrop",
    "RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom", "RandomContrast",
    "RandomCrop",
    "Input", "InputLayer", "Model", "SymbolicTensor", "clone_model",
    "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
]

