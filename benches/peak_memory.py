"""Peak resident-memory growth of one fastmeanshift fit, measured in a fresh process.

A fresh process keeps the benchmark's other allocations (scikit-learn's fits,
freed arrays the allocator still holds) out of the figure. The child builds
the data, resets the kernel's peak-RSS mark (Linux: writing 5 to
/proc/self/clear_refs resets VmHWM), fits, and prints the peak's growth over
the resident size just before the fit, as JSON. Linux only; elsewhere the
parent reports the measurement as unavailable.

    python benches/peak_memory.py --case bin_seeding_2d [--quick]
    python benches/peak_memory.py --blobs-2d 10000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bench_cases import BANDWIDTH_2D, CASES_BY_NAME, MissingDependency, blobs_2d

import fastmeanshift

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")
RESET_PEAK_RSS = "5"


@dataclass(frozen=True)
class PeakMemory:
    input_bytes: int
    growth_bytes: int

    @property
    def ratio(self) -> float:
        return self.growth_bytes / self.input_bytes


def measure(child_args: list[str]) -> PeakMemory | str:
    """Run this script with ``child_args``; the measurement, or why there is none."""
    done = subprocess.run(
        [sys.executable, __file__, *child_args], capture_output=True, text=True, check=False
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


def child(args: argparse.Namespace) -> None:
    if args.case is not None:
        case = CASES_BY_NAME[args.case]
        X = case.data(args.quick)
        bandwidth = case.bandwidth
        if bandwidth is None:
            bandwidth = float(fastmeanshift.estimate_bandwidth(X, n_jobs=-1))
        bin_seeding = case.bin_seeding
    else:
        X = blobs_2d(args.blobs_2d)
        bandwidth, bin_seeding = BANDWIDTH_2D, True
    X = np.ascontiguousarray(X)
    rss_before_kib = status_kib("VmRSS")
    CLEAR_REFS.write_text(RESET_PEAK_RSS)
    fastmeanshift.MeanShift(bandwidth=bandwidth, bin_seeding=bin_seeding, n_jobs=-1).fit(X)
    growth_kib = status_kib("VmHWM") - rss_before_kib
    print(json.dumps({"input_bytes": X.nbytes, "growth_bytes": growth_kib * 1024}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--case", choices=sorted(CASES_BY_NAME))
    data.add_argument("--blobs-2d", type=int, metavar="N", help="2-D blobs, bin seeding")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if not (STATUS.exists() and CLEAR_REFS.exists()):
        print("not measurable: needs Linux's /proc/self/clear_refs", file=sys.stderr)
        return 1
    try:
        child(args)
    except MissingDependency as missing:
        print(f"skipped: {missing}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
