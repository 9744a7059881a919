"""One random generator for the whole framework, so that one seed reproduces a run.

Initializers, dropout, data shuffling and the toy data sets draw from :func:`generator`
unless given a ``seed`` of their own.
"""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "generator", "make_generator"]

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Restart the framework's random stream from ``seed``.

    >>> import tinygrad_edu as tg
    >>> tg.manual_seed(0); a = tg.randn(3).numpy()
    >>> tg.manual_seed(0); b = tg.randn(3).numpy()
    >>> bool((a == b).all())
    True
    """
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _generator = np.random.default_rng(int(seed))


def generator() -> np.random.Generator:
    """The shared generator (re-read it after ``manual_seed``; do not keep it)."""
    return _generator


def make_generator(seed=None) -> np.random.Generator:
    """A private generator for ``seed``, or the shared one when ``seed`` is None."""
    return _generator if seed is None else np.random.default_rng(seed)
