"""cluster_assignment="attractor" (docs/algorithm.md §12) as a user meets it: the
labels on a case worked out by hand, predict, pickling, the function and the
parameter's validation."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import fastmeanshift as fms

import reference

# A long thin cluster (x from 0 to 3 along y = 0) beside a compact one near x =
# 4.5. With bandwidth 1.5 the modes are (1.5, 0) and (4.22, 0). The sample at (3,
# 0) is nearer the compact one's mode (1.22 against 1.5 away), but its climb
# runs left: its first neighbourhood, x from 1.5 to 4.5, has mean 2.97, the next
# (x from 1.5 to 4.3) 2.66, the next (1.5 to 3) 2.25. So nearest-centre labels
# cut the long cluster, and attractor labels keep it whole.
LONG_AND_COMPACT = np.array(
    [[0, 0], [0.5, 0], [1, 0], [1.5, 0], [2, 0], [2.5, 0], [3, 0], [4.3, 0], [4.5, 0],
     [4.6, 0], [4.7, 0]],
    dtype=float,
)  # fmt: skip
NEAREST = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
ATTRACTED = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]


@pytest.mark.parametrize("bin_seeding", [False, True])
def test_a_long_cluster_beside_a_compact_one(bin_seeding):
    params = dict(bandwidth=1.5, bin_seeding=bin_seeding)
    nearest = fms.MeanShift(**params).fit(LONG_AND_COMPACT)
    attracted = fms.MeanShift(cluster_assignment="attractor", **params).fit(LONG_AND_COMPACT)
    np.testing.assert_allclose(nearest.cluster_centers_, [[1.5, 0], [4.22, 0]])
    assert nearest.labels_.tolist() == NEAREST
    assert attracted.labels_.tolist() == ATTRACTED
    assert attracted.cluster_centers_.tobytes() == nearest.cluster_centers_.tobytes()
    assert attracted.n_iter_ == nearest.n_iter_
    # The same sample predicted climbs the same way, and so does a new one at
    # (2.9, 0); one at (3.1, 0) has 4.6 in its first neighbourhood and climbs right.
    new = [[3.0, 0.0], [2.9, 0.0], [3.1, 0.0]]
    assert attracted.predict(new).tolist() == [0, 0, 1]
    assert nearest.predict(new).tolist() == [1, 1, 1]


def test_the_climb_of_the_sample_between_them_is_as_worked_out():
    means = [reference.climb(LONG_AND_COMPACT, LONG_AND_COMPACT[6], 1.5, k)[0] for k in (0, 1, 2)]
    np.testing.assert_allclose(np.array(means)[:, 0], [17.8 / 6, 13.3 / 5, 9 / 4])
    # It settles on x from 0.5 to 3, whose mean is 1.75: the long cluster's mode is nearest.
    assert reference.climb(LONG_AND_COMPACT, LONG_AND_COMPACT[6], 1.5, 300)[0][0] == 1.75


def test_samples_that_do_not_climb_are_labelled_from_themselves():
    # The sample at 10 weighs nothing: no climb; labelled from itself, an orphan.
    X = np.array([[0.0], [0.5], [1.0], [10.0]])
    model = fms.MeanShift(bandwidth=2, cluster_all=False, cluster_assignment="attractor")
    assert model.fit(X, sample_weight=[1, 1, 1, 0]).labels_.tolist() == [0, 0, 0, -1]
    # A new sample with nothing in reach is labelled from itself too.
    assert model.predict([[9.0], [1.2]]).tolist() == [-1, 0]


def test_fit_predict_and_the_function_take_the_option():
    X = LONG_AND_COMPACT
    model = fms.MeanShift(bandwidth=1.5, cluster_assignment="attractor")
    assert model.fit_predict(X).tolist() == ATTRACTED
    centers, labels = fms.mean_shift(X, bandwidth=1.5, cluster_assignment="attractor")
    assert labels.tolist() == ATTRACTED
    np.testing.assert_array_equal(centers, model.cluster_centers_)
    # predict of the training samples is labels_: the same climbs.
    assert model.predict(X).tolist() == ATTRACTED


@pytest.mark.parametrize("value", ["closest", "", None, 1])
def test_unknown_assignments_are_invalid_parameters(value):
    with pytest.raises(fms.InvalidParameterError, match="'cluster_assignment' parameter") as info:
        fms.MeanShift(bandwidth=1, cluster_assignment=value).fit(LONG_AND_COMPACT)
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match="cluster_assignment"):
        fms.mean_shift(LONG_AND_COMPACT, bandwidth=1, cluster_assignment=value)


def test_a_pickled_model_predicts_as_the_original():
    w = np.arange(len(LONG_AND_COMPACT)) % 3
    model = fms.MeanShift(bandwidth=1.5, kernel="gaussian", cluster_assignment="attractor")
    model.fit(LONG_AND_COMPACT, sample_weight=w)
    new = np.linspace(-1, 6, 29).reshape(-1, 1) * [1, 0]
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(new), model.predict(new))
    assert restored.get_params() == model.get_params()


def test_the_model_keeps_the_training_samples_without_a_copy():
    X = np.ascontiguousarray(LONG_AND_COMPACT)
    model = fms.MeanShift(bandwidth=1.5, cluster_assignment="attractor").fit(X)
    assert np.shares_memory(model._climbs_on.X, X)
    # A layout the core cannot read in place is copied once, at fit.
    fortran = np.asfortranarray(LONG_AND_COMPACT)
    model.fit(fortran)
    assert not np.shares_memory(model._climbs_on.X, fortran)
    assert model.predict(fortran).tolist() == ATTRACTED
    # Refitted with nearest-centre labels, the model lets the samples go.
    model.set_params(cluster_assignment="nearest").fit(X)
    assert model._climbs_on is None
    assert model.predict(X).tolist() == NEAREST


def test_float32_samples_climb_as_float32():
    X32 = LONG_AND_COMPACT.astype(np.float32)
    model = fms.MeanShift(bandwidth=1.5, cluster_assignment="attractor").fit(X32)
    assert model.labels_.tolist() == ATTRACTED
    assert model.cluster_centers_.dtype == np.float32
    assert model.predict(LONG_AND_COMPACT).tolist() == ATTRACTED
