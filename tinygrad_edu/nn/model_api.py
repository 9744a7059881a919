"""The Keras model methods every Module has: ``compile``, ``fit``, ``evaluate``, ``predict``.

They are thin doors into :mod:`tinygrad_edu.training`, which sits above ``nn`` (training
needs losses, optimizers, metrics and callbacks), so it is imported when first used.
"""

from __future__ import annotations

__all__ = ["KerasModelAPI", "find_layer"]


def find_layer(model, layers, name=None, index=None):
    """``model.get_layer(name=..., index=...)``: the layer of ``layers`` with that name, or
    at that index, with an error that lists what there is."""
    if (name is None) == (index is None):
        raise ValueError(f"{model.name}.get_layer: give name= or index=, exactly one")
    if index is not None:
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError(f"{model.name}.get_layer: index must be an int, got {index!r}")
        if not -len(layers) <= index < len(layers):
            raise ValueError(f"{model.name}.get_layer: index {index} is out of range; the "
                             f"model has {len(layers)} layers")
        return layers[index]
    for layer in layers:
        if layer.name == name:
            return layer
    raise ValueError(f"{model.name}.get_layer: no layer named {name!r}; the layers are "
                     f"{[layer.name for layer in layers]}")


class KerasModelAPI:
    """Mixin of :class:`~tinygrad_edu.nn.module.Module`: the training entry points."""

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None):
        """Choose optimizer, loss and metrics; see :func:`tinygrad_edu.training.compile`."""
        from tinygrad_edu import training

        training.compile(self, optimizer, loss, metrics, loss_weights, weighted_metrics)

    def fit(self, x, y=None, batch_size=32, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
            class_weight=None, sample_weight=None):
        """Train; returns a History. See :func:`tinygrad_edu.training.fit`."""
        from tinygrad_edu import training

        return training.fit(self, x, y, batch_size, epochs, verbose, callbacks,
                            validation_split, validation_data, shuffle, initial_epoch,
                            class_weight, sample_weight)

    def evaluate(self, x, y=None, batch_size=32, verbose="auto", sample_weight=None,
                 return_dict=False, callbacks=None):
        """Loss and metrics in inference mode; see :func:`tinygrad_edu.training.evaluate`."""
        from tinygrad_edu import training

        return training.evaluate(self, x, y, batch_size, verbose, sample_weight, return_dict,
                                 callbacks)

    def predict(self, x, batch_size=32, verbose="auto", callbacks=None):
        """Outputs as a numpy array, in inference mode without a graph."""
        from tinygrad_edu import training

        return training.predict(self, x, batch_size, verbose, callbacks)

    def train_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """One optimizer step on this batch."""
        from tinygrad_edu import training

        return training.train_on_batch(self, x, y, sample_weight, return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """Loss and metrics on this batch, without updating."""
        from tinygrad_edu import training

        return training.test_on_batch(self, x, y, sample_weight, return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch, in inference mode."""
        from tinygrad_edu import training

        return training.predict_on_batch(self, x)
