"""The repository around the tests, for the tests that read its other files
(README, the docs, the sources): the wheel check runs the suite from a copy
of ``tests/`` alone, where they skip."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CHECKOUT = (ROOT / "Cargo.toml").is_file() and (ROOT / "src").is_dir()
needs_checkout = pytest.mark.skipif(not IN_CHECKOUT, reason="needs the source tree of a checkout")
