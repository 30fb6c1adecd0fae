"""``--weights FILE|COLUMN`` and ``--seeds FILE`` of ``fastmeanshift
cluster``, checked against the data alike on this machine (a NumPy array)
and with ``--scheduler`` (a Dask array); their files are read here."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .input_files import column_count, read_data


def split_weights(
    X: Any, names: Sequence[str] | None, weights: str | None, data: str
) -> tuple[Any, Any]:
    """The features and the sample weights of ``--weights``: an existing file
    holds one weight per sample; anything else names a column of ``X`` (by
    its index from 0, negative from the end, or by one of ``names``), which
    is taken out of the features. ``data`` names the data in errors."""
    if weights is None:
        return X, None
    samples, width = X.shape
    if os.path.isfile(weights):
        table = read_data(weights)
        if table.shape[1] != 1:
            raise ValueError(
                f"{weights}: expected one weight per row, got {column_count(table.shape[1])}"
            )
        if len(table) != samples:
            raise ValueError(
                f"{weights}: expected one weight per sample of {data} ({samples}), got {len(table)}"
            )
        return X, table[:, 0]
    try:
        column = int(weights)
    except ValueError:
        if names is None or weights not in names:
            raise ValueError(
                f"--weights {weights}: neither a file nor a column of {data}"
            ) from None
        column = list(names).index(weights)
    if not -width <= column < width:
        raise ValueError(f"--weights {weights}: {data} has {width} columns")
    if width == 1:
        raise ValueError(f"--weights {weights}: no feature column would be left")
    column %= width
    features = [j for j in range(width) if j != column]
    return X[:, features], X[:, column]


def read_seeds(path: str | None, n_features: int) -> np.ndarray | None:
    """The rows of the ``--seeds`` file, one seed each, as wide as the data's
    features."""
    if path is None:
        return None
    seeds = read_data(path)
    if seeds.shape[1] != n_features:
        raise ValueError(
            f"--seeds {path}: {column_count(seeds.shape[1])}, but the data has {n_features} "
            f"feature{'' if n_features == 1 else 's'}"
        )
    return seeds
