"""
=======================================================
Clustering a weighted summary to the raw data's answer
=======================================================

Large data often repeat themselves: measurements recorded to a fixed
precision, counts, pixels. ``sample_weight`` clusters a summary of them, the
distinct rows each weighted by how often it occurs, to exactly the answer
the raw data give: a weight counts a sample that many times, and the sums
are exact, so the centres agree to the last bit, and every raw sample gets
the label of its row. The summary is far smaller, and its fit far faster.

The bandwidth must come from the raw data (or a sample of them):
``estimate_bandwidth`` ignores weights, so estimated on the summary it
would measure the distinct rows, not the data.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from fastmeanshift import MeanShift, estimate_bandwidth

# %%
# Raw data with many repeats
# --------------------------
# 300,000 positions recorded to whole units: about 2,000 distinct rows.
blobs, _ = make_blobs(
    n_samples=300_000,
    centers=[[10, 10], [-10, -10], [10, -10], [-5, 8]],
    cluster_std=[4, 5, 3, 2],
    random_state=0,
)
X = np.rint(blobs)
rows, inverse, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
inverse = inverse.ravel()  # one index per raw sample, whatever the NumPy version
print(f"{len(X)} samples, {len(rows)} distinct rows, the commonest {counts.max()} times")

bandwidth = estimate_bandwidth(X, quantile=0.1, n_samples=2000)
print(f"bandwidth {bandwidth:.4f}, estimated on 2,000 raw samples")

# %%
# The raw data, and the summary with its counts as weights
# --------------------------------------------------------
start = time.perf_counter()
raw = MeanShift(bandwidth=bandwidth, n_jobs=-1).fit(X)
raw_seconds = time.perf_counter() - start

start = time.perf_counter()
summary = MeanShift(bandwidth=bandwidth, n_jobs=-1).fit(rows, sample_weight=counts)
summary_seconds = time.perf_counter() - start

# The same answer: the same centres, bit for bit, in the same order; the
# same n_iter_; and each raw sample labelled as its distinct row.
assert raw.cluster_centers_.tobytes() == summary.cluster_centers_.tobytes()
assert raw.n_iter_ == summary.n_iter_
assert np.array_equal(raw.labels_, summary.labels_[inverse])
print(f"{len(raw.cluster_centers_)} clusters, identical centres and labels")
print(f"raw data: {raw_seconds:.3f} s; weighted summary: {summary_seconds:.3f} s")

# %%
# Plot
# ----
# Left, a random 20,000 of the raw samples (spread over their unit cells so
# that repeats show); right, the distinct rows, each a unit square as opaque
# as its count is large. Both coloured by cluster, centres as crosses.
colours = np.array(plt.get_cmap("tab10").colors)
shown = np.random.RandomState(0).choice(len(X), 20_000, replace=False)
jitter = np.random.RandomState(1).uniform(-0.45, 0.45, size=(len(shown), 2))

fig, axes = plt.subplots(1, 2, figsize=(11, 5), sharex=True, sharey=True)
axes[0].scatter(*(X[shown] + jitter).T, c=colours[raw.labels_[shown] % 10], s=1)
axes[0].set_title(f"raw: {len(X)} samples, fit in {raw_seconds:.3f} s")
low, high = rows.min(axis=0).astype(int), rows.max(axis=0).astype(int)
cells = np.zeros((high[1] - low[1] + 1, high[0] - low[0] + 1, 4))
column, line = (rows.astype(int) - low).T
cells[line, column, :3] = colours[summary.labels_ % 10]
cells[line, column, 3] = np.sqrt(counts / counts.max())
extent = (low[0] - 0.5, high[0] + 0.5, low[1] - 0.5, high[1] + 0.5)
axes[1].imshow(cells, origin="lower", extent=extent, interpolation="nearest")
axes[1].set_title(f"summary: {len(rows)} weighted rows, fit in {summary_seconds:.3f} s")
for ax, model in zip(axes, (raw, summary)):
    ax.scatter(*model.cluster_centers_.T, c="k", marker="x", s=100, linewidths=2)
    ax.set_aspect("equal")
fig.suptitle(f"The same {len(raw.cluster_centers_)} clusters from either")
fig.tight_layout()
plt.show()
