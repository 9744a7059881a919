"""Checking backward rules against finite differences.

The analytical Jacobian J = d(output)/d(input) comes from the engine (one backward pass per
row, or per random projection for large outputs). The numerical one comes from central
differences, one input element (or random direction) at a time:

    J[:, j] ~ (f(x + eps * e_j) - f(x - eps * e_j)) / (2 eps)

Both are compared entry by entry with ``|analytical - numerical| <= atol + rtol * |numerical|``.
Contracting the output with random vectors rather than summing it matters: ``softmax(x).sum()``
is 1 for every x, so a sum would hide any bug in softmax's backward.

NaN and inf are reported as such, at their entries. (With random projections, used for large
inputs or outputs, one non-finite Jacobian entry makes every projection that meets it
non-finite: the report then counts projections, not entries.)

Everything runs in float64: float32 inputs are converted automatically, because float32's
7 significant digits cannot resolve a difference quotient with eps = 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygrad_edu.autograd import enable_grad, grad, is_grad_enabled, no_grad
from tinygrad_edu.tensor import Tensor

__all__ = ["numerical_grad", "gradcheck", "gradgradcheck", "GradcheckError", "GradcheckResult"]

# Above these sizes the Jacobian is checked through random projections instead of entry by entry.
_FULL_OUTPUT_SIZE = 64
_FULL_INPUT_SIZE = 256
_PROJECTIONS = 6


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when the analytical and numerical gradients disagree."""


@dataclass
class GradcheckResult:
    """Outcome of one check: ``ok`` plus the largest absolute and relative errors seen."""

    ok: bool
    max_abs_error: float
    max_rel_error: float
    report: str

    def __bool__(self) -> bool:
        return self.ok


def _as_outputs(result) -> list:
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    for index, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: output {index} of fn is a {type(out).__name__}, "
                            "not a Tensor")
    return outputs


def _to_float64(inputs) -> list:
    """Fresh float64 leaves with the same values and the same requires_grad."""
    converted = []
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"gradcheck: inputs must be Tensors, got {type(t).__name__}")
        if t.data.dtype.kind == "f":
            converted.append(Tensor(t.data, requires_grad=t.requires_grad, dtype=np.float64))
        else:
            converted.append(t)
    return converted


def _evaluate(fn, inputs) -> list:
    """Outputs of fn as float64 arrays, without recording a graph."""
    with no_grad():
        return [np.asarray(out.data, dtype=np.float64) for out in _as_outputs(fn(*inputs))]


def numerical_grad(fn, inputs, eps: float = 1e-6, grad_outputs=None) -> list:
    """Central-difference gradient of ``sum(fn(*inputs) * grad_outputs)`` for each input.

    Args:
        fn: function of Tensors returning a Tensor (or a tuple of Tensors).
        inputs: the Tensors; only those with ``requires_grad`` get a gradient (None otherwise).
        eps: the step; the truncation error is O(eps**2).
        grad_outputs: arrays to contract the outputs with (default: ones).

    Returns:
        A list with a float64 array (or None) per input.

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> [g.round(6).tolist() for g in numerical_grad(lambda t: (t ** 2).sum(), [x])]
    [[2.0, 4.0]]
    """
    inputs = _to_float64(inputs)
    base = _evaluate(fn, inputs)
    weights = grad_outputs if grad_outputs is not None else [np.ones_like(b) for b in base]
    weights = [np.asarray(getattr(w, "data", w), dtype=np.float64) for w in weights]
    grads = []
    for index, t in enumerate(inputs):
        if not t.requires_grad:
            grads.append(None)
            continue
        flat = t.data.reshape(-1)
        result = np.zeros(flat.size)
        for j in range(flat.size):
            step = np.zeros(flat.size)
            step[j] = eps
            plus = _evaluate(fn, _replace(inputs, index, flat + step, t.shape))
            minus = _evaluate(fn, _replace(inputs, index, flat - step, t.shape))
            result[j] = sum(((p - m) * w).sum() for p, m, w in zip(plus, minus, weights))
        grads.append(result.reshape(t.shape) / (2 * eps))
    return grads


def _replace(inputs, index, flat_values, shape) -> list:
    changed = list(inputs)
    changed[index] = Tensor._wrap(flat_values.reshape(shape))
    return changed


