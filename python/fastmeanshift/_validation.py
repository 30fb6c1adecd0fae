"""Input and parameter validation, with scikit-learn's exception classes and messages."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

_RESHAPE_HINT = (
    "Reshape your data either using array.reshape(-1, 1) if your data has a single feature "
    "or array.reshape(1, -1) if it contains a single sample."
)


class InvalidParameterError(ValueError, TypeError):
    """A parameter has the wrong type or value (scikit-learn's class of the same name)."""


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before ``fit`` (scikit-learn's class of the same name)."""


def feature_names(X: Any) -> np.ndarray | None:
    """Column names of a DataFrame-like ``X`` when they are all strings, else None."""
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "iloc"):
        return None
    names = np.asarray(columns, dtype=object)
    if len(names) and all(isinstance(name, str) for name in names):
        return names
    return None


def check_array(X: Any, owner: str) -> np.ndarray:
    """``X`` as a C-contiguous float32 or float64 matrix of finite values.

    float32 stays float32; every other numeric type becomes float64. The
    caller's array is never modified: a conversion always copies.
    """
    if hasattr(X, "toarray") and hasattr(X, "format"):
        raise TypeError(
            "Sparse data was passed for X, but dense data is required. "
            "Use '.toarray()' to convert to a dense numpy array."
        )
    array = np.asarray(X)
    kind = array.dtype.kind
    if kind == "c":
        raise ValueError(f"Complex data not supported\n{array}\n")
    if kind in "USV":
        raise ValueError(
            "dtype='numeric' is not compatible with arrays of bytes/strings."
            "Convert your data to numeric values explicitly instead."
        )
    if array.ndim == 0:
        raise ValueError(
            f"Expected 2D array, got scalar array instead:\narray={array}.\n{_RESHAPE_HINT}"
        )
    if array.ndim == 1:
        raise ValueError(
            f"Expected 2D array, got 1D array instead:\narray={array}.\n{_RESHAPE_HINT}"
        )
    if array.ndim > 2:
        raise ValueError(
            f"Found array with dim {array.ndim}, while dim <= 2 is required by {owner}."
        )
    n_samples, n_features = array.shape
    if n_samples < 1:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={array.shape}) while a minimum of 1 is "
            f"required by {owner}."
        )
    if n_features < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={array.shape}) while a minimum of 1 is "
            f"required by {owner}."
        )
    single = kind == "f" and array.dtype.itemsize == 4
    dtype = np.float32 if single else np.float64
    try:
        array = np.ascontiguousarray(array, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"could not convert X to {np.dtype(dtype).name}: {exc}") from exc
    if not np.isfinite(array).all():
        if np.isnan(array).any():
            raise ValueError(f"Input X contains NaN.\n{owner} does not accept missing values.")
        raise ValueError(f"Input X contains infinity or a value too large for {np.dtype(dtype)!r}.")
    return array


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _reject(name: str, owner: str, expected: str, value: Any) -> InvalidParameterError:
    return InvalidParameterError(
        f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
    )


def check_params(owner: str, **params: Any) -> None:
    """Validates the mean shift parameters given, at fit time, as scikit-learn does."""
    for name, value in params.items():
        if name == "bandwidth":
            ok = value is None or (isinstance(value, Real) and 0 < float(value) < float("inf"))
            if not ok:
                raise _reject(name, owner, "a float in the range (0.0, inf) or None", value)
        elif name == "quantile":
            if not (isinstance(value, Real) and 0 <= float(value) <= 1):
                raise _reject(name, owner, "a float in the range [0.0, 1.0]", value)
        elif name in ("min_bin_freq", "n_samples"):
            optional = name == "n_samples" and value is None
            ok = optional or (isinstance(value, Integral) and int(value) >= 1)
            if not ok:
                suffix = " or None" if name == "n_samples" else ""
                raise _reject(name, owner, f"an int in the range [1, inf){suffix}", value)
        elif name == "max_iter":
            if not (isinstance(value, Integral) and int(value) >= 0):
                raise _reject(name, owner, "an int in the range [0, inf)", value)
        elif name in ("bin_seeding", "cluster_all"):
            if not _is_bool(value):
                raise _reject(
                    name, owner, "an instance of 'bool' or an instance of 'numpy.bool'", value
                )
        elif name == "n_jobs":
            if not (value is None or isinstance(value, Integral)):
                raise _reject(name, owner, "an instance of 'int' or None", value)
            if value == 0:
                raise ValueError("n_jobs == 0 in Parallel has no meaning")
        else:  # pragma: no cover - a programming error, not a user's
            raise KeyError(name)
