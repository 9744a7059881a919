"""One-time notes: a warning that is shown once per process, for a habit worth changing.

Keras 2 code uses names that Keras 3 renamed (``lr`` for ``learning_rate``, the history key
``acc`` for ``accuracy``). The framework accepts them, and says once what the new name is.

>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     note_once("example", "use the new name")
...     note_once("example", "use the new name")
>>> len(caught), str(caught[0].message)
(1, 'use the new name')
"""

from __future__ import annotations

import warnings

__all__ = ["KerasNameNote", "note_once", "forget_notes"]

_noted: set = set()


class KerasNameNote(UserWarning):
    """A Keras 2 name was used: it works, and the note gives the Keras 3 name."""


def note_once(key: str, message: str, stacklevel: int = 3) -> None:
    """Warn with ``message`` (a :class:`KerasNameNote`) the first time ``key`` is noted."""
    if key in _noted:
        return
    _noted.add(key)
    warnings.warn(message, KerasNameNote, stacklevel=stacklevel)


def forget_notes() -> None:
    """Show every note again (tests use it)."""
    _noted.clear()
