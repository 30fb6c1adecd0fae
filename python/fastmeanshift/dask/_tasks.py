"""The functions Dask runs on the workers for a fit (docs/algorithm.md §11):
each takes a block of X or a chunk kept on the worker, and calls the core
with the GIL released."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._validation import check_array, core_layout


def build_chunk(block: Any, weights: Any, kernel: str, n_jobs: int | None) -> _core.DaskChunk:
    """The chunk of a block of X's rows, validated as one machine validates
    X (NaN and infinities raise its errors) and indexed once. The chunk keeps
    the rows in the checked array (the block itself when it needs no
    conversion), which Dask never changes: a worker holds them once."""
    rows = check_array(block, "MeanShift")
    w = None if weights is None else core_layout(np.asarray(weights), np.float64).ravel()
    return _core.DaskChunk(rows, w, kernel, n_jobs)


def rebuild_chunk(rows: np.ndarray, weights: np.ndarray | None, kernel: str) -> _core.DaskChunk:
    """A pickled chunk, rebuilt (Dask moved it to another worker)."""
    w = None if weights is None else core_layout(weights, np.float64)
    return _core.DaskChunk(core_layout(rows, rows.dtype.type), w, kernel)


def partial_sums(
    chunk: _core.DaskChunk, positions: np.ndarray, bandwidth: float, n_jobs: int | None
) -> np.ndarray:
    """The unrounded partial sums of every position's neighbourhood over the chunk."""
    # Arrays that came over the network may be unaligned.
    return chunk.partial_sums(core_layout(positions, np.float64), bandwidth, n_jobs)


def combine(
    parts: list[np.ndarray], single: bool, weighted: bool, kernel: str
) -> tuple[np.ndarray, np.ndarray]:
    """Every chunk's partial sums, in chunk order, combined into the rounded
    means and the intensities."""
    aligned = [core_layout(part, np.float64) for part in parts]
    return _core.combine_partial_sums(aligned, single, weighted, kernel)


def chunk_bins(chunk: _core.DaskChunk, bin_size: float, single: bool) -> np.ndarray:
    """The chunk's grid bins, in order of first appearance, with frequencies."""
    return chunk.bins(bin_size, single)


def weight_sum(chunk: _core.DaskChunk) -> tuple[float, float]:
    """The chunk's weight sum as a compensated pair."""
    return chunk.weight_sum()


def seed_rows(chunk: _core.DaskChunk) -> np.ndarray:
    """The chunk's rows of positive weight."""
    return chunk.seed_rows()


def sample_rows(block: Any, indices: np.ndarray) -> np.ndarray:
    """The rows ``indices`` of a block, after validating the whole block as
    one machine validates X."""
    rows = check_array(block, "estimate_bandwidth", dates=True)
    return rows[indices]


def block_labels(
    block: Any,
    *,
    centers: np.ndarray,
    single: bool,
    orphan_bandwidth: float | None,
    n_jobs: int | None,
) -> np.ndarray:
    """The nearest centre of every row of a block (-1 beyond
    ``orphan_bandwidth`` if given)."""
    rows = core_layout(block, np.float32 if single else np.float64)
    # The centres came over the network: they may be unaligned.
    aligned = core_layout(centers, np.float64)
    return _core.assign_labels(rows, aligned, orphan_bandwidth, n_jobs)
