"""Mean shift on a Dask cluster, identical to one machine's
(docs/algorithm.md §11)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import dask
import dask.array as da
import numpy as np
from distributed import Client, Future, get_client

from .. import _core
from .._feature_names import check_feature_names
from .._mean_shift import _U64_MAX, _random_state, _threads
from .._mean_shift import MeanShift as _OneMachineMeanShift
from .._validation import (
    ESTIMATE_BANDWIDTH_CONSTRAINTS,
    MEAN_SHIFT_CONSTRAINTS,
    NotFittedError,
    check_array,
    clamped,
    core_layout,
    sklearn_catchable,
    validate_params,
)
from . import _tasks
from ._collections import dask_matrix, dask_weights, storage_is_single

# Tries at a quarter of a second apart: see _ClusterFit.scatter.
_SCATTER_ATTEMPTS = 120

#: Every sample a seed gathers every row (of positive weight) to the client,
#: which tracks their climbs there: a UserWarning when those rows, as float64,
#: could take more than this many bytes (256 MiB: 11 million 3-D rows), as
#: the client then holds a few times that.
SEED_ROWS_WARNING_BYTES = 256 * 2**20

#: ``progress(round, active seeds, seeds, bytes sent, bytes received)``,
#: called on the client after every round of the climb.
RoundReport = Callable[[int, int, int, int, int], object]


def _no_bandwidth_error(owner: str) -> ValueError:
    return ValueError(
        f"fastmeanshift.dask.{owner} needs a bandwidth: the exact estimate over all "
        "samples compares every sample with every other (quadratic in their number). "
        "Estimate it from a sample, exactly as one machine would, with "
        "fastmeanshift.dask.estimate_bandwidth(X, n_samples=...) and pass it as bandwidth=."
    )


def estimate_bandwidth(
    X: Any,
    *,
    quantile: float = 0.3,
    n_samples: int | None = None,
    random_state: Any = 0,
    n_jobs: int | None = None,
) -> np.float64:
    """Estimate the bandwidth of a Dask array or DataFrame from a sample of its rows.

    The same value, bit for bit, as ``fastmeanshift.estimate_bandwidth(X.compute(),
    quantile=quantile, n_samples=n_samples, random_state=random_state)``: the rows
    ``RandomState(random_state).permutation(n)[:n_samples]`` are fetched from the
    workers (every block is validated there as one machine validates X), and the
    estimate over them is computed on the client.

    ``n_samples`` is required: the estimate over all rows is quadratic in their
    number, and a ``ValueError`` says so.

    Parameters
    ----------
    X : dask array or dask DataFrame of shape (n_samples, n_features)
        Input points, rows in chunks of known sizes, features in one chunk.
    quantile : float, default=0.3
        Should be in [0, 1]; 0.5 means the median of all pairwise distances is used.
    n_samples : int
        The number of rows to estimate from.
    random_state : int, RandomState instance or None, default=0
        The generator that selects the rows.
    n_jobs : int, default=None
        Threads for the estimate on the client. The result does not depend on it.

    Returns
    -------
    bandwidth : numpy.float64
    """
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
    matrix, _ = dask_matrix(X, "estimate_bandwidth")
    if n_samples is None:
        raise _no_bandwidth_error("estimate_bandwidth")
    n = matrix.shape[0]
    sample = _random_state(random_state).permutation(n)[:n_samples]
    offsets = np.cumsum((0, *matrix.chunks[0]))
    block_of = np.searchsorted(offsets, sample, side="right") - 1
    blocks = matrix.to_delayed().ravel()
    parts = []
    for b, block in enumerate(blocks):
        local = sample[block_of == b] - offsets[b]
        parts.append(dask.delayed(_tasks.sample_rows, pure=True)(block, local))
    rows = dask.compute(*parts)
    # Back into the order of the sample.
    gathered = np.concatenate(rows)
    order = np.argsort(block_of, kind="stable")
    sampled = np.empty_like(gathered)
    sampled[order] = gathered
    sampled = core_layout(sampled, sampled.dtype.type)
    return np.float64(_core.estimate_bandwidth(sampled, float(quantile), _threads(n_jobs)))


class MeanShift(_OneMachineMeanShift):
    """Mean shift clustering of a Dask array or DataFrame on a Dask cluster.

    The parameters, their validation and the results are those of
    :class:`fastmeanshift.MeanShift`: ``cluster_centers_``, the labels and
    ``n_iter_`` equal, bit for bit, ``fastmeanshift.MeanShift(...).fit(X.compute())``'s
    for every chunking of the rows and every number of workers, with every
    kernel, with and without weights (docs/algorithm.md §11).

    It runs on the current ``distributed.Client``. Every worker indexes its
    chunks of rows once and keeps them for the whole fit; each round of the
    climb sends the active seeds out and gets the combined sums of their
    neighbourhoods back (``dim + 1`` numbers a seed). Seeds, modes and
    ``n_iter_`` are decided on the client, as on one machine: X comes to the
    client only as seeds, so with every sample a seed, every row does.

    Differences from one machine:

    - ``bandwidth`` is required (a ``ValueError`` otherwise): the estimate over
      all samples is quadratic; estimate it from a sample, exactly as one
      machine does, with :func:`fastmeanshift.dask.estimate_bandwidth`.
    - ``labels_`` is a lazy Dask array with X's row chunks, computed by the
      nearest-centre search on the workers; ``predict`` likewise.
    - ``n_jobs`` is the number of threads of each task on a worker.
    - ``cluster_assignment="attractor"`` raises a ``ValueError`` before any
      work: it needs every sample's own climb, tracked on the client; fit
      :class:`fastmeanshift.MeanShift` on one machine for those labels.
    - With ``bin_seeding=False`` and no ``seeds`` (or when binning fails),
      every sample is a seed: every row of positive weight is gathered to the
      client, and its climb tracked there (``n_samples x n_features``
      float64 numbers, a few times over), with a ``UserWarning`` when the rows
      could take more than ``SEED_ROWS_WARNING_BYTES`` (256 MiB). Use
      ``bin_seeding=True`` for large data.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from distributed import Client, LocalCluster
    >>> from fastmeanshift.dask import MeanShift
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=False))
    >>> X = da.from_array(np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]]), chunks=(2, 2))
    >>> model = MeanShift(bandwidth=2).fit(X)
    >>> model.cluster_centers_
    array([[3.33333333, 6.        ],
           [1.33333333, 0.66666667]])
    >>> model.labels_.compute()
    array([1, 1, 1, 0, 0, 0])
    >>> client.close()
    """

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MeanShift:
        """Perform clustering on the cluster of the current ``distributed.Client``.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n_samples, n_features)
            Samples to cluster: rows in chunks of known sizes (a DataFrame's
            partitions are counted), features in one chunk.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : dask array or Series of shape (n_samples,), array-like, float or None
            Weight of each sample, as in :meth:`fastmeanshift.MeanShift.fit`;
            rechunked to X's row chunks if its chunks differ.

        Returns
        -------
        self : MeanShift
            With ``cluster_centers_`` and ``n_iter_`` (NumPy values), ``labels_``
            (a lazy Dask array), ``n_features_in_``.
        """
        return self._fit_on_cluster(X, sample_weight)

    def _fit_on_cluster(
        self, X: Any, sample_weight: Any = None, progress: RoundReport | None = None
    ) -> MeanShift:
        """``fit``, with ``progress`` called after every round of the climb."""
        validate_params(
            MEAN_SHIFT_CONSTRAINTS,
            type(self).__name__,
            {name: getattr(self, name) for name in MEAN_SHIFT_CONSTRAINTS},
        )
        if self.cluster_assignment == "attractor":
            raise ValueError(
                "cluster_assignment='attractor' is not available on a Dask cluster: its labels "
                "need every sample's own climb, which the cluster would track on the client. "
                "Use cluster_assignment='nearest' here, or fit fastmeanshift.MeanShift("
                "cluster_assignment='attractor') on one machine with X.compute()."
            )
        matrix, names = dask_matrix(X, "MeanShift")
        weights = dask_weights(sample_weight, matrix)
        if self.bandwidth is None:
            raise _no_bandwidth_error("MeanShift")
        given_seeds = None
        if self.seeds is not None:
            seeds = self.seeds.compute() if isinstance(self.seeds, da.Array) else self.seeds
            given_seeds = check_array(seeds, "NearestNeighbors", min_samples=0)
            given_seeds = given_seeds.astype(np.float64, copy=False)
            if given_seeds.shape[1] != matrix.shape[1]:
                raise ValueError(
                    f"X has {given_seeds.shape[1]} features, but NearestNeighbors is expecting "
                    f"{matrix.shape[1]} features as input."
                )
            if len(given_seeds) == 0:
                raise ValueError(_no_seeds_message())
        client = get_client()
        fit = _ClusterFit(client, self, matrix, weights, progress)
        try:
            centers, n_iter = fit.run(given_seeds)
        finally:
            fit.release()
        single = storage_is_single(matrix)
        self.cluster_centers_ = centers
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = matrix.shape[1]
        self.labels_ = _labels(  # type: ignore[assignment]  # lazy, unlike one machine's
            matrix,
            centers,
            single,
            None if self.cluster_all else float(self.bandwidth),
            _threads(self.n_jobs),
        )
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def predict(self, X: Any) -> da.Array:  # type: ignore[override]
        """The nearest cluster centre of every row of a Dask array or
        DataFrame, as a lazy Dask array with X's row chunks (lowest index on
        ties; never -1).

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n_samples, n_features)
            New data to predict.

        Returns
        -------
        labels : dask array of shape (n_samples,)
        """
        if not hasattr(self, "cluster_centers_"):
            raise sklearn_catchable(
                NotFittedError,
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator.",
            )
        check_feature_names(self, X)
        matrix, _ = dask_matrix(X, type(self).__name__)
        if matrix.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {matrix.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return _labels(
            matrix,
            np.asarray(self.cluster_centers_),
            storage_is_single(matrix),
            None,
            _threads(self.n_jobs),
        )

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> da.Array:  # type: ignore[override]
        """``fit(X, sample_weight=sample_weight).labels_``: a lazy Dask array.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n_samples, n_features)
            Samples to cluster.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : dask array or Series, array-like, float or None
            Weight of each sample, see :meth:`fit`.

        Returns
        -------
        labels : dask array of shape (n_samples,)
        """
        fitted: Any = self.fit(X, sample_weight=sample_weight)
        labels: da.Array = fitted.labels_
        return labels


def _no_seeds_message() -> str:
    # The core's NoSeeds error, raised by the core for the other seedings.
    try:
        _core.merge_bin_seeds([np.empty((0, 3))], 1, 1.0, False, 1, 1, None)
    except ValueError as error:
        return str(error)
    raise AssertionError("no bins must mean no seeds")  # pragma: no cover


def _labels(
    matrix: da.Array,
    centers: np.ndarray,
    single: bool,
    orphan_bandwidth: float | None,
    n_jobs: int | None,
) -> da.Array:
    """The labels of X's rows, lazily, block by block."""
    blocks: Any = matrix  # dask's map_blocks is typed for its decorator's use
    labels: da.Array = blocks.map_blocks(
        _tasks.block_labels,
        centers=core_layout(centers, np.float64),
        single=single,
        orphan_bandwidth=orphan_bandwidth,
        n_jobs=n_jobs,
        dtype=np.int64,
        drop_axis=1,
        meta=np.empty((0,), dtype=np.int64),
    )
    return labels


