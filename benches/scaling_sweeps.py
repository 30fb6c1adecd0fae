"""compare.py --sweep: time against the number of points n and the dimension d.

- n, 2-D blobs of docs/algorithm.md §9.3, bandwidth 1.07, all three libraries:
  - bin seeding, n from 1e3 to 1e8;
  - every point a seed (scikit-learn's default), n from 1e3 to 1e5; mlpack's
    binding cannot make every point a seed.
  A library is skipped at the sizes where its run, extrapolated from its
  previous size (linearly with bin seeding, quadratically with every point a
  seed), would exceed SLOW_LIBRARY_BUDGET_S, and the table says so. The plot
  draws time per point, so a cost that grows faster than n shows as a rising
  line.
- d from 1 to 64: four blobs, every point a seed, fixed n, bandwidth estimated
  once by fastmeanshift.
- Then the goals of speed at scale, from the measurements above and one more
  fit: 100M points stored as float32, with its peak memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from bench_cases import BANDWIDTH_2D, blobs_2d, four_blobs
from peak_memory import PeakMemory
from peak_memory import measure as measure_peak_memory
from side_by_side import (
    MarkdownTable,
    Timings,
    fit_side_by_side,
    identical,
    interleaved_medians,
    mlpack,
    seconds,
    speedup,
)

import fastmeanshift

BIN_SWEEP_N = tuple(int(k * 10**e) for e in range(3, 8) for k in (1, 3)) + (100_000_000,)
QUICK_BIN_SWEEP_N = (1_000, 10_000, 100_000)
EVERY_POINT_SWEEP_N = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
QUICK_EVERY_POINT_SWEEP_N = (1_000, 2_000)
SWEEP_D = (1, 2, 4, 8, 16, 32, 64)
SWEEP_D_N = 2_000
QUICK_SWEEP_D_N = 300
SLOW_LIBRARY_BUDGET_S = 60.0
# The goals of speed at scale, against the sizes above.
BINS_LARGE, BINS_SMALL, BINS_FLOAT32 = 10_000_000, 1_000_000, 100_000_000
EVERY_POINT_LARGE, EVERY_POINT_SMALL = 100_000, 5_000


@dataclass
class Curve:
    """One library's measured times, for the plot."""

    growth: int = 1  # how its time is extrapolated: as n ** growth
    sizes: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(self, size: int, median_s: float | None) -> None:
        if median_s is not None:
            self.sizes.append(size)
            self.seconds.append(median_s)

    def expected_s(self, size: int) -> float:
        """This library's time at ``size``, extrapolated from its last one."""
        if not self.sizes:
            return 0.0
        return self.seconds[-1] * (size / self.sizes[-1]) ** self.growth

    def at(self, size: int) -> float | None:
        return self.seconds[self.sizes.index(size)] if size in self.sizes else None


def within_budget(curve: Curve, n: int) -> bool:
    return curve.expected_s(n) <= SLOW_LIBRARY_BUDGET_S


def sweep_n(
    bin_seeding: bool, sizes: tuple[int, ...], repeats: int, skip_sklearn: bool
) -> tuple[dict[str, Curve], int]:
    seeding = "bin seeding" if bin_seeding else "every point a seed"
    print(
        f"\nTime against n: 2-D, {seeding}, bandwidth {BANDWIDTH_2D}, n_jobs=-1; a library is "
        f"skipped where one run would take over ~{SLOW_LIBRARY_BUDGET_S:g} s:\n"
    )
    table = MarkdownTable(
        (
            "n",
            "fastmeanshift s",
            "ns per point",
            "sklearn s",
            "vs sklearn",
            "mlpack s",
            "vs mlpack",
            "mlpack clusters",
            "identical",
        )
    )
    growth = 1 if bin_seeding else 2
    curves = {name: Curve(growth) for name in ("fastmeanshift", "scikit-learn", "mlpack")}
    different = 0
    for n in sizes:
        run_sklearn = not skip_sklearn and within_budget(curves["scikit-learn"], n)
        run_mlpack = bin_seeding and mlpack is not None and within_budget(curves["mlpack"], n)
        timings = fit_side_by_side(
            blobs_2d(n), BANDWIDTH_2D, bin_seeding, repeats, run_sklearn, run_mlpack
        )
        curves["fastmeanshift"].add(n, timings.fast_s)
        curves["scikit-learn"].add(n, timings.sklearn_s)
        curves["mlpack"].add(n, timings.mlpack_s)
        different += timings.verdict.startswith("DIFFERENT")
        mlpack_can = bin_seeding and mlpack is not None
        table.print_row(
            [
                f"{n:,}",
                seconds(timings.fast_s),
                f"{timings.fast_s / n * 1e9:.0f}",
                skipped_or_seconds(timings.sklearn_s, not skip_sklearn and not run_sklearn),
                speedup(timings.sklearn_s, timings.fast_s),
                skipped_or_seconds(timings.mlpack_s, mlpack_can and not run_mlpack),
                speedup(timings.mlpack_s, timings.fast_s),
                "-" if timings.mlpack_clusters is None else str(timings.mlpack_clusters),
                identical(timings.verdict),
            ]
        )
    if bin_seeding:
        largest = curves["fastmeanshift"].sizes[-1]
        print_peak_memory(largest, measure_peak_memory(["--blobs-2d", str(largest)]))
    return curves, different


