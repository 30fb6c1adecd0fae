"""Exact mean shift on a Dask cluster, identical to one machine's
(docs/algorithm.md §11).

``pip install "fastmeanshift[dask]"``, start a ``distributed.Client``, then::

    from fastmeanshift.dask import MeanShift, estimate_bandwidth

    bandwidth = estimate_bandwidth(X, n_samples=10_000)
    model = MeanShift(bandwidth=bandwidth, bin_seeding=True).fit(X)
"""

from ._estimator import MeanShift, estimate_bandwidth

__all__ = ["MeanShift", "estimate_bandwidth"]
