"""Writing result tables as CSV, ``.npy`` or JSON: the command line's
output formats."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

FORMATS = ("csv", "npy", "json")


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
