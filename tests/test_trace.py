"""GradientTracer numbers against hand-computed ones, in fit and in explicit loops; the
report's flags; ActivationRecorder."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.callbacks import Callback
from tinygrad_edu.init import Constant, RandomNormal
from tinygrad_edu.losses import SparseCategoricalCrossentropy
from tinygrad_edu.nn import Activation, Dense, Sequential
from tinygrad_edu.trace import (
    EXPLODING_RATIO,
    VANISHING_RATIO,
    ActivationRecorder,
    GradientTracer,
    record_activations,
)


def _two_layer(seed=0):
    tg.manual_seed(seed)
    return Sequential([Dense(3, input_dim=2, bias_initializer=Constant(0.1)),
                       Activation("tanh"), Dense(2, bias_initializer=Constant(-0.2))])


def _data(seed=0, n=5):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 2)).astype(np.float32),
            rng.standard_normal((n, 2)).astype(np.float32))


def _hand_gradients(model, x, upstream):
    """Backward of dense -> tanh -> dense for the loss sum(output * upstream), in float64."""
    first, second = model.layers[0], model.layers[2]
    w1, b1 = first.kernel.data.astype(np.float64), first.bias.data.astype(np.float64)
    w2 = second.kernel.data.astype(np.float64)
    hidden = np.tanh(x @ w1 + b1)
    d_hidden = upstream @ w2.T  # dL/d(tanh output), what reaches the activation's output
    d_pre = d_hidden * (1 - hidden ** 2)
    return {"w1": x.T @ d_pre, "b1": d_pre.sum(0), "w2": hidden.T @ upstream,
            "b2": upstream.sum(0), "d_hidden": d_hidden, "d_pre": d_pre}


def test_numbers_match_hand_computed_norms_in_an_explicit_loop():
    model = _two_layer()
    x, upstream = _data()
    weights_before = {k: v.copy() for k, v in model.state_dict().items()}
    tracer = GradientTracer(model)
    opt = optim.SGD(model.parameters(), learning_rate=0.5)
    loss = (model(tg.Tensor(x)) * tg.Tensor(upstream)).sum()
    opt.zero_grad()
    loss.backward()
    hand = _hand_gradients(model, x.astype(np.float64), upstream.astype(np.float64))
    tracer.before_step()
    opt.step()
    tracer.after_step()

    first, second = (layer.name for layer in (model.layers[0], model.layers[2]))
    assert tracer.layer_names == [first, second]  # the Activation layer has no weights
    assert tracer.steps == [0]
    assert tracer.parameter_names(first) == ["kernel", "bias"]
    norm = np.linalg.norm
    both = np.concatenate([hand["w1"].ravel(), hand["b1"]])
    checks = {
        ("grad_norm", first, "kernel"): norm(hand["w1"]),
        ("grad_mean_abs", first, "kernel"): np.abs(hand["w1"]).mean(),
        ("grad_max_abs", first, "bias"): np.abs(hand["b1"]).max(),
        ("grad_norm", first, None): norm(both),
        ("grad_mean_abs", first, None): np.abs(both).mean(),
        ("grad_max_abs", first, None): np.abs(both).max(),
        ("grad_norm", second, "kernel"): norm(hand["w2"]),
        ("grad_norm", second, "bias"): norm(hand["b2"]),
        ("weight_norm", first, "kernel"): norm(weights_before[f"{first}.kernel"]),
        ("weight_norm", second, None): np.sqrt(
            norm(weights_before[f"{second}.kernel"]) ** 2
            + norm(weights_before[f"{second}.bias"]) ** 2),
        # SGD moved each weight by -0.5 * g, so ||dw|| / ||w|| = 0.5 ||g|| / ||w||
        ("update_ratio", first, "kernel"): 0.5 * norm(hand["w1"])
        / norm(weights_before[f"{first}.kernel"]),
        ("update_ratio", second, None): 0.5 * np.sqrt(norm(hand["w2"]) ** 2
                                                      + norm(hand["b2"]) ** 2)
        / np.sqrt(norm(weights_before[f"{second}.kernel"]) ** 2
                  + norm(weights_before[f"{second}.bias"]) ** 2),
        # the gradient arriving at each layer's output: dL/dy = upstream for the last one
        ("output_grad_norm", second, None): norm(upstream),
        ("output_grad_norm", first, None): norm(hand["d_pre"]),
    }
    for (quantity, layer, parameter), expected in checks.items():
        got = tracer.series(quantity, layer, parameter)
        assert got.shape == (1,)
        np.testing.assert_allclose(got[0], expected, rtol=1e-5,
                                   err_msg=f"{quantity} of {layer}.{parameter}")


def test_output_gradient_of_a_layer_without_weights():
    model = _two_layer()
    x, upstream = _data()
    activation = model.layers[1].name
    tracer = GradientTracer(model, layers=[activation, model.layers[2]])
    (model(tg.Tensor(x)) * tg.Tensor(upstream)).sum().backward()
    tracer.record()
    hand = _hand_gradients(model, x.astype(np.float64), upstream.astype(np.float64))
    assert tracer.layer_names == [activation, model.layers[2].name]
    np.testing.assert_allclose(tracer.series("output_grad_norm", activation)[0],
                               np.linalg.norm(hand["d_hidden"]), rtol=1e-5)
    assert np.isnan(tracer.series("grad_norm", activation)[0])  # no weights, no gradient


def _spiral_fit_setup(seed):
    x, y = tg.datasets.make_spiral(20, 3, seed=seed)
    tg.manual_seed(seed)
    model = Sequential([Dense(6, activation="tanh", input_dim=2), Dense(3)])
    return model, x, y


def test_fit_callback_records_the_same_numbers_as_an_explicit_loop():
    loss_fn = SparseCategoricalCrossentropy(from_logits=True)
    model, x, y = _spiral_fit_setup(3)
    tracer = GradientTracer(model)
    assert isinstance(tracer, Callback)
    model.compile(optimizer=optim.SGD(learning_rate=0.3), loss=loss_fn)
    model.fit(x, y, batch_size=len(x), epochs=4, shuffle=False, verbose=0, callbacks=[tracer])

    twin, _, _ = _spiral_fit_setup(3)
    loop_tracer = GradientTracer(twin)
    opt = optim.SGD(twin.parameters(), learning_rate=0.3)
    for _ in range(4):
        loss = loss_fn(tg.Tensor(y), twin(tg.Tensor(x)))
        opt.zero_grad()
        loss.backward()
        loop_tracer.record()
        opt.step()

    assert tracer.steps == loop_tracer.steps == [0, 1, 2, 3]
    for quantity in ("grad_norm", "grad_max_abs", "weight_norm", "update_ratio",
                     "output_grad_norm"):
        names, fitted = tracer.matrix(quantity)
        loop_names, looped = loop_tracer.matrix(quantity)
        assert len(names) == len(loop_names) == 2
        assert np.all(np.isfinite(fitted)), quantity
        np.testing.assert_allclose(fitted, looped, rtol=1e-5, err_msg=quantity)


def test_every_k_steps_over_several_batches_and_epochs():
    model, x, y = _spiral_fit_setup(0)
    model.compile(optimizer="sgd", loss=SparseCategoricalCrossentropy(from_logits=True))
    tracer = GradientTracer(every=3)  # no model: fit attaches it
    model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[tracer])  # 4 steps/epoch
    assert tracer.steps == [0, 3, 6, 9]
    names, norms = tracer.matrix("grad_norm")
    assert norms.shape == (2, 4) and np.all(norms > 0)
    assert np.all(np.isfinite(tracer.matrix("output_grad_norm")[1]))


def test_lazy_model_is_traced_from_its_first_step():
    x, y = tg.datasets.make_spiral(10, 3, seed=1)
    model = Sequential([Dense(4, activation="relu"), Dense(3)])  # built at the first call
    tracer = GradientTracer(model)
    model.compile(optimizer="sgd", loss=SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=len(x), epochs=2, verbose=0, callbacks=[tracer])
    weight_norm = tracer.series("weight_norm", tracer.layer_names[0])
    assert np.isnan(weight_norm[0]) and weight_norm[1] > 0  # no weights before step 0
    assert np.all(tracer.matrix("grad_norm")[1] > 0)


def test_record_completes_the_update_ratio_when_read():
    model, x, y = _spiral_fit_setup(2)
    tracer = GradientTracer(model)
    opt = optim.SGD(model.parameters(), learning_rate=0.1)
    loss = SparseCategoricalCrossentropy(from_logits=True)(tg.Tensor(y), model(tg.Tensor(x)))
    loss.backward()
    tracer.record()
    assert np.isnan(tracer.series("update_ratio", tracer.layer_names[0])[0])  # no step yet
    opt.step()
    ratio = tracer.series("update_ratio", tracer.layer_names[0])[0]
    assert 0 < ratio < 1


def _synthetic(scales):
    """A traced model whose layers' gradients are set by hand to ``scale * ones``."""
    layers = [Dense(4, input_dim=4)] + [Dense(4) for _ in scales[1:]]
    model = Sequential(layers)
    tracer = GradientTracer(model)
    for layer, scale in zip(layers, scales):
        for param in layer.parameters():
            param.grad = tg.Tensor(np.full(param.shape, scale, dtype=np.float32))
    tracer.record()
    return tracer


