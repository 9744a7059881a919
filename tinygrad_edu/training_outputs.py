"""Losses and metrics per output: what ``compile`` says for each output of a model, and the
logs it gives, named as Keras 3 names them.

A model with one output logs ``loss`` and each metric by its name (``accuracy``). A model
with several outputs (a functional model with ``outputs=[...]`` or ``{...}``, or a
subclassed one that returns a list) gets one loss per output, given as a list in output
order or a dict keyed by output name; the total is ``sum_k loss_weights[k] * loss_k`` and
the logs are ``loss``, ``<output>_loss`` (unweighted) and ``<output>_<metric>``.

``metrics`` are computed without sample weights; ``weighted_metrics`` with them (Keras 3's
rule: ``sample_weight`` and ``class_weight`` weight the loss and the weighted metrics only).
A weighted metric whose name an unweighted one already has is logged as
``weighted_<name>``.

>>> plan = OutputPlan("mse", None, ["mae"], ["mae"])
>>> plan.resolve(["out"], None)
>>> plan.keys_before_metrics(), plan.loss_keys
(['loss'], [None])
"""

from __future__ import annotations

import numpy as np

__all__ = ["OutputPlan", "output_list"]


def _is_nested(value) -> bool:
    return isinstance(value, (list, tuple, dict))


def output_list(values, names, who: str, what: str) -> list:
    """``values`` (one array, a list in output order or a dict by output name) as a list
    in output order."""
    if isinstance(values, dict):
        unknown = [key for key in values if key not in names]
        missing = [name for name in names if name not in values]
        if unknown or missing:
            raise ValueError(
                f"{who}: {what} is a dict with keys {list(values)} but the model's outputs "
                f"are {names}; " + (f"unknown {unknown}" if unknown else f"missing {missing}")
            )
        return [values[name] for name in names]
    if isinstance(values, (list, tuple)) and len(names) > 1:
        if len(values) != len(names):
            raise ValueError(f"{who}: {what} has {len(values)} entries but the model has "
                             f"{len(names)} outputs {names}; give one per output, in order")
        return list(values)
    if len(names) > 1:
        raise ValueError(f"{who}: the model has {len(names)} outputs {names}; give {what} as a "
                         "list in that order or a dict keyed by the output names")
    if isinstance(values, (list, tuple)) and len(values) == 1 and _is_nested(values):
        return list(values)
    return [values]


