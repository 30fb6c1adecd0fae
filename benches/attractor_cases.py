"""The attractor-label rows of compare.py (docs/algorithm.md §12).

- "bins against every point": ``cluster_assignment="attractor"`` with bin
  seeding, against a fit with every sample a seed (nearest-centre labels) on
  the same data. Both climb every sample, so the target is at most 1.3 times
  its time.
- "against scikit-learn": attractor labels (every sample a seed) against
  scikit-learn's ``MeanShift`` with every sample a seed, which makes the same
  climbs and is the only way a scikit-learn user comes near these labels;
  the target is at least 100 times faster.

The data are 2-D points in three blobs (``make_blobs`` with
``bench_cases.CENTERS_2D``, standard deviation 0.4), bandwidth 0.7: 48,000
and 6,000 of them (4,000 and 1,000 with ``--quick``). Every fit runs with
``n_jobs=-1``; times are medians of interleaved runs. Checked: the centres
and ``n_iter_`` are those of the fit compared against (scikit-learn's to
``rtol=1e-9``, ours bit for bit), and the attractor labels are bit-identical
for ``n_jobs=1`` and ``n_jobs=2``.
"""

from __future__ import annotations

import numpy as np
import sklearn  # type: ignore[import-untyped]
from bench_cases import blobs_2d
from side_by_side import (
    MarkdownTable,
    compare_thread_counts,
    interleaved_medians,
    seconds,
    speedup,
    target,
)

import fastmeanshift

BANDWIDTH = 0.7
AT_MOST_OVER_EVERY_POINT = 1.3
AT_LEAST_OVER_SKLEARN = 100.0


def attractor(X: np.ndarray, bin_seeding: bool, n_jobs: int = -1) -> fastmeanshift.MeanShift:
    return fastmeanshift.MeanShift(
        bandwidth=BANDWIDTH, bin_seeding=bin_seeding, cluster_assignment="attractor", n_jobs=n_jobs
    ).fit(X)


def same_centres(ours: fastmeanshift.MeanShift, other, exact: bool) -> str:
    """The clustering's centres and n_iter_ agree; then the labels across thread counts."""
    if ours.cluster_centers_.shape != other.cluster_centers_.shape:
        return f"DIFFERENT: {len(ours.cluster_centers_)} centres, {len(other.cluster_centers_)}"
    if ours.n_iter_ != other.n_iter_:
        return f"DIFFERENT: n_iter_ {ours.n_iter_}, {other.n_iter_}"
    if exact and ours.cluster_centers_.tobytes() != other.cluster_centers_.tobytes():
        return "DIFFERENT: centres not bit-identical"
    if not np.allclose(ours.cluster_centers_, other.cluster_centers_, rtol=1e-9, atol=0):
        return "DIFFERENT: centres"
    return "same centres"


def run_attractor_cases(quick: bool, repeats: int, run_sklearn: bool) -> int:
    """Prints the table; returns how many results differ."""
    print(
        "\nAttractor labels (cluster_assignment='attractor'), 2-D blobs, bandwidth "
        f"{BANDWIDTH}, n_jobs=-1:\n"
    )
    table = MarkdownTable(
        ("case", "data", "attractor s", "compared s", "ratio", "target", "results")
    )
    different = 0

    X = blobs_2d(4_000 if quick else 48_000)
    runs = {
        "bins": lambda: attractor(X, bin_seeding=True),
        "every point": lambda: fastmeanshift.MeanShift(bandwidth=BANDWIDTH, n_jobs=-1).fit(X),
    }
    medians = interleaved_medians(runs, repeats, list(runs))
    (bins_s, ours), (every_s, every) = medians["bins"], medians["every point"]
    verdict = f"{same_centres(ours, attractor(X, True, 1), exact=True)}; " + compare_thread_counts(
        attractor(X, True, 1), attractor(X, True, 2)
    )
    ratio = bins_s / every_s
    met = "met" if ratio <= AT_MOST_OVER_EVERY_POINT else "missed"
    table.print_row(
        [
            "with bin seeding, against a fit with every sample a seed",
            f"{len(X)}x2",
            seconds(bins_s),
            seconds(every_s),
            f"{ratio:.2f}×",
            f"≤{AT_MOST_OVER_EVERY_POINT:g}× {met}",
            verdict,
        ]
    )
    different += "DIFFERENT" in verdict
    del every

    X = blobs_2d(1_000 if quick else 6_000)
    if not run_sklearn:
        return different
    runs = {
        "ours": lambda: attractor(X, bin_seeding=False),
        "sklearn": lambda: sklearn.cluster.MeanShift(bandwidth=BANDWIDTH, n_jobs=-1).fit(X),
    }
    medians = interleaved_medians(runs, repeats, ["ours"])
    (ours_s, ours), (sklearn_s, theirs) = medians["ours"], medians["sklearn"]
    verdict = f"{same_centres(ours, theirs, exact=False)}; " + compare_thread_counts(
        attractor(X, False, 1), attractor(X, False, 2)
    )
    table.print_row(
        [
            "every sample a seed, against scikit-learn's MeanShift",
            f"{len(X)}x2",
            seconds(ours_s),
            seconds(sklearn_s),
            speedup(sklearn_s, ours_s),
            target(sklearn_s, ours_s, AT_LEAST_OVER_SKLEARN),
            verdict,
        ]
    )
    different += "DIFFERENT" in verdict
    return different