def test_report_flags_a_vanishing_layer():
    tracer = _synthetic([1e-4, 0.5, 1.0])
    report = tracer.report(print_fn=None)
    assert report.vanishing == [tracer.layer_names[0]] and report.exploding == []
    assert report.rows[0]["ratio_first"] == pytest.approx(1e-4, rel=1e-5)
    assert str(report).splitlines()[6].split()[-1] == "vanishing"


def test_report_flags_exploding_and_non_finite_layers():
    report = _synthetic([1e3, 1.0, 1.0]).report(print_fn=None)
    assert report.exploding == [report.rows[0]["layer"]] and report.vanishing == []
    for bad in (np.inf, np.nan):
        tracer = _synthetic([1.0, bad, 1.0])
        report = tracer.report(print_fn=None)
        assert report.exploding == [tracer.layer_names[1]], bad
        assert tracer.non_finite == {tracer.layer_names[1]: 0}


def test_report_thresholds_and_healthy_layers():
    assert VANISHING_RATIO == 1e-2 and EXPLODING_RATIO == 1e2
    tracer = _synthetic([0.05, 20.0, 1.0])  # within two decades either way
    report = tracer.report(print_fn=None)
    assert report.vanishing == [] and report.exploding == []
    strict = tracer.report(print_fn=None, vanishing_ratio=0.1, exploding_ratio=10.0)
    assert strict.vanishing == [tracer.layer_names[0]]
    assert strict.exploding == [tracer.layer_names[1]]


