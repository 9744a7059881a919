"""The optimizer base class: parameters, learning rate, common options (state: optimizer_state).

Every optimizer does the same work around its own update rule, in Keras 3's order. One call
of ``step()``:

1. takes the parameters that have a gradient and are trainable (the others are skipped);
2. clips the gradients if ``clipnorm``, ``clipvalue`` or ``global_clipnorm`` is set (into new
   arrays: a gradient array may be shared by several tensors and is never written into);
3. reads the learning rate ``lr`` of this step: the number, or ``schedule(iterations)``,
   divided by ``1 + decay * iterations`` when old Keras's ``decay`` is set;
4. decays the weights if ``weight_decay`` is set: ``p = p - lr * weight_decay * p``
   (decoupled from the gradient, as in Keras 3 and AdamW);
5. applies the optimizer's own rule, :meth:`Optimizer.update_step`, to each parameter, with
   ``t = iterations + 1`` (the step number, 1 for the first update);
6. counts the step: ``iterations += 1``.

Updates write into the parameters' numpy arrays (``p -= ...``) without recording a graph and
bump each parameter's version counter.

State arrays are updated in place: ``m *= beta_1`` then ``m += (1 - beta_1) * g`` is the
formula ``m = beta_1 * m + (1 - beta_1) * g`` without a new array at every step (on big
weights numpy spends more time making new arrays than computing).

The Adam family makes about a dozen passes over every weight per step. On a big weight each
pass streams megabytes from main memory; :func:`cache_blocks` runs the same formula on row
blocks small enough that all passes over one block hit the CPU cache (on a 784x256 kernel
Adam's update measured 1.1 to 1.8 times faster, depending on what else the cache holds).

A subclass lists its per-parameter state arrays in ``slot_names`` (``("m", "v")`` for Adam:
``self.m[i]`` belongs to parameter ``i``), writes ``update_step(i, p, g, lr, t)``, and sets its
hyperparameters *before* calling ``super().__init__`` (which may bind the parameters at once,
and the state it creates can depend on them).
"""

from __future__ import annotations

import inspect
import math
import numbers
import warnings

import numpy as np

from tinygrad_edu.optim import clipping, schedules
from tinygrad_edu.optim.optimizer_state import ResumableState
from tinygrad_edu.tensor import Tensor, bump_versions

__all__ = ["Optimizer", "check_number", "cache_blocks"]

# Elements per array in one block of cache_blocks: 128 KB of float32, so that the parameter,
# its gradient, its state arrays and the temporary arrays (about 1 MB in all) stay in the CPU
# cache together. Measured on a 2 MB-cache machine: 32,768 beat 8,192, 16,384 and 65,536.
BLOCK_ELEMENTS = 32_768


