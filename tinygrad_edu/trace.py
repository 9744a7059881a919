"""Recorders that look inside a network while it trains (numbers only; pictures are in ``viz``).

:class:`GradientTracer` measures, at every (or every k-th) training step and for every layer:

* ``grad_norm``: the L2 norm ``||g||`` of the gradient of the layer's weights,
* ``grad_mean_abs`` and ``grad_max_abs``: the mean and the largest ``|g|`` element,
* ``weight_norm``: ``||w||`` before the step,
* ``update_ratio``: ``||w_after - w_before|| / ||w_before||``, how far the step moved the
  weights relative to their size (about 1e-3 per step is the usual healthy value),
* ``output_grad_norm``: ``||dL/d(output)||``, the gradient arriving at the layer's output,
  caught by a hook on that tensor (so layers without weights, e.g. ``Activation``, have it too).

Each quantity exists per parameter (``parameter="kernel"``) and per layer (``parameter=None``:
all the layer's trainable parameters taken together as one vector).

Why look. Backpropagation hands the loss's gradient from the output layer towards the input,
multiplying it by each layer's Jacobian on the way (the chain rule). With sigmoids
(``sigmoid' <= 0.25``, nearly 0 when saturated) the product can shrink by orders of
magnitude: the layers near the input get almost no gradient and, with plain SGD, hardly
learn (*vanishing* gradient). The mirror image, a product that grows, is an *exploding*
gradient. :meth:`GradientTracer.report` prints the per-layer table and flags both; the
thresholds and their reasons are in :mod:`tinygrad_edu.trace_report`.

:class:`~tinygrad_edu.trace_time.TimeGradientTracer` does the same along the time steps of a
recurrent layer: ``||dL/dh_t||`` for every t.

:class:`ActivationRecorder` keeps the output of each layer (the weight-initialization
experiment: histograms of activations per layer).
"""

from __future__ import annotations

import numbers

import numpy as np

from tinygrad_edu.autograd import no_grad
from tinygrad_edu.callbacks import Callback
from tinygrad_edu.lookup import closest
from tinygrad_edu.tensor import Tensor
from tinygrad_edu.trace_report import EXPLODING_RATIO, VANISHING_RATIO, GradientReport
from tinygrad_edu.trace_time import TimeGradientTracer

__all__ = ["GradientTracer", "TimeGradientTracer", "GradientReport", "ActivationRecorder",
           "record_activations", "QUANTITIES", "VANISHING_RATIO", "EXPLODING_RATIO"]

#: what is recorded per parameter; layers also get ``output_grad_norm``
PARAMETER_QUANTITIES = ("grad_norm", "grad_mean_abs", "grad_max_abs", "weight_norm",
                        "update_ratio")
QUANTITIES = (*PARAMETER_QUANTITIES, "output_grad_norm")


def _select_layers(model, layers, who):
    """[(name, module)]: the given modules/names, or every module owning trainable weights."""
    named = list(model.named_modules())
    if layers is None:
        chosen = [module for _, module in named
                  if any(p.trainable for p in module._parameters.values())]
    else:
        by_key = {path: module for path, module in named}
        by_key.update((module.name, module) for _, module in named)
        chosen = []
        for layer in layers:
            if isinstance(layer, str):
                if layer not in by_key:
                    names = ", ".join(module.name for _, module in named)
                    raise ValueError(f"{who}: the model has no layer {layer!r}; layers: {names}")
                layer = by_key[layer]
            chosen.append(layer)
    names = [module.name for module in chosen]
    if len(set(names)) < len(names):  # a name used twice: fall back to the dotted paths
        path_of = {id(module): path or module.name for path, module in named}
        names = [path_of.get(id(module), module.name) for module in chosen]
    return list(zip(names, chosen))


def _suggest(name, valid) -> str:
    close = closest(name, valid)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _finite_ratio(numerator, denominator) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


