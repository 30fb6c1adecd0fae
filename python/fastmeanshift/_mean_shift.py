"""scikit-learn's mean shift API on the Rust core."""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np

from . import _core
from ._estimator_protocol import ClusterEstimator
from ._feature_names import check_feature_names, feature_names
from ._progress import progress_callback
from ._validation import (
    NotFittedError,
    check_array,
    check_params,
    clamped,
    is_sparse,
    reject,
    sklearn_catchable,
)

# The core's integer types: u64 iteration counts, i64 n_jobs.
_U64_MAX = 2**64 - 1
_I64_MAX = 2**63 - 1


def _random_state(seed: Any) -> np.random.RandomState:
    """scikit-learn's ``check_random_state``: the legacy generator, so subsamples match."""
    if seed is None:
        return np.random.mtrand._rand
    if isinstance(seed, Integral):
        return np.random.RandomState(int(seed))
    return seed  # a RandomState, as validated


def estimate_bandwidth(
    X: Any,
    *,
    quantile: float = 0.3,
    n_samples: int | None = None,
    random_state: Any = 0,
    n_jobs: int | None = None,
) -> np.float64:
    """Mean distance from each sample to its k-th nearest sample, k = max(1, n * quantile).

    The same value as ``sklearn.cluster.estimate_bandwidth``, by exact
    selection instead of a neighbour heap. With ``n_samples``, the samples are
    drawn by ``RandomState(random_state).permutation`` exactly as scikit-learn
    draws them.
    """
    if is_sparse(X):
        raise reject("X", "estimate_bandwidth", "an array-like", X)
    check_params(
        "estimate_bandwidth",
        quantile=quantile,
        n_samples=n_samples,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    array = check_array(X, "estimate_bandwidth")
    rng = _random_state(random_state)
    if n_samples is not None:
        array = np.ascontiguousarray(array[rng.permutation(array.shape[0])[:n_samples]])
    return _estimate_bandwidth(array, quantile, n_jobs)


def _estimate_bandwidth(array: np.ndarray, quantile: float, n_jobs: int | None) -> np.float64:
    """``estimate_bandwidth`` of an already validated array, all samples."""
    return np.float64(_core.estimate_bandwidth(array, float(quantile), _threads(n_jobs)))


def _threads(n_jobs: int | None) -> int | None:
    """A validated ``n_jobs`` within the core's i64 (every count beyond means "many")."""
    return None if n_jobs is None else clamped(n_jobs, -_I64_MAX, _I64_MAX)


def get_bin_seeds(X: Any, bin_size: float, min_bin_freq: int = 1) -> Any:
    """Seeds at the occupied cells of a grid of spacing ``bin_size``.

    Cells holding at least ``min_bin_freq`` samples, in order of first
    appearance, as float32 grid coordinates times ``bin_size`` (so the result
    is float32 for a Python float ``bin_size``). Returns ``X`` itself when
    ``bin_size`` is 0, or, with a warning, when every sample has a cell of its own.
    """
    check_params("get_bin_seeds", bin_size=bin_size)
    if bin_size == 0:
        return X
    if not isinstance(min_bin_freq, Real) or math.isnan(min_bin_freq):
        raise reject("min_bin_freq", "get_bin_seeds", "a number", min_bin_freq)
    seeds = _bin_seeds(check_array(X, "get_bin_seeds"), bin_size, min_bin_freq)
    return X if seeds is None else seeds


def _bin_seeds(array: np.ndarray, bin_size: Any, min_bin_freq: float) -> np.ndarray | None:
    """Bin seeds of an already validated array; None, with scikit-learn's warning,
    when every sample has a cell of its own (the samples are then the seeds)."""
    # NumPy divides a float32 row by a Python float in float32, by a float64 scalar in float64.
    single = array.dtype == np.float32 and np.result_type(np.float32, bin_size) == np.float32
    least = clamped(math.ceil(min(max(min_bin_freq, 0), _U64_MAX)), 0, _U64_MAX)
    bins = _core.bin_seeds(array, float(bin_size), bool(single), least)
    if len(bins) == len(array):
        warnings.warn(
            f"Binning data failed with provided bin_size={bin_size:f}, using data points as seeds.",
            stacklevel=3,
        )
        return None
    return bins * bin_size


def mean_shift(
    X: Any,
    *,
    bandwidth: float | None = None,
    seeds: Any = None,
    bin_seeding: bool = False,
    min_bin_freq: int = 1,
    cluster_all: bool = True,
    max_iter: int = 300,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean shift clustering with a flat kernel; returns ``(cluster_centers, labels)``.

    Identical to ``sklearn.cluster.mean_shift``: see :class:`MeanShift`.
    """
    params: dict[str, Any] = {
        "bandwidth": bandwidth,
        "bin_seeding": bin_seeding,
        "min_bin_freq": min_bin_freq,
        "cluster_all": cluster_all,
        "max_iter": max_iter,
        "n_jobs": n_jobs,
    }
    check_params("mean_shift", **params)
    model = MeanShift(seeds=seeds, **params).fit(X)
    return model.cluster_centers_, model.labels_


class MeanShift(ClusterEstimator):
    """Mean shift clustering using a flat kernel, as ``sklearn.cluster.MeanShift``.

    Same parameters, same fitted attributes (``cluster_centers_``, ``labels_``,
    ``n_iter_``, ``n_features_in_``, ``feature_names_in_``) and the same
    clustering, computed by an exact parallel Rust core. ``n_jobs`` threads
    (``None``: one; ``-1``: all cores) run for the duration of a call only.
    """

    def __init__(
        self,
        *,
        bandwidth: float | None = None,
        seeds: Any = None,
        bin_seeding: bool = False,
        min_bin_freq: int = 1,
        cluster_all: bool = True,
        n_jobs: int | None = None,
        max_iter: int = 300,
    ) -> None:
        self.bandwidth = bandwidth
        self.seeds = seeds
        self.bin_seeding = bin_seeding
        self.min_bin_freq = min_bin_freq
        self.cluster_all = cluster_all
        self.n_jobs = n_jobs
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any = None) -> MeanShift:
        """Cluster ``X``; sets ``cluster_centers_``, ``labels_`` and ``n_iter_``."""
        check_params(
            "MeanShift",
            bandwidth=self.bandwidth,
            bin_seeding=self.bin_seeding,
            min_bin_freq=self.min_bin_freq,
            cluster_all=self.cluster_all,
            n_jobs=self.n_jobs,
            max_iter=self.max_iter,
        )
        names = feature_names(X)
        array = check_array(X, "MeanShift")
        threads = _threads(self.n_jobs)
        bandwidth = self.bandwidth
        if bandwidth is None:
            bandwidth = _estimate_bandwidth(array, 0.3, threads)
        seeds = None  # every sample
        if self.seeds is not None:
            # No seeds at all is the core's error, clearer than a minimum of samples.
            seeds = check_array(self.seeds, "NearestNeighbors", min_samples=0)
            seeds = seeds.astype(np.float64, copy=False)
            if seeds.shape[1] != array.shape[1]:
                raise ValueError(
                    f"X has {seeds.shape[1]} features, but NearestNeighbors is expecting "
                    f"{array.shape[1]} features as input."
                )
        elif self.bin_seeding and bandwidth != 0:
            binned = _bin_seeds(array, bandwidth, self.min_bin_freq)
            if binned is not None:
                seeds = np.ascontiguousarray(binned, dtype=np.float64).reshape(-1, array.shape[1])
        max_iter = clamped(self.max_iter, 0, _U64_MAX)
        centers, labels, n_iter = _core.mean_shift(
            array,
            seeds,
            float(bandwidth),
            max_iter,
            bool(self.cluster_all),
            threads,
            progress=progress_callback(),
        )
        self.cluster_centers_ = centers
        self.labels_ = labels
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = array.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Index of the nearest cluster centre for each sample of ``X``."""
        if not hasattr(self, "cluster_centers_"):
            raise sklearn_catchable(
                NotFittedError,
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator.",
            )
        check_feature_names(self, X)
        array = check_array(X, type(self).__name__)
        if array.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {array.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        centers = np.ascontiguousarray(self.cluster_centers_, dtype=np.float64)
        return _core.predict(array, centers, _threads(self.n_jobs))

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Cluster ``X`` and return its labels."""
        return self.fit(X).labels_
