"""A sweep of bad and odd inputs through all four public functions and predict.

Every bad input (each rule of docs/algorithm.md §5.1 and §5.2 among them) raises
the exception class scikit-learn raises; every odd but valid input gives the
float64 answer. In both cases the caller's arrays come back untouched.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any, Callable

import numpy as np
import pytest

import fastmeanshift as fms

import reference

X = np.array([[1.0, 1.0], [2.0, 1.0], [1.0, 0.0], [4.0, 7.0], [3.0, 5.0], [3.0, 6.0]])
LABELS = [1, 1, 1, 0, 0, 0]
HUGE = np.array([[1.7e308, 0.0], [1.6e308, 0.0]])
# The float32 sum of the three overflows, their mean does not: NumPy's mean,
# which scikit-learn takes, is infinite and it fails.
HUGE32 = np.array([[3e38], [3e38], [3.1e38]], dtype=np.float32)
# Grid cells X / bandwidth beyond float32, where scikit-learn stores them.
FAR = np.array([[0.0, 0.0], [0.0, 0.0], [1e30, 0.0], [2e30, 0.0]])
DATES = X.astype("datetime64[s]")


def fit(data, **params):
    return fms.MeanShift(**params).fit(data)


def fit_then_predict(data, **params):
    return fms.MeanShift(bandwidth=2).fit(X).predict(data, **params)


def bin_seeds(data, **params):
    return fms.get_bin_seeds(data, **{"bin_size": 1.0, **params})


def mean_shift(data, **params):
    return fms.mean_shift(data, **params)


def estimate(data, **params):
    return fms.estimate_bandwidth(data, **params)


EVERY_FUNCTION = [fit, mean_shift, estimate, bin_seeds, fit_then_predict]

# (function, data, parameters, exception class, message fragment)
BAD: list[tuple[Callable[..., Any], Any, dict[str, Any], type[Exception], str]] = []
for function in EVERY_FUNCTION:
    BAD += [
        (function, np.array([[np.nan, 1.0], [1.0, 1.0]]), {}, ValueError, "contains NaN"),
        (function, np.array([[np.inf, 1.0], [1.0, 1.0]]), {}, ValueError, "infinity"),
        (function, np.array([[-np.inf, 1.0]], dtype=np.float32), {}, ValueError, "infinity"),
        (function, np.zeros((0, 2)), {}, ValueError, "0 sample(s)"),
        (function, np.zeros((3, 0)), {}, ValueError, "0 feature(s)"),
        (function, np.array([1.0, 2.0]), {}, ValueError, "Expected 2D array, got 1D"),
        (function, np.float64(3.0), {}, ValueError, "Expected 2D array, got scalar"),
        (function, np.zeros((2, 2, 2)), {}, ValueError, "Found array with dim 3"),
        (function, np.array([[1 + 1j, 2]]), {}, ValueError, "Complex data not supported"),
        (function, np.array([["a", "b"]]), {}, ValueError, "strings"),
        (function, np.array([["a", 1.0]], dtype=object), {}, ValueError, "could not convert"),
        (function, np.array([[{}, 1.0]], dtype=object), {}, TypeError, "dict"),
        (function, [[1.0, 2.0], [3.0]], {}, ValueError, "inhomogeneous"),
    ]
# scikit-learn measures distances between dates (estimate_bandwidth, predict)
# but fails to average or bin them.
for function in (fit, mean_shift, bin_seeds):
    BAD.append((function, DATES, {}, TypeError, "Dates (dtype datetime64[s]) cannot be"))
INVALID = fms.InvalidParameterError
BAD += [
    (fit, X, {"seeds": [[1, 2, 3]], "bandwidth": 2}, ValueError, "X has 3 features"),
    (fit, X, {"seeds": [1.0, 2.0], "bandwidth": 2}, ValueError, "Expected 2D"),
    (fit, X, {"seeds": [[np.nan, 1.0]], "bandwidth": 2}, ValueError, "NaN"),
    (fit, X, {"seeds": np.zeros((0, 2)), "bandwidth": 2}, ValueError, "No seeds to start"),
    (fit, X, {"seeds": [], "bandwidth": 2}, ValueError, "Expected 2D"),
    (fit, X, {"bin_seeding": True, "min_bin_freq": 10, "bandwidth": 2}, ValueError, "No seeds"),
    (mean_shift, X, {"seeds": [[100.0, 100.0]], "bandwidth": 1}, ValueError, "No point was"),
    (fit, X, {"n_jobs": 0, "bandwidth": 2}, ValueError, "n_jobs == 0"),
    (estimate, X, {"n_jobs": 0}, ValueError, "n_jobs == 0"),
    # The mean of both points overflows: scikit-learn fails on it, at its next
    # ball query or (max_iter=0) on the centres.
    (fit, HUGE, {"bandwidth": 1e308, "max_iter": 0}, ValueError, "overflowed float64"),
    (fit, HUGE, {"bandwidth": 1e308}, ValueError, "A cluster mean overflowed float64: "),
    (fit, HUGE32, {"bandwidth": 1e38}, ValueError, "A cluster mean overflowed float32: "),
    (fit, HUGE32, {"bandwidth": 1e38, "max_iter": 0}, ValueError, "overflowed float32"),
    (fit, X, {"seeds": DATES, "bandwidth": 2}, TypeError, "Dates"),
    (fit, FAR, {"bandwidth": 1e-10, "bin_seeding": True}, ValueError, "Bin seeding overflowed"),
    (fit, X, {"bandwidth": 0}, INVALID, "Got 0 instead"),
    (mean_shift, X, {"bandwidth": 0}, INVALID, "parameter of mean_shift"),
    (fit, X, {"bandwidth": -1.0}, INVALID, "'bandwidth'"),
    (fit, X, {"bandwidth": np.inf}, INVALID, "'bandwidth'"),
    (fit, X, {"bandwidth": np.nan}, INVALID, "'bandwidth'"),
    (fit, X, {"bandwidth": "2"}, INVALID, "'bandwidth'"),
    (fit, X, {"bandwidth": 10**400}, INVALID, "'bandwidth'"),
    (fit, X, {"bandwidth": [2.0]}, INVALID, "'bandwidth'"),
    (fit, X, {"min_bin_freq": 0}, INVALID, "an int in the range [1, inf)"),
    (fit, X, {"min_bin_freq": 1.5}, INVALID, "'min_bin_freq'"),
    (fit, X, {"max_iter": -1}, INVALID, "an int in the range [0, inf)"),
    (fit, X, {"max_iter": 3.0}, INVALID, "'max_iter'"),
    (fit, X, {"max_iter": None}, INVALID, "'max_iter'"),
    (fit, X, {"bin_seeding": 1}, INVALID, "an instance of 'bool'"),
    (fit, X, {"bin_seeding": "yes"}, INVALID, "'bin_seeding'"),
    (fit, X, {"cluster_all": None}, INVALID, "'cluster_all'"),
    (fit, X, {"n_jobs": 1.5}, INVALID, "'n_jobs'"),
    (fit, X, {"n_jobs": "2"}, INVALID, "'n_jobs'"),
    (estimate, X, {"quantile": -0.1}, INVALID, "'quantile'"),
    (estimate, X, {"quantile": 1.5}, INVALID, "[0.0, 1.0]"),
    (estimate, X, {"quantile": np.nan}, INVALID, "'quantile'"),
    (estimate, X, {"quantile": "a"}, INVALID, "'quantile'"),
    (estimate, X, {"n_samples": 0}, INVALID, "'n_samples'"),
    (estimate, X, {"n_samples": 2.5}, INVALID, "'n_samples'"),
    (estimate, X, {"random_state": "a"}, INVALID, "'random_state'"),
    (estimate, X, {"random_state": -1}, INVALID, "'random_state'"),
    (estimate, X, {"n_jobs": 1.5}, INVALID, "'n_jobs'"),
    (bin_seeds, X, {"bin_size": np.nan}, INVALID, "'bin_size'"),
    (bin_seeds, X, {"bin_size": np.inf}, INVALID, "'bin_size'"),
    (bin_seeds, X, {"bin_size": "a"}, INVALID, "'bin_size'"),
    (bin_seeds, X, {"min_bin_freq": np.nan}, INVALID, "'min_bin_freq'"),
    (fit_then_predict, [[1.0, 2.0, 3.0]], {}, ValueError, "X has 3 features"),
]


def _snapshot(value: Any) -> Any:
    """A deep copy to compare the caller's input with after the call."""
    if isinstance(value, np.ndarray):
        return value.copy(order="K"), value.flags.writeable
    return copy.deepcopy(value)


