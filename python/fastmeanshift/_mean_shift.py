"""scikit-learn's mean shift API on the Rust core."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np

from . import _core
from ._estimator_protocol import ClusterEstimator
from ._feature_names import check_feature_names, feature_names
from ._validation import (
    ESTIMATE_BANDWIDTH_CONSTRAINTS,
    GET_BIN_SEEDS_CONSTRAINTS,
    MEAN_SHIFT_CONSTRAINTS,
    NotFittedError,
    check_array,
    check_sample_weight,
    clamped,
    core_layout,
    is_sparse,
    own_float_type,
    reject,
    sklearn_catchable,
    validate_params,
)

# The core's integer types: u64 iteration counts, i64 n_jobs.
_U64_MAX = 2**64 - 1
_I64_MAX = 2**63 - 1


def _random_state(seed: Any) -> np.random.RandomState:
    """scikit-learn's ``check_random_state``: the legacy generator, so subsamples match."""
    if seed is None:
        return np.random.mtrand._rand
    if isinstance(seed, Integral):
        return np.random.RandomState(int(seed))
    return seed  # a RandomState, as validated


def estimate_bandwidth(
    X: Any,
    *,
    quantile: float = 0.3,
    n_samples: int | None = None,
    random_state: Any = 0,
    n_jobs: int | None = None,
) -> np.float64:
    """Estimate the bandwidth to use with the mean shift algorithm.

    The mean, over the samples, of the distance from each sample to its k-th
    nearest sample, ``k = max(1, int(n_samples * quantile))``, each sample
    counting as its own nearest; sample weights play no part in it (a
    weighted fit estimates its bandwidth so too). The same value as
    ``sklearn.cluster.estimate_bandwidth``, found by exact selection instead of
    a neighbour heap, so much faster.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Input points.
    quantile : float, default=0.3
        Should be in [0, 1]; 0.5 means the median of all pairwise distances is used.
    n_samples : int, default=None
        The number of samples to use. If None, all samples are used; otherwise
        they are drawn by ``RandomState(random_state).permutation``, exactly as
        scikit-learn draws them.
    random_state : int, RandomState instance or None, default=0
        The generator that selects the samples when ``n_samples`` is given.
    n_jobs : int, default=None
        Threads for the neighbour search: None means 1, -1 all cores. The
        result does not depend on it.

    Returns
    -------
    bandwidth : numpy.float64
        The bandwidth parameter, float64 for any input dtype.

    See Also
    --------
    MeanShift : Mean shift clustering, which estimates its bandwidth this way
        when none is given.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmeanshift import estimate_bandwidth
    >>> X = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
    >>> round(float(estimate_bandwidth(X, quantile=0.5)), 4)
    1.6191
    """
    if is_sparse(X):
        raise reject("X", "estimate_bandwidth", "an array-like", X)
    validate_params(
        ESTIMATE_BANDWIDTH_CONSTRAINTS,
        "estimate_bandwidth",
        {
            "quantile": quantile,
            "n_samples": n_samples,
            "random_state": random_state,
            "n_jobs": n_jobs,
        },
    )
    array = check_array(X, "estimate_bandwidth", dates=True)
    rng = _random_state(random_state)
    if n_samples is not None:
        array = np.ascontiguousarray(array[rng.permutation(array.shape[0])[:n_samples]])
    return np.float64(_core.estimate_bandwidth(array, float(quantile), _threads(n_jobs)))


def _threads(n_jobs: int | None) -> int | None:
    """A validated ``n_jobs`` within the core's i64 (every count beyond means "many")."""
    return None if n_jobs is None else clamped(n_jobs, -_I64_MAX, _I64_MAX)


