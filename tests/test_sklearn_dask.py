"""A random search on a real Dask cluster gives the search of one process.

A ``LocalCluster`` of two worker processes (one thread each) runs the trials through joblib's
"dask" backend: the same code runs on real machines with ``Client("tcp://scheduler:8786")``.
"""

import numpy as np
import pytest

pytest.importorskip("sklearn", minversion="1.6")
distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.model_selection import RandomizedSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu.sklearn import KerasClassifier  # noqa: E402


def build(units=8, depth=1):
    return nn.Sequential([*[nn.Dense(units, activation="relu") for _ in range(depth)],
                          nn.Dense(1, activation="sigmoid")])


def _search():
    wrapper = KerasClassifier(build, loss="binary_crossentropy", optimizer="adam", epochs=3,
                              batch_size=32, verbose=0, random_state=0)
    return RandomizedSearchCV(
        make_pipeline(StandardScaler(), wrapper),
        {"kerasclassifier__model__units": [4, 8, 16, 32],
         "kerasclassifier__model__depth": [1, 2],
         "kerasclassifier__optimizer__learning_rate": [1e-4, 1e-3, 1e-2, 3e-2]},
        n_iter=8, cv=2, random_state=0, n_jobs=-1)


def test_random_search_on_a_local_dask_cluster_equals_one_process():
    data = load_breast_cancer()
    x, y = data.data.astype(np.float32), data.target
    local = _search().set_params(n_jobs=1).fit(x, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            with joblib.parallel_backend("dask"):
                remote = _search().fit(x, y)
            workers = client.run(lambda: __import__("os").getpid())
    assert len(workers) == 2
    assert len(remote.cv_results_["params"]) == 8
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], rtol=0, atol=1e-12)
    assert remote.best_score_ == pytest.approx(local.best_score_, abs=1e-12)
    assert remote.best_score_ > 0.9
