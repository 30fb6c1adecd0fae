"""A one-line progress bar on a terminal, for fits that take a while."""

from __future__ import annotations

import time
from typing import TextIO

# Short fits finish before the bar would be worth drawing.
_DELAY = 0.5
_WIDTH = 30


class ProgressBar:
    """Called with ``(done, total)``; draws ``[####    ] done/total seeds climbed``
    over itself on ``stream`` once the work has lasted ``_DELAY`` seconds."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.drawn and time.monotonic() - self.started < _DELAY:
            return
        filled = _WIDTH * done // max(total, 1)
        bar = "#" * filled + " " * (_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} seeds climbed")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        """Erases the bar, so that what follows starts on a clean line."""
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.drawn = False