def test_report_prints_a_table_with_one_row_per_layer():
    printed = []
    tracer = _synthetic([1e-4, 0.5, 1.0])
    tracer.report(print_fn=printed.append)
    lines = printed[0].splitlines()
    assert lines[4].split()[:4] == ["layer", "first", "last", "mean"]
    rows = lines[6:]
    assert [row.split()[0] for row in rows] == tracer.layer_names
    assert float(rows[0].split()[1]) == pytest.approx(np.sqrt(20) * 1e-4, rel=1e-2)


def test_deep_sigmoid_net_is_flagged_vanishing():
    tg.manual_seed(0)
    normal = RandomNormal(stddev=1.0)
    model = Sequential([Dense(8, activation="sigmoid", kernel_initializer=normal, input_dim=2)]
                       + [Dense(8, activation="sigmoid", kernel_initializer=normal)
                          for _ in range(6)]
                       + [Dense(3, activation="softmax", kernel_initializer=normal)])
    x, y = tg.datasets.make_spiral(100, 3, seed=0)
    tracer = GradientTracer(model)
    SparseCategoricalCrossentropy()(tg.Tensor(y), model(tg.Tensor(x))).backward()
    tracer.record()
    report = tracer.report(parameter="kernel", print_fn=None)
    assert report.vanishing[0] == tracer.layer_names[0]
    assert tracer.layer_names[-1] not in report.vanishing


def test_errors_are_clear():
    model = _two_layer()
    with pytest.raises(ValueError, match="every"):
        GradientTracer(model, every=0)
    with pytest.raises(ValueError, match="no layer 'dense_99'"):
        GradientTracer(model, layers=["dense_99"])
    with pytest.raises(TypeError, match="expected a model"):
        GradientTracer(object())
    tracer = _synthetic([1.0, 1.0])
    with pytest.raises(ValueError, match="did you mean 'grad_norm'"):
        tracer.matrix("grad_nrom")
    with pytest.raises(ValueError, match="did you mean 'kernel'"):
        tracer.matrix("grad_norm", parameter="kernal")
    with pytest.raises(ValueError, match="output_grad_norm belongs to a layer"):
        tracer.series("output_grad_norm", tracer.layer_names[0], "kernel")
    with pytest.raises(ValueError, match="one tracer per model"):
        tracer.set_model(_two_layer())
    with pytest.raises(ValueError, match="nothing recorded yet"):
        GradientTracer(_two_layer()).report(print_fn=None)


def test_remove_detaches_the_hooks():
    model = _two_layer()
    tracer = GradientTracer(model)
    assert all(m._forward_hooks for m in model.modules())
    tracer.remove()
    assert not any(m._forward_hooks for m in model.modules())


def test_activation_recorder_keeps_each_layer_output():
    model = _two_layer()
    x, _ = _data()
    first = model.layers[0]
    with ActivationRecorder(model) as recorder:
        out = model(tg.Tensor(x))
    assert list(recorder.activations) == [layer.name for layer in model.layers]
    expected = x.astype(np.float64) @ first.kernel.data + first.bias.data
    np.testing.assert_allclose(recorder.activations[first.name], expected, rtol=1e-5)
    np.testing.assert_allclose(recorder.activations[model.layers[1].name], np.tanh(expected),
                               rtol=1e-5)
    np.testing.assert_allclose(recorder.activations[model.layers[2].name], out.data)
    assert not any(m._forward_hooks for m in model.modules())  # removed on exit


def test_record_activations_runs_without_a_graph():
    model = _two_layer()
    x, _ = _data()
    chosen = model.layers[1].name
    values = record_activations(model, x, layers=[chosen])
    assert list(values) == [chosen] and values[chosen].shape == (5, 3)
    assert np.all(np.abs(values[chosen]) < 1)
    assert all(p.grad is None for p in model.parameters())
