"""One-line progress reports on a terminal, for fits that take a while."""

from __future__ import annotations

import time
from typing import TextIO

# Short fits finish before the bar would be worth drawing.
_DELAY = 0.5
_WIDTH = 30


class _StatusLine:
    """A line of ``stream`` redrawn over itself, and erased at the end."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = False

    def draw(self, text: str) -> None:
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        """Erases the line, so that what follows starts on a clean line."""
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.drawn = False


class ProgressBar(_StatusLine):
    """Called with ``(done, total)``; draws ``[####    ] done/total seeds climbed``
    (or another ``unit``) over itself on ``stream`` once the work has lasted
    ``_DELAY`` seconds."""

    def __init__(self, stream: TextIO, unit: str = "seeds") -> None:
        super().__init__(stream)
        self.started = time.monotonic()
        self.unit = unit

    def __call__(self, done: int, total: int) -> None:
        if not self.drawn and time.monotonic() - self.started < _DELAY:
            return
        filled = _WIDTH * done // max(total, 1)
        bar = "#" * filled + " " * (_WIDTH - filled)
        self.draw(f"[{bar}] {done}/{total} {self.unit} climbed")


class RoundsBar(_StatusLine):
    """Called after every round of a climb on a Dask cluster; draws
    ``round r: a/s seeds active`` over itself on ``stream``."""

    def __call__(self, round_number: int, active: int, seeds: int, *_: int) -> None:
        self.draw(f"round {round_number}: {active}/{seeds} seeds active")
