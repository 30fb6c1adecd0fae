"""The benchmark inputs and cases, each with its speed targets, shared by
compare.py, its scaling sweeps and the peak-memory child process.

Every generator is deterministic, so each library (and each process) sees the
same data.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.datasets import load_digits, load_sample_image, make_blobs  # type: ignore[import-untyped]

# The 2-D blobs of docs/algorithm.md §9.3; their estimated bandwidth is about 1.07 at every n.
# Estimating it is O(n^2) (minutes at n=200,000), so the 2-D cases fix it.
CENTERS_2D = [[1, 1], [-1, -1], [1, -1]]
BANDWIDTH_2D = 1.07
PHOTO_BANDWIDTH = 20.0
# --quick keeps every PHOTO_QUICK_STEP-th pixel of the photograph.
PHOTO_QUICK_STEP = 64

BENCH_EXTRA = "pip install '.[bench]'"


class MissingDependency(Exception):
    """An optional benchmark dependency is not installed; the message says which."""


def blobs_2d(n: int) -> NDArray[np.float64]:
    X, _ = make_blobs(n, centers=CENTERS_2D, cluster_std=0.4, random_state=0)
    return np.asarray(X, dtype=np.float64)


def four_blobs(n: int, d: int) -> NDArray[np.float64]:
    X, _ = make_blobs(n, n_features=d, centers=4, random_state=0)
    return np.asarray(X, dtype=np.float64)


def digits(n: int | None) -> NDArray[np.float64]:
    X = load_digits().data
    return np.ascontiguousarray(X if n is None else X[:n], dtype=np.float64)


def photo_pixels(step: int = 1) -> NDArray[np.float64]:
    """RGB pixels (0-255) of scikit-learn's bundled china.jpg, 427x640 = 273,280 rows.

    scikit-learn ships the JPEG but decodes it with pillow, which is therefore
    a benchmark requirement (the `bench` extra), not a package one.
    """
    if importlib.util.find_spec("PIL") is None:
        raise MissingDependency(f"needs pillow to decode china.jpg: {BENCH_EXTRA}")
    pixels = load_sample_image("china.jpg").reshape(-1, 3)[::step]
    return np.ascontiguousarray(pixels, dtype=np.float64)


@dataclass(frozen=True)
class Case:
    """One side-by-side comparison and its speed targets: the least ratios of
    scikit-learn's (and mlpack's) time to fastmeanshift's that it must reach."""

    name: str
    description: str
    data: Callable[[bool], NDArray[np.float64]]  # quick -> X
    task: str  # "fit" or "estimate_bandwidth"
    sklearn_target: float  # required sklearn / fastmeanshift ratio
    bandwidth: float | None = None  # None: estimated once by fastmeanshift, untimed
    bin_seeding: bool = False
    # mlpack's Python binding always seeds from bins, so it runs only on the
    # bin-seeding cases.
    run_mlpack: bool = False
    mlpack_target: float | None = None  # required mlpack / fastmeanshift ratio
    # Peak memory is reported for these only: on small inputs fixed overheads
    # (thread stacks, allocator arenas) swamp any ratio to the input size.
    large_input: bool = False


CASES: tuple[Case, ...] = (
    Case(
        "every_point_2d",
        f"every point a seed, 2-D, bandwidth {BANDWIDTH_2D}",
        lambda quick: blobs_2d(500 if quick else 5_000),
        "fit",
        sklearn_target=100,
        bandwidth=BANDWIDTH_2D,
    ),
    Case(
        "bin_seeding_2d",
        f"bin seeding, 2-D, bandwidth {BANDWIDTH_2D}",
        lambda quick: blobs_2d(20_000 if quick else 200_000),
        "fit",
        sklearn_target=20,
        bandwidth=BANDWIDTH_2D,
        bin_seeding=True,
        run_mlpack=True,
        mlpack_target=5,
        large_input=True,
    ),
    Case(
        "photo_pixels",
        f"RGB pixels of china.jpg, bin seeding, bandwidth {PHOTO_BANDWIDTH:g}",
        lambda quick: photo_pixels(PHOTO_QUICK_STEP if quick else 1),
        "fit",
        sklearn_target=20,
        bandwidth=PHOTO_BANDWIDTH,
        bin_seeding=True,
        run_mlpack=True,
        large_input=True,
    ),
    Case(
        "every_point_10d",
        "every point a seed, 10-D, 4 blobs, estimated bandwidth",
        lambda quick: four_blobs(500 if quick else 4_000, 10),
        "fit",
        sklearn_target=30,
    ),
    Case(
        "every_point_64d_digits",
        "every point a seed, 64-D digits, estimated bandwidth",
        lambda quick: digits(400 if quick else None),
        "fit",
        sklearn_target=10,
    ),
    Case(
        "estimate_bandwidth_2d",
        "estimate_bandwidth, 2-D",
        lambda quick: blobs_2d(1_000 if quick else 5_000),
        "estimate_bandwidth",
        sklearn_target=20,
    ),
)
CASES_BY_NAME = {case.name: case for case in CASES}
