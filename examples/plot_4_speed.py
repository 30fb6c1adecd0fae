"""
=========================================
Speed against scikit-learn as n grows
=========================================

The time of a fit against the number of samples, for scikit-learn and
fastmeanshift, measured when this page was built (so on whatever machine
built it, one thread each and one run per point). Both cluster the same 2-D
blobs at the same bandwidth, and find the same labels wherever both run.

- **Every sample a seed** (the default): as many climbs as samples, each a
  few dozen searches of a ball that holds a fixed share of the data, so the
  cost grows about as ``n**2`` for both; scikit-learn pays for each search
  in Python as well.
- **Bin seeding** (``bin_seeding=True``): one climb per occupied cell of a
  grid of spacing ``bandwidth``, a few dozen here whatever ``n``; what is
  left grows about as ``n``: binning, building the search tree and
  labelling every sample.

scikit-learn is timed only up to sizes it handles in a few seconds, so that
this page builds quickly.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter
from sklearn import cluster as sklearn_cluster
from sklearn.datasets import make_blobs

from fastmeanshift import MeanShift

bandwidth = 0.9
cases = {
    "every sample a seed": {
        "params": {},
        "sklearn_sizes": [125, 250, 500],
        "sizes": [125, 250, 500, 1000, 2000, 4000, 8000],
    },
    "bin seeding": {
        "params": {"bin_seeding": True},
        "sklearn_sizes": [1000, 4000, 16000, 64000],
        "sizes": [1000, 4000, 16000, 64000, 256000, 1024000],
    },
}


def blobs(n):
    X, _ = make_blobs(
        n_samples=n, centers=[[1, 1], [-1, -1], [1, -1]], cluster_std=0.6, random_state=0
    )
    return X


def timed_fit(estimator, X):
    start = time.perf_counter()
    estimator.fit(X)
    return estimator, time.perf_counter() - start


# %%
# Timing
# ------
times = {}
for case, setting in cases.items():
    ours, theirs = [], []
    for n in setting["sizes"]:
        X = blobs(n)
        model, seconds = timed_fit(MeanShift(bandwidth=bandwidth, **setting["params"]), X)
        ours.append(seconds)
        line = f"{case:20} n={n:8}  fastmeanshift {seconds:8.4f} s"
        if n in setting["sklearn_sizes"]:
            reference = sklearn_cluster.MeanShift(bandwidth=bandwidth, **setting["params"])
            reference, reference_seconds = timed_fit(reference, X)
            assert np.array_equal(model.labels_, reference.labels_)
            theirs.append(reference_seconds)
            line += f"  scikit-learn {reference_seconds:8.4f} s, identical labels"
        print(line)
    times[case] = ours, theirs

# %%
# Time against n, log-log
# -----------------------
fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
for ax, (case, setting) in zip(axes, cases.items()):
    ours, theirs = times[case]
    sklearn_sizes = setting["sklearn_sizes"]
    ax.loglog(sklearn_sizes, theirs, "o-", color="tab:orange", label="scikit-learn 1.9.1")
    ax.loglog(setting["sizes"], ours, "s-", color="tab:blue", label="fastmeanshift")
    largest = sklearn_sizes[-1]
    speedup = theirs[-1] / ours[setting["sizes"].index(largest)]
    ax.annotate(
        f"{speedup:.0f}x faster",
        xy=(largest, theirs[-1]),
        xytext=(8, -4),
        textcoords="offset points",
        va="top",
    )
    ax.set_xlabel("samples")
    ax.set_ylabel("seconds for a fit (one thread)")
    ax.set_title(case)
    ax.set_xticks(
        setting["sizes"], [f"{n // 1000}k" if n >= 1000 else str(n) for n in setting["sizes"]]
    )
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower right")
fig.suptitle(f"2-D blobs, bandwidth {bandwidth}: the same clusters, far less time")
fig.tight_layout()
plt.show()
