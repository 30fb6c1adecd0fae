"""Peak resident-memory growth of one fastmeanshift call, measured in a fresh process.

A fresh process keeps the benchmark's other allocations (scikit-learn's fits,
freed arrays the allocator still holds) out of the figure. The child builds
the data, makes the same call on its first 1,000 rows (so that paging in the
extension's code and starting its runtime, once per process, do not count),
resets the kernel's peak-RSS mark (Linux: writing 5 to /proc/self/clear_refs
resets VmHWM), makes the call, and prints the peak's growth over the resident
size just before the call, with the input's size and the number of seeds, as
JSON. Linux only; elsewhere the parent reports the
measurement as unavailable.

Besides the benchmark cases, two cases with about as many seeds as points,
where the bound is twice the input plus 64 bytes a seed:

    python benches/peak_memory.py --case bin_seeding_2d [--quick]
    python benches/peak_memory.py --case get_bin_seeds_5m_2d
    python benches/peak_memory.py --case fit_2m_2d_many_seeds
    python benches/peak_memory.py --many-seeds      # both, as a Markdown table
    python benches/peak_memory.py --blobs-2d 10000000   # JSON, measured in this process
    python benches/peak_memory.py --blobs-2d 100000000 --float32

A case prints a Markdown row with its bound (exit status 1 if missed).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bench_cases import BANDWIDTH_2D, CASES_BY_NAME, MissingDependency, blobs_2d
from numpy.typing import NDArray

import fastmeanshift

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")
RESET_PEAK_RSS = "5"
MIB = 2**20
# The bound on a call's peak growth: twice the input plus this much a seed.
BYTES_PER_SEED = 64


@dataclass(frozen=True)
class PeakMemory:
    input_bytes: int
    growth_bytes: int
    seeds: int

    @property
    def ratio(self) -> float:
        return self.growth_bytes / self.input_bytes

    @property
    def bound_bytes(self) -> int:
        """Twice the input plus 64 bytes a seed."""
        return 2 * self.input_bytes + BYTES_PER_SEED * self.seeds


@dataclass(frozen=True)
class ManySeeds:
    """A call on uniform 2-D points with a grid so fine that nearly every
    point has a bin of its own: about as many seeds as points."""

    name: str
    description: str
    call: str  # "get_bin_seeds" or "fit"
    n: int
    bin_size: float
    quick_n: int
    quick_bin_size: float

    def data(self, quick: bool) -> NDArray[np.float64]:
        n = self.quick_n if quick else self.n
        return np.random.default_rng(0).uniform(0.0, 1.0, (n, 2))

    def size(self, quick: bool) -> float:
        return self.quick_bin_size if quick else self.bin_size


# The quick sizes are tests/system/test_memory.py's, at the same density of points per cell.
MANY_SEEDS = {
    case.name: case
    for case in (
        ManySeeds(
            "get_bin_seeds_5m_2d",
            "get_bin_seeds, 5,000,000 x 2 uniform, bin_size 1e-4 (about a bin a point)",
            "get_bin_seeds",
            5_000_000,
            1e-4,
            quick_n=1_000_000,
            quick_bin_size=10**-3.65,
        ),
        ManySeeds(
            "fit_2m_2d_many_seeds",
            "MeanShift, bin seeding, 2,000,000 x 2 uniform, bandwidth 1e-4 (about a seed a point)",
            "fit",
            2_000_000,
            1e-4,
            quick_n=500_000,
            quick_bin_size=2e-4,
        ),
    )
}


def measure(child_args: list[str]) -> PeakMemory | str:
    """Run this script's child with ``child_args``; the measurement, or why there is none."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *child_args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return lines[-1] if lines else f"child exited with status {done.returncode}"
    return PeakMemory(**json.loads(done.stdout))


def status_kib(field: str) -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in {STATUS}")