def get_bin_seeds(X: Any, bin_size: float, min_bin_freq: int = 1) -> Any:
    """Find seeds for mean shift at the occupied cells of a grid.

    Each sample falls in the grid cell ``round(x / bin_size)`` (rounding half
    to even, as NumPy). The seeds are the cells holding at least
    ``min_bin_freq`` samples, in order of first appearance, as float32 grid
    coordinates times ``bin_size``, exactly as scikit-learn computes them.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Input points, the same points that will be used in mean shift.
    bin_size : float
        The spacing of the grid; a smaller spacing gives more seeds. 0 returns
        ``X`` itself.
    min_bin_freq : int, default=1
        Only cells with at least this many samples give a seed.

    Returns
    -------
    bin_seeds : ndarray of shape (n_seeds, n_features)
        The seeds: float32 for a Python float ``bin_size``, float64 for a
        float64 scalar one. ``X`` itself, with a warning, when every sample
        has a cell of its own.

    See Also
    --------
    MeanShift : Mean shift clustering; ``bin_seeding=True`` seeds it this way.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmeanshift import get_bin_seeds
    >>> X = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
    >>> get_bin_seeds(X, 2.0)
    array([[0., 0.],
           [2., 0.],
           [4., 8.],
           [4., 4.],
           [4., 6.]], dtype=float32)
    >>> get_bin_seeds(X, 2.0, min_bin_freq=2)
    array([[0., 0.]], dtype=float32)
    """
    validate_params(GET_BIN_SEEDS_CONSTRAINTS, "get_bin_seeds", {"bin_size": bin_size})
    if bin_size == 0:
        return X
    if not isinstance(min_bin_freq, Real) or math.isnan(min_bin_freq):
        raise reject("min_bin_freq", "get_bin_seeds", "a number", min_bin_freq)
    array = check_array(X, "get_bin_seeds")
    seeds = _bin_seeds(array, bin_size, min_bin_freq, original=_in_own_float_type(X))
    return X if seeds is None else seeds


def _in_own_float_type(X: Any) -> np.ndarray | None:
    """``X`` as a NumPy array when its float type is one the core lacks
    (float16, longdouble), which scikit-learn divides in; else None."""
    source = own_float_type(X)
    return None if source is None else np.asarray(X, dtype=source)


def _bin_seeds(
    array: np.ndarray,
    bin_size: Any,
    min_bin_freq: float,
    n_jobs: int | None = None,
    original: np.ndarray | None = None,
) -> np.ndarray | None:
    """Bin seeds of an already validated array; None, with scikit-learn's warning,
    when every sample has a cell of its own (the samples are then the seeds).
    ``original``: the samples in their own float16 or longdouble type, which
    NumPy divides in, as scikit-learn does."""
    least = clamped(math.ceil(min(max(min_bin_freq, 0), _U64_MAX)), 0, _U64_MAX)
    if original is not None:
        # The grid cells, rounded in that type (and by NumPy, half to even as
        # the core rounds), are binned as they are: integers or infinities,
        # which a cell size of 1 leaves unchanged.
        with np.errstate(over="ignore"):
            cells = np.round(original / bin_size)
        bins = _core.bin_seeds(core_layout(cells, np.float64), 1.0, False, least, n_jobs)
    else:
        # NumPy divides a float32 row by a Python float in float32, by a float64 scalar in float64.
        single = array.dtype == np.float32 and np.result_type(np.float32, bin_size) == np.float32
        bins = _core.bin_seeds(array, float(bin_size), bool(single), least, n_jobs)
    if len(bins) == len(array):
        warnings.warn(
            f"Binning data failed with provided bin_size={bin_size:f}, using data points as seeds.",
            stacklevel=2,
        )
        return None
    # Cells beyond the float32 range (or at an infinite bin size) make seeds
    # that are no finite numbers: returned as scikit-learn returns them, and a
    # fit says what happened.
    with np.errstate(over="ignore", invalid="ignore"):
        return bins * bin_size


