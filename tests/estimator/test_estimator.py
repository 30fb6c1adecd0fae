"""MeanShift as a scikit-learn estimator: check_estimator, clone, Pipeline,
GridSearchCV, repr, feature names, and the package without scikit-learn."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import fastmeanshift as fms

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.cluster import MeanShift as SklearnMeanShift  # noqa: E402
from sklearn.exceptions import NotFittedError as SklearnNotFittedError  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

X = np.array([[1.0, 1.0], [2.0, 1.0], [1.0, 0.0], [4.0, 7.0], [3.0, 5.0], [3.0, 6.0]])
LABELS = [1, 1, 1, 0, 0, 0]


@pytest.mark.parametrize("cluster_assignment", ["nearest", "attractor"])
def test_check_estimator_passes_every_check(cluster_assignment):
    with warnings.catch_warnings():
        # The one warning is that we implement the protocol instead of inheriting
        # BaseEstimator, which would make `import fastmeanshift` import scikit-learn.
        warnings.filterwarnings("ignore", "Estimator MeanShift does not inherit", UserWarning)
        model = fms.MeanShift(cluster_assignment=cluster_assignment)
        results = check_estimator(model, on_fail=None)
    not_passed = {r["check_name"]: repr(r["exception"]) for r in results if r["status"] != "passed"}
    # scikit-learn skips its array API check unless SCIPY_ARRAY_API is set, for its own
    # MeanShift too; nothing is skipped on our account.
    not_passed.pop("check_array_api_input", None)
    assert not_passed == {}
    assert len(results) >= 40


def test_tags_match_scikit_learns():
    from sklearn.utils import get_tags

    assert get_tags(fms.MeanShift()) == get_tags(SklearnMeanShift())


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"bandwidth": 2, "n_jobs": -1},
        {"bandwidth": 2.5, "bin_seeding": True, "cluster_all": False, "max_iter": 10},
        {"bandwidth": 2.5, "bin_seeding": True, "cluster_all": False, "max_iter": 10,
         "min_bin_freq": 3, "n_jobs": -1},
        {"max_iter": 300.0, "bandwidth": np.float64(1.5)},
        {"seeds": np.arange(8.0).reshape(4, 2), "bin_seeding": True},
        {"seeds": np.random.default_rng(0).normal(size=(300, 3))},
        {"seeds": [[1, 2], [3, 4]], "bandwidth": float("nan")},
    ],
)  # fmt: skip
def test_repr_is_scikit_learns(params):
    assert repr(fms.MeanShift(**params)) == repr(SklearnMeanShift(**params))


def test_html_repr_is_scikit_learns_diagram():
    page = fms.MeanShift(bandwidth=2)._repr_html_()
    assert "sk-estimator" in page and "MeanShift(bandwidth=2)" in page


def test_params_round_trip_and_clone():
    model = fms.MeanShift(bandwidth=3, bin_seeding=True)
    assert model.get_params() == {
        "bandwidth": 3,
        "bin_seeding": True,
        "cluster_all": True,
        "cluster_assignment": "nearest",
        "kernel": "flat",
        "max_iter": 300,
        "min_bin_freq": 1,
        "n_jobs": None,
        "seeds": None,
    }
    copy = clone(model.fit(X))
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "labels_")
    assert model.set_params(bandwidth=2, max_iter=5) is model
    assert (model.bandwidth, model.max_iter) == (2, 5)
    with pytest.raises(ValueError, match="Invalid parameter 'nope' for estimator"):
        model.set_params(nope=1)


def test_parameters_are_validated_at_fit_not_before():
    model = fms.MeanShift(bandwidth=-1, max_iter="many")
    model.set_params(min_bin_freq=0)
    clone(model)
    with pytest.raises(fms.InvalidParameterError):
        model.fit(X)


def test_pipeline_and_grid_search():
    # Three blobs of 30 random points, far apart on different scales: the
    # estimated bandwidth is well above 0 and no distance ties with it, so
    # scikit-learn's answer does not depend on its BLAS rounding (below 12
    # samples, or at bandwidth 0, it would: docs/user_guide/known_limits.md).
    rng = np.random.default_rng(0)
    truth = np.repeat([0, 1, 2], 30)
    blobs = np.array([[0.0, 0.0], [10.0, 300.0], [20.0, 0.0]])[truth] + rng.normal(
        0.0, [1.0, 20.0], (90, 2)
    )
    pipeline = make_pipeline(StandardScaler(), fms.MeanShift(bin_seeding=True))
    labels = pipeline.fit_predict(blobs)
    scaled = StandardScaler().fit_transform(blobs)
    assert fms.estimate_bandwidth(scaled) > 0.1
    assert adjusted_rand_score(truth, labels) == 1.0
    theirs = make_pipeline(StandardScaler(), SklearnMeanShift(bin_seeding=True))
    assert labels.tolist() == theirs.fit_predict(blobs).tolist()

    def agreement(estimator, data, y):
        return adjusted_rand_score(y, estimator.predict(data))

    everything = np.arange(len(X))
    search = GridSearchCV(
        fms.MeanShift(),
        {"bandwidth": [0.5, 2.0, 50.0]},
        scoring=agreement,
        cv=[(everything, everything)],
    ).fit(X, LABELS)
    assert search.best_params_ == {"bandwidth": 2.0}
    assert search.best_estimator_.labels_.tolist() == LABELS


def test_pickle_round_trip():
    model = pickle.loads(pickle.dumps(fms.MeanShift(bandwidth=2).fit(X)))
    assert model.predict([[0, 0], [5, 5]]).tolist() == [1, 0]


def test_not_fitted_error_is_also_scikit_learns():
    with pytest.raises(SklearnNotFittedError) as info:
        fms.MeanShift().predict(X)
    assert isinstance(info.value, fms.NotFittedError)
    assert isinstance(info.value, ValueError) and isinstance(info.value, AttributeError)
    assert isinstance(pickle.loads(pickle.dumps(info.value)), fms.NotFittedError)


def test_invalid_parameter_error_is_also_scikit_learns():
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError) as info:
        fms.MeanShift(bandwidth=0).fit(X)
    assert isinstance(info.value, fms.InvalidParameterError)


def _warnings_and_error(model, fit_data, predict_data):
    model.fit(fit_data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.predict(predict_data)
            error = None
        except ValueError as exc:
            error = str(exc)
    return [str(w.message) for w in caught], error


@pytest.mark.parametrize(
    ("fit_columns", "predict_columns"),
    [
        (["a", "b"], ["a", "b"]),
        (["a", "b"], None),
        (None, ["a", "b"]),
        (["a", "b"], ["b", "a"]),
        (["a", "b"], ["a", "c"]),
        (list("abcdefgh"), list("stuvwxyz")),
        ([0, 1], [0, 1]),
    ],
)
def test_feature_names_warn_and_fail_as_scikit_learn(fit_columns, predict_columns):
    pd = pytest.importorskip("pandas")
    width = len(fit_columns or predict_columns)
    data = np.random.default_rng(0).normal(size=(20, width))

    def frame(columns):
        return data if columns is None else pd.DataFrame(data, columns=columns)

    ours = _warnings_and_error(fms.MeanShift(), frame(fit_columns), frame(predict_columns))
    theirs = _warnings_and_error(SklearnMeanShift(), frame(fit_columns), frame(predict_columns))
    assert ours == theirs
    model = fms.MeanShift().fit(frame(fit_columns))
    if fit_columns is not None and isinstance(fit_columns[0], str):
        assert model.feature_names_in_.tolist() == fit_columns
    else:
        assert not hasattr(model, "feature_names_in_")


def test_mixed_column_name_types_are_an_error():
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match="only supported if all input features have string"):
        fms.MeanShift().fit(pd.DataFrame(X, columns=["a", 1]))


def test_works_without_scikit_learn():
    # sys.modules[name] = None makes `import name` raise ImportError.
    script = textwrap.dedent(
        """
        import sys
        sys.modules["sklearn"] = None
        import numpy as np
        import fastmeanshift as fms

        X = [[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]]
        model = fms.MeanShift(bandwidth=2).fit(X)
        assert model.labels_.tolist() == [1, 1, 1, 0, 0, 0]
        assert repr(model) == "MeanShift(bandwidth=2)"
        assert model._repr_html_() == "<pre>MeanShift(bandwidth=2)</pre>"
        assert fms.MeanShift().set_params(n_jobs=2).get_params()["n_jobs"] == 2
        for call in (lambda: fms.MeanShift().predict(X), lambda: fms.mean_shift(X, bandwidth=0)):
            try:
                call()
            except (fms.NotFittedError, fms.InvalidParameterError) as error:
                assert type(error) in (fms.NotFittedError, fms.InvalidParameterError)
            else:
                raise AssertionError("no error")
        loaded = {name.partition(".")[0] for name, module in sys.modules.items() if module}
        assert "sklearn" not in loaded
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_import_does_not_import_scikit_learn():
    script = "import sys, fastmeanshift; print('sklearn' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
