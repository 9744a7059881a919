"""A compiled model's optimizer in Keras 3's files: its config and its variables.

Keras 3 stores an optimizer's state as a flat list ``optimizer/vars/0, 1, ...``:
``iterations``, ``learning_rate``, then the per-weight slots, weight by weight in the order
of ``model.trainable_weights``. Each optimizer creates its slots in groups: Adam makes
``momentum`` and ``velocity`` for one weight after the other (interleaved), then, with
``amsgrad``, all ``velocity_hat``; RMSprop makes all ``velocity`` arrays, then all
``momentum`` ones, then all ``average_gradient`` ones. :data:`SLOT_GROUPS` lists the groups
in this project's slot names (the formulas are the same, so the arrays are too); Nadam adds
its ``u_product`` number at the end.

>>> import tinygrad_edu as tg
>>> from tinygrad_edu import optim
>>> adam = optim.Adam([tg.Tensor([1.0, 2.0], requires_grad=True)], learning_rate=0.01)
>>> [a.shape for a in optimizer_arrays(adam)]
[(), (), (2,), (2,)]
>>> keras_optimizer_entry(adam)["class_name"], optimizer_from_keras(
...     keras_optimizer_entry(adam), "example").learning_rate
('Adam', 0.01)
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.io.keras_config import KERAS_ONLY_DEFAULTS, _constructor_keys
from tinygrad_edu.io.weights_h5 import read_dataset

__all__ = ["SLOT_GROUPS", "optimizer_arrays", "load_optimizer_arrays", "h5_reader",
           "keras_optimizer_entry", "optimizer_from_keras"]

# Keras class name -> groups of our slot names; a group's slots alternate weight by weight.
SLOT_GROUPS = {
    "SGD": [("velocity",)],
    "Adam": [("m", "v"), ("v_max",)],
    "AdamW": [("m", "v"), ("v_max",)],
    "Adamax": [("m", "u")],
    "Nadam": [("m", "v")],
    "RMSprop": [("v",), ("velocity",), ("g_avg",)],
    "Adagrad": [("accumulator",)],
    "Adadelta": [("accumulated_grad", "accumulated_delta")],
}
# Keras optimizer options that change nothing at these values.
_NEUTRAL = {"use_ema": False, "ema_overwrite_frequency": None, "loss_scale_factor": None,
            "gradient_accumulation_steps": None, **KERAS_ONLY_DEFAULTS}
# meaningful only with use_ema; or about how Keras 2 ran, not what it computes
_IGNORED = {"ema_momentum", "jit_compile", "is_legacy_optimizer"}


def _class_name(optimizer, who) -> str:
    name = type(optimizer).__name__
    if name not in SLOT_GROUPS:
        raise ValueError(f"{who}: the {name} optimizer has no Keras file layout here; "
                         f"supported: {', '.join(SLOT_GROUPS)}")
    return name


def _slot_order(optimizer, who, model=None):
    """``(slot name, parameter index)`` in Keras's order, trainable parameters only: the
    order of ``model``'s weights file when given, else the optimizer's own."""
    indices = [i for i, param in enumerate(optimizer.params) if getattr(param, "trainable", True)]
    if model is not None:
        from tinygrad_edu.io.weights_h5 import model_groups

        position = {id(param): i for i, param in enumerate(optimizer.params)}
        keras_order = [position[id(tensor)] for _, _, tensors in model_groups(model)
                       for tensor in tensors if id(tensor) in position]
        if sorted(keras_order) == sorted(indices):
            indices = keras_order
    order = []
    for group in SLOT_GROUPS[_class_name(optimizer, who)]:
        group = [slot for slot in group if slot in optimizer.slot_names]
        order += [(slot, i) for i in indices for slot in group]
    return order


def optimizer_arrays(optimizer, who="save", model=None) -> list:
    """The optimizer's state as Keras 3's flat list of arrays (weights in ``model``'s
    Keras order when given)."""
    if optimizer.params is None:
        return []
    arrays = [np.array(optimizer.iterations, dtype=np.int64),
              np.array(optimizer.current_learning_rate, dtype=np.float32)]
    arrays += [getattr(optimizer, slot)[i] for slot, i in _slot_order(optimizer, who, model)]
    arrays += [np.array(getattr(optimizer, name), dtype=np.float32)
               for name in optimizer.scalar_names]
    return arrays


def h5_reader(node, who, path):
    """The ``(count, read)`` pair of :func:`load_optimizer_arrays` for an h5 group."""
    return len(node.keys()), lambda index, shape: read_dataset(node, str(index), who, path,
                                                               shape)


def load_optimizer_arrays(optimizer, source, who, path, model=None) -> None:
    """Set a bound optimizer's state from Keras's flat list of variables.

    ``source`` is ``(count, read)``: the number of variables and ``read(index, shape)``,
    which returns variable ``index`` after checking it has ``shape``. No variables, or only
    ``iterations`` and ``learning_rate`` (an optimizer that has not taken a step), leave
    the slots at their start values. ``model`` gives Keras's order of the weights."""
    order = _slot_order(optimizer, who, model)
    count, read = source
    expected = 2 + len(order) + len(optimizer.scalar_names)
    if count == 0:
        return
    if count != expected and count != 2:
        raise ValueError(f"{who}: {path!r} holds {count} optimizer variables but this "
                         f"{type(optimizer).__name__} has {expected}; compile with the same "
                         "optimizer options, or load with compile=False")
    iterations = int(read(0, ()))
    learning_rate = float(read(1, ()))
    if count == expected:
        slots = {slot: list(getattr(optimizer, slot)) for slot in optimizer.slot_names}
        for index, (slot, i) in enumerate(order, start=2):
            value = read(index, optimizer.params[i].shape)
            slots[slot][i] = value.astype(optimizer.params[i].dtype)
        for slot, arrays in slots.items():
            setattr(optimizer, slot, arrays)
        for offset, name in enumerate(optimizer.scalar_names, start=2 + len(order)):
            setattr(optimizer, name, float(read(offset, ())))
    optimizer.iterations = iterations
    # the variable is float32: keep the config's exact number unless the rate was changed
    if optimizer._schedule is None and not optimizer.decay and (
            np.float32(learning_rate) != np.float32(optimizer.learning_rate)):
        optimizer.learning_rate = learning_rate


