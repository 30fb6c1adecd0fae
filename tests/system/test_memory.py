"""Peak memory of a fit: within 1.5 times the input plus O(seeds) and a fixed
allowance. Nothing is O(n^2) or O(seeds x n); per sample there are only the
search tree (its u32 index and nodes, freed before labelling) or the int64
labels."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# Measured in a child process, whose peak resident set (VmHWM) is reset just
# before the fit (writing 5 to /proc/self/clear_refs), so that only the fit counts.
CHILD = textwrap.dedent(
    """
    import numpy as np
    import fastmeanshift as fms

    def kib(key):
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith(key + ":"))
        return int(line.split()[1]) * 1024

    # 100 tight clusters on a grid: few seeds, small balls, a quick fit.
    rng = np.random.default_rng(0)
    grid = 10.0 * np.stack(np.meshgrid(*[np.arange(10)] * {dim}), axis=-1).reshape(-1, {dim})
    X = grid[rng.integers(len(grid), size={n})] + rng.normal(0, 0.1, ({n}, {dim}))
    fms.MeanShift(bandwidth=1.0, bin_seeding=True).fit(X[:1000])  # warm up
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = kib("VmRSS")
    model = fms.MeanShift(bandwidth=1.0, bin_seeding=True, n_jobs=2).fit(X)
    seeds = len(fms.get_bin_seeds(X, 1.0))
    print(kib("VmHWM") - before, X.nbytes, seeds)
    """
)

# Interpreter, allocator and thread-pool noise that does not grow with the data.
ALLOWANCE = 8 * 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
@pytest.mark.parametrize(("n", "dim"), [(2_000_000, 2)])
def test_fit_peak_memory(n, dim):
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(n=n, dim=dim)],
        capture_output=True,
        text=True,
        check=True,
    )
    extra, input_bytes, seeds = map(int, result.stdout.split())
    # Per seed: its start, its climbed centre and climb record, with room to spare.
    per_seed = 4 * (8 * dim + 16)
    assert extra <= 1.5 * input_bytes + per_seed * seeds + ALLOWANCE, (extra, input_bytes)
