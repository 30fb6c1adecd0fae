"""Property tests: the Rust-backed package against the pure-NumPy reference."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import fastmeanshift as fms

import reference
from datasets import bandwidths, datasets


def tolerance(dtype) -> float:
    return 1e-5 if dtype == np.float32 else 1e-10


def assert_same_clustering(got, expected, X) -> None:
    (centers, labels, n_iter), (ref_centers, ref_labels, ref_n_iter) = got, expected
    assert centers.dtype == X.dtype
    assert labels.dtype == np.int64
    assert n_iter == ref_n_iter
    assert centers.shape == ref_centers.shape
    np.testing.assert_array_equal(labels, ref_labels)
    scale = max(1.0, float(np.abs(ref_centers).max()))
    np.testing.assert_allclose(centers, ref_centers, rtol=0, atol=tolerance(X.dtype) * scale)


def assert_same_outcome(X, expected_fn, **params) -> None:
    """The reference's clustering, or its "no point within bandwidth" error."""
    try:
        expected = expected_fn()
    except ValueError:
        with pytest.raises(ValueError, match="No point was within bandwidth"):
            fit(X, **params)
        return
    assert_same_clustering(fit(X, **params), expected, X)


def fit(X, sample_weight=None, **params):
    model = fms.MeanShift(**params).fit(X, sample_weight=sample_weight)
    return model.cluster_centers_, model.labels_, model.n_iter_


@given(data=st.data(), X=datasets())
def test_every_point_a_seed(data, X):
    bandwidth = data.draw(bandwidths(X))
    cluster_all = data.draw(st.booleans())
    max_iter = data.draw(st.sampled_from([0, 1, 2, 300]))
    expected = reference.mean_shift(X, bandwidth, cluster_all=cluster_all, max_iter=max_iter)
    got = fit(X, bandwidth=bandwidth, cluster_all=cluster_all, max_iter=max_iter)
    assert_same_clustering(got, expected, X)


@given(data=st.data(), X=datasets(max_samples=300))
def test_bin_seeding(data, X):
    bandwidth = data.draw(bandwidths(X))
    min_bin_freq = data.draw(st.integers(1, 3))
    seeds = reference.get_bin_seeds(X, bandwidth, min_bin_freq)
    assume(len(seeds) > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        got_seeds = fms.get_bin_seeds(X, bandwidth, min_bin_freq)
        if len(seeds) == len(X):
            assert got_seeds is X
            seeds = X
        else:
            np.testing.assert_array_equal(got_seeds, seeds)
            assert got_seeds.dtype == seeds.dtype
        assert_same_outcome(
            X,
            lambda: reference.mean_shift(X, bandwidth, seeds=seeds),
            bandwidth=bandwidth,
            bin_seeding=True,
            min_bin_freq=min_bin_freq,
        )


@given(data=st.data(), X=datasets())
def test_given_seeds(data, X):
    bandwidth = data.draw(bandwidths(X))
    n_seeds = data.draw(st.integers(1, 30))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    lo, hi = X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)
    seeds = rng.uniform(lo - bandwidth, hi + bandwidth, size=(n_seeds, X.shape[1]))
    assert_same_outcome(
        X, lambda: reference.mean_shift(X, bandwidth, seeds=seeds), bandwidth=bandwidth, seeds=seeds
    )


@given(data=st.data(), X=datasets(max_samples=200))
def test_estimated_bandwidth_is_bit_identical(data, X):
    quantile = data.draw(st.sampled_from([0.0, 0.1, 0.3, 0.5, 1.0]))
    assert fms.estimate_bandwidth(X, quantile=quantile) == reference.estimate_bandwidth(X, quantile)


@given(X=datasets(max_samples=400))
def test_threads_do_not_change_a_bit(X):
    bandwidth = float(np.ptp(X.astype(np.float64), axis=0).max()) / 4 or 1.0
    one = fit(X, bandwidth=bandwidth, n_jobs=1)
    two = fit(X, bandwidth=bandwidth, n_jobs=2)
    assert one[0].tobytes() == two[0].tobytes()
    np.testing.assert_array_equal(one[1], two[1])
    assert one[2] == two[2]


@given(data=st.data(), X=datasets())
def test_predict_is_the_nearest_centre(data, X):
    bandwidth = data.draw(bandwidths(X))
    model = fms.MeanShift(bandwidth=bandwidth).fit(X)
    queries = X[::-1] * 1.5
    expected = reference.nearest(queries, model.cluster_centers_.astype(np.float64))
    np.testing.assert_array_equal(model.predict(queries), expected)


def test_a_few_thousand_points_in_three_dimensions():
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(c, 0.6, size=(700, 3)) for c in (0, 4, 8)])
    seeds = reference.get_bin_seeds(X, 1.5)
    expected = reference.mean_shift(X, 1.5, seeds=seeds)
    assert_same_clustering(fit(X, bandwidth=1.5, bin_seeding=True), expected, X)
