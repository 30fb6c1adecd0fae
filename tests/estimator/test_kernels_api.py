"""The Python API of kernels and sample weights: validation, the function and
the estimator's methods, and untouched inputs."""

from __future__ import annotations

import numpy as np
import pytest

import fastmeanshift as fms

X = np.array([[1.0, 1.0], [2.0, 1.0], [1.0, 0.0], [4.0, 7.0], [3.0, 5.0], [3.0, 6.0]])


@pytest.mark.parametrize("kernel", ["rbf", "Flat", None, 1])
def test_unknown_kernels_are_invalid_parameters(kernel):
    with pytest.raises(fms.InvalidParameterError) as info:
        fms.MeanShift(bandwidth=2, kernel=kernel).fit(X)
    assert "The 'kernel' parameter of MeanShift must be a str among " in str(info.value)
    assert "{'flat', 'epanechnikov', 'gaussian'}" in str(info.value)
    with pytest.raises(fms.InvalidParameterError, match="'kernel' parameter of mean_shift"):
        fms.mean_shift(X, bandwidth=2, kernel=kernel)


@pytest.mark.parametrize(
    ("sample_weight", "message"),
    [
        ([1.0, 2.0], r"sample_weight.shape == \(2,\), expected \(6,\)!"),
        (np.ones((6, 1)), "Sample weights must be 1D array or scalar, got 2D array"),
        ([1, 1, 1, -1, 1, 1], "Negative values in data passed to `sample_weight`"),
        (np.zeros(6), "Sample weights must contain at least one non-zero number"),
        (0.0, "Sample weights must contain at least one non-zero number"),
        ([1, 1, np.nan, 1, 1, 1], "Input sample_weight contains NaN"),
        ([1, 1, np.inf, 1, 1, 1], "Input sample_weight contains infinity"),
        ([1e308] * 6, "The sum of sample_weight overflows"),
        (["a"] * 6, "sample_weight must hold real numbers"),
    ],
)
def test_bad_sample_weights_are_value_errors(sample_weight, message):
    with pytest.raises(ValueError, match=message):
        fms.MeanShift(bandwidth=2).fit(X, sample_weight=sample_weight)


def test_a_boolean_weight_is_a_number_as_in_scikit_learn():
    from sklearn.utils.validation import _check_sample_weight

    plain = fms.MeanShift(bandwidth=2).fit(X).cluster_centers_
    weighted = fms.MeanShift(bandwidth=2).fit(X, sample_weight=True).cluster_centers_
    assert weighted.tobytes() == plain.tobytes()
    assert _check_sample_weight(True, X).tolist() == [1.0] * len(X)
    # False weighs every sample 0; an array of no dimension is refused with
    # scikit-learn's class and words.
    for weight in (False, np.True_, np.array(2.0)):
        with pytest.raises((TypeError, ValueError)) as theirs:
            _check_sample_weight(weight, X, ensure_non_negative=True)
        with pytest.raises(theirs.type) as ours:
            fms.MeanShift(bandwidth=2).fit(X, sample_weight=weight)
        assert str(ours.value) == str(theirs.value)


def test_a_number_weighs_every_sample():
    model = fms.MeanShift(bandwidth=2, kernel="gaussian")
    a = model.fit(X, sample_weight=2.5).cluster_centers_
    b = model.fit(X, sample_weight=np.full(6, 2.5)).cluster_centers_
    assert a.tobytes() == b.tobytes()


def test_function_fit_and_fit_predict_agree():
    w = np.array([3.0, 0.0, 1.0, 1.0, 2.0, 0.5])
    for kernel in ["flat", "epanechnikov", "gaussian"]:
        model = fms.MeanShift(bandwidth=1.5, kernel=kernel)
        fitted = model.fit(X, sample_weight=w)
        centers, labels = fms.mean_shift(X, bandwidth=1.5, kernel=kernel, sample_weight=w)
        np.testing.assert_array_equal(centers, fitted.cluster_centers_)
        np.testing.assert_array_equal(labels, fitted.labels_)
        np.testing.assert_array_equal(model.fit_predict(X, sample_weight=w), labels)


def test_kernel_is_a_parameter_of_the_estimator():
    model = fms.MeanShift(kernel="epanechnikov")
    assert model.get_params()["kernel"] == "epanechnikov"
    assert repr(model) == "MeanShift(kernel='epanechnikov')"
    assert repr(fms.MeanShift()) == "MeanShift()"


def test_weights_are_not_modified_and_any_layout_is_accepted():
    w = np.arange(12, dtype=np.float32)[::2] + 1
    before = w.copy()
    got = fms.MeanShift(bandwidth=2).fit(X, sample_weight=w).cluster_centers_
    np.testing.assert_array_equal(w, before)
    expected = fms.MeanShift(bandwidth=2).fit(X, sample_weight=list(before)).cluster_centers_
    assert got.tobytes() == expected.tobytes()


def test_weights_change_the_clustering_as_repeated_rows_would():
    # The third sample weighed 5 pulls the lower centre towards it.
    w = [1, 1, 5, 1, 1, 1]
    centers, _ = fms.mean_shift(X, bandwidth=2, sample_weight=w)
    np.testing.assert_allclose(centers[0], [8 / 7, 1 / 7 * 2])
    repeated = np.repeat(X, w, axis=0)
    assert centers.tobytes() == fms.mean_shift(repeated, bandwidth=2)[0].tobytes()


def test_estimated_bandwidth_ignores_weights():
    rng = np.random.default_rng(0)
    data = rng.normal(0, 1, (60, 2))
    w = rng.uniform(0, 3, 60)
    estimated = fms.MeanShift(kernel="gaussian").fit(data, sample_weight=w)
    given = fms.MeanShift(kernel="gaussian", bandwidth=float(fms.estimate_bandwidth(data)))
    given.fit(data, sample_weight=w)
    assert estimated.cluster_centers_.tobytes() == given.cluster_centers_.tobytes()
