"""fastmeanshift.dask on a LocalCluster of two worker processes: bit for bit
one machine's results for every chunking, kernel and weighting
(docs/algorithm.md §11), the same errors, a worker killed mid-fit, Ctrl-C."""

from __future__ import annotations

import os
import signal
import warnings

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastmeanshift
from fastmeanshift import InvalidParameterError
from fastmeanshift.dask import MeanShift, estimate_bandwidth

from datasets import bandwidths, datasets

KERNELS = ["flat", "epanechnikov", "gaussian"]


def outcome(fit):
    """A fit's centres, labels and n_iter_, or its exception's class and message."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = fit()
        labels = model.labels_
        if isinstance(labels, da.Array):
            labels = labels.compute()
        messages = sorted(str(w.message) for w in caught)
        return model.cluster_centers_, labels, model.n_iter_, messages
    except ValueError as error:
        return type(error), str(error)


def assert_same(got, expected):
    assert len(got) == len(expected), (got, expected)
    if len(expected) == 2:
        assert got == expected
        return
    centers, labels, n_iter, messages = got
    assert centers.dtype == expected[0].dtype
    assert centers.tobytes() == expected[0].tobytes(), (centers, expected[0])
    np.testing.assert_array_equal(labels, expected[1])
    assert labels.dtype == np.int64
    assert n_iter == expected[2]
    assert messages == expected[3]


@st.composite
def chunkings(draw, n: int) -> tuple[int, ...]:
    """Row chunk sizes adding up to n, empty chunks included."""
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=5)))
    bounds = [0, *cuts, n]
    return tuple(b - a for a, b in zip(bounds, bounds[1:]))


@st.composite
def weightings(draw, n: int):
    kind = draw(st.sampled_from(["none", "integers", "reals"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "none":
        return None
    if kind == "integers":
        w = rng.integers(0, 4, n).astype(np.float64)
    else:
        w = rng.uniform(0, 2, n) * (rng.random(n) < 0.8)
    w[rng.integers(0, n)] = 1.0
    return w


@settings(max_examples=12)
@given(data=st.data())
def test_any_chunking_gives_one_machines_fit(client, data):
    X = data.draw(datasets(max_samples=80, max_dim=3))
    n, d = X.shape
    params = {
        "bandwidth": data.draw(bandwidths(X)),
        "kernel": data.draw(st.sampled_from(KERNELS)),
        "bin_seeding": data.draw(st.booleans()),
        "cluster_all": data.draw(st.booleans()),
        "max_iter": data.draw(st.sampled_from([0, 2, 300])),
    }
    weights = data.draw(weightings(n))
    dx = da.from_array(X, chunks=(data.draw(chunkings(n)), d))
    dw = None if weights is None else da.from_array(weights, chunks=(data.draw(chunkings(n)),))
    expected = outcome(lambda: fastmeanshift.MeanShift(**params).fit(X, sample_weight=weights))
    got = outcome(lambda: MeanShift(**params).fit(dx, sample_weight=dw))
    assert_same(got, expected)


@pytest.mark.parametrize(("weights", "row_chunks"), [([1.0], (0, 1)), ([1.0, 2.0, 0.0], (1, 0, 2))])
def test_weights_with_an_empty_chunk(client, weights, row_chunks):
    # Found by the test above: dask's own reductions read ``[1.0]``, rechunked
    # to X's ``(0, 1)``, as holding a negative weight, so the weights are
    # checked block by block.
    weights = np.array(weights)
    X = np.linspace(0, 1, len(weights), dtype=np.float32).reshape(-1, 1)
    expected = outcome(lambda: fastmeanshift.MeanShift(bandwidth=1).fit(X, sample_weight=weights))
    dx = da.from_array(X, chunks=(row_chunks, 1))
    dw = da.from_array(weights, chunks=((len(X),),))
    assert_same(outcome(lambda: MeanShift(bandwidth=1).fit(dx, sample_weight=dw)), expected)
    with pytest.raises(ValueError, match="Negative values"):
        MeanShift(bandwidth=1).fit(dx, sample_weight=-dw)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("weighted", [False, True])
def test_blobs_every_kernel_with_and_without_weights(client, kernel, weighted):
    rng = np.random.default_rng(7)
    centres = np.array([[1.0, 1.0, 0.0], [-1.0, -1.0, 0.5], [1.0, -1.0, 0.0]])
    X = centres[rng.integers(0, 3, 1500)] + rng.normal(0, 0.4, (1500, 3))
    X = np.round(X, 3)  # decimal grid: exact ties and means that round
    weights = rng.integers(0, 3, len(X)).astype(float) if weighted else None
    for params in ({"bin_seeding": True}, {"seeds": X[::97]}):
        expected = outcome(
            lambda params=params: fastmeanshift.MeanShift(
                bandwidth=0.6, kernel=kernel, **params
            ).fit(X, sample_weight=weights)
        )
        for chunks in (1500, 400, (1, 700, 0, 799)):
            dx = da.from_array(X, chunks=(chunks, 3))
            dw = None if weights is None else da.from_array(weights, chunks=250)
            got = outcome(
                lambda params=params, dx=dx, dw=dw: MeanShift(
                    bandwidth=0.6, kernel=kernel, **params
                ).fit(dx, sample_weight=dw)
            )
            assert_same(got, expected)


def test_dataset_b_and_predict(client):
    X = np.array([[1, 1], [2, 1], [1, 0], [4, 7], [3, 5], [3, 6]])
    model = MeanShift(bandwidth=2).fit(da.from_array(X, chunks=(2, 2)))
    np.testing.assert_array_equal(
        model.cluster_centers_,
        [[3.3333333333333335, 6.0], [1.3333333333333333, 0.6666666666666666]],
    )
    assert model.n_iter_ == 2
    assert model.labels_.chunks == ((2, 2, 2),)
    np.testing.assert_array_equal(model.labels_.compute(), [1, 1, 1, 0, 0, 0])
    new = da.from_array(np.array([[0, 0], [5, 5]]), chunks=(1, 2))
    np.testing.assert_array_equal(model.predict(new).compute(), [1, 0])
    np.testing.assert_array_equal(
        model.fit_predict(da.from_array(X, chunks=(4, 2))).compute(), [1, 1, 1, 0, 0, 0]
    )


def test_dataframe_and_series_weights(client):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(0, 1, (600, 2)), columns=["a", "b"])
    weights = pd.Series(rng.integers(1, 4, 600).astype(float))
    expected = fastmeanshift.MeanShift(bandwidth=0.8, bin_seeding=True).fit(
        frame, sample_weight=weights
    )
    model = MeanShift(bandwidth=0.8, bin_seeding=True).fit(
        dd.from_pandas(frame, npartitions=3), sample_weight=dd.from_pandas(weights, npartitions=4)
    )
    assert model.cluster_centers_.tobytes() == expected.cluster_centers_.tobytes()
    np.testing.assert_array_equal(model.labels_.compute(), expected.labels_)
    assert list(model.feature_names_in_) == ["a", "b"]


def test_sampled_bandwidth_is_one_machines(client):
    rng = np.random.default_rng(5)
    X = rng.normal(0, 1, (1000, 3)).astype(np.float32)
    for n_samples, random_state in ((200, 0), (1000, 42), (5000, 1)):
        expected = fastmeanshift.estimate_bandwidth(
            X, n_samples=n_samples, random_state=random_state
        )
        got = estimate_bandwidth(
            da.from_array(X, chunks=(333, 3)), n_samples=n_samples, random_state=random_state
        )
        assert got.tobytes() == expected.tobytes()
    with pytest.raises(ValueError, match="n_samples"):
        estimate_bandwidth(da.from_array(X, chunks=100))


def test_bad_input_raises_one_machines_errors(client):
    X = np.random.default_rng(0).normal(0, 1, (50, 2))
    dx = da.from_array(X, chunks=(20, 2))
    with pytest.raises(InvalidParameterError, match="'max_iter' parameter of MeanShift"):
        MeanShift(bandwidth=1.0, max_iter=-1).fit(dx)
    with pytest.raises(ValueError, match="needs a bandwidth"):
        MeanShift().fit(dx)
    with pytest.raises(ValueError, match="unknown size"):
        MeanShift(bandwidth=1.0).fit(dx[dx[:, 0] > 0])
    with pytest.raises(ValueError, match="split across 2 chunks"):
        MeanShift(bandwidth=1.0).fit(da.from_array(X, chunks=(20, 1)))
    with pytest.raises(TypeError, match="dask array"):
        MeanShift(bandwidth=1.0).fit(X)
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(49,\), expected \(50,\)!"):
        MeanShift(bandwidth=1.0).fit(dx, sample_weight=da.ones(49, chunks=10))
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        MeanShift(bandwidth=1.0).fit(dx, sample_weight=-da.ones(50, chunks=10))
    nan = X.copy()
    nan[37, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MeanShift(bandwidth=1.0).fit(da.from_array(nan, chunks=(20, 2)))
    with pytest.raises(ValueError, match="No seeds"):
        MeanShift(bandwidth=1.0, seeds=np.empty((0, 2))).fit(dx)


def test_a_chunk_pickles_as_its_rows(client):
    import pickle

    from fastmeanshift import _core

    rows = np.random.default_rng(1).normal(0, 1, (300, 2))
    weights = np.linspace(0, 2, 300)
    chunk = _core.DaskChunk(rows, weights, "gaussian")
    again = pickle.loads(pickle.dumps(chunk))
    positions = np.ascontiguousarray(rows[:20])
    assert len(again) == 300
    assert (
        again.partial_sums(positions, 0.5).tobytes() == chunk.partial_sums(positions, 0.5).tobytes()
    )
    assert chunk.__sizeof__() > rows.nbytes + weights.nbytes


def test_a_worker_killed_mid_fit_changes_nothing(client):
    rng = np.random.default_rng(11)
    X = np.round(rng.normal(0, 1, (3000, 2)), 2)
    expected = fastmeanshift.MeanShift(bandwidth=0.5, bin_seeding=True).fit(X)
    dx = da.from_array(X, chunks=(500, 2))
    killed = []

    def kill_a_worker(round_number, *_):
        if round_number == 2 and not killed:
            pids = client.run(os.getpid)
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    model = MeanShift(bandwidth=0.5, bin_seeding=True)
    model._fit_on_cluster(dx, progress=kill_a_worker)
    assert killed, "the fit must have run past its second round"
    assert model.cluster_centers_.tobytes() == expected.cluster_centers_.tobytes()
    assert model.n_iter_ == expected.n_iter_
    np.testing.assert_array_equal(model.labels_.compute(), expected.labels_)
    client.wait_for_workers(2, timeout=60)


def test_ctrl_c_abandons_the_fit_and_its_futures(client):
    X = np.random.default_rng(2).normal(0, 1, (2000, 2))
    dx = da.from_array(X, chunks=(400, 2))

    def interrupt(round_number, *_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        MeanShift(bandwidth=0.5, bin_seeding=True)._fit_on_cluster(dx, progress=interrupt)
    # Every chunk and task of the fit is released on the cluster.
    assert not client.futures


def test_command_line_reads_a_glob_and_writes_labels_per_partition(client, tmp_path, capsys):
    from fastmeanshift.cli import main

    rng = np.random.default_rng(4)
    X = np.round(rng.normal(0, 1, (900, 2)), 3)
    frames = [pd.DataFrame(X[k : k + 300], columns=["x", "y"]) for k in (0, 300, 600)]
    for k, frame in enumerate(frames):
        frame.to_parquet(tmp_path / f"data-{k}.parquet")
    labels = tmp_path / "labels" / "part-*.npy"
    status = main(
        [
            "cluster",
            str(tmp_path / "data-*.parquet"),
            "--bandwidth",
            "0.6",
            "--bin-seeding",
            "--scheduler",
            client.scheduler.address,
            "--labels",
            str(labels),
            "--centers",
            str(tmp_path / "centers.npy"),
        ]
    )
    assert status == 0, capsys.readouterr().err
    expected = fastmeanshift.MeanShift(bandwidth=0.6, bin_seeding=True).fit(X)
    parts = [np.load(tmp_path / "labels" / f"part-{k}.npy") for k in range(3)]
    np.testing.assert_array_equal(np.concatenate(parts), expected.labels_)
    centers = np.load(tmp_path / "centers.npy")
    assert centers.tobytes() == expected.cluster_centers_.tobytes()
    assert main(["cluster", str(tmp_path / "none-*.csv"), "--scheduler", "local"]) == 1
    assert "no file matches" in capsys.readouterr().err


def test_a_column_of_a_parquet_glob_weighs_the_other_columns(client, tmp_path):
    # Dask reads the one column from fewer partitions than the frame it comes
    # from, and refused its own counts of their lengths.
    rng = np.random.default_rng(6)
    frame = pd.DataFrame(rng.normal(0, 1, (900, 2)), columns=["x", "y"])
    frame["w"] = rng.integers(0, 3, 900).astype(float)
    for k in range(3):
        frame.iloc[300 * k : 300 * (k + 1)].to_parquet(tmp_path / f"part-{k}.parquet")
    data = dd.read_parquet(str(tmp_path / "part-*.parquet"))
    model = MeanShift(bandwidth=0.8, bin_seeding=True).fit(
        data.drop(columns=["w"]), sample_weight=data["w"]
    )
    expected = fastmeanshift.MeanShift(bandwidth=0.8, bin_seeding=True).fit(
        frame[["x", "y"]], sample_weight=frame["w"]
    )
    assert model.cluster_centers_.tobytes() == expected.cluster_centers_.tobytes()
    np.testing.assert_array_equal(model.labels_.compute(), expected.labels_)
    assert model.n_iter_ == expected.n_iter_


@pytest.mark.parametrize("dtype", ["Float64", "Int64", "float64[pyarrow]", "int64[pyarrow]"])
def test_nullable_and_pyarrow_numbers_are_fitted_as_on_one_machine(client, dtype):
    rng = np.random.default_rng(9)
    values = rng.integers(-20, 20, (400, 2)) / (4 if dtype.startswith("F") else 1)
    frame = pd.DataFrame(values, columns=["a", "b"]).astype({"a": dtype, "b": "float32"})
    expected = fastmeanshift.MeanShift(bandwidth=6).fit(frame)
    model = MeanShift(bandwidth=6).fit(dd.from_pandas(frame, npartitions=3))
    assert model.cluster_centers_.dtype == expected.cluster_centers_.dtype
    assert model.cluster_centers_.tobytes() == expected.cluster_centers_.tobytes()
    np.testing.assert_array_equal(model.labels_.compute(), expected.labels_)
    assert model.n_iter_ == expected.n_iter_
    missing = frame.copy()
    missing.loc[250, "a"] = None
    with pytest.raises(ValueError) as one_machine:
        fastmeanshift.MeanShift(bandwidth=6).fit(missing)
    with pytest.raises(ValueError) as on_cluster:
        MeanShift(bandwidth=6).fit(dd.from_pandas(missing, npartitions=3))
    assert str(on_cluster.value) == str(one_machine.value)


def test_every_sample_a_seed_warns_when_the_rows_gathered_are_many(client, monkeypatch):
    from fastmeanshift.dask import _estimator

    X = np.random.default_rng(3).normal(0, 1, (50, 2))
    dx = da.from_array(X, chunks=(20, 2))
    # 50 rows of 2 float64 features: 800 bytes gathered to the client.
    monkeypatch.setattr(_estimator, "SEED_ROWS_WARNING_BYTES", 799)
    with pytest.warns(UserWarning, match=r"Every sample is a seed: .*bin_seeding=True") as caught:
        MeanShift(bandwidth=1.0).fit(dx)
    assert "up to 50 rows of 2 features" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MeanShift(bandwidth=1.0, bin_seeding=True).fit(dx)
        MeanShift(bandwidth=1.0, seeds=X[:5]).fit(dx)
        monkeypatch.setattr(_estimator, "SEED_ROWS_WARNING_BYTES", 800)
        MeanShift(bandwidth=1.0).fit(dx)


def test_the_same_data_fitted_again_at_once_gives_the_same_fit(client):
    # Each fit releases its chunks as it ends; a fit of the same data right
    # after once asked for the very keys being cancelled, and failed with
    # FuturesCancelledError now and then.
    X = np.random.default_rng(5).normal(0, 1, (50, 2))
    dx = da.from_array(X, chunks=(20, 2))
    expected = fastmeanshift.MeanShift(bandwidth=1.0, seeds=X[:5]).fit(X)
    for seeds in [None, X[:5]] * 10:
        model = MeanShift(bandwidth=1.0, seeds=seeds).fit(dx)
        if seeds is not None:
            assert model.cluster_centers_.tobytes() == expected.cluster_centers_.tobytes()


def test_true_is_a_weight_of_one_for_every_sample(client):
    X = np.random.default_rng(4).normal(0, 1, (60, 2))
    dx = da.from_array(X, chunks=(25, 2))
    expected = fastmeanshift.MeanShift(bandwidth=1.0).fit(X)
    model = MeanShift(bandwidth=1.0).fit(dx, sample_weight=True)
    assert model.cluster_centers_.tobytes() == expected.cluster_centers_.tobytes()
    np.testing.assert_array_equal(model.labels_.compute(), expected.labels_)
    with pytest.raises(ValueError, match="at least one non-zero"):
        MeanShift(bandwidth=1.0).fit(dx, sample_weight=False)
