"""Op-case rows for the ops beyond the first core set: more elementwise math, rounding,
cumulative sums and products, picking by index, sorting, einsum and rearranging, image warps.

Rows with ``order=0`` are the ops whose results are indices or truth values: they have no
gradient to check, so the tests run them by value and check that their results leave the
graph. :mod:`tinygrad_edu.op_cases` joins these rows to its table.
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import functional, losses
from tinygrad_edu.functional import image_transform
from tinygrad_edu.op_cases import OpCase, _distinct


def _off_integers(shape, low=-3.0, high=3.0):
    """Values at least 0.1 away from every integer (and half-integer for round), where the
    rounding functions are flat and finite differences see their zero derivative."""
    def make(rng):
        whole = rng.integers(int(low), int(high), size=shape)
        return [whole + rng.uniform(0.1, 0.4, size=shape) * rng.choice([1.0, 2.2], size=shape)]
    return make


def _nonzero(shape, low=0.5, high=1.5):
    def make(rng):
        return [rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)]
    return make


def _special(rng):
    return [np.array([[1.5, np.nan, np.inf], [-np.inf, 0.0, -2.0]])]


EXTENDED_CASES: list[OpCase] = [
    # ---- powers, logarithms, trigonometry ------------------------------------------------
    OpCase("square/basic", "square", lambda a: tg.square(a), ((3, 4),)),
    OpCase("rsqrt/basic", "rsqrt", lambda a: a.rsqrt(), ((3, 4),), domain=(0.3, 3.0)),
    OpCase("reciprocal/basic", "reciprocal", lambda a: tg.reciprocal(a),
           make_inputs=_nonzero((3, 4))),
    OpCase("log2/basic", "log2", lambda a: tg.log2(a), ((3, 4),), domain=(0.2, 3.0)),
    OpCase("log10/basic", "log10", lambda a: a.log10(), ((3, 4),), domain=(0.2, 3.0)),
    OpCase("log1p/basic", "log1p", lambda a: tg.log1p(a), ((3, 4),), domain=(-0.8, 3.0)),
    OpCase("expm1/basic", "expm1", lambda a: a.expm1(), ((3, 4),)),
    OpCase("tan/basic", "tan", lambda a: tg.tan(a), ((3, 4),), domain=(-1.2, 1.2)),
    OpCase("sinh/basic", "sinh", lambda a: tg.sinh(a), ((3, 4),)),
    OpCase("cosh/basic", "cosh", lambda a: a.cosh(), ((3, 4),)),
    OpCase("arcsin/basic", "arcsin", lambda a: tg.arcsin(a), ((3, 4),), domain=(-0.9, 0.9)),
    OpCase("arccos/basic", "arccos", lambda a: a.arccos(), ((3, 4),), domain=(-0.9, 0.9)),
    OpCase("arctan/basic", "arctan", lambda a: tg.arctan(a), ((3, 4),), domain=(-3.0, 3.0)),
    OpCase("logaddexp/broadcast", "logaddexp", lambda a, b: tg.logaddexp(a, b),
           ((3, 4), (4,))),
    OpCase("logaddexp/extreme", "logaddexp", lambda a, b: a.logaddexp(b),
           make_inputs=lambda rng: [np.array([800.0, -800.0, 3.0]), np.array([799.0, -801.0,
                                                                              -900.0])]),
    # ---- rounding: zero derivative away from the jumps ------------------------------------
    OpCase("floor/basic", "floor", lambda a: tg.floor(a) * a, make_inputs=_off_integers((3, 4))),
    OpCase("ceil/basic", "ceil", lambda a: a.ceil() * a, make_inputs=_off_integers((3, 4))),
    OpCase("round/basic", "round", lambda a: tg.round(a) * a, make_inputs=_off_integers((3, 4))),
    OpCase("trunc/basic", "trunc", lambda a: tg.trunc(a) * a, make_inputs=_off_integers((3, 4))),
    OpCase("remainder/broadcast", "remainder", lambda a, b: a % b,
           make_inputs=lambda rng: [np.array([[5.3, -5.3, 2.2], [7.9, -0.4, 3.3]]),
                                    np.array([2.0, 1.5, -1.3])]),
    OpCase("remainder/reflected", "remainder", lambda a: 5.5 % a,
           make_inputs=lambda rng: [np.array([2.0, 1.3, -2.4])]),
    # ---- cumulative ----------------------------------------------------------------------
    OpCase("cumsum/axis1", "cumsum", lambda a: tg.cumsum(a, axis=1), ((3, 4),)),
    OpCase("cumsum/flattened", "cumsum", lambda a: a.cumsum(), ((2, 3),)),
    OpCase("cumprod/axis0", "cumprod", lambda a: tg.cumprod(a, axis=0), ((4, 3),),
           domain=(0.5, 1.5)),
    OpCase("cumprod/with-zeros", "cumprod", lambda a: a.cumprod(axis=-1),
           make_inputs=lambda rng: [np.array([[0.0, 1.5, -0.7, 2.0], [1.2, 0.0, 0.0, 0.8]])]),
    OpCase("prod/axis", "prod", lambda a: tg.prod(a, axis=1), ((3, 4),), domain=(0.5, 1.5)),
    OpCase("prod/with-zero", "prod", lambda a: a.prod(axis=-1, keepdims=True),
           make_inputs=lambda rng: [np.array([[0.0, 1.5, -0.7], [1.2, 0.0, 0.0], [1.1, 2, 3]])]),
    OpCase("prod/all-axes", "prod", lambda a: tg.prod(a, axis=(0, 2)), ((2, 3, 2),),
           domain=(0.5, 1.5)),
    # ---- picking by index ------------------------------------------------------------------
    OpCase("take_along_axis/repeated", "take_along_axis",
           lambda a: tg.take_along_axis(a, np.array([[0, 0, 2], [1, 2, 1]]), axis=1),
           ((2, 3),)),
    OpCase("take_along_axis/broadcast", "take_along_axis",
           lambda a: a.take_along_axis(np.array([[1], [0], [1]]), axis=0), ((2, 4),)),
    OpCase("gather/axis0", "gather", lambda a: tg.gather(a, 0, np.array([[1, 0], [1, 1]])),
           ((3, 3),)),
    OpCase("masked_fill/broadcast-mask", "masked_fill",
           lambda a: tg.masked_fill(a, np.array([True, False, True, False]), -1.0),
           ((3, 4),)),
    OpCase("tril/batch", "tril", lambda a: tg.tril(a), ((2, 3, 3),)),
    OpCase("triu/offset", "triu", lambda a: a.triu(1), ((3, 4),)),
    OpCase("einsum/matmul", "einsum", lambda a, b: tg.einsum("ij,jk->ik", a, b),
           ((2, 3), (3, 4))),
    OpCase("einsum/batch-matmul", "einsum", lambda a, b: tg.einsum("bij,bjk->bik", a, b),
           ((2, 2, 3), (2, 3, 2))),
    OpCase("einsum/outer", "einsum", lambda a, b: tg.einsum("i,j->ij", a, b), ((3,), (4,))),
    OpCase("einsum/trace", "einsum", lambda a: tg.einsum("ii->", a), ((3, 3),)),
    OpCase("einsum/diagonal-and-sum", "einsum", lambda a: tg.einsum("iij->j", a), ((2, 2, 3),)),
    OpCase("einsum/transpose", "einsum", lambda a: tg.einsum("ij->ji", a), ((2, 3),)),
    OpCase("einsum/ellipsis-broadcast", "einsum",
           lambda a, b: tg.einsum("...ij,...jk->...ik", a, b), ((1, 2, 3), (2, 3, 2))),
    # ---- sorting ---------------------------------------------------------------------------
    OpCase("sort/last-axis", "sort", lambda a: tg.sort(a), make_inputs=_distinct((3, 4))),
    OpCase("sort/descending-axis0", "sort", lambda a: a.sort(axis=0, descending=True),
           make_inputs=_distinct((3, 4))),
    OpCase("topk/largest", "topk", lambda a: tg.topk(a, 2)[0], make_inputs=_distinct((3, 5))),
    OpCase("topk/smallest-axis0", "topk", lambda a: a.topk(2, axis=0, largest=False)[0],
           make_inputs=_distinct((4, 3))),
    # ---- rearranging -------------------------------------------------------------------------
    OpCase("flip/axes", "flip", lambda a: tg.flip(a, (0, 2)), ((2, 3, 2),)),
    OpCase("roll/two-axes", "roll", lambda a: tg.roll(a, (1, -2), axis=(0, 1)), ((3, 4),)),
    OpCase("roll/flattened", "roll", lambda a: a.roll(5), ((2, 3),)),
    OpCase("repeat/per-element", "repeat", lambda a: tg.repeat(a, [2, 0, 1], axis=1),
           ((2, 3),)),
    OpCase("repeat/flattened", "repeat", lambda a: a.repeat(2), ((2, 2),)),
    OpCase("tile/new-axis", "tile", lambda a: tg.tile(a, (2, 1, 3)), ((2, 2),)),
    OpCase("split/sections", "split", lambda a: tg.stack(tg.split(a, 2, axis=1), axis=0) * 1.5,
           ((3, 4),)),
    OpCase("split/positions", "split",
           lambda a: tg.concatenate([p * (i + 1.0) for i, p in enumerate(a.split([1, 3]))]),
           ((5, 2),)),
    OpCase("chunk/uneven", "chunk",
           lambda a: tg.concatenate([p * (i + 1.0) for i, p in enumerate(a.chunk(3, axis=-1))],
                                    axis=-1), ((2, 5),)),
    # ---- losses of class labels ------------------------------------------------------------
    OpCase("nll_loss/weighted-ignore", "nll_loss",
           lambda z: losses.nll_loss(functional.log_softmax(z), np.array([0, 2, -100, 1]),
                                     weight=np.array([1.0, 2.0, 0.5])), ((4, 3),)),
    OpCase("sparse_categorical_crossentropy/ignore-class-smoothing",
           "sparse_categorical_crossentropy",
           lambda z: losses.SparseCategoricalCrossentropy(True, -1, label_smoothing=0.2)(
               np.array([2, -1, 0, 1]), z), ((4, 3),)),
    OpCase("binary_crossentropy/label-smoothing", "binary_crossentropy",
           lambda p: losses.binary_crossentropy(np.array([[1.0, 0.0, 1.0]] * 2), p,
                                                label_smoothing=0.1),
           ((2, 3),), domain=(0.05, 0.95)),
    # ---- image warps: constant weights, gradient back to the pixels ------------------------
    OpCase("affine_transform/rotation-reflect", "affine_transform",
           lambda x: functional.affine_transform(
               x, image_transform.rotation_matrix([0.4, 2.5], 4, 5), fill_mode="reflect"),
           ((2, 4, 5, 2),)),
    OpCase("affine_transform/zoom-constant-nearest", "affine_transform",
           lambda x: functional.affine_transform(
               x, image_transform.zoom_matrix([1.3], [0.7], 4, 5), "nearest", "constant", 0.5),
           ((1, 4, 5, 1),)),
    OpCase("resize/up-and-down", "resize", lambda x: functional.resize(x, 3, 7),
           ((2, 5, 4, 1),)),
    # ---- no gradient: values only (order 0) ----------------------------------------------------
    OpCase("argsort/stable", "argsort", lambda a: tg.argsort(a, axis=0), order=0,
           make_inputs=lambda rng: [np.array([[1.0, 3.0], [1.0, 2.0], [0.0, 3.0]])]),
    OpCase("argmax/keepdims", "argmax", lambda a: tg.argmax(a, axis=1, keepdims=True), order=0,
           make_inputs=_distinct((3, 4))),
    OpCase("argmin/flattened", "argmin", lambda a: a.argmin(), order=0,
           make_inputs=_distinct((3, 4))),
    OpCase("any/axis", "any", lambda a: tg.any(a > 1.0, axis=0), ((3, 4),), order=0),
    OpCase("all/keepdims", "all", lambda a: (a > -1.0).all(axis=1, keepdims=True), ((3, 4),),
           order=0),
    OpCase("isnan/basic", "isnan", lambda a: tg.isnan(a), order=0, make_inputs=_special),
    OpCase("isinf/basic", "isinf", lambda a: a.isinf(), order=0, make_inputs=_special),
    OpCase("isfinite/basic", "isfinite", lambda a: tg.isfinite(a), order=0, make_inputs=_special),
    OpCase("isclose/broadcast", "isclose", lambda a, b: tg.isclose(a, b * 0.0 + a[0]), order=0,
           shapes=((3, 4), (4,))),
    OpCase("floor_divide/basic", "floor_divide", lambda a, b: a // b, order=0,
           make_inputs=lambda rng: [np.array([5.5, -5.5, 7.0]), np.array([2.0, 2.0, -2.0])]),
]
