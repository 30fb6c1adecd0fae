"""Reading a data matrix from CSV, ``.npy`` or Parquet, and writing result
tables as CSV, ``.npy`` or JSON: the command line's file formats."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

FORMATS = ("csv", "npy", "json")


class MissingDependency(ImportError):
    """An optional package a requested feature needs is not installed."""


def read_data(path: str) -> np.ndarray:
    """The samples in ``path`` as a 2-D array, one row per sample.

    The format is chosen by extension: ``.npy``, ``.parquet``/``.pq``, and
    anything else is read as delimited text with an optional header line.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        data = _read_npy(path)
    elif suffix in (".parquet", ".pq"):
        data = _read_parquet(path)
    else:
        data = _read_csv(path)
    if data.ndim == 1:
        data = data.reshape(-1, 1)
    if data.ndim != 2:
        raise ValueError(f"{path}: expected a table of samples, got a {data.ndim}-D array")
    if data.size == 0:
        raise ValueError(f"{path}: no samples")
    if not (np.issubdtype(data.dtype, np.number) or data.dtype == np.bool_):
        raise ValueError(f"{path}: expected numbers, got {data.dtype} values")
    return data


def _read_npy(path: str) -> np.ndarray:
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as err:
        raise ValueError(f"{path}: not a NumPy array file of numbers ({err})") from None
    if not isinstance(data, np.ndarray):
        raise ValueError(f"{path}: not a single NumPy array")
    return data


def _read_parquet(path: str) -> np.ndarray:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependency(
            f"{path}: reading Parquet needs pyarrow: pip install pyarrow"
        ) from None
    try:
        table = pq.read_table(path)
    except ValueError as err:  # pyarrow's ArrowInvalid, for a malformed file
        raise ValueError(f"{path}: not a readable Parquet file ({err})") from None
    columns = []
    for name, column in zip(table.column_names, table.columns):
        values = column.to_numpy()
        if not np.issubdtype(values.dtype, np.number):
            raise ValueError(f"{path}: column {name!r} is not numeric")
        columns.append(values)
    if not columns:
        raise ValueError(f"{path}: no columns")
    return np.column_stack(columns)


def _read_csv(path: str) -> np.ndarray:
    try:
        with open(path, encoding="utf-8-sig") as file:
            text = file.read()
    except UnicodeDecodeError:
        raise ValueError(
            f"{path}: not a UTF-8 text file (CSV), nor named .npy or .parquet"
        ) from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"{path}: no samples")
    delimiter = _delimiter(lines[0])
    # A first line that is not all numbers is a header.
    has_header = not _is_numeric_row(lines[0], delimiter)
    body = lines[1:] if has_header else lines
    if not body:
        raise ValueError(f"{path}: a header line but no samples")
    try:
        return np.loadtxt(io.StringIO("\n".join(body)), delimiter=delimiter, ndmin=2)
    except ValueError as err:
        first_line = str(err).splitlines()[0] if str(err) else "unreadable value"
        raise ValueError(f"{path}: {first_line}") from None


def _delimiter(line: str) -> str | None:
    """Comma, tab or semicolon, whichever the line holds; None for whitespace."""
    for candidate in (",", "\t", ";"):
        if candidate in line:
            return candidate
    return None


def _is_numeric_row(line: str, delimiter: str | None) -> bool:
    try:
        [float(cell) for cell in line.split(delimiter)]
    except ValueError:
        return False
    return True


def format_of(path: str, requested: str | None) -> str:
    """The output format: ``requested`` if given, else the file's extension."""
    if requested is not None:
        return requested
    if path == "-":
        return "csv"
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(
            f"{path}: cannot tell the output format from the extension; "
            f"use .csv, .npy or .json, or --format"
        )
    return suffix


def write_table(path: str, table: np.ndarray, fmt: str, name: str) -> None:
    """Writes ``table`` (labels or centers) to ``path``, ``-`` being stdout."""
    if fmt == "npy":
        buffer = io.BytesIO()
        np.save(buffer, table, allow_pickle=False)
        _write_bytes(path, buffer.getvalue())
        return
    if fmt == "json":
        text = json.dumps({name: table.tolist()}) + "\n"
    else:
        text = _csv_text(table)
    _write_bytes(path, text.encode())


def write_json_document(path: str, document: dict[str, Any]) -> None:
    """Writes ``document`` (numbers, lists of them, and names) as one JSON
    object, ``-`` being stdout."""
    _write_bytes(path, (_json_text(document) + "\n").encode())


def _json_text(document: dict[str, Any]) -> str:
    """``document`` in strict JSON. JSON has no infinity (Python writes
    ``Infinity``, which most readers refuse); an infinite number, such as the
    bandwidth estimated from data beyond about 1e154, is written ``1e999``,
    which every reader takes for the largest number it has (infinity in Python
    and JavaScript). The document holds no strings that could contain the word."""
    text = json.dumps(document)
    return re.sub(r"(?<![\w.])Infinity\b", "1e999", text)


def _csv_text(table: np.ndarray) -> str:
    rows = table.reshape(len(table), -1)
    # repr-precision floats, so that the numbers read back exactly.
    return "".join(",".join(repr(value) for value in row.tolist()) + "\n" for row in rows)


def _write_bytes(path: str, data: bytes) -> None:
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        Path(path).write_bytes(data)
