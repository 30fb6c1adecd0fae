"""Input and parameter validation, with scikit-learn's exception classes and messages
(docs/algorithm.md §5)."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, TypeVar, Union

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
    array = as_numpy(X)
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


def as_numpy(X: Any) -> np.ndarray:
    """``X`` as a NumPy array. A DataFrame with pandas' nullable numeric or
    boolean columns (``Int64``, ``Float32``, ``boolean``, pyarrow numbers)
    becomes float64 with its missing values as NaN, as scikit-learn converts
    it (so that they are reported as NaN, with a ValueError); NumPy alone
    would make an object array of ``pd.NA``, which no number can be made of.
    The Dask estimator converts each partition of a Dask DataFrame with it."""
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


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray:
    """``sample_weight`` as a C-contiguous float64 vector of ``n_samples``
    finite weights ``>= 0``, not all zero, as scikit-learn's
    ``_check_sample_weight(..., ensure_non_negative=True)`` checks it (a
    number is every sample's weight). The caller's array is never modified."""
    if is_sparse(sample_weight):
        raise TypeError(
            "Sparse data was passed for sample_weight, but dense data is required. "
            "Use '.toarray()' to convert to a dense numpy array."
        )
    if isinstance(sample_weight, Real):
        # True and False too, as scikit-learn's ``isinstance(sample_weight,
        # numbers.Number)`` takes them: every weight 1 (or 0).
        weights = np.full(n_samples, float(sample_weight))
    else:
        array = np.asarray(sample_weight)
        check_weight_shape(array, n_samples)
        weights = np.ascontiguousarray(array, dtype=np.float64)
    with np.errstate(over="ignore"):
        check_weight_values(
            nan=bool(np.isnan(weights).any()),
            inf=bool(np.isinf(weights).any()),
            negative=bool((weights < 0).any()),
            nonzero=bool(weights.any()),
            total=float(weights.sum()),
        )
    return weights


def check_weight_shape(weights: Any, n_samples: int) -> None:
    """The type and shape checks of ``check_sample_weight``, on anything with
    ``dtype``, ``ndim`` and ``shape`` (a NumPy or a Dask array)."""
    if weights.dtype.kind not in "biuf":
        raise ValueError(
            f"sample_weight must hold real numbers, got an array of dtype {weights.dtype}."
        )
    if weights.ndim == 0:
        # scikit-learn's words for an array of no dimension (a number in an
        # array, np.float64(1) being a number).
        raise TypeError(
            "Input should have at least 1 dimension i.e. satisfy `len(x.shape) > 0`, got "
            f"scalar `{np.asarray(weights, dtype=np.float64)!r}` instead."
        )
    if weights.ndim != 1:
        raise ValueError(
            f"Sample weights must be 1D array or scalar, got {weights.ndim}D array. "
            f"Expected either a scalar value or a 1D array of length {n_samples}."
        )
    if weights.shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {weights.shape}, expected {(n_samples,)}!")


def check_weight_values(
    *, nan: bool, inf: bool, negative: bool, nonzero: bool, total: float
) -> None:
    """The value checks of ``check_sample_weight``, from what was found of
    the weights: any NaN, infinity, negative or nonzero weight, and their sum."""
    if nan:
        raise ValueError("Input sample_weight contains NaN.")
    if inf:
        raise ValueError(
            "Input sample_weight contains infinity or a value too large for dtype('float64')."
        )
    if negative:
        raise ValueError("Negative values in data passed to `sample_weight`")
    if not nonzero:
        raise ValueError("Sample weights must contain at least one non-zero number.")
    if not np.isfinite(total):
        raise ValueError("The sum of sample_weight overflows float64; rescale the weights.")


def is_sparse(X: Any) -> bool:
    """A SciPy sparse matrix or array, without importing SciPy."""
    return hasattr(X, "toarray") and hasattr(X, "format") and hasattr(X, "nnz")


def reject(name: str, owner: str, expected: str, value: Any) -> InvalidParameterError:
    return sklearn_catchable(
        InvalidParameterError,
        f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead.",
    )


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _as_float(value: Any) -> float | None:
    """``value`` as a float, if it is a real number that has one (not a huge int)."""
    if not isinstance(value, Real):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


# Parameter constraints, declared as data as scikit-learn declares
# ``_parameter_constraints``: a parameter is valid when it satisfies one of
# its constraints, and the error names them all, in scikit-learn's words.


@dataclass(frozen=True)
class Interval:
    """Numbers of one kind (``Integral`` or ``Real``) between two bounds; None is unbounded."""

    kind: type
    left: float | None
    right: float | None
    closed: str  # "left", "right", "both" or "neither"

    def is_satisfied_by(self, value: Any) -> bool:
        """Whether ``value`` is a number of this kind within the bounds."""
        if not isinstance(value, self.kind):
            return False
        # Integers compare exactly, however large; a float must have a float value.
        number: float | int | None = (
            int(value)
            if self.kind is Integral and isinstance(value, Integral)
            else _as_float(value)
        )
        if number is None or math.isnan(number):
            return False
        low = -math.inf if self.left is None else self.left
        high = math.inf if self.right is None else self.right
        above = number >= low if self.closed in ("left", "both") else number > low
        below = number <= high if self.closed in ("right", "both") else number < high
        return above and below

    def __str__(self) -> str:
        integral = self.kind is Integral

        def bound(value: float | None, unbounded: str) -> str:
            if value is None:
                return unbounded
            return str(int(value)) if integral else str(float(value))

        left = "[" if self.closed in ("left", "both") else "("
        right = "]" if self.closed in ("right", "both") else ")"
        return (
            f"{'an int' if integral else 'a float'} in the range "
            f"{left}{bound(self.left, '-inf')}, {bound(self.right, 'inf')}{right}"
        )


@dataclass(frozen=True)
class Satisfies:
    """Values that pass ``test``, described as ``description``."""

    test: Callable[[Any], bool]
    description: str

    def is_satisfied_by(self, value: Any) -> bool:
        return self.test(value)

    def __str__(self) -> str:
        return self.description


@dataclass(frozen=True)
class StrOptions:
    """One of a few strings (scikit-learn's ``StrOptions``)."""

    options: tuple[str, ...]

    def is_satisfied_by(self, value: Any) -> bool:
        """Whether ``value`` is one of the strings."""
        return isinstance(value, str) and value in self.options

    def __str__(self) -> str:
        return f"a str among {{{', '.join(repr(option) for option in self.options)}}}"


Constraint = Union[Interval, Satisfies, StrOptions, None]

BOOLEAN = Satisfies(_is_bool, "an instance of 'bool' or an instance of 'numpy.bool'")
INTEGER = Satisfies(lambda value: isinstance(value, Integral), "an instance of 'int'")
FINITE_FLOAT = Satisfies(
    lambda value: (number := _as_float(value)) is not None and math.isfinite(number),
    "a finite float",
)
RANDOM_STATE = Satisfies(
    lambda value: (
        isinstance(value, np.random.RandomState)
        or Interval(Integral, 0, 2**32 - 1, "both").is_satisfied_by(value)
    ),
    "an int in the range [0, 4294967295], an instance of 'numpy.random.mtrand.RandomState'",
)

MEAN_SHIFT_CONSTRAINTS: dict[str, list[Constraint]] = {
    "bandwidth": [Interval(Real, 0, None, "neither"), None],
    "bin_seeding": [BOOLEAN],
    "min_bin_freq": [Interval(Integral, 1, None, "left")],
    "cluster_all": [BOOLEAN],
    "n_jobs": [INTEGER, None],
    "max_iter": [Interval(Integral, 0, None, "left")],
    "kernel": [StrOptions(("flat", "epanechnikov", "gaussian"))],
    "cluster_assignment": [StrOptions(("nearest", "attractor"))],
}
ESTIMATE_BANDWIDTH_CONSTRAINTS: dict[str, list[Constraint]] = {
    "quantile": [Interval(Real, 0, 1, "both")],
    "n_samples": [Interval(Integral, 1, None, "left"), None],
    "random_state": [RANDOM_STATE, None],
    "n_jobs": [INTEGER, None],
}
GET_BIN_SEEDS_CONSTRAINTS: dict[str, list[Constraint]] = {
    "bin_size": [FINITE_FLOAT],
}
POSITIVE_FINITE_FLOAT = Satisfies(
    lambda value: (number := _as_float(value)) is not None and 0 < number < math.inf,
    "a float in the range (0.0, inf)",
)
SEGMENT_CONSTRAINTS: dict[str, list[Constraint]] = {
    "spatial_bandwidth": [POSITIVE_FINITE_FLOAT],
    "range_bandwidth": [POSITIVE_FINITE_FLOAT],
    "kernel": [StrOptions(("flat", "epanechnikov", "gaussian"))],
    "min_size": [Interval(Integral, 0, None, "left")],
    "max_iter": [Interval(Integral, 0, None, "left")],
    "channel_axis": [INTEGER, None],
    "return_modes": [BOOLEAN],
    "n_jobs": [INTEGER, None],
}


def validate_params(
    constraints: dict[str, list[Constraint]], owner: str, params: dict[str, Any]
) -> None:
    """Raises scikit-learn's error for the first parameter that satisfies none of its
    constraints; then joblib's for ``n_jobs == 0``."""
    for name, value in params.items():
        allowed = constraints[name]
        if any(
            value is None if constraint is None else constraint.is_satisfied_by(value)
            for constraint in allowed
        ):
            continue
        described = [str(constraint) for constraint in allowed]
        expected = (
            described[0]
            if len(described) == 1
            else f"{', '.join(described[:-1])} or {described[-1]}"
        )
        raise reject(name, owner, expected, value)
    if params.get("n_jobs") == 0:
        raise ValueError("n_jobs == 0 in Parallel has no meaning")


def clamped(value: Any, low: int, high: int) -> int:
    """A validated integer parameter within the 64-bit range the core takes;
    beyond it, every value means the same (no climb runs 2**64 iterations)."""
    return min(max(int(value), low), high)
