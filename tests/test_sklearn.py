"""The scikit-learn estimators: label encoding, parameter routing, pipelines, searches,
processes (joblib n_jobs) and how a model crosses a process boundary."""

import multiprocessing
import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn", minversion="1.6")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, make_classification, make_regression  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    RandomizedSearchCV,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu.sklearn import (  # noqa: E402
    KerasClassifier,
    KerasRegressor,
    SKLearnClassifier,
    SKLearnRegressor,
    portable_model,
)
from tinygrad_edu.sklearn.transport import one_blas_thread  # noqa: E402


def mlp(meta, units=16, depth=1, output="softmax"):
    layers = [nn.Dense(units, activation="relu") for _ in range(depth)]
    classes = meta.get("n_classes_", 1)
    if output == "sigmoid":
        return nn.Sequential([*layers, nn.Dense(1, activation="sigmoid")])
    if output == "linear":
        return nn.Sequential([*layers, nn.Dense(1)])
    return nn.Sequential([*layers, nn.Dense(classes, activation="softmax")])


def classifier(**params):
    settings = dict(loss="categorical_crossentropy", optimizer="adam", epochs=15, verbose=0,
                    random_state=0, optimizer__learning_rate=0.02)
    settings.update(params)
    return KerasClassifier(mlp, **settings)


