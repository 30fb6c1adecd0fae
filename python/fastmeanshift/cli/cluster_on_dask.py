"""``fastmeanshift cluster DATA --scheduler ADDRESS|local``: the same
clustering on a Dask cluster (docs/algorithm.md §11). DATA may be a glob of
many files, read lazily on the workers; labels are written one file per
partition, by the workers."""

from __future__ import annotations

import argparse
import glob
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .data_files import FORMATS, MissingDependency, read_data, write_json_document, write_table
from .progress_bar import RoundsBar

#: Rows of a block when ``.npy`` files are read.
NPY_BLOCK = 1 << 20


def require_dask() -> tuple[Any, Any, Any, Any]:
    """dask, dask.array, dask.dataframe and distributed, or a clear error."""
    try:
        import dask
        import dask.array as da
        import dask.dataframe as dd
        import distributed
    except ImportError:
        raise MissingDependency(
            '--scheduler needs Dask: pip install "fastmeanshift[dask]"'
        ) from None
    return dask, da, dd, distributed


def matching_files(pattern: str) -> list[str]:
    """The files DATA names: itself, or the files its glob matches, sorted."""
    files = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    if not files:
        raise ValueError(f"{pattern}: no file matches")
    for path in files:
        if not Path(path).is_file():
            raise ValueError(f"{path}: no such file")
    return files


def read_lazily(files: list[str]) -> Any:
    """The files as one Dask array or DataFrame, read on the workers (every
    worker must see the same paths)."""
    dask, da, dd, _ = require_dask()
    suffixes = {Path(path).suffix.lower() for path in files}
    if suffixes <= {".parquet", ".pq"}:
        return dd.read_parquet(files)
    if suffixes == {".npy"}:
        blocks = []
        for path in files:
            header = np.load(path, mmap_mode="r")  # the header only
            shape, dtype = header.shape, header.dtype
            if len(shape) != 2:
                raise ValueError(f"{path}: expected a 2-D array, got shape {shape}")
            for start in range(0, shape[0], NPY_BLOCK):
                rows = min(NPY_BLOCK, shape[0] - start)
                block = dask.delayed(_npy_rows, pure=True)(path, start, rows)
                blocks.append(da.from_delayed(block, (rows, shape[1]), dtype=dtype))
        return da.concatenate(blocks)
    if suffixes <= {".csv", ".tsv"}:
        # A header line, as the local reader tells it: a cell that is no number.
        return dd.read_csv(
            files, sep=_separator(files[0]), header=0 if _has_header(files[0]) else None
        )
    raise ValueError(
        f"{', '.join(sorted(suffixes))}: --scheduler reads .parquet, .npy or .csv files"
    )


def _npy_rows(path: str, start: int, rows: int) -> np.ndarray:
    return np.array(np.load(path, mmap_mode="r")[start : start + rows])


def _has_header(path: str) -> bool:
    with open(path, encoding="utf-8-sig") as file:
        first = next((line for line in file if line.strip()), "")
    cells = first.replace(";", ",").replace("\t", ",").split(",")
    for cell in (cell.strip().strip('"') for cell in cells):
        try:
            float(cell or 0)
        except ValueError:
            return True
    return False


def _separator(path: str) -> str:
    with open(path, encoding="utf-8-sig") as file:
        first = next((line for line in file if line.strip()), "")
    return next((sep for sep in (",", "\t", ";") if sep in first), ",")


@contextmanager
def connected(scheduler: str) -> Iterator[Any]:
    """A client of the scheduler at ``scheduler``, or of a new LocalCluster
    (``local``), current while the block runs."""
    _, _, _, distributed = require_dask()
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


def label_paths(pattern: str, partitions: int) -> list[str]:
    """One path a partition: ``*`` in ``pattern`` replaced by its number."""
    if pattern.count("*") != 1:
        raise ValueError(
            f"--labels {pattern}: with --scheduler, labels are written one file per partition; "
            "give a pattern with one *, such as labels/part-*.npy"
        )
    width = len(str(max(partitions - 1, 0)))
    return [pattern.replace("*", f"{k:0{width}d}") for k in range(partitions)]


def _write_labels(labels: np.ndarray, path: str, fmt: str) -> str:
    write_table(path, labels, fmt, "labels")
    return path


def run(args: argparse.Namespace, model: Any, quiet: bool) -> None:
    """Clusters ``args.data`` on the cluster at ``args.scheduler`` with
    ``model`` (a ``fastmeanshift.dask.MeanShift`` without its bandwidth when
    ``--bandwidth auto``) and writes what was asked."""
    dask, da, _, _ = require_dask()
    from ..dask import estimate_bandwidth

    if args.plot:
        raise ValueError("--plot would bring every sample to this machine: not with --scheduler")
    labels_format = None
    if args.labels:
        suffix = Path(args.labels).suffix.lower().lstrip(".")
        labels_format = args.format or (suffix if suffix in FORMATS else None)
        if labels_format not in ("csv", "npy"):
            raise ValueError(f"--labels {args.labels}: with --scheduler, .csv or .npy files")
    files = matching_files(args.data)
    with connected(args.scheduler):
        X = read_lazily(files)
        sample_weight = None
        if args.weights is not None:
            if Path(args.weights).is_file():
                sample_weight = read_data(args.weights)[:, 0]
            elif hasattr(X, "columns"):
                column = args.weights if args.weights in X.columns else None
                if column is None and args.weights.lstrip("-").isdigit():
                    column = X.columns[int(args.weights)]
                if column is None:
                    raise ValueError(f"--weights {args.weights}: neither a file nor a column")
                sample_weight = X[column]
                X = X.drop(columns=[column])
            else:
                raise ValueError(f"--weights {args.weights}: no such file")
        start = time.perf_counter()
        if model.bandwidth is None:
            model.bandwidth = float(
                estimate_bandwidth(X, quantile=args.quantile, n_samples=args.sample)
            )
        bar = RoundsBar(sys.stderr) if not quiet and sys.stderr.isatty() else None
        try:
            model._fit_on_cluster(X, sample_weight, progress=bar)
        finally:
            if bar is not None:
                bar.clear()
        seconds = time.perf_counter() - start
        written: list[str] = []
        if args.labels:
            blocks = model.labels_.to_delayed().ravel()
            paths = label_paths(args.labels, len(blocks))
            for path in paths:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            write = dask.delayed(_write_labels, pure=False)
            written = list(
                dask.compute(*[write(b, p, labels_format) for b, p in zip(blocks, paths)])
            )
    centers = model.cluster_centers_
    if args.centers:
        write_table(args.centers, centers, args.format or Path(args.centers).suffix[1:], "centers")
    if not args.labels and not args.centers:
        write_json_document(
            "-",
            {
                "cluster_centers": centers.tolist(),
                "n_iter": model.n_iter_,
                "bandwidth": model.bandwidth,
            },
        )
    if not quiet:
        sys.stderr.write(
            f"{len(files)} file(s), {model.n_features_in_} features, bandwidth "
            f"{model.bandwidth:.6g}; {len(centers)} clusters in {seconds:.3f} s, "
            f"{model.n_iter_} iterations at most\n"
        )
        if written:
            sys.stderr.write(f"labels written to {len(written)} files: {written[0]} ...\n")