def _analytical_rows(fn, inputs, output_index, projections) -> dict:
    """Rows v @ J for each projection vector v: dict input index -> (k, n) array."""
    wanted = [i for i, t in enumerate(inputs) if t.requires_grad]
    rows = {i: [] for i in wanted}
    for v in projections:
        outputs = _as_outputs(fn(*inputs))
        out = outputs[output_index]
        if not out.requires_grad:
            for i in wanted:
                rows[i].append(np.zeros(inputs[i].size))
            continue
        upstream = Tensor._wrap(v.reshape(out.shape).astype(out.data.dtype))
        grads = grad(out, [inputs[i] for i in wanted], upstream, allow_unused=True)
        for i, g in zip(wanted, grads):
            rows[i].append(np.zeros(inputs[i].size) if g is None else g.data.reshape(-1))
    return {i: np.array(r).reshape(len(projections), -1) for i, r in rows.items()}


def _numerical_columns(fn, inputs, input_index, output_index, directions, eps) -> np.ndarray:
    """Columns J @ u for each direction u: an (m, k) array."""
    t = inputs[input_index]
    flat = t.data.reshape(-1).astype(np.float64)
    columns = []
    for u in directions:
        plus = _evaluate(fn, _replace(inputs, input_index, flat + eps * u, t.shape))
        minus = _evaluate(fn, _replace(inputs, input_index, flat - eps * u, t.shape))
        columns.append(((plus[output_index] - minus[output_index]) / (2 * eps)).reshape(-1))
    return np.array(columns).T