def mean_shift(
    X: Any,
    *,
    bandwidth: float | None = None,
    seeds: Any = None,
    bin_seeding: bool = False,
    min_bin_freq: int = 1,
    cluster_all: bool = True,
    max_iter: int = 300,
    n_jobs: int | None = None,
    kernel: str = "flat",
    sample_weight: Any = None,
    cluster_assignment: str = "nearest",
) -> tuple[np.ndarray, np.ndarray]:
    """Perform mean shift clustering of data.

    With the default flat kernel and no weights, the same clustering as
    ``sklearn.cluster.mean_shift``; equivalent to
    ``MeanShift(...).fit(X, sample_weight=sample_weight)``, see
    :class:`MeanShift`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Input data.
    bandwidth : float, default=None
        Kernel bandwidth. If None, it is estimated with
        ``estimate_bandwidth(X, n_jobs=n_jobs)``.
    seeds : array-like of shape (n_seeds, n_features) or None
        Points where the climbs start. If None and ``bin_seeding`` is False,
        every sample is a seed.
    bin_seeding : bool, default=False
        If True, seed from the cells of a grid of spacing ``bandwidth``
        (see :func:`get_bin_seeds`): fewer seeds, a faster fit.
    min_bin_freq : int, default=1
        With ``bin_seeding``, only cells with at least this many samples seed.
    cluster_all : bool, default=True
        If True, every sample gets the label of its nearest center. If False,
        samples farther than ``bandwidth`` from every center get label -1.
    max_iter : int, default=300
        Maximum number of iterations per seed.
    n_jobs : int, default=None
        Threads for the computation: None means 1, -1 all cores. The result
        does not depend on it.
    kernel : {"flat", "epanechnikov", "gaussian"}, default="flat"
        How each climb weighs the samples around it, see :class:`MeanShift`.
    sample_weight : array-like of shape (n_samples,), float or None, default=None
        Weight of each sample (finite, >= 0, not all 0); None weighs every
        sample 1.
    cluster_assignment : {"nearest", "attractor"}, default="nearest"
        What labels a sample: its nearest center, or the center nearest to
        where its own climb ends, see :class:`MeanShift`.

    Returns
    -------
    cluster_centers : ndarray of shape (n_clusters, n_features)
        Coordinates of the cluster centers, most populous first.
    labels : ndarray of shape (n_samples,)
        Cluster label of each sample.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmeanshift import mean_shift
    >>> X = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
    >>> cluster_centers, labels = mean_shift(X, bandwidth=2)
    >>> cluster_centers
    array([[3.33333333, 6.        ],
           [1.33333333, 0.66666667]])
    >>> labels
    array([1, 1, 1, 0, 0, 0])

    A weight of 3 counts a sample as three copies of it:

    >>> centers, labels = mean_shift(X, bandwidth=2, sample_weight=[3, 1, 1, 1, 1, 1])
    >>> centers
    array([[1.2       , 0.8       ],
           [3.33333333, 6.        ]])
    >>> labels
    array([0, 0, 0, 1, 1, 1])
    """
    params: dict[str, Any] = {
        "bandwidth": bandwidth,
        "bin_seeding": bin_seeding,
        "min_bin_freq": min_bin_freq,
        "cluster_all": cluster_all,
        "max_iter": max_iter,
        "n_jobs": n_jobs,
        "kernel": kernel,
        "cluster_assignment": cluster_assignment,
    }
    validate_params(MEAN_SHIFT_CONSTRAINTS, "mean_shift", params)
    model = MeanShift(seeds=seeds, **params).fit(X, sample_weight=sample_weight)
    return model.cluster_centers_, model.labels_


class _ClimbsOn(NamedTuple):
    """What an attractor model's ``predict`` climbs on: the training samples
    as the fit read them, their weights (None: every sample weighs 1) and
    the bandwidth the fit used."""

    X: np.ndarray
    sample_weight: np.ndarray | None
    bandwidth: float