class GradientTracer(Callback):
    """Per-layer gradient magnitudes over training steps; a ``fit`` callback or a loop helper.

    Args:
        model: the model to trace (optional when passed to ``fit``: ``set_model`` attaches).
        every: record every ``every``-th training step (steps 0, k, 2k, ...).
        layers: the layers (modules or names) to trace; default: every module that owns
            trainable weights, in the model's order (a Sequential's Dense, BatchNormalization,
            ... layers; ``Activation`` layers have no weights).

    Create it after the model's layers exist (hooks go on the modules present then). In
    ``fit``: ``model.fit(x, y, callbacks=[tracer])``. In an explicit loop, either::

        opt.zero_grad(); loss.backward()
        tracer.before_step()      # gradients and weights now
        opt.step()
        tracer.after_step()       # update ratio of this step

    or the shorter ``loss.backward(); tracer.record(); opt.step()``, where each step's update
    ratio is completed at the next ``record()`` (or when the results are read).

    Results: :attr:`steps`, :attr:`layer_names`, :meth:`series`, :meth:`matrix`,
    :meth:`report`. ``remove()`` detaches the hooks.
    """

    def __init__(self, model=None, every=1, layers=None):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
            raise ValueError(f"GradientTracer: every must be an int >= 1, got {every!r}")
        self.every = int(every)
        self.steps = []  # the training-step numbers that were recorded (0-based)
        self._layer_choice = layers
        self._layers = None  # [(name, module)], resolved at the first measurement
        self._values = {}  # (layer name, parameter key or None) -> quantity -> list
        self._step = 0  # training steps seen so far
        self._handles = []
        self._output_sq = {}  # id(module) -> sum of squared output gradients this step
        self._pending = None  # (record index, weight snapshot, versions) awaiting the update
        self._fit_snapshot = None
        self.non_finite = {}  # layer name -> first step with an inf/NaN gradient
        self.model = None
        if model is not None:
            self._attach(model)

    # ----- attaching ---------------------------------------------------------------------
    def _attach(self, model) -> None:
        if not hasattr(model, "register_forward_hook"):
            raise TypeError(f"GradientTracer: expected a model (a Module), got "
                            f"{type(model).__name__}")
        self.model = model
        modules = (model.modules() if self._layer_choice is None else
                   [m for _, m in _select_layers(model, self._layer_choice, "GradientTracer")])
        self._handles = [m.register_forward_hook(self._forward_hook) for m in modules]

    def set_model(self, model) -> None:
        """Called by ``fit``: attaches to ``model`` (which must be the traced one, if any)."""
        if self.model is None:
            self._attach(model)
        elif model is not self.model:
            raise ValueError(f"GradientTracer: traces model {self.model.name!r}, but fit is "
                             f"training {getattr(model, 'name', model)!r}; make one tracer "
                             "per model")

    def remove(self) -> None:
        """Remove the hooks from the model (the recorded numbers stay)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _due(self) -> bool:
        return self._step % self.every == 0

    def _forward_hook(self, module, inputs, output):
        if isinstance(output, Tensor) and output.requires_grad and self._due():
            key = id(module)

            def catch(grad):
                value = float(np.sum(np.square(grad.data, dtype=np.float64)))
                self._output_sq[key] = self._output_sq.get(key, 0.0) + value

            output.register_hook(catch)

    # ----- measuring -------------------------------------------------------------------
    def _weights(self, module):
        return [(key, p) for key, p in module._parameters.items() if p.trainable]

    def _resolve(self) -> None:
        """Choose the layers once the model has weights (a lazy model builds at its first
        call, which may come after the tracer was made)."""
        if not self._layers:
            self._layers = _select_layers(self.model, self._layer_choice, "GradientTracer")

    def _snapshot(self) -> dict:
        self._resolve()
        return {(name, key): p.data.copy() for name, module in self._layers
                for key, p in self._weights(module)}

    def _append(self, name, key, values: dict) -> None:
        table = self._values.setdefault(
            (name, key), {q: [np.nan] * (len(self.steps) - 1) for q in values})
        for quantity, value in values.items():
            table[quantity].append(value)

    def _measure(self, snapshot) -> int:
        """Gradient statistics of every traced layer now; weight norms from ``snapshot``."""
        self._resolve()
        self.steps.append(self._step)
        output_sq, self._output_sq = self._output_sq, {}
        for name, module in self._layers:
            sq_sum = abs_sum = count = weight_sq = 0.0
            maxima = []
            for key, param in self._weights(module):
                weight = snapshot.get((name, key), np.nan)  # nan: built during this step
                w_sq = float(np.sum(np.square(weight, dtype=np.float64)))
                weight_sq += w_sq
                stats = dict.fromkeys(PARAMETER_QUANTITIES, np.nan)
                stats["weight_norm"] = np.sqrt(w_sq)
                if param.grad is not None:
                    grad = np.abs(param.grad.data.astype(np.float64))
                    g_sq, g_abs = float(np.sum(grad * grad)), float(np.sum(grad))
                    maxima.append(float(np.max(grad, initial=0.0)))
                    stats.update(grad_norm=np.sqrt(g_sq), grad_mean_abs=g_abs / max(grad.size, 1),
                                 grad_max_abs=maxima[-1])
                    sq_sum, abs_sum, count = sq_sum + g_sq, abs_sum + g_abs, count + grad.size
                    if not np.isfinite(g_sq):
                        self.non_finite.setdefault(name, self._step)
                self._append(name, key, stats)
            layer = dict.fromkeys(QUANTITIES, np.nan)
            if count:
                layer.update(grad_norm=np.sqrt(sq_sum), grad_mean_abs=abs_sum / count,
                             grad_max_abs=float(np.max(maxima)))
            if self._weights(module):
                layer["weight_norm"] = np.sqrt(weight_sq)
            if id(module) in output_sq:
                layer["output_grad_norm"] = np.sqrt(output_sq[id(module)])
            self._append(name, None, layer)
        return len(self.steps) - 1

    def _complete(self, index, snapshot) -> None:
        """Fill in the update ratios of record ``index`` from the weights as they are now."""
        for name, module in self._layers:
            delta_sq = weight_sq = 0.0
            for key, param in self._weights(module):
                if (name, key) not in snapshot:
                    return  # the model was built during this step: no "before" weights
                before = snapshot[(name, key)].astype(np.float64)
                delta = param.data.astype(np.float64) - before
                d_sq, w_sq = float(np.sum(delta * delta)), float(np.sum(before * before))
                self._values[(name, key)]["update_ratio"][index] = _finite_ratio(
                    np.sqrt(d_sq), np.sqrt(w_sq))
                delta_sq, weight_sq = delta_sq + d_sq, weight_sq + w_sq
            if self._weights(module):
                self._values[(name, None)]["update_ratio"][index] = _finite_ratio(
                    np.sqrt(delta_sq), np.sqrt(weight_sq))

    def _complete_pending(self, only_if_updated=False) -> None:
        if self._pending is None:
            return
        index, snapshot, versions = self._pending
        if only_if_updated and versions == self._versions():
            return  # the optimizer has not stepped yet: the ratio is not known
        self._complete(index, snapshot)
        self._pending = None

    def _versions(self) -> tuple:
        return tuple(getattr(p, "_version", 0) for _, m in self._layers
                     for _, p in self._weights(m))

    def _require_model(self, who) -> None:
        if self.model is None:
            raise RuntimeError(f"GradientTracer.{who}: no model; pass one: "
                               "GradientTracer(model) or fit(..., callbacks=[tracer])")

    def before_step(self) -> None:
        """Call after ``loss.backward()`` and before ``optimizer.step()``."""
        self._require_model("before_step")
        self._complete_pending()
        if self._due():
            snapshot = self._snapshot()
            self._pending = (self._measure(snapshot), snapshot, self._versions())

    def after_step(self) -> None:
        """Call after ``optimizer.step()``: records the update ratio, counts the step."""
        self._complete_pending()
        self._step += 1

    def record(self) -> None:
        """``before_step()`` and count the step; its update ratio is filled in later."""
        self.before_step()
        self._step += 1

    # ----- as a fit callback ---------------------------------------------------------------
    def on_train_batch_begin(self, batch, logs=None):
        self._complete_pending()
        self._fit_snapshot = self._snapshot() if self._due() else None

    def on_train_batch_end(self, batch, logs=None):
        if self._fit_snapshot is not None:
            self._complete(self._measure(self._fit_snapshot), self._fit_snapshot)
            self._fit_snapshot = None
        self._step += 1

    # ----- reading -------------------------------------------------------------------------
    @property
    def layer_names(self) -> list:
        """The traced layers, from the input side to the output side."""
        return [name for name, _ in self._layers or []]

    def parameter_names(self, layer) -> list:
        """The parameter keys recorded for ``layer`` (e.g. ``["kernel", "bias"]``)."""
        return [key for name, key in self._values if name == layer and key is not None]

    def series(self, quantity, layer, parameter=None) -> np.ndarray:
        """One quantity of one layer (or of its ``parameter``) at each recorded step."""
        self._complete_pending(only_if_updated=True)
        self._check_quantity(quantity, parameter)
        table = self._values.get((layer, parameter))
        if table is None:
            known = self.layer_names if parameter is None else [
                f"{n}.{k}" for n, k in self._values if k is not None]
            raise ValueError(f"GradientTracer.series: nothing recorded for "
                             f"{layer if parameter is None else f'{layer}.{parameter}'!r}; "
                             f"recorded: {', '.join(known) or 'nothing yet'}")
        return np.asarray(table[quantity], dtype=np.float64)

    def matrix(self, quantity="grad_norm", parameter=None):
        """``(layer names, array of shape (layers, recorded steps))``; with ``parameter``
        only the layers that have that parameter."""
        self._check_quantity(quantity, parameter)
        names = [n for n in self.layer_names if (n, parameter) in self._values]
        if parameter is not None and not names and self.steps:
            keys = sorted({k for _, k in self._values if k is not None})
            raise ValueError(f"GradientTracer: no layer has a parameter {parameter!r}"
                             f"{_suggest(parameter, keys)}; recorded: {', '.join(keys)}")
        rows = [self.series(quantity, n, parameter) for n in names]
        return names, np.array(rows, dtype=np.float64).reshape(len(names), len(self.steps))

    def _check_quantity(self, quantity, parameter) -> None:
        if quantity not in QUANTITIES:
            raise ValueError(f"GradientTracer: unknown quantity {quantity!r}"
                             f"{_suggest(quantity, QUANTITIES)}; choose one of "
                             f"{', '.join(QUANTITIES)}")
        if quantity == "output_grad_norm" and parameter is not None:
            raise ValueError("GradientTracer: output_grad_norm belongs to a layer, not to a "
                             "parameter; use parameter=None")

    def report(self, parameter=None, print_fn=print, vanishing_ratio=VANISHING_RATIO,
               exploding_ratio=EXPLODING_RATIO):
        """The per-layer table of gradient norms, with vanishing/exploding flags.

        Args:
            parameter: ``None`` for each layer's weights together, or a parameter key such
                as ``"kernel"`` (layers without it are left out).
            print_fn: called with the table's text; ``None`` prints nothing.
            vanishing_ratio, exploding_ratio: the thresholds (see
                :mod:`tinygrad_edu.trace_report`).

        Returns:
            A :class:`~tinygrad_edu.trace_report.GradientReport` (``rows``, ``vanishing``,
            ``exploding``; ``str()`` is the table).
        """
        result = GradientReport.from_tracer(self, parameter, vanishing_ratio, exploding_ratio)
        if print_fn is not None:
            print_fn(str(result))
        return result


class ActivationRecorder:
    """Keeps the output of chosen layers at every forward pass (the latest one wins).

    Args:
        model: the model.
        layers: modules or names; default: the model's direct sub-layers.

    Use as a context manager (hooks are removed on exit) or call ``remove()``.
    ``activations`` maps layer name -> float64 numpy array.

    >>> from tinygrad_edu.nn import Dense, Sequential
    >>> model = Sequential([Dense(4, activation="sigmoid", input_dim=3), Dense(2)])
    >>> with ActivationRecorder(model) as recorder:
    ...     _ = model(np.ones((5, 3), dtype=np.float32))
    >>> {name: a.shape for name, a in recorder.activations.items()} == {
    ...     model.layers[0].name: (5, 4), model.layers[1].name: (5, 2)}
    True
    """

    def __init__(self, model, layers=None):
        if layers is None:
            layers = model.children() or [model]
        self.layers = _select_layers(model, layers, "ActivationRecorder")
        self.activations = {}
        self._handles = [module.register_forward_hook(self._keeper(name))
                         for name, module in self.layers]

    def _keeper(self, name):
        def keep(module, inputs, output):
            if isinstance(output, Tensor):
                self.activations[name] = np.array(output.data, dtype=np.float64)
        return keep

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def record_activations(model, x, layers=None) -> dict:
    """Run ``model(x)`` once without recording a graph; each layer's output by name."""
    with ActivationRecorder(model, layers) as recorder, no_grad():
        model(x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float32)))
    return {name: recorder.activations[name] for name, _ in recorder.layers
            if name in recorder.activations}
