"""Layer boundaries: activations given every way, ``training=`` on every layer, shape errors
that say how to fix the input, and load_weights into another architecture."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import functional, nn

RNG = np.random.default_rng(0)
X_FLAT = RNG.normal(size=(2, 4)).astype(np.float32)
X_IMAGE = RNG.normal(size=(1, 5, 5, 2)).astype(np.float32)


def numpy_tanh(z):
    return np.tanh(z)


ACTIVATIONS = [  # (how it is given, what it computes on the pre-activation)
    ("name", "tanh", numpy_tanh),
    ("framework function", functional.tanh, numpy_tanh),
    ("lambda", lambda t: t.tanh() * 2.0, lambda z: np.tanh(z) * 2.0),
    ("None", None, lambda z: z),
]
LAYERS = [  # (layer factory, input, its linear part computed by hand)
    ("Dense", lambda a: nn.Dense(3, activation=a), X_FLAT,
     lambda layer, x: x @ layer.kernel.numpy() + layer.bias.numpy()),
    ("Activation", lambda a: nn.Activation(a), X_FLAT, lambda layer, x: x),
    ("Conv2D", lambda a: nn.Conv2D(3, 1, activation=a), X_IMAGE,
     lambda layer, x: x @ layer.kernel.numpy()[0, 0] + layer.bias.numpy()),
]


@pytest.mark.parametrize("how, activation, reference", ACTIVATIONS,
                         ids=[a[0] for a in ACTIVATIONS])
@pytest.mark.parametrize("make, x, linear", [layer[1:] for layer in LAYERS],
                         ids=[layer[0] for layer in LAYERS])
def test_every_activation_layer_takes_names_functions_lambdas_and_none(
        how, activation, reference, make, x, linear):
    layer = make(activation)
    out = layer(tg.Tensor(x)).numpy()
    np.testing.assert_allclose(out, reference(linear(layer, x)), rtol=1e-5, atol=1e-6)


def test_a_model_with_a_lambda_activation_cannot_be_saved_with_its_architecture(tmp_path):
    model = nn.Sequential([nn.Dense(2, activation=lambda t: t.relu(), input_shape=(3,),
                                    name="custom")])
    with pytest.raises(TypeError, match=r"save_model: the configuration of custom \(Dense\) "
                                        r"cannot be written as JSON .*activation='relu'.*"
                                        r"save_weights"):
        model.save(tmp_path / "model.npz")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    model.save_weights(tmp_path / "model.weights.npz")  # the documented way out works
    twin = nn.Sequential([nn.Dense(2, activation=lambda t: t.relu(), input_shape=(3,))])
    twin.load_weights(tmp_path / "model.weights.npz")
    np.testing.assert_array_equal(twin.get_weights()[0], model.get_weights()[0])


def _every_layer():
    image = (1, 4, 4, 4)
    return [
        (nn.Dense(3), (2, 4)), (nn.Activation("relu"), (2, 4)), (nn.Flatten(), (2, 4, 4)),
        (nn.Dropout(0.5), (2, 4)), (nn.PReLU(), (2, 4)), (nn.LeakyReLU(), (2, 4)),
        (nn.ELU(), (2, 4)), (nn.ReLU(), (2, 4)), (nn.Softmax(), (2, 4)),
        (nn.Conv2D(2, 3), image), (nn.MaxPooling2D(), image), (nn.AveragePooling2D(), image),
        (nn.GlobalAveragePooling2D(), image),
        (nn.GlobalMaxPooling2D(), image), (nn.BatchNormalization(), (2, 4)),
        (nn.LayerNormalization(), (2, 4)), (nn.InstanceNormalization(), image),
        (nn.GroupNormalization(groups=2), image), (nn.Reshape((2, 2)), (2, 4)),
        (nn.Permute((2, 1)), (2, 3, 4)), (nn.RepeatVector(3), (2, 4)),
        (nn.Sequential([nn.Dense(3), nn.Dropout(0.5)]), (2, 4)),
        (nn.SimpleRNN(3), (2, 5, 4)), (nn.LSTM(3, return_sequences=True), (2, 5, 4)),
        (nn.GRU(3, dropout=0.5), (2, 5, 4)), (nn.Bidirectional(nn.LSTM(3)), (2, 5, 4)),
        (nn.TimeDistributed(nn.Dense(2)), (2, 5, 4)), (nn.Masking(), (2, 5, 4)),
        (nn.Embedding(10, 3), np.array([[1, 2, 0], [9, 4, 4]])),
        (nn.Conv1D(2, 3, padding="causal"), (2, 5, 4)), (nn.MaxPooling1D(), (2, 5, 4)),
        (nn.AveragePooling1D(), (2, 5, 4)), (nn.GlobalAveragePooling1D(), (2, 5, 4)),
        (nn.GlobalMaxPooling1D(), (2, 5, 4)), (nn.DepthwiseConv2D(3), image),
        (nn.SeparableConv2D(3, 3, depth_multiplier=2), image),
        (nn.Conv2DTranspose(2, 3, strides=2), image), (nn.ZeroPadding2D(), image),
        (nn.Cropping2D(1), image), (nn.UpSampling2D(interpolation="bilinear"), image),
        (nn.ZeroPadding1D(), (2, 5, 4)), (nn.Cropping1D(), (2, 5, 4)),
        (nn.UpSampling1D(), (2, 5, 4)), (nn.Conv1DTranspose(2, 3, strides=2), (2, 5, 4)),
        (nn.DepthwiseConv1D(3), (2, 5, 4)), (nn.SeparableConv1D(2, 3), (2, 5, 4)),
        (nn.Rescaling(1 / 255), image), (nn.Normalization(), image), (nn.Resizing(2, 3), image),
        (nn.CenterCrop(2, 2), image), (nn.RandomFlip(seed=0), image),
        (nn.RandomTranslation(0.2, 0.2, seed=0), image), (nn.RandomRotation(0.1, seed=0), image),
        (nn.RandomZoom(0.2, seed=0), image), (nn.RandomContrast(0.5, seed=0), image),
        (nn.RandomCrop(2, 3, seed=0), image),
        (nn.InputLayer(shape=(4,)), (2, 4)), (_functional_model(), (2, 4)),
        (nn.Concatenate(), [(2, 4), (2, 3)]), (nn.Add(), [(2, 4), (2, 4)]),
        (nn.Subtract(), [(2, 4), (2, 4)]), (nn.Multiply(), [(2, 4), (2, 1)]),
        (nn.Average(), [(2, 4), (2, 4)]), (nn.Maximum(), [(2, 4), (2, 4)]),
        (nn.Minimum(), [(2, 4), (2, 4)]),
    ]


def _functional_model():
    x = nn.Input(shape=(4,))
    return nn.Model(x, nn.Dropout(0.5)(nn.Dense(3)(x)))


def test_the_list_covers_every_layer_class():
    covered = {type(layer).__name__ for layer, _ in _every_layer()}
    exported = {name for name in nn.__all__ if isinstance(getattr(nn, name), type)
                and issubclass(getattr(nn, name), nn.Module)}
    assert exported - covered == {"Module", "ModuleList", "RecurrentLayer"}


@pytest.mark.parametrize("index", range(len(_every_layer())),
                         ids=[type(layer).__name__ for layer, _ in _every_layer()])
@pytest.mark.parametrize("training", [True, False])
def test_every_layer_accepts_training_and_restores_its_mode(index, training):
    layer, shape = _every_layer()[index]
    layer.eval()
    if isinstance(shape, list):  # a merge layer takes a list of inputs
        x = [tg.Tensor(RNG.normal(size=one).astype(np.float32) + 2.0) for one in shape]
    else:
        x = tg.Tensor(shape if isinstance(shape, np.ndarray)  # indices, for Embedding
                      else RNG.normal(size=shape).astype(np.float32) + 2.0)
    out = layer(x, training=training)
    assert isinstance(out, tg.Tensor)
    assert all(not module.training for module in layer.modules())  # mode restored
    expected = layer(x).numpy() if not training else None
    if expected is not None:
        np.testing.assert_array_equal(out.numpy(), expected)


def test_training_true_really_trains_and_false_really_infers():
    dropout = nn.Dropout(0.5, seed=0)
    dropout.eval()
    ones = tg.ones(1, 1000)
    assert (dropout(ones, training=True).numpy() == 0).mean() == pytest.approx(0.5, abs=0.06)
    dropout.train()
    np.testing.assert_array_equal(dropout(ones, training=False).numpy(), ones.numpy())
    norm = nn.BatchNormalization()
    x = tg.Tensor(RNG.normal(3.0, 2.0, size=(64, 2)).astype(np.float32))
    batch_normalized = norm(x, training=True).numpy()
    np.testing.assert_allclose(batch_normalized.mean(axis=0), 0.0, atol=1e-5)


def test_a_forward_that_takes_training_or_any_keyword_receives_it():
    class Scaled(nn.Module):
        def forward(self, x, training=None, scale=1.0):
            return x * (scale if training else -scale)

    class Open(nn.Module):
        def forward(self, x, **options):
            return x * options["factor"] * (1.0 if options.get("training") else 0.0)

    ones = tg.ones(1, 2)
    assert Scaled()(ones, training=True, scale=3.0).tolist() == [[3.0, 3.0]]
    assert Scaled()(ones, training=False).tolist() == [[-1.0, -1.0]]
    assert Open()(ones, training=True, factor=2.0).tolist() == [[2.0, 2.0]]
    with pytest.raises(TypeError, match=r"unknown keyword argument colour; a call accepts: "
                                        r"scale, training"):
        Scaled()(ones, colour="red")


def test_unknown_keywords_are_named():
    with pytest.raises(TypeError, match=r"dense \(Dense\): unknown keyword argument mask; a "
                                        r"call accepts: training"):
        nn.Dense(3, name="dense")(tg.ones(2, 4), mask=None)


SHAPE_ERRORS = [
    ("Flatten input_shape with None", lambda: nn.Flatten(input_shape=(None, 8, 8)),
     ValueError, r"Flatten: input_shape=\(None, 8, 8\) contains None. input_shape leaves the "
                 r"batch axis out"),
    ("NCHW image into an NHWC Conv2D",
     lambda: nn.Conv2D(4, 3, input_shape=(28, 28, 1), name="conv")(tg.ones(2, 1, 28, 28)),
     ValueError, r"conv \(Conv2D\): was built for inputs of shape \(None, 28, 28, 1\) but got "
                 r"shape \(2, 1, 28, 28\).*channels-first \(NCHW\).*x.transpose\(0, 2, 3, 1\), "
                 r"not reshape"),
    ("NCHW image into a built NHWC BatchNormalization",
     lambda: nn.BatchNormalization(input_shape=(8, 8, 3))(tg.ones(2, 3, 8, 8)),
     ValueError, r"transpose\(0, 2, 3, 1\)"),
]


@pytest.mark.parametrize("call, error, message", [case[1:] for case in SHAPE_ERRORS],
                         ids=[case[0] for case in SHAPE_ERRORS])
def test_shape_errors_say_how_to_fix_the_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_load_weights_into_another_architecture_shows_the_shapes(tmp_path):
    saved = nn.Sequential([nn.Dense(4, input_shape=(3,), name="hidden"),
                           nn.Dense(2, name="out")])
    saved.save_weights(tmp_path / "w.npz")
    other = nn.Sequential([nn.Dense(5, input_shape=(3,), name="hidden"),
                           nn.Dense(2, name="out")])
    with pytest.raises(ValueError) as caught:
        other.load_weights(tmp_path / "w.npz")
    lines = str(caught.value).splitlines()
    assert "saved from another architecture" in lines[0]
    assert lines[1].split() == ["0:", "model", "hidden.kernel", "(3,", "5)", "file",
                                "hidden.kernel", "(3,", "4)", "<-", "differs"]
    assert lines[4].split()[-1] == "(2,)"  # out.bias fits: not marked
    assert "Build the model with the same layers and sizes" in lines[-1]
