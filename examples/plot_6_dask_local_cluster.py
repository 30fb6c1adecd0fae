"""
==========================================
Mean shift on a Dask cluster, exactly
==========================================

``fastmeanshift.dask.MeanShift`` clusters a Dask array whose rows are spread
over the workers of a Dask cluster. Each worker indexes its own chunks once
and keeps them; every round of the climb sends the active seeds out and gets
back, per seed, the unrounded sums of its neighbourhood in each chunk, which
are combined exactly before the mean is rounded. So the result is, bit for
bit, the one machine's result on the same data, whatever the chunking and
the number of workers.

Here a ``LocalCluster`` of two workers stands in for a cluster of machines:
the same code runs against ``Client("tcp://scheduler:8786")``. (Its workers
are threads of this process, so that the example runs as it is inside the
documentation build; in a script of your own, use worker processes, and
start the cluster under ``if __name__ == "__main__":``.)
"""

import time

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster, wait
from sklearn.datasets import make_blobs

import fastmeanshift
from fastmeanshift.dask import MeanShift, estimate_bandwidth

# %%
# A cluster, and data spread over it
# ----------------------------------
# 400,000 points in 16 chunks of rows. On a real cluster the chunks would be
# read by the workers themselves (``dask.dataframe.read_parquet``, say); here
# they are made on the client and scattered, so that the one-machine fit
# below can use the very same numbers.
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False)
client = Client(cluster)

points, _ = make_blobs(
    n_samples=400_000,
    centers=[[1, 1], [-1, -1], [1, -1]],
    cluster_std=0.6,
    random_state=0,
)
X = da.from_array(points, chunks=(25_000, 2)).persist()
wait(X)

# Which worker holds each chunk: the colours of the left panel below.
holders = client.who_has(X)
workers = sorted({w for addresses in holders.values() for w in addresses})
chunk_worker = np.array(
    [workers.index(holders[key][0]) for key in sorted(holders, key=lambda k: k[1])]
)

# %%
# The bandwidth, from a sample, as on one machine
# -----------------------------------------------
# Estimating the bandwidth over every point is quadratic, so the Dask
# estimator takes it from ``n_samples`` sampled rows: the same rows one
# machine samples, so the same value, bit for bit.
bandwidth = estimate_bandwidth(X, quantile=0.2, n_samples=2_000, random_state=0)
assert bandwidth == fastmeanshift.estimate_bandwidth(
    points, quantile=0.2, n_samples=2_000, random_state=0
)
print(f"bandwidth {bandwidth:.6f}, the same as one machine's")

# %%
# Fit on the cluster, and on one machine
# --------------------------------------
start = time.perf_counter()
on_cluster = MeanShift(bandwidth=bandwidth, bin_seeding=True).fit(X)
labels = on_cluster.labels_.compute()
cluster_seconds = time.perf_counter() - start

start = time.perf_counter()
one_machine = fastmeanshift.MeanShift(bandwidth=bandwidth, bin_seeding=True).fit(points)
machine_seconds = time.perf_counter() - start

# Identical: the centres to the last bit, the labels and n_iter_.
assert on_cluster.cluster_centers_.tobytes() == one_machine.cluster_centers_.tobytes()
assert np.array_equal(labels, one_machine.labels_)
assert on_cluster.n_iter_ == one_machine.n_iter_
print(
    f"{len(on_cluster.cluster_centers_)} clusters, n_iter_ {on_cluster.n_iter_}: "
    f"identical on the cluster ({cluster_seconds:.2f} s, scheduling included) "
    f"and on one machine ({machine_seconds:.2f} s)"
)

# %%
# Where the rows live, and the one clustering they get
# ----------------------------------------------------
# Left, every 20th point coloured by the worker that holds its chunk;
# right, the labels computed on the workers, with the centres.
shown = slice(None, None, 20)
row_worker = np.repeat(chunk_worker, 25_000)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
for w in range(len(workers)):
    mine = row_worker[shown] == w
    left.scatter(*points[shown][mine].T, s=1, alpha=0.5, label=f"worker {w + 1}")
left.legend(markerscale=8, loc="upper left")
left.set_title(f"{X.numblocks[0]} chunks on {len(workers)} workers")
right.scatter(*points[shown].T, c=labels[shown], s=1, cmap="viridis")
right.scatter(*on_cluster.cluster_centers_.T, c="red", marker="x", s=80)
right.set_title("labels and centres: identical to one machine's")
fig.tight_layout()
plt.show()

client.close()
cluster.close()
