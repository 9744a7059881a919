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

import numpy as np

from tinygrad_edu import training_checks as check
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.random import generator
from tinygrad_edu.tensor import DEFAULT_FLOAT, Tensor
from tinygrad_edu.threads import with_automatic_threads

__all__ = ["compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch",
           "predict_on_batch"]


class _Compiled:
    """What ``compile`` fixed: optimizer, loss, metric names and objects."""

    def __init__(self, optimizer, loss, metric_specs, loss_weights):
        self.optimizer = optimizer
        self.loss = loss
        self.metric_specs = metric_specs
        self.loss_weights = loss_weights
        self.metrics = None  # built at the first batch, when label shapes are known


def compile(model, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None):  # noqa: A001
    """Choose the optimizer, the loss and the metrics (names or objects, as in Keras).

    Args:
        model: the Module to train.
        optimizer: a name ("sgd", "adam", "nadam", ...) or an optimizer object.
        loss: a name ("categorical_crossentropy", "mse", ...), a Loss or a callable
            ``loss(y_true, y_pred)``.
        metrics: names ("accuracy", "mae", ...) or metric objects.
        loss_weights: for models with several outputs, one weight per output.
    """
    from tinygrad_edu import losses, optim

    if loss is None:
        raise ValueError("compile: a loss is required, e.g. loss='categorical_crossentropy'")
    optimizer = optim.get(optimizer) if not isinstance(optimizer, optim.Optimizer) else optimizer
    params = model.parameters()
    if params:
        optimizer.bind(params)
    loss_objects = ([losses.get_loss(item) for item in loss] if isinstance(loss, (list, tuple))
                    else losses.get_loss(loss))
    model._compiled = _Compiled(optimizer, loss_objects, check.metric_list(metrics), loss_weights)
    model._compiled.loss_spec = loss  # as given (a name stays a name in saved files)
    model.optimizer = optimizer
    model.loss = loss_objects
    model.stop_training = False


def _compiled(model, who):
    compiled = getattr(model, "_compiled", None)
    if compiled is None:
        raise RuntimeError(f"{who}: call model.compile(optimizer=..., loss=...) first")
    return compiled


def _array(values, who, what):
    """Inputs as numpy: floats and small integers (pixels) become float32."""
    if isinstance(values, Tensor):
        values = values.data
    if values is None:
        raise TypeError(f"{who}: {what} is required (got None)")
    try:
        array = np.asarray(values)
    except ValueError:  # numpy >= 1.24 refuses ragged nested lists outright
        raise ValueError(f"{who}: {what} is a ragged list (rows of different lengths); every "
                         "sample needs the same shape: pad or crop them first") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {what} must be numeric, got dtype {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"{who}: {what} must be an array of samples (batch axis first), got "
                         f"the single number {array.item()!r}")
    if array.dtype != DEFAULT_FLOAT and (what == "x" or array.dtype.kind == "f"):
        array = array.astype(DEFAULT_FLOAT)
    return array


def _check_lengths(who, x, y, sample_weight=None):
    if y is not None and len(x) != len(y):
        raise ValueError(f"{who}: x has {len(x)} samples but y has {len(y)}; they must match")
    if sample_weight is not None and len(sample_weight) != len(x):
        raise ValueError(f"{who}: sample_weight has {len(sample_weight)} entries for "
                         f"{len(x)} samples")


def _build_metrics(model, compiled, y_true, y_pred):
    """Metric objects; "accuracy" becomes binary/sparse/categorical from loss and shapes."""
    from tinygrad_edu import metrics

    loss = compiled.loss[0] if isinstance(compiled.loss, list) else compiled.loss
    compiled.metrics = [metrics.resolve_metric(spec, loss, y_true.shape, y_pred.shape)
                        for spec in compiled.metric_specs]
    model.metrics = compiled.metrics


def _loss_value(compiled, y_true, y_pred, sample_weight):
    """The compiled loss as a Tensor (weighted sum over outputs for multi-output models)."""
    weight = None if sample_weight is None else Tensor._wrap(sample_weight)
    if isinstance(compiled.loss, list):
        outputs = y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]
        weights = compiled.loss_weights or [1.0] * len(outputs)
        total = None
        for loss_fn, w, out, target in zip(compiled.loss, weights, outputs, y_true):
            term = loss_fn(target, out, sample_weight=weight) * w
            total = term if total is None else total + term
        return total
    return compiled.loss(y_true, y_pred, sample_weight=weight)


def _step(model, compiled, x, y, sample_weight, training):
    """One batch: forward, loss (+ regularization), and in training backward and update."""
    with nullcontext() if training else no_grad():
        y_pred = model(Tensor._wrap(x))
        loss = _loss_value(compiled, Tensor._wrap(y), y_pred, sample_weight)
        for penalty in model.regularization_losses():
            loss = loss + penalty
    if training:
        optimizer = compiled.optimizer
        if optimizer.params is None:  # a lazily built model has weights only from now on
            optimizer.bind(model.parameters())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    prediction = y_pred.data if isinstance(y_pred, Tensor) else y_pred[0].data
    if compiled.metrics is None:
        _build_metrics(model, compiled, y, prediction)
    for metric in compiled.metrics:
        metric.update_state(y, prediction, sample_weight=sample_weight)
    return float(loss.data)


