"""``fastmeanshift cluster DATA --scheduler ADDRESS|local``: the same
clustering on a Dask cluster (docs/algorithm.md §11). DATA may be a glob of
files of one format, read on the workers, piece by piece, by the readers
that read a file on this machine (``input_files``); labels are written one
file per partition, by the workers."""

from __future__ import annotations

import glob
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .errors import MissingDependency
from .input_files import (
    DataFile,
    Piece,
    column_count,
    input_format,
    open_data_file,
    read_piece,
)
from .output_files import write_table
from .output_paths import Output, label_paths
from .progress_bar import RoundsBar

#: Rows of a piece of a ``.npy`` or Parquet file, read by one task.
PIECE_ROWS = 1 << 20


def require_dask() -> tuple[Any, Any, Any]:
    """dask, dask.array and distributed, or a clear error."""
    try:
        import dask
        import dask.array as da
        import distributed
    except ImportError:
        raise MissingDependency(
            '--scheduler needs Dask: pip install "fastmeanshift[dask]"'
        ) from None
    return dask, da, distributed


def matching_files(pattern: str) -> list[DataFile]:
    """The files DATA names (itself, or the files its glob matches, sorted),
    opened: their headers or metadata read here, their values not yet."""
    paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    if not paths:
        raise ValueError(f"{pattern}: no file matches")
    formats = sorted({input_format(path) for path in paths})
    if len(formats) > 1:
        first_of = {input_format(path): path for path in reversed(paths)}
        listed = [f"{fmt} ({first_of[fmt]})" for fmt in formats]
        raise ValueError(
            f"{pattern}: matches {', '.join(listed[:-1])} and {listed[-1]} files; give a glob "
            "of files of one format"
        )
    return [open_data_file(path, PIECE_ROWS) for path in paths]


def _column_names(files: Sequence[DataFile]) -> tuple[str, ...] | None:
    """The column names of the files of a glob, which must have the same
    columns (the same names, where they have names: a CSV file may have no
    header)."""
    first = files[0]
    named = next((file for file in files if file.names is not None), None)
    for file in files:
        if file.columns != first.columns:
            raise ValueError(
                f"{file.path} has {column_count(file.columns)} where {first.path} has "
                f"{column_count(first.columns)}"
            )
        if named is not None and file.names is not None and file.names != named.names:
            raise ValueError(
                f"{file.path} has the columns {', '.join(file.names)} where {named.path} has "
                f"{', '.join(named.names or ())}"
            )
    return None if named is None else named.names


def _piece_rows(piece: Piece) -> tuple[int, np.dtype[Any]] | Exception:
    """The number of rows and the type of a piece, read and checked on a
    worker; or the error of a bad file, returned rather than raised, so that
    the worker logs nothing (the client raises it)."""
    try:
        rows = read_piece(piece)
    except (ValueError, OSError, MissingDependency) as err:
        return err
    return len(rows), rows.dtype


def _read_piece_as(piece: Piece, dtype: np.dtype[Any]) -> np.ndarray:
    return read_piece(piece).astype(dtype, copy=False)


def read_on_workers(client: Any, files: Sequence[DataFile]) -> tuple[Any, tuple[str, ...] | None]:
    """The samples of ``files`` as one Dask array (rows in chunks of known
    sizes, a chunk a piece), and the names of their columns. Every piece is
    read and checked on the workers first, so that a bad value is an error
    here, before any work; the fit reads the pieces again, lazily."""
    dask, da, _ = require_dask()
    names = _column_names(files)
    pieces = [piece for file in files for piece in file.pieces]
    outcomes = client.gather(client.map(_piece_rows, pieces))
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
    # The type of the files joined, as NumPy joins them (int and float
    # files give float64).
    dtype = np.result_type(*(piece_dtype for _, piece_dtype in outcomes))
    read = dask.delayed(_read_piece_as, pure=True)
    blocks = [
        da.from_delayed(read(piece, dtype), (rows, files[0].columns), dtype=dtype)
        for piece, (rows, _) in zip(pieces, outcomes)
    ]
    return da.concatenate(blocks), names


@contextmanager
def connected(scheduler: str) -> Iterator[Any]:
    """A client of the scheduler at ``scheduler``, or of a new LocalCluster
    (``local``), current while the block runs."""
    _, _, distributed = require_dask()
    with warnings.catch_warnings():
        # Dask's own notes on its sockets and ports are not the user's business.
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        if scheduler == "local":
            with distributed.LocalCluster(dashboard_address=":0") as cluster:
                with distributed.Client(cluster) as client:
                    yield client
        else:
            with distributed.Client(scheduler) as client:
                yield client


def fit_with_rounds(model: Any, X: Any, sample_weight: Any, show: bool) -> None:
    """Fits ``model`` on the cluster, with a line of the seeds still active
    each round when stderr is a terminal."""
    bar = RoundsBar(sys.stderr) if show and sys.stderr.isatty() else None
    try:
        model._fit_on_cluster(X, sample_weight, progress=bar)
    finally:
        if bar is not None:
            bar.clear()


def _write_labels(labels: np.ndarray, path: str, fmt: str) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_table(path, labels, fmt, "labels")
    return path


def write_labels(model: Any, outputs: Sequence[Output]) -> list[str]:
    """The labels of the ``--labels`` output, one file a partition written
    by the workers; the files' paths."""
    dask, _, _ = require_dask()
    output = next((output for output in outputs if output.table == "labels"), None)
    if output is None:
        return []
    blocks = model.labels_.to_delayed().ravel()
    write = dask.delayed(_write_labels, pure=False)
    paths = label_paths(output.path, len(blocks))
    return list(dask.compute(*[write(b, p, output.format) for b, p in zip(blocks, paths)]))
