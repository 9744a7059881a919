"""Keras-style training: ``compile``, ``fit``, ``evaluate``, ``predict`` for any Module.

What ``fit`` does each step is exactly the explicit loop (nothing hidden)::

    y_pred = model(x_batch)                                  # training mode
    loss = loss_fn(y_batch, y_pred, sample_weight) + sum(model.regularization_losses())
    optimizer.zero_grad(); loss.backward(); optimizer.step()

plus bookkeeping: shuffling, batching, metrics, callbacks, progress output. These functions
are also methods of every Module (``model.fit(...)``).

Keras conventions kept: ``validation_split`` takes the *last* fraction of the data, before
shuffling; the logged loss includes the regularization penalties; epoch values are averages
over the epoch's samples; validation metrics get a ``val_`` prefix.
"""

from __future__ import annotations

from contextlib import nullcontext

from tinygrad_edu import training_checks as check
from tinygrad_edu import training_data as data
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.tensor import Tensor
from tinygrad_edu.threads import with_automatic_threads
from tinygrad_edu.training_outputs import OutputPlan, output_list

__all__ = ["compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch",
           "predict_on_batch"]


class _Compiled:
    """What ``compile`` fixed: optimizer, loss, metric names and objects."""

    def __init__(self, optimizer, loss, metric_specs, loss_weights, weighted_metric_specs=None):
        self.optimizer = optimizer
        self.loss = loss
        self.metric_specs = metric_specs
        self.weighted_metric_specs = weighted_metric_specs
        self.loss_weights = loss_weights
        self.plan = OutputPlan(loss, loss_weights, metric_specs, weighted_metric_specs)
        self.metrics = None  # built at the first batch, when label shapes are known


def compile(model, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,  # noqa: A001
            weighted_metrics=None):
    """Choose the optimizer, the loss and the metrics (names or objects, as in Keras).

    Args:
        model: the Module to train.
        optimizer: a name ("sgd", "adam", "nadam", ...) or an optimizer object.
        loss: a name ("categorical_crossentropy", "mse", ...), a Loss or a callable
            ``loss(y_true, y_pred)``; for several outputs one for all, a list in output
            order or a dict keyed by output name.
        metrics: names ("accuracy", "mae", ...) or metric objects, computed without sample
            weights; for several outputs a list of lists or a dict by output name.
        loss_weights: for several outputs, the weight of each output's loss in the total
            (a list or a dict by output name).
        weighted_metrics: metrics weighted by ``sample_weight``/``class_weight``, as in
            Keras 3 (logged as ``weighted_<name>`` when a plain metric has that name).
    """
    from tinygrad_edu import losses, optim

    if loss is None:
        raise ValueError("compile: a loss is required, e.g. loss='categorical_crossentropy'")
    optimizer = optim.get(optimizer) if not isinstance(optimizer, optim.Optimizer) else optimizer
    params = model.parameters()
    if params:
        optimizer.bind(params)
    if isinstance(loss, dict):
        loss_objects = {key: losses.get_loss(item) for key, item in loss.items()}
    elif isinstance(loss, (list, tuple)):
        loss_objects = [losses.get_loss(item) for item in loss]
    else:
        loss_objects = losses.get_loss(loss)
    metric_specs = metrics if isinstance(metrics, dict) else check.metric_list(metrics)
    weighted_specs = (weighted_metrics if isinstance(weighted_metrics, dict)
                      else check.metric_list(weighted_metrics, "weighted_metrics"))
    compiled = _Compiled(optimizer, loss_objects, metric_specs, loss_weights, weighted_specs)
    compiled.plan.check_names(getattr(model, "output_names", None) or [])
    compiled.loss_spec = loss  # as given (a name stays a name in saved files)
    model._compiled = compiled
    model.optimizer = optimizer
    model.loss = loss_objects
    model.stop_training = False


def _compiled(model, who):
    compiled = getattr(model, "_compiled", None)
    if compiled is None:
        raise RuntimeError(f"{who}: call model.compile(optimizer=..., loss=...) first")
    return compiled