def _assert_untouched(before: Any, after: Any) -> None:
    if isinstance(after, np.ndarray):
        array, writeable = before
        assert after.dtype == array.dtype and after.shape == array.shape
        assert after.flags.writeable == writeable
        np.testing.assert_array_equal(after, array)
    else:
        assert repr(after) == repr(before)


def _case_id(case) -> str:
    function, data, params, error, _ = case
    shape = getattr(data, "shape", None)
    return f"{function.__name__}-{error.__name__}-{shape}-{params}"


@pytest.mark.parametrize("case", BAD, ids=[_case_id(c) for c in BAD])
def test_bad_input_raises_scikit_learns_class(case):
    function, data, params, error, message = case
    before = _snapshot(data)
    before_params = {name: _snapshot(value) for name, value in params.items()}
    with pytest.raises(error, match=re.escape(message)) as info:
        function(data, **params)
    if error is not INVALID:
        # Not a parameter error where scikit-learn raises a plain one.
        assert not isinstance(info.value, INVALID) or error is TypeError
    _assert_untouched(before, data)
    for name, value in params.items():
        _assert_untouched(before_params[name], value)


def test_sparse_input():
    sparse = pytest.importorskip("scipy.sparse")
    matrix = sparse.csr_matrix(X)
    with pytest.raises(TypeError, match="Sparse data was passed"):
        fms.MeanShift(bandwidth=2).fit(matrix)
    with pytest.raises(INVALID, match="'X' parameter of estimate_bandwidth"):
        fms.estimate_bandwidth(matrix)
    with pytest.raises(TypeError, match="Sparse data"):
        fms.get_bin_seeds(matrix, 1.0)


