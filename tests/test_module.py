import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import regularizers
from tinygrad_edu.nn import (
    Dense,
    Dropout,
    Module,
    ModuleList,
    Parameter,
    Sequential,
    functional_call,
    reset_names,
)
from tinygrad_edu.nn.parameter import snake_case as _snake_case


class Scale(Module):
    """A tiny module with one parameter, one buffer and a lazily built weight."""

    def __init__(self, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self.gain = Parameter(np.array([2.0]))
        self.register_buffer("calls", np.zeros(1, dtype=np.float32))
        self.offset = None

    def build(self, input_shape):
        self.add_weight("offset", (input_shape[-1],), initializer="ones")

    def forward(self, x):
        with tg.no_grad():
            self.calls += 1
        return x * self.gain + self.offset


class TwoLayer(Module):
    def __init__(self):
        super().__init__()
        self.hidden = Dense(4, activation="tanh")
        self.out = Dense(2)

    def forward(self, x):
        return self.out(self.hidden(x))


def test_parameters_and_submodules_register_on_assignment():
    net = TwoLayer()
    net(tg.randn(3, 5))
    names = [name for name, _ in net.named_parameters()]
    assert names == ["hidden.kernel", "hidden.bias", "out.kernel", "out.bias"]
    assert [m.name for m in net.children()] == ["dense", "dense_1"]
    assert net.hidden.kernel.name == "dense.kernel"  # Keras-style weight name
    assert all(isinstance(p, Parameter) and p.requires_grad for p in net.parameters())
    assert net.count_params() == 5 * 4 + 4 + 4 * 2 + 2


def test_reassigning_and_deleting_attributes_updates_the_registry():
    module = Scale()
    module.gain = 3.0  # no longer a parameter
    assert "gain" not in dict(module.named_weights())
    module.gain = Parameter(np.ones(2))
    assert "gain" in dict(module.named_parameters())
    del module.gain
    assert "gain" not in dict(module.named_weights())
    module.calls = tg.Tensor(np.ones(1))  # a buffer replaced by a tensor stays a buffer
    assert module.buffers()[0] is module.calls


def test_buffers_are_saved_but_not_trained():
    module = Scale()
    module(tg.ones(2, 3))
    assert [name for name, _ in module.named_buffers()] == ["calls"]
    assert all(p is not module.calls for p in module.parameters())
    assert any(w is module.calls for w in module.non_trainable_weights)
    assert set(module.state_dict()) == {"gain", "offset", "calls"}
    assert module.calls.item() == 1.0
    with pytest.raises(ValueError, match="must not require grad"):
        module.register_buffer("bad", tg.ones(2, requires_grad=True))


def test_list_of_modules_is_wrapped_and_registered():
    class Stack(Module):
        def __init__(self):
            super().__init__()
            self.blocks = [Dense(3), Dense(3)]

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    stack = Stack()
    assert isinstance(stack.blocks, ModuleList) and len(stack.blocks) == 2
    stack(tg.ones(1, 3))
    assert [n for n, _ in stack.named_parameters()][:2] == ["blocks.0.kernel", "blocks.0.bias"]
    assert len(stack.parameters()) == 4
    with pytest.raises(TypeError, match="not callable"):
        stack.blocks(tg.ones(1, 3))


def test_assigning_before_super_init_is_a_clear_error():
    class Broken(Module):
        def __init__(self):
            self.layer = Dense(2)
            super().__init__()

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_default_names_are_unique_and_keras_style():
    assert [Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert Sequential().name == "sequential"
    reset_names()
    assert Dense(1).name == "dense"
    assert Dense(1, name="classifier").name == "classifier"
    assert _snake_case("BatchNormalization") == "batch_normalization"
    assert _snake_case("Conv2D") == "conv2d"
    assert _snake_case("PReLU") == "p_re_lu"
    assert _snake_case("GlobalAveragePooling2D") == "global_average_pooling2d"
    with pytest.raises(ValueError, match="without '.'"):
        Dense(1, name="a.b")


def test_ops_inside_a_module_record_the_module_path():
    model = Sequential([Dense(3, activation="relu", input_dim=2), Dense(1)])
    out = model(tg.ones(4, 2))
    assert out.grad_fn.module_path == "sequential/dense_1"
    inner = model[0].kernel
    path_seen = []

    def record(module, inputs, output):
        path_seen.append(output.grad_fn.module_path)

    model[0].register_forward_hook(record)
    model(tg.ones(4, 2))
    assert "dense" in path_seen[0] and path_seen[0] == "sequential/dense"
    assert tg.autograd.state.module_path is None  # restored after the call
    assert inner is model[0].kernel


def test_module_path_is_restored_after_an_error():
    layer = Dense(2, input_dim=3)
    with pytest.raises(ValueError):
        layer(tg.ones(2, 4))
    assert tg.autograd.state.module_path is None

    class Failing(Module):
        def forward(self, x):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        Failing()(tg.ones(1))
    assert tg.autograd.state.module_path is None


def test_lazy_build_and_eager_build():
    lazy = Dense(100)
    assert not lazy.built and lazy.kernel is None and lazy.count_params() == 0
    lazy(tg.ones(2, 7))
    assert lazy.built and lazy.kernel.shape == (7, 100)
    assert lazy.input_shape == (None, 7) and lazy.output_shape == (None, 100)
    eager = Dense(5, input_shape=(3,))
    assert eager.built and eager.kernel.shape == (3, 5)
    assert Dense(5, input_dim=4).kernel.shape == (4, 5)


def test_train_eval_modes_propagate():
    model = Sequential([Dense(3, input_dim=2), Dropout(0.5)])
    assert model.training and model[1].training
    model.eval()
    assert not model.training and not model[1].training
    model.train()
    assert model[1].training


def test_zero_grad_clears_all_gradients():
    net = TwoLayer()
    net(tg.randn(3, 5)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_freezing_removes_weights_from_parameters():
    net = TwoLayer()
    net(tg.randn(3, 5))
    net.hidden.trainable = False
    assert not net.hidden.kernel.requires_grad
    assert len(net.parameters()) == 2
    assert len(net.non_trainable_weights) == 2
    assert net.count_params() == 34  # still counted, as non-trainable
    net(tg.randn(3, 5)).sum().backward()
    assert net.hidden.kernel.grad is None and net.out.kernel.grad is not None
    net.trainable = True
    assert len(net.parameters()) == 4


def test_frozen_at_construction_stays_frozen_after_lazy_build():
    layer = Dense(3, trainable=False)
    layer(tg.ones(1, 2))
    assert layer.parameters() == [] and len(layer.non_trainable_weights) == 2


def test_state_dict_round_trip_and_errors():
    source, target = TwoLayer(), TwoLayer()
    x = tg.randn(3, 5)
    source(x), target(x)
    state = source.state_dict()
    assert state["hidden.kernel"] is not source.hidden.kernel.data  # a copy
    target.load_state_dict(state)
    np.testing.assert_array_equal(target(x).numpy(), source(x).numpy())

    missing = dict(state)
    del missing["out.bias"]
    with pytest.raises(ValueError, match=r"missing keys \['out.bias'\]"):
        target.load_state_dict(missing)
    extra = {**state, "out.gamma": np.ones(2)}
    with pytest.raises(ValueError, match=r"unexpected keys \['out.gamma'\]"):
        target.load_state_dict(extra)
    result = target.load_state_dict(extra, strict=False)
    assert result.unexpected_keys == ["out.gamma"] and result.missing_keys == []
    wrong = {**state, "out.kernel": np.ones((3, 2))}
    with pytest.raises(ValueError, match=r"'out.kernel' has shape \(3, 2\).*\(4, 2\)"):
        target.load_state_dict(wrong, strict=False)
    with pytest.raises(ValueError, match="no weights yet: build it first"):
        TwoLayer().load_state_dict(state)


def test_get_and_set_weights_use_keras_layer_order():
    from tinygrad_edu.nn import BatchNormalization

    model = Sequential([Dense(4, input_shape=(3,)), BatchNormalization(), Dense(2)])
    shapes = [w.shape for w in model.get_weights()]
    # Keras: layer by layer; BatchNormalization gives gamma, beta, moving_mean, moving_variance.
    assert shapes == [(3, 4), (4,), (4,), (4,), (4,), (4,), (4, 2), (2,)]
    weights = model.get_weights()
    assert weights[0] is not model.layers[0].kernel.data  # copies
    weights[5] += 3.0  # moving_variance
    twin = Sequential([Dense(4, input_shape=(3,)), BatchNormalization(), Dense(2)])
    twin.set_weights(weights)
    for ours, theirs in zip(twin.get_weights(), weights):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(twin.layers[1].moving_variance.numpy(), np.full(4, 4.0))
    x = np.ones((2, 3), np.float32)
    twin.eval(), model.eval()
    assert not np.allclose(twin.predict(x), model.predict(x))  # the changed variance is used


def test_set_weights_errors_name_the_count_and_the_weight():
    model = TwoLayer()
    model(tg.randn(1, 5))
    weights = model.get_weights()
    with pytest.raises(ValueError, match=r"got 3 arrays but the model has 4 weights "
                                         r"\(hidden.kernel, hidden.bias, out.kernel, out.bias\)"):
        model.set_weights(weights[:3])
    weights[2] = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"'out.kernel' has shape \(4, 2\) but the array "
                                         r"given for it has shape \(2, 4\)"):
        model.set_weights(weights)
    with pytest.raises(ValueError, match="none yet: build it first"):
        TwoLayer().set_weights(weights)


def test_forward_hooks_run_and_can_be_removed():
    layer = Dense(2, input_dim=3)
    seen = []
    handle = layer.register_forward_hook(lambda m, inputs, out: seen.append((m, inputs[0].shape)))
    layer(tg.ones(4, 3))
    assert seen == [(layer, (4, 3))]
    replacing = layer.register_forward_hook(lambda m, inputs, out: out * 0)
    assert not layer(tg.ones(1, 3)).any()
    handle.remove()
    replacing.remove()
    layer(tg.ones(1, 3))
    assert len(seen) == 2


def test_regularization_losses_collect_weight_and_activity_penalties():
    layer = Dense(2, kernel_regularizer=regularizers.L2(0.5),
                  activity_regularizer=regularizers.L1(0.1), input_dim=3)
    assert len(layer.regularization_losses()) == 1  # no forward pass yet
    out = layer(tg.ones(4, 3))
    kernel_penalty, activity_penalty = layer.regularization_losses()
    np.testing.assert_allclose(kernel_penalty.item(), 0.5 * (layer.kernel.numpy() ** 2).sum(),
                               rtol=1e-6)
    np.testing.assert_allclose(activity_penalty.item(), 0.1 * np.abs(out.numpy()).sum(),
                               rtol=1e-6)
    layer.trainable = False
    assert len(layer.regularization_losses()) == 1  # frozen weights are not penalized


def test_functional_call_makes_weights_inputs_and_restores_them():
    layer = Dense(2, input_dim=3)
    kernel = tg.Tensor(np.ones((3, 2)), requires_grad=True)
    out = functional_call(layer, {"kernel": kernel}, tg.ones(1, 3))
    np.testing.assert_allclose(out.numpy(), [[3.0, 3.0]])
    assert layer.kernel is layer._parameters["kernel"] and layer.kernel is not kernel
    with pytest.raises(KeyError, match="no weight 'gamma'"):
        functional_call(layer, {"gamma": kernel}, tg.ones(1, 3))


def test_astype_converts_weights():
    layer = Dense(2, input_dim=3).astype("float64")
    assert layer.kernel.dtype == np.float64 and layer(tg.ones(1, 3)).dtype == np.float64


def test_numpy_input_is_accepted():
    out = Dense(2, input_dim=3)(np.ones((2, 3)))
    assert isinstance(out, tg.Tensor) and out.dtype == np.float32


def test_parameter_rejects_integer_data():
    with pytest.raises(TypeError, match="floating"):
        Parameter(np.arange(3))


def test_repr_shows_the_tree():
    text = repr(TwoLayer())
    assert "TwoLayer" in text
    assert "(hidden): Dense(units=4, activation='tanh', name='dense')" in text


def test_every_op_of_a_standalone_layer_records_its_name():
    layer = Dense(2, activation="tanh", input_dim=3)
    out = layer(tg.ones(1, 3))
    node, paths = out.grad_fn, []
    while node is not None:
        paths.append(node.module_path)
        parents = [t for t in node.inputs if t.grad_fn is not None]
        node = parents[0].grad_fn if parents else None
    assert len(paths) == 3 and paths == ["dense"] * 3  # tanh, add, matmul


def test_shape_probe_fires_no_hooks_and_keeps_modes():
    class Doubler(Module):  # no compute_output_shape: shapes are learned by a probe
        def forward(self, x):
            return x.reshape(x.shape[0], -1) * 2

    doubler = Doubler()
    calls = []
    doubler.register_forward_hook(lambda m, inputs, out: calls.append(out.shape))
    model = Sequential([Dense(4, input_dim=2)])
    model.add(doubler)
    assert model.output_shape == (None, 4) and doubler.output_shape == (None, 4)
    assert calls == [] and doubler.training
    model(tg.ones(3, 2))
    assert calls == [(3, 4)]