def _batches(count, batch_size, shuffle):
    order = generator().permutation(count) if shuffle else None
    for start in range(0, count, batch_size):
        yield slice(start, start + batch_size) if order is None else order[start:start +
                                                                           batch_size]


class _Running:
    """Sample-weighted running mean of the loss, plus the metrics' current results."""

    def __init__(self, compiled):
        self.compiled = compiled
        self.total, self.count = 0.0, 0
        for metric in compiled.metrics or []:
            metric.reset_state()

    def add(self, loss, count):
        self.total += loss * count
        self.count += count

    def logs(self) -> dict:
        logs = {"loss": self.total / max(self.count, 1)}
        for metric in self.compiled.metrics or []:
            logs[metric.name] = float(metric.result())
        return logs


def _class_weights(y, class_weight):
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    table = np.ones(int(max(labels.max(), max(class_weight)) + 1), dtype=DEFAULT_FLOAT)
    for label, weight in class_weight.items():
        table[int(label)] = weight
    return table[labels.astype(np.int64)]


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
    (and restores the count after), because two threads gain nothing there on 2 cores and lose
    several times when another process is busy: on the course's MLP at batch 32, 2.1 ms per
    step on one thread, 2.0 ms (third quartile 21 ms) on two, and 4.0 vs 40 ms next to one
    busy process (bench/bench_threads.py, bench/README.md). A count chosen with
    ``tinygrad_edu.set_num_threads`` or ``OMP_NUM_THREADS`` is always kept.
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
    x, y = _array(x, "fit", "x"), _array(y, "fit", "y")
    sample_weight = None if sample_weight is None else _array(sample_weight, "fit", "weights")
    _check_lengths("fit", x, y, sample_weight)
    if class_weight:
        class_sample_weight = _class_weights(y, class_weight)
        sample_weight = (class_sample_weight if sample_weight is None
                         else sample_weight * class_sample_weight)
    if validation_data is None and validation_split > 0:
        split = int(len(x) * (1.0 - validation_split))
        validation_data = (x[split:], y[split:])
        x, y = x[:split], y[:split]
        sample_weight = None if sample_weight is None else sample_weight[:split]
    if len(x) == 0:
        raise ValueError("fit: no training samples (is validation_split too large?)")
    steps = -(-len(x) // batch_size)
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
        for batch, index in enumerate(_batches(len(x), batch_size, shuffle)):
            callback_list.on_train_batch_begin(batch)
            x_batch, y_batch = x[index], y[index]
            weights = None if sample_weight is None else sample_weight[index]
            running.add(_step(model, compiled, x_batch, y_batch, weights, training=True),
                        len(x_batch))
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
    x, y = _array(x, "evaluate", "x"), _array(y, "evaluate", "y")
    sample_weight = None if sample_weight is None else _array(sample_weight, "evaluate", "w")
    _check_lengths("evaluate", x, y, sample_weight)
    was_training = model.training
    model.eval()
    running = _Running(compiled)
    if callback_list is not None:
        callback_list.on_test_begin()
    try:
        for batch, index in enumerate(_batches(len(x), batch_size, shuffle=False)):
            if callback_list is not None:
                callback_list.on_test_batch_begin(batch)
            weights = None if sample_weight is None else sample_weight[index]
            running.add(_step(model, compiled, x[index], y[index], weights, training=False),
                        len(x[index]))
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
    display = PassDisplay(verbose, -(-len(x) // batch_size)) if verbose else None
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
    x = _array(x, "predict", "x")
    callback_list = CallbackList(callbacks, model=model, verbose=verbose)
    display = PassDisplay(verbose, -(-len(x) // batch_size)) if verbose else None
    was_training = model.training
    model.eval()
    outputs = []
    callback_list.on_predict_begin()
    try:
        with no_grad():
            for batch, index in enumerate(_batches(len(x), batch_size, shuffle=False)):
                callback_list.on_predict_batch_begin(batch)
                outputs.append(model(Tensor._wrap(x[index])).data)
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
    return np.concatenate(outputs, axis=0)


def _on_batch(model, x, y, sample_weight, training, return_dict, who):
    compiled = _compiled(model, who)
    x, y = _array(x, who, "x"), _array(y, who, "y")
    sample_weight = None if sample_weight is None else _array(sample_weight, who, "weights")
    _check_lengths(who, x, y, sample_weight)
    was_training = model.training
    model.train(training)
    running = _Running(compiled)
    try:
        running.add(_step(model, compiled, x, y, sample_weight, training), len(x))
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
    return predict(model, x, batch_size=max(len(x), 1), verbose=0)