class OutputPlan:
    """What ``compile`` fixed per output; resolved against the output names at the first
    batch (a subclassed model shows how many outputs it has only then)."""

    def __init__(self, loss, loss_weights, metrics, weighted_metrics):
        self.loss_spec, self.weight_spec = loss, loss_weights
        self.metric_spec, self.weighted_spec = metrics, weighted_metrics
        self.names = None
        self.losses = self.weights = self.loss_keys = None
        self.entries = None  # (log key, Metric, output index, weighted), built at batch one

    # ----- per-output specs ------------------------------------------------------------------
    def check_names(self, names, who: str = "compile") -> None:
        """Refuse dict keys that name no output, and lists of the wrong length, as early as
        the output names are known (a functional model's at compile)."""
        if not names:
            return
        for what, spec in (("loss", self.loss_spec), ("loss_weights", self.weight_spec),
                           ("metrics", self.metric_spec),
                           ("weighted_metrics", self.weighted_spec)):
            if isinstance(spec, dict):
                unknown = [key for key in spec if key not in names]
                if unknown:
                    raise ValueError(
                        f"{who}: {what} has the key(s) {unknown}, which name no output of the "
                        f"model; its outputs are {names}. Key the dict by these names (the "
                        "output layers' names)"
                    )
        if len(names) > 1 and isinstance(self.loss_spec, dict):
            missing = [name for name in names if name not in self.loss_spec]
            if missing:
                raise ValueError(f"{who}: loss has no entry for the output(s) {missing}; give "
                                 f"a loss for every output of {names}")
        if len(names) > 1 and isinstance(self.loss_spec, (list, tuple)) and len(
                self.loss_spec) != len(names):
            raise ValueError(f"{who}: loss is a list of {len(self.loss_spec)} but the model "
                             f"has {len(names)} outputs {names}; give one loss per output")

    def _losses(self, names):
        from tinygrad_edu import losses

        spec = self.loss_spec
        if isinstance(spec, dict):
            given = [spec.get(name) for name in names]
        elif isinstance(spec, (list, tuple)):
            given = list(spec) if len(spec) == len(names) else None
            if given is None:
                self.check_names(names)
        else:
            given = [spec] * len(names)
        return [None if item is None else item if isinstance(item, losses.Loss)
                else losses.get_loss(item) for item in given]

    def _weights(self, names) -> list:
        spec = self.weight_spec
        if spec is None:
            return [1.0] * len(names)
        if isinstance(spec, dict):
            return [float(spec.get(name, 1.0)) for name in names]
        if isinstance(spec, (int, float)):
            return [float(spec)]
        if len(spec) != len(names):
            raise ValueError(f"compile: loss_weights has {len(spec)} entries but the model "
                             f"has {len(names)} outputs {names}")
        return [float(weight) for weight in spec]

    def _metric_lists(self, spec, names, what: str) -> list:
        from tinygrad_edu import training_checks as check

        if spec is None or isinstance(spec, (list, tuple)) and not spec:
            return [[] for _ in names]
        if isinstance(spec, dict):
            return [check.metric_list(spec.get(name)) for name in names]
        if len(names) == 1:
            return [check.metric_list(spec)]
        items = list(spec) if isinstance(spec, (list, tuple)) else [spec]
        if len(items) != len(names) or not all(item is None or isinstance(item, (list, tuple))
                                               for item in items):
            raise ValueError(
                f"compile: the model has {len(names)} outputs {names}; give {what} as one list "
                f"per output ({what}=[['accuracy'], ['mae']]) or a dict keyed by output name "
                f"({what}={{{names[0]!r}: ['accuracy']}}), got {what}={spec!r}"
            )
        return [check.metric_list(item) for item in items]

    def resolve(self, names, model_names) -> None:
        """Fix the per-output losses, weights and keys for outputs named ``names``."""
        self.check_names(model_names or names)
        self.names = list(names)
        self.losses = self._losses(self.names)
        self.weights = self._weights(self.names)
        several = len(self.names) > 1
        self.loss_keys = [f"{name}_loss" if several else None for name in self.names]
        self.metric_lists = self._metric_lists(self.metric_spec, self.names, "metrics")
        self.weighted_lists = self._metric_lists(self.weighted_spec, self.names,
                                                 "weighted_metrics")

    def keys_before_metrics(self) -> list:
        return ["loss"] + [key for key, loss in zip(self.loss_keys, self.losses)
                           if key is not None and loss is not None]

    # ----- metrics -------------------------------------------------------------------------
    def build_metrics(self, y_true: list, y_pred: list) -> list:
        """The metric objects, named by their log keys, from the first batch's shapes."""
        from tinygrad_edu import metrics

        self.entries = []
        several = len(self.names) > 1
        for index, name in enumerate(self.names):
            loss = self.losses[index]
            shapes = (np.shape(y_true[index]), np.shape(y_pred[index]))
            plain = [metrics.resolve_metric(spec, loss, *shapes)
                     for spec in self.metric_lists[index]]
            taken = {metric.name for metric in plain}
            for metric in plain:
                self._add(metric, metric.name, name if several else None, index, False)
            for spec in self.weighted_lists[index]:
                metric = metrics.resolve_metric(spec, loss, *shapes)
                base = f"weighted_{metric.name}" if metric.name in taken else metric.name
                self._add(metric, base, name if several else None, index, True)
        return [metric for _, metric, _, _ in self.entries]

    def _add(self, metric, base, output, index, weighted) -> None:
        key = base if output is None else f"{output}_{base}"
        metric.name = key
        self.entries.append((key, metric, index, weighted))

    def update_metrics(self, y_true: list, y_pred: list, sample_weights: list) -> None:
        for _, metric, index, weighted in self.entries:
            weight = sample_weights[index] if weighted else None
            metric.update_state(y_true[index], y_pred[index], sample_weight=weight)
