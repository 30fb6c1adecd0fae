"""Time fastmeanshift against scikit-learn on the same data, in one process.

Every case runs both libraries on identical input (the bandwidth is estimated
once, by fastmeanshift, and passed to both), prints the median wall time of
each and their ratio, and checks that the results agree: the same number of
clusters, identical labels, the same ``n_iter_`` and centers equal to
``rtol=1e-9`` (the same value for ``estimate_bandwidth``). The script exits
with status 1 if any result differs.

    python benches/compare.py                      # the full comparison (minutes)
    python benches/compare.py --quick              # small inputs, one repeat (CI smoke test)
    python benches/compare.py --cases bin_seeding_2d estimate_bandwidth_2d
    python benches/compare.py --skip-sklearn       # time fastmeanshift alone
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn  # type: ignore[import-untyped]
import sklearn.cluster  # type: ignore[import-untyped]
from numpy.typing import NDArray
from sklearn.datasets import load_digits, make_blobs  # type: ignore[import-untyped]

import fastmeanshift

CENTERS_2D = [[1, 1], [-1, -1], [1, -1]]
RTOL = 1e-9
ATOL = 1e-12


@dataclass(frozen=True)
class Case:
    """One comparison: how to build the data, and what to run on it."""

    name: str
    description: str
    data: Callable[[bool], NDArray[np.float64]]  # quick -> X
    task: str  # "fit" or "estimate_bandwidth"
    n_jobs: int = -1
    bin_seeding: bool = False


@dataclass
class Row:
    case: Case
    shape: tuple[int, ...]
    sklearn_s: float | None
    fast_s: float
    verdict: str  # "identical", "DIFFERENT: ...", or "not checked"

    @property
    def ratio(self) -> float | None:
        return None if self.sklearn_s is None else self.sklearn_s / self.fast_s


def blobs_2d(n: int) -> NDArray[np.float64]:
    X, _ = make_blobs(n, centers=CENTERS_2D, cluster_std=0.4, random_state=0)
    return np.asarray(X, dtype=np.float64)


def blobs_10d(n: int) -> NDArray[np.float64]:
    X, _ = make_blobs(n, n_features=10, centers=4, random_state=0)
    return np.asarray(X, dtype=np.float64)


def digits(n: int | None) -> NDArray[np.float64]:
    X = load_digits().data
    return np.ascontiguousarray(X if n is None else X[:n], dtype=np.float64)


CASES: tuple[Case, ...] = (
    Case(
        "every_point_2d",
        "every point a seed, 2-D, n_jobs=-1",
        lambda quick: blobs_2d(1_000 if quick else 5_000),
        "fit",
    ),
    Case(
        "every_point_2d_n_jobs_1",
        "every point a seed, 2-D, n_jobs=1",
        lambda quick: blobs_2d(1_000 if quick else 5_000),
        "fit",
        n_jobs=1,
    ),
    Case(
        "bin_seeding_2d",
        "bin seeding, 2-D, n_jobs=-1",
        lambda quick: blobs_2d(20_000 if quick else 200_000),
        "fit",
        bin_seeding=True,
    ),
    Case(
        "every_point_10d",
        "every point a seed, 10-D, 4 blobs, n_jobs=-1",
        lambda quick: blobs_10d(1_000 if quick else 4_000),
        "fit",
    ),
    Case(
        "every_point_64d_digits",
        "every point a seed, 64-D digits, n_jobs=-1",
        lambda quick: digits(1_000 if quick else None),
        "fit",
    ),
    Case(
        "estimate_bandwidth_2d",
        "estimate_bandwidth, 2-D, n_jobs=-1",
        lambda quick: blobs_2d(1_000 if quick else 5_000),
        "estimate_bandwidth",
    ),
)
CASE_NAMES = tuple(case.name for case in CASES)


def median_time(run: Callable[[], Any], repeats: int, warm_up: bool) -> tuple[float, Any]:
    """Median wall time of ``repeats`` calls of ``run`` and the last call's result."""
    result = run() if warm_up else None
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


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


def compare_bandwidths(ours: float, theirs: float) -> str:
    if ours == theirs:
        return "identical"
    return f"DIFFERENT: bandwidth {ours!r} vs sklearn's {theirs!r}"


def run_case(case: Case, quick: bool, repeats: int, skip_sklearn: bool) -> Row:
    X = case.data(quick)
    sklearn_s: float | None = None
    verdict = "not checked"
    if case.task == "estimate_bandwidth":
        fast_s, ours = median_time(
            lambda: fastmeanshift.estimate_bandwidth(X, n_jobs=case.n_jobs), repeats, True
        )
        if not skip_sklearn:
            sklearn_s, theirs = median_time(
                lambda: sklearn.cluster.estimate_bandwidth(X, n_jobs=case.n_jobs), repeats, False
            )
            verdict = compare_bandwidths(float(ours), float(theirs))
    else:
        bandwidth = float(fastmeanshift.estimate_bandwidth(X, n_jobs=-1))
        fast_s, ours = median_time(
            lambda: fastmeanshift.MeanShift(
                bandwidth=bandwidth, bin_seeding=case.bin_seeding, n_jobs=case.n_jobs
            ).fit(X),
            repeats,
            True,
        )
        if not skip_sklearn:
            sklearn_s, theirs = median_time(
                lambda: sklearn.cluster.MeanShift(
                    bandwidth=bandwidth, bin_seeding=case.bin_seeding, n_jobs=case.n_jobs
                ).fit(X),
                repeats,
                False,
            )
            verdict = compare_fits(ours, theirs)
    return Row(case, X.shape, sklearn_s, fast_s, verdict)


HEADER = ("case", "data", "sklearn median s", "fastmeanshift median s", "ratio", "result")
WIDTHS = (24, 11, 16, 22, 8, 0)


def format_row(cells: Sequence[str]) -> str:
    left, data, *numbers, verdict = cells
    text = f"{left:<{WIDTHS[0]}} | {data:>{WIDTHS[1]}}"
    for cell, width in zip(numbers, WIDTHS[2:5]):
        text += f" | {cell:>{width}}"
    return f"{text} | {verdict}"


def format_result(row: Row) -> str:
    n, d = row.shape
    return format_row(
        (
            row.case.name,
            f"{n}x{d}",
            "-" if row.sklearn_s is None else f"{row.sklearn_s:.4f}",
            f"{row.fast_s:.4f}",
            "-" if row.ratio is None else f"{row.ratio:.1f}x",
            row.verdict,
        )
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time fastmeanshift against scikit-learn and check the results agree.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed runs per library and case (default: 3, or 1 with --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small inputs (n~1,000; 20,000 for bin seeding) and 1 repeat, for CI smoke tests",
    )
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=CASE_NAMES,
        default=list(CASE_NAMES),
        metavar="CASE",
        help=f"cases to run, from: {', '.join(CASE_NAMES)}",
    )
    parser.add_argument(
        "--skip-sklearn",
        action="store_true",
        help="time fastmeanshift only (no comparison, no check)",
    )
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"fastmeanshift {fastmeanshift.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; median of {args.repeats} run(s)"
        f"{', quick' if args.quick else ''}; ratio = sklearn / fastmeanshift"
    )
    header = format_row(HEADER)
    print(header)
    print("-" * len(header))
    different = 0
    for case in CASES:
        if case.name not in args.cases:
            continue
        row = run_case(case, args.quick, args.repeats, args.skip_sklearn)
        different += row.verdict.startswith("DIFFERENT")
        print(format_result(row), flush=True)
    if different:
        print(f"{different} case(s) gave DIFFERENT results", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