@pytest.fixture(scope="module")
def blobs():
    x, y = make_classification(n_samples=200, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    return x.astype(np.float32), y


@pytest.fixture(scope="module")
def cancer():
    data = load_breast_cancer()
    return data.data.astype(np.float32), data.target


@pytest.mark.parametrize("loss, output", [
    ("categorical_crossentropy", "softmax"),
    ("sparse_categorical_crossentropy", "softmax"),
])
def test_multiclass_string_labels_round_trip(blobs, loss, output):
    x, y = blobs
    names = np.array(["cat", "dog", "emu"])[y]
    clf = classifier(loss=loss, model__output=output).fit(x, names)
    assert clf.classes_.tolist() == ["cat", "dog", "emu"]
    assert clf.n_features_in_ == 6 and clf.n_classes_ == 3
    proba = clf.predict_proba(x)
    assert proba.shape == (200, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    predicted = clf.predict(x)
    assert set(predicted) <= {"cat", "dog", "emu"}
    assert (predicted == clf.classes_[proba.argmax(axis=1)]).all()
    assert clf.score(x, names) > 0.8


def test_binary_labels_with_one_sigmoid_unit(cancer):
    x, y = cancer
    labels = np.where(y == 1, "benign", "malignant")
    clf = make_pipeline(StandardScaler(),
                        classifier(loss="binary_crossentropy", model__output="sigmoid"))
    clf.fit(x, labels)
    wrapper = clf[-1]
    assert wrapper.model_.layers[-1].units == 1
    proba = clf.predict_proba(x)
    assert proba.shape == (len(x), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert clf.score(x, labels) > 0.95


def test_output_units_must_match_the_classes(blobs):
    x, y = blobs
    with pytest.raises(ValueError, match="one output unit but the labels hold 3 classes"):
        classifier(loss="binary_crossentropy", model__output="sigmoid").fit(x, y)


def test_regressor_keeps_the_shape_of_y():
    x, y = make_regression(n_samples=150, n_features=5, noise=1.0, random_state=0)
    y = (y - y.mean()) / y.std()
    reg = KerasRegressor(mlp, loss="mse", optimizer="adam", optimizer__learning_rate=0.02,
                         epochs=40, verbose=0, random_state=0, model__output="linear")
    assert reg.fit(x, y).predict(x).shape == (150,)
    assert reg.score(x, y) > 0.9
    assert reg.fit(x, y.reshape(-1, 1)).predict(x).shape == (150, 1)


def test_routed_parameters_are_parameters(blobs):
    x, y = blobs
    clf = classifier(model__units=7, model__depth=2)
    params = clf.get_params()
    assert params["model__units"] == 7 and params["optimizer__learning_rate"] == 0.02
    twin = clone(clf)
    assert twin.get_params() == params
    twin.set_params(model__units=5, epochs=2)
    assert twin.get_params()["model__units"] == 5 and clf.get_params()["model__units"] == 7
    twin.fit(x, y)
    hidden = [layer for layer in twin.model_.layers[:-1]]
    assert [layer.units for layer in hidden] == [5, 5]
    assert twin.model_.optimizer.learning_rate == pytest.approx(0.02)
    assert len(twin.history_["loss"]) == 2


def test_unknown_argument_says_how_to_route_it(blobs):
    x, y = blobs
    with pytest.raises(TypeError, match="model__units|optimizer__unit"):
        classifier(unit=3).fit(x, y)


def test_uncompiled_model_without_loss_is_a_clear_error(blobs):
    x, y = blobs
    with pytest.raises(ValueError, match="no loss was given"):
        KerasClassifier(mlp, epochs=1, verbose=0).fit(x, y)


def test_partial_fit_is_one_epoch_and_warm_start_goes_on(blobs):
    x, y = blobs
    clf = classifier(epochs=3)
    clf.partial_fit(x[:50], y[:50], classes=[0, 1, 2])
    first = clf.model_
    clf.partial_fit(x[50:], y[50:])
    assert clf.model_ is first and len(clf.history_["loss"]) == 2
    warm = classifier(epochs=2, warm_start=True).fit(x, y)
    model = warm.model_
    warm.fit(x, y)
    assert warm.model_ is model and len(warm.history_["loss"]) == 4
    cold = classifier(epochs=2).fit(x, y)
    model = cold.model_
    assert cold.fit(x, y).model_ is not model and len(cold.history_["loss"]) == 2


def test_keras3_wrapper_takes_a_compiled_model_and_copies_it(blobs):
    x, y = blobs
    tg.manual_seed(0)
    model = nn.Sequential([nn.Dense(8, activation="relu", input_dim=6),
                           nn.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    clf = SKLearnClassifier(model, fit_kwargs={"epochs": 3, "verbose": 0}).fit(x, y)
    assert clf.model_ is not model
    assert all((a == b).all() for a, b in zip(before, model.get_weights()))
    assert clf.predict(x).shape == (200,)


def test_keras3_build_function_gets_one_hot_y_and_model_kwargs(blobs):
    x, y = blobs
    seen = {}

    def build(X, y, units):
        seen.update(x_shape=X.shape, y_shape=y.shape, units=units)
        model = nn.Sequential([nn.Dense(units, activation="relu"),
                               nn.Dense(y.shape[1], activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        return model

    SKLearnClassifier(build, model_kwargs={"units": 4}, fit_kwargs={"verbose": 0}).fit(x, y)
    assert seen == {"x_shape": (200, 6), "y_shape": (200, 3), "units": 4}
    reg = SKLearnRegressor(lambda X, y: _compiled_regressor(), fit_kwargs={"verbose": 0})
    assert reg.fit(x, y.astype(np.float32)).predict(x).shape == (200,)


def _compiled_regressor():
    model = nn.Sequential([nn.Dense(4, activation="relu"), nn.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_random_state_repeats_a_fit_and_leaves_the_users_stream_alone(blobs):
    x, y = blobs
    tg.manual_seed(3)
    expected = tg.randn(4).numpy()
    tg.manual_seed(3)
    first = classifier().fit(x, y).predict_proba(x)
    after = tg.randn(4).numpy()
    second = classifier().fit(x, y).predict_proba(x)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(after, expected)
    other = classifier(random_state=1).fit(x, y).predict_proba(x)
    assert not np.array_equal(first, other)


def test_a_fitted_model_travels_as_config_and_weights(blobs):
    x, y = blobs
    clf = classifier(epochs=2).fit(x, y)
    state = clf.__getstate__()
    sent = state["model_"]["__portable_model__"]
    assert sent["class_name"] == "Sequential"
    assert set(sent["weights"]) == set(clf.model_.state_dict())
    assert sent["compiled"]["optimizer"]["class_name"] == "Adam"
    assert all(isinstance(value, np.ndarray) for value in sent["weights"].values())
    twin = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(twin.predict_proba(x), clf.predict_proba(x))
    assert twin.model_.optimizer.iterations == clf.model_.optimizer.iterations
    twin.set_params(warm_start=True).fit(x, y)  # goes on from the sent optimizer state
    assert twin.model_.optimizer.iterations == 2 * clf.model_.optimizer.iterations
    assert portable_model(clf.model_)["config"] == clf.model_.get_config()


def test_pipeline_grid_search_and_cross_validation(cancer):
    x, y = cancer
    pipeline = make_pipeline(StandardScaler(), classifier(epochs=5))
    scores = cross_val_score(pipeline, x, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85
    search = GridSearchCV(pipeline, {"kerasclassifier__model__units": [2, 16],
                                     "kerasclassifier__optimizer__learning_rate": [1e-4, 2e-2]},
                          cv=3)
    search.fit(x, y)
    assert search.best_params_["kerasclassifier__optimizer__learning_rate"] == 2e-2
    assert search.best_score_ > 0.9
    assert search.score(x, y) > 0.9


def _search(x, y, n_jobs):
    search = RandomizedSearchCV(
        make_pipeline(StandardScaler(), classifier(epochs=4)),
        {"kerasclassifier__model__units": [4, 8, 16, 32],
         "kerasclassifier__model__depth": [1, 2],
         "kerasclassifier__optimizer__learning_rate": [1e-3, 1e-2, 3e-2]},
        n_iter=4, cv=2, random_state=0, n_jobs=n_jobs)
    return search.fit(x, y)


def test_n_jobs_2_gives_the_same_search_as_one_process(cancer):
    x, y = cancer
    one, two = _search(x, y, 1), _search(x, y, 2)
    assert one.best_params_ == two.best_params_
    np.testing.assert_allclose(two.cv_results_["mean_test_score"],
                               one.cv_results_["mean_test_score"], rtol=0, atol=1e-12)


def _blas_threads_in_a_trial(_=None):
    from threadpoolctl import threadpool_info

    with one_blas_thread():
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def test_trials_in_worker_processes_use_one_blas_thread():
    # A plain multiprocessing pool sets no thread variables: the limit is the wrapper's.
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        threads = pool.map(_blas_threads_in_a_trial, [0])[0]
    assert threads and set(threads) == {1}
    from threadpoolctl import threadpool_info

    here = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    assert _blas_threads_in_a_trial() == here  # the main process keeps its own setting
