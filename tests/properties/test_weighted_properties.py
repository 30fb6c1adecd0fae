"""Property tests of kernels and sample weights (docs/algorithm.md §10): against
the NumPy reference, and the identities the weights must keep."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import reference
from datasets import bandwidths, datasets
from test_properties import assert_same_clustering, assert_same_outcome, fit

KERNELS = ["flat", "epanechnikov", "gaussian"]


@st.composite
def weights_for(draw, X: np.ndarray, integers: bool = False) -> np.ndarray:
    """One weight per row of X, some 0, not all 0: small integers, or any floats."""
    n = len(X)
    if integers or draw(st.booleans()):
        w = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=float)
    else:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        w = rng.uniform(0, 2, n) * (rng.random(n) < 0.85)
    assume(w.any())
    return w


def assert_bit_identical(a, b) -> None:
    assert a[0].dtype == b[0].dtype
    assert a[0].tobytes() == b[0].tobytes()
    np.testing.assert_array_equal(a[1], b[1])
    assert a[2] == b[2]


@given(data=st.data(), X=datasets(max_samples=40, max_dim=4))
def test_every_kernel_matches_the_reference(data, X):
    kernel = data.draw(st.sampled_from(KERNELS))
    w = data.draw(st.none() | weights_for(X))
    bandwidth = data.draw(bandwidths(X))
    cluster_all = data.draw(st.booleans())
    max_iter = data.draw(st.sampled_from([0, 1, 300]))
    assert_same_outcome(
        X,
        lambda: reference.mean_shift(
            X, bandwidth, cluster_all=cluster_all, max_iter=max_iter, kernel=kernel, weights=w
        ),
        bandwidth=bandwidth,
        cluster_all=cluster_all,
        max_iter=max_iter,
        kernel=kernel,
        sample_weight=w,
    )


@given(data=st.data(), X=datasets(max_samples=40, max_dim=4))
def test_weighted_bin_seeding_matches_the_reference(data, X):
    kernel = data.draw(st.sampled_from(KERNELS))
    w = data.draw(weights_for(X))
    bandwidth = data.draw(bandwidths(X))
    min_bin_freq = data.draw(st.integers(1, 3))
    seeds = reference.get_bin_seeds(X, bandwidth, min_bin_freq, weights=w)
    assume(len(seeds) > 0)
    if len(seeds) == math.fsum(w):  # as many bins as the total weight: every point seeds
        seeds = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert_same_outcome(
            X,
            lambda: reference.mean_shift(X, bandwidth, seeds=seeds, kernel=kernel, weights=w),
            bandwidth=bandwidth,
            bin_seeding=True,
            min_bin_freq=min_bin_freq,
            kernel=kernel,
            sample_weight=w,
        )


@given(data=st.data(), X=datasets(max_samples=60, max_dim=5))
def test_integer_weights_cluster_as_repeated_rows(data, X):
    kernel = data.draw(st.sampled_from(KERNELS))
    w = data.draw(weights_for(X, integers=True))
    bin_seeding = data.draw(st.booleans())
    params = dict(bandwidth=data.draw(bandwidths(X)), kernel=kernel, bin_seeding=bin_seeding)
    counts = w.astype(int)
    repeated = np.repeat(X, counts, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            expected = fit(repeated, **params)
        except ValueError as error:
            with pytest.raises(ValueError, match=str(error)[:20]):
                fit(X, sample_weight=w, **params)
            return
        got = fit(X, sample_weight=w, **params)
    np.testing.assert_array_equal(np.repeat(got[1], counts), expected[1])
    assert got[2] == expected[2]
    # Bit for bit with every kernel: an integer weight times a profile is
    # exact (docs/algorithm.md §10.1, §10.3), so the sums are the repeated
    # rows' sums.
    assert got[0].tobytes() == expected[0].tobytes()


@pytest.mark.parametrize("kernel", ["epanechnikov", "gaussian"])
def test_integer_weights_on_a_symmetric_pair_give_the_repeated_rows_centre(kernel):
    """Two points of equal weight within a bandwidth: the climbs from each
    end at mirror positions of mathematically equal intensity, and rounding
    decides which centre is kept, so any difference between the weighted
    and the repeated sums shows as a centre up to the stopping threshold
    away (a rounded term weight w * k(u) gave one in about a quarter of
    these cases)."""
    rng = np.random.default_rng(5)
    for _ in range(60):
        X = rng.normal(size=(32, 3)) * 1.5 - 8
        w = np.zeros(32)
        i, j = rng.choice(32, 2, replace=False)
        w[[i, j]] = rng.integers(2, 6)
        bandwidth = float(np.linalg.norm(X[i] - X[j])) * rng.uniform(1.05, 1.6)
        got = fit(X, sample_weight=w, bandwidth=bandwidth, kernel=kernel)
        expected = fit(np.repeat(X, w.astype(int), axis=0), bandwidth=bandwidth, kernel=kernel)
        assert got[0].tobytes() == expected[0].tobytes()
        assert got[2] == expected[2]


@given(data=st.data(), X=datasets(max_samples=150))
def test_unit_weights_are_no_weights(data, X):
    kernel = data.draw(st.sampled_from(KERNELS))
    params = dict(
        bandwidth=data.draw(bandwidths(X)), kernel=kernel, bin_seeding=data.draw(st.booleans())
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            expected = fit(X, **params)
        except ValueError:
            with pytest.raises(ValueError):
                fit(X, sample_weight=np.ones(len(X)), **params)
            return
        assert_bit_identical(fit(X, sample_weight=np.ones(len(X)), **params), expected)


@given(data=st.data(), X=datasets())
def test_flat_kernel_is_todays_clustering(data, X):
    bandwidth = data.draw(bandwidths(X))
    expected = reference.mean_shift(X, bandwidth)
    flat = fit(X, bandwidth=bandwidth, kernel="flat")
    assert_same_clustering(flat, expected, X)
    assert_bit_identical(flat, fit(X, bandwidth=bandwidth))


@given(data=st.data(), X=datasets(max_samples=300))
def test_kernels_and_weights_do_not_depend_on_n_jobs(data, X):
    kernel = data.draw(st.sampled_from(KERNELS))
    w = data.draw(st.none() | weights_for(X))
    bandwidth = data.draw(bandwidths(X))
    try:
        one = fit(X, sample_weight=w, bandwidth=bandwidth, kernel=kernel, n_jobs=1)
    except ValueError:
        return
    two = fit(X, sample_weight=w, bandwidth=bandwidth, kernel=kernel, n_jobs=2)
    assert_bit_identical(one, two)


def test_the_gaussian_profile_matches_the_reference_bit_for_bit():
    """Each seed steps once over a pair of points, (0, y) and (f, y), ten
    bandwidths from every other pair: its centre is (f k / (1 + k), y) with
    k = exp(-f**2 / 2) the core's profile (its exp shortened to 32
    significant bits), and a change in k's last kept bit moves it by about
    2**21 ulp. So 3,000 pairs with f spread over the support compare the
    core's profile with the reference's: its exp to 32 bits, and where the
    exp's error crosses a boundary of the shortening, to every bit."""
    n = 3000
    f = np.random.default_rng(7).uniform(0.0, 3.0, n)
    y = 10.0 * np.arange(n)
    X = np.concatenate([np.stack([np.zeros(n), y], 1), np.stack([f, y], 1)])
    seeds = X[:n]
    expected = reference.mean_shift(X, 1.0, seeds=seeds, max_iter=0, kernel="gaussian")
    got = fit(X, bandwidth=1.0, seeds=seeds, max_iter=0, kernel="gaussian")
    assert len(got[0]) == n
    assert got[0].tobytes() == expected[0].tobytes()
