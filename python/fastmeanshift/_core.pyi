"""Type stubs for the Rust extension module."""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

def mean_shift(
    x: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    seeds: npt.NDArray[np.float32] | npt.NDArray[np.float64] | None,
    bandwidth: float,
    max_iter: int,
    cluster_all: bool,
    n_jobs: int | None,
    progress: Callable[[int, int], object] | None = None,
) -> tuple[npt.NDArray[np.float32] | npt.NDArray[np.float64], npt.NDArray[np.int64], int]: ...
def bin_seeds(
    x: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    bin_size: float,
    single_precision: bool,
    min_bin_freq: int,
    n_jobs: int | None,
    float64: bool = False,
) -> npt.NDArray[np.float32] | npt.NDArray[np.float64]: ...
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
