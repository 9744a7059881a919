# %% [markdown]
# # 06 - Vanishing and exploding gradients, and gradient clipping
#
# **What the course says.** Backpropagation multiplies the error signal by every layer's
# local derivative on its way from the output to the input. With sigmoids (slope at most
# 0.25, almost 0 when saturated) the product shrinks layer after layer: the first layers get
# almost no gradient and stop learning (**vanishing gradient**). The remedies are the
# previous notebooks' lessons: non-saturating activations (ReLU), a matching initialization
# (He), batch normalization. The mirror image, a product that grows
# (**exploding gradient**), throws the weights far away in one step; **gradient clipping**
# caps the step.
#
# **What to look for.** A `GradientTracer` records the gradient norm of every layer at every
# training step. In the bar chart of a deep sigmoid net with N(0, 1) weights the bars shrink
# by orders of magnitude towards the input; with ReLU + He + batch normalization they stay
# level. The report flags the vanishing layers. For the exploding net, compare the losses
# with and without clipping.

# %%
import os

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, viz
from tinygrad_edu.datasets import make_spiral
from tinygrad_edu.init import RandomNormal
from tinygrad_edu.trace import GradientTracer

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(0)

# %% [markdown]
# ## 1. Data and five networks of the same depth
#
# The 3-class spiral (300 points in 2-D). Every network has 8 Dense layers, 7 hidden ones of
# 8 units and a softmax output; only the activation, the initialization and batch
# normalization differ. Narrow layers make the effect strong (a wide sigmoid layer sums many
# large weights and loses less).

# %%
x, y = make_spiral(100, 3, seed=0)
DEPTH, WIDTH = 8, 8


def deep_net(activation, initializer, batch_norm=False):
    layers = []
    for index in range(1, DEPTH):
        input_dim = 2 if index == 1 else None
        if batch_norm:  # Dense -> BN -> activation; BN's beta replaces the bias
            layers += [nn.Dense(WIDTH, use_bias=False, kernel_initializer=initializer,
                                input_dim=input_dim, name=f"dense_{index}"),
                       nn.BatchNormalization(name=f"batch_norm_{index}"),
                       nn.Activation(activation, name=f"{activation}_{index}")]
        else:
            layers.append(nn.Dense(WIDTH, activation=activation, kernel_initializer=initializer,
                                   input_dim=input_dim, name=f"dense_{index}"))
    layers.append(nn.Dense(3, activation="softmax", kernel_initializer=initializer,
                           name="output"))
    return nn.Sequential(layers)


NETWORKS = {
    "sigmoid, N(0, 1)": ("sigmoid", RandomNormal(stddev=1.0), False),
    "sigmoid, Glorot": ("sigmoid", "glorot_uniform", False),
    "tanh, Glorot": ("tanh", "glorot_uniform", False),
    "ReLU, He": ("relu", "he_normal", False),
    "ReLU, He, BN": ("relu", "he_normal", True),
}

# %% [markdown]
# ## 2. Training with a `GradientTracer` (Keras style)
#
# The tracer is a callback: `fit(..., callbacks=[tracer])` records every step. Full-batch
# training (`batch_size=len(x)`: every step sees all 300 points, so the traces show the
# networks rather than mini-batch noise) with plain SGD + momentum (learning rate 0.03,
# momentum 0.9): with SGD a weight moves by `learning_rate * gradient`, so a vanishing
# gradient means a layer that does not learn. (Try learning rate 0.1: the narrow ReLU net
# without batch normalization then "dies": its units get stuck at 0 and it stops learning.)

