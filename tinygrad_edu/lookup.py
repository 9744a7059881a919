"""Finding things by name, and the error when a name is unknown.

Every registry of the framework (activations, initializers, regularizers, losses, metrics,
optimizers) answers a misspelt name the same way: which name was not found, the closest valid
one, and the full list.
"""

from __future__ import annotations

import difflib

__all__ = ["closest", "did_you_mean", "unknown_name"]


def closest(name, valid, count: int = 1, cutoff: float = 0.6) -> list:
    """The valid names most similar to ``name`` (at most ``count``; maybe none)."""
    return difflib.get_close_matches(str(name), list(valid), n=count, cutoff=cutoff)


def did_you_mean(name, valid, count: int = 1, cutoff: float = 0.6) -> str:
    """``" Did you mean 'relu'?"`` for the closest valid names, or ``""`` when none is close.

    >>> did_you_mean("rleu", ["relu", "tanh"])
    " Did you mean 'relu'?"
    """
    close = closest(name, valid, count, cutoff)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def unknown_name(kind: str, name, valid, count: int = 1, cutoff: float = 0.6) -> ValueError:
    """The ValueError for an unknown ``kind`` name, with a suggestion and the valid names.

    >>> str(unknown_name("activation", "rleu", ["relu", "tanh"]))
    "Unknown activation 'rleu'. Did you mean 'relu'? Valid names: relu, tanh"
    """
    valid = list(valid)
    hint = did_you_mean(name, valid, count, cutoff)
    return ValueError(f"Unknown {kind} {name!r}.{hint} Valid names: {', '.join(valid)}")