def _basis_or_random(size: int, limit: int, rng) -> tuple[np.ndarray, bool]:
    if size <= limit:
        return np.eye(size), True
    return rng.standard_normal((_PROJECTIONS, size)), False


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Compare every backward rule used by ``fn`` with central differences.

    Args:
        fn: function of the Tensors in ``inputs``, returning a Tensor or a tuple of Tensors.
        inputs: Tensors; those with ``requires_grad=True`` are checked.
        eps: finite-difference step.
        atol, rtol: an entry passes when ``|analytical - numerical| <= atol + rtol*|numerical|``.
        raise_exception: raise :class:`GradcheckError` with a readable report on failure
            (otherwise return a falsy result).
        seed: seed of the random projections used for large inputs or outputs.

    Returns:
        A :class:`GradcheckResult` (truthy when the check passed).

    >>> import tinygrad_edu as tg
    >>> x = tg.randn(3, 4, requires_grad=True)
    >>> bool(gradcheck(lambda t: t.tanh() * t, [x]))
    True
    """
    inputs = _to_float64(inputs)
    if not any(t.requires_grad for t in inputs):
        raise ValueError("gradcheck: no input has requires_grad=True, so nothing is checked")
    rng = np.random.default_rng(seed)
    outputs = _as_outputs(fn(*inputs))
    failures, worst_abs, worst_rel = [], 0.0, 0.0
    for out_index, out in enumerate(outputs):
        if out.data.dtype.kind != "f":
            continue
        projections, full_rows = _basis_or_random(out.size, _FULL_OUTPUT_SIZE, rng)
        rows = _analytical_rows(fn, inputs, out_index, projections)
        for in_index, analytical_rows in rows.items():
            directions, full_cols = _basis_or_random(inputs[in_index].size, _FULL_INPUT_SIZE, rng)
            columns = _numerical_columns(fn, inputs, in_index, out_index, directions, eps)
            # Identity projections are skipped, not multiplied: NaN * 0 is NaN, so a product
            # with the identity would spread one NaN entry over its whole row or column.
            numerical = columns if full_rows else projections @ columns
            analytical = analytical_rows if full_cols else analytical_rows @ directions.T
            error = np.abs(analytical - numerical)
            worst_abs = _worst(worst_abs, error)
            worst_rel = _worst(worst_rel, error / (np.abs(numerical) + atol))
            bad = ~(error <= atol + rtol * np.abs(numerical))
            if bad.any():
                failures.append(_failure_report(
                    in_index, out_index, inputs[in_index].shape, out.shape, analytical,
                    numerical, bad, full_rows and full_cols))
    report = "\n\n".join(failures)
    result = GradcheckResult(not failures, worst_abs, worst_rel, report)
    if failures and raise_exception:
        raise GradcheckError("gradcheck failed: analytical and numerical gradients differ\n\n"
                             + report)
    return result


def _worst(current: float, errors: np.ndarray) -> float:
    """The largest error so far; NaN as soon as any error is NaN (max() would skip it)."""
    if np.isnan(current) or np.isnan(errors).any():
        return float("nan")
    return max(current, float(errors.max(initial=0.0)))


def _non_finite(name: str, values: np.ndarray) -> str:
    nan, inf = int(np.isnan(values).sum()), int(np.isinf(values).sum())
    return f"{nan} NaN and {inf} inf {name}" if nan or inf else ""


def _failure_report(in_index, out_index, in_shape, out_shape, analytical, numerical, bad,
                    exact_entries, worst=5) -> str:
    error = np.abs(analytical - numerical)
    # Non-finite errors rank first, so that a NaN or inf entry is always shown.
    ranked = np.where(np.isfinite(error), error, np.inf)
    order = np.argsort(np.where(bad, ranked, -1.0), axis=None)[::-1][: min(worst, int(bad.sum()))]
    if exact_entries:
        kind = "Jacobian entries (output index, input index)"
    else:
        kind = "random projections v.J.u (projection of output, direction in input)"
    lines = [
        f"input {in_index} (shape {in_shape}) -> output {out_index} (shape {out_shape}): "
        f"{int(bad.sum())} of {bad.size} {kind} differ",
        *[f"  {note}" for note in (_non_finite("analytical entries", analytical),
                                  _non_finite("numerical entries", numerical)) if note],
        f"  {'where':<28} {'numerical':>14} {'analytical':>14} {'abs err':>11} {'rel err':>11}",
    ]
    for flat in order:
        row, col = np.unravel_index(flat, error.shape)
        if exact_entries:
            where = (f"{tuple(int(i) for i in np.unravel_index(row, out_shape))}, "
                     f"{tuple(int(i) for i in np.unravel_index(col, in_shape))}")
        else:
            where = f"v{row}, u{col}"
        n, a = numerical[row, col], analytical[row, col]
        rel = abs(a - n) / max(abs(n), 1e-12)
        lines.append(f"  {where:<28} {n:>14.6g} {a:>14.6g} {abs(a - n):>11.3g} {rel:>11.3g}")
    return "\n".join(lines)


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, seed=0):
    """Check second derivatives: gradcheck of the map (inputs, v) -> v . dfn/d(inputs).

    The backward pass is recorded (``create_graph=True``) and then checked like any other
    function, with the upstream gradients ``v`` as extra inputs (random unless given).

    Args: as :func:`gradcheck`; ``grad_outputs`` fixes ``v`` (one array per output).
    """
    inputs = _to_float64(inputs)
    rng = np.random.default_rng(seed + 1)
    with no_grad():
        outputs = _as_outputs(fn(*inputs))
    float_outputs = [i for i, out in enumerate(outputs) if out.data.dtype.kind == "f"]
    if grad_outputs is None:
        vectors = [rng.standard_normal(outputs[i].shape) for i in float_outputs]
    else:
        vectors = [np.asarray(getattr(g, "data", g), dtype=np.float64) for g in grad_outputs]
    v_tensors = [Tensor(v, requires_grad=True, dtype=np.float64) for v in vectors]
    wanted = [i for i, t in enumerate(inputs) if t.requires_grad]
    count = len(inputs)

    def first_derivatives(*all_inputs):
        xs, vs = list(all_inputs[:count]), all_inputs[count:]
        recording = is_grad_enabled()
        with enable_grad():
            if not recording:  # a finite-difference evaluation: only values are needed
                xs = [Tensor._wrap(x.data).requires_grad_() if i in wanted else x
                      for i, x in enumerate(xs)]
            outs = _as_outputs(fn(*xs))
            roots = [outs[i] for i in float_outputs]
            used = [(root, v) for root, v in zip(roots, vs) if root.requires_grad]
            if not used:
                return tuple(Tensor._wrap(np.zeros(xs[i].shape)) for i in wanted)
            grads = grad([r for r, _ in used], [xs[i] for i in wanted], [v for _, v in used],
                         create_graph=recording, allow_unused=True)
        return tuple(Tensor._wrap(np.zeros(xs[i].shape)) if g is None else g
                     for i, g in zip(wanted, grads))

    return gradcheck(first_derivatives, inputs + v_tensors, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed)