class _ClusterFit:
    """One fit's work on the cluster: its chunks (futures kept on the workers
    for the whole fit), the seeds, the rounds of the climb."""

    def __init__(
        self,
        client: Client,
        model: MeanShift,
        matrix: da.Array,
        weights: da.Array | None,
        progress: RoundReport | None,
    ) -> None:
        self.client = client
        self.matrix = matrix
        self.weighted = weights is not None
        self.kernel = str(model.kernel)
        self.bandwidth = float(model.bandwidth)  # type: ignore[arg-type]
        self.single = storage_is_single(matrix)
        self.bin_seeding = bool(model.bin_seeding)
        self.min_bin_freq = clamped(model.min_bin_freq, 1, _U64_MAX)
        # NumPy multiplies float32 by a Python number or a float32 scalar in float32.
        self.single_bin_size = bool(np.result_type(np.float32, model.bandwidth) == np.float32)
        self.max_iter = clamped(model.max_iter, 0, _U64_MAX)
        self.n_jobs = _threads(model.n_jobs)
        self.progress = progress
        self.futures: list[Future] = []
        x_blocks = matrix.to_delayed().ravel()
        w_blocks: Sequence[Any] = (
            [None] * len(x_blocks) if weights is None else weights.to_delayed().ravel()
        )
        # Keys of this fit's own (pure=False): the same data fitted again
        # right after would otherwise ask for the keys the last fit's release
        # is still cancelling, and get cancelled futures.
        build = dask.delayed(_tasks.build_chunk, pure=False)
        # Every chunk is built once, where Dask puts it, and stays there: the
        # rounds' tasks go to the chunk (its size, which Dask weighs, is far
        # above theirs). A chunk lost with its worker is rebuilt from its graph.
        self.chunks: list[Future] = client.compute(
            [
                build(x, w, self.kernel, self.n_jobs)
                for x, w, size in zip(x_blocks, w_blocks, matrix.chunks[0])
                if size > 0
            ]
        )
        self.futures.extend(self.chunks)

    def release(self) -> None:
        """Forgets every future of the fit (cancelling what still runs)."""
        self.client.cancel(self.futures)
        self.futures.clear()

    def gather(self, futures: list[Future]) -> list[Any]:
        self.futures.extend(futures)
        try:
            return list(self.client.gather(futures))
        finally:
            self.client.cancel(futures)

    def submit_to_chunks(self, function: Callable[..., Any], *args: Any) -> list[Future]:
        """``function(chunk, *args)`` for every chunk, in chunk order, each
        run where its chunk is: a task with a worker named is never stolen
        by an idle worker (which would copy the chunk over); it runs
        elsewhere only if that worker is gone."""
        holders = self.client.who_has(self.chunks)
        futures = []
        for chunk in self.chunks:
            where = list(holders.get(chunk.key, ()))
            placed = {"workers": where, "allow_other_workers": True} if where else {}
            futures.append(self.client.submit(function, chunk, *args, pure=False, **placed))
        return futures

    def map_chunks(self, function: Callable[..., Any], *args: Any) -> list[Any]:
        """``function(chunk, *args)`` for every chunk, in chunk order, gathered."""
        return self.gather(self.submit_to_chunks(function, *args))

    def run(self, given_seeds: np.ndarray | None) -> tuple[np.ndarray, int]:
        """The cluster centres and ``n_iter_`` (docs/algorithm.md §11.1)."""
        seeds = given_seeds if given_seeds is not None else self.seeds()
        # Copies climb once, as on one machine (-0.0 and 0.0 alike).
        _, first, inverse = np.unique(seeds + 0.0, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        positions, intensities, iterations = self.climb(np.ascontiguousarray(seeds[first]))
        storage = np.float32 if self.single else np.float64
        centers = np.ascontiguousarray(positions[inverse].astype(storage))
        modes = _core.find_modes(centers, intensities[inverse], self.bandwidth)
        return modes, int(iterations.max())

    def seeds(self) -> np.ndarray:
        """The seeds of bin seeding, or every row of positive weight, in row
        order (docs/algorithm.md §2.2, §11.3)."""
        if self.bin_seeding:
            parts = self.map_chunks(_tasks.chunk_bins, self.bandwidth, self.single_bin_size)
            total = None
            if self.weighted:
                total = _core.compensated_total(self.map_chunks(_tasks.weight_sum))
            bins = _core.merge_bin_seeds(
                [core_layout(part, np.float64) for part in parts],
                self.matrix.shape[1],
                self.bandwidth,
                self.single_bin_size,
                self.min_bin_freq,
                self.matrix.shape[0],
                total,
            )
            if bins is not None:
                return bins
            warnings.warn(
                f"Binning data failed with provided bin_size={self.bandwidth:f}, "
                "using data points as seeds.",
                stacklevel=4,
            )
        n_samples, n_features = self.matrix.shape
        if n_samples * n_features * 8 > SEED_ROWS_WARNING_BYTES:
            warnings.warn(
                f"Every sample is a seed: up to {n_samples} rows of {n_features} features "
                f"({n_samples * n_features * 8 / 2**20:.0f} MiB) are gathered to the client, "
                "which tracks their climbs; use bin_seeding=True for large data.",
                UserWarning,
                stacklevel=4,
            )
        rows = self.map_chunks(_tasks.seed_rows)
        return np.concatenate(rows).astype(np.float64)

    def climb(self, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every seed's climb (docs/algorithm.md §2.3), a round per step:
        final positions, intensities (0: dropped) and iterations."""
        positions = seeds.copy()
        count = len(seeds)
        intensities = np.zeros(count)
        iterations = np.zeros(count, dtype=np.uint64)
        active = np.arange(count)
        threshold = 1e-3 * self.bandwidth
        max_iter = np.uint64(self.max_iter)
        round_number = 0
        while active.size:
            sent = np.ascontiguousarray(positions[active])
            means, weights = self.step(sent)
            round_number += 1
            dropped = weights == 0.0
            moved = ~dropped
            # The shift, summed over the coordinates in order as one machine does.
            with np.errstate(invalid="ignore", over="ignore"):
                shift2 = np.zeros(active.size)
                for j in range(sent.shape[1]):
                    step = means[:, j] - sent[:, j]
                    shift2 = shift2 + step * step
                overflowed = ~np.isfinite(means).all(axis=1)
                converged = np.sqrt(shift2) <= threshold
            positions[active[moved]] = means[moved]
            stopped = moved & (overflowed | converged | (iterations[active] == max_iter))
            intensities[active[stopped]] = weights[stopped]
            finished = dropped | stopped
            iterations[active[~finished]] += np.uint64(1)
            if self.progress is not None:
                self.progress(
                    round_number,
                    int(active.size),
                    count,
                    sent.nbytes,
                    means.nbytes + weights.nbytes,
                )
            active = active[~finished]
        return positions, intensities, iterations

    def scatter(self, data: np.ndarray) -> Future:
        """``data`` on a worker. A worker that has died since the scheduler last
        heard from it refuses the connection: the scheduler soon learns of the
        death, so ask again (for up to half a minute) rather than fail a fit
        that Dask's recomputation of the lost chunks would otherwise carry."""
        for _ in range(_SCATTER_ATTEMPTS - 1):
            try:
                [future] = self.client.scatter([data], hash=False)
                return future
            except OSError:  # distributed's CommClosedError among them
                time.sleep(0.25)
        [future] = self.client.scatter([data], hash=False)
        return future

    def step(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rounded means and intensities of the neighbourhoods of
        ``positions``: each chunk's partial sums, combined on a worker."""
        scattered = self.scatter(positions)
        parts = self.submit_to_chunks(_tasks.partial_sums, scattered, self.bandwidth, self.n_jobs)
        combined = self.client.submit(
            _tasks.combine, parts, self.single, self.weighted, self.kernel, pure=False
        )
        [(means, weights)] = self.gather([combined])
        self.client.cancel([scattered, *parts])
        return means, weights
