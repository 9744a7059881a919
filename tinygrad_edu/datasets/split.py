"""Split arrays into a training part and a test part.

Why the framework has its own: the core depends on numpy only, and a student following the
course without scikit-learn installed must still be able to hold out a test set. The call
matches scikit-learn's ``train_test_split`` (same argument names, same return order, same
``ceil`` rounding of a fractional test size, ``random_state`` accepted as another name for
``seed``), so course code that imports it from ``sklearn.model_selection`` runs unchanged
after swapping the import. The random order differs from scikit-learn's, so the exact rows
picked for a given seed do too; the tutorials that use scikit-learn's data helpers may use
either.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from tinygrad_edu.random import make_generator

__all__ = ["train_test_split"]


def _test_count(test_size, total: int) -> int:
    if test_size is None:
        test_size = 0.25
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"train_test_split: test_size must be a float or an int, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        count = int(test_size)
    elif 0.0 < test_size < 1.0:
        count = math.ceil(test_size * total)
    else:
        raise ValueError(
            f"train_test_split: a float test_size must be in (0, 1), got {test_size}"
        )
    if not 1 <= count <= total - 1:
        raise ValueError(
            f"train_test_split: test_size={test_size} gives {count} test and "
            f"{total - count} training samples out of {total}; both parts must be non-empty"
        )
    return count


def _stratified_indices(labels, test_count: int, rng):
    """Test/train indices keeping each class's share: class k gets ``test_count * n_k / n``
    test samples, rounded so the total is exact (largest remainders round up)."""
    labels = np.asarray(labels)
    # axis=0 makes one-hot rows count as classes too.
    classes, codes = np.unique(labels.reshape(len(labels), -1), axis=0, return_inverse=True)
    codes = codes.reshape(-1)
    sizes = np.bincount(codes, minlength=len(classes))
    if sizes.min() < 2:
        rare = classes[int(np.argmin(sizes))].tolist()
        raise ValueError(
            f"train_test_split: class {rare} of stratify has only {sizes.min()} member; every "
            "class needs at least 2 to appear on both sides"
        )
    ideal = test_count * sizes / len(labels)
    per_class = np.floor(ideal).astype(np.int64)
    shortfall = test_count - int(per_class.sum())
    # Ties in the remainders are broken at random so no class is always favoured.
    order = np.lexsort((rng.random(len(sizes)), -(ideal - per_class)))
    per_class[order[:shortfall]] += 1
    test_parts, train_parts = [], []
    for code, count in enumerate(per_class):
        members = rng.permutation(np.flatnonzero(codes == code))
        test_parts.append(members[:count])
        train_parts.append(members[count:])
    test = rng.permutation(np.concatenate(test_parts))
    train = rng.permutation(np.concatenate(train_parts))
    return test, train


def train_test_split(*arrays, test_size=None, shuffle=True, seed=None, stratify=None,
                     random_state=None):
    """Split each array into train and test rows (the same rows for every array).

    Args:
        *arrays: arrays (or lists) with the same length along axis 0, e.g. ``x, y``.
        test_size: float in (0, 1): fraction of samples for the test part, rounded up;
            int: number of test samples. Default 0.25.
        shuffle: shuffle before splitting; ``False`` keeps the order and takes the *last*
            samples as the test part (as scikit-learn does).
        seed: int for a reproducible split, None for the framework's shared generator.
        stratify: class labels (1-D, or one-hot 2-D); each class then has the same share in
            both parts, up to rounding. Needs ``shuffle=True``.
        random_state: scikit-learn's name for ``seed``.

    Returns:
        ``[a_train, a_test, b_train, b_test, ...]``, as scikit-learn.

    >>> import numpy as np
    >>> x, y = np.arange(20).reshape(10, 2), np.arange(10)
    >>> x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, seed=0)
    >>> x_train.shape, x_test.shape, bool((x_test[:, 0] // 2 == y_test).all())
    ((7, 2), (3, 2), True)
    """
    if not arrays:
        raise ValueError("train_test_split: give at least one array, e.g. train_test_split(x, y)")
    if seed is not None and random_state is not None:
        raise ValueError("train_test_split: give seed or random_state, not both")
    arrays = [np.asarray(array) for array in arrays]
    lengths = [len(array) if array.ndim else None for array in arrays]
    if None in lengths or len(set(lengths)) != 1:
        shapes = ", ".join(str(array.shape) for array in arrays)
        raise ValueError(
            f"train_test_split: all arrays need the same number of samples (axis 0), got "
            f"shapes {shapes}"
        )
    total = lengths[0]
    test_count = _test_count(test_size, total)
    rng = make_generator(seed if seed is not None else random_state)
    if stratify is not None:
        if not shuffle:
            raise ValueError(
                "train_test_split: stratify needs shuffle=True (an unshuffled split takes the "
                "last rows, whatever their class)"
            )
        if len(stratify) != total:
            raise ValueError(
                f"train_test_split: stratify has {len(stratify)} labels for {total} samples"
            )
        test, train = _stratified_indices(stratify, test_count, rng)
    elif shuffle:
        order = rng.permutation(total)
        test, train = order[:test_count], order[test_count:]
    else:
        train, test = slice(0, total - test_count), slice(total - test_count, total)
    result = []
    for array in arrays:
        result += [array[train], array[test]]
    return result
