"""Reading a data matrix from CSV, ``.npy`` or Parquet, and writing result
tables as CSV, ``.npy`` or JSON: the command line's file formats."""

from __future__ import annotations

import csv
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
    # Opened here, so that a missing file or a folder gets Python's own error
    # (pyarrow's names the file alone).
    with open(path, "rb") as file:
        try:
            table = pq.read_table(file)
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
    # (line number in the file, line), blank lines left out.
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise ValueError(f"{path}: no samples")
    delimiter = _delimiter(lines[0][1])
    # The first line is a header unless it is numeric data: a cell that is
    # neither a number nor empty (an empty cell is a missing value) makes it one.
    first = _cells(lines[0][1], delimiter)
    has_header = not all(cell == "" or _is_number(cell) for cell in first)
    body = lines[1:] if has_header else lines
    if not body:
        raise ValueError(f"{path}: a header line but no samples")
    try:
        text = "\n".join(line for _, line in body)
        return np.loadtxt(io.StringIO(text), delimiter=delimiter, quotechar='"', ndmin=2)
    except ValueError:
        # NumPy counts rows from 0 after the header and takes no space before
        # a quote: the slow way, which names the file's line of a bad cell.
        return _parse_rows(path, body, delimiter)


def _parse_rows(path: str, body: list[tuple[int, str]], delimiter: str | None) -> np.ndarray:
    """The numbers of ``body``'s lines, or a ValueError naming the line and
    column of the first cell that is missing or no number, or of the first
    line of another width."""
    rows: list[list[float]] = []
    width, first = 0, 0
    for number, line in body:
        content = line.split("#", 1)[0]  # NumPy's comments, as loadtxt skips them
        if not content.strip():
            continue
        cells = _cells(content, delimiter)
        if not rows:
            width, first = len(cells), number
        elif len(cells) != width:
            raise ValueError(
                f"{path}: line {number} has {_columns(len(cells))} where line {first} has "
                f"{_columns(width)}"
            )
        for column, cell in enumerate(cells, 1):
            if cell == "":
                raise ValueError(
                    f"{path}: line {number}, column {column} is empty: Input X contains NaN "
                    "(missing values are not supported)"
                )
            if not _is_number(cell):
                raise ValueError(
                    f"{path}: line {number}, column {column}: could not convert string "
                    f"{cell!r} to a number"
                )
        rows.append([float(cell) for cell in cells])
    return np.array(rows, dtype=np.float64)


def _columns(count: int) -> str:
    return f"{count} column{'' if count == 1 else 's'}"


def _delimiter(line: str) -> str | None:
    """Comma, tab or semicolon, whichever the line holds; None for whitespace."""
    for candidate in (",", "\t", ";"):
        if candidate in line:
            return candidate
    return None


def _cells(line: str, delimiter: str | None) -> list[str]:
    """The cells of a line, stripped of spaces and double quotes."""
    if delimiter is None:
        cells = line.split()
    else:
        cells = next(csv.reader([line], delimiter=delimiter, skipinitialspace=True))
    return [_unquoted(cell.strip()) for cell in cells]


def _unquoted(cell: str) -> str:
    return cell[1:-1].strip() if len(cell) >= 2 and cell[0] == cell[-1] == '"' else cell


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def format_of(path: str, requested: str | None) -> str | None:
    """The output format: ``requested`` if given, else the file's extension
    (None if it names no format)."""
    if requested is not None:
        return requested
    if path == "-":
        return "csv"
    suffix = Path(path).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None


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
