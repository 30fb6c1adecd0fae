"""Reading the samples of a data file: CSV, ``.npy`` or Parquet.

One reader and one set of checks per format, which both ways of running
``fastmeanshift cluster`` share: on this machine a file is read whole, as one
piece; with ``--scheduler`` the workers read it a piece a task (blocks of
rows of a ``.npy`` file, runs of row groups of a Parquet file, a whole CSV
file) with the same functions. Every error names the file, and where there
is one the line (CSV, counted from 1) or row (``.npy`` and Parquet, counted
from 0) and the column of the value at fault.

Booleans (a boolean ``.npy`` array or Parquet column) are numbers, 0 and 1,
as NumPy and scikit-learn take them; CSV has no booleans, only numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .errors import MissingDependency

NPY = ".npy"
PARQUET = "Parquet"
CSV = "CSV"

#: Where a value sits in a file: from its row and column in the piece read,
#: the words an error names it by ("line 4, column 2").
Location = Callable[[int, int], str]


def input_format(path: str) -> str:
    """``NPY``, ``PARQUET`` or ``CSV``, by the file's extension: anything
    not named ``.npy``, ``.parquet`` or ``.pq`` is read as delimited text."""
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        return NPY
    if suffix in (".parquet", ".pq"):
        return PARQUET
    return CSV


@dataclass(frozen=True)
class Piece:
    """Rows of a data file read together: rows ``start`` to ``stop`` of a
    ``.npy`` file; row groups ``start`` to ``stop`` of a Parquet file, whose
    first row is the file's row ``first_row``; the whole of a CSV file."""

    path: str
    format: str
    start: int = 0
    stop: int = 0
    first_row: int = 0


@dataclass(frozen=True)
class DataFile:
    """What a data file's header or metadata tell, before its values are
    read: its columns (their names, where it has them) and its pieces."""

    path: str
    format: str
    columns: int
    names: tuple[str, ...] | None
    pieces: tuple[Piece, ...]


def open_data_file(path: str, piece_rows: int | None = None) -> DataFile:
    """The columns and pieces of the data file ``path``, from its header or
    metadata alone: pieces of about ``piece_rows`` rows (a Parquet row group
    is never cut), or the whole file as one piece if None. A file that is no
    table of numbers is a ValueError here."""
    fmt = input_format(path)
    if fmt == NPY:
        return _open_npy(path, piece_rows)
    if fmt == PARQUET:
        return _open_parquet(path, piece_rows)
    return _open_csv(path)


def read_piece(piece: Piece) -> np.ndarray:
    """The rows of ``piece`` as a 2-D array of numbers (or booleans), every
    one finite; else a ValueError naming the file, line or row, and column."""
    if piece.format == NPY:
        return _read_npy(piece)
    if piece.format == PARQUET:
        return _read_parquet(piece)
    return _read_csv(piece.path)


def read_data(path: str) -> np.ndarray:
    """The samples in ``path``, read whole, as a 2-D array, one row per sample."""
    [piece] = open_data_file(path).pieces
    return read_piece(piece)


def column_count(count: int) -> str:
    """``count`` columns, in words: "1 column", "3 columns"."""
    return f"{count} column{'' if count == 1 else 's'}"


def _check_numbers(path: str, dtype: np.dtype[Any]) -> None:
    if not (np.issubdtype(dtype, np.number) or dtype == np.bool_):
        raise ValueError(f"{path}: expected numbers, got {dtype} values")


def _check_finite(path: str, rows: np.ndarray, where: Location) -> None:
    """A ValueError naming the first value of ``rows`` that is NaN or
    infinite, as the library would refuse it (without saying where)."""
    if rows.dtype.kind != "f":
        return
    with np.errstate(over="ignore", invalid="ignore"):
        # A finite sum proves every value finite without a temporary array.
        if np.isfinite(rows.sum()):
            return
    bad = np.argwhere(~np.isfinite(rows))
    if not len(bad):
        return
    row, column = (int(index) for index in bad[0])
    if np.isnan(rows[row, column]):
        what = "NaN: Input X contains NaN (missing values are not supported)"
    else:
        what = "infinite: Input X contains infinity"
    raise ValueError(f"{path}: {where(row, column)} is {what}")


# .npy: the header gives the shape and type; a piece is a block of rows of
# the memory-mapped array.


def _npy_array(path: str) -> np.ndarray:
    """The file's array, memory-mapped (nothing is read but the header), of
    one or two dimensions and of numbers."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, EOFError) as err:
        raise ValueError(f"{path}: not a NumPy array file of numbers ({err})") from None
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{path}: not a single NumPy array")
    if array.ndim not in (1, 2):
        raise ValueError(f"{path}: expected a table of samples, got a {array.ndim}-D array")
    _check_numbers(path, array.dtype)
    return array


def _open_npy(path: str, piece_rows: int | None) -> DataFile:
    array = _npy_array(path)
    if array.size == 0:
        raise ValueError(f"{path}: no samples")
    rows = len(array)
    step = rows if piece_rows is None else piece_rows
    pieces = tuple(
        Piece(path, NPY, start, min(start + step, rows)) for start in range(0, rows, step)
    )
    return DataFile(path, NPY, 1 if array.ndim == 1 else array.shape[1], None, pieces)


def _read_npy(piece: Piece) -> np.ndarray:
    block = np.array(_npy_array(piece.path)[piece.start : piece.stop])
    rows = block.reshape(len(block), -1)
    _check_finite(piece.path, rows, lambda row, column: f"row {piece.start + row}, column {column}")
    return rows


# Parquet: the metadata give the columns, their types and the row groups; a
# piece is a run of row groups.


def _parquet_file(path: str, file: BinaryIO) -> Any:
    """``file`` (opened here, so that a missing file or a folder gets
    Python's own error: pyarrow's names the file alone) as a ParquetFile."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependency(
            f"{path}: reading Parquet needs pyarrow: pip install pyarrow"
        ) from None
    try:
        return pq.ParquetFile(file)
    except ValueError as err:  # pyarrow's ArrowInvalid, for a malformed file
        raise ValueError(f"{path}: not a readable Parquet file ({err})") from None


