"""What an optimizer saves to resume exactly: its step count, learning rate and state arrays.

A mixin of :class:`~tinygrad_edu.optim.optimizer.Optimizer`, apart so that the update rules
read on their own. It uses the optimizer's ``params``, ``slot_names``, ``scalar_names``,
``iterations``, ``skipped_steps`` and learning rate; state loaded before the parameters are
known waits in ``_pending_state`` until ``bind``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ResumableState"]


class ResumableState:
    """``state_dict`` / ``load_state_dict`` of every optimizer."""

    def state_dict(self) -> dict:
        """Everything needed to resume exactly: plain data and copies of numpy arrays.

        ``{"optimizer": class name, "iterations": int, "learning_rate": float or None (for a
        schedule), "skipped_steps": int, "slots": {slot: [array or None per parameter]},
        "scalars": {name: float}}``.
        """
        if self.params is None and self._pending_state is not None:
            return copy_state(self._pending_state)
        return {
            "optimizer": type(self).__name__,
            "iterations": self.iterations,
            "learning_rate": None if self._schedule is not None else self._learning_rate,
            "skipped_steps": self.skipped_steps,
            "slots": {slot: [None if a is None else a.copy() for a in getattr(self, slot, [])]
                      for slot in self.slot_names},
            "scalars": {name: getattr(self, name) for name in self.scalar_names},
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned (the arrays are copied).

        On an optimizer without parameters yet, the state is kept and applied by :meth:`bind`.
        """
        owner = type(self).__name__
        if state.get("optimizer") != owner:
            raise ValueError(f"{owner}.load_state_dict: the state belongs to a "
                             f"{state.get('optimizer')!r} optimizer")
        slots = state["slots"]
        if set(slots) != set(self.slot_names):
            raise ValueError(f"{owner}.load_state_dict: state arrays {sorted(slots)} do not match "
                             f"this optimizer's {sorted(self.slot_names)} (other options?)")
        if self.params is None:
            self._pending_state = copy_state(state)
            return
        for slot in self.slot_names:
            saved = slots[slot]
            if len(saved) != len(self.params):
                raise ValueError(f"{owner}.load_state_dict: {len(saved)} saved '{slot}' arrays "
                                 f"for {len(self.params)} parameters")
            current = getattr(self, slot)
            for i, (old, new) in enumerate(zip(current, saved)):
                if (old is None) != (new is None) or (
                        old is not None and np.shape(new) != old.shape):
                    raise ValueError(f"{owner}.load_state_dict: '{slot}' of parameter {i} has "
                                     f"shape {np.shape(new)}, expected {np.shape(old)}")
            setattr(self, slot, [None if new is None else np.array(new, dtype=old.dtype)
                                 for old, new in zip(current, saved)])
        for name in self.scalar_names:
            setattr(self, name, state["scalars"][name])
        self.iterations = int(state["iterations"])
        self.skipped_steps = int(state.get("skipped_steps", 0))
        if state.get("learning_rate") is not None and self._schedule is None:
            self.learning_rate = state["learning_rate"]


def copy_state(state: dict) -> dict:
    """A copy of a state dict whose arrays and scalars the original no longer shares."""
    copied = dict(state)
    copied["slots"] = {slot: [None if a is None else np.array(a, copy=True) for a in arrays]
                       for slot, arrays in state["slots"].items()}
    copied["scalars"] = dict(state.get("scalars", {}))
    return copied
