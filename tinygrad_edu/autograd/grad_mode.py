"""Grad mode: the process-wide switches every op reads, and the blocks that set them.

``no_grad`` / ``enable_grad`` turn recording off and on (as blocks or decorators);
``detect_anomaly`` makes the engine check every backward rule's result for NaN and inf.
:class:`~tinygrad_edu.autograd.function.Function` reads these switches when an op is applied,
the engine (:mod:`tinygrad_edu.autograd.engine`) when gradients flow back.
"""

from __future__ import annotations

import functools

__all__ = ["state", "is_grad_enabled", "no_grad", "enable_grad", "detect_anomaly"]


class _State:
    """Process-wide switches read on every op (instance attributes: the per-op path is hot,
    and Python reads an object's own attributes faster than its class's)."""

    def __init__(self):
        self.grad_enabled = True
        self.anomaly = False
        # Bumped by every in-place change; a tensor's _version is the clock value of its last.
        self.version_clock = 0
        self.module_path = None  # the module whose forward is running, e.g. "dense_1"


state = _State()


def is_grad_enabled() -> bool:
    """Whether new ops are being recorded into the graph."""
    return state.grad_enabled


class _GradMode:
    """Context manager *and* decorator that sets grad recording on or off."""

    enabled = True

    def __enter__(self):
        self._previous = state.grad_enabled
        state.grad_enabled = self.enabled

    def __exit__(self, *exc_info):
        state.grad_enabled = self._previous
        return False

    def __call__(self, fn):
        mode = type(self)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with mode():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - reads like the context manager it is
    """Stop recording: ops inside produce tensors with no graph and ``requires_grad=False``.

    >>> from tinygrad_edu import Tensor, no_grad
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    enabled = False


class enable_grad(_GradMode):  # noqa: N801
    """Record again inside a ``no_grad`` block (also usable as a decorator)."""

    enabled = True


class detect_anomaly:  # noqa: N801
    """Inside this block, a backward rule that produces NaN or inf raises an error.

    The error names the op and shows the line of user code where its forward ran, so the
    source of a NaN (``log(0) * 0``, a division by zero...) is found at once. Recording the
    creation site of every op is slow, so use it for debugging only.
    """

    def __enter__(self):
        self._previous = state.anomaly
        state.anomaly = True

    def __exit__(self, *exc_info):
        state.anomaly = self._previous
        return False