def _open_parquet(path: str, piece_rows: int | None) -> DataFile:
    with open(path, "rb") as file:
        parquet = _parquet_file(path, file)
        schema = parquet.schema_arrow
        metadata = parquet.metadata
        group_rows = [metadata.row_group(k).num_rows for k in range(metadata.num_row_groups)]
    import pyarrow as pa  # there, as _parquet_file found it

    for field in schema:
        kind = field.type
        if not any(
            is_type(kind)
            for is_type in (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean)
        ):
            raise ValueError(f"{path}: column {field.name!r} is not numeric")
    if not schema.names:
        raise ValueError(f"{path}: no columns")
    if sum(group_rows) == 0:
        raise ValueError(f"{path}: no samples")
    pieces: list[Piece] = []
    start = first_row = rows = 0
    for group, count in enumerate(group_rows):
        rows += count
        if (piece_rows is not None and rows >= piece_rows) or group == len(group_rows) - 1:
            pieces.append(Piece(path, PARQUET, start, group + 1, first_row))
            start, first_row, rows = group + 1, first_row + rows, 0
    return DataFile(path, PARQUET, len(schema.names), tuple(schema.names), tuple(pieces))


def _read_parquet(piece: Piece) -> np.ndarray:
    with open(piece.path, "rb") as file:
        table = _parquet_file(piece.path, file).read_row_groups(range(piece.start, piece.stop))
    names = table.column_names
    columns = []
    for name, column in zip(names, table.columns):
        if column.null_count:
            row = int(np.flatnonzero(column.is_null().to_numpy())[0])
            raise ValueError(
                f"{piece.path}: row {piece.first_row + row}, column {name!r} is empty: Input X "
                "contains NaN (missing values are not supported)"
            )
        columns.append(column.to_numpy())
    rows = np.column_stack(columns)
    _check_finite(
        piece.path,
        rows,
        lambda row, column: f"row {piece.first_row + row}, column {names[column]!r}",
    )
    return rows


# CSV: comma, tab, semicolon or whitespace separated, as the first line of
# data shows; that line is a header when a cell of it is neither a number nor
# empty. Lines are counted as the file's lines; blank lines and comments (from
# a # on) are skipped wherever they are.


def _content_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """``(line number, content)`` of the lines that hold more than spaces
    and a comment, the comment cut off."""
    for number, line in enumerate(lines, 1):
        content = line.rstrip("\r\n").split("#", 1)[0]
        if content.strip():
            yield number, content


def _csv_text(path: str) -> Iterator[str]:
    """The lines of a UTF-8 text file, a byte order mark skipped."""
    try:
        with open(path, encoding="utf-8-sig") as file:
            yield from file
    except UnicodeDecodeError:
        raise ValueError(
            f"{path}: not a UTF-8 text file (CSV), nor named .npy or .parquet"
        ) from None


def _csv_layout(first: str) -> tuple[str | None, list[str], bool]:
    """The delimiter, the cells and whether it is a header, of the first line
    of data. An empty cell is a missing value, so no header."""
    delimiter = _delimiter(first)
    cells = _cells(first, delimiter)
    return delimiter, cells, not all(cell == "" or _is_number(cell) for cell in cells)


def _open_csv(path: str) -> DataFile:
    first = next(_content_lines(_csv_text(path)), None)
    if first is None:
        raise ValueError(f"{path}: no samples")
    _, cells, header = _csv_layout(first[1])
    return DataFile(path, CSV, len(cells), tuple(cells) if header else None, (Piece(path, CSV),))


def _read_csv(path: str) -> np.ndarray:
    lines = list(_content_lines(_csv_text(path)))
    if not lines:
        raise ValueError(f"{path}: no samples")
    delimiter, _, header = _csv_layout(lines[0][1])
    body = lines[1:] if header else lines
    if not body:
        raise ValueError(f"{path}: a header line but no samples")
    try:
        text = "\n".join(line for _, line in body)
        rows = np.loadtxt(
            io.StringIO(text), delimiter=delimiter, quotechar='"', comments=None, ndmin=2
        )
    except ValueError:
        # NumPy counts rows from 0 after the header and takes no space before
        # a quote: the slow way, which names the file's line of a bad cell.
        rows = _parse_rows(path, body, delimiter)
    _check_finite(path, rows, lambda row, column: f"line {body[row][0]}, column {column + 1}")
    return rows


def _parse_rows(path: str, body: list[tuple[int, str]], delimiter: str | None) -> np.ndarray:
    """The numbers of ``body``'s lines, or a ValueError naming the line and
    column of the first cell that is missing or no number, or of the first
    line of another width."""
    rows: list[list[float]] = []
    width, first = 0, 0
    for number, line in body:
        cells = _cells(line, delimiter)
        if not rows:
            width, first = len(cells), number
        elif len(cells) != width:
            raise ValueError(
                f"{path}: line {number} has {column_count(len(cells))} where line {first} has "
                f"{column_count(width)}"
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
