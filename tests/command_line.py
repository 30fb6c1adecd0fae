"""Running the ``fastmeanshift`` command in the test's own process, for the
command line's tests on one machine (tests/cli) and on a cluster (tests/dask)."""

from __future__ import annotations

import pytest

from fastmeanshift.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of the command line ``argv``."""
    try:
        status = main(argv)
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err
