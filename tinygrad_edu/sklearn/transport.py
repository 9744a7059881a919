"""How a model crosses a process boundary, and how many BLAS threads a trial gets there.

A model is sent as plain data: its class name, ``get_config()``, weights and compile state
(optimizer class, configuration and slots; loss; metrics), never as a pickled graph of
Tensors and Functions. The receiving process rebuilds it from its class's ``from_config``.
"""

from __future__ import annotations

import copy
import multiprocessing
import sys
from contextlib import nullcontext

import numpy as np

from tinygrad_edu import optim
from tinygrad_edu.nn.module import Module, module_registry

__all__ = ["portable_model", "rebuild_model", "fresh_copy", "in_worker_process",
           "one_blas_thread"]


def portable_model(model: Module) -> dict:
    """A model as plain data: class name, ``get_config()``, weights and the compile state."""
    state = {"class_name": type(model).__name__, "config": model.get_config(),
             "weights": {key: np.array(value) for key, value in model.state_dict().items()},
             "built": model.built, "compiled": None}
    compiled = getattr(model, "_compiled", None)
    if compiled is not None:
        optimizer = compiled.optimizer
        state["compiled"] = {
            "optimizer": {"class_name": type(optimizer).__name__,
                          "config": optimizer.get_config()},
            "optimizer_state": optimizer.state_dict() if optimizer.params is not None else None,
            "loss": compiled.loss, "metrics": compiled.metric_specs,
            "loss_weights": compiled.loss_weights}
    return state


def rebuild_model(state: dict, input_shape=None, weights=True) -> Module:
    """The model that :func:`portable_model` described: its weights (unless ``weights`` is
    False: then freshly initialized ones), compiled as it was, with its optimizer's state."""
    model_class = module_registry().get(state["class_name"])
    if model_class is None:
        raise ValueError(f"rebuild_model: unknown model class {state['class_name']!r}; import "
                         "the module that defines it in the receiving process")
    model = model_class.from_config(state["config"])
    if state["built"] and not model.built:
        if input_shape is None:
            raise ValueError(f"rebuild_model: {state['class_name']} needs its input shape")
        model.build((None, *input_shape))
    if weights:
        model.load_state_dict(state["weights"], strict=True)
    compiled = state["compiled"]
    if compiled is not None:
        optimizer = optim.get(compiled["optimizer"])
        model.compile(optimizer=optimizer, loss=copy.deepcopy(compiled["loss"]),
                      metrics=copy.deepcopy(compiled["metrics"]),
                      loss_weights=compiled["loss_weights"])
        if weights and compiled["optimizer_state"] is not None:
            optimizer.load_state_dict(compiled["optimizer_state"])
    return model


def in_worker_process() -> bool:
    """True inside a joblib (loky, multiprocessing) or Dask worker process."""
    if multiprocessing.parent_process() is not None:
        return True
    distributed = sys.modules.get("distributed")
    if distributed is not None:
        try:
            distributed.get_worker()
            return True
        except ValueError:
            pass
    return "loky" in multiprocessing.current_process().name.lower()


def one_blas_thread():
    """One BLAS thread in a worker process (trials side by side must not oversubscribe)."""
    if not in_worker_process():
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def fresh_copy(model: Module) -> Module:
    """The same architecture, compiled the same way, with new weights (like clone_model)."""
    if getattr(model, "_compiled", None) is None:
        raise ValueError(f"{model.name}: a model passed as an instance must be compiled first "
                         "(model.compile(optimizer=..., loss=...)), or pass a build function")
    state = portable_model(model)
    return rebuild_model(state, model.input_shape[1:] if model.built else None, weights=False)
