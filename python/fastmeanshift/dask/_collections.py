"""X and its weights as Dask collections, checked as one machine checks them
(docs/algorithm.md §5, §11.5) from their metadata alone, before any work:
a matrix of rows cut into chunks of known sizes, its features in one chunk,
and weights aligned with its rows."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import dask
import dask.array as da
import numpy as np

from .._feature_names import feature_names
from .._validation import (
    as_numpy,
    check_sample_weight,
    check_weight_shape,
    check_weight_values,
    is_sparse,
)


def is_dataframe_like(X: Any) -> bool:
    """A Dask DataFrame or Series (or anything that becomes a Dask array)."""
    return hasattr(X, "to_dask_array") and hasattr(X, "npartitions")


def dask_matrix(X: Any, owner: str) -> tuple[da.Array, np.ndarray | None]:
    """``X`` (a Dask array or DataFrame) as a 2-D Dask array of numbers whose
    rows are cut into chunks of known sizes and whose features are in one
    chunk, with its feature names; else the error one machine raises for
    such an ``X`` (or a clear one for what only a cluster can get wrong)."""
    names = None
    if is_dataframe_like(X):
        names = feature_names(X)
        X = counted_rows(X)
    if is_sparse(X):
        raise TypeError(
            "Sparse data was passed for X, but dense data is required. "
            "Use '.toarray()' to convert to a dense numpy array."
        )
    if not isinstance(X, da.Array):
        raise TypeError(
            f"fastmeanshift.dask.{owner} takes a dask array or a dask DataFrame, got "
            f"{type(X).__name__}; use fastmeanshift.{owner} for data in memory, or "
            "dask.array.from_array(X) to spread it over the cluster."
        )
    kind = X.dtype.kind
    if kind == "c":
        raise ValueError("Complex data not supported")
    if kind == "M" and owner != "estimate_bandwidth":
        raise TypeError(
            f"Dates (dtype {X.dtype}) cannot be averaged or binned, as mean shift must: "
            "convert them to numbers first, for example with .astype('int64'), the count of "
            "their time unit since 1970-01-01."
        )
    if kind in "USVO":
        raise ValueError(
            "dtype='numeric' is not compatible with arrays of bytes/strings."
            "Convert your data to numeric values explicitly instead."
        )
    if X.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {X.ndim}D array instead (shape={X.shape})."
            if X.ndim < 2
            else f"Found array with dim {X.ndim}, while dim <= 2 is required by {owner}."
        )
    if any(math.isnan(size) for size in X.chunks[0]):
        raise ValueError(
            "X has chunks of unknown size: call X.compute_chunk_sizes() first, or give a "
            "DataFrame (whose partitions are counted)."
        )
    if len(X.chunks[1]) != 1:
        raise ValueError(
            f"X's {X.shape[1]} features are split across {len(X.chunks[1])} chunks; every "
            "row must be whole in one chunk: X.rechunk({1: -1})."
        )
    n_samples, n_features = X.shape
    if n_samples < 1:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
            f"required by {owner}."
        )
    if n_features < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 is "
            f"required by {owner}."
        )
    return X, names


def counted_rows(frame: Any) -> da.Array:
    """A Dask DataFrame or Series as a Dask array, a block a partition, each
    partition converted as one machine converts a pandas one (``as_numpy``:
    nullable and pyarrow-backed numbers become float64, a missing value NaN),
    its rows counted by one pass over them on the workers.

    The partitions are those of one graph, taken once: Dask's own
    ``to_dask_array(lengths=True)`` counts the partitions of a graph it
    optimises again, in which the partitions of a column read from several
    Parquet files can be merged, and then refuses its own counts."""
    meta = as_numpy(frame._meta)
    convert = dask.delayed(as_numpy, pure=True)
    blocks = [
        da.from_delayed(convert(part), (math.nan, *meta.shape[1:]), dtype=meta.dtype)
        for part in frame.to_delayed()
    ]
    return da.concatenate(blocks).compute_chunk_sizes()


def storage_is_single(X: da.Array) -> bool:
    """Whether the core stores X as float32 (only float32 data), as
    ``check_array`` decides it."""
    return bool(X.dtype.kind == "f" and X.dtype.itemsize == 4)


_FACTS = ("nan", "inf", "negative", "nonzero", "sum")


def _weight_facts(block: np.ndarray) -> np.ndarray:
    """What the checks of ``dask_weights`` need of one block of weights: counts
    of NaN, infinite, negative and nonzero weights, and their sum."""
    block = np.asarray(block, dtype=np.float64)
    finite = block[np.isfinite(block)]
    return np.array(
        [
            np.isnan(block).sum(),
            np.isinf(block).sum(),
            (block < 0).sum(),
            (block != 0).sum(),
            finite.sum(),
        ],
        dtype=np.float64,
    )


def dask_weights(sample_weight: Any, X: da.Array) -> da.Array | None:
    """``sample_weight`` as float64 Dask chunks aligned with X's rows, checked
    as one machine checks them (``check_sample_weight``, same errors): the
    shape from the metadata, the values by one small pass over the weights."""
    n_samples = X.shape[0]
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Real):
        check_sample_weight(sample_weight, 1)
        return da.full(n_samples, float(sample_weight), chunks=(X.chunks[0],))
    if is_dataframe_like(sample_weight):
        sample_weight = counted_rows(sample_weight)
    if not isinstance(sample_weight, da.Array):
        # In memory: checked here in full, then cut as X is.
        weights = check_sample_weight(sample_weight, n_samples)
        return da.from_array(weights, chunks=(X.chunks[0],))
    if sample_weight.ndim == 1 and any(math.isnan(size) for size in sample_weight.chunks[0]):
        raise ValueError(
            "sample_weight has chunks of unknown size: call compute_chunk_sizes() first."
        )
    check_weight_shape(sample_weight, n_samples)
    weights = sample_weight.astype(np.float64)
    if weights.chunks[0] != X.chunks[0]:
        weights = weights.rechunk((X.chunks[0],))
    # One pass, block by block: dask's own reductions (``(weights < 0).any()``)
    # miscount an array with an empty chunk (dask 2026.8 gives True for
    # ``[1.0]`` cut as ``(0, 1)``), and empty partitions are common.
    facts = weights.map_blocks(
        _weight_facts,
        chunks=((len(_FACTS),) * weights.numblocks[0],),
        dtype=np.float64,
    ).compute()
    nan, inf, negative, nonzero, total = (
        facts.reshape(-1, len(_FACTS)).sum(axis=0) if facts.size else np.zeros(len(_FACTS))
    )
    with np.errstate(over="ignore"):
        check_weight_values(
            nan=bool(nan),
            inf=bool(inf),
            negative=bool(negative),
            nonzero=bool(nonzero),
            total=float(total),
        )
    return weights
