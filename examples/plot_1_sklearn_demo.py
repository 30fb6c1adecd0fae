"""
=====================================================================
A demo of the mean-shift clustering algorithm, beside scikit-learn's
=====================================================================

scikit-learn's example "A demo of the mean-shift clustering algorithm",
redone with fastmeanshift: the same data, the same calls, one changed
import. The clusters are identical, label for label, and drawn side by side.

Reference: Dorin Comaniciu and Peter Meer, "Mean Shift: A robust approach
toward feature space analysis". IEEE Transactions on Pattern Analysis and
Machine Intelligence. 2002. pp. 603-619.
"""

# Adapted from scikit-learn's example (BSD-3-Clause), with a fixed random
# state so that this page shows the same picture at every build.

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn import cluster as sklearn_cluster
from sklearn.datasets import make_blobs

from fastmeanshift import MeanShift, estimate_bandwidth

# %%
# Generate sample data
# --------------------
centers = [[1, 1], [-1, -1], [1, -1]]
X, _ = make_blobs(n_samples=10_000, centers=centers, cluster_std=0.6, random_state=0)

# %%
# Compute clustering with MeanShift
# ---------------------------------
# The bandwidth is estimated on 500 samples, and the climbs start from a grid
# of spacing bandwidth (``bin_seeding=True``), exactly as in scikit-learn's
# example. The only change is the import: ``from fastmeanshift import
# MeanShift, estimate_bandwidth``.
bandwidth = estimate_bandwidth(X, quantile=0.2, n_samples=500)

start = time.perf_counter()
ms = MeanShift(bandwidth=bandwidth, bin_seeding=True).fit(X)
fastmeanshift_seconds = time.perf_counter() - start
labels = ms.labels_
cluster_centers = ms.cluster_centers_
n_clusters_ = len(np.unique(labels))
print(f"number of estimated clusters: {n_clusters_}")

# %%
# The same with scikit-learn
# --------------------------
theirs_bandwidth = sklearn_cluster.estimate_bandwidth(X, quantile=0.2, n_samples=500)
start = time.perf_counter()
theirs = sklearn_cluster.MeanShift(bandwidth=theirs_bandwidth, bin_seeding=True).fit(X)
sklearn_seconds = time.perf_counter() - start

# The same bandwidth, the same labels in the same order, the same number of
# iterations, and centres equal to floating-point rounding.
assert bandwidth == theirs_bandwidth
assert np.array_equal(labels, theirs.labels_)
assert ms.n_iter_ == theirs.n_iter_
np.testing.assert_allclose(cluster_centers, theirs.cluster_centers_, rtol=1e-12)
print(f"identical labels for all {len(X)} samples, n_iter_ = {ms.n_iter_} for both")
print(f"scikit-learn: {sklearn_seconds:.3f} s, fastmeanshift: {fastmeanshift_seconds:.3f} s")

# %%
# Plot result
# -----------
# fastmeanshift on the left, scikit-learn on the right: each cluster in its
# colour and marker, its centre large.
colors = ["#dede00", "#377eb8", "#f781bf"]
markers = ["x", "o", "^"]

fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharex=True, sharey=True)
panels = [
    ("fastmeanshift", ms, fastmeanshift_seconds),
    ("scikit-learn", theirs, sklearn_seconds),
]
for ax, (name, model, seconds) in zip(axes, panels):
    for k, col in enumerate(colors):
        my_members = model.labels_ == k
        cluster_center = model.cluster_centers_[k]
        ax.plot(X[my_members, 0], X[my_members, 1], markers[k], color=col, markersize=3)
        ax.plot(
            cluster_center[0],
            cluster_center[1],
            markers[k],
            markerfacecolor=col,
            markeredgecolor="k",
            markersize=14,
        )
    n_clusters = len(model.cluster_centers_)
    ax.set_title(f"{name}: {n_clusters} clusters, fit in {seconds:.3f} s")
fig.suptitle(f"Estimated number of clusters: {n_clusters_}, the same labels for every sample")
fig.tight_layout()
plt.show()