# %%
epochs = 40 if QUICK else 400
tracers, histories = {}, {}
for label, (activation, initializer, batch_norm) in NETWORKS.items():
    tg.manual_seed(0)
    model = deep_net(activation, initializer, batch_norm)
    model.compile(optimizer=optim.SGD(lr=0.03, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    tracers[label] = GradientTracer(model)
    histories[label] = model.fit(x, y, batch_size=len(x), epochs=epochs, verbose=0,
                                 callbacks=[tracers[label]])
    print(f"{label:18s} final loss {histories[label].history['loss'][-1]:.3f}, "
          f"accuracy {histories[label].history['accuracy'][-1]:.3f}")

# %% [markdown]
# The kernel gradient norm of each layer (input side on the left) at the first and the last
# step, on a log scale shared by the panels:

# %%
viz.plot_gradient_trace(tracers, kind="bars", parameter="kernel")

# %% [markdown]
# The same numbers over the whole training, one line per layer (dark: input side):

# %%
viz.plot_gradient_trace(tracers, kind="lines", parameter="kernel")

# %% [markdown]
# Or watch it: `viz.explore_trace` shows the bars of every recorded step with a slider and a
# play button. Compare the sigmoid net with N(0, 1) weights and its fix: the first layers'
# bars (flagged "vanishing", below 1/100 of the output layer's) against bars of one height.

# %%
trace_page = viz.explore_trace({label: tracers[label]
                                for label in ("sigmoid, N(0, 1)", "ReLU, He, BN")},
                               parameter="kernel")
trace_page

# %% [markdown]
# One training step of the sigmoid net, op by op: step to the end of the backward pass and
# click `dense_1.kernel` to see its gradient and its "vanishing" flag (the tracer's thresholds).

# %%
tg.manual_seed(0)
sigmoid_net = deep_net("sigmoid", RandomNormal(stddev=1.0))
step_loss = tg.losses.get_loss("sparse_categorical_crossentropy")(tg.Tensor(y),
                                                                   sigmoid_net(tg.Tensor(x)))
step_page = viz.explore(step_loss)
first_kernel = next(t for t in step_page.data["tensors"] if t["name"] == "dense_1.kernel")
print("dense_1.kernel:", first_kernel["flag"])
step_page

# %% [markdown]
# The report: each layer's gradient relative to the output layer's, at the first step and
# as the median over training, with the flags.

# %%
reports = {}
for label, tracer in tracers.items():
    print(label)
    reports[label] = tracer.report(parameter="kernel")
    print()

# %%
viz.plot_history(histories, metrics=["loss", "accuracy"])

# %% [markdown]
# The sigmoid net with N(0, 1) weights starts with a first layer hundreds of times slower
# than its last, and its loss stays high for long. Glorot does not rescue the deep sigmoid
# net: Glorot's small weights keep the sigmoids in their linear middle, where the slope is
# 0.25, so every layer still divides the signal by about 4 and the first layer gets even
# less. The same initialization with tanh (slope 1 in the middle) keeps every layer in
# range, and so do ReLU with He and, most evenly, batch normalization: these nets learn the
# spiral.
#
# ## 3. Exploding gradients and clipping (explicit loop)
#
# Eight ReLU layers of 64 units with N(0, 1) weights: each layer multiplies the signal by
# about `sqrt(64 / 2) = 5.7`, forward and backward, so the loss and the gradients are
# astronomically large. One SGD step with such a gradient throws the weights away.
#
# Clipping rescales the gradients when their global norm exceeds a limit, keeping their
# direction: `g <- g * max_norm / max(||g||, max_norm)`. Keras style it is an optimizer
# option, `SGD(..., global_clipnorm=1.0)` (or `clipnorm` per weight, `clipvalue` per
# element); in an explicit loop it is `optim.clip_grad_norm(params, max_norm)` between
# `backward()` and `step()`. Here the explicit loop, with the tracer called by hand.

# %%
def exploding_net():
    big = RandomNormal(stddev=1.0)
    layers = [nn.Dense(64, activation="relu", kernel_initializer=big,
                       input_dim=2 if index == 1 else None, name=f"dense_{index}")
              for index in range(1, 8)]
    return nn.Sequential([*layers, nn.Dense(3, kernel_initializer=big, name="output")])


loss_fn = tg.losses.SparseCategoricalCrossentropy(from_logits=True)
steps = 30 if QUICK else 200
clip_runs, clip_tracers, first_norms = {}, {}, {}
for label, max_norm in (("no clipping", None), ("clip_grad_norm(1.0)", 1.0)):
    tg.manual_seed(0)
    model = exploding_net()
    opt = optim.SGD(model.parameters(), lr=0.01)
    tracer = GradientTracer(model)
    losses_seen = []
    with np.errstate(all="ignore"):  # the unclipped run overflows; that is the point
        for _ in range(steps):
            loss = loss_fn(y, model(tg.Tensor(x)))
            opt.zero_grad()
            loss.backward()
            norm = optim.clip_grad_norm(model.parameters(), max_norm or np.inf)
            first_norms.setdefault(label, norm)  # the norm before clipping
            tracer.before_step()
            opt.step()
            tracer.after_step()
            losses_seen.append(loss.item())
    clip_runs[label] = {"loss": losses_seen}
    clip_tracers[label] = tracer
    print(f"{label:20s} gradient norm at step 1: {first_norms[label]:.2e}, "
          f"loss: first {losses_seen[0]:.3g}, last {losses_seen[-1]:.3g}")

# %% [markdown]
# The backward signal (`dL/d(layer output)`, per layer) at the first step: it grows by
# orders of magnitude towards the input.

# %%
viz.plot_gradient_trace(clip_tracers["no clipping"], kind="bars", quantity="output_grad_norm",
                    steps=[0])

# %%
viz.plot_history(clip_runs, metrics=["loss"], logy=True)

# %% [markdown]
# Without clipping the first step throws the weights so far that the next loss is about
# 1e16 and the one after is NaN (the curve ends). With clipping every step has length at
# most `lr * 1.0`: the loss falls. Clipping treats the symptom; the cure is the
# initialization of notebook 05.
#
# ## Checks

# %%
def first_to_last(tracer):
    norms = tracer.matrix("grad_norm", parameter="kernel")[1][:, 0]
    return norms[0] / norms[-1]


ratios = {label: first_to_last(tracer) for label, tracer in tracers.items()}
print({label: f"{ratio:.2e}" for label, ratio in ratios.items()})
assert ratios["sigmoid, N(0, 1)"] < 1e-2  # the first layer gets < 1% of the last's gradient
assert first_kernel["flag"].startswith("vanishing")
assert [run["label"] for run in trace_page.data["runs"]] == ["sigmoid, N(0, 1)", "ReLU, He, BN"]
assert ratios["sigmoid, Glorot"] < 1e-2
for label in ("tanh, Glorot", "ReLU, He", "ReLU, He, BN"):
    assert 0.1 < ratios[label] < 10  # within 10x of the last layer
sigmoid_report = reports["sigmoid, N(0, 1)"]
assert sigmoid_report.rows[0]["layer"] in sigmoid_report.vanishing  # flagged
assert not reports["ReLU, He, BN"].vanishing and not reports["ReLU, He, BN"].exploding
accuracy = {label: h.history["accuracy"][-1] for label, h in histories.items()}
assert accuracy["ReLU, He, BN"] > accuracy["sigmoid, N(0, 1)"]
unclipped = np.array(clip_runs["no clipping"]["loss"])
clipped = np.array(clip_runs["clip_grad_norm(1.0)"]["loss"])
assert first_norms["no clipping"] > 1e4
assert not np.all(np.isfinite(unclipped)) or unclipped[-1] > unclipped[0]
assert np.all(np.isfinite(clipped)) and clipped[-1] < clipped[0]
print("checks passed")
