"""compare.py --sweep: time against the number of points n and the dimension d.

- n from 1e3 to 1e7: the 2-D blobs of docs/algorithm.md §9.3 with bin seeding
  (every point a seed would be quadratic), bandwidth 1.07, all three libraries. A library is
  skipped at the sizes where its run, extrapolated linearly in n from its
  previous size, would exceed SLOW_LIBRARY_BUDGET_S, and the table says so.
- d from 1 to 64: four blobs, every point a seed, fixed n, bandwidth estimated
  once by fastmeanshift; mlpack's binding cannot make every point a seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench_cases import BANDWIDTH_2D, blobs_2d, four_blobs
from peak_memory import PeakMemory
from peak_memory import measure as measure_peak_memory
from side_by_side import (
    MarkdownTable,
    Timings,
    fit_side_by_side,
    identical,
    mlpack,
    seconds,
    speedup,
)

import fastmeanshift

SWEEP_N = (1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)
QUICK_SWEEP_N = (1_000, 10_000, 100_000)
SWEEP_D = (1, 2, 4, 8, 16, 32, 64)
SWEEP_D_N = 2_000
QUICK_SWEEP_D_N = 300
SLOW_LIBRARY_BUDGET_S = 60.0


@dataclass
class Curve:
    """One library's measured times, for the plot."""

    sizes: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(self, size: int, median_s: float | None) -> None:
        if median_s is not None:
            self.sizes.append(size)
            self.seconds.append(median_s)

    def expected_s(self, size: int) -> float:
        """This library's time at ``size``, extrapolated linearly from its last one."""
        if not self.sizes:
            return 0.0
        return self.seconds[-1] * size / self.sizes[-1]


def within_budget(curve: Curve, n: int) -> bool:
    return curve.expected_s(n) <= SLOW_LIBRARY_BUDGET_S


def sweep_n(quick: bool, repeats: int, skip_sklearn: bool) -> tuple[dict[str, Curve], int]:
    print(
        f"\nTime against n: 2-D, bin seeding, bandwidth {BANDWIDTH_2D}, n_jobs=-1; a library is "
        f"skipped where one run would take over ~{SLOW_LIBRARY_BUDGET_S:g} s:\n"
    )
    table = MarkdownTable(
        (
            "n",
            "fastmeanshift s",
            "sklearn s",
            "vs sklearn",
            "mlpack s",
            "vs mlpack",
            "mlpack clusters",
            "identical",
        )
    )
    curves = {"fastmeanshift": Curve(), "scikit-learn": Curve(), "mlpack": Curve()}
    different = 0
    for n in QUICK_SWEEP_N if quick else SWEEP_N:
        run_sklearn = not skip_sklearn and within_budget(curves["scikit-learn"], n)
        run_mlpack = mlpack is not None and within_budget(curves["mlpack"], n)
        timings = fit_side_by_side(
            blobs_2d(n), BANDWIDTH_2D, True, repeats, run_sklearn, run_mlpack
        )
        curves["fastmeanshift"].add(n, timings.fast_s)
        curves["scikit-learn"].add(n, timings.sklearn_s)
        curves["mlpack"].add(n, timings.mlpack_s)
        different += timings.verdict.startswith("DIFFERENT")
        table.print_row(
            [
                f"{n:,}",
                seconds(timings.fast_s),
                skipped_or_seconds(timings.sklearn_s, not skip_sklearn and not run_sklearn),
                speedup(timings.sklearn_s, timings.fast_s),
                skipped_or_seconds(timings.mlpack_s, mlpack is not None and not run_mlpack),
                speedup(timings.mlpack_s, timings.fast_s),
                "-" if timings.mlpack_clusters is None else str(timings.mlpack_clusters),
                identical(timings.verdict),
            ]
        )
    largest = curves["fastmeanshift"].sizes[-1]
    measured = measure_peak_memory(["--blobs-2d", str(largest)])
    if isinstance(measured, PeakMemory):
        print(
            f"\nPeak RSS growth of the fastmeanshift fit at n={largest:,}: "
            f"{measured.growth_bytes / 2**20:.1f} MiB, {measured.ratio:.2f}× the input "
            f"({measured.input_bytes / 2**20:.1f} MiB)"
        )
    else:
        print(f"\nPeak RSS growth at n={largest:,}: {measured}")
    return curves, different


def skipped_or_seconds(median_s: float | None, skipped_for_time: bool) -> str:
    return f"skipped, > {SLOW_LIBRARY_BUDGET_S:g} s" if skipped_for_time else seconds(median_s)


def sweep_d(quick: bool, repeats: int, skip_sklearn: bool) -> tuple[dict[str, Curve], int]:
    n = QUICK_SWEEP_D_N if quick else SWEEP_D_N
    print(
        f"\nTime against d: four blobs, n={n:,}, every point a seed, estimated bandwidth, "
        "n_jobs=-1:\n"
    )
    table = MarkdownTable(("d", "fastmeanshift s", "sklearn s", "vs sklearn", "identical"))
    curves = {"fastmeanshift": Curve(), "scikit-learn": Curve()}
    different = 0
    for d in SWEEP_D:
        X = four_blobs(n, d)
        bandwidth = float(fastmeanshift.estimate_bandwidth(X, n_jobs=-1))
        timings: Timings = fit_side_by_side(X, bandwidth, False, repeats, not skip_sklearn, False)
        curves["fastmeanshift"].add(d, timings.fast_s)
        curves["scikit-learn"].add(d, timings.sklearn_s)
        different += timings.verdict.startswith("DIFFERENT")
        table.print_row(
            [
                str(d),
                seconds(timings.fast_s),
                seconds(timings.sklearn_s),
                speedup(timings.sklearn_s, timings.fast_s),
                identical(timings.verdict),
            ]
        )
    return curves, different


def plot(by_n: dict[str, Curve], by_d: dict[str, Curve], d_sweep_n: int, path: str) -> None:
    import matplotlib  # type: ignore[import-untyped]  # optional: compare.py checked it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # type: ignore[import-untyped]

    figure, (n_axes, d_axes) = plt.subplots(1, 2, figsize=(11, 4.5))
    for axes, curves in ((n_axes, by_n), (d_axes, by_d)):
        for library, curve in curves.items():
            if curve.sizes:
                axes.loglog(curve.sizes, curve.seconds, marker="o", label=library)
        axes.set_ylabel("median wall time (s)")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    n_axes.set_xlabel("n (2-D, bin seeding)")
    n_axes.set_title("time against n")
    d_axes.set_xscale("log", base=2)
    d_axes.set_xlabel(f"d (n={d_sweep_n:,}, every point a seed)")
    d_axes.set_title("time against d")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    print(f"\nplot saved to {path}")


def run_sweeps(quick: bool, repeats: int, skip_sklearn: bool, plot_path: str | None) -> int:
    """Print both sweeps (and plot them); the number of DIFFERENT results."""
    by_n, different_n = sweep_n(quick, repeats, skip_sklearn)
    by_d, different_d = sweep_d(quick, repeats, skip_sklearn)
    if plot_path is not None:
        plot(by_n, by_d, QUICK_SWEEP_D_N if quick else SWEEP_D_N, plot_path)
    return different_n + different_d