def _output_names(model, y_pred) -> list:
    """The names of the outputs the model returned (Keras's ``output_names``)."""
    names = getattr(model, "output_names", None)
    if isinstance(y_pred, dict):
        return list(y_pred)
    count = len(y_pred) if isinstance(y_pred, (list, tuple)) else 1
    if names and len(names) == count:
        return list(names)
    return [f"output_{index + 1}" for index in range(count)] if count > 1 else ["output"]


def _step(model, compiled, x, y, sample_weight, training):
    """One batch: forward, loss (+ regularization), and in training backward and update.
    Returns (total loss, loss of each output)."""
    plan = compiled.plan
    with nullcontext() if training else no_grad():
        y_pred = model(data.as_tensors(x))
        if plan.names is None:
            plan.resolve(_output_names(model, y_pred), getattr(model, "output_names", None))
        predictions = output_list(y_pred, plan.names, "fit", "the model's output")
        targets = output_list(y, plan.names, "fit", "y")
        weights = (output_list(sample_weight, plan.names, "fit", "sample_weight")
                   if isinstance(sample_weight, (list, dict))
                   else [sample_weight] * len(plan.names))
        loss, per_output = None, []
        for loss_fn, factor, prediction, target, weight in zip(
                plan.losses, plan.weights, predictions, targets, weights):
            if loss_fn is None:
                per_output.append(None)
                continue
            term = loss_fn(Tensor._wrap(target), prediction,
                           sample_weight=None if weight is None else Tensor._wrap(weight))
            per_output.append(float(term.data))
            term = term if factor == 1.0 else term * factor
            loss = term if loss is None else loss + term
        for penalty in model.regularization_losses():
            loss = loss + penalty
    if training:
        optimizer = compiled.optimizer
        if optimizer.params is None:  # a lazily built model has weights only from now on
            optimizer.bind(model.parameters())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    arrays = [prediction.data for prediction in predictions]
    if compiled.metrics is None:
        compiled.metrics = plan.build_metrics(targets, arrays)
        model.metrics = compiled.metrics
    plan.update_metrics(targets, arrays, weights)
    return float(loss.data), per_output


class _Running:
    """Sample-weighted running means of the loss and each output's loss, plus the metrics'
    current results."""

    def __init__(self, compiled):
        self.compiled = compiled
        self.total, self.count, self.per_output = 0.0, 0, None
        for metric in compiled.metrics or []:
            metric.reset_state()

    def add(self, losses, count):
        loss, per_output = losses
        self.total += loss * count
        self.count += count
        if self.per_output is None:
            self.per_output = [0.0] * len(per_output)
        for index, value in enumerate(per_output):
            if value is not None:
                self.per_output[index] += value * count

    def logs(self) -> dict:
        count = max(self.count, 1)
        logs = {"loss": self.total / count}
        plan = self.compiled.plan
        if plan.loss_keys is not None and self.per_output is not None:
            for key, value, loss in zip(plan.loss_keys, self.per_output, plan.losses):
                if key is not None and loss is not None:
                    logs[key] = value / count
        for metric in self.compiled.metrics or []:
            logs[metric.name] = float(metric.result())
        return logs