class MeanShift(ClusterEstimator):
    """Mean shift clustering using a flat, Epanechnikov or Gaussian kernel.

    A drop-in replacement for ``sklearn.cluster.MeanShift``: the same
    parameters, fitted attributes and clustering (the same labels in the same
    order, the same ``n_iter_``, centers equal to rounding), computed by an
    exact parallel Rust core. Each seed climbs to the mean of the samples
    within ``bandwidth`` of it until it stops moving; climbs that end within
    ``bandwidth`` of a more populous one are dropped; each sample is labelled
    with its nearest remaining center.

    Beyond scikit-learn, the mean can weigh the samples by a kernel and by
    sample weights: from ``y``, the next position is
    ``sum(w_i k(u_i) x_i) / sum(w_i k(u_i))`` over the samples in the
    kernel's support, with ``u_i = ||x_i - y||**2 / bandwidth**2`` and
    ``w_i`` the sample weight. A climb's intensity (which orders the centers)
    is ``sum(w_i k(u_i))`` over its last neighbourhood. Samples of weight 0
    never seed a climb but are labelled like any other; integer weights give
    the clustering of the data with each sample repeated that many times.

    Parameters
    ----------
    bandwidth : float, default=None
        Bandwidth of the kernel: the radius of the flat and Epanechnikov
        kernels, the standard deviation of the Gaussian. If None, it is
        estimated with :func:`estimate_bandwidth` on all samples.
    seeds : array-like of shape (n_seeds, n_features), default=None
        Points where the climbs start. If None and ``bin_seeding`` is False,
        every sample is a seed.
    bin_seeding : bool, default=False
        If True, seed from the cells of a grid of spacing ``bandwidth``
        (see :func:`get_bin_seeds`): fewer seeds, a faster fit.
    min_bin_freq : int, default=1
        With ``bin_seeding``, only cells with at least this many samples seed.
    cluster_all : bool, default=True
        If True, every sample gets the label of its nearest center. If False,
        samples farther than ``bandwidth`` from every center get label -1.
    n_jobs : int, default=None
        Threads for ``fit`` and ``predict``: None means 1, -1 all cores, -2 all
        but one. They run for the call only, and the result does not depend
        on their number.
    max_iter : int, default=300
        Maximum number of iterations per seed.
    kernel : {"flat", "epanechnikov", "gaussian"}, default="flat"
        The profile ``k(u)`` each sample is weighed with:

        - ``"flat"``: 1 for ``u <= 1`` (scikit-learn's kernel, exactly its
          results);
        - ``"epanechnikov"``: ``1 - u`` for ``u <= 1``;
        - ``"gaussian"``: ``exp(-u / 2)`` for ``u <= 9``: truncated at three
          bandwidths (samples farther away weigh nothing), so ``bandwidth``
          is the Gaussian's standard deviation.

        Centers closer than ``bandwidth`` are merged, and ``cluster_all=False``
        orphans samples farther than ``bandwidth`` from every center, for
        every kernel.
    cluster_assignment : {"nearest", "attractor"}, default="nearest"
        What labels a sample (``labels_``, ``predict``):

        - ``"nearest"``: its nearest center (scikit-learn's labels);
        - ``"attractor"``: the center nearest to where the sample's own climb
          ends, its basin of attraction (Comaniciu & Meer 2002). Every
          sample of positive weight climbs from itself as a seed there would,
          with the same kernel, weights, bandwidth and ``max_iter``; samples
          at the same position climb once, and where every sample is a seed
          these are the seeds' climbs. A sample of weight 0, or whose first
          neighbourhood weighs nothing, is labelled from its own position.
          With ``cluster_all=False``, -1 where that center is farther than
          ``bandwidth``. The centers and ``n_iter_`` are those of
          ``"nearest"``, bit for bit; with ``bin_seeding`` the fit costs about
          one with every sample a seed. ``predict`` climbs each new sample on
          the training samples, so the fitted model keeps them (see
          Notes).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the cluster centers, most populous first; of X's type
        for float32, float16 and longdouble data, float64 otherwise.
    labels_ : ndarray of shape (n_samples,)
        Label of each sample (int64).
    n_iter_ : int
        Maximum number of iterations performed on each seed.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``; defined only when ``X``
        has string feature names (a pandas DataFrame).

    Notes
    -----
    With ``cluster_assignment="attractor"`` the fitted model keeps the
    training samples (as the float32 or float64 array the fit read: the
    caller's own array, not a copy, where it already was one, so changing it
    afterwards changes what ``predict`` climbs on) and their weights, for
    ``predict``; they are pickled with it. ``"nearest"`` keeps only the
    centers.

    See Also
    --------
    mean_shift : The same clustering as a function.
    estimate_bandwidth : The bandwidth used when none is given.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmeanshift import MeanShift
    >>> X = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
    >>> clustering = MeanShift(bandwidth=2).fit(X)
    >>> clustering.labels_
    array([1, 1, 1, 0, 0, 0])
    >>> clustering.predict([[0, 0], [5, 5]])
    array([1, 0])
    >>> clustering
    MeanShift(bandwidth=2)

    A Gaussian kernel, and sample weights:

    >>> model = MeanShift(bandwidth=1, kernel="gaussian").fit(X, sample_weight=[1, 1, 1, 1, 0, 4])
    >>> model.labels_
    array([1, 1, 1, 0, 0, 0])
    >>> model.cluster_centers_.round(3)
    array([[3.101, 6.101],
           [1.312, 0.688]])

    Labels by where each sample's climb ends: [3, 0] climbs into the long
    cluster on the left, though it lies nearer the compact one's center.

    >>> X = np.array([[0, 0], [0.5, 0], [1, 0], [1.5, 0], [2, 0], [2.5, 0], [3, 0],
    ...               [4.3, 0], [4.5, 0], [4.6, 0], [4.7, 0]])
    >>> MeanShift(bandwidth=1.5).fit(X).labels_
    array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    >>> MeanShift(bandwidth=1.5, cluster_assignment="attractor").fit(X).labels_
    array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    """

    def __init__(
        self,
        *,
        bandwidth: float | None = None,
        seeds: Any = None,
        bin_seeding: bool = False,
        min_bin_freq: int = 1,
        cluster_all: bool = True,
        n_jobs: int | None = None,
        max_iter: int = 300,
        kernel: str = "flat",
        cluster_assignment: str = "nearest",
    ) -> None:
        self.bandwidth = bandwidth
        self.seeds = seeds
        self.bin_seeding = bin_seeding
        self.min_bin_freq = min_bin_freq
        self.cluster_all = cluster_all
        self.n_jobs = n_jobs
        self.max_iter = max_iter
        self.kernel = kernel
        self.cluster_assignment = cluster_assignment

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MeanShift:
        """Perform clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to cluster.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), float or None, default=None
            Weight of each sample: finite, >= 0, not all 0 (a number weighs
            every sample so). None weighs every sample 1. Samples of weight 0
            seed no climb; with ``bin_seeding``, a cell's frequency is the sum
            of its samples' weights. The estimated bandwidth ignores them.

        Returns
        -------
        self : MeanShift
            The fitted estimator, with ``cluster_centers_``, ``labels_``,
            ``n_iter_`` and ``n_features_in_`` set.

        Examples
        --------
        >>> import numpy as np
        >>> from fastmeanshift import MeanShift
        >>> X = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
        >>> model = MeanShift(bandwidth=2).fit(X)
        >>> model.cluster_centers_
        array([[3.33333333, 6.        ],
               [1.33333333, 0.66666667]])
        >>> model.n_iter_
        2
        >>> MeanShift(bandwidth=2).fit(X, sample_weight=[0, 1, 1, 1, 1, 1]).cluster_centers_
        array([[3.33333333, 6.        ],
               [1.5       , 0.5       ]])
        """
        return self._fit(X, sample_weight)

    def _fit(
        self,
        X: Any,
        sample_weight: Any = None,
        estimate: float | None = None,
        progress: Callable[[int, int], object] | None = None,
    ) -> MeanShift:
        """``fit``, for the command line. With ``bandwidth=None``, ``estimate``
        (if not None) stands for the bandwidth estimate (the command line
        estimates at its own quantile first); an estimate, unlike a bandwidth
        given, may be infinite (distances beyond the float64 range): every
        point is then within it, as in scikit-learn. ``progress``, if given,
        is called on this thread with ``(seeds climbed, seeds)`` at most
        every 0.1 s and once at the end."""
        validate_params(
            MEAN_SHIFT_CONSTRAINTS,
            type(self).__name__,
            {name: getattr(self, name) for name in MEAN_SHIFT_CONSTRAINTS},
        )
        names = feature_names(X)
        array = check_array(X, "MeanShift")
        original = _in_own_float_type(X)
        weights = None if sample_weight is None else check_sample_weight(sample_weight, len(array))
        seeds = None  # every sample, or the bins of bin_seeding
        if self.seeds is not None:
            # No seeds at all is the core's error, clearer than a minimum of samples.
            seeds = check_array(self.seeds, "NearestNeighbors", min_samples=0)
            seeds = seeds.astype(np.float64, copy=False)
            if seeds.shape[1] != array.shape[1]:
                raise ValueError(
                    f"X has {seeds.shape[1]} features, but NearestNeighbors is expecting "
                    f"{array.shape[1]} features as input."
                )
        bin_seeding = bool(self.bin_seeding)
        if original is not None and bin_seeding and self.bandwidth is not None and weights is None:
            # float16 and longdouble samples are binned in their own type, by
            # NumPy, as scikit-learn bins them; the core then climbs from them.
            # (Weighted bins are the core's, which divides in float64.)
            binned = _bin_seeds(array, self.bandwidth, self.min_bin_freq, None, original)
            if binned is not None and not np.isfinite(binned).all():
                # The core's BinSeedOverflow, for seeds binned here.
                raise ValueError(
                    f"Bin seeding overflowed at bandwidth={self.bandwidth}: for some samples the "
                    "grid cell round(X / bandwidth), stored as float32 as scikit-learn stores "
                    "it, times the bandwidth, is not a finite number. Give a larger bandwidth, "
                    "or rescale X."
                )
            if binned is not None:
                seeds = core_layout(binned.reshape(-1, array.shape[1]), np.float64)
            bin_seeding = False
        bandwidth = self.bandwidth if self.bandwidth is not None else estimate
        options: _core.FitOptions = {
            "bandwidth": None if bandwidth is None else float(bandwidth),
            "quantile": 0.3,
            "seeds": seeds,
            "bin_seeding": bin_seeding,
            "min_bin_freq": clamped(self.min_bin_freq, 1, _U64_MAX),
            # NumPy multiplies float32 by a Python number or a float32 scalar in
            # float32; an estimate is a float64 scalar.
            "bandwidth_is_single": self.bandwidth is not None
            and np.result_type(np.float32, self.bandwidth) == np.float32,
            "max_iter": clamped(self.max_iter, 0, _U64_MAX),
            "cluster_all": bool(self.cluster_all),
            "n_jobs": _threads(self.n_jobs),
            "kernel": str(self.kernel),
            "sample_weight": weights,
            "cluster_assignment": str(self.cluster_assignment),
        }
        centers, labels, n_iter, bandwidth, binning_failed = _core.fit(
            array, options, progress=progress
        )
        if binning_failed:
            warnings.warn(
                f"Binning data failed with provided bin_size={bandwidth:f}, "
                "using data points as seeds.",
                stacklevel=3,
            )
        if original is not None:
            # scikit-learn's centres keep a float16 or longdouble type; they
            # are computed in float64 here (docs/user_guide/known_limits.md).
            centers = centers.astype(original.dtype)
        self.cluster_centers_ = centers
        self.labels_ = labels
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = array.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        # What predict climbs on (class Notes): the array read, not a copy.
        self._climbs_on = (
            _ClimbsOn(array, weights, float(bandwidth))
            if self.cluster_assignment == "attractor"
            else None
        )
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict the closest cluster each sample in X belongs to.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data to predict.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the nearest cluster center of each sample (lowest index
            on ties); never -1, whatever ``cluster_all``. With
            ``cluster_assignment="attractor"``, each sample climbs on the
            training samples as a seed there would, and takes the center
            nearest to where it ends, by the rule of ``labels_`` (-1 with
            ``cluster_all=False`` where that center is farther than the
            bandwidth).

        Examples
        --------
        >>> import numpy as np
        >>> from fastmeanshift import MeanShift
        >>> X = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
        >>> MeanShift(bandwidth=2).fit(X).predict([[0, 0], [5, 5]])
        array([1, 0])
        """
        if not hasattr(self, "cluster_centers_"):
            raise sklearn_catchable(
                NotFittedError,
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator.",
            )
        check_feature_names(self, X)
        array = check_array(X, type(self).__name__, dates=True)
        if array.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {array.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        centers = core_layout(self.cluster_centers_, np.float64)
        climbs_on = getattr(self, "_climbs_on", None)
        if climbs_on is None:
            return _core.predict(array, centers, _threads(self.n_jobs))
        return _core.predict_attractor(
            climbs_on.X,
            climbs_on.sample_weight,
            core_layout(array, np.float64),
            centers,
            str(self.kernel),
            climbs_on.bandwidth,
            clamped(self.max_iter, 0, _U64_MAX),
            None if self.cluster_all else climbs_on.bandwidth,
            _threads(self.n_jobs),
        )

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Perform clustering on X and return cluster labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to cluster.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), float or None, default=None
            Weight of each sample, see :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster labels, as ``fit(X, sample_weight=sample_weight).labels_``.

        Examples
        --------
        >>> import numpy as np
        >>> from fastmeanshift import MeanShift
        >>> X = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
        >>> MeanShift(bandwidth=2).fit_predict(X)
        array([1, 1, 1, 0, 0, 0])
        """
        return self.fit(X, sample_weight=sample_weight).labels_
