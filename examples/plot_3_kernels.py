"""
===============================
The kernels on the same data
===============================

fastmeanshift weighs the samples around a climb by one of three kernels of
the scaled squared distance ``u = ||x - y||**2 / bandwidth**2``:

- ``"flat"`` (scikit-learn's): every sample within ``bandwidth`` counts 1;
- ``"epanechnikov"``: ``1 - u`` within ``bandwidth``, so nearer samples
  count more;
- ``"gaussian"``: ``exp(-u / 2)`` within three bandwidths (``bandwidth`` is
  the Gaussian's standard deviation).

Here the three cluster the same data, three blobs of different spreads in
uniform noise, at the same bandwidth, with every sample a seed. The flat and
Epanechnikov kernels find the blobs and many small modes in the noise; the
Gaussian, which sees three bandwidths around every climb, smooths the noise
away. Each climb of the smooth kernels takes more steps, and each step reads
every sample of its support.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from fastmeanshift import MeanShift

# %%
# The data
# --------
blobs, _ = make_blobs(
    n_samples=[1500, 1000, 600],
    centers=[[0, 0], [3.5, 0.5], [1.2, 3]],
    cluster_std=[0.6, 0.9, 0.4],
    random_state=0,
)
noise = np.random.RandomState(1).uniform(-3, 7, size=(300, 2))
X = np.vstack([blobs, noise])
bandwidth = 0.8

# %%
# One fit per kernel
# ------------------
kernels = ["flat", "epanechnikov", "gaussian"]
fits = {}
for kernel in kernels:
    start = time.perf_counter()
    model = MeanShift(bandwidth=bandwidth, kernel=kernel, n_jobs=-1).fit(X)
    fits[kernel] = model, time.perf_counter() - start
    sizes = np.bincount(model.labels_)
    print(
        f"{kernel:12} {len(model.cluster_centers_):3} clusters "
        f"(largest {sizes[:3].tolist()}), n_iter_ {model.n_iter_:3}, "
        f"{fits[kernel][1]:.3f} s"
    )

# %%
# The profiles, and the clusters
# ------------------------------
# Clusters of at least 2 % of the samples in colour, the smaller ones (modes
# in the noise) in grey; the centres of the large ones as black crosses.
u = np.linspace(0, 10, 500)
distance = np.sqrt(u)
profiles = {
    "flat": np.where(u <= 1, 1.0, 0.0),
    "epanechnikov": np.where(u <= 1, 1 - u, 0.0),
    "gaussian": np.where(u <= 9, np.exp(-u / 2), 0.0),
}
colours = plt.get_cmap("tab10").colors

fig, axes = plt.subplots(2, 2, figsize=(10, 9))
profile_ax = axes[0, 0]
for kernel in kernels:
    profile_ax.plot(distance, profiles[kernel], label=kernel, linewidth=2)
profile_ax.set_xlabel("distance / bandwidth")
profile_ax.set_ylabel("weight k(u)")
profile_ax.set_title("The kernels' profiles")
profile_ax.legend()

for ax, kernel in zip(axes.ravel()[1:], kernels):
    model, seconds = fits[kernel]
    sizes = np.bincount(model.labels_)
    large = np.flatnonzero(sizes >= 0.02 * len(X))
    colour_of = np.full((len(sizes), 3), 0.8)
    colour_of[large] = [colours[i % len(colours)] for i in range(len(large))]
    ax.scatter(X[:, 0], X[:, 1], c=colour_of[model.labels_], s=4)
    ax.scatter(*model.cluster_centers_[large].T, c="k", marker="x", s=80, linewidths=2)
    ax.set_title(
        f"{kernel}: {len(model.cluster_centers_)} clusters, {len(large)} large\n"
        f"n_iter_ {model.n_iter_}, {seconds:.3f} s"
    )
    ax.set_aspect("equal")
fig.suptitle(f"{len(X)} samples, bandwidth {bandwidth}, every sample a seed")
fig.tight_layout()
plt.show()
