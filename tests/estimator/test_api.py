"""The Python API: validation, dtypes, attributes, threads, and untouched inputs."""

from __future__ import annotations

import numpy as np
import pytest

import fastmeanshift as fms

X = np.array([[1.0, 1.0], [2.0, 1.0], [1.0, 0.0], [4.0, 7.0], [3.0, 5.0], [3.0, 6.0]])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"bandwidth": 0}, "must be a float in the range (0.0, inf) or None. Got 0 instead."),
        ({"bandwidth": -1.0}, "'bandwidth' parameter"),
        ({"bandwidth": float("inf")}, "'bandwidth' parameter"),
        ({"bandwidth": float("nan")}, "'bandwidth' parameter"),
        ({"bandwidth": "a"}, "'bandwidth' parameter"),
        ({"min_bin_freq": 0}, "an int in the range [1, inf)"),
        ({"min_bin_freq": 1.5}, "'min_bin_freq' parameter"),
        ({"max_iter": -1}, "an int in the range [0, inf)"),
        ({"bin_seeding": 1}, "an instance of 'bool' or an instance of 'numpy.bool'"),
        ({"cluster_all": None}, "'cluster_all' parameter"),
        ({"n_jobs": 1.5}, "an instance of 'int' or None"),
    ],
)
def test_invalid_parameters(params, message):
    with pytest.raises(fms.InvalidParameterError) as info:
        fms.MeanShift(**params).fit(X)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


def test_n_jobs_zero():
    with pytest.raises(ValueError, match="n_jobs == 0"):
        fms.MeanShift(bandwidth=2, n_jobs=0).fit(X)


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (np.array([[np.nan, 1.0]]), ValueError, "Input X contains NaN"),
        (np.array([[np.inf, 1.0]]), ValueError, "Input X contains infinity"),
        (np.zeros((0, 2)), ValueError, r"0 sample\(s\) \(shape=\(0, 2\)\)"),
        (np.zeros((3, 0)), ValueError, r"0 feature\(s\)"),
        (np.array([1.0, 2.0]), ValueError, "Expected 2D array, got 1D array"),
        (np.zeros((2, 2, 2)), ValueError, "Found array with dim 3"),
        (np.array([[1 + 1j, 2]]), ValueError, "Complex data not supported"),
        (np.array([["a", "b"]]), ValueError, "strings"),
    ],
)
def test_invalid_data(data, error, message):
    with pytest.raises(error, match=message):
        fms.MeanShift(bandwidth=1.0).fit(data)


def test_seeds_of_the_wrong_width():
    with pytest.raises(ValueError, match="X has 3 features, but NearestNeighbors is expecting 2"):
        fms.MeanShift(bandwidth=2, seeds=[[1, 2, 3]]).fit(X)


def test_predict_before_fit_and_with_the_wrong_width():
    with pytest.raises(fms.NotFittedError, match="not fitted yet"):
        fms.MeanShift().predict(X)
    model = fms.MeanShift(bandwidth=2).fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but MeanShift is expecting 2"):
        model.predict([[1, 2, 3]])


@pytest.mark.parametrize(
    "data",
    [
        X.tolist(),
        tuple(map(tuple, X)),
        X.astype(np.int64),
        X.astype(np.float16),
        np.asfortranarray(X),
        np.repeat(X, 2, axis=1)[:, ::2],
        X.astype(">f8"),
        X.astype(np.float32).astype(">f4"),
    ],
    ids=["list", "tuple", "int", "float16", "fortran", "strided", "big-endian", "big-endian-f32"],
)
def test_odd_but_valid_inputs(data):
    model = fms.MeanShift(bandwidth=2).fit(data)
    assert model.labels_.tolist() == [1, 1, 1, 0, 0, 0]
    # float32 and float16 keep their type, as in scikit-learn; the rest is float64.
    expected = {4: np.float32, 2: np.float16}.get(np.asarray(data).dtype.itemsize, np.float64)
    assert model.cluster_centers_.dtype == expected


def test_inputs_are_not_modified():
    data = np.asfortranarray(X.copy())
    seeds = X[:3].copy()
    data.flags.writeable = False
    fms.MeanShift(bandwidth=2, seeds=seeds).fit(data)
    fms.MeanShift(bandwidth=2, bin_seeding=True).fit(data)
    np.testing.assert_array_equal(data, X)
    np.testing.assert_array_equal(seeds, X[:3])


def test_fitted_attributes():
    model = fms.MeanShift(bandwidth=2)
    assert not hasattr(model, "cluster_centers_")
    assert not hasattr(model, "n_iter_")
    assert model.fit_predict(X).tolist() == [1, 1, 1, 0, 0, 0]
    assert model.n_features_in_ == 2
    assert isinstance(model.n_iter_, int)
    assert not hasattr(model, "feature_names_in_")


def test_feature_names_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b"])
    model = fms.MeanShift(bandwidth=2).fit(frame)
    assert model.feature_names_in_.tolist() == ["a", "b"]
    assert model.labels_.tolist() == [1, 1, 1, 0, 0, 0]


def test_params_and_repr():
    model = fms.MeanShift(bandwidth=2, n_jobs=-1)
    assert repr(model) == "MeanShift(bandwidth=2, n_jobs=-1)"
    assert repr(fms.MeanShift()) == "MeanShift()"
    assert model.get_params()["bandwidth"] == 2
    assert model.set_params(max_iter=5).max_iter == 5
    with pytest.raises(ValueError, match="Invalid parameter"):
        model.set_params(nope=1)


def test_sklearn_clone():
    base = pytest.importorskip("sklearn.base")
    model = base.clone(fms.MeanShift(bandwidth=3, bin_seeding=True))
    assert model.get_params()["bandwidth"] == 3 and model.bin_seeding is True


@pytest.mark.parametrize("n_jobs", [None, 1, 2, -1, -2])
def test_thread_counts_give_identical_bits(n_jobs):
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal(c, 0.5, (800, 3)) for c in (0, 3, 6)])
    reference = fms.MeanShift(bandwidth=1.0).fit(data)
    model = fms.MeanShift(bandwidth=1.0, n_jobs=n_jobs).fit(data)
    assert model.cluster_centers_.tobytes() == reference.cluster_centers_.tobytes()
    np.testing.assert_array_equal(model.labels_, reference.labels_)
    assert model.n_iter_ == reference.n_iter_


def test_the_core_reads_only_c_order():
    # The API hands the core C-contiguous, aligned arrays; given a Fortran-ordered
    # one directly, the core refuses it rather than reading it transposed.
    from fastmeanshift import _core

    centers = np.ascontiguousarray(X[:2])
    assert _core.predict(X, centers, None).tolist() == [0, 1, 0, 1, 1, 1]
    with pytest.raises(ValueError, match="expected a C-contiguous, aligned array"):
        _core.predict(np.asfortranarray(X), centers, None)
    with pytest.raises(ValueError, match="expected a C-contiguous, aligned array"):
        _core.estimate_bandwidth(np.asfortranarray(X), 0.3, None)
