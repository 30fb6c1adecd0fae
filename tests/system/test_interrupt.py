"""Ctrl-C stops a long computation with KeyboardInterrupt and leaves Python healthy."""

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
    ],
    ids=["climbing", "estimate_bandwidth", "estimate_then_climb", "labels", "predict"],
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
