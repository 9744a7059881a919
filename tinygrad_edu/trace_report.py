"""The per-layer gradient table of a :class:`~tinygrad_edu.trace.GradientTracer` and its flags.

The measure. For each traced layer, at each recorded step,
``ratio = grad_norm(layer) / grad_norm(output layer)``, the output layer being the traced layer
nearest the loss, where the gradient enters the network. Backpropagation hands that gradient
down towards the input, multiplying it by the Jacobian of every layer on the way (the chain
rule), so the ratio says how much of the error signal reaches the layer. It does not depend on
the size of the loss or on the learning rate, and a vanishing or an exploding gradient shows as
a ratio that shrinks or grows by orders of magnitude with depth.

The flags. A layer is flagged

* **vanishing** when its ratio is below ``VANISHING_RATIO = 1e-2``, at the first recorded
  step or as the median over the recorded steps. With SGD a weight moves by
  ``learning_rate * g``, so such a layer learns at least 100 times more slowly than the output
  layer: by the time the output layer has adapted, it has barely moved. Healthy set-ups
  (Glorot/He initialization, batch normalization) keep every layer within about one decade of
  the output layer at the start; a deep sigmoid stack with N(0, 1) weights starts two to four
  decades behind. Two decades separate the two with a decade to spare on each side;
* **exploding** when its ratio is above ``EXPLODING_RATIO = 1e2`` (first step or median):
  the mirror image, steps 100 times too large for a learning rate that suits the other
  layers; and whenever a recorded gradient held inf or NaN (an overflow, or a loss that
  diverged).

A subtlety of the kernel gradient ``dL/dW = a^T delta`` (input activations times the
gradient at the layer's output): in a network of ReLUs or linear layers, weights that are too
large make the forward activations ``a`` grow layer after layer exactly as fast as ``delta``
grows on the way back, so the kernel gradients of all layers stay alike while their size
explodes. Bounded activations (sigmoid, tanh) break that balance, which is why the vanishing
gradient is a sigmoid story. The ``out grad`` column (the norm of ``delta``) shows the growth
or decay of the backward signal alone.

Why both the first step and the median: the first step is the network as built (the
architecture and the initialization, the classic diagnosis); the median is the network as it
trains, and one odd batch cannot move it. A stuck sigmoid net, for example, starts far below
1e-2 and drifts up as its output layer fits the class frequencies and its gradient shrinks.

Adaptive optimizers (Adam, RMSprop) divide each update by a running gradient size, so a
vanishing gradient slows them far less than SGD: the flags describe the gradient, not
necessarily the learning. The ``update`` column (``||w_after - w_before|| / ||w_before||``,
about 1e-3 per step is the usual healthy value) shows what the optimizer made of it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GradientReport", "VANISHING_RATIO", "EXPLODING_RATIO"]

#: a layer whose gradient is below this fraction of the output layer's is vanishing
VANISHING_RATIO = 1e-2
#: a layer whose gradient is above this multiple of the output layer's is exploding
EXPLODING_RATIO = 1e2


def _nanmean(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def _flag(ratio_first, ratio_median, non_finite, vanishing_ratio, exploding_ratio) -> str:
    ratios = [r for r in (ratio_first, ratio_median) if not np.isnan(r)]
    if non_finite or any(r > exploding_ratio for r in ratios):
        return "exploding"
    if any(r < vanishing_ratio for r in ratios):
        return "vanishing"
    return ""


class GradientReport:
    """What :meth:`GradientTracer.report` found: one row (a dict) per layer.

    Attributes:
        rows: dicts with ``layer``, ``grad_norm_first``/``_last``/``_mean``, ``ratio_first``
            and ``ratio_median`` (the layer's gradient norm over the output layer's, at the
            first recorded step and the median over steps), ``update_ratio_mean``,
            ``output_grad_norm_mean`` and ``flag`` (``""``, ``"vanishing"``, ``"exploding"``).
        vanishing, exploding: the names of the flagged layers.
        parameter: the parameter key the norms are of (None: each layer's weights together).
        steps: the recorded step numbers.
    """

    _COLUMNS = (("first", "grad_norm_first"), ("last", "grad_norm_last"),
                ("mean", "grad_norm_mean"), ("/out@0", "ratio_first"),
                ("/out med", "ratio_median"), ("update", "update_ratio_mean"),
                ("out grad", "output_grad_norm_mean"))

    def __init__(self, rows, parameter, steps, vanishing_ratio=VANISHING_RATIO,
                 exploding_ratio=EXPLODING_RATIO):
        self.rows, self.parameter, self.steps = rows, parameter, list(steps)
        self.vanishing_ratio, self.exploding_ratio = vanishing_ratio, exploding_ratio
        self.vanishing = [row["layer"] for row in rows if row["flag"] == "vanishing"]
        self.exploding = [row["layer"] for row in rows if row["flag"] == "exploding"]

    @classmethod
    def from_tracer(cls, tracer, parameter=None, vanishing_ratio=VANISHING_RATIO,
                    exploding_ratio=EXPLODING_RATIO) -> GradientReport:
        """Build the rows from a tracer's numbers (see the module docstring for the flags)."""
        names, norms = tracer.matrix("grad_norm", parameter)
        if not names:
            raise ValueError("GradientTracer.report: nothing recorded yet; train a step first")
        updates = tracer.matrix("update_ratio", parameter)[1]
        outputs = dict(zip(*tracer.matrix("output_grad_norm")))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = norms / norms[-1]
        rows = []
        for index, name in enumerate(names):
            finite = ratios[index][np.isfinite(ratios[index])]
            first = float(ratios[index][0])
            median = float(np.median(finite)) if finite.size else float("nan")
            rows.append({
                "layer": name, "grad_norm_first": float(norms[index][0]),
                "grad_norm_last": float(norms[index][-1]),
                "grad_norm_mean": _nanmean(norms[index]),
                "ratio_first": first, "ratio_median": median,
                "update_ratio_mean": _nanmean(updates[index]),
                "output_grad_norm_mean": _nanmean(outputs.get(name, [])),
                "flag": _flag(first, median, name in tracer.non_finite, vanishing_ratio,
                              exploding_ratio)})
        return cls(rows, parameter, tracer.steps, vanishing_ratio, exploding_ratio)

    def __str__(self) -> str:
        what = "weights" if self.parameter is None else self.parameter
        span = (f"step {self.steps[0]}" if len(self.steps) == 1 else
                f"{len(self.steps)} recorded steps ({self.steps[0]}..{self.steps[-1]})")
        width = max(12, *(len(row["layer"]) for row in self.rows))
        header = f"{'layer':<{width}}" + "".join(f" {title:>9}" for title, _ in self._COLUMNS)
        lines = [
            f"Gradient L2 norm of each layer's {what} over {span}.",
            f"/out@0, /out med: ratio to the output layer ({self.rows[-1]['layer']}) at the "
            "first step, and its median.",
            f"Flags: vanishing below {self.vanishing_ratio:g}, exploding above "
            f"{self.exploding_ratio:g} or inf/NaN.",
            "update: mean of ||w_after - w_before|| / ||w_before||; out grad: mean norm of "
            "dL/d(layer output).",
            header + "  flag", "-" * (len(header) + 11)]
        for row in self.rows:
            values = "".join(f" {row[key]:>9.2e}" for _, key in self._COLUMNS)
            lines.append(f"{row['layer']:<{width}}{values}  {row['flag']}".rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"GradientReport(layers={len(self.rows)}, vanishing={self.vanishing}, "
                f"exploding={self.exploding})")

    def _repr_html_(self) -> str:
        from tinygrad_edu.rich_display import gradient_report_html

        return gradient_report_html(self)
