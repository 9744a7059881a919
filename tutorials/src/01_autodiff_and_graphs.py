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
#
# Terms in English and Korean: [glossary](../docs/glossary.md).

# %% [markdown] lang=ko
# # 01 - 계산 그래프와 오차역전파
#
# **강의 내용.** 계산은 그래프로 나타낼 수 있습니다. 각 노드는 작은 연산 하나를 맡고, 간선은 값을
# 앞으로(순전파) 실어 나릅니다. 오차역전파는 같은 그래프를 거꾸로 거슬러 가면서 *국소적* 미분을
# 차례로 곱합니다(연쇄 법칙). 다음 두 노드만 알면 거의 모든 것이 설명됩니다.
#
# * **곱셈** 노드 `z = x * y`는 `dL/dx = dL/dz * y`, `dL/dy = dL/dz * x`를 돌려보냅니다 (상류에서 온
#   기울기에 *다른 쪽* 입력을 곱한 값);
# * **덧셈** 노드 `z = x + y`는 `dL/dz`를 두 입력에 그대로 전달합니다.
#
# **살펴볼 점.** "사과와 소비세" 예제의 값이 손으로 계산한 것과 똑같이 `backward()`에서 나옵니다.
# 그린 그래프에는 모든 값과 모든 기울기가 표시되고, 그래프를 한 단계씩 따라가면 각 연산의 규칙이
# 실제 수치에 적용되는 모습이 보이며, 한 층의 연산들은 그 층의 이름 아래에 묶여 있습니다. 용어는
# [용어집](../../docs/glossary.md)에 한국어와 영어로 정리되어 있습니다.

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

# %% [markdown] lang=ko
# ## 1. 사과 쇼핑, 손으로 계산하기
#
# 개당 100원인 사과 2개, 소비세 10%: `price = (apple * apple_num) * tax = 220`. 먼저 강의의
# 방식대로, 각 노드를 `forward`와 `backward`를 가진 작은 객체로 만듭니다.

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

# %% [markdown] lang=ko
# ## 2. tinygrad_edu로 똑같이
#
# `requires_grad=True`로 만든 텐서는 기울기를 구하고 싶은 잎(leaf) 노드입니다. 이 텐서에 가하는 모든
# 연산은 노드로 기록되고, `backward()`는 노드를 역순으로 방문합니다. `viz.retain_grads(price)`는
# 중간 텐서들도 기울기를 간직하게 합니다(기본값으로는 잎 노드만 간직합니다). 그래야 그림에 모든
# 기울기를 보여 줄 수 있습니다.

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

# %% [markdown] lang=ko
# 사각형은 텐서(값과 기울기), 타원은 연산입니다. 색은 기울기의 크기를 나타냅니다(눈금은 그림 아래의
# 범례에 있습니다).

# %%
viz.draw_graph(price)

# %% [markdown]
# ## 3. Apples and oranges: an add node
#
# Two apples at 100 and three oranges at 150, 10% tax. The add node copies the upstream
# gradient to both branches; the tax receives the sum before tax (650).

# %% [markdown] lang=ko
# ## 3. 사과와 귤: 덧셈 노드
#
# 개당 100원인 사과 2개와 개당 150원인 귤 3개, 소비세 10%. 덧셈 노드는 상류의 기울기를 두 갈래에
# 그대로 복사하고, 소비세는 세전 합계(650)를 기울기로 받습니다.

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

# %% [markdown] lang=ko
# ## 한 단계씩 따라가기
#
# 그림은 계산이 끝난 뒤의 그래프를 보여 줍니다. `viz.explore`는 계산이 *일어나는* 모습을 보여
# 줍니다. 오른쪽 화살표를 누르면(재생은 스페이스) 순전파가 연산이 만들어진 순서대로 값을 하나씩
# 채우고, 이어서 역전파가 `backward()`가 실제로 쓰는 순서대로 기울기를 돌려보냅니다. 패널에는 각
# 연산의 규칙이 수치와 함께 적힙니다. 예를 들어 소비세에서는 `Mul: dL/db = g * a = 1 * 650 =
# 650`입니다. 아무 노드나 클릭하면 그 값, 기울기, 식이 나옵니다. `.save("step.html")`은 이 페이지를
# 인터넷 연결 없이 어느 브라우저에서나 열리는 파일 하나로 저장합니다.

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

# %% [markdown] lang=ko
# ## 4. 직접 만드는 노드: 시그모이드
#
# 강의에서는 시그모이드의 역전파 규칙을 계산 그래프(`exp`, `+`, `1/x`)로 유도하고, 마지막에 간단한
# 식 `dy/dx = y * (1 - y)`를 얻습니다. tinygrad_edu에서 연산은 `Function`입니다. numpy 배열을 받는
# `forward`와, 상류의 기울기 `g`를 받아 `g`에 국소적 미분을 곱해 돌려주는 `backward`로 이루어집니다.
# 아래는 그렇게 작성한 시그모이드이고, 내장 시그모이드와 비교해 확인합니다.

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

# %% [markdown] lang=ko
# ## 5. 계층도 작은 그래프입니다: Affine + Softmax-with-Loss
#
# `Dense` 층은 `x @ kernel + bias`를 계산합니다. 그 위에 소프트맥스와 교차 엔트로피 오차를 얹으면
# 로짓에 도착하는 기울기는 `(softmax(logits) - t) / batch`, 강의에서 강조하는 바로 그 "예측 빼기
# 정답"입니다. 아래 그래프는 연산을 층별로 묶어 그립니다(`group_by_module=True`가 기본값입니다).

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

# %% [markdown] lang=ko
# ## 6. 기울기의 기울기
#
# 역전파 규칙 자체가 텐서 연산으로 작성되어 있으므로, `create_graph=True`를 주면 역전파 과정도
# 하나의 그래프가 되어 다시 미분할 수 있습니다. `f(x) = x**3`이면 `f'(x) = 3x**2`, `f''(x) =
# 6x`입니다.

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

# %% [markdown] lang=ko
# `dy/dx`를 한 단계씩 따라가 보면 `create_graph=True`가 기록한 것이 보입니다. `x ** 3`의 역전파
# 규칙(`g * b * a**(b - 1)`)을 이루는 연산들이 이제 그 자체로 하나의 그래프가 되었습니다.

# %%
gradient_page = viz.explore(first)
gradient_page

# %% [markdown]
# Both derivatives are tensors made by ops (the backward rules), so they can be drawn like
# any result. `grad` names them after `y` and `x`, and the picture titles its roots with
# those names (`dy/dx`, `d2y/dx2`); a dict `{title: tensor}` would choose other titles.

# %% [markdown] lang=ko
# 두 도함수 모두 연산(역전파 규칙)으로 만든 텐서이므로 다른 결과처럼 그릴 수 있습니다. `grad`는 이
# 텐서들에 `y`와 `x`를 따서 이름을 붙이고(`dy/dx`, `d2y/dx2`), 그림은 그 이름을 결과 노드의 제목으로
# 씁니다. 다른 제목을 붙이려면 딕셔너리 `{제목: 텐서}`를 넘기면 됩니다.

# %%
viz.draw_graph([first, second])

# %% [markdown]
# ## Checks
# The numbers above, asserted (the test suite runs this notebook).

# %% [markdown] lang=ko
# ## 확인
#
# 위의 수치들을 assert로 확인합니다(테스트 스위트가 이 노트북을 실행합니다).

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
