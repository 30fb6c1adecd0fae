"""Several Python threads fitting at once (the core releases the GIL) get
correct and identical results, and a process forked after a fit fits too."""

from __future__ import annotations

import multiprocessing
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastmeanshift as fms


def _blobs() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(c, 0.5, (600, 3)) for c in (0, 3, 6)])


def test_threads_fitting_at_once_agree():
    data = _blobs()
    expected = fms.MeanShift(bandwidth=1.0).fit(data)
    jobs = [None, 1, 2, -1] * 3

    def fit(n_jobs):
        return fms.MeanShift(bandwidth=1.0, n_jobs=n_jobs).fit(data)

    with ThreadPoolExecutor(max_workers=6) as pool:
        models = list(pool.map(fit, jobs))
    for model in models:
        assert model.cluster_centers_.tobytes() == expected.cluster_centers_.tobytes()
        assert model.labels_.tolist() == expected.labels_.tolist()
        assert model.n_iter_ == expected.n_iter_


def test_threads_sharing_one_fitted_model_and_one_array():
    data = _blobs()
    data.flags.writeable = False
    model = fms.MeanShift(bandwidth=1.0, bin_seeding=True).fit(data)
    bandwidth = fms.estimate_bandwidth(data, n_samples=500)

    def work(i):
        return model.predict(data).tolist(), fms.estimate_bandwidth(data, n_samples=500)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(8)))
    assert all(r == (model.labels_.tolist(), bandwidth) for r in results)


def _fit_in_child(data: np.ndarray, expected: bytes, verdict) -> None:
    model = fms.MeanShift(bandwidth=1.0, n_jobs=2).fit(data)
    verdict.put(model.cluster_centers_.tobytes() == expected)


@pytest.mark.skipif(
    sys.platform != "linux", reason="no fork on Windows; macOS warns against forking threads"
)
def test_a_forked_child_fits_on_threads_of_its_own():
    # The parent's idle thread pools are kept between calls, but their
    # threads do not exist in a forked child: it must make its own, not
    # wait for the parent's forever.
    data = _blobs()
    expected = fms.MeanShift(bandwidth=1.0, n_jobs=2).fit(data).cluster_centers_.tobytes()
    context = multiprocessing.get_context("fork")
    verdict = context.Queue()
    child = context.Process(target=_fit_in_child, args=(data, expected, verdict))
    with warnings.catch_warnings():
        # Python 3.12 on warns of any fork of a process with threads (here,
        # the idle pools'): this test is of exactly that.
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    # A hang guard, not a time limit: the fit takes milliseconds.
    child.join(timeout=300)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child's fit hung")
    assert child.exitcode == 0
    assert verdict.get(timeout=10)
