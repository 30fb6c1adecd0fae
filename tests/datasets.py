"""Hypothesis strategies for mean shift inputs: clustered, duplicate-heavy and
plain random data, 1 to 20 dimensions, float32 and float64."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


@st.composite
def datasets(draw, max_samples: int = 120, max_dim: int = 20, ties: bool = True) -> np.ndarray:
    """A (n, d) float32 or float64 array.

    Grids make exact distance ties on purpose (scaled by 1e-3 their values are
    not binary fractions, so means round too). `ties=False` leaves them out:
    scikit-learn decides some ties by matrix products whose rounding depends
    on the machine's BLAS (docs/user_guide/known_limits.md), so a comparison with it
    must not meet them. The other shapes meet a tie with probability zero.
    """
    n = draw(st.integers(1, max_samples))
    d = draw(st.integers(1, max_dim))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shapes = ["blobs", "duplicates", "uniform"] + (["grid"] if ties else [])
    shape = draw(st.sampled_from(shapes))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    if shape == "blobs":
        centres = rng.uniform(-10, 10, size=(draw(st.integers(1, 5)), d))
        X = centres[rng.integers(0, len(centres), n)] + rng.normal(0, 1, (n, d))
    elif shape == "duplicates":
        pool = rng.uniform(-5, 5, size=(draw(st.integers(1, 6)), d))
        X = pool[rng.integers(0, len(pool), n)]
    elif shape == "uniform":
        X = rng.uniform(-10, 10, size=(n, d))
    else:
        X = rng.integers(-4, 5, size=(n, d)).astype(np.float64)
    return np.ascontiguousarray(X * scale, dtype=dtype)


def bandwidths(X: np.ndarray):
    """Bandwidths on the data's own scale, from tiny to covering everything."""
    spread = float(np.ptp(X.astype(np.float64), axis=0).max()) or 1.0
    return st.sampled_from([0.05, 0.2, 0.5, 1.0, 3.0]).map(lambda f: f * spread)
