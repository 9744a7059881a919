"""The data ``fit``/``evaluate``/``predict`` take: one array, or for a model with several
inputs or outputs a list (in order) or a dict (by name) of arrays, all with the same number
of samples; cut into batches the same way.

>>> x = as_arrays([np.ones((4, 3)), np.zeros((4, 2))], "fit", "x", several=True)
>>> sample_count(x, "fit", "x"), [part.shape for part in take(x, slice(0, 2))]
(4, [(2, 3), (2, 2)])
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.random import generator
from tinygrad_edu.tensor import DEFAULT_FLOAT, Tensor

__all__ = ["array", "as_arrays", "sample_count", "take", "as_tensors", "batches",
           "class_sample_weights", "is_several", "model_data", "several_inputs",
           "several_outputs", "as_numpy", "joined"]


def array(values, who, what):
    """Inputs as numpy: floats and small integers (pixels) become float32."""
    if isinstance(values, Tensor):
        values = values.data
    if values is None:
        raise TypeError(f"{who}: {what} is required (got None)")
    try:
        result = np.asarray(values)
    except ValueError:  # numpy >= 1.24 refuses ragged nested lists outright
        raise ValueError(f"{who}: {what} is a ragged list (rows of different lengths); every "
                         "sample needs the same shape: pad or crop them first") from None
    if result.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {what} must be numeric, got dtype {result.dtype}")
    if result.ndim == 0:
        raise ValueError(f"{who}: {what} must be an array of samples (batch axis first), got "
                         f"the single number {result.item()!r}")
    if result.dtype != DEFAULT_FLOAT and (what.startswith("x") or result.dtype.kind == "f"):
        result = result.astype(DEFAULT_FLOAT)
    return result


def is_several(values) -> bool:
    """Whether ``values`` is a list/tuple/dict of arrays (several inputs or targets) rather
    than one batch written as nested lists of numbers."""
    if isinstance(values, dict):
        return True
    return isinstance(values, (list, tuple)) and bool(values) and all(
        isinstance(item, (np.ndarray, Tensor)) for item in values)


def as_arrays(values, who, what, several=False):
    """``values`` as one array, or (``several``, or a dict) a list/dict of arrays."""
    if isinstance(values, dict):
        return {key: array(value, who, f"{what}[{key!r}]") for key, value in values.items()}
    if several and is_several(values):
        return [array(value, who, f"{what}[{index}]") for index, value in enumerate(values)]
    return array(values, who, what)


def _leaves(values) -> list:
    if isinstance(values, dict):
        return list(values.items())
    if isinstance(values, list):
        return list(enumerate(values))
    return [(None, values)]


def sample_count(values, who, what) -> int:
    """The number of samples, the same in every array of ``values``."""
    counts = {key: len(value) for key, value in _leaves(values)}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{what}[{key!r}]: {count}" for key, count in counts.items())
        raise ValueError(f"{who}: the arrays of {what} hold different numbers of samples "
                         f"({listed}); every input and target needs one row per sample")
    return next(iter(counts.values()))


def take(values, index):
    """The samples at ``index`` (a slice or indices) of every array of ``values``."""
    if isinstance(values, dict):
        return {key: value[index] for key, value in values.items()}
    if isinstance(values, list):
        return [value[index] for value in values]
    return values[index]


def as_tensors(values):
    """What the model is called on: a Tensor, or a list/dict of them."""
    if isinstance(values, dict):
        return {key: Tensor._wrap(value) for key, value in values.items()}
    if isinstance(values, list):
        return [Tensor._wrap(value) for value in values]
    return Tensor._wrap(values)


def batches(count, batch_size, shuffle):
    order = generator().permutation(count) if shuffle else None
    for start in range(0, count, batch_size):
        yield slice(start, start + batch_size) if order is None else order[start:start +
                                                                           batch_size]


def class_sample_weights(y, class_weight):
    """One weight per sample: ``class_weight[label]`` (1 for classes not listed)."""
    if isinstance(y, (list, dict)):
        raise ValueError("fit: class_weight is only supported for models with a single "
                         "output; give sample_weight per output instead (a list or a dict "
                         "keyed by output name)")
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    table = np.ones(int(max(labels.max(), max(class_weight)) + 1), dtype=DEFAULT_FLOAT)
    for label, weight in class_weight.items():
        table[int(label)] = weight
    return table[labels.astype(np.int64)]


# ----- the data of one model -------------------------------------------------------------
def several_inputs(model) -> bool:
    graph = getattr(model, "_graph", None)
    if graph is not None:
        return model._takes_several_inputs
    return is_subclassed_model(model)


def several_outputs(model) -> bool:
    graph = getattr(model, "_graph", None)
    if graph is not None:
        return len(graph.outputs) > 1 or isinstance(graph.output_structure, (list, dict))
    return is_subclassed_model(model)


def is_subclassed_model(model) -> bool:
    from tinygrad_edu.nn.functional_model import Model

    return isinstance(model, Model)


def model_data(model, who, x, y=None, sample_weight=None):
    """x, y and sample weights as arrays (lists or dicts of them for several inputs or
    outputs), checked to hold the same number of samples."""
    x = as_arrays(x, who, "x", several=several_inputs(model))
    count = sample_count(x, who, "x")
    if y is not None:
        y = as_arrays(y, who, "y", several=several_outputs(model))
        y_count = sample_count(y, who, "y")
        if y_count != count:
            raise ValueError(f"{who}: x has {count} samples but y has {y_count}; they must "
                             "match")
    if sample_weight is not None:
        sample_weight = as_arrays(sample_weight, who, "weights",
                                       several=several_outputs(model))
        weight_count = sample_count(sample_weight, who, "sample_weight")
        if weight_count != count:
            raise ValueError(f"{who}: sample_weight has {weight_count} entries for {count} "
                             "samples")
    return x, y, sample_weight, count


def as_numpy(outputs):
    """A model's output (a Tensor, or a list/dict of them) as numpy arrays."""
    if isinstance(outputs, dict):
        return {key: value.data for key, value in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        return [value.data for value in outputs]
    return outputs.data


def joined(batches: list):
    """The per-batch outputs joined along the batch axis, in the outputs' structure."""
    first = batches[0]
    if isinstance(first, dict):
        return {key: np.concatenate([part[key] for part in batches]) for key in first}
    if isinstance(first, list):
        return [np.concatenate([part[index] for part in batches])
                for index in range(len(first))]
    return np.concatenate(batches, axis=0)
