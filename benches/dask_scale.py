"""fastmeanshift.dask against one machine, on this machine (docs/algorithm.md §11).

Two cases, bin seeding, the benchmark blobs of docs/algorithm.md §9.3 (three
blobs of spread 0.4, bandwidth 1.07) in 3-D:

1. 20,000,000 x 3 points on a LocalCluster of 2 worker processes of 1 thread
   each, against ``fastmeanshift.MeanShift(n_jobs=2)`` on the same points in
   this process: times and their ratio, each worker's peak memory against
   its share of X, the bytes sent to and from the client per round.
2. X larger than one worker's ``memory_limit`` (6 workers of 700 MB, X of
   960 MB), generated on the workers: it fits, and gives one machine's answer.

X is generated block by block on the workers by ``dask.array`` (a seeded
generator per block), never on the client; one machine gets the same blocks
by computing them here. Every result is checked bit for bit.

    python benches/dask_scale.py [--rows 20000000] [--large-rows 40000000]
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

import fastmeanshift
from fastmeanshift.dask import MeanShift

CENTRES = np.array([[1.0, 1.0, 0.0], [-1.0, -1.0, 0.0], [1.0, -1.0, 0.0]])
BANDWIDTH = 1.07
BLOCK = 1_000_000


def blobs_block(block: np.ndarray, block_info=None) -> np.ndarray:
    """Rows of three blobs, from a generator seeded by the block's index."""
    index = block_info[None]["chunk-location"][0]
    rows = block.shape[0]
    rng = np.random.default_rng(index)
    # In place, a column at a time: the generator's temporaries would
    # otherwise be most of a worker's peak, and they are not the fit's.
    out = rng.normal(0.0, 0.4, (rows, 3))
    blob = rng.integers(0, 3, rows, dtype=np.uint8)
    for j in range(3):
        out[:, j] += CENTRES[blob, j]
    return out


def blobs(n: int) -> da.Array:
    template = da.zeros((n, 3), chunks=(BLOCK, 3))
    return template.map_blocks(blobs_block, dtype=np.float64)


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def reset_peak_rss() -> float:
    """The resident size now, in MB, after resetting the peak mark to it
    (Linux: writing 5 to /proc/self/clear_refs resets VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")
    return status_mb("VmRSS")


def rows_held(dask_worker) -> int:
    """The rows of the fit's chunks that this worker holds."""
    return sum(len(v) for v in dask_worker.data.values() if type(v).__name__ == "DaskChunk")


def peak_rss_mb() -> float:
    return status_mb("VmHWM")


def run_case(n: int, n_workers: int, memory_limit: str) -> dict:
    X = blobs(n)
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_limit,
        dashboard_address=None,
    )
    client = Client(cluster)
    try:
        baseline = client.run(reset_peak_rss)
        rounds: list[tuple[int, int, int, int]] = []

        held: dict[str, int] = {}

        def report(round_number, active, seeds, sent, received):
            rounds.append((round_number, active, sent, received))
            if round_number == 1:
                held.update(client.run(rows_held))

        start = time.perf_counter()
        model = MeanShift(bandwidth=BANDWIDTH, bin_seeding=True)
        model._fit_on_cluster(X, progress=report)
        fitted = time.perf_counter() - start
        peaks = client.run(peak_rss_mb)
        before_labels = client.run(reset_peak_rss)
        # Block by block to the client: `compute()` would join the blocks on
        # one worker first, which a worker of case 2 cannot hold.
        blocks = client.compute(model.labels_.to_delayed().ravel().tolist())
        labels = np.concatenate(client.gather(blocks))
        del blocks
        labelled = time.perf_counter() - start - fitted
        label_peaks = client.run(peak_rss_mb)
        limit = cluster.workers[next(iter(cluster.workers))].memory_manager.memory_limit
    finally:
        client.close()
        cluster.close()
    # One machine, on the same blocks computed here.
    points = X.compute(scheduler="threads")
    start = time.perf_counter()
    one = fastmeanshift.MeanShift(bandwidth=BANDWIDTH, bin_seeding=True, n_jobs=2).fit(points)
    one_time = time.perf_counter() - start
    same = (
        model.cluster_centers_.tobytes() == one.cluster_centers_.tobytes()
        and model.n_iter_ == one.n_iter_
        and np.array_equal(labels, one.labels_)
    )
    del points, one, labels
    gc.collect()
    return {
        "n": n,
        "workers": n_workers,
        "limit_mb": limit / 2**20,
        "x_mb": n * 3 * 8 / 2**20,
        "fit": fitted,
        "labels": labelled,
        "one": one_time,
        "same": same,
        "baseline": baseline,
        "peaks": peaks,
        "held": held,
        "before_labels": before_labels,
        "label_peaks": label_peaks,
        "rounds": rounds,
        "clusters": len(model.cluster_centers_),
        "n_iter": model.n_iter_,
    }


def show(result: dict) -> None:
    n, workers = result["n"], result["workers"]
    print(
        f"\n## {n:,} x 3 points, {workers} workers of {result['limit_mb']:.0f} MB "
        f"(X = {result['x_mb']:.0f} MB)"
    )
    print(
        f"clusters {result['clusters']}, n_iter_ {result['n_iter']}, "
        f"identical to one machine: {result['same']}"
    )
    total = result["fit"] + result["labels"]
    print("| | seconds |")
    print("|---|---:|")
    print(f"| one machine, n_jobs=2 (fit with labels) | {result['one']:.1f} |")
    print(f"| dask fit | {result['fit']:.1f} |")
    print(f"| dask labels to the client, block by block (X regenerated) | {result['labels']:.1f} |")
    print(
        f"| dask fit + labels, ratio to one machine | {total:.1f} ({total / result['one']:.2f}x) |"
    )
    print(
        "\nPeak resident size of each worker process (VmHWM, reset before each phase),"
        " over its size before the phase, against its share of X: the rows of the"
        " chunks it holds, 24 bytes a row."
    )
    print(
        "\n| worker | phase | RSS before MB | peak RSS MB | peak - before MB | share of X MB |"
        " (peak - before) / share |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for k, address in enumerate(sorted(result["peaks"])):
        for phase, befores, peaks in [
            ("fit", result["baseline"], result["peaks"]),
            ("labels", result["before_labels"], result["label_peaks"]),
        ]:
            before, peak = befores[address], peaks[address]
            share = result["held"][address] * 24 / 2**20
            print(
                f"| {k} | {phase} | {before:.0f} | {peak:.0f} | {peak - before:.0f} | "
                f"{share:.0f} | {(peak - before) / share:.2f} |"
            )
    print("\n| round | active seeds | bytes to workers | bytes to client |")
    print("|---:|---:|---:|---:|")
    for round_number, active, sent, received in result["rounds"]:
        print(f"| {round_number} | {active} | {sent:,} | {received:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000, help="case 1 (0: skip it)")
    parser.add_argument("--large-rows", type=int, default=40_000_000, help="case 2 (0: skip it)")
    args = parser.parse_args()
    if args.rows:
        show(run_case(args.rows, 2, "6GB"))
    if args.large_rows:
        show(run_case(args.large_rows, 6, "700MB"))


if __name__ == "__main__":
    main()
