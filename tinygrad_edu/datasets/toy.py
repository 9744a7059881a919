"""Small 2-D data sets that need no files: spirals, moons and circles.

They are made for seeing what a network learns: a linear model cannot separate any of them,
one hidden layer can. All return ``(x, y)`` with ``x`` float32 of shape (n, 2) and ``y``
int64 class labels of shape (n,).

Randomness: ``seed=None`` draws from the framework's shared generator (so
``tinygrad_edu.manual_seed`` reproduces a run); an int gives a private, reproducible stream.
``make_moons`` and ``make_circles`` follow scikit-learn's geometry and argument order
(scikit-learn calls the seed ``random_state``; the arrays are float64 there).
"""

from __future__ import annotations

import numbers

import numpy as np

from tinygrad_edu.random import make_generator

__all__ = ["make_spiral", "make_moons", "make_circles"]


def _check_count(function: str, name: str, value, minimum: int = 1) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{function}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_noise(function: str, noise) -> float:
    if noise is None:
        return 0.0
    if not isinstance(noise, numbers.Real) or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{function}: noise must be a finite number >= 0 or None, got {noise!r}")
    return float(noise)


def make_spiral(points_per_class=100, num_classes=3, noise=0.2, seed=None):
    """Interleaved spiral arms, one per class (the classic softmax-vs-MLP demo).

    For class ``j`` and ``i = 0 .. N-1`` (``N = points_per_class``, ``K = num_classes``)::

        r     = i / (N - 1)                                  radius from 0 to 1
        theta = 4 * (j + r) + noise * standard_normal()      angle in radians
        x     = (r * sin(theta), r * cos(theta))

    so each arm turns through 4 radians and arm ``j`` starts 4 * j radians further round.
    Points come class by class (all of class 0 first); shuffle them or use a shuffling
    :class:`DataLoader`.

    Args:
        points_per_class: points on each arm.
        num_classes: number of arms / classes.
        noise: standard deviation of the angle noise in radians.
        seed: int for a reproducible set, or None for the framework's generator.

    Returns:
        ``(x, y)``: float32 (N*K, 2) and int64 (N*K,).

    >>> x, y = make_spiral(50, 3, seed=0)
    >>> x.shape, x.dtype, y.shape, sorted(set(y.tolist()))
    ((150, 2), dtype('float32'), (150,), [0, 1, 2])
    """
    points = _check_count("make_spiral", "points_per_class", points_per_class)
    classes = _check_count("make_spiral", "num_classes", num_classes)
    noise = _check_noise("make_spiral", noise)
    rng = make_generator(seed)
    radius = np.linspace(0.0, 1.0, points)
    x = np.empty((points * classes, 2), dtype=np.float32)
    y = np.repeat(np.arange(classes, dtype=np.int64), points)
    for label in range(classes):
        theta = 4.0 * (label + radius) + noise * rng.standard_normal(points)
        rows = slice(label * points, (label + 1) * points)
        x[rows, 0] = radius * np.sin(theta)
        x[rows, 1] = radius * np.cos(theta)
    return x, y


def _split_samples(function: str, n_samples):
    """(outer, inner) counts: an int is split half/half with the extra point inside, as in
    scikit-learn; a pair gives the two counts directly."""
    if isinstance(n_samples, (tuple, list)):
        if len(n_samples) != 2:
            raise ValueError(
                f"{function}: n_samples as a pair must have two counts, got {n_samples}"
            )
        return tuple(_check_count(function, "n_samples", count, 0) for count in n_samples)
    total = _check_count(function, "n_samples", n_samples)
    return total // 2, total - total // 2


def _finish(x, y, shuffle, noise, rng):
    if shuffle:
        order = rng.permutation(len(y))
        x, y = x[order], y[order]
    if noise:
        x = x + rng.normal(scale=noise, size=x.shape)
    return x.astype(np.float32), y


def make_moons(n_samples=100, shuffle=True, noise=None, seed=None):
    """Two interleaving half circles.

    Outer moon (label 0): ``(cos t, sin t)``, t evenly in [0, pi]; inner moon (label 1):
    ``(1 - cos t, 1 - sin t - 0.5)``. Then optional shuffling and Gaussian ``noise`` on
    both coordinates (the same construction as scikit-learn's ``make_moons``).

    Args:
        n_samples: total points (the inner moon gets the odd one), or a pair
            ``(n_outer, n_inner)``.
        shuffle: shuffle the points (otherwise all of label 0 come first).
        noise: standard deviation of the Gaussian noise, or None for none.
        seed: int for a reproducible set, or None for the framework's generator.

    Returns:
        ``(x, y)``: float32 (n, 2) and int64 (n,).
    """
    n_outer, n_inner = _split_samples("make_moons", n_samples)
    noise = _check_noise("make_moons", noise)
    rng = make_generator(seed)
    t_outer = np.linspace(0.0, np.pi, n_outer)
    t_inner = np.linspace(0.0, np.pi, n_inner)
    x = np.concatenate([
        np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1),
        np.stack([1.0 - np.cos(t_inner), 1.0 - np.sin(t_inner) - 0.5], axis=1),
    ])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _finish(x, y, shuffle, noise, rng)


def make_circles(n_samples=100, shuffle=True, noise=None, seed=None, factor=0.8):
    """A small circle (label 1) inside a large one (label 0).

    Outer: ``(cos t, sin t)``, inner: ``factor * (cos t, sin t)``, t evenly spaced in
    [0, 2*pi) without the end point, then optional shuffling and Gaussian ``noise`` (the same
    construction as scikit-learn's ``make_circles``).

    Args:
        n_samples: total points (the inner circle gets the odd one), or a pair
            ``(n_outer, n_inner)``.
        shuffle: shuffle the points.
        noise: standard deviation of the Gaussian noise, or None.
        seed: int for a reproducible set, or None for the framework's generator.
        factor: inner radius relative to the outer one, in [0, 1).

    Returns:
        ``(x, y)``: float32 (n, 2) and int64 (n,).
    """
    if not isinstance(factor, numbers.Real) or not 0 <= factor < 1:
        raise ValueError(f"make_circles: factor must be in [0, 1), got {factor!r}")
    n_outer, n_inner = _split_samples("make_circles", n_samples)
    noise = _check_noise("make_circles", noise)
    rng = make_generator(seed)
    t_outer = np.linspace(0.0, 2.0 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2.0 * np.pi, n_inner, endpoint=False)
    x = np.concatenate([
        np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1),
        factor * np.stack([np.cos(t_inner), np.sin(t_inner)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _finish(x, y, shuffle, noise, rng)
