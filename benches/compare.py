"""Time fastmeanshift against scikit-learn and mlpack on the same data, in one process.

The cases and their speed targets (the least ratios of scikit-learn's and mlpack's
times to fastmeanshift's) are bench_cases.py's. Every case runs the libraries on identical
input with the same parameters (``n_jobs=-1``; the bandwidth is fixed, or
estimated once by fastmeanshift and passed to all), prints Markdown tables of
median wall times and ratios next to their targets, and checks that
fastmeanshift's results equal scikit-learn's: the same number of clusters,
identical labels, the same ``n_iter_`` and centers equal to ``rtol=1e-9`` (the
same value for ``estimate_bandwidth``), and bit-identical results for
``n_jobs=1`` and ``n_jobs=2``. The script exits with status 1 if any result
differs.

mlpack's clusters are not expected to match (see ``side_by_side.fit_mlpack``):
its time and cluster count are reported, not checked. mlpack, pillow (which
decodes the photograph) and matplotlib (``--plot``) are optional, installed by
``pip install '.[bench]'``; without them the cases or columns that need them
say so and are skipped.

    python benches/compare.py                      # the full comparison (minutes; more under load)
    python benches/compare.py --quick              # small inputs, one repeat (CI smoke test)
    python benches/compare.py --cases bin_seeding_2d estimate_bandwidth_2d
    python benches/compare.py --sweep --plot scaling.png   # also time against n and d
    python benches/compare.py --skip-sklearn       # time fastmeanshift (and mlpack) alone
    python benches/compare.py --kernels --cases    # only the kernels with weights (kernel_cases.py)

After the cases, the attractor labels' two rows (attractor_cases.py) always run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import sklearn  # type: ignore[import-untyped]
from attractor_cases import run_attractor_cases
from bench_cases import BENCH_EXTRA, CASES, CASES_BY_NAME, Case, MissingDependency
from kernel_cases import run_kernel_cases
from numpy.typing import NDArray
from peak_memory import PeakMemory
from peak_memory import measure as measure_peak_memory
from scaling_sweeps import run_sweeps
from side_by_side import (
    MLPACK_MISSING,
    MarkdownTable,
    Timings,
    bandwidth_side_by_side,
    compare_thread_counts,
    fit_side_by_side,
    identical,
    interleaved_medians,
    mlpack,
    seconds,
    speedup,
    target,
    warm_up_sklearn,
)

import fastmeanshift

# Issue "speed at scale": two threads at least 1.9 times as fast as one
# wherever one thread has more than 0.2 s of work (below, the serial part
# of a call, a few milliseconds, weighs too much to ask for it).
THREAD_SPEEDUP_TARGET = 1.9
THREAD_SPEEDUP_LEAST_WORK_S = 0.2
PEAK_MEMORY_TARGET = 1.5  # peak RSS growth / input size, plus O(seeds)
MIB = 2**20

CASE_HEADER = (
    "case",
    "data",
    "fastmeanshift s",
    "sklearn s",
    "vs sklearn",
    "target",
    "mlpack s",
    "vs mlpack",
    "mlpack target",
    "mlpack clusters",
    "identical",
)


def shape(X: NDArray[np.float64]) -> str:
    return "x".join(str(size) for size in X.shape)


def case_bandwidth(case: Case, X: NDArray[np.float64]) -> float:
    if case.bandwidth is not None:
        return case.bandwidth
    return float(fastmeanshift.estimate_bandwidth(X, n_jobs=-1))


def time_case(case: Case, X: NDArray[np.float64], repeats: int, skip_sklearn: bool) -> Timings:
    if case.task == "estimate_bandwidth":
        return bandwidth_side_by_side(X, repeats, not skip_sklearn)
    return fit_side_by_side(
        X, case_bandwidth(case, X), case.bin_seeding, repeats, not skip_sklearn, case.run_mlpack
    )


def case_cells(case: Case, X: NDArray[np.float64], timings: Timings) -> list[str]:
    return [
        case.name,
        shape(X),
        seconds(timings.fast_s),
        seconds(timings.sklearn_s),
        speedup(timings.sklearn_s, timings.fast_s),
        target(timings.sklearn_s, timings.fast_s, case.sklearn_target),
        seconds(timings.mlpack_s),
        speedup(timings.mlpack_s, timings.fast_s),
        target(timings.mlpack_s, timings.fast_s, case.mlpack_target),
        "-" if timings.mlpack_clusters is None else str(timings.mlpack_clusters),
        identical(timings.verdict),
    ]


def thread_speedup(case: Case, X: NDArray[np.float64], repeats: int) -> list[str]:
    """fastmeanshift alone, n_jobs=1 against n_jobs=2."""
    bandwidth = None if case.task == "estimate_bandwidth" else case_bandwidth(case, X)

    def run(jobs: int) -> Any:
        if bandwidth is None:
            return fastmeanshift.estimate_bandwidth(X, n_jobs=jobs)
        return fastmeanshift.MeanShift(
            bandwidth=bandwidth, bin_seeding=case.bin_seeding, n_jobs=jobs
        ).fit(X)

    runs = {"1": lambda: run(1), "2": lambda: run(2)}
    medians = interleaved_medians(runs, repeats, list(runs))
    (one_s, one), (two_s, two) = medians["1"], medians["2"]
    if bandwidth is None:
        verdict = "identical" if one == two else "DIFFERENT: result depends on n_jobs"
    else:
        verdict = compare_thread_counts(one, two)
    return [
        case.name,
        shape(X),
        seconds(one_s),
        seconds(two_s),
        f"{one_s / two_s:.2f}×",
        target(
            one_s,
            two_s,
            THREAD_SPEEDUP_TARGET if one_s > THREAD_SPEEDUP_LEAST_WORK_S else None,
        ),
        identical(verdict),
    ]


def peak_memory_cells(case: Case, quick: bool) -> list[str]:
    measured = measure_peak_memory(["--case", case.name, *(["--quick"] if quick else [])])
    if not isinstance(measured, PeakMemory):
        return [case.name, "-", "-", "-", measured]
    met = "met" if measured.ratio <= PEAK_MEMORY_TARGET else "missed"
    return [
        case.name,
        f"{measured.input_bytes / MIB:.1f}",
        f"{measured.growth_bytes / MIB:.1f}",
        f"{measured.ratio:.2f}×",
        f"≤{PEAK_MEMORY_TARGET:g}× + O(seeds) {met}",
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time fastmeanshift against scikit-learn and mlpack; check the results agree.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed runs per library and case, reported as medians (default: 3, or 1 with --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small inputs (n=400 to 1,000; 20,000 for bin seeding; every 64th pixel) "
        "and 1 repeat, for CI smoke tests",
    )
    parser.add_argument(
        "--cases",
        nargs="*",
        choices=list(CASES_BY_NAME),
        default=list(CASES_BY_NAME),
        metavar="CASE",
        help=f"cases to run, from: {', '.join(CASES_BY_NAME)}",
    )
    parser.add_argument(
        "--skip-sklearn",
        action="store_true",
        help="do not run scikit-learn (no comparison, no check)",
    )
    parser.add_argument(
        "--kernels",
        action="store_true",
        help="also time every kernel with sample weights against a scikit-learn-style "
        "baseline (kernel_cases.py); alone with an empty --cases",
    )
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="also time against n (2-D: bin seeding 1e3 to 1e8, every point a seed 1e3 to "
        "1e5) and d (every point a seed, 1 to 64), then the goals of speed at scale",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE.png",
        help="with --sweep: save log-log plots of time per point against n, and of time "
        "against d, for each library",
    )
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.plot is not None:
        if not args.sweep:
            parser.error("--plot needs --sweep, which measures what it plots")
        if importlib.util.find_spec("matplotlib") is None:
            parser.error(f"--plot needs matplotlib: {BENCH_EXTRA}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    mlpack_version = "not installed" if mlpack is None else mlpack.__version__
    quick_note = ", quick (targets are for the full sizes)" if args.quick else ""
    print(
        f"fastmeanshift {fastmeanshift.__version__}, scikit-learn {sklearn.__version__}, "
        f"mlpack {mlpack_version}, numpy {np.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; "
        f"median of {args.repeats} run(s){quick_note}; "
        "vs X = X's median / fastmeanshift's; n_jobs=-1 everywhere (mlpack is single-threaded)\n"
    )
    selected = [case for case in CASES if case.name in args.cases]
    inputs: dict[str, NDArray[np.float64]] = {}
    skipped: list[str] = []
    different = 0

    if not args.skip_sklearn:
        warm_up_sklearn()
    table = MarkdownTable(CASE_HEADER)
    for case in selected:
        try:
            X = case.data(args.quick)
        except MissingDependency as missing:
            skipped.append(f"{case.name}: {missing}")
            table.print_row([case.name, *["-"] * (len(CASE_HEADER) - 2), f"skipped: {missing}"])
            continue
        inputs[case.name] = X
        timings = time_case(case, X, args.repeats, args.skip_sklearn)
        different += timings.verdict.startswith("DIFFERENT")
        table.print_row(case_cells(case, X, timings))
    if mlpack is None:
        print(f"\n{MLPACK_MISSING}")

    print("\nfastmeanshift alone, n_jobs=1 against n_jobs=2 (results must be bit-identical):\n")
    table = MarkdownTable(
        ("case", "data", "n_jobs=1 s", "n_jobs=2 s", "speed-up", "target", "identical")
    )
    for case in selected:
        if case.name in inputs:
            cells = thread_speedup(case, inputs[case.name], args.repeats)
            different += cells[-1].startswith("NO")
            table.print_row(cells)

    large = [case for case in selected if case.name in inputs and case.large_input]
    if large:
        print("\nPeak RSS growth of one fastmeanshift fit (n_jobs=-1), fresh process:\n")
        table = MarkdownTable(("case", "input MiB", "peak growth MiB", "growth / input", "target"))
        for case in large:
            table.print_row(peak_memory_cells(case, args.quick))

    different += run_attractor_cases(args.quick, args.repeats, not args.skip_sklearn)

    if args.kernels:
        different += run_kernel_cases(args.quick, args.repeats)

    if args.sweep:
        different += run_sweeps(args.quick, args.repeats, args.skip_sklearn, args.plot)

    for note in skipped:
        print(f"skipped {note}", file=sys.stderr)
    if different:
        print(f"{different} result(s) DIFFERENT", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
