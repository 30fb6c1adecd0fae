"""The Rust core reports climbing progress to a Python callable, and fits pass it on."""

from __future__ import annotations

import numpy as np
import pytest

import fastmeanshift as fms
from fastmeanshift import _core
from fastmeanshift._progress import reporting_progress


def blobs(n: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.normal(size=(n, 2)) + rng.integers(0, 3, (n, 1)) * 4.0


def test_reports_seeds_climbed_up_to_the_total():
    X = blobs(3000)
    reports: list[tuple[int, int]] = []
    centers, labels, n_iter = _core.mean_shift(
        X, None, 1.0, 300, True, 2, progress=lambda done, total: reports.append((done, total))
    )
    assert reports, "no progress reported"
    assert reports[-1] == (3000, 3000)
    assert [total for _, total in reports] == [3000] * len(reports)
    # Never backwards (a report repeats the count while climbs take long),
    # and the end is reported once.
    done = [d for d, _ in reports]
    assert done == sorted(done)
    assert reports.count((3000, 3000)) == 1
    # Reporting changes nothing in the result.
    again = _core.mean_shift(X, None, 1.0, 300, True, 2)
    np.testing.assert_array_equal(centers, again[0])
    np.testing.assert_array_equal(labels, again[1])
    assert n_iter == again[2]


def test_reports_while_the_first_climbs_run():
    # Every ball holds about 8,000 of the points, so each of the 8 climbs
    # takes a while; they used to make one chunk, reported only at its end.
    X = np.random.default_rng(0).random((100_000, 6))
    seeds = np.ascontiguousarray(X[:8])
    reports: list[tuple[int, int]] = []
    _core.mean_shift(X, seeds, 0.5, 300, True, 2, progress=lambda d, t: reports.append((d, t)))
    assert reports[-1] == (8, 8)
    assert reports.count((8, 8)) == 1
    assert len(reports) > 1


def test_counts_given_seeds():
    X = blobs(500)
    seeds = np.ascontiguousarray(X[:37])
    reports: list[tuple[int, int]] = []
    _core.mean_shift(X, seeds, 1.0, 300, True, 1, progress=lambda d, t: reports.append((d, t)))
    assert reports[-1] == (37, 37)


def test_exception_in_callback_stops_the_fit():
    def fail(done: int, total: int) -> None:
        raise RuntimeError(f"stopped at {done} of {total}")

    with pytest.raises(RuntimeError, match="stopped at"):
        _core.mean_shift(blobs(2000), None, 1.0, 300, True, 2, progress=fail)


def test_fit_reports_to_the_callable_of_the_block():
    X = blobs(1000)
    reports: list[tuple[int, int]] = []
    with reporting_progress(lambda d, t: reports.append((d, t))):
        fms.MeanShift(bandwidth=1.0, bin_seeding=True).fit(X)
    n_seeds = len(fms.get_bin_seeds(X, 1.0))
    assert reports[-1] == (n_seeds, n_seeds)
    # Outside the block nothing is reported.
    count = len(reports)
    fms.MeanShift(bandwidth=1.0).fit(X)
    assert len(reports) == count
