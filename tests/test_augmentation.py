"""Augmentation layers against Keras 3: fixed transformations give Keras's pixels, the random
ranges are Keras's, seeds reproduce, inference leaves images alone, gradients are right."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.functional import image_transform as warp
from tinygrad_edu.gradcheck import gradcheck

RNG = np.random.default_rng(0)
IMAGES = RNG.random((3, 7, 9, 2)).astype(np.float32)
FILL_MODES = ["reflect", "wrap", "constant", "nearest"]
INTERPOLATIONS = ["bilinear", "nearest"]
TOLERANCE = dict(rtol=0, atol=2e-6)  # float32 pixels in [0, 1]: coordinates agree to ~1e-7


def keras_layers():
    keras = pytest.importorskip("keras")
    return keras.layers, keras.ops.convert_to_numpy


def ours(layer, images=IMAGES, training=True):
    return layer(tg.Tensor(images), training=training).numpy()


# ----- the warp itself ---------------------------------------------------------------------
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_affine_transform_equals_keras_for_rotation_translation_and_zoom(fill_mode,
                                                                         interpolation):
    keras = pytest.importorskip("keras")
    matrices = np.concatenate([warp.rotation_matrix([0.3, -1.1, 2.0], 7, 9),
                               warp.translation_matrix([2.3, -4.6, 9.5], [1.2, -3.3, 0.4]),
                               warp.zoom_matrix([0.7, 1.6, 1.3], [0.8, 1.9, 0.5], 7, 9)])
    images = np.concatenate([IMAGES] * 3)
    flat = np.concatenate([matrices.reshape(-1, 6), np.zeros((9, 2))], 1).astype(np.float32)
    expected = keras.ops.convert_to_numpy(keras.ops.image.affine_transform(
        images, flat, interpolation=interpolation, fill_mode=fill_mode, fill_value=0.7))
    got = warp.affine_transform(tg.Tensor(images), matrices, interpolation, fill_mode, 0.7)
    np.testing.assert_allclose(got.numpy(), expected, **TOLERANCE)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_the_warp_gradient_matches_finite_differences(fill_mode):
    image = tg.Tensor(RNG.random((2, 4, 5, 1)), requires_grad=True)
    matrices = warp.rotation_matrix([0.4, 2.5], 4, 5) * 1.1
    assert gradcheck(lambda t: warp.affine_transform(t, matrices, "bilinear", fill_mode, 0.3),
                     [image])


# ----- fixed transformations: Keras's output -----------------------------------------------
FIXED = [  # (name, layer of a module L with a factor range of one value)
    ("rotation", lambda L, m, i: L.RandomRotation((0.1, 0.1), m, i, fill_value=0.5)),
    ("rotation_negative", lambda L, m, i: L.RandomRotation((-0.3, -0.3), m, i)),
    ("translation", lambda L, m, i: L.RandomTranslation((0.2, 0.2), (-0.35, -0.35), m, i)),
    ("zoom_out", lambda L, m, i: L.RandomZoom((0.4, 0.4), None, m, i)),
    ("zoom_in_wide", lambda L, m, i: L.RandomZoom((-0.3, -0.3), (0.5, 0.5), m, i)),
]


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("make", [f[1] for f in FIXED], ids=[f[0] for f in FIXED])
def test_a_fixed_warp_layer_gives_keras_pixels(make, fill_mode, interpolation):
    layers, to_numpy = keras_layers()
    expected = to_numpy(make(layers, fill_mode, interpolation)(IMAGES, training=True))
    np.testing.assert_allclose(ours(make(nn, fill_mode, interpolation)), expected, **TOLERANCE)
    single = to_numpy(make(layers, fill_mode, interpolation)(IMAGES[0], training=True))
    np.testing.assert_allclose(ours(make(nn, fill_mode, interpolation), IMAGES[0]), single,
                               **TOLERANCE)


def test_flip_contrast_and_crop_apply_a_given_transformation_as_keras():
    layers, to_numpy = keras_layers()
    import keras

    tensor = keras.ops.convert_to_tensor
    flips = np.array([True, False, True])
    for mode in ["horizontal", "vertical", "horizontal_and_vertical"]:
        expected = to_numpy(layers.RandomFlip(mode).transform_images(
            tensor(IMAGES), {"flips": tensor(flips.reshape(3, 1, 1, 1))}, training=True))
        np.testing.assert_array_equal(nn.RandomFlip(mode).flip(tg.Tensor(IMAGES), flips).numpy(),
                                      expected)
    pixels = IMAGES * 255
    contrast = np.array([0.3, 1.0, 1.8], np.float32)
    expected = to_numpy(layers.RandomContrast(0.9).transform_images(
        tensor(pixels), {"contrast_factor": tensor(contrast.reshape(3, 1, 1, 1))}, training=True))
    np.testing.assert_allclose(nn.RandomContrast(0.9).adjust(tg.Tensor(pixels), contrast).numpy(),
                               expected, rtol=1e-6, atol=1e-4)
    expected = to_numpy(layers.RandomCrop(4, 5).transform_images(tensor(IMAGES), (2, 3),
                                                                 training=True))
    np.testing.assert_array_equal(nn.RandomCrop(4, 5).crop(tg.Tensor(IMAGES), 2, 3).numpy(),
                                  expected)


def test_random_crop_of_a_small_image_and_at_inference_crops_the_centre_and_resizes():
    # Keras's documented rule, which its Resizing(crop_to_aspect_ratio=True) implements (the
    # RandomCrop code of Keras 3.15 returns the input at inference and, for a small image,
    # stretches a target-sized slice instead).
    layers, to_numpy = keras_layers()
    small = to_numpy(layers.Resizing(8, 12, crop_to_aspect_ratio=True)(IMAGES))
    np.testing.assert_allclose(ours(nn.RandomCrop(8, 12)), small, **TOLERANCE)
    np.testing.assert_allclose(ours(nn.RandomCrop(8, 12), training=False), small, **TOLERANCE)
    centre = to_numpy(layers.Resizing(4, 6, crop_to_aspect_ratio=True)(IMAGES))
    np.testing.assert_allclose(ours(nn.RandomCrop(4, 6), training=False), centre, **TOLERANCE)
    np.testing.assert_array_equal(ours(nn.RandomCrop(7, 9), training=False), IMAGES)
    assert ours(nn.RandomCrop(4, 6), training=True).shape == (3, 4, 6, 2)


EVERY_LAYER = [
    lambda: nn.RandomFlip(), lambda: nn.RandomTranslation(0.3, 0.3),
    lambda: nn.RandomRotation(0.5), lambda: nn.RandomZoom(0.5),
    lambda: nn.RandomContrast(0.5, value_range=(0, 1)), lambda: nn.RandomCrop(5, 5),
]
NAMES = ["flip", "translation", "rotation", "zoom", "contrast", "crop"]


@pytest.mark.parametrize("make", EVERY_LAYER, ids=NAMES)
def test_at_inference_the_layers_leave_images_alone_like_keras(make):
    layer = make()
    out = ours(layer, training=False)
    if isinstance(layer, nn.RandomCrop):
        return  # its inference rule is tested above
    np.testing.assert_array_equal(out, IMAGES)
    layer.eval()
    np.testing.assert_array_equal(layer(tg.Tensor(IMAGES)).numpy(), IMAGES)
    layers, to_numpy = keras_layers()
    keras_layer = getattr(layers, type(layer).__name__)(*_keras_arguments(layer))
    np.testing.assert_array_equal(to_numpy(keras_layer(IMAGES, training=False)), IMAGES)


def _keras_arguments(layer):
    return {"RandomFlip": (), "RandomTranslation": (0.3, 0.3), "RandomRotation": (0.5,),
            "RandomZoom": (0.5,), "RandomContrast": (0.5,)}[type(layer).__name__]


@pytest.mark.parametrize("make", EVERY_LAYER, ids=NAMES)
def test_training_changes_images_and_keeps_float32(make):
    uint8 = (IMAGES * 255).astype(np.uint8)
    layer = make()
    if isinstance(layer, nn.RandomContrast):
        layer = nn.RandomContrast(0.5)
    out = ours(layer, uint8)
    assert out.dtype == np.float32
    assert out.shape[:1] + out.shape[3:] == (3, 2)
    assert not np.array_equal(out, uint8.astype(np.float32)[:, :out.shape[1], :out.shape[2]])


# ----- the random ranges -------------------------------------------------------------------
def test_flips_happen_to_half_the_images():
    column = np.zeros((4000, 1, 2, 1), np.float32)
    column[:, 0, 0] = 1.0
    out = ours(nn.RandomFlip("horizontal", seed=1), column)
    assert out[:, 0, 1, 0].mean() == pytest.approx(0.5, abs=0.03)
    images = np.repeat(IMAGES[:1], 2000, axis=0)
    out = ours(nn.RandomFlip(seed=2), images)
    kept = (out == images).all(axis=(1, 2, 3))
    turned = (out == images[:, ::-1, ::-1]).all(axis=(1, 2, 3))
    assert (kept | turned).all()  # kept or turned by 180 degrees, never flipped one way only
    assert kept.mean() == pytest.approx(0.5, abs=0.04)


def test_translations_are_uniform_over_the_factor_range():
    row = np.zeros((3000, 1, 41, 1), np.float32)
    row[:, 0, 20] = 1.0
    layer = nn.RandomTranslation(0.0, (-0.25, 0.5), fill_mode="constant",
                                 interpolation="nearest", seed=3)
    shift = ours(layer, row)[:, 0, :, 0].argmax(axis=1) - 20
    assert shift.min() >= -0.25 * 41 - 1 and shift.max() <= 0.5 * 41 + 1
    assert shift.mean() == pytest.approx(0.125 * 41, abs=0.5)
    assert np.std(shift) == pytest.approx(0.75 * 41 / np.sqrt(12), rel=0.05)


def test_rotation_angles_and_zooms_are_uniform_over_the_factor_range():
    layer = nn.RandomRotation((-0.2, 0.3), seed=4)
    matrices = layer._matrices(np.random.default_rng(0), 20000, 7, 9)
    angles = np.arctan2(matrices[:, 1, 0], matrices[:, 0, 0]) / (2 * np.pi)
    assert angles.min() >= -0.2 and angles.max() <= 0.3
    assert angles.mean() == pytest.approx(0.05, abs=0.005)
    zoom = nn.RandomZoom(0.3, (-0.5, -0.1))._matrices(np.random.default_rng(0), 20000, 7, 9)
    assert zoom[:, 1, 1].min() >= 0.7 and zoom[:, 1, 1].max() <= 1.3
    assert zoom[:, 0, 0].min() >= 0.5 and zoom[:, 0, 0].max() <= 0.9
    same = nn.RandomZoom(0.3)._matrices(np.random.default_rng(0), 50, 7, 9)
    np.testing.assert_array_equal(same[:, 0, 0], same[:, 1, 1])  # aspect ratio kept


def test_contrast_factors_cover_one_minus_to_one_plus_the_factor():
    images = RNG.random((4000, 3, 3, 1)).astype(np.float32) * 0.2 + 0.4
    out = ours(nn.RandomContrast(0.5, value_range=(0, 1), seed=5), images)
    ratio = out.std(axis=(1, 2, 3)) / images.std(axis=(1, 2, 3))
    assert ratio.min() == pytest.approx(0.5, abs=0.01)
    assert ratio.max() == pytest.approx(1.5, abs=0.01)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), images.mean(axis=(1, 2)), atol=1e-6)


def test_crop_windows_cover_every_position():
    positions = np.arange(6 * 6, dtype=np.float32).reshape(1, 6, 6, 1)
    layer = nn.RandomCrop(4, 4, seed=6)
    corners = {float(ours(layer, positions)[0, 0, 0, 0]) for _ in range(200)}
    assert corners == {float(6 * top + left) for top in range(3) for left in range(3)}


# ----- seeds -----------------------------------------------------------------------------
@pytest.mark.parametrize("make", EVERY_LAYER, ids=NAMES)
def test_a_seed_repeats_the_sequence_and_manual_seed_repeats_unseeded_layers(make):
    def two_calls(layer):
        return [ours(layer, np.concatenate([IMAGES] * 8)) for _ in range(2)]

    seeded = type(make())(*_arguments(make), seed=11)
    first, second = two_calls(seeded), two_calls(type(seeded)(*_arguments(make), seed=11))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    if not isinstance(seeded, nn.RandomCrop):  # a crop may pick the same window twice
        assert not np.array_equal(first[0], first[1])
    tg.manual_seed(3)
    unseeded = two_calls(make())
    tg.manual_seed(3)
    for a, b in zip(unseeded, two_calls(make())):
        np.testing.assert_array_equal(a, b)


def test_keras_set_random_seed_repeats_an_augmented_training_run():
    from tinygrad_edu import keras as ours_keras

    def run():
        ours_keras.utils.set_random_seed(5)
        model = nn.Sequential([nn.RandomRotation(0.1, input_shape=(7, 9, 2)),
                               nn.RandomFlip(), nn.Flatten(), nn.Dense(2)])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(IMAGES, np.array([0, 1, 0]), epochs=3, batch_size=2, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def _arguments(make):
    layer = make()
    return {"RandomFlip": (), "RandomTranslation": (0.3, 0.3), "RandomRotation": (0.5,),
            "RandomZoom": (0.5,), "RandomContrast": (0.5, (0, 1)),
            "RandomCrop": (5, 5)}[type(layer).__name__]


# ----- gradients, models, mistakes ---------------------------------------------------------
@pytest.mark.parametrize("make", EVERY_LAYER, ids=NAMES)
def test_gradients_flow_to_the_images(make):
    layer = make()
    images = tg.Tensor(RNG.random((2, 6, 7, 1)) * 0.5 + 0.25, requires_grad=True)

    def augmented(t):
        layer._private_generator = np.random.default_rng(7)  # the same draw every time
        return layer(t, training=True)

    assert gradcheck(augmented, [images])


def test_a_model_with_augmentation_trains_and_predicts_without_it():
    tg.manual_seed(0)
    model = nn.Sequential([nn.RandomFlip("horizontal"), nn.RandomRotation(0.05),
                           nn.RandomZoom(0.1), nn.RandomCrop(6, 8), nn.Flatten(), nn.Dense(2)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    labels = np.array([0, 1, 0])
    history = model.fit(IMAGES, labels, epochs=2, batch_size=3, verbose=0)
    assert len(history.history["loss"]) == 2
    first, again = model.predict(IMAGES, verbose=0), model.predict(IMAGES, verbose=0)
    np.testing.assert_array_equal(first, again)  # nothing random at inference


MISTAKES = [
    (lambda: nn.RandomRotation(2.0), r"RandomRotation: factor must be a number f \(the range "
     r"\[-f, f\]\) or a pair \(lower, upper\) of numbers in \[-1, 1\], got 2.0"),
    (lambda: nn.RandomRotation((0.1, 0.2, 0.3)), r"RandomRotation: factor must be"),
    (lambda: nn.RandomZoom(-1.0), r"RandomZoom: height_factor .* in \(-1, 1\], got -1.0"),
    (lambda: nn.RandomTranslation(0.1, "wide"), r"RandomTranslation: width_factor must be"),
    (lambda: nn.RandomContrast(-0.2), r"RandomContrast: factor must be a number or a pair"),
    (lambda: nn.RandomContrast(0.2, value_range=(1, 0)), r"value_range must be a pair"),
    (lambda: nn.RandomRotation(0.1, fill_mode="mirror"), r"RandomRotation: fill_mode must be "
     r"one of 'reflect', 'wrap', 'constant', 'nearest', got 'mirror'"),
    (lambda: nn.RandomZoom(0.1, interpolation="bicubic"), r"interpolation must be one of"),
    (lambda: nn.RandomFlip("diagonal"), r"RandomFlip: mode must be one of 'horizontal'"),
    (lambda: nn.RandomCrop(0, 3), r"RandomCrop: height must be a positive integer"),
    (lambda: nn.RandomZoom(0.1, input_shape=(28, 28), name="zoom"), r"zoom \(RandomZoom\): "
     r"input_shape must be \(height, width, channels\), got \(28, 28\).*\(28, 28, 1\)"),
    (lambda: nn.RandomFlip(name="flip")(tg.ones(28, 28)), r"flip \(RandomFlip\): expects "
     r"channels-last images .* got shape \(28, 28\).*x.reshape\(n, 28, 28, 1\)"),
]


@pytest.mark.parametrize("make, message", MISTAKES, ids=[m[1][:30] for m in MISTAKES])
def test_mistakes_name_the_layer_and_the_fix(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_configs_rebuild_the_layers():
    for make in EVERY_LAYER + [lambda: nn.RandomZoom((0.1, 0.2), 0.3, "constant", "nearest",
                                                     seed=3, fill_value=0.5)]:
        layer = make()
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


def test_keras_files_carry_the_layers_both_ways(tmp_path):
    keras = pytest.importorskip("keras")
    from tinygrad_edu import keras as ours_keras

    L = ours_keras.layers
    norm = L.Normalization(axis=None)
    # RandomCrop is left out: Keras 3.15's own RandomCrop returns the input unchanged at
    # inference (see its docstring here), so the two predictions would differ by design.
    model = ours_keras.Sequential([
        ours_keras.Input((8, 8, 1)), L.Rescaling(1 / 255), norm, L.RandomFlip("horizontal"),
        L.RandomRotation(0.1), L.RandomZoom(0.1, 0.2), L.RandomTranslation(0.1, 0.1),
        L.RandomContrast(0.2), L.Resizing(5, 6, pad_to_aspect_ratio=True), L.CenterCrop(4, 4),
        L.Flatten(), L.Dense(3)])
    pixels = (RNG.random((4, 8, 8, 1)) * 255).astype(np.float32)
    norm.adapt(pixels / 255)
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    expected = model.predict(pixels, verbose=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs.predict(pixels, verbose=0)),
                               expected, rtol=1e-5, atol=1e-5)
    theirs.save(tmp_path / "theirs.keras")
    back = ours_keras.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(back.predict(pixels, verbose=0), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make", EVERY_LAYER, ids=NAMES)
def test_one_unbatched_image_keeps_its_three_axes(make):
    image = IMAGES[0]
    for training in [True, False]:
        out = ours(make(), image, training=training)
        expected = (5, 5, 2) if isinstance(make(), nn.RandomCrop) else image.shape
        assert out.shape == expected and out.dtype == np.float32
