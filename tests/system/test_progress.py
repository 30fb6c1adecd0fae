"""The Rust core reports climbing progress to a Python callable, and fits pass it on."""

from __future__ import annotations

import numpy as np
import pytest

import fastmeanshift as fms


def blobs(n: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.normal(size=(n, 2)) + rng.integers(0, 3, (n, 1)) * 4.0


def fit_reporting(X: np.ndarray, **params) -> tuple[fms.MeanShift, list[tuple[int, int]]]:
    """A fit of ``MeanShift(**params)`` and the progress it reported."""
    reports: list[tuple[int, int]] = []
    model = fms.MeanShift(**params)._fit(X, progress=lambda d, t: reports.append((d, t)))
    return model, reports


def test_reports_seeds_climbed_up_to_the_total():
    X = blobs(3000)
    model, reports = fit_reporting(X, bandwidth=1.0, n_jobs=2)
    assert reports, "no progress reported"
    assert reports[-1] == (3000, 3000)
    assert [total for _, total in reports] == [3000] * len(reports)
    # Never backwards (a report repeats the count while climbs take long),
    # and the end is reported once.
    done = [d for d, _ in reports]
    assert done == sorted(done)
    assert reports.count((3000, 3000)) == 1
    # Reporting changes nothing in the result.
    again = fms.MeanShift(bandwidth=1.0, n_jobs=2).fit(X)
    np.testing.assert_array_equal(model.cluster_centers_, again.cluster_centers_)
    np.testing.assert_array_equal(model.labels_, again.labels_)
    assert model.n_iter_ == again.n_iter_


def test_reports_while_the_first_climbs_run():
    # Every ball holds about 8,000 of the points, so each of the 8 climbs
    # takes a while; they used to make one chunk, reported only at its end.
    X = np.random.default_rng(0).random((100_000, 6))
    _, reports = fit_reporting(X, bandwidth=0.5, seeds=X[:8], n_jobs=2)
    assert reports[-1] == (8, 8)
    assert reports.count((8, 8)) == 1
    assert len(reports) > 1


def test_counts_given_seeds():
    X = blobs(500)
    _, reports = fit_reporting(X, bandwidth=1.0, seeds=X[:37])
    assert reports[-1] == (37, 37)


def test_exception_in_callback_stops_the_fit():
    def fail(done: int, total: int) -> None:
        raise RuntimeError(f"stopped at {done} of {total}")

    with pytest.raises(RuntimeError, match="stopped at"):
        fms.MeanShift(bandwidth=1.0, n_jobs=2)._fit(blobs(2000), progress=fail)


def test_bin_seeding_reports_the_bins_climbed():
    X = blobs(1000)
    _, reports = fit_reporting(X, bandwidth=1.0, bin_seeding=True)
    n_seeds = len(fms.get_bin_seeds(X, 1.0))
    assert reports[-1] == (n_seeds, n_seeds)


def test_attractor_labels_count_every_samples_climb_after_the_seeds():
    X = blobs(3000)
    n_seeds = len(fms.get_bin_seeds(X, 1.0))
    _, reports = fit_reporting(
        X, bandwidth=1.0, bin_seeding=True, cluster_assignment="attractor", n_jobs=2
    )
    total = n_seeds + len(X)
    assert reports[-1] == (total, total)
    assert reports.count((total, total)) == 1
    # One total from the first climbs on (before them, the points), never backwards.
    climbing = [r for r in reports if r[0] > 0]
    assert {t for _, t in climbing} == {total}
    done = [d for d, _ in reports]
    assert done == sorted(done)
    # Where every sample is a seed, its climbs are the labels' climbs: counted once.
    _, reports = fit_reporting(X, bandwidth=1.0, cluster_assignment="attractor")
    assert reports[-1] == (len(X), len(X))
