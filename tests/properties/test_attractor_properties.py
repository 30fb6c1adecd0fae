"""Property tests of attractor labels (docs/algorithm.md §12): against the NumPy
reference, and the identities they keep with nearest-centre labels."""

from __future__ import annotations

import math
import warnings

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

import fastmeanshift as fms

import reference
from datasets import bandwidths, datasets
from test_properties import assert_same_outcome, fit
from test_weighted_properties import KERNELS, assert_bit_identical, weights_for


@given(data=st.data(), X=datasets(max_samples=40, max_dim=4))
def test_attractor_labels_match_the_reference(data, X):
    kernel = data.draw(st.sampled_from(KERNELS))
    w = data.draw(st.none() | weights_for(X))
    bandwidth = data.draw(bandwidths(X))
    cluster_all = data.draw(st.booleans())
    max_iter = data.draw(st.sampled_from([0, 1, 300]))
    seeds = None
    bin_seeding = data.draw(st.booleans())
    if bin_seeding:
        seeds = reference.get_bin_seeds(X, bandwidth, 1, weights=w)
        assume(len(seeds) > 0)
        if len(seeds) == (len(X) if w is None else math.fsum(w)):
            seeds = None  # every point seeds, as scikit-learn falls back
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert_same_outcome(
            X,
            lambda: reference.mean_shift(
                X,
                bandwidth,
                seeds=seeds,
                cluster_all=cluster_all,
                max_iter=max_iter,
                kernel=kernel,
                weights=w,
                cluster_assignment="attractor",
            ),
            bandwidth=bandwidth,
            bin_seeding=bin_seeding,
            cluster_all=cluster_all,
            max_iter=max_iter,
            kernel=kernel,
            sample_weight=w,
            cluster_assignment="attractor",
        )


@given(data=st.data(), X=datasets(max_samples=40, max_dim=3))
def test_attractor_predict_matches_the_reference(data, X):
    kernel = data.draw(st.sampled_from(KERNELS))
    w = data.draw(st.none() | weights_for(X))
    bandwidth = data.draw(bandwidths(X))
    cluster_all = data.draw(st.booleans())
    params = dict(bandwidth=bandwidth, kernel=kernel, cluster_all=cluster_all)
    try:
        model = fms.MeanShift(cluster_assignment="attractor", **params).fit(X, sample_weight=w)
    except ValueError:
        return
    # New points: some training rows, some between them, some far away.
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    new = np.concatenate([X[: len(X) // 2], X.mean(0) + rng.normal(size=(6, X.shape[1]))])
    new = np.concatenate([new, new[:1] + 100 * bandwidth]).astype(X.dtype)
    centers = model.cluster_centers_.astype(np.float64)
    expected = reference.attractor_labels(
        X, list(new), centers, bandwidth, 300, kernel, w, cluster_all
    )
    np.testing.assert_array_equal(model.predict(new), expected)


@given(data=st.data(), X=datasets(max_samples=200))
def test_attractor_labels_change_nothing_but_the_labels(data, X):
    kernel = data.draw(st.sampled_from(KERNELS))
    w = data.draw(st.none() | weights_for(X))
    params = dict(
        bandwidth=data.draw(bandwidths(X)), kernel=kernel, bin_seeding=data.draw(st.booleans())
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            nearest = fit(X, sample_weight=w, **params)
        except ValueError:
            return
        one = fit(X, sample_weight=w, cluster_assignment="attractor", n_jobs=1, **params)
        two = fit(X, sample_weight=w, cluster_assignment="attractor", n_jobs=2, **params)
    assert one[0].tobytes() == nearest[0].tobytes()
    assert one[2] == nearest[2]
    assert_bit_identical(one, two)
