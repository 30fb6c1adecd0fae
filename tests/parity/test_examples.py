"""scikit-learn's reference numbers and edge cases (docs/algorithm.md §9), pinned as examples."""

from __future__ import annotations

import numpy as np
import pytest

import fastmeanshift as fms

DATASET_B = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])


def dataset_a() -> np.ndarray:
    datasets = pytest.importorskip("sklearn.datasets")
    X, _ = datasets.make_blobs(
        n_samples=300,
        n_features=2,
        centers=np.array([[1, 1], [-1, -1], [1, -1]]) + 10,
        cluster_std=0.4,
        shuffle=True,
        random_state=11,
    )
    return X


def test_dataset_b():
    model = fms.MeanShift(bandwidth=2).fit(DATASET_B)
    assert model.cluster_centers_.tolist() == [
        [3.3333333333333335, 6.0],
        [1.3333333333333333, 0.6666666666666666],
    ]
    assert model.labels_.tolist() == [1, 1, 1, 0, 0, 0]
    assert model.labels_.dtype == np.int64
    assert model.n_iter_ == 2
    assert model.predict([[0, 0], [5, 5]]).tolist() == [1, 0]
    centers, labels = fms.mean_shift(DATASET_B, bandwidth=2)
    assert centers.tolist() == model.cluster_centers_.tolist()
    assert labels.tolist() == [1, 1, 1, 0, 0, 0]


def test_dataset_a_bandwidth_1_2():
    X = dataset_a()
    model = fms.MeanShift(bandwidth=1.2).fit(X)
    assert len(model.cluster_centers_) == 3
    np.testing.assert_allclose(
        model.cluster_centers_[0], [11.000172040954798, 10.962444108671944], rtol=1e-13
    )
    assert sorted(np.bincount(model.labels_).tolist()) == [99, 100, 101]
    assert model.n_iter_ == 7


def test_dataset_a_bin_seeding_and_orphans():
    X = dataset_a()
    assert len(fms.get_bin_seeds(X, 1.2)) == 14
    binned = fms.MeanShift(bandwidth=1.2, bin_seeding=True).fit(X)
    full = fms.MeanShift(bandwidth=1.2).fit(X)
    np.testing.assert_allclose(binned.cluster_centers_, full.cluster_centers_, rtol=1e-13)
    assert binned.n_iter_ == 5
    orphans = fms.MeanShift(bandwidth=1.2, cluster_all=False).fit(X)
    assert (orphans.labels_ == -1).sum() == 2


def test_dataset_a_estimated_bandwidth():
    X = dataset_a()
    assert fms.estimate_bandwidth(X) == 1.068194417915839
    assert fms.estimate_bandwidth(X, n_samples=200) == 1.0803898606938251
    model = fms.MeanShift().fit(X)
    assert len(model.cluster_centers_) == 3
    assert model.n_iter_ == 9


def test_zero_estimated_bandwidth_separates_exact_duplicates():
    X = np.array([[1], [1], [1], [2], [2], [2], [3], [3]])
    assert fms.estimate_bandwidth(X) == 0.0
    model = fms.MeanShift().fit(X)
    assert model.cluster_centers_.tolist() == [[2.0], [1.0], [3.0]]
    assert model.labels_.tolist() == [1, 1, 1, 0, 0, 0, 2, 2]


def test_max_iter_zero_performs_one_update():
    model = fms.MeanShift(bandwidth=1.5, max_iter=0, seeds=[[0.0]]).fit([[0.0], [1.0], [2.0]])
    assert model.cluster_centers_.tolist() == [[0.5]]
    assert model.n_iter_ == 0


def test_no_point_within_bandwidth():
    message = (
        "No point was within bandwidth=1.000000 of any seed. Try a different seeding strategy"
        "                              or increase the bandwidth."
    )
    with pytest.raises(ValueError) as info:
        fms.MeanShift(bandwidth=1.0, seeds=[[50.0]]).fit([[0.0], [1.0]])
    assert str(info.value) == message


def test_bin_seeds_round_half_to_even_and_keep_first_appearance():
    X = np.array([[0.5], [1.5], [2.5], [-0.5], [7.0], [1.6]])
    seeds = fms.get_bin_seeds(X, 1.0)
    assert seeds.dtype == np.float32
    assert seeds.ravel().tolist() == [0.0, 2.0, 7.0]  # -0.5 rounds to -0.0: the 0 bin
    assert fms.get_bin_seeds(X, 1.0, min_bin_freq=2).ravel().tolist() == [0.0, 2.0]
    assert fms.get_bin_seeds(X, np.float64(1.0)).dtype == np.float64


def test_bin_seeds_fall_back_to_the_data_with_a_warning():
    X = np.array([[0.0], [10.0], [20.0]])
    with pytest.warns(UserWarning, match=r"Binning data failed with provided bin_size=1.000000"):
        assert fms.get_bin_seeds(X, 1.0) is X
    assert fms.get_bin_seeds(X, 0) is X


def test_empty_bin_seeds_give_a_clear_error():
    X = np.array([[0.0], [10.0], [20.0], [30.0]])
    with pytest.raises(ValueError, match="No seeds"):
        fms.MeanShift(bandwidth=1.0, bin_seeding=True, min_bin_freq=2).fit(X)


def test_single_sample():
    model = fms.MeanShift().fit([[3.0, 4.0]])
    assert model.cluster_centers_.tolist() == [[3.0, 4.0]]
    assert model.labels_.tolist() == [0]


def test_float32_stays_float32():
    model = fms.MeanShift(bandwidth=2).fit(DATASET_B.astype(np.float32))
    assert model.cluster_centers_.dtype == np.float32
    assert model.labels_.tolist() == [1, 1, 1, 0, 0, 0]


@pytest.mark.parametrize("dim", [1, 2, 7, 16, 17, 64, 100])
def test_every_dimension(dim):
    rng = np.random.default_rng(dim)
    X = np.concatenate([rng.normal(0, 0.1, (50, dim)), rng.normal(5, 0.1, (50, dim))])
    model = fms.MeanShift(bandwidth=2.0 * np.sqrt(dim) * 0.3 + 0.5).fit(X)
    assert len(model.cluster_centers_) == 2
    assert len(set(model.labels_[:50].tolist())) == 1
    assert model.labels_[0] != model.labels_[-1]