def cache_blocks(*arrays):
    """Views of row blocks of same-shaped arrays, about ``BLOCK_ELEMENTS`` elements each.

    An elementwise update rule gives the same result on every block as on the whole arrays,
    and in-place operations on the views write into the arrays. Small (or 0-d) arrays come
    back whole, as one block.

    >>> import numpy as np
    >>> p, g = np.zeros((40_000, 2)), np.ones((40_000, 2))
    >>> for p_block, g_block in cache_blocks(p, g):
    ...     p_block -= 0.1 * g_block
    >>> len(list(cache_blocks(p, g))), float(p.min())
    (3, -0.1)
    """
    first = arrays[0]
    if first.ndim == 0 or first.size <= 2 * BLOCK_ELEMENTS:
        yield arrays
        return
    rows = max(1, BLOCK_ELEMENTS * first.shape[0] // first.size)
    for start in range(0, first.shape[0], rows):
        yield tuple(array[start:start + rows] for array in arrays)


def check_number(owner, name, value, low=0.0, high=math.inf, low_open=False, high_open=False):
    """``value`` if it is a real number in the interval, else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    below = value <= low if low_open else value < low
    above = value >= high if high_open else value > high
    if math.isnan(value) or below or above:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{owner}: {name} must be in {interval}, got {value!r}")
    return value


class Optimizer(ResumableState):
    """Base class of all optimizers.

    Args:
        params: the tensors to optimize (e.g. ``model.parameters()``), or None to bind them
            later with :meth:`bind` (``compile`` does that). A number here is taken as the
            learning rate, so Keras's ``SGD(0.01)`` works.
        learning_rate: a number >= 0, or a schedule (any callable ``step -> lr``, such as
            :class:`~tinygrad_edu.optim.schedules.ExponentialDecay`). ``lr`` is the old name.
        decay: old Keras's time-based decay, ``lr / (1 + decay * iterations)``.
        weight_decay: decoupled weight decay, ``p = p - lr * weight_decay * p`` before each
            update (Keras 3). PyTorch's ``weight_decay`` (except in AdamW) instead adds
            ``weight_decay * p`` to the gradient (L2 regularization).
        clipnorm: clip each gradient to this L2 norm, separately per parameter.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm.
        name: a label for the optimizer.

    When any clipping option is set, a step whose gradients hold NaN or inf is skipped:
    parameters, optimizer state and ``iterations`` stay as they were, a ``RuntimeWarning``
    names the parameter and ``skipped_steps`` counts it. (Keras 3 lets the NaN through the
    clipping and into the weights and the moments, spoiling them for good.) Without clipping
    nothing is checked, so NaN reaches the weights, as in Keras and PyTorch.
    """

    slot_names: tuple[str, ...] = ()  # per-parameter state arrays, one list each
    scalar_names: tuple[str, ...] = ()  # per-optimizer state numbers (Nadam's u_product)

    def __init__(self, params=None, learning_rate=0.001, *, lr=None, decay=0.0,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **unknown):
        owner = type(self).__name__
        if unknown:
            self._reject_unknown(unknown)
        if isinstance(params, (numbers.Real, schedules.LearningRateSchedule)):
            params, learning_rate = None, params  # Keras style: SGD(0.01)
        if lr is not None:
            learning_rate = lr
        self._schedule = None
        self._learning_rate = 0.0
        self.learning_rate = learning_rate
        self.decay = check_number(owner, "decay", decay)
        if weight_decay is not None:
            check_number(owner, "weight_decay", weight_decay)
        self.weight_decay = weight_decay
        clip_options = {"clipnorm": clipnorm, "clipvalue": clipvalue,
                        "global_clipnorm": global_clipnorm}
        given = [key for key, value in clip_options.items() if value is not None]
        if len(given) > 1:
            raise ValueError(f"{owner}: set only one of clipnorm, clipvalue and global_clipnorm, "
                             f"got {', '.join(given)}")
        for key in given:
            check_number(owner, key, clip_options[key], low_open=True)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.name = name or owner.lower()
        self.iterations = 0  # updates made so far
        self.skipped_steps = 0  # steps skipped because of a non-finite gradient
        self.params = None
        self._pending_state = None
        self._decay_excluded_ids = set()
        self._decay_excluded_names = ()
        if params is not None:
            self.bind(params)

    # ----- the learning rate -----------------------------------------------------------
    @property
    def learning_rate(self):
        """The learning rate: the number (settable, e.g. by ReduceLROnPlateau) or, for a
        schedule, its value at the current step. Old Keras's ``decay`` is not included; see
        :attr:`current_learning_rate`."""
        if self._schedule is not None:
            return float(self._schedule(self.iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(value):
            self._schedule = value
            return
        if self._schedule is not None:
            raise TypeError(
                f"{type(self).__name__}: the learning rate is a schedule "
                f"({self._schedule!r}); set a new schedule, or build the optimizer with a "
                "number to be able to set a number"
            )
        self._learning_rate = float(check_number(type(self).__name__, "learning_rate", value))

    lr = learning_rate  # the old Keras name

    @property
    def current_learning_rate(self) -> float:
        """The learning rate the next update uses (schedule and ``decay`` included)."""
        lr = self._learning_rate if self._schedule is None else float(
            self._schedule(self.iterations))
        if self.decay:
            lr = lr / (1.0 + self.decay * self.iterations)
        return lr

    # ----- parameters ------------------------------------------------------------------
    def bind(self, params) -> Optimizer:
        """Attach the tensors to optimize and create their state (zeros, or the values loaded
        by :meth:`load_state_dict`). Binding the same tensors again keeps the state; binding
        other tensors starts afresh (new state, ``iterations = 0``)."""
        params = self._checked_params(params)
        if self.params is not None:
            if len(params) == len(self.params) and all(
                    a is b for a, b in zip(params, self.params)):
                return self
            self.iterations = 0
        self.params = params
        for slot in self.slot_names:
            setattr(self, slot, [self.make_slot(slot, param.data) for param in params])
        self.init_scalars()
        if self._pending_state is not None:
            state, self._pending_state = self._pending_state, None
            self.load_state_dict(state)
        return self

    def _checked_params(self, params):
        owner = type(self).__name__
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, dict):
            params = params.values()
        elif callable(params) and getattr(params, "__name__", "") == "parameters":
            raise TypeError(f"{owner}: got the method model.parameters itself; call it: "
                            f"{owner}(model.parameters(), ...)")
        elif hasattr(params, "parameters") and callable(params.parameters):
            raise TypeError(f"{owner}: got a {type(params).__name__}, not its parameters; "
                            f"write {owner}(model.parameters(), ...)")
        elif not hasattr(params, "__iter__"):
            raise TypeError(f"{owner}: params must be a list of Tensors, got "
                            f"{type(params).__name__}; pass e.g. model.parameters()")
        checked, seen = [], set()
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(f"{owner}: parameters must be Tensors, got "
                                f"{type(param).__name__}; pass e.g. model.parameters()")
            if param.data.dtype.kind != "f":
                raise TypeError(f"{owner}: cannot optimize a tensor of dtype {param.data.dtype}; "
                                "parameters must be floating")
            if id(param) not in seen:  # a weight shared by two layers is updated once
                seen.add(id(param))
                checked.append(param)
        if not checked:
            raise ValueError(f"{owner}: got an empty parameter list")
        return checked

    def make_slot(self, slot: str, param: np.ndarray):
        """The initial value of state array ``slot`` for a parameter (zeros by default)."""
        return np.zeros_like(param)

    def init_scalars(self) -> None:
        """Set the per-optimizer state numbers listed in ``scalar_names`` (none by default)."""

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``grad = None``)."""
        for param in self.params or ():
            param.grad = None

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Leave some parameters out of ``weight_decay`` (Keras's method): the tensors in
        ``var_list``, and those whose name contains one of the strings in ``var_names``
        (e.g. ``["bias"]``)."""
        self._decay_excluded_ids = {id(param) for param in var_list or ()}
        self._decay_excluded_names = tuple(var_names or ())

    def _decays(self, param) -> bool:
        if id(param) in self._decay_excluded_ids:
            return False
        name = param.name or ""
        return not any(part in name for part in self._decay_excluded_names)

    # ----- one update ------------------------------------------------------------------
    def step(self) -> None:
        """Update every trainable parameter that has a gradient (see the module docstring)."""
        if self.params is None:
            raise RuntimeError(
                f"{type(self).__name__}: no parameters to update; pass them when constructing "
                "(Adam(model.parameters())) or call bind(params) first"
            )
        indices, active, grads = [], [], []
        for i, param in enumerate(self.params):
            grad = param.grad
            if grad is None or not getattr(param, "trainable", True):
                continue
            if grad.data.shape != param.data.shape:
                raise ValueError(
                    f"{type(self).__name__}: gradient of shape {grad.data.shape} for parameter "
                    f"{param.name or i} of shape {param.data.shape}"
                )
            grad = grad.data
            if grad.dtype != param.data.dtype:  # keep the state in the parameter's dtype
                grad = grad.astype(param.data.dtype)
            indices.append(i)
            active.append(param)
            grads.append(grad)
        if not grads:
            warnings.warn(f"{type(self).__name__}.step(): no parameter has a gradient (call "
                          "loss.backward() first); nothing was updated", stacklevel=2)
            return
        if (self.clipnorm is not None or self.clipvalue is not None
                or self.global_clipnorm is not None):
            grads = self._clipped(active, grads)
            if grads is None:
                return
        lr = self.current_learning_rate
        t = self.iterations + 1
        if self.weight_decay:
            shrink = 1.0 - lr * self.weight_decay
            for param in active:
                if self._decays(param):
                    param.data *= shrink
        self.prepare_step(lr, t)
        update_step = self.update_step
        for i, param, g in zip(indices, active, grads):
            update_step(i, param.data, g, lr, t)
        for param in active:  # Keras's kernel_constraint: the one place constraints apply
            constraint = getattr(param, "constraint", None)  # Parameters have one; Tensors not
            if constraint is not None:
                param.data[...] = constraint(param.data)
        bump_versions(active)
        self.iterations = t

    def _clipped(self, params, grads):
        """The clipped gradients, or None (and a warning) when one is not finite."""
        if self.clipnorm is not None:
            norms = [clipping.l2_norm(g) for g in grads]
            bad = [i for i, norm in enumerate(norms) if not math.isfinite(norm)]
        else:
            bad = [i for i, g in enumerate(grads) if not np.isfinite(g).all()]
        if bad:
            self.skipped_steps += 1
            names = ", ".join(f"{params[i].name or 'parameter'} of shape {params[i].shape}"
                              for i in bad)
            warnings.warn(
                f"{type(self).__name__}: skipped step {self.iterations + 1}: the gradient of "
                f"{names} holds NaN or inf; parameters and optimizer state are unchanged",
                RuntimeWarning, stacklevel=3,
            )
            return None
        if self.clipnorm is not None:
            return [clipping.clip_by_norm(g, self.clipnorm, norm) for g, norm in zip(grads, norms)]
        if self.global_clipnorm is not None:
            norm = clipping.global_norm(grads)
            return [clipping.clip_by_norm(g, self.global_clipnorm, norm) for g in grads]
        return [clipping.clip_by_value(g, self.clipvalue) for g in grads]

    def prepare_step(self, lr: float, t: int) -> None:
        """Work done once per step before the parameters are updated (nothing by default)."""

    def update_step(self, i: int, p: np.ndarray, g: np.ndarray, lr: float, t: int) -> None:
        """Update parameter array ``p`` (number ``i``) in place from its gradient ``g``.

        ``lr`` is this step's learning rate and ``t`` the step number (1 for the first).
        ``g`` must not be written into.
        """
        raise NotImplementedError(f"{type(self).__name__} must define update_step")

    # ----- configuration ---------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments (a schedule as plain data), for saving and ``repr``."""
        config = {"learning_rate": self._learning_rate if self._schedule is None else (
            schedules.serialize(self._schedule)
            if isinstance(self._schedule, schedules.LearningRateSchedule) else self._schedule)}
        for cls in type(self).__mro__:
            if "__init__" not in vars(cls):
                continue
            for name, parameter in inspect.signature(cls.__init__).parameters.items():
                if parameter.kind is parameter.KEYWORD_ONLY and name != "lr":
                    config.setdefault(name, getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config: dict) -> Optimizer:
        """An optimizer made from :meth:`get_config`'s output."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        config = self.get_config()
        if self._schedule is not None:
            config["learning_rate"] = self._schedule
        shown = ", ".join(f"{key}={value!r}" for key, value in config.items()
                          if value is not None and key != "name" and (key, value) != ("decay", 0))
        return f"{type(self).__name__}({shown})"

    def _reject_unknown(self, unknown):
        import difflib

        known = set()
        for cls in type(self).__mro__:
            if "__init__" in vars(cls):
                known.update(inspect.signature(cls.__init__).parameters)
        known -= {"self", "unknown", "options"}
        problems = []
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            problems.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise TypeError(f"{type(self).__name__}: unknown argument {', '.join(problems)}; "
                        f"valid arguments: {', '.join(sorted(known))}")

