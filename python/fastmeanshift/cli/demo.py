"""The demo's data, and its side-by-side timing against scikit-learn."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._mean_shift import MeanShift

# scikit-learn climbs every seed in Python, a few seconds for 1000 of these
# points on one thread: the comparison runs on a subset this large, one thread
# each, to keep the demo short.
COMPARISON_SAMPLES = 500
# Three blobs hold a third of the points each: a bandwidth estimated from a
# smaller share separates them.
QUANTILE = 0.2


def blobs(n_samples: int, seed: int) -> np.ndarray:
    """Three Gaussian blobs in 2-D, like the benchmark data (docs/algorithm.md §9.3)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    return centres[rng.integers(0, 3, n_samples)] + rng.normal(0.0, 0.4, (n_samples, 2))


@dataclass
class Comparison:
    """fastmeanshift against scikit-learn on the same samples and bandwidth."""

    samples: int
    sklearn_seconds: float
    fastmeanshift_seconds: float
    identical: bool

    @property
    def speedup(self) -> float:
        return self.sklearn_seconds / max(self.fastmeanshift_seconds, 1e-9)


def compare_with_sklearn(X: np.ndarray, bandwidth: float) -> Comparison | None:
    """Times both libraries on one thread on the first ``COMPARISON_SAMPLES``
    rows of ``X``; None when scikit-learn is not installed."""
    try:
        from sklearn.cluster import MeanShift as SklearnMeanShift
    except ImportError:
        return None
    subset = X[:COMPARISON_SAMPLES]
    # A handful of samples estimate a bandwidth of 0, which no one can give:
    # each library then estimates its own, as it does when given none.
    given = bandwidth if bandwidth > 0 else None
    start = time.perf_counter()
    theirs = SklearnMeanShift(bandwidth=given).fit(subset)
    middle = time.perf_counter()
    ours = MeanShift(bandwidth=given).fit(subset)
    end = time.perf_counter()
    identical = (
        np.array_equal(theirs.labels_, ours.labels_)
        and theirs.cluster_centers_.shape == ours.cluster_centers_.shape
        and bool(np.allclose(theirs.cluster_centers_, ours.cluster_centers_, rtol=1e-12))
        and theirs.n_iter_ == ours.n_iter_
    )
    return Comparison(len(subset), middle - start, end - middle, identical)
