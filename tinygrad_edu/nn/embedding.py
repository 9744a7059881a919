"""Embedding: a learned vector for each integer token."""

from __future__ import annotations

import numbers

import numpy as np

from tinygrad_edu import init as initializers
from tinygrad_edu import regularizers
from tinygrad_edu.nn.masking import attach_mask
from tinygrad_edu.nn.module import Module
from tinygrad_edu.ops.shape import getitem

__all__ = ["Embedding"]


class Embedding(Module):
    """Looks up row ``x`` of a (input_dim, output_dim) table: ``y[..., :] = embeddings[x]``.

    It is a Dense layer applied to one-hot inputs, without building them: ``one_hot(x) @
    embeddings`` picks row x. Backward: each row of ``d_embeddings`` is the sum of the output
    gradients of every position holding that token (rows of unseen tokens get 0).

    Args:
        input_dim: vocabulary size; tokens are integers in [0, input_dim).
        output_dim: length of each vector.
        embeddings_initializer: Keras default ``"uniform"`` (U(-0.05, 0.05)).
        embeddings_regularizer, activity_regularizer: penalties, as in Dense.
        mask_zero: token 0 is padding: the output carries a mask (``x != 0``) that the
            recurrent layers use to skip those steps. Token 0 then cannot be a real word, so
            with mask_zero the vocabulary needs input_dim = number of words + 1.
        input_length: Keras 2's fixed sequence length (checked when given).

    >>> import tinygrad_edu as tg
    >>> layer = Embedding(10, 3)
    >>> layer(tg.Tensor([[1, 2, 2]])).shape, layer.count_params()
    ((1, 3, 3), 30)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None, mask_zero=False,
                 input_length=None, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        for what, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"Embedding: {what} must be a positive integer, got {value!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self._initializer_arg = embeddings_initializer
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.mask_zero = bool(mask_zero)
        self.input_length = None if input_length is None else int(input_length)
        self.embeddings = None
        if input_shape is None and self.input_length is not None:
            input_shape = (self.input_length,)
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        self.add_weight("embeddings", (self.input_dim, self.output_dim),
                        self.embeddings_initializer, self.embeddings_regularizer)

    def forward(self, x):
        tokens = x.data
        if tokens.dtype.kind == "f":
            if tokens.size and not np.all(tokens == np.round(tokens)):
                raise TypeError(f"{self.name} (Embedding): inputs are token ids and must be "
                                f"integers, got non-integer floats of shape {tokens.shape}")
            tokens = tokens.astype(np.int64)
        elif tokens.dtype.kind not in "iu":
            raise TypeError(f"{self.name} (Embedding): inputs must be integer token ids, got "
                            f"dtype {tokens.dtype}")
        if tokens.size and (tokens.min() < 0 or tokens.max() >= self.input_dim):
            raise ValueError(
                f"{self.name} (Embedding): token ids must be in [0, {self.input_dim}), got "
                f"values from {tokens.min()} to {tokens.max()} (input shape {tokens.shape}); "
                "make input_dim the vocabulary size (+1 with mask_zero)")
        if self.input_length is not None and (tokens.ndim < 2
                                              or tokens.shape[1] != self.input_length):
            raise ValueError(f"{self.name} (Embedding): input_length={self.input_length} but "
                             f"the input has shape {tokens.shape}")
        out = getitem(self.embeddings, tokens)
        return attach_mask(out, tokens != 0) if self.mask_zero else out

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        init_arg = self._initializer_arg
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": init_arg if isinstance(init_arg, str)
                else initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "mask_zero": self.mask_zero, "input_length": self.input_length}
