"""What a module's call is given: one Tensor, or (a merge layer's, a multi-input model's)
a list or dict of them; their shapes; a built shape with the batch axis free.

>>> import numpy as np
>>> shapes_of(as_tensors([np.ones((2, 3)), np.ones((2, 1))], several=True))
[(2, 3), (2, 1)]
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.tensor import Tensor

__all__ = ["as_tensors", "shapes_of", "batch_free"]


def as_tensors(x, several=False):
    """A call's input as a Tensor, or a list/tuple/dict of Tensors (a merge layer's or a
    multi-input model's). A list of arrays is several inputs only for a module that takes
    several (``several``); otherwise it is one batch written as rows."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, dict):
        return {key: as_tensors(value) for key, value in x.items()}
    if isinstance(x, (list, tuple)) and x and (
            all(isinstance(item, Tensor) for item in x)
            or several and all(isinstance(item, (Tensor, np.ndarray)) for item in x)):
        return type(x)(as_tensors(item) for item in x)
    return Tensor(x)


def shapes_of(x):
    if isinstance(x, Tensor):
        return x.shape
    if isinstance(x, dict):
        return {key: shapes_of(value) for key, value in x.items()}
    return [shapes_of(item) for item in x]


def batch_free(input_shape):
    """``input_shape`` with the batch axis None (a list or dict of shapes for several)."""
    if isinstance(input_shape, dict):
        return {key: batch_free(value) for key, value in input_shape.items()}
    if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0],
                                                                    (list, tuple)):
        return [batch_free(shape) for shape in input_shape]
    return (None, *tuple(input_shape)[1:])
