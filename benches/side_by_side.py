"""Run fastmeanshift, scikit-learn and mlpack on the same input, time them, and
check that fastmeanshift agrees with scikit-learn.

Repeats are interleaved (one run of each library per round) so that a change
in machine load during a benchmark hits every library alike, and each
library's median is taken over the rounds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn.cluster  # type: ignore[import-untyped]
from bench_cases import BENCH_EXTRA
from numpy.typing import NDArray

import fastmeanshift

try:
    import mlpack  # type: ignore[import-untyped]
except ImportError:
    mlpack = None

MLPACK_MISSING = f"mlpack not installed, its columns are empty: {BENCH_EXTRA}"
# scikit-learn's default, which mlpack's binding (default 1000) is given too.
MAX_ITER = 300
RTOL = 1e-9
ATOL = 1e-12


@dataclass
class Timings:
    """Median seconds per library (None: not run) and fastmeanshift's agreement."""

    fast_s: float
    sklearn_s: float | None = None
    mlpack_s: float | None = None
    mlpack_clusters: int | None = None
    verdict: str = "not checked"  # "identical" or "DIFFERENT: <first disagreement>"


def interleaved_medians(
    runs: dict[str, Callable[[], Any]], repeats: int, warm_up: Sequence[str]
) -> dict[str, tuple[float, Any]]:
    """Median wall time of each run over ``repeats`` rounds, and its last result.

    The runs named in ``warm_up`` are called once untimed first, so a thread
    pool's start-up is not timed; scikit-learn is not warmed up (each call costs
    seconds), the median keeps its first-call overhead out.
    """
    for name in warm_up:
        runs[name]()
    times: dict[str, list[float]] = {name: [] for name in runs}
    results: dict[str, Any] = {}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]), results[name]) for name in runs}


def warm_up_sklearn() -> None:
    """Start scikit-learn's joblib worker processes, which it then reuses, so that
    their start-up is not timed as part of the first case."""
    X = np.arange(64, dtype=np.float64).reshape(32, 2)
    sklearn.cluster.MeanShift(bandwidth=4.0, n_jobs=-1).fit(X)


def fit_mlpack(X: NDArray[np.float64], radius: float) -> dict[str, NDArray[np.float64]]:
    """mlpack's ``mean_shift`` binding, comparable with a bin-seeded flat-kernel fit.

    The binding has no kernel or seeding options: it runs ``MeanShift<>``,
    whose default (UseKernel=false) averages the points within ``radius``
    unweighted, the flat kernel, from seeds at the corners of bins of side
    ``radius`` (floored, where scikit-learn rounds), so its clusters need not
    match. It is single-threaded.
    """
    return mlpack.mean_shift(input_=X, radius=radius, max_iterations=MAX_ITER, labels_only=True)


def compare_fits(ours: fastmeanshift.MeanShift, theirs: sklearn.cluster.MeanShift) -> str:
    """Return "identical", or "DIFFERENT: <the first disagreement>"."""
    a, b = ours.cluster_centers_, theirs.cluster_centers_
    if a.shape != b.shape:
        return f"DIFFERENT: {len(a)} clusters vs sklearn's {len(b)}"
    if not np.array_equal(ours.labels_, theirs.labels_):
        wrong = int(np.count_nonzero(ours.labels_ != theirs.labels_))
        return f"DIFFERENT: {wrong} labels differ"
    if ours.n_iter_ != theirs.n_iter_:
        return f"DIFFERENT: n_iter_ {ours.n_iter_} vs sklearn's {theirs.n_iter_}"
    if not np.allclose(a, b, rtol=RTOL, atol=ATOL):
        worst = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), ATOL)))
        return f"DIFFERENT: centers differ (max relative error {worst:.3g})"
    return "identical"


def compare_thread_counts(one: fastmeanshift.MeanShift, other: fastmeanshift.MeanShift) -> str:
    """fastmeanshift promises bit-identical results for every thread count."""
    same = (
        np.array_equal(one.cluster_centers_, other.cluster_centers_)
        and np.array_equal(one.labels_, other.labels_)
        and one.n_iter_ == other.n_iter_
    )
    return "identical" if same else "DIFFERENT: result depends on n_jobs"


