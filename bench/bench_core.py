"""Core benchmark: per-op recording overhead, and one MLP training step written three ways.

Run:  python bench/bench_core.py [--quick]

(a) one small op with graph recording (3x3 float32 multiply), alone and with backward,
    against PyTorch and a bare numpy multiply;
(b) a training step of an MLP 784-256-128-10 (ReLU, softmax cross-entropy, plain SGD,
    float32) at batch 32, 128 and 1024: hand-written numpy forward/backward (the limit
    for a framework that computes with numpy expressions), tinygrad_edu, and PyTorch.
    The same step with Adam and Nadam (Keras's formulas; PyTorch's own Adam/NAdam).
(c) backward time of a chain of N and 2N ops (it should double, not quadruple).
(d) the SGD step of a tiny MLP (16-16-16-10, batch 4), so small that the step time is the
    framework's own overhead, against the same step by hand in numpy and in PyTorch.

Times are medians over interleaved rounds; a ratio is the median of the per-round ratios,
followed by their first and third quartiles in brackets. ``--clock process`` times this
process's CPU time instead of the wall clock: on a machine busy with other work it leaves out
the waits for a core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    CLOCKS,
    add_clock_argument,
    cycle,
    interleaved_samples,
    load_average,
    mlp_weights,
    print_table,
    ratio_with_quartiles,
    training_batches,
)

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu.ops.fused import sparse_softmax_cross_entropy  # noqa: E402

try:
    import torch
except ImportError:  # the benchmark still runs without the reference
    torch = None

LEARNING_RATE = 0.01
MLP_SIZES = (784, 256, 128, 10)
TINY_SIZES = (16, 16, 16, 10)  # so small that a step is nearly all framework overhead


def best_us(fn, number: int, repeat: int = 7) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def bench_small_op(quick: bool) -> None:
    number = 20_000 if quick else 100_000
    rng = np.random.default_rng(0)
    a_np, b_np = (rng.random((3, 3), dtype=np.float32) for _ in range(2))
    a = tg.Tensor(a_np, requires_grad=True)
    b = tg.Tensor(b_np, requires_grad=True)
    upstream = tg.ones(3, 3)

    def tg_backward():
        (a * b).backward(upstream)

    rows = [["numpy a * b (no graph)", f"{best_us(lambda: a_np * b_np, number):.2f}", ""]]
    ours = best_us(lambda: a * b, number)
    ours_bw = best_us(tg_backward, number // 5)
    theirs = theirs_bw = None
    if torch is not None:
        ta = torch.tensor(a_np, requires_grad=True)
        tb = torch.tensor(b_np, requires_grad=True)
        t_up = torch.ones(3, 3)

        def torch_backward():
            (ta * tb).backward(t_up)

        theirs = best_us(lambda: ta * tb, number)
        theirs_bw = best_us(torch_backward, number // 5)
    ratio = f"{ours / theirs:.2f}x torch" if theirs else ""
    ratio_bw = f"{ours_bw / theirs_bw:.2f}x torch" if theirs_bw else ""
    rows.append(["tinygrad_edu a * b, recorded", f"{ours:.2f}", ratio])
    rows.append(["tinygrad_edu (a * b).backward(g)", f"{ours_bw:.2f}", ratio_bw])
    if torch is not None:
        rows.append(["torch a * b, recorded", f"{theirs:.2f}", ""])
        rows.append(["torch (a * b).backward(g)", f"{theirs_bw:.2f}", ""])
    print_table("(a) one 3x3 float32 multiply", ["what", "us/op", "ratio"], rows)


def numpy_sgd(params):
    def update(grads):
        for p, g in zip(params, grads):
            p -= LEARNING_RATE * g
    return update


def numpy_adam(params, lr=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras's Adam, written directly in numpy with in-place moment updates."""
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = 0

    def update(grads):
        nonlocal t
        t += 1
        alpha = lr * (1 - beta_2**t) ** 0.5 / (1 - beta_1**t)
        for p, g, m_i, v_i in zip(params, grads, m, v):
            m_i *= beta_1
            m_i += (1 - beta_1) * g
            v_i *= beta_2
            v_i += (1 - beta_2) * g * g
            p -= alpha * m_i / (np.sqrt(v_i) + epsilon * (1 - beta_2**t) ** 0.5)
    return update


