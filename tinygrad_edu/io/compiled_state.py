"""A compiled model's settings and optimizer state in this project's own ``.npz`` files.

``model.save(path)`` of a compiled model adds two kinds of members to the archive (see
:mod:`tinygrad_edu.serialization`):

``__compile__``
    JSON: ``{"optimizer": {"class_name": "Adam", "config": {...}}, "loss": "mse",
    "metrics": [...], "loss_weights": null, "state": {"iterations": 12, "learning_rate":
    0.001, "skipped_steps": 0, "scalars": {...}, "slots": {"m": [true, ...]}}}`` (for each
    slot, which parameters have an array);
``optimizer/<slot>/<i>``
    slot ``<slot>`` of the optimizer's parameter ``i``.

Every optimizer of this project round-trips (not only those Keras files know), and
``load_model`` compiles the model with them, so training resumes exactly where it stopped.

>>> from tinygrad_edu import nn
>>> model = nn.Sequential([nn.Dense(1, input_shape=(2,))])
>>> model.compile(optimizer="adam", loss="mse")
>>> sorted(compiled_members(model))
['__compile__', 'optimizer/m/0', 'optimizer/m/1', 'optimizer/v/0', 'optimizer/v/1']
"""

from __future__ import annotations

import json

import numpy as np

__all__ = ["compiled_members", "restore_compiled", "COMPILE_MEMBER", "OPTIMIZER_PREFIX"]

COMPILE_MEMBER = "__compile__"
OPTIMIZER_PREFIX = "optimizer/"


def compiled_members(model) -> dict:
    """The archive members of a compiled model's settings and state ({} if there are none
    or the loss/metrics are custom functions, with a warning, as Keras does)."""
    from tinygrad_edu.io.keras_file import compile_config

    compiled = getattr(model, "_compiled", None)
    if compiled is None:
        return {}
    config = compile_config(model, "save_model", keras_optimizer_entry=False)
    if config is None:
        return {}
    optimizer = compiled.optimizer
    state = optimizer.state_dict()
    members = {}
    for slot, arrays in state.pop("slots").items():
        for index, array in enumerate(arrays):
            if array is not None:
                members[f"{OPTIMIZER_PREFIX}{slot}/{index}"] = array
    state["slots"] = {slot: [array is not None for array in arrays]
                      for slot, arrays in optimizer.state_dict()["slots"].items()}
    entry = {"class_name": type(optimizer).__name__, "config": _plain(optimizer)}
    document = {"optimizer": entry, "state": state,
                **{key: config[key] for key in ("loss", "metrics", "weighted_metrics",
                                                "loss_weights")}}
    members[COMPILE_MEMBER] = np.array(json.dumps(document))
    return members


def _plain(optimizer) -> dict:
    from tinygrad_edu.optim import schedules

    config = optimizer.get_config()
    if isinstance(config.get("learning_rate"), schedules.LearningRateSchedule):
        config["learning_rate"] = schedules.serialize(config["learning_rate"])
    return config


def restore_compiled(model, document, members, where) -> None:
    """Compile ``model`` from a ``__compile__`` document and load the optimizer's state."""
    from tinygrad_edu import optim
    from tinygrad_edu.io.keras_file import _loss_from_keras

    if not isinstance(document, dict) or not isinstance(document.get("state"), dict):
        raise ValueError(f"{where}: the {COMPILE_MEMBER} entry is malformed")
    try:
        optimizer = optim.get(document.get("optimizer"))
    except (TypeError, AttributeError) as error:
        raise ValueError(f"{where}: the saved optimizer is malformed ({error})") from None
    model.compile(optimizer=optimizer, loss=_loss_from_keras(document.get("loss"), where),
                  metrics=document.get("metrics"), loss_weights=document.get("loss_weights"),
                  weighted_metrics=document.get("weighted_metrics"))
    state = dict(document["state"])
    present = state.get("slots")
    if not isinstance(present, dict):
        raise ValueError(f"{where}: the optimizer state has no slot table")
    slots = {}
    for slot, flags in present.items():
        if not isinstance(flags, list):
            raise ValueError(f"{where}: the optimizer slot {slot!r} is malformed")
        slots[slot] = []
        for index, flag in enumerate(flags):
            key = f"{OPTIMIZER_PREFIX}{slot}/{index}"
            if flag and key not in members:
                raise ValueError(f"{where} is damaged: optimizer array {key!r} is missing")
            slots[slot].append(members[key] if flag else None)
    state["slots"] = slots
    state["optimizer"] = type(optimizer).__name__
    state.setdefault("scalars", {})
    try:
        optimizer.load_state_dict(state)
    except (KeyError, TypeError) as error:
        raise ValueError(f"{where}: the optimizer state is malformed ({error})") from None
