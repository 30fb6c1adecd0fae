"""Input and parameter validation, with scikit-learn's exception classes and messages."""

from __future__ import annotations

import math
import sys
from numbers import Integral, Real
from typing import Any, TypeVar

import numpy as np

_RESHAPE_HINT = (
    "Reshape your data either using array.reshape(-1, 1) if your data has a single feature "
    "or array.reshape(1, -1) if it contains a single sample."
)


class InvalidParameterError(ValueError, TypeError):
    """A parameter has the wrong type or value (scikit-learn's class of the same name)."""


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before ``fit`` (scikit-learn's class of the same name)."""


_SKLEARN_MODULES = {
    InvalidParameterError: "sklearn.utils._param_validation",
    NotFittedError: "sklearn.exceptions",
}
_Error = TypeVar("_Error", InvalidParameterError, NotFittedError)


def sklearn_catchable(cls: type[_Error], message: str) -> _Error:
    """An exception of class ``cls`` that is also an instance of scikit-learn's
    class of the same name once scikit-learn has imported it, so that code
    catching scikit-learn's class catches ours. Before that import nobody can
    be catching scikit-learn's class, and scikit-learn is never imported here."""
    theirs = getattr(sys.modules.get(_SKLEARN_MODULES[cls]), cls.__name__, None)
    if theirs is None:
        return cls(message)
    joint = _JOINT_CLASSES.get(cls)
    if joint is None:
        joint = _JOINT_CLASSES[cls] = _joint_class(cls, theirs)
    return joint(message)


_JOINT_CLASSES: dict[type, Any] = {}


def _joint_class(ours: type[_Error], theirs: type[Exception]) -> type[_Error]:
    def reduce(self: BaseException) -> tuple[type, tuple[Any, ...]]:
        return ours, self.args  # pickles as our class, which always exists

    namespace = {"__module__": ours.__module__, "__qualname__": ours.__qualname__}
    return type(ours.__name__, (ours, theirs), {**namespace, "__reduce__": reduce})


def check_array(X: Any, owner: str, *, min_samples: int = 1, dates: bool = False) -> np.ndarray:
    """``X`` as a C-contiguous, aligned float32 or float64 matrix of finite values.

    float32 stays float32; every other numeric type becomes float64. The
    caller's array is never modified: a conversion always copies. Dates
    (datetime64) are refused with scikit-learn's TypeError unless ``dates``:
    they cannot be averaged or binned, but scikit-learn measures distances
    between them (``estimate_bandwidth``, ``predict``) as counts of their unit.
    """
    if is_sparse(X):
        raise TypeError(
            "Sparse data was passed for X, but dense data is required. "
            "Use '.toarray()' to convert to a dense numpy array."
        )
    array = _as_numpy(X)
    kind = array.dtype.kind
    if kind == "c":
        raise ValueError(f"Complex data not supported\n{array}\n")
    if kind == "M" and not dates:
        # scikit-learn fails on them in NumPy ("ufunc 'add' cannot use operands").
        raise TypeError(
            f"Dates (dtype {array.dtype}) cannot be averaged or binned, as mean shift must: "
            "convert them to numbers first, for example with .astype('int64'), the count of "
            "their time unit since 1970-01-01."
        )
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
    if n_samples < min_samples:
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
    # NumPy's own error for a value that is no number (TypeError for a dict,
    # ValueError for a string) is the one scikit-learn lets through.
    converted = core_layout(array, np.float32 if single else np.float64)
    with np.errstate(over="ignore"):
        # A finite sum proves every value finite without a temporary array.
        finite = bool(np.isfinite(converted.sum())) or bool(np.isfinite(converted).all())
    if not finite:
        if np.isnan(converted).any():
            raise ValueError(f"Input X contains NaN.\n{owner} does not accept missing values.")
        reported = array.dtype if kind == "f" else converted.dtype
        raise ValueError(f"Input X contains infinity or a value too large for {reported!r}.")
    return converted


def _as_numpy(X: Any) -> np.ndarray:
    """``X`` as a NumPy array. A DataFrame with pandas' nullable numeric or
    boolean columns (``Int64``, ``Float32``, ``boolean``, pyarrow numbers)
    becomes float64 with its missing values as NaN, as scikit-learn converts
    it (so that they are reported as NaN, with a ValueError); NumPy alone
    would make an object array of ``pd.NA``, which no number can be made of."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(X, "to_numpy") and len(getattr(X, "shape", ())) == 2:
        nullable = [dtype for dtype in dtypes if not isinstance(dtype, np.dtype)]
        if nullable and all(getattr(dtype, "kind", "O") in "biuf" for dtype in nullable):
            return np.asarray(X.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.asarray(X)


def own_float_type(X: Any) -> np.dtype[Any] | None:
    """The float type of ``X`` when it is one the core lacks (float16,
    longdouble), else None. scikit-learn computes in it: its centres keep it
    and its grid binning divides in it."""
    dtype = getattr(X, "dtype", None)
    dtypes = getattr(X, "dtypes", None)
    if dtype is None and dtypes is not None and len(dtypes) > 0:
        if all(isinstance(column, np.dtype) for column in dtypes):
            dtype = np.result_type(*dtypes)  # a DataFrame's columns, as NumPy joins them
    if isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize not in (4, 8):
        return dtype
    return None


def core_layout(array: Any, dtype: type[np.floating[Any]]) -> np.ndarray:
    """``array`` as the Rust core reads it: a C-contiguous, aligned matrix of
    native ``dtype``. Any layout NumPy can view is accepted; it is copied only
    when it is not already so (an unaligned buffer, as ``np.frombuffer`` at an
    offset or Dask under ``distributed`` returns, is C-contiguous but cannot
    be read in place)."""
    return np.require(array, dtype=dtype, requirements=["C_CONTIGUOUS", "ALIGNED"])


def is_sparse(X: Any) -> bool:
    """A SciPy sparse matrix or array, without importing SciPy."""
    return hasattr(X, "toarray") and hasattr(X, "format") and hasattr(X, "nnz")


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def reject(name: str, owner: str, expected: str, value: Any) -> InvalidParameterError:
    return sklearn_catchable(
        InvalidParameterError,
        f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead.",
    )


def _finite_float(value: Any) -> float | None:
    """``value`` as a finite float if it is a real number that has one, else None."""
    if not isinstance(value, Real):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


_RANDOM_STATES = (
    "an int in the range [0, 4294967295], an instance of 'numpy.random.mtrand.RandomState' or None"
)


def check_params(owner: str, **params: Any) -> None:
    """Validates the mean shift parameters given, at fit time, as scikit-learn does."""
    for name, value in params.items():
        if name == "bandwidth":
            number = _finite_float(value)
            if value is not None and not (number is not None and number > 0):
                raise reject(name, owner, "a float in the range (0.0, inf) or None", value)
        elif name == "bin_size":
            if _finite_float(value) is None:
                raise reject(name, owner, "a finite float", value)
        elif name == "quantile":
            number = _finite_float(value)
            if not (number is not None and 0 <= number <= 1):
                raise reject(name, owner, "a float in the range [0.0, 1.0]", value)
        elif name in ("min_bin_freq", "n_samples"):
            optional = name == "n_samples" and value is None
            ok = optional or (isinstance(value, Integral) and int(value) >= 1)
            if not ok:
                suffix = " or None" if name == "n_samples" else ""
                raise reject(name, owner, f"an int in the range [1, inf){suffix}", value)
        elif name == "max_iter":
            if not (isinstance(value, Integral) and int(value) >= 0):
                raise reject(name, owner, "an int in the range [0, inf)", value)
        elif name in ("bin_seeding", "cluster_all"):
            if not _is_bool(value):
                raise reject(
                    name, owner, "an instance of 'bool' or an instance of 'numpy.bool'", value
                )
        elif name == "n_jobs":
            if not (value is None or isinstance(value, Integral)):
                raise reject(name, owner, "an instance of 'int' or None", value)
            if value == 0:
                raise ValueError("n_jobs == 0 in Parallel has no meaning")
        elif name == "random_state":
            ok = (
                value is None
                or isinstance(value, np.random.RandomState)
                or (isinstance(value, Integral) and 0 <= int(value) <= 2**32 - 1)
            )
            if not ok:
                raise reject(name, owner, _RANDOM_STATES, value)
        else:  # pragma: no cover - a programming error, not a user's
            raise KeyError(name)


def clamped(value: Any, low: int, high: int) -> int:
    """A validated integer parameter within the 64-bit range the core takes;
    beyond it, every value means the same (no climb runs 2**64 iterations)."""
    return min(max(int(value), low), high)