def numpy_nadam(params, lr=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras's Nadam (with its momentum schedule), written directly in numpy."""
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t, u_product = 0, 1.0

    def update(grads):
        nonlocal t, u_product
        t += 1
        u_t = beta_1 * (1 - 0.5 * 0.96**t)  # Keras 3's momentum schedule
        u_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product *= u_t
        for p, g, m_i, v_i in zip(params, grads, m, v):
            m_i *= beta_1
            m_i += (1 - beta_1) * g
            v_i *= beta_2
            v_i += (1 - beta_2) * g * g
            m_hat = u_next * m_i / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
            p -= lr * m_hat / (np.sqrt(v_i / (1 - beta_2**t)) + epsilon)
    return update


def numpy_step_factory(batches, optimizer="sgd", sizes=MLP_SIZES):
    """The hand-written forward and backward pass: what a framework of numpy expressions costs
    at least."""
    w1, b1, w2, b2, w3, b3 = mlp_weights(sizes)
    params = [w1, b1, w2, b2, w3, b3]
    # optimizer: a name, or a function of the parameters that returns an update(grads)
    update = (optimizer if callable(optimizer) else
              {"sgd": numpy_sgd, "adam": numpy_adam, "nadam": numpy_nadam}[optimizer])(params)
    data = cycle(batches)

    def step():
        x, labels = next(data)
        n = len(x)
        h1 = x @ w1 + b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ w2 + b2
        a2 = np.maximum(h2, 0)
        z = a2 @ w3 + b3
        shifted = z - z.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        _loss = -log_probs[np.arange(n), labels].mean()
        dz = np.exp(log_probs)
        dz[np.arange(n), labels] -= 1
        dz *= 1.0 / n
        grads = [None] * 6
        grads[4], grads[5] = a2.T @ dz, dz.sum(axis=0)
        dh2 = (dz @ w3.T) * (h2 > 0)
        grads[2], grads[3] = a1.T @ dh2, dh2.sum(axis=0)
        dh1 = (dh2 @ w2.T) * (h1 > 0)
        grads[0], grads[1] = x.T @ dh1, dh1.sum(axis=0)
        update(grads)

    return step


def tinygrad_step_factory(batches, optimizer="sgd", sizes=MLP_SIZES):
    w1, b1, w2, b2, w3, b3 = params = [tg.Tensor(w, requires_grad=True)
                                       for w in mlp_weights(sizes)]
    data = cycle([(tg.Tensor(x), tg.Tensor(y)) for x, y in batches])
    make = {"sgd": lambda: tg.optim.SGD(params, lr=LEARNING_RATE),
            "adam": lambda: tg.optim.Adam(params, lr=1e-3),
            "nadam": lambda: tg.optim.Nadam(params, lr=1e-3)}.get(optimizer)
    opt = optimizer(params) if callable(optimizer) else make()  # or a class of optimizer

    def step():
        x, labels = next(data)
        h1 = (x @ w1 + b1).relu()
        h2 = (h1 @ w2 + b2).relu()
        loss = sparse_softmax_cross_entropy(h2 @ w3 + b3, labels).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def torch_step_factory(batches, optimizer="sgd", sizes=MLP_SIZES):
    params = [torch.tensor(w, requires_grad=True) for w in mlp_weights(sizes)]
    w1, b1, w2, b2, w3, b3 = params
    data = cycle([(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches])
    cross_entropy = torch.nn.functional.cross_entropy
    opt = {"sgd": lambda: torch.optim.SGD(params, lr=LEARNING_RATE),
           "adam": lambda: torch.optim.Adam(params, lr=1e-3, eps=1e-7),
           "nadam": lambda: torch.optim.NAdam(params, lr=1e-3, eps=1e-7)}[optimizer]()

    def step():
        x, labels = next(data)
        h1 = torch.relu(x @ w1 + b1)
        h2 = torch.relu(h1 @ w2 + b2)
        loss = cross_entropy(h2 @ w3 + b3, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def bench_mlp(quick: bool, factories: dict, title: str, optimizer: str = "sgd",
              rounds: int = 11, clock=time.perf_counter) -> None:
    rows = []
    for batch_size in (32, 128, 1024):
        batches, source = training_batches(batch_size, count=50 if batch_size < 1024 else 20)
        variants = {name: (lambda make=make, batches=batches: make(batches, optimizer))
                    for name, make in factories.items()}
        steps = max(20, (2000 if not quick else 400) // batch_size * 4)
        samples = interleaved_samples(variants, steps=steps, rounds=5 if quick else rounds,
                                      warmup=10, clock=clock)
        rows.append([batch_size, *_timing_row(samples, unit="ms")])
    print_table(f"{title} (data: {source})", ["batch", *_timing_header(factories, "ms")], rows)


REFERENCES = ("numpy", "torch")  # what tinygrad_edu's time is divided by


def _timing_row(samples: dict, unit: str) -> list[str]:
    """Each variant's median time, then tinygrad_edu's ratio to each reference that ran."""
    scale, digits = (1.0, 3) if unit == "ms" else (1e3, 0)
    row = [f"{statistics.median(values) * scale:.{digits}f}" for values in samples.values()]
    row += [ratio_with_quartiles(samples, "tinygrad_edu", reference)
            for reference in REFERENCES if reference in samples]
    return row


def _timing_header(factories: dict, unit: str) -> list[str]:
    return ([f"{name} {unit}" for name in factories]
            + [f"tg/{reference}" for reference in REFERENCES if reference in factories])


def bench_tiny(quick: bool, factories: dict, clock=time.perf_counter) -> None:
    """The SGD step on a tiny MLP, where the arithmetic is negligible: the time is the cost of
    the framework itself (recording the graph, walking it backward, the optimizer's loop)."""
    rng = np.random.default_rng(0)
    batches = [(rng.random((4, TINY_SIZES[0]), dtype=np.float32), rng.integers(0, 10, size=4))
               for _ in range(50)]
    variants = {name: (lambda make=make: make(batches, "sgd", TINY_SIZES))
                for name, make in factories.items()}
    samples = interleaved_samples(variants, steps=200 if quick else 1000,
                                  rounds=5 if quick else 9, warmup=10, clock=clock)
    print_table("(d) the SGD step of a tiny MLP 16-16-16-10 at batch 4: framework overhead alone",
                _timing_header(factories, "us"), [_timing_row(samples, unit="us")])


def bench_chain() -> None:
    def backward_seconds(length):
        x = tg.Tensor(1.0, requires_grad=True)
        y = x
        for _ in range(length):
            y = y * 1.0
        start = time.perf_counter()
        y.backward()
        return time.perf_counter() - start

    rows = []
    for length in (25_000, 50_000, 100_000, 200_000):
        seconds = min(backward_seconds(length) for _ in range(3))
        rows.append([length, f"{seconds * 1e3:.0f}", f"{seconds / length * 1e6:.2f}"])
    print_table("(c) backward through a chain of multiplies (linear: us/op stays flat)",
                ["ops", "ms", "us/op"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    add_clock_argument(parser)
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
          f"{os.cpu_count()} cores, {args.clock} clock, load average {load_average()}")
    bench_small_op(args.quick)
    factories = {"numpy": numpy_step_factory, "tinygrad_edu": tinygrad_step_factory}
    if torch is not None:
        factories["torch"] = torch_step_factory
    # More rounds here: on a shared machine single rounds scatter by +-15%, and these ratios
    # are the ones compared with targets.
    bench_mlp(args.quick, factories, "(b) MLP 784-256-128-10 training step, SGD", rounds=25,
              clock=clock)
    print("tg/x: the median over rounds of tinygrad_edu's time / x's time in the same round; "
          "[first, third quartile] of those ratios")
    for optimizer in ("adam", "nadam"):
        bench_mlp(args.quick, factories, f"(b) the same step with {optimizer.capitalize()}",
                  optimizer, clock=clock)
    bench_chain()
    bench_tiny(args.quick, factories, clock)


if __name__ == "__main__":
    main()
