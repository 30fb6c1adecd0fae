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

    X = np.random.default_rng(0).normal(size=({n}, 2))
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


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("n", "call"),
    [
        (400_000, "fms.MeanShift(bandwidth=3.0, n_jobs=2).fit(X)"),
        (150_000, "fms.estimate_bandwidth(X, n_jobs=2)"),
    ],
    ids=["climbing", "estimate_bandwidth"],
)
def test_sigint_interrupts(n, call):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(n=n, call=call)],
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
