"""Type stubs for the Rust extension module."""

from collections.abc import Callable
from typing import Any, TypedDict

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
    cluster_assignment: str

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
def predict_attractor(
    fit_x: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    x: npt.NDArray[np.float64],
    centers: npt.NDArray[np.float64],
    kernel: str,
    bandwidth: float,
    max_iter: int,
    orphan_bandwidth: float | None,
    n_jobs: int | None,
) -> npt.NDArray[np.int64]: ...

class DaskChunk:
    def __init__(
        self,
        x: np.ndarray,
        sample_weight: np.ndarray | None,
        kernel: str,
        n_jobs: int | None = None,
    ) -> None: ...
    def __len__(self) -> int: ...
    def __sizeof__(self) -> int: ...
    def partial_sums(
        self, positions: np.ndarray, bandwidth: float, n_jobs: int | None = None
    ) -> np.ndarray: ...
    def bins(self, bin_size: float, single: bool) -> np.ndarray: ...
    def rows(self, indices: np.ndarray) -> np.ndarray: ...
    def seed_rows(self) -> np.ndarray: ...
    def weight_sum(self) -> tuple[float, float]: ...

def combine_partial_sums(
    parts: list[np.ndarray], single: bool, weighted: bool, kernel: str
) -> tuple[np.ndarray, np.ndarray]: ...
def merge_bin_seeds(
    parts: list[np.ndarray],
    dim: int,
    bandwidth: float,
    single_bin_size: bool,
    min_bin_freq: int,
    n_points: int,
    total_weight: float | None,
) -> np.ndarray | None: ...
def find_modes(centers: np.ndarray, intensities: np.ndarray, bandwidth: float) -> np.ndarray: ...
def assign_labels(
    x: np.ndarray, centers: np.ndarray, orphan_bandwidth: float | None, n_jobs: int | None
) -> np.ndarray: ...
def compensated_total(parts: list[tuple[float, float]]) -> float: ...

class ImageOptions(TypedDict):
    spatial_bandwidth: float
    range_bandwidth: float
    kernel: str
    min_size: int
    max_iter: int
    n_jobs: int | None

def segment(
    pixels: npt.NDArray[np.integer[Any] | np.floating[Any]],
    shape: list[int],
    spacing: list[float],
    options: ImageOptions,
    progress: Callable[[int, int], object] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64], int]: ...
