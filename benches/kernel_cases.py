"""The kernel cases of compare.py (``--kernels``): every kernel with sample
weights, fastmeanshift against the scikit-learn-style baseline of
kernel_baseline.py, on the cases "every point a seed, 2-D, 5,000 points" and
"bin seeding, 2-D, 200,000 points" (docs/algorithm.md §9.3 data).

Each row gives median wall times, the ratio to the baseline and its target,
the time against the flat kernel (with the same weights) on the same case,
and kernel evaluations per second: the points weighed at every distinct
position the baseline's climbs visit (fastmeanshift's step cache also weighs
each exact position once), over fastmeanshift's time. The results are
checked against the baseline's approximately (plain floating point): the
same number of clusters, the same labels, n_iter_ and centres within 1e-6.
"""

from __future__ import annotations

import numpy as np
from bench_cases import BANDWIDTH_2D, blobs_2d
from kernel_baseline import mean_shift as baseline_mean_shift
from side_by_side import MarkdownTable, interleaved_medians, seconds, speedup, target

import fastmeanshift

KERNELS = ("flat", "epanechnikov", "gaussian")
TARGET = 30.0
CASES = (
    ("every_point_2d", False, 500, 5_000),
    ("bin_seeding_2d", True, 20_000, 200_000),
)


def weights_for(n: int) -> np.ndarray:
    """Deterministic weights in [0.5, 2)."""
    return np.random.default_rng(0).uniform(0.5, 2.0, n)


def agreement(ours: fastmeanshift.MeanShift, theirs) -> str:
    if ours.cluster_centers_.shape != theirs.cluster_centers_.shape:
        return (
            f"DIFFERENT: {len(ours.cluster_centers_)} clusters, "
            f"baseline {len(theirs.cluster_centers_)}"
        )
    if ours.n_iter_ != theirs.n_iter_:
        return f"DIFFERENT: n_iter_ {ours.n_iter_}, baseline {theirs.n_iter_}"
    mismatched = int((ours.labels_ != theirs.labels_).sum())
    if mismatched:
        return f"DIFFERENT: {mismatched} labels"
    gap = float(np.abs(ours.cluster_centers_ - theirs.cluster_centers_).max())
    if gap > 1e-6:
        return f"DIFFERENT: centres {gap:.1e} apart"
    return f"same (centres within {gap:.0e})"


def run_kernel_cases(quick: bool, repeats: int) -> int:
    """Prints the table; returns how many results differ from the baseline."""
    print(
        "\nKernels with sample weights, against a scikit-learn-style baseline "
        "(radius_neighbors + weighted mean per seed, joblib over seeds), n_jobs=-1:\n"
    )
    table = MarkdownTable(
        (
            "case",
            "kernel",
            "data",
            "fastmeanshift s",
            "baseline s",
            "vs baseline",
            "target",
            "vs flat",
            "evaluations",
            "evaluations/s",
            "results",
        )
    )
    different = 0
    for name, bin_seeding, quick_n, n in CASES:
        X = blobs_2d(quick_n if quick else n)
        w = weights_for(len(X))
        flat_s = None
        for kernel in KERNELS:
            model = fastmeanshift.MeanShift(
                bandwidth=BANDWIDTH_2D, kernel=kernel, bin_seeding=bin_seeding, n_jobs=-1
            )
            runs = {
                "fast": lambda model=model, X=X, w=w: model.fit(X, sample_weight=w),
                "baseline": lambda kernel=kernel, X=X, w=w, bins=bin_seeding: baseline_mean_shift(
                    X, BANDWIDTH_2D, kernel, w, bin_seeding=bins
                ),
            }
            medians = interleaved_medians(runs, repeats, ["fast"])
            (fast_s, ours), (base_s, theirs) = medians["fast"], medians["baseline"]
            flat_s = fast_s if kernel == "flat" else flat_s
            verdict = agreement(ours, theirs)
            different += verdict.startswith("DIFFERENT")
            table.print_row(
                [
                    name,
                    kernel,
                    f"{len(X)}x2",
                    seconds(fast_s),
                    seconds(base_s),
                    speedup(base_s, fast_s),
                    target(base_s, fast_s, TARGET),
                    f"{fast_s / flat_s:.1f}×" if flat_s else "-",
                    f"{theirs.distinct_evaluations:,}",
                    f"{theirs.distinct_evaluations / fast_s / 1e6:.0f} M",
                    verdict,
                ]
            )
    return different