def compare_bandwidths(ours: float, theirs: float) -> str:
    if ours == theirs:
        return "identical"
    return f"DIFFERENT: bandwidth {ours!r} vs sklearn's {theirs!r}"


def fit_side_by_side(
    X: NDArray[np.float64],
    bandwidth: float,
    bin_seeding: bool,
    repeats: int,
    run_sklearn: bool,
    run_mlpack: bool,
) -> Timings:
    """Time ``MeanShift(bandwidth, bin_seeding, n_jobs=-1).fit(X)`` in each library."""
    runs: dict[str, Callable[[], Any]] = {
        "fast": lambda: fastmeanshift.MeanShift(
            bandwidth=bandwidth, bin_seeding=bin_seeding, n_jobs=-1
        ).fit(X)
    }
    if run_sklearn:
        runs["sklearn"] = lambda: sklearn.cluster.MeanShift(
            bandwidth=bandwidth, bin_seeding=bin_seeding, n_jobs=-1
        ).fit(X)
    if run_mlpack and mlpack is not None:
        runs["mlpack"] = lambda: fit_mlpack(X, bandwidth)
    medians = interleaved_medians(runs, repeats, [name for name in runs if name != "sklearn"])
    timings = Timings(fast_s=medians["fast"][0])
    if "sklearn" in medians:
        timings.sklearn_s = medians["sklearn"][0]
        timings.verdict = compare_fits(medians["fast"][1], medians["sklearn"][1])
    if "mlpack" in medians:
        timings.mlpack_s = medians["mlpack"][0]
        timings.mlpack_clusters = len(medians["mlpack"][1]["centroid"])
    return timings


def bandwidth_side_by_side(X: NDArray[np.float64], repeats: int, run_sklearn: bool) -> Timings:
    """Time ``estimate_bandwidth(X, n_jobs=-1)`` in both libraries."""
    runs: dict[str, Callable[[], Any]] = {
        "fast": lambda: fastmeanshift.estimate_bandwidth(X, n_jobs=-1)
    }
    if run_sklearn:
        runs["sklearn"] = lambda: sklearn.cluster.estimate_bandwidth(X, n_jobs=-1)
    medians = interleaved_medians(runs, repeats, ["fast"])
    timings = Timings(fast_s=medians["fast"][0])
    if "sklearn" in medians:
        timings.sklearn_s = medians["sklearn"][0]
        ours, theirs = medians["fast"][1], medians["sklearn"][1]
        timings.verdict = compare_bandwidths(float(ours), float(theirs))
    return timings


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def speedup(slower_s: float | None, faster_s: float | None) -> str:
    return "-" if slower_s is None or faster_s is None else f"{slower_s / faster_s:.1f}×"


def target(slower_s: float | None, faster_s: float | None, required: float | None) -> str:
    """The required ratio, and whether this measurement met it."""
    if required is None:
        return "-"
    if slower_s is None or faster_s is None:
        return f"≥{required:g}×"
    met = "met" if slower_s / faster_s >= required else "missed"
    return f"≥{required:g}× {met}"


def identical(verdict: str) -> str:
    """The Markdown cell for a verdict: yes, NO: why, or why it was not checked."""
    if verdict == "identical":
        return "yes"
    if verdict.startswith("DIFFERENT: "):
        return "NO: " + verdict.removeprefix("DIFFERENT: ")
    return verdict


class MarkdownTable:
    """Prints a Markdown table one row at a time, its columns padded to stay
    aligned in a terminal (longer cells just push theirs out)."""

    FIRST_COLUMN_WIDTH = 22
    COLUMN_WIDTH = 12

    def __init__(self, header: Sequence[str]) -> None:
        first, *others = (len(title) for title in header)
        self.widths = [max(first, self.FIRST_COLUMN_WIDTH)]
        self.widths += [max(width, self.COLUMN_WIDTH) for width in others]
        self.print_row(header)
        self.print_row(["-" * width for width in self.widths])

    def print_row(self, cells: Sequence[str]) -> None:
        padded = (f"{cell:<{width}}" for cell, width in zip(cells, self.widths))
        print(f"| {' | '.join(padded)} |", flush=True)
