"""The dtype rules that ops share.

Ops whose result is a real number (``exp``, ``log``, ``sqrt``, the trigonometric ones, true
division, means...) turn integer and boolean inputs into float32 first, as PyTorch does:
``Tensor([5, 6, 7]) / 2`` and ``uint8_images / 255`` are float32, never float64 (which would
silently run a whole model in double precision). Arithmetic that has no meaning for booleans
is refused with an error that names the op.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.tensor import DEFAULT_FLOAT

__all__ = ["float_array", "reject_booleans"]


def float_array(a: np.ndarray) -> np.ndarray:
    """``a`` itself if it is floating, else ``a`` converted to float32 (the default float)."""
    return a if a.dtype.kind == "f" else a.astype(DEFAULT_FLOAT)


def reject_booleans(op: str, *tensors) -> None:
    """Powers, remainders and floor quotients of booleans are not defined (as in PyTorch)."""
    if any(t.data.dtype == np.bool_ for t in tensors):
        raise TypeError(f"{op}: not defined for boolean tensors; convert first, e.g. "
                        "t.astype('int64') or t.astype('float32')")
