"""TensorBoard: training curves, weight and gradient histograms and the layer graph, written
as TensorBoard event files (through tensorboardX) in Keras's layout.

Layout, as Keras writes it: ``<log_dir>/train`` holds the training scalars (``epoch_loss``,
``epoch_accuracy``..., ``epoch_learning_rate``, at step = epoch), the batch scalars
(``batch_loss``..., at step = the global batch number, from 1), the histograms and the graph;
``<log_dir>/validation`` holds the validation scalars under the same names (``epoch_loss``
for ``val_loss``) and ``evaluation_loss_vs_iterations`` (at step = optimizer iterations).
Start the viewer with ``tensorboard --logdir <log_dir>``.

Gradients: ``fit`` calls ``on_train_batch_end`` after the optimizer step, before the next
batch clears the gradients, so the parameters' ``.grad`` are those of that batch; the
histograms of an epoch show the last batch's gradients (tags ``<layer>/<weight>/gradient``),
next to the weights (``<layer>/<weight>/histogram``, Keras's tag).
"""

from __future__ import annotations

import os

import numpy as np

from tinygrad_edu.callbacks.base import Callback

__all__ = ["TensorBoard"]


def _summary_writer():
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError("TensorBoard needs tensorboardX: pip install "
                          "'tinygrad-edu[tensorboard]' (or pip install tensorboardX)") from None
    return SummaryWriter


class TensorBoard(Callback):
    """Write TensorBoard logs during ``fit`` (Keras's ``callbacks.TensorBoard``).

    Args:
        log_dir: the folder of the logs (``train/`` and ``validation/`` are made inside).
        histogram_freq: every this many epochs, histograms of every weight and of its
            gradient; 0 (default) writes none.
        write_graph: write the model's layer graph (TensorBoard's Graphs tab).
        update_freq: ``"epoch"`` (default) writes scalars once per epoch; ``"batch"``
            also after every batch; an int ``N`` after every ``N``-th batch.

    Keras's other arguments (``write_images``, ``write_steps_per_second``, ``profile_batch``,
    ``embeddings_freq``, ``embeddings_metadata``) are accepted at their defaults only.

    >>> import tempfile
    >>> import numpy as np
    >>> from tinygrad_edu import nn
    >>> model = nn.Sequential([nn.Dense(1, input_shape=(2,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> logs = tempfile.mkdtemp()
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[TensorBoard(logs, histogram_freq=1)])
    >>> sorted(os.listdir(logs))
    ['train']
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        _summary_writer()  # a missing tensorboardX is reported when the callback is made
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or (
                histogram_freq < 0):
            raise ValueError(f"TensorBoard: histogram_freq must be an integer >= 0, got "
                             f"{histogram_freq!r}")
        if update_freq not in ("epoch", "batch") and (
                isinstance(update_freq, bool) or not isinstance(update_freq, int)
                or update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or an integer "
                             f">= 1, got {update_freq!r}")
        unsupported = {"write_images": write_images, "write_steps_per_second":
                       write_steps_per_second, "profile_batch": profile_batch,
                       "embeddings_freq": embeddings_freq,
                       "embeddings_metadata": embeddings_metadata}
        given = [key for key, value in unsupported.items() if value]
        if given:
            raise ValueError(f"TensorBoard: {', '.join(given)} is not supported; leave it at "
                             "its default")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._writers = {}
        self._global_train_batch = 0
        self._gradients = {}

    # ----- writers -------------------------------------------------------------------------
    def _writer(self, run):
        """The SummaryWriter of ``train`` or ``validation``, made when first needed."""
        if run not in self._writers:
            self._writers[run] = _summary_writer()(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ----- hooks ----------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._close()
        self._global_train_batch = 0
        if self.write_graph:
            from tensorboardX.proto.event_pb2 import Event

            from tinygrad_edu.callbacks.tensorboard_graph import layer_graph

            event = Event(graph_def=layer_graph(self.model).SerializeToString())
            self._writer("train")._get_file_writer().add_event(event)

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            writer = self._writer("train")
            for name, value in (logs or {}).items():
                writer.add_scalar(f"batch_{name}", float(value), step)
        if self.histogram_freq:
            # references only: backward makes new gradient arrays, never writes into these
            self._gradients = {path: tensor.grad for path, tensor in self._named_parameters()
                               if tensor.grad is not None}

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if not logs or optimizer is None:
            return
        writer = self._writer("validation")
        for name, value in logs.items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value),
                              int(optimizer.iterations))

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {key: value for key, value in logs.items() if not key.startswith("val_")}
        validation = {key[4:]: value for key, value in logs.items() if key.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and "learning_rate" not in train:
            train["learning_rate"] = float(optimizer.learning_rate)
        for run, values in (("train", train), ("validation", validation)):
            if values:
                writer = self._writer(run)
                for name, value in values.items():
                    if np.ndim(value) == 0:
                        writer.add_scalar(f"epoch_{name}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_histograms(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        self._close()

    # ----- histograms -----------------------------------------------------------------------
    def _named_parameters(self):
        return [(path.replace(".", "/"), tensor)
                for path, tensor in self.model._layer_ordered_weights()]

    def _log_histograms(self, epoch):
        writer = self._writer("train")
        for path, tensor in self._named_parameters():
            writer.add_histogram(f"{path}/histogram", np.asarray(tensor.data), epoch)
            gradient = self._gradients.get(path)
            if gradient is not None:
                writer.add_histogram(f"{path}/gradient", np.asarray(gradient.data), epoch)
