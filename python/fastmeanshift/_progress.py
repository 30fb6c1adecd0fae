"""Where fits report climbing progress: a callable chosen for a block of code.

The command line draws a progress bar without any public signature changing:
it sets a callable here, and ``MeanShift.fit`` hands it to the Rust core,
which calls it on the calling thread with ``(seeds climbed, seeds)`` every
0.1 s while the fit runs (the same count again while climbs take long) and
once at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

ProgressCallback = Callable[[int, int], object]

_callback: ContextVar[ProgressCallback | None] = ContextVar("fastmeanshift_progress", default=None)


@contextmanager
def reporting_progress(callback: ProgressCallback) -> Iterator[None]:
    """Within the block, fits report ``(seeds climbed, seeds)`` to ``callback``."""
    token = _callback.set(callback)
    try:
        yield
    finally:
        _callback.reset(token)


def progress_callback() -> ProgressCallback | None:
    """The callable of the innermost :func:`reporting_progress` block, if any."""
    return _callback.get()
