"""Ctrl-C stops a long computation with KeyboardInterrupt and leaves Python healthy.

The first cases interrupt ordinary long computations. The heavy ones are built
so that a single unit of work (one ball query, the median split of a tree's
root, the binning of a part of the rows) is expensive: the computation must
not wait for a batch of such units before it looks at Ctrl-C. Their child
measures the time from SIGINT to KeyboardInterrupt and prints it (run pytest
with ``-s`` to see it).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    import fastmeanshift as fms

    X = np.random.default_rng(0).normal(size=({n}, {dim}))
    {setup}
    print("ready", flush=True)
    try:
        {call}
    except KeyboardInterrupt:
        # The interpreter still works after the interruption.
        fms.MeanShift(bandwidth=1.0).fit(X[:50])
        print("interrupted", flush=True)
        sys.exit(0)
    print("finished", flush=True)
    """
)

FLAT = "X[:, 2:] = 0.0"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("n", "dim", "setup", "call"),
    [
        (400_000, 2, "", "fms.MeanShift(bandwidth=3.0, n_jobs=2).fit(X)"),
        (150_000, 2, "", "fms.estimate_bandwidth(X, n_jobs=2)"),
        # Estimation, then climbing, inside one fit.
        (150_000, 2, "", "fms.mean_shift(X, n_jobs=1)"),
        # Above 16 features labels scan the centres: 5000 seeds that each stay
        # put (tiny bandwidth) make a long labelling stage. The data lie in a
        # plane, so the climbs before it are quick.
        (300_000, 20, FLAT, "fms.MeanShift(bandwidth=1e-3, seeds=X[:5000]).fit(X)"),
        (
            300_000,
            20,
            FLAT + "; model = fms.MeanShift(bandwidth=1e-3).fit(X[:5000])",
            "model.predict(X)",
        ),
        # Every new sample climbs on 2,000 training samples, each weighing
        # them all (the Gaussian's support is three bandwidths).
        (
            400_000,
            2,
            "model = fms.MeanShift(bandwidth=3.0, seeds=X[:1], kernel='gaussian', "
            "cluster_assignment='attractor').fit(X[:2000])",
            "model.predict(X)",
        ),
        # Every pixel of a 2000 x 2000 image climbs in a window of 25 x 25.
        (
            4_000_000,
            1,
            "from fastmeanshift.image import segment",
            "segment(X.reshape(2000, 2000), 12, 0.5, n_jobs=2)",
        ),
    ],
    ids=[
        "climbing",
        "estimate_bandwidth",
        "estimate_then_climb",
        "labels",
        "predict",
        "predict_attractor",
        "segment",
    ],
)
def test_sigint_interrupts(n, dim, setup, call):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(n=n, dim=dim, setup=setup, call=call)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    time.sleep(1.0)  # let the computation start
    child.send_signal(signal.SIGINT)
    # The timeout only guards against a hang; it is no performance limit.
    out, err = child.communicate(timeout=600)
    assert out.strip() == "interrupted", err


HEAVY_CHILD = textwrap.dedent(
    """
    import os
    import signal
    import sys
    import threading
    import time

    import numpy as np
    import fastmeanshift as fms

    X = np.random.default_rng(0).random(({n}, {dim}))
    sent = []


    def interrupt():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)


    threading.Timer({delay}, interrupt).start()
    try:
        {call}
    except KeyboardInterrupt:
        latency = time.monotonic() - sent[0]
        fms.MeanShift(bandwidth=1.0).fit(X[:50])
        print(f"interrupted {{latency:.3f}}", flush=True)
        sys.exit(0)
    print("finished", flush=True)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("n", "dim", "delay", "call"),
    [
        # Every ball holds tens of thousands of points and a climb takes
        # seconds: before, the first chunk of 64 climbs ran for minutes.
        (1_000_000, 6, 1.5, "fms.MeanShift(bandwidth=0.5, n_jobs=2).fit(X)"),
        # About one bin per row: before, binning never looked at Ctrl-C.
        (10_000_000, 2, 1.0, "fms.get_bin_seeds(X, 1e-4)"),
        # One seed and a tiny bandwidth: building the tree is the whole fit.
        (20_000_000, 2, 1.0, "fms.MeanShift(bandwidth=1e-3, seeds=X[:1], n_jobs=2).fit(X)"),
        # One seed's climb, then every sample's own, for attractor labels,
        # each over balls of tens of thousands of points.
        (
            1_000_000,
            6,
            1.5,
            "fms.MeanShift(bandwidth=0.5, seeds=X[:1], cluster_assignment='attractor', "
            "n_jobs=2).fit(X)",
        ),
        # A window that holds the whole image: one pixel's climb takes seconds.
        (
            4_000_000,
            1,
            1.0,
            "__import__('fastmeanshift.image').image.segment(X.reshape(2000, 2000), 3000, 1.0)",
        ),
    ],
    ids=[
        "climbing_heavy_balls",
        "binning_tiny_bins",
        "tree_build",
        "attractor_label_climbs",
        "segment_whole_image_window",
    ],
)
def test_sigint_abandons_an_expensive_unit(n, dim, delay, call):
    child = subprocess.run(
        [sys.executable, "-c", HEAVY_CHILD.format(n=n, dim=dim, delay=delay, call=call)],
        capture_output=True,
        text=True,
        # Only guards against a hang; it is no performance limit.
        timeout=600,
    )
    outcome, _, latency = child.stdout.strip().partition(" ")
    assert outcome == "interrupted", child.stderr
    print(f"SIGINT to KeyboardInterrupt: {latency} s")
    # The code before needed from 10 s to minutes here; a loaded machine
    # adds far less than this margin.
    assert float(latency) < 5.0