def seed_count(X: NDArray[np.float64], bandwidth: float, bin_seeding: bool) -> int:
    """The seeds a fit climbs from: its bin seeds, or every point."""
    if not bin_seeding:
        return len(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # every point a bin: the points are the seeds
        return len(fastmeanshift.get_bin_seeds(X, bandwidth))


def inputs(args: argparse.Namespace) -> tuple[NDArray[np.float64], float, bool, str]:
    """The data, bandwidth (or bin size), whether the fit seeds from bins, and
    the call measured: "fit" or "get_bin_seeds"."""
    if args.case in MANY_SEEDS:
        many = MANY_SEEDS[args.case]
        return many.data(args.quick), many.size(args.quick), True, many.call
    if args.case is not None:
        case = CASES_BY_NAME[args.case]
        X = case.data(args.quick)
        bandwidth = case.bandwidth
        if bandwidth is None:
            bandwidth = float(fastmeanshift.estimate_bandwidth(X, n_jobs=-1))
        return X, bandwidth, case.bin_seeding, "fit"
    X = blobs_2d(args.blobs_2d)
    return (X.astype(np.float32) if args.float32 else X), BANDWIDTH_2D, True, "fit"


def run(call: str, X: NDArray[np.float64], bandwidth: float, bin_seeding: bool) -> object:
    """The call measured."""
    if call == "get_bin_seeds":
        return fastmeanshift.get_bin_seeds(X, bandwidth)
    model = fastmeanshift.MeanShift(bandwidth=bandwidth, bin_seeding=bin_seeding, n_jobs=-1)
    return model.fit(X)


def child(args: argparse.Namespace) -> None:
    X, bandwidth, bin_seeding, call = inputs(args)
    X = np.ascontiguousarray(X)
    # The same call on a few rows first: the extension's code is paged in and
    # the runtime set up once per process, whatever the data, so neither
    # counts as the call's memory (tests/system/test_memory.py does the same).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few rows may well each have a bin
        run(call, X[:1000], bandwidth, bin_seeding)
    rss_before_kib = status_kib("VmRSS")
    CLEAR_REFS.write_text(RESET_PEAK_RSS)
    result = run(call, X, bandwidth, bin_seeding)
    growth_kib = status_kib("VmHWM") - rss_before_kib
    del result
    seeds = seed_count(X, bandwidth, bin_seeding)
    print(json.dumps({"input_bytes": X.nbytes, "growth_bytes": growth_kib * 1024, "seeds": seeds}))


def report(names: list[str], quick: bool) -> int:
    """Measure each case in a child of its own; print a Markdown table."""
    print("| case | input MiB | seeds | peak growth MiB | bound MiB (2 × input + 64 B a seed) | |")
    print("| --- | --- | --- | --- | --- | --- |")
    missed = 0
    for name in names:
        measured = measure(["--case", name, *(["--quick"] if quick else [])])
        if not isinstance(measured, PeakMemory):
            print(f"| {name} | - | - | - | - | {measured} |")
            missed += 1
            continue
        met = measured.growth_bytes <= measured.bound_bytes
        missed += not met
        print(
            f"| {name} | {measured.input_bytes / MIB:.1f} | {measured.seeds:,} "
            f"| {measured.growth_bytes / MIB:.1f} | {measured.bound_bytes / MIB:.1f} "
            f"| {'met' if met else 'MISSED'} |"
        )
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--case", choices=sorted([*CASES_BY_NAME, *MANY_SEEDS]))
    data.add_argument("--many-seeds", action="store_true", help="every many-seeds case")
    data.add_argument("--blobs-2d", type=int, metavar="N", help="2-D blobs, bin seeding")
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--float32", action="store_true", help="--blobs-2d stored as float32")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (STATUS.exists() and CLEAR_REFS.exists()):
        print("not measurable: needs Linux's /proc/self/clear_refs", file=sys.stderr)
        return 1
    if args.many_seeds:
        return report(list(MANY_SEEDS), args.quick)
    if args.case is not None and not args.child:
        return report([args.case], args.quick)
    try:
        child(args)
    except MissingDependency as missing:
        print(f"skipped: {missing}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