def print_peak_memory(n: int, measured: PeakMemory | str, dtype: str = "float64") -> None:
    if isinstance(measured, PeakMemory):
        print(
            f"\nPeak RSS growth of the fastmeanshift fit at n={n:,} ({dtype}): "
            f"{measured.growth_bytes / 2**20:.1f} MiB, {measured.ratio:.2f}× the input "
            f"({measured.input_bytes / 2**20:.1f} MiB)"
        )
    else:
        print(f"\nPeak RSS growth at n={n:,} ({dtype}): {measured}")


def float32_fit_s(n: int, repeats: int) -> float:
    """The median time of a bin-seeded fit of ``n`` 2-D blobs stored as float32."""
    X = blobs_2d(n).astype(np.float32)
    model = fastmeanshift.MeanShift(bandwidth=BANDWIDTH_2D, bin_seeding=True, n_jobs=-1)
    return interleaved_medians({"fit": lambda: model.fit(X)}, repeats, [])["fit"][0]


def scale_goals(bins: Curve, every_point: Curve, repeats: int) -> None:
    """The goals of speed at scale, each measured in this run (n_jobs: see the
    n_jobs table above)."""
    print("\nSpeed at scale: fastmeanshift against itself, n_jobs=-1, medians from above:\n")
    float32_s = float32_fit_s(BINS_FLOAT32, repeats)
    peak = measure_peak_memory(["--blobs-2d", str(BINS_FLOAT32), "--float32"])
    table = MarkdownTable(("measurement", "larger s", "smaller s", "ratio", "goal", "met"))

    def row(name: str, larger: float | None, smaller: float | None, goal: float) -> None:
        ratio = None if larger is None or smaller is None else larger / smaller
        table.print_row(
            [
                name,
                seconds(larger),
                seconds(smaller),
                "-" if ratio is None else f"{ratio:.1f}×",
                f"≤ {goal:g}×",
                "-" if ratio is None else ("yes" if ratio <= goal else "no"),
            ]
        )

    row(
        f"bins: {BINS_LARGE:,} against {BINS_SMALL:,}",
        bins.at(BINS_LARGE),
        bins.at(BINS_SMALL),
        12,
    )
    row(
        f"bins: {BINS_FLOAT32:,} float32 against {BINS_LARGE:,} float64",
        float32_s,
        bins.at(BINS_LARGE),
        12,
    )
    row(
        f"every point: {EVERY_POINT_LARGE:,} against {EVERY_POINT_SMALL:,}",
        every_point.at(EVERY_POINT_LARGE),
        every_point.at(EVERY_POINT_SMALL),
        70,
    )
    largest_every_point = every_point.at(EVERY_POINT_LARGE)
    if largest_every_point is not None:
        met = "met" if largest_every_point <= 4.0 else "missed"
        print(
            f"\nEvery point a seed, {EVERY_POINT_LARGE:,} points: "
            f"{largest_every_point:.2f} s (goal ≤ 4 s: {met})"
        )
    print_peak_memory(BINS_FLOAT32, peak, "float32")
    if isinstance(peak, PeakMemory):
        met = "met" if peak.ratio <= 1.5 else "missed"
        print(f"(goal ≤ 1.5× the input: {met})")


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


def plot(
    by_n: dict[str, dict[str, Curve]], by_d: dict[str, Curve], d_sweep_n: int, path: str
) -> None:
    import matplotlib  # type: ignore[import-untyped]  # optional: compare.py checked it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # type: ignore[import-untyped]

    figure, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    for ax, (seeding, curves) in zip(axes, by_n.items()):
        for library, curve in curves.items():
            if curve.sizes:
                per_point = [s / n * 1e9 for s, n in zip(curve.seconds, curve.sizes)]
                ax.loglog(curve.sizes, per_point, marker="o", label=library)
        ax.set_xlabel(f"n (2-D, {seeding})")
        ax.set_ylabel("median wall time per point (ns)")
        ax.set_title(f"time per point against n, {seeding}")
    d_axes = axes[2]
    for library, curve in by_d.items():
        if curve.sizes:
            d_axes.loglog(curve.sizes, curve.seconds, marker="o", label=library)
    d_axes.set_xscale("log", base=2)
    d_axes.set_xlabel(f"d (n={d_sweep_n:,}, every point a seed)")
    d_axes.set_ylabel("median wall time (s)")
    d_axes.set_title("time against d")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    print(f"\nplot saved to {path}")


def run_sweeps(quick: bool, repeats: int, skip_sklearn: bool, plot_path: str | None) -> int:
    """Print the sweeps and the goals of speed at scale (and plot the sweeps);
    the number of DIFFERENT results."""
    bins, different_bins = sweep_n(
        True, QUICK_BIN_SWEEP_N if quick else BIN_SWEEP_N, repeats, skip_sklearn
    )
    every_point, different_every_point = sweep_n(
        False, QUICK_EVERY_POINT_SWEEP_N if quick else EVERY_POINT_SWEEP_N, repeats, skip_sklearn
    )
    by_d, different_d = sweep_d(quick, repeats, skip_sklearn)
    if not quick:
        scale_goals(bins["fastmeanshift"], every_point["fastmeanshift"], repeats)
    if plot_path is not None:
        by_n = {"bin seeding": bins, "every point a seed": every_point}
        plot(by_n, by_d, QUICK_SWEEP_D_N if quick else SWEEP_D_N, plot_path)
    return different_bins + different_every_point + different_d
