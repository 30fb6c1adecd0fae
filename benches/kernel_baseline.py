"""Mean shift with a kernel and sample weights the way a scikit-learn user would
write it: scikit-learn's own loop (``sklearn/cluster/_mean_shift.py``), each
step a ``NearestNeighbors.radius_neighbors`` query and a weighted mean, the
seeds climbed in parallel with joblib. It computes what fastmeanshift's
``MeanShift(kernel=..., ...).fit(X, sample_weight=w)`` computes
(docs/algorithm.md §10), in plain floating point, and counts the kernel
evaluations (points weighed) of every step it takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed  # type: ignore[import-untyped]
from numpy.typing import NDArray
from sklearn.neighbors import NearestNeighbors  # type: ignore[import-untyped]

SUPPORT = {"flat": 1.0, "epanechnikov": 1.0, "gaussian": 3.0}  # in bandwidths


def profile(kernel: str, u: NDArray[np.float64]) -> NDArray[np.float64]:
    if kernel == "flat":
        return np.ones_like(u)
    if kernel == "epanechnikov":
        return 1.0 - u
    return np.exp(-0.5 * u)


def climb(
    seed: NDArray[np.float64],
    X: NDArray[np.float64],
    weights: NDArray[np.float64],
    nbrs: NearestNeighbors,
    bandwidth: float,
    kernel: str,
    max_iter: int,
) -> tuple[tuple[float, ...], float, int, list[tuple[bytes, int]]]:
    """scikit-learn's ``_mean_shift_single_seed`` with a weighted kernel mean:
    (center, intensity, iterations, [(position bits, points weighed) per step])."""
    stop_thresh = 1e-3 * bandwidth
    radius = SUPPORT[kernel] * bandwidth
    my_mean = seed
    completed_iterations = 0
    steps = []
    while True:
        dist, idx = nbrs.radius_neighbors([my_mean], radius, return_distance=True)
        dist, idx = dist[0], idx[0]
        c = weights[idx] * profile(kernel, dist**2 / bandwidth**2)
        intensity = float(c.sum())
        steps.append((np.asarray(my_mean, dtype=np.float64).tobytes(), len(idx)))
        if intensity == 0:
            break
        my_old_mean = my_mean
        my_mean = c @ X[idx] / intensity
        if np.linalg.norm(my_mean - my_old_mean) <= stop_thresh or completed_iterations == max_iter:
            break
        completed_iterations += 1
    return tuple(my_mean), intensity, completed_iterations, steps


def weighted_bin_seeds(
    X: NDArray[np.float64], bin_size: float, weights: NDArray[np.float64], min_bin_freq: int = 1
) -> NDArray[np.float64]:
    """scikit-learn's ``get_bin_seeds`` with a bin's frequency the sum of its weights;
    every point of positive weight when there are as many bins as the total weight."""
    bins = np.round(X / bin_size)
    cells, first, inverse = np.unique(bins, axis=0, return_index=True, return_inverse=True)
    frequency = np.bincount(inverse.ravel(), weights=weights)
    kept = np.flatnonzero(frequency >= min_bin_freq)
    kept = kept[np.argsort(first[kept])]  # in order of first appearance
    if len(kept) == math.fsum(weights):
        return X[weights > 0]
    return cells[kept].astype(np.float32) * bin_size


@dataclass
class BaselineFit:
    cluster_centers_: NDArray[np.float64]
    labels_: NDArray[np.int64]
    n_iter_: int
    evaluations: int  # points weighed over every step of every climb
    distinct_evaluations: int  # the same, each distinct position once


def mean_shift(
    X: NDArray[np.float64],
    bandwidth: float,
    kernel: str,
    sample_weight: NDArray[np.float64],
    bin_seeding: bool = False,
    max_iter: int = 300,
    n_jobs: int = -1,
) -> BaselineFit:
    """scikit-learn's ``MeanShift.fit`` with a kernel and weights."""
    if bin_seeding:
        seeds = weighted_bin_seeds(X, bandwidth, sample_weight)
    else:
        seeds = X[sample_weight > 0]
    nbrs = NearestNeighbors(radius=SUPPORT[kernel] * bandwidth, n_jobs=1).fit(X)
    all_res = Parallel(n_jobs=n_jobs)(
        delayed(climb)(seed, X, sample_weight, nbrs, bandwidth, kernel, max_iter) for seed in seeds
    )
    center_intensity_dict = {}
    for center, intensity, _, _ in all_res:
        if intensity:
            center_intensity_dict[center] = intensity
    n_iter = max(res[2] for res in all_res)
    if not center_intensity_dict:
        raise ValueError("No point was within bandwidth of any seed.")
    sorted_by_intensity = sorted(
        center_intensity_dict.items(), key=lambda tup: (tup[1], tup[0]), reverse=True
    )
    sorted_centers = np.array([tup[0] for tup in sorted_by_intensity])
    unique = np.ones(len(sorted_centers), dtype=bool)
    nbrs = NearestNeighbors(radius=bandwidth, n_jobs=n_jobs).fit(sorted_centers)
    for i, center in enumerate(sorted_centers):
        if unique[i]:
            neighbor_idxs = nbrs.radius_neighbors([center], return_distance=False)[0]
            unique[neighbor_idxs] = 0
            unique[i] = 1
    cluster_centers = sorted_centers[unique]
    nbrs = NearestNeighbors(n_neighbors=1, n_jobs=n_jobs).fit(cluster_centers)
    _, idxs = nbrs.kneighbors(X)
    steps = [step for res in all_res for step in res[3]]
    distinct = dict(steps)
    return BaselineFit(
        cluster_centers_=cluster_centers,
        labels_=idxs.ravel().astype(np.int64),
        n_iter_=n_iter,
        evaluations=sum(points for _, points in steps),
        distinct_evaluations=sum(distinct.values()),
    )
