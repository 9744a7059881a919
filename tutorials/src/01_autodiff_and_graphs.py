# %% [markdown]
# # 01 - Computation graphs and backpropagation
#
# **What the course says.** A computation is a graph: each node does one small operation,
# edges carry values forward. Backpropagation walks the same graph in reverse and multiplies
# *local* derivatives along the way (the chain rule). Two nodes explain almost everything:
#
# * a **multiply** node `z = x * y` sends back `dL/dx = dL/dz * y` and `dL/dy = dL/dz * x`
#   (the upstream gradient times the *other* input);
# * an **add** node `z = x + y` sends `dL/dz` to both inputs unchanged.
#
# **What to look for.** The numbers of the "apples and tax" example come out of
# `backward()` exactly as computed by hand; the drawn graph shows every value and every
# gradient; stepping through the graph shows each op's rule applied to the numbers; a layer's
# ops are grouped under the layer's name.

# %%
import os

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, viz
from tinygrad_edu.autograd import Function

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(0)

# %% [markdown]
# ## 1. Buying apples, by hand
#
# Two apples at 100 each, 10% tax: `price = (apple * apple_num) * tax = 220`.
# First the course's way: each node is a small object with `forward` and `backward`.

# %%
class MulLayer:
    """z = x * y.  Backward: dx = dz * y, dy = dz * x (the other input)."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dz):
        return dz * self.y, dz * self.x


mul_apple, mul_tax = MulLayer(), MulLayer()
apple_price_by_hand = mul_apple.forward(100.0, 2.0)
price_by_hand = mul_tax.forward(apple_price_by_hand, 1.1)

d_apple_price, d_tax_by_hand = mul_tax.backward(1.0)  # dL/dprice = 1 starts the chain
d_apple_by_hand, d_apple_num_by_hand = mul_apple.backward(d_apple_price)
print(f"price {price_by_hand:.1f}")
print(f"d/d apple {d_apple_by_hand:.2f}, d/d apple_num {d_apple_num_by_hand:.1f}, "
      f"d/d tax {d_tax_by_hand:.1f}")

# %% [markdown]
# ## 2. The same with tinygrad_edu
#
# Tensors created with `requires_grad=True` are the leaves we want gradients for. Every
# operation on them records a node; `backward()` visits the nodes in reverse order.
# `viz.retain_grads(price)` asks the intermediate tensors to keep their gradient too (by
# default only leaves do), so the drawing can show all of them.

# %%
apple = tg.Tensor(100.0, requires_grad=True, name="apple")
apple_num = tg.Tensor(2.0, requires_grad=True, name="apple_num")
tax = tg.Tensor(1.1, requires_grad=True, name="tax")

apple_price = apple * apple_num
apple_price.name = "apple_price"
price = apple_price * tax

viz.retain_grads(price)
price.backward(retain_graph=True)  # keep the graph so that it can be drawn afterwards
print(f"price {price.item():.1f}")
print(f"d/d apple {apple.grad.item():.2f}, d/d apple_num {apple_num.grad.item():.1f}, "
      f"d/d tax {tax.grad.item():.1f}")

# %% [markdown]
# Every box is a tensor (value and gradient), every ellipse an operation. The colour encodes
# the size of the gradient (the legend gives the scale).

# %%
viz.draw_graph(price)

# %% [markdown]
# ## 3. Apples and oranges: an add node
#
# Two apples at 100 and three oranges at 150, 10% tax. The add node copies the upstream
# gradient to both branches; the tax receives the sum before tax (650).

# %%
apple = tg.Tensor(100.0, requires_grad=True, name="apple")
apple_num = tg.Tensor(2.0, requires_grad=True, name="apple_num")
orange = tg.Tensor(150.0, requires_grad=True, name="orange")
orange_num = tg.Tensor(3.0, requires_grad=True, name="orange_num")
tax = tg.Tensor(1.1, requires_grad=True, name="tax")

total = (apple * apple_num + orange * orange_num) * tax
total.backward(retain_graph=True)
fruit_grads = {t.name: round(t.grad.item(), 4) for t in (apple, apple_num, orange, orange_num,
                                                          tax)}
print("total", round(total.item(), 3), fruit_grads)

# %%
viz.draw_graph(total)

# %% [markdown]
# ## Step through it
#
# A picture shows the graph after the fact. `viz.explore` shows it *happening*: press the
# right arrow (or Space to play) and the forward pass fills in the values op by op, in the
# order they were created; then the backward pass sends the gradient back, in the order
# `backward()` itself uses, and the panel writes out each op's rule with its numbers, e.g.
# `Mul: dL/db = g * a = 1 * 650 = 650` for the tax. Click any node for its value, gradient
# and formula. `.save("step.html")` writes the page as one file that opens offline in any
# browser.

# %%
step_page = viz.explore(total)
backward_ops = [step_page.data["ops"][step["op"]]["name"] for step in step_page.data["backward"]]
print("backward order:", " -> ".join(backward_ops))
step_page

# %% [markdown]
# ## 4. A node of your own: the sigmoid
#
# The course derives the sigmoid's backward rule through its graph
# (`exp`, `+`, `1/x`) and ends with the short form `dy/dx = y * (1 - y)`.
# In tinygrad_edu an operation is a `Function` with a `forward` on numpy arrays and a
# `backward` that receives the upstream gradient `g` and returns `g` times the local
# derivative. Here is the sigmoid written that way, checked against the built-in one.

# %%
class MySigmoid(Function):
    """y = 1 / (1 + exp(-x)).   Backward: dx = g * y * (1 - y)."""

    keeps_output = True  # backward reads y (self.output), not x

    def forward(self, x):
        return 1.0 / (1.0 + np.exp(-x))

    def backward(self, g):
        y = self.output
        return g * y * (1.0 - y)


x = tg.Tensor(np.linspace(-4, 4, 9, dtype=np.float32), requires_grad=True)
MySigmoid.apply(x).sum().backward()
mine = x.grad.numpy().copy()

x.grad = None
x.sigmoid().sum().backward()
builtin = x.grad.numpy()
print("my sigmoid'      ", np.round(mine, 4))
print("built-in sigmoid'", np.round(builtin, 4))
print("largest slope", mine.max(), "(at x = 0: 0.25, the most a sigmoid can pass back)")

# %% [markdown]
# ## 5. A layer is a small graph too: Affine + softmax-with-loss
#
# A `Dense` layer computes `x @ kernel + bias`; with softmax and cross-entropy on top, the
# gradient arriving at the logits is `(softmax(logits) - t) / batch`: the course's famous
# "prediction minus target". Below the graph is drawn with the ops grouped by layer
# (`group_by_module=True` is the default).

# %%
tg.manual_seed(0)
model = nn.Sequential([nn.Dense(3, activation="relu", input_dim=4), nn.Dense(2)])
x_batch = tg.Tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
targets = np.array([0, 1, 1, 0, 1])

logits = model(x_batch)
logits.retain_grad()
loss = tg.losses.SparseCategoricalCrossentropy(from_logits=True)(targets, logits)
loss.backward(retain_graph=True)

probabilities = tg.functional.softmax(logits).numpy()
one_hot = np.eye(2, dtype=np.float32)[targets]
print("dL/dlogits from backward():\n", np.round(logits.grad.numpy(), 4))
print("(softmax - t) / batch:\n", np.round((probabilities - one_hot) / len(targets), 4))

# %%
viz.draw_graph(loss, show_values=False)

# %% [markdown]
# ## 6. Gradients of gradients
#
# Backward rules are written with tensor operations, so with `create_graph=True` the
# backward pass is itself a graph and can be differentiated again: for `f(x) = x**3`,
# `f'(x) = 3x**2` and `f''(x) = 6x`.

# %%
x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
y = (x ** 3).sum()
y.name = "y"
(first,) = tg.grad(y, x, create_graph=True)  # named "dy/dx" after y and x
(second,) = tg.grad(first, x, grad_outputs=tg.ones(3), create_graph=True)  # "d2y/dx2"
print("f'(x) =", first.numpy(), " f''(x) =", second.numpy())

# %% [markdown]
# Stepping through `dy/dx` shows what `create_graph=True` recorded: the ops of the backward
# rule of `x ** 3` (`g * b * a**(b - 1)`), now a graph of their own.

# %%
gradient_page = viz.explore(first)
gradient_page

# %% [markdown]
# Both derivatives are tensors made by ops (the backward rules), so they can be drawn like
# any result. `grad` names them after `y` and `x`, and the picture titles its roots with
# those names (`dy/dx`, `d2y/dx2`); a dict `{title: tensor}` would choose other titles.

# %%
viz.draw_graph([first, second])

# %% [markdown]
# ## Checks
# The numbers above, asserted (the test suite runs this notebook).

# %%
assert abs(price.item() - 220.0) < 1e-3 and abs(total.item() - 715.0) < 1e-3
assert np.allclose(list(fruit_grads.values()), [2.2, 110.0, 3.3, 165.0, 650.0], rtol=1e-5)
assert np.allclose([d_apple_by_hand, d_apple_num_by_hand, d_tax_by_hand], [2.2, 110.0, 200.0])
assert np.allclose(mine, builtin, atol=1e-7) and abs(mine.max() - 0.25) < 1e-6
assert np.allclose(logits.grad.numpy(), (probabilities - one_hot) / len(targets), atol=1e-6)
assert np.allclose(second.numpy(), [6.0, 12.0, 18.0])
assert backward_ops == ["Mul", "Add", "Mul", "Mul"]  # tax, the sum, oranges, apples
tax_record = next(t for t in step_page.data["tensors"] if t["name"] == "tax")
assert np.allclose(tax_record["grad"]["values"], [650.0])
assert any(t["name"] == "dy/dx" for t in gradient_page.data["tensors"])
assert "Pow" in {op["name"] for op in gradient_page.data["ops"]}
print("checks passed")
