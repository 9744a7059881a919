"""Hooks: what meets a gradient once it is complete, before it flows on.

``Tensor.register_hook`` and ``Module.register_forward_hook`` hand back a
:class:`RemovableHandle`. The engine calls :func:`_deliver` for a non-leaf tensor that has
hooks, keeps its gradient (``retain_grad``) or is asked for by ``grad()``, and
:func:`_run_hooks` for a leaf with hooks.
"""

from __future__ import annotations

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Returned by ``register_*hook`` calls; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: dict, key: int):
        self._hooks = hooks
        self.key = key

    def remove(self) -> None:
        self._hooks.pop(self.key, None)


def _deliver(tensor, grad_out, capture, captured):
    """A non-leaf's complete gradient meets its hooks, then ``retain_grad`` or ``grad()``."""
    if tensor._hooks:
        grad_out = _run_hooks(tensor, grad_out)
    if capture is not None:
        if tensor in capture:
            captured[tensor] = grad_out
    elif tensor._retains_grad:
        tensor.grad = grad_out if tensor.grad is None else tensor.grad + grad_out
    return grad_out


def _run_hooks(tensor, grad_out):
    for hook in list(tensor._hooks.values()):
        replaced = hook(grad_out)
        if replaced is not None:
            grad_out = replaced
    return grad_out