@with_automatic_threads
def fit(model, x, y=None, batch_size=32, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
        class_weight=None, sample_weight=None):
    """Train for ``epochs`` passes over the data; returns a History (``.history`` dict).

    Args as in Keras's ``Model.fit``. ``validation_split`` (0 to 1) holds out the last
    fraction of ``x``/``y`` (taken before shuffling); ``validation_data`` is ``(x, y)`` or
    ``(x, y, sample_weight)``. ``class_weight`` maps class index -> weight of its samples.
    ``verbose``: ``"auto"``/1 a progress bar, 2 one line per epoch, 0 silent.

    Threads: with ``batch_size`` up to 128, fit runs numpy's matrix products on one thread
    (and restores the count after), because on 2 cores a second thread gains little there and
    loses several times when another process is busy: the course's MLP at batch 32 took
    1.6-3.1 ms per step on one thread and 2.0-35 ms on two, 2.5-7.7 against 11-48 ms next to
    one busy process (three runs of bench/bench_threads.py, bench/README.md). A count chosen
    with ``tinygrad_edu.set_num_threads`` or ``OMP_NUM_THREADS`` is always kept.
    """
    from tinygrad_edu.callbacks import CallbackList
    from tinygrad_edu.progress import ProgressDisplay

    compiled = _compiled(model, "fit")
    batch_size = check.positive_int("fit", "batch_size", 32 if batch_size is None else batch_size)
    epochs = check.non_negative_int("fit", "epochs", epochs)
    initial_epoch = check.non_negative_int("fit", "initial_epoch", initial_epoch)
    verbose = check.verbosity("fit", verbose)
    shuffle = check.flag("fit", "shuffle", shuffle)
    validation_split = check.fraction("fit", "validation_split", validation_split)
    validation_data = check.validation_tuple("fit", validation_data)
    class_weight = check.class_weights(class_weight)
    callbacks = check.callback_list("fit", callbacks)
    if y is None:
        raise TypeError("fit: y is required (got None)")
    x, y, sample_weight, count = data.model_data(model, "fit", x, y, sample_weight)
    if class_weight:
        class_sample_weight = data.class_sample_weights(y, class_weight)
        sample_weight = (class_sample_weight if sample_weight is None
                         else sample_weight * class_sample_weight)
    if validation_data is None and validation_split > 0:
        split = int(count * (1.0 - validation_split))
        validation_data = (data.take(x, slice(split, None)), data.take(y, slice(split, None)))
        x, y = data.take(x, slice(None, split)), data.take(y, slice(None, split))
        sample_weight = None if sample_weight is None else data.take(sample_weight,
                                                                     slice(None, split))
        count = split
    if count == 0:
        raise ValueError("fit: no training samples (is validation_split too large?)")
    steps = -(-count // batch_size)
    callback_list = CallbackList(callbacks, add_history=True, model=model, verbose=verbose,
                                 epochs=epochs, steps=steps)
    display = ProgressDisplay(verbose, epochs, steps)
    model.stop_training = False
    callback_list.on_train_begin()
    logs = {}
    for epoch in range(initial_epoch, epochs):
        model.train()
        callback_list.on_epoch_begin(epoch)
        display.epoch_begin(epoch)
        running = _Running(compiled)
        for batch, index in enumerate(data.batches(count, batch_size, shuffle)):
            callback_list.on_train_batch_begin(batch)
            x_batch, y_batch = data.take(x, index), data.take(y, index)
            weights = None if sample_weight is None else data.take(sample_weight, index)
            running.add(_step(model, compiled, x_batch, y_batch, weights, training=True),
                        data.sample_count(x_batch, "fit", "x"))
            logs = running.logs()
            display.batch_end(batch, logs)
            callback_list.on_train_batch_end(batch, logs)
            if model.stop_training:
                break
        if validation_data is not None:
            val_weights = validation_data[2] if len(validation_data) > 2 else None
            val_logs = _evaluate(model, compiled, *validation_data[:2], batch_size, val_weights,
                                 callback_list)
            logs.update({f"val_{key}": value for key, value in val_logs.items()})
        display.epoch_end(logs)
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    model.eval()
    callback_list.on_train_end(logs)
    return callback_list.history


def _evaluate(model, compiled, x, y, batch_size, sample_weight, callback_list=None,
              display=None):
    """Loss and metrics over (x, y) in inference mode; calls the on_test_* hooks and
    updates ``display`` (a progress.PassDisplay) after each batch."""
    if y is None:
        raise TypeError("evaluate: y is required (got None)")
    x, y, sample_weight, count = data.model_data(model, "evaluate", x, y, sample_weight)
    was_training = model.training
    model.eval()
    running = _Running(compiled)
    if callback_list is not None:
        callback_list.on_test_begin()
    try:
        for batch, index in enumerate(data.batches(count, batch_size, shuffle=False)):
            if callback_list is not None:
                callback_list.on_test_batch_begin(batch)
            weights = None if sample_weight is None else data.take(sample_weight, index)
            x_batch = data.take(x, index)
            running.add(_step(model, compiled, x_batch, data.take(y, index), weights,
                              training=False), data.sample_count(x_batch, "evaluate", "x"))
            if callback_list is not None:
                callback_list.on_test_batch_end(batch, running.logs())
            if display is not None:
                display.update(batch + 1, running.logs())
    finally:
        model.train(was_training)
    logs = running.logs()
    if display is not None:
        display.finish(logs)
    if callback_list is not None:
        callback_list.on_test_end(logs)
    return logs


def evaluate(model, x, y=None, batch_size=32, verbose="auto", sample_weight=None,
             return_dict=False, callbacks=None):
    """Loss and metrics on ``(x, y)`` in inference mode, without recording a graph.

    Returns the loss alone when there are no metrics, else ``[loss, metric...]`` (or a dict
    with ``return_dict=True``), as Keras does. ``verbose``: ``"auto"``/1 a progress bar, 2 one
    line, 0 silent.
    """
    from tinygrad_edu.callbacks import CallbackList
    from tinygrad_edu.progress import PassDisplay

    compiled = _compiled(model, "evaluate")
    batch_size = check.positive_int("evaluate", "batch_size", batch_size)
    verbose = check.verbosity("evaluate", verbose)
    callbacks = check.callback_list("evaluate", callbacks)
    callback_list = CallbackList(callbacks, model=model, verbose=verbose) if callbacks else None
    count = data.sample_count(data.as_arrays(x, "evaluate", "x", data.several_inputs(model)),
                              "evaluate", "x")
    display = PassDisplay(verbose, -(-count // batch_size)) if verbose else None
    logs = _evaluate(model, compiled, x, y, batch_size, sample_weight, callback_list,
                     display)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model, x, batch_size=32, verbose="auto", callbacks=None):
    """Model outputs for ``x`` as a numpy array: inference mode, no graph recorded.

    ``verbose``: ``"auto"``/1 a progress bar, 2 one line, 0 silent.
    """
    from tinygrad_edu.callbacks import CallbackList
    from tinygrad_edu.progress import PassDisplay

    batch_size = check.positive_int("predict", "batch_size", batch_size)
    verbose = check.verbosity("predict", verbose)
    callbacks = check.callback_list("predict", callbacks)
    x, _, _, count = data.model_data(model, "predict", x)
    callback_list = CallbackList(callbacks, model=model, verbose=verbose)
    display = PassDisplay(verbose, -(-count // batch_size)) if verbose else None
    was_training = model.training
    model.eval()
    outputs = []
    callback_list.on_predict_begin()
    try:
        with no_grad():
            for batch, index in enumerate(data.batches(count, batch_size, shuffle=False)):
                callback_list.on_predict_batch_begin(batch)
                outputs.append(data.as_numpy(model(data.as_tensors(data.take(x, index)))))
                callback_list.on_predict_batch_end(batch, {"outputs": outputs[-1]})
                if display is not None:
                    display.update(batch + 1)
    finally:
        model.train(was_training)
    if display is not None:
        display.finish()
    callback_list.on_predict_end()
    if not outputs:
        raise ValueError("predict: x holds no samples")
    return data.joined(outputs)


def _on_batch(model, x, y, sample_weight, training, return_dict, who):
    compiled = _compiled(model, who)
    if y is None:
        raise TypeError(f"{who}: y is required (got None)")
    x, y, sample_weight, count = data.model_data(model, who, x, y, sample_weight)
    was_training = model.training
    model.train(training)
    running = _Running(compiled)
    try:
        running.add(_step(model, compiled, x, y, sample_weight, training), count)
    finally:
        model.train(was_training)
    logs = running.logs()
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def train_on_batch(model, x, y, sample_weight=None, return_dict=False):
    """One optimizer step on exactly this batch; returns its loss (and metrics)."""
    return _on_batch(model, x, y, sample_weight, True, return_dict, "train_on_batch")


def test_on_batch(model, x, y, sample_weight=None, return_dict=False):
    """Loss (and metrics) on this batch in inference mode, without updating anything."""
    return _on_batch(model, x, y, sample_weight, False, return_dict, "test_on_batch")


def predict_on_batch(model, x):
    """Model outputs for one batch, in inference mode."""
    count = data.sample_count(data.as_arrays(x, "predict_on_batch", "x",
                                             data.several_inputs(model)), "predict_on_batch", "x")
    return predict(model, x, batch_size=max(count, 1), verbose=0)