def _read_only(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.flags.writeable = False
    return array


def _frame(array: np.ndarray) -> Any:
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(array, columns=["a", "b"])


def _unaligned(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``array`` one byte off its natural alignment, as
    ``np.frombuffer`` at an offset (or Dask under ``distributed``) returns."""
    buffer = bytearray(array.nbytes + 1)
    view = np.frombuffer(buffer, array.dtype, count=array.size, offset=1).reshape(array.shape)
    view[...] = array
    assert view.flags.c_contiguous and not view.flags.aligned
    return view


def _negative_strides(array: np.ndarray) -> np.ndarray:
    """A view of the same values with negative strides on both axes."""
    view = array[::-1, ::-1].copy()[::-1, ::-1]
    assert all(stride < 0 for stride in view.strides)
    return view


# Odd containers and dtypes of the same values as X: the answer is X's.
ODD_DATA: dict[str, Callable[[], Any]] = {
    "unaligned": lambda: _unaligned(X),
    "negative-strides": lambda: _negative_strides(X),
    "list": lambda: X.tolist(),
    "tuple": lambda: tuple(map(tuple, X)),
    "read-only": lambda: _read_only(X),
    "fortran": lambda: np.asfortranarray(X),
    "strided": lambda: np.repeat(X, 3, axis=1)[:, ::3],
    "reversed-rows-view": lambda: X[::-1][::-1],
    "big-endian": lambda: X.astype(">f8"),
    "int64": lambda: X.astype(np.int64),
    "int8": lambda: X.astype(np.int8),
    "uint16-big-endian": lambda: X.astype(">u2"),
    "object-numbers": lambda: X.astype(object),
    "matrix": lambda: np.asmatrix(X),
    "dataframe": lambda: _frame(X),
    "int-dataframe": lambda: _frame(X.astype(np.int32)),
}


@pytest.mark.parametrize("name", ODD_DATA)
def test_odd_data_gives_the_float64_answer(name):
    data = ODD_DATA[name]()
    before = _snapshot(data)
    model = fms.MeanShift(bandwidth=2).fit(data)
    assert model.labels_.tolist() == LABELS
    assert model.cluster_centers_.dtype == np.float64
    np.testing.assert_array_equal(
        model.cluster_centers_, fms.MeanShift(bandwidth=2).fit(X).cluster_centers_
    )
    assert model.predict(data).tolist() == LABELS
    assert fms.estimate_bandwidth(data) == fms.estimate_bandwidth(X)
    np.testing.assert_array_equal(fms.get_bin_seeds(data, 2.0), fms.get_bin_seeds(X, 2.0))
    _assert_untouched(before, data)


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
def test_float16_and_longdouble_centres_keep_their_type(dtype):
    # As scikit-learn's do; computed in float64, then rounded to the type.
    data = X.astype(dtype)
    before = _snapshot(data)
    model = fms.MeanShift(bandwidth=2).fit(data)
    assert model.cluster_centers_.dtype == dtype
    expected = fms.MeanShift(bandwidth=2).fit(X)
    np.testing.assert_array_equal(model.cluster_centers_, expected.cluster_centers_.astype(dtype))
    assert model.labels_.tolist() == LABELS
    assert model.predict(data).tolist() == LABELS
    assert fms.mean_shift(data, bandwidth=2)[0].dtype == dtype
    assert fms.estimate_bandwidth(data) == fms.estimate_bandwidth(X)
    np.testing.assert_array_equal(fms.get_bin_seeds(data, 2.0), fms.get_bin_seeds(X, 2.0))
    _assert_untouched(before, data)


def test_float16_is_binned_in_float16():
    # NumPy divides float16 by a Python float in float16, as scikit-learn bins
    # it: 1.1 (1.0996 in float16) / 0.2 is 5.5 there, 5.498 in float64.
    data = np.array([[1.1], [1.1], [3.0]], dtype=np.float16)
    assert fms.get_bin_seeds(data, 0.2).ravel().tolist() == [np.float32(6.0) * 0.2, 3.0]
    # By a float64 scalar (an estimated bandwidth), in float64.
    assert fms.get_bin_seeds(data, np.float64(0.2)).ravel().tolist() == [5 * 0.2, 15 * 0.2]


LAYOUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "unaligned": _unaligned,
    "negative-strides": _negative_strides,
    "strided": lambda a: np.repeat(a, 2, axis=1)[:, ::2],
    "fortran": np.asfortranarray,
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_entry_point_takes_any_layout(layout, dtype):
    rng = np.random.default_rng(1)
    data = (rng.normal(size=(60, 3)) + rng.integers(0, 3, (60, 1)) * 5.0).astype(dtype)
    odd = LAYOUTS[layout](data)
    np.testing.assert_array_equal(odd, data)
    before = _snapshot(odd)
    plain = fms.MeanShift(bandwidth=2.0).fit(data)
    model = fms.MeanShift(bandwidth=2.0).fit(odd)
    assert model.cluster_centers_.dtype == dtype
    assert model.cluster_centers_.tobytes() == plain.cluster_centers_.tobytes()
    assert model.labels_.tolist() == plain.labels_.tolist()
    assert model.predict(odd).tolist() == plain.labels_.tolist()
    assert fms.estimate_bandwidth(odd) == fms.estimate_bandwidth(data)
    np.testing.assert_array_equal(fms.get_bin_seeds(odd, 2.0), fms.get_bin_seeds(data, 2.0))
    seeded = fms.MeanShift(bandwidth=2.0, seeds=LAYOUTS[layout](data[:9])).fit(odd)
    expected = fms.MeanShift(bandwidth=2.0, seeds=data[:9]).fit(data)
    assert seeded.cluster_centers_.tobytes() == expected.cluster_centers_.tobytes()
    assert fms.mean_shift(odd, bin_seeding=True)[1].tolist() == (
        fms.mean_shift(data, bin_seeding=True)[1].tolist()
    )
    # Centres set by hand, in the same layout, predict as the fitted ones.
    model.cluster_centers_ = LAYOUTS[layout](plain.cluster_centers_)
    assert model.predict(data).tolist() == plain.labels_.tolist()
    _assert_untouched(before, odd)


NULLABLE = ["Int64", "UInt8", "Float64", "Float32", "boolean", "int64[pyarrow]"]


@pytest.mark.parametrize("dtype", NULLABLE)
def test_missing_values_of_pandas_nullable_columns_are_nan(dtype):
    pd = pytest.importorskip("pandas")
    if "pyarrow" in dtype:
        pytest.importorskip("pyarrow")
    values = [1, 0, 1, 1, 0, 1]
    complete = pd.DataFrame({"a": pd.array(values, dtype=dtype), "b": X[:, 1]})
    plain = np.column_stack([values, X[:, 1]]).astype(np.float64)
    model = fms.MeanShift(bandwidth=2).fit(complete)
    assert model.cluster_centers_.dtype == np.float64
    np.testing.assert_array_equal(
        model.cluster_centers_, fms.MeanShift(bandwidth=2).fit(plain).cluster_centers_
    )
    missing = pd.DataFrame({"a": pd.array([1, None, 1, 1, 0, 1], dtype=dtype), "b": X[:, 1]})
    # A ValueError, as scikit-learn raises, so that code catching it keeps working.
    for call in (
        lambda: fms.MeanShift(bandwidth=2).fit(missing),
        lambda: fms.estimate_bandwidth(missing),
        lambda: fms.get_bin_seeds(missing, 1.0),
        lambda: model.predict(missing),
    ):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            call()


def test_bool_data():
    data = np.array([[True, False], [True, False], [False, True]])
    model = fms.MeanShift(bandwidth=0.5).fit(data)
    assert model.cluster_centers_.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert model.labels_.tolist() == [0, 0, 1]


@pytest.mark.parametrize(
    "params",
    [
        {"bandwidth": np.float32(2.0), "max_iter": np.int64(300), "n_jobs": np.int32(2)},
        {"bandwidth": np.int64(2), "bin_seeding": np.bool_(True), "min_bin_freq": np.int8(1)},
        {"bandwidth": 2, "cluster_all": np.bool_(True), "max_iter": np.uint64(10**12)},
        {"bandwidth": 2, "max_iter": 10**12},
        {"bandwidth": 2, "max_iter": 10**30},
        {"bandwidth": 2, "n_jobs": 10**30},
        {"bandwidth": 2, "n_jobs": -(10**30)},
        {"bandwidth": 2, "seeds": X.astype(">i4")},
        {"bandwidth": 2, "seeds": tuple(map(tuple, X))},
    ],
    ids=str,
)
def test_odd_parameters_give_the_plain_answer(params):
    before = {name: _snapshot(value) for name, value in params.items()}
    model = fms.MeanShift(**params).fit(X)
    assert model.labels_.tolist() == LABELS
    np.testing.assert_allclose(
        model.cluster_centers_,
        [[3.3333333333333335, 6.0], [1.3333333333333333, 0.6666666666666666]],
    )
    for name, value in params.items():
        _assert_untouched(before[name], value)


def _reference_fit(data: np.ndarray, bandwidth: float):
    centers, labels, n_iter = reference.mean_shift(data, bandwidth)
    return centers, labels, n_iter


@pytest.mark.parametrize(
    ("data", "bandwidth"),
    [
        (X * 2.0**996, 2 * 2.0**996),  # coordinates near 1e300, exactly scaled
        (X * 2.0**-996, 2 * 2.0**-996),  # near 1e-300: squared distances underflow to 0
        (X * 1e300, 1e300),
        (X - 1e300, 2.0),  # all within one float64 ulp of -1e300
        (X, 1e-300),
        (X, 1e300),
        (X, 5e-324),
        (X, np.finfo(np.float64).max),
        (np.array([[1e300, 0.0], [-1e300, 0.0]]), 1.0),  # distances overflow to inf
        (np.array([[1.5e308], [-1.5e308]]), 1e308),
    ],
    ids=["2^996", "2^-996", "1e300", "near-1e300", "bw-1e-300", "bw-1e300", "bw-subnormal",
         "bw-max", "far-apart", "opposite-extremes"],
)  # fmt: skip
def test_extreme_values_agree_with_the_reference(data, bandwidth):
    centers, labels, n_iter = _reference_fit(data, bandwidth)
    model = fms.MeanShift(bandwidth=bandwidth, max_iter=10**12).fit(data)
    np.testing.assert_array_equal(model.cluster_centers_, centers)
    assert model.labels_.tolist() == labels.tolist()
    assert model.n_iter_ == n_iter
    assert np.isfinite(model.cluster_centers_).all()


@pytest.mark.parametrize("scale", [1e155, 1e300])
def test_an_estimated_bandwidth_that_overflows_makes_one_cluster(scale):
    # Distances of finite data beyond about 1.3e154 overflow float64, and so
    # does the estimate: every point is then in every ball, as in scikit-learn
    # (which gives one cluster at its mean, after one update).
    data = np.random.default_rng(0).uniform(-1, 1, (20, 2)) * scale
    assert fms.estimate_bandwidth(data) == np.inf
    mean = [math.fsum(column) / len(data) for column in data.T]
    for cluster_all in (True, False):
        model = fms.MeanShift(cluster_all=cluster_all).fit(data)
        assert model.cluster_centers_.tolist() == [mean]
        assert model.labels_.tolist() == [0] * 20
        assert model.n_iter_ == 0
    assert fms.mean_shift(data)[1].tolist() == [0] * 20
    # Bin seeding at an infinite bandwidth puts every sample in cell 0, whose
    # seed, 0 times infinity, is no number: scikit-learn fails on it.
    with pytest.raises(ValueError, match="Bin seeding needs a finite bandwidth"):
        fms.MeanShift(bin_seeding=True).fit(data)
    # A bandwidth the user gives must still be finite, as in scikit-learn.
    with pytest.raises(INVALID, match="'bandwidth'"):
        fms.MeanShift(bandwidth=np.inf).fit(data)


def test_dates_are_measured_as_scikit_learn_measures_them():
    counts = X.astype(np.int64)
    assert fms.estimate_bandwidth(DATES) == fms.estimate_bandwidth(counts)
    model = fms.MeanShift(bandwidth=2).fit(counts)
    assert model.predict(DATES).tolist() == LABELS


def test_bin_seeds_beyond_float32_are_returned_but_not_climbed():
    # As in scikit-learn: get_bin_seeds returns the infinite cells, a fit fails.
    seeds = fms.get_bin_seeds(FAR, 1e-10)
    assert seeds.tolist() == [[0.0, 0.0], [np.inf, 0.0], [np.inf, 0.0]]
    with pytest.raises(ValueError, match=r"Bin seeding overflowed at bandwidth=1e-10: "):
        fms.MeanShift(bandwidth=1e-10, bin_seeding=True).fit(FAR)


def test_thousands_of_identical_points():
    data = np.full((5000, 3), 0.5)
    model = fms.MeanShift().fit(data)  # estimated bandwidth 0: duplicates only
    assert fms.estimate_bandwidth(data) == 0.0
    assert model.labels_.tolist() == [0] * 5000
    assert model.cluster_centers_.shape == (1, 3)
    model = fms.MeanShift(bandwidth=1.0, bin_seeding=True).fit(data)
    assert model.labels_.tolist() == [0] * 5000
    # NumPy's mean of 5000 copies of 0.1 is not 0.1, so at bandwidth 0 the next
    # ball is empty and every seed is dropped: scikit-learn's error, as there.
    with pytest.raises(ValueError, match="No point was within bandwidth=0.000000"):
        fms.MeanShift().fit(np.full((5000, 3), 0.1))


def test_a_single_sample():
    model = fms.MeanShift().fit([[3.0, 4.0]])
    assert model.cluster_centers_.tolist() == [[3.0, 4.0]]
    assert model.labels_.tolist() == [0]
    assert fms.estimate_bandwidth([[3.0, 4.0]]) == 0.0
    with pytest.warns(UserWarning, match="Binning data failed"):
        assert fms.get_bin_seeds([[3.0, 4.0]], 1.0) == [[3.0, 4.0]]


def test_get_bin_seeds_accepts_what_scikit_learn_accepts():
    assert fms.get_bin_seeds(X, 0) is X
    negative = fms.get_bin_seeds(X, -2.0)
    np.testing.assert_array_equal(negative, fms.get_bin_seeds(X, 2.0))
    assert len(fms.get_bin_seeds(X, 2.0, min_bin_freq=0)) == len(fms.get_bin_seeds(X, 2.0))
    assert fms.get_bin_seeds(X, 2.0, min_bin_freq=10**30).shape == (0, 2)
    assert fms.get_bin_seeds(X, 2.0, min_bin_freq=np.inf).shape == (0, 2)


def test_predict_refuses_tampered_centres():
    model = fms.MeanShift(bandwidth=2).fit(X)
    model.cluster_centers_ = np.array([[np.nan, 0.0]])
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.predict(X)
