"""One random generator for the whole framework, so that one seed reproduces a run.

Initializers, dropout, data shuffling and the toy data sets draw from :func:`generator`
unless given a ``seed`` of their own.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

__all__ = ["manual_seed", "set_random_seed", "generator", "make_generator", "fork_rng"]

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


def set_random_seed(seed: int) -> None:
    """Seed every random stream a Keras program uses, as ``keras.utils.set_random_seed``:
    the framework's (:func:`manual_seed`), numpy's global one (``np.random.seed``) and
    Python's ``random``.

    >>> import tinygrad_edu as tg
    >>> set_random_seed(3); a = tg.randn(2).numpy(), np.random.rand()
    >>> set_random_seed(3); b = tg.randn(2).numpy(), np.random.rand()
    >>> bool((a[0] == b[0]).all()) and a[1] == b[1]
    True
    """
    import random

    manual_seed(seed)
    np.random.seed(int(seed) % 2**32)
    random.seed(int(seed))


def generator() -> np.random.Generator:
    """The shared generator (re-read it after ``manual_seed``; do not keep it)."""
    return _generator


def make_generator(seed=None) -> np.random.Generator:
    """A private generator for ``seed``, or the shared one when ``seed`` is None."""
    if seed is None:
        return _generator
    if isinstance(seed, (np.random.Generator, np.random.SeedSequence, np.random.BitGenerator)):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0 (or None for the shared generator), got "
                         f"{seed!r}")
    return np.random.default_rng(seed)


@contextmanager
def fork_rng(seed: int):
    """Run a block on a random stream of its own, started from ``seed``; the shared stream
    goes on afterwards exactly where it was, as if the block had drawn nothing.

    Estimators use it so that a fit with ``random_state`` repeats exactly, wherever it runs,
    without resetting the user's own stream.

    >>> import tinygrad_edu as tg
    >>> tg.manual_seed(1); first = tg.randn(2).numpy()
    >>> tg.manual_seed(1)
    >>> with fork_rng(7):
    ...     inside = tg.randn(2).numpy()
    >>> bool((tg.randn(2).numpy() == first).all())
    True
    """
    global _generator
    saved = _generator
    manual_seed(seed)
    try:
        yield _generator
    finally:
        _generator = saved