def keras_optimizer_entry(optimizer, who="save") -> dict:
    """Keras 3's ``{"class_name", "config"}`` of an optimizer (``compile_config``)."""
    from tinygrad_edu.optim import schedules

    name = _class_name(optimizer, who)
    config = optimizer.get_config()
    if config.pop("decay", 0.0):
        raise ValueError(f"{who}: the optimizer's old-Keras 'decay' has no Keras 3 "
                         "counterpart; use a learning-rate schedule instead")
    schedule = config.get("learning_rate")
    if isinstance(schedule, schedules.LearningRateSchedule):
        schedule = schedules.serialize(schedule)
    if isinstance(schedule, dict):
        config["learning_rate"] = {"module": "keras.optimizers.schedules", **schedule,
                                   "registered_name": None}
    elif not isinstance(schedule, (int, float)):
        raise ValueError(f"{who}: a custom learning-rate function cannot be written to a "
                         "Keras file; use a schedule from tinygrad_edu.optim.schedules")
    if name in ("SGD", "RMSprop") and "momentum" in config:
        config["momentum"] = float(config["momentum"])
    return {"module": "keras.optimizers", "class_name": name, "config": config,
            "registered_name": None}


def optimizer_from_keras(entry, where):
    """One of our optimizers from Keras 3's ``{"class_name", "config"}``."""
    from tinygrad_edu import optim
    from tinygrad_edu.optim import schedules

    if not isinstance(entry, dict) or not isinstance(entry.get("config", {}), dict):
        raise ValueError(f"{where}: the optimizer entry must be "
                         '{"class_name": "...", "config": {...}}')
    name = entry.get("class_name")
    classes = {cls.__name__: cls for cls, _ in optim.registry.OPTIMIZERS.values()}
    if name not in SLOT_GROUPS or name not in classes:
        raise ValueError(f"{where}: unknown optimizer class {name!r}; supported: "
                         f"{', '.join(SLOT_GROUPS)} (or load with compile=False)")
    cls = classes[name]
    accepted = _constructor_keys(cls)
    config = {}
    for key, value in (entry.get("config") or {}).items():
        if key in accepted:
            config[key] = value
        elif key not in _IGNORED and value != _NEUTRAL.get(key, object()):
            raise ValueError(f"{where}: the Keras optimizer option {key}={value!r} of {name} "
                             "is not supported (load with compile=False)")
    rate = config.get("learning_rate")
    if isinstance(rate, dict):
        config["learning_rate"] = schedules.deserialize(
            {"class_name": rate.get("class_name"), "config": rate.get("config", {})})
    try:
        return cls(**config)
    except TypeError as error:
        raise ValueError(f"{where}: invalid {name} config ({error})") from None
