"""Type stubs for the Rust extension module."""

from collections.abc import Callable
from typing import TypedDict

import numpy as np
import numpy.typing as npt

class FitOptions(TypedDict):
    bandwidth: float | None
    quantile: float
    seeds: npt.NDArray[np.float64] | None
    bin_seeding: bool
    min_bin_freq: int
    bandwidth_is_single: bool
    max_iter: int
    cluster_all: bool
    n_jobs: int | None
    kernel: str
    sample_weight: npt.NDArray[np.float64] | None

def fit(
    x: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    options: FitOptions,
    progress: Callable[[int, int], object] | None = None,
) -> tuple[
    npt.NDArray[np.float32] | npt.NDArray[np.float64], npt.NDArray[np.int64], int, float, bool
]: ...
def bin_seeds(
    x: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    bin_size: float,
    single_precision: bool,
    min_bin_freq: int,
    n_jobs: int | None,
) -> npt.NDArray[np.float32]: ...
def estimate_bandwidth(
    x: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    quantile: float,
    n_jobs: int | None,
) -> float: ...
def predict(
    x: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    centers: npt.NDArray[np.float64],
    n_jobs: int | None,
) -> npt.NDArray[np.int64]: ...
