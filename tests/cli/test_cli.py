"""The ``fastmeanshift`` command: every option against the library it wraps,
the file formats, and one clear line for every kind of bad input."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np
import pytest

import fastmeanshift as fms
from fastmeanshift.cli import main, progress_bar

from command_line import run

POINTS = np.random.default_rng(7).normal(size=(300, 2)) + np.repeat(
    [[0.0, 0.0], [6.0, 6.0], [0.0, 6.0]], 100, axis=0
)


def write_csv(path: Path, X: np.ndarray, header: str | None = None, delimiter: str = ",") -> str:
    lines = [header] if header is not None else []
    lines += [delimiter.join(repr(v) for v in row) for row in X.tolist()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def same_clustering(document: dict, model: fms.MeanShift) -> None:
    np.testing.assert_array_equal(document["labels"], model.labels_)
    np.testing.assert_array_equal(np.array(document["cluster_centers"]), model.cluster_centers_)
    assert document["n_iter"] == model.n_iter_


@pytest.fixture
def csv_file(tmp_path: Path) -> str:
    return write_csv(tmp_path / "points.csv", POINTS)


def test_default_run_prints_one_json_document_equal_to_the_library(csv_file, capsys):
    status, out, err = run(["cluster", csv_file], capsys)
    assert status == 0, err
    document = json.loads(out)
    bandwidth = fms.estimate_bandwidth(POINTS)
    assert document["bandwidth"] == bandwidth
    same_clustering(document, fms.MeanShift(bandwidth=bandwidth).fit(POINTS))
    assert "300 samples, 2 features" in err
    assert "3 clusters in" in err
    assert "iterations at most" in err
    assert err.count("samples around") == 3


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("x,y", ","), ('"first", "second"', ","), ("x\ty", "\t"), ("x;y", ";"), (None, " "),
     ("x,,y", ",")],
    ids=["header", "quoted-header", "tab", "semicolon", "whitespace", "header-empty-cell"],
)  # fmt: skip
def test_csv_header_and_delimiter_are_detected(tmp_path, capsys, header, delimiter):
    path = write_csv(tmp_path / "points.csv", POINTS, header, delimiter)
    status, out, err = run(["cluster", path, "--bandwidth", "2"], capsys)
    assert status == 0, err
    same_clustering(json.loads(out), fms.MeanShift(bandwidth=2.0).fit(POINTS))


@pytest.mark.parametrize("separator", [",", ", ", " ", ";"])
@pytest.mark.parametrize("header", [None, '"x"{sep}"y"'])
def test_quoted_numbers_are_numbers(tmp_path, capsys, separator, header):
    lines = [] if header is None else [header.format(sep=separator)]
    lines += [separator.join(f'"{value!r}"' for value in row) for row in POINTS.tolist()]
    path = tmp_path / "quoted.csv"
    path.write_text("\n".join(lines) + "\n")
    status, out, err = run(["cluster", str(path), "--bandwidth", "2"], capsys)
    assert status == 0, err
    assert "300 samples, 2 features" in err
    same_clustering(json.loads(out), fms.MeanShift(bandwidth=2.0).fit(POINTS))


def test_a_first_row_with_an_empty_cell_is_data_with_a_missing_value(tmp_path, capsys):
    # Not a header: the row is numeric data but for the empty cell.
    path = tmp_path / "missing.csv"
    path.write_text("1,,3\n4,5,6\n7,8,9\n")
    status, out, err = run(["cluster", str(path), "--bandwidth", "2"], capsys)
    assert (status, out) == (1, "")
    assert err == (
        f"fastmeanshift: error: {path}: line 1, column 2 is empty: Input X contains NaN "
        "(missing values are not supported)\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,y\n1,2\n\n3,abc\n", "line 4, column 2: could not convert string 'abc' to a number"),
        ("1,2\n3,4\n5\n", "line 3 has 1 column where line 1 has 2 columns"),
        ("x;y\n1;2\n\n3;\n", "line 4, column 2 is empty: Input X contains NaN"),
    ],
    ids=["word", "ragged", "empty"],
)
def test_csv_errors_name_the_line_of_the_file(tmp_path, capsys, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    status, _, err = run(["cluster", str(path)], capsys)
    assert status == 1
    assert err.startswith(f"fastmeanshift: error: {path}: {message}")
    assert err.count("\n") == 1


def test_single_column_csv_is_one_feature(tmp_path, capsys):
    path = write_csv(tmp_path / "one.csv", POINTS[:, :1], header="x")
    status, out, err = run(["cluster", path, "--bandwidth", "1.5"], capsys)
    assert status == 0, err
    same_clustering(json.loads(out), fms.MeanShift(bandwidth=1.5).fit(POINTS[:, :1]))


def test_npy_keeps_float32(tmp_path, capsys):
    X = POINTS.astype(np.float32)
    np.save(tmp_path / "points.npy", X)
    status, out, err = run(["cluster", str(tmp_path / "points.npy"), "--bandwidth", "2"], capsys)
    assert status == 0, err
    same_clustering(json.loads(out), fms.MeanShift(bandwidth=2.0).fit(X))


def test_parquet(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table({"a": POINTS[:, 0], "b": POINTS[:, 1]})
    pq.write_table(table, tmp_path / "points.parquet")
    status, out, err = run(
        ["cluster", str(tmp_path / "points.parquet"), "--bandwidth", "2"], capsys
    )
    assert status == 0, err
    same_clustering(json.loads(out), fms.MeanShift(bandwidth=2.0).fit(POINTS))


def test_missing_parquet_file_says_so(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    missing = tmp_path / "nonexistent.parquet"
    status, _, err = run(["cluster", str(missing)], capsys)
    assert status == 1
    assert err == f"fastmeanshift: error: {missing}: No such file or directory\n"


def test_parquet_with_a_text_column_is_rejected(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [1.0, 2.0], "name": ["x", "y"]}), tmp_path / "t.parquet")
    status, _, err = run(["cluster", str(tmp_path / "t.parquet")], capsys)
    assert status == 1
    assert err == f"fastmeanshift: error: {tmp_path / 't.parquet'}: column 'name' is not numeric\n"


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, capsys, monkeypatch):
    (tmp_path / "points.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    status, _, err = run(["cluster", str(tmp_path / "points.parquet")], capsys)
    assert status == 1
    assert "reading Parquet needs pyarrow: pip install pyarrow" in err
    assert err.count("\n") == 1


def test_every_mean_shift_option_reaches_the_estimator(tmp_path, csv_file, capsys):
    seeds = write_csv(tmp_path / "seeds.csv", POINTS[::7])
    argv = ["cluster", csv_file, "--bandwidth", "1.2", "--seeds", seeds, "--no-cluster-all"]
    argv += ["--max-iter", "3", "--jobs", "2"]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    expected = fms.MeanShift(
        bandwidth=1.2, seeds=POINTS[::7], cluster_all=False, max_iter=3, n_jobs=2
    ).fit(POINTS)
    same_clustering(json.loads(out), expected)
    assert (expected.labels_ == -1).any()  # the option made a difference
    assert "no cluster:" in err


def test_assign_attractor_labels_by_basin_of_attraction(tmp_path, capsys):
    # A long cluster beside a compact one (tests/estimator/test_attractor_labels.py):
    # the sample at 3 climbs into the long cluster though nearer the other centre.
    X = np.array([[x, 0.0] for x in (0, 0.5, 1, 1.5, 2, 2.5, 3, 4.3, 4.5, 4.6, 4.7)])
    data = write_csv(tmp_path / "long.csv", X)
    labels = {}
    for assign in ("nearest", "attractor"):
        argv = ["cluster", data, "--bandwidth", "1.5", "--bin-seeding", "--assign", assign]
        status, out, err = run(argv, capsys)
        assert status == 0, err
        model = fms.MeanShift(bandwidth=1.5, bin_seeding=True, cluster_assignment=assign)
        same_clustering(json.loads(out), model.fit(X))
        labels[assign] = json.loads(out)["labels"]
    assert labels == {
        "nearest": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
        "attractor": [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
    }


def test_assign_attractor_on_a_cluster_is_bad_usage_before_any_work(tmp_path, capsys):
    # No scheduler is reached: the address is never dialled.
    argv = ["cluster", "missing/*.npy", "--assign", "attractor", "--scheduler", "tcp://0.0.0.0:1"]
    status, _, err = run(argv, capsys)
    assert status == 2
    assert err.count("\n") == 1
    assert "--assign attractor" in err and "--scheduler" in err


def test_assign_is_one_of_two(csv_file, capsys):
    status, _, err = run(["cluster", csv_file, "--assign", "closest"], capsys)
    assert status == 2
    assert "invalid choice: 'closest'" in err


def test_bin_seeding_options(csv_file, capsys):
    argv = ["cluster", csv_file, "--bandwidth", "1.0", "--bin-seeding", "--min-bin-freq", "5"]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    expected = fms.MeanShift(bandwidth=1.0, bin_seeding=True, min_bin_freq=5).fit(POINTS)
    same_clustering(json.loads(out), expected)
    every_seed = fms.MeanShift(bandwidth=1.0).fit(POINTS)
    assert len(expected.cluster_centers_) != len(every_seed.cluster_centers_)


def test_quantile_sets_the_estimated_bandwidth(csv_file, capsys):
    status, out, err = run(["cluster", csv_file, "--quantile", "0.05"], capsys)
    assert status == 0, err
    document = json.loads(out)
    assert document["bandwidth"] == fms.estimate_bandwidth(POINTS, quantile=0.05)
    assert document["bandwidth"] != fms.estimate_bandwidth(POINTS)


@pytest.mark.parametrize("fmt", ["csv", "npy", "json"])
def test_labels_and_centers_files_by_extension(tmp_path, csv_file, capsys, fmt):
    labels, centers = tmp_path / f"labels.{fmt}", tmp_path / f"centers.{fmt}"
    argv = ["cluster", csv_file, "--bandwidth", "2", "--labels", str(labels)]
    status, out, err = run([*argv, "--centers", str(centers)], capsys)
    assert status == 0, err
    assert out == ""
    expected = fms.MeanShift(bandwidth=2.0).fit(POINTS)
    got_labels, got_centers = read_table(labels, fmt, "labels"), read_table(centers, fmt, "centers")
    np.testing.assert_array_equal(got_labels.ravel(), expected.labels_)
    np.testing.assert_array_equal(got_centers, expected.cluster_centers_)


def read_table(path: Path, fmt: str, name: str) -> np.ndarray:
    if fmt == "npy":
        return np.load(path)
    if fmt == "json":
        return np.array(json.loads(path.read_text())[name])
    return np.loadtxt(path, delimiter=",", ndmin=2)


def test_format_overrides_the_extension(tmp_path, csv_file, capsys):
    target = tmp_path / "labels.txt"
    argv = ["cluster", csv_file, "--bandwidth", "2", "--labels", str(target), "--format", "json"]
    status, _, err = run(argv, capsys)
    assert status == 0, err
    assert (
        json.loads(target.read_text())["labels"]
        == fms.mean_shift(POINTS, bandwidth=2.0)[1].tolist()
    )


def test_labels_to_stdout_one_per_line(csv_file, capsys):
    status, out, err = run(["cluster", csv_file, "--bandwidth", "2", "--labels", "-"], capsys)
    assert status == 0, err
    assert out.split() == [str(v) for v in fms.mean_shift(POINTS, bandwidth=2.0)[1]]


def test_quiet_prints_no_summary(csv_file, capsys):
    status, out, err = run(["cluster", csv_file, "--bandwidth", "2", "-q"], capsys)
    assert status == 0
    assert err == ""
    assert json.loads(out)["labels"]


@pytest.mark.parametrize("dim", [2, 5])
def test_plot_is_written(tmp_path, capsys, dim):
    pytest.importorskip("matplotlib")
    X = np.random.default_rng(1).normal(size=(200, dim))
    np.save(tmp_path / "x.npy", X)
    plot = tmp_path / "clusters.png"
    argv = ["cluster", str(tmp_path / "x.npy"), "--bandwidth", "1.5", "--plot", str(plot)]
    status, _, err = run(argv, capsys)
    assert status == 0, err
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"plot written to {plot}" in err


def test_plot_without_an_extension_is_a_png_named_as_written(tmp_path, capsys):
    # matplotlib adds .png to a name without an extension: the message must
    # name that file, for the command and for the demo.
    pytest.importorskip("matplotlib")
    np.save(tmp_path / "x.npy", POINTS)
    argv = ["cluster", str(tmp_path / "x.npy"), "--bandwidth", "2", "--plot", str(tmp_path / "c")]
    status, _, err = run(argv, capsys)
    assert status == 0, err
    assert err.endswith(f"plot written to {tmp_path / 'c.png'}\n")
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "c").exists()
    status, out, err = run(["demo", "--samples", "100", "--plot", str(tmp_path / "d")], capsys)
    assert status == 0, err
    assert out.endswith(f"plot written to {tmp_path / 'd.png'}\n")
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "X",
    [np.ones((1, 3)), np.array([[1e308, -1e308], [-1e308, 1e308], [0.0, 0.0]]),
     np.array([[1e308, -1e308, 5e307], [-1e308, 1e308, 0.0]]), np.array([[1.0, 2, 3], [2, 4, 6]])],
    ids=["one-sample-3-features", "extremes", "extremes-3-features", "on-a-line"],
)  # fmt: skip
def test_plot_of_odd_data_is_written(tmp_path, capsys, X):
    pytest.importorskip("matplotlib")
    np.save(tmp_path / "x.npy", X)
    plot = tmp_path / "clusters.png"
    argv = ["cluster", str(tmp_path / "x.npy"), "--bandwidth", "1", "--plot", str(plot), "-q"]
    status, _, err = run(argv, capsys)
    assert (status, err) == (0, "")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def bad_output_paths(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (options, expected message after 'error: ')."""
    folder = tmp_path / "folder"
    folder.mkdir()
    (tmp_path / "file.csv").write_text("")
    nowhere = tmp_path / "nowhere"
    return {
        "labels in a missing folder": (
            ["--labels", f"{nowhere}/labels.csv"],
            f"--labels {nowhere}/labels.csv: the folder {nowhere} does not exist",
        ),
        "centers as a folder": (["--centers", str(folder)], f"--centers {folder}: is a folder"),
        "labels under a file": (
            ["--labels", f"{tmp_path}/file.csv/labels.csv"],
            f"--labels {tmp_path}/file.csv/labels.csv: the folder {tmp_path}/file.csv is not a "
            "folder",
        ),
        "labels of no format": (["--labels", "out.txt"], "--labels out.txt: cannot tell the"),
        "labels and centers in one file": (
            ["--labels", "same.csv", "--centers", "./same.csv"],
            "--labels and --centers are the same file, same.csv",
        ),
        "plot in a missing folder": (
            ["--plot", f"{nowhere}/p.png"],
            f"--plot {nowhere}/p.png: the folder {nowhere} does not exist",
        ),
        "plot as a folder": (["--plot", str(folder)], f"--plot {folder}: is a folder"),
        "plot of an unknown format": (
            ["--plot", "p.xyz"],
            "--plot p.xyz: matplotlib cannot write .xyz files; use one of ",
        ),
    }


BAD_OUTPUT_PATHS = [
    "labels in a missing folder",
    "centers as a folder",
    "labels under a file",
    "labels of no format",
    "labels and centers in one file",
    "plot in a missing folder",
    "plot as a folder",
    "plot of an unknown format",
]


@pytest.mark.parametrize("name", BAD_OUTPUT_PATHS)
def test_bad_output_path_is_bad_usage_found_before_any_work(tmp_path, capsys, name):
    if "plot" in name:
        pytest.importorskip("matplotlib")
    options, message = bad_output_paths(tmp_path)[name]
    # The data file does not exist: the usage error comes before it is read.
    status, out, err = run(["cluster", str(tmp_path / "unread.csv"), *options], capsys)
    assert (status, out) == (2, "")
    assert err.startswith(f"fastmeanshift: error: {message}"), err
    assert err.endswith(" (see fastmeanshift cluster --help)\n")


def test_demo_plot_path_is_checked_before_the_demo(tmp_path, capsys):
    status, out, err = run(["demo", "--plot", str(tmp_path / "nowhere" / "d.png")], capsys)
    assert (status, out) == (2, "")
    assert "the folder" in err and "does not exist" in err


def test_plot_without_matplotlib_fails_before_clustering(tmp_path, csv_file, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, out, err = run(["cluster", csv_file, "--plot", str(tmp_path / "p.png")], capsys)
    assert status == 1
    assert out == ""
    assert err == (
        "fastmeanshift: error: plotting needs matplotlib: "
        "pip install 'fastmeanshift[plot]' (or pip install matplotlib)\n"
    )


def test_failed_binning_warns_on_one_line(csv_file, capsys):
    status, _, err = run(["cluster", csv_file, "--bandwidth", "1e-9", "--bin-seeding"], capsys)
    assert status == 0
    assert "fastmeanshift: warning: Binning data failed with provided bin_size=0.000000" in err


def bad_files(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """name -> (path, expected message fragment)."""
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header_only.csv").write_text("x,y\n")
    (tmp_path / "word.csv").write_text("1,2\n3,abc\n")
    (tmp_path / "ragged.csv").write_text("1,2\n3\n")
    (tmp_path / "nan.csv").write_text("1,2\n3,nan\n")
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    np.save(tmp_path / "text.npy", np.array([["a", "b"]]))
    (tmp_path / "junk.npy").write_text("not numpy")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x81")
    return {
        "missing": (str(tmp_path / "missing.csv"), "No such file or directory"),
        "directory": (str(tmp_path), str(tmp_path)),
        "empty": (str(tmp_path / "empty.csv"), "no samples"),
        "header only": (str(tmp_path / "header_only.csv"), "a header line but no samples"),
        "word": (str(tmp_path / "word.csv"), "could not convert string 'abc'"),
        "ragged": (str(tmp_path / "ragged.csv"), "columns"),
        "nan": (str(tmp_path / "nan.csv"), "Input X contains NaN"),
        "3-D npy": (str(tmp_path / "cube.npy"), "got a 3-D array"),
        "text npy": (str(tmp_path / "text.npy"), "expected numbers"),
        "junk npy": (str(tmp_path / "junk.npy"), "not a NumPy array file"),
        "binary csv": (str(tmp_path / "binary.csv"), "binary.csv"),
    }


BAD_FILES = [
    "missing",
    "directory",
    "empty",
    "header only",
    "word",
    "ragged",
    "nan",
    "3-D npy",
    "text npy",
    "junk npy",
    "binary csv",
]


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_gives_one_line(tmp_path, capsys, name):
    path, fragment = bad_files(tmp_path)[name]
    status, out, err = run(["cluster", path], capsys)
    assert status == 1
    assert out == ""
    assert err.startswith("fastmeanshift: error: ")
    assert err.count("\n") == 1, err
    assert fragment in err


BAD_OPTIONS = {
    "bandwidth word": (["--bandwidth", "wide"], 2, "expected a number or 'auto', got 'wide'"),
    "bandwidth negative": (["--bandwidth", "-1"], 1, "'bandwidth' parameter of MeanShift"),
    "bandwidth zero": (["--bandwidth", "0"], 1, "'bandwidth' parameter of MeanShift"),
    "quantile too big": (["--quantile", "2"], 1, "'quantile' parameter"),
    "max-iter negative": (["--max-iter", "-1"], 1, "'max_iter' parameter"),
    "min-bin-freq zero": (["--bin-seeding", "--min-bin-freq", "0"], 1, "'min_bin_freq'"),
    "jobs zero": (["--jobs", "0"], 1, "n_jobs == 0"),
    "jobs word": (["--jobs", "many"], 2, "invalid int value: 'many'"),
    "unknown option": (["--colour", "red"], 2, "unrecognized arguments: --colour red"),
    "bad format": (["--format", "xml"], 2, "invalid choice: 'xml'"),
    "both to stdout": (["--labels", "-", "--centers", "-"], 2, "only one of --labels"),
    "csv without file": (["--format", "csv"], 2, "--format csv needs --labels or --centers"),
    "unknown extension": (["--labels", "out.txt"], 2, "cannot tell the output format"),
    "seeds wrong width": (["--seeds", "SEEDS3"], 1, "3 columns, but the data has 2 features"),
}


@pytest.mark.parametrize("name", list(BAD_OPTIONS))
def test_bad_option_gives_one_line(tmp_path, csv_file, capsys, name):
    options, expected_status, fragment = BAD_OPTIONS[name]
    seeds3 = write_csv(tmp_path / "seeds3.csv", np.zeros((2, 3)))
    options = [seeds3 if o == "SEEDS3" else o for o in options]
    status, out, err = run(["cluster", csv_file, *options], capsys)
    assert status == expected_status
    assert out == ""
    assert err.count("\n") == 1, err
    assert fragment in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("rows", "options", "reason"),
    [
        (np.repeat([[1.0, 1.0], [2.0, 2.0]], 10, axis=0), [],
         " (k = 6 of 20 at --quantile 0.3), and every sample has at least 5 exact duplicates: "
         "give --bandwidth, or a larger --quantile"),
        (np.array([[0.0, 0.0], [3.0, 1.0], [7.0, 2.0]]), [],
         ", and with 3 samples at --quantile 0.3, k = max(1, int(3 x 0.3)) = 1, the sample "
         "itself: give --bandwidth, or --quantile 0.667 or more"),
        (POINTS, ["--quantile", "0"],
         ", and with 300 samples at --quantile 0, k = max(1, int(300 x 0)) = 1, the sample "
         "itself: give --bandwidth, or --quantile 0.007 or more"),
        (np.array([[5.0, 1.0]]), [], ", and there is one sample: give --bandwidth"),
    ],
    ids=["duplicates", "three-samples", "quantile-0", "one-sample"],
)  # fmt: skip
def test_zero_estimated_bandwidth_is_explained(tmp_path, capsys, rows, options, reason):
    path = write_csv(tmp_path / "rows.csv", rows)
    status, out, err = run(["cluster", path, *options], capsys)
    assert status == 1
    assert out == ""
    assert err == (
        "fastmeanshift: error: the estimated bandwidth is 0: it is the mean distance from each "
        f"sample to its k-th nearest sample, itself counted{reason}\n"
    )
    suggested = re.search(r"--quantile ([0-9.]+) or more", reason)
    if suggested:
        # The quantile suggested gives k = 2.
        assert max(1, int(len(rows) * float(suggested.group(1)))) == 2


def strict_json(text: str) -> dict:
    """``text`` parsed as strict JSON (no Infinity or NaN tokens)."""

    def refuse(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_data_beyond_1e154_is_one_cluster_at_an_infinite_estimate(tmp_path, capsys):
    X = np.random.default_rng(0).uniform(-1, 1, (20, 2)) * 1e155
    path = write_csv(tmp_path / "huge.csv", X)
    status, out, err = run(["cluster", path], capsys)
    assert status == 0, err
    document = strict_json(out)
    assert document["bandwidth"] == np.inf  # written 1e999, read back as infinity
    assert document["labels"] == [0] * 20
    same_clustering(document, fms.MeanShift().fit(X))
    assert "bandwidth inf (estimated)" in err


def test_many_clusters_are_summarised(tmp_path, capsys):
    X = np.arange(30, dtype=float).reshape(-1, 1) * 10
    path = write_csv(tmp_path / "spread.csv", X)
    status, _, err = run(["cluster", path, "--bandwidth", "1"], capsys)
    assert status == 0
    assert "30 clusters in" in err
    assert err.count("samples around") == 10
    assert "... 20 more clusters, 20 samples" in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only(csv_file, capsys, monkeypatch):
    monkeypatch.setattr(progress_bar, "_DELAY", 0.0)
    status, _, err = run(["cluster", csv_file, "--bandwidth", "2"], capsys)
    assert status == 0
    assert "seeds climbed" not in err
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["cluster", csv_file, "--bandwidth", "2"]) == 0
    shown = terminal.getvalue()
    assert "] 300/300 seeds climbed" in shown
    # The bar is erased before the summary.
    assert shown.index("\r\x1b[2K") < shown.index("3 clusters in")


def test_progress_bar_waits_before_drawing():
    terminal = Terminal()
    bar = progress_bar.ProgressBar(terminal)
    bar(10, 100)
    bar.clear()
    assert terminal.getvalue() == ""


def test_demo(tmp_path, capsys):
    # The demo times scikit-learn and checks the results agree; without it, it
    # says to install it (test_demo_without_scikit_learn).
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    plot = tmp_path / "demo.png"
    status, out, err = run(["demo", "--samples", "600", "--plot", str(plot)], capsys)
    assert status == 0, err
    assert "600 generated 2-D samples" in out
    assert "3 clusters in" in out
    assert "one thread each" in out
    assert "identical results" in out
    assert f"plot written to {plot}" in out
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_demo_without_scikit_learn(capsys, monkeypatch):
    # A None in sys.modules makes the import fail, as if it were not installed.
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.cluster", None)
    status, out, err = run(["demo", "--samples", "200", "--no-plot"], capsys)
    assert status == 0, err
    assert "200 generated 2-D samples" in out
    assert "install scikit-learn to see the speed-up over it" in out


def test_demo_without_matplotlib_says_how_to_get_the_plot(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, out, _ = run(["demo", "--samples", "200", "--plot", str(tmp_path / "d.png")], capsys)
    assert status == 0
    assert "no plot: matplotlib is not installed (pip install 'fastmeanshift[plot]'" in out
    assert not (tmp_path / "d.png").exists()


@pytest.mark.parametrize("samples", ["1", "2", "3"])
def test_demo_of_a_few_samples(capsys, samples):
    # Their estimated bandwidth is 0: every sample is a cluster of its own.
    status, out, err = run(["demo", "--samples", samples, "--no-plot"], capsys)
    assert status == 0, err
    assert f"{samples} clusters in" in out


def test_demo_options_without_the_command(capsys):
    status, out, err = run(["--samples", "40", "--no-plot"], capsys)
    assert status == 0, err
    assert "40 generated 2-D samples" in out
    status, _, err = run(["clusterx"], capsys)
    assert status == 2
    assert "invalid choice: 'clusterx'" in err


def test_demo_rejects_no_samples(capsys):
    status, _, err = run(["demo", "--samples", "0"], capsys)
    assert status == 2
    assert (
        err
        == "fastmeanshift: error: --samples must be at least 1 (see fastmeanshift demo --help)\n"
    )


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "fastmeanshift", *args]


def test_module_runs_the_command_line(csv_file):
    done = subprocess.run(
        command("cluster", csv_file, "--bandwidth", "2", "--labels", "-"),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(v) for v in fms.mean_shift(POINTS, bandwidth=2.0)[1]]


def test_bad_file_in_a_real_process_has_no_traceback(tmp_path):
    done = subprocess.run(
        command("cluster", str(tmp_path / "nothing.csv")), capture_output=True, text=True
    )
    assert done.returncode == 1
    assert (
        done.stderr
        == f"fastmeanshift: error: {tmp_path / 'nothing.csv'}: No such file or directory\n"
    )


# The command line once its imports are done (the interpreter's own startup,
# slow on a loaded machine, does not run the command's code yet).
COMMAND_WHEN_READY = (
    "import sys\n"
    "from fastmeanshift.cli import main\n"
    "print('ready', flush=True)\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_exits_quietly_with_130(tmp_path):
    np.save(tmp_path / "big.npy", np.random.default_rng(0).normal(size=(400_000, 2)))
    argv = ["cluster", str(tmp_path / "big.npy"), "--bandwidth", "3", "--jobs", "2"]
    child = subprocess.Popen(
        [sys.executable, "-c", COMMAND_WHEN_READY, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    # Wherever the interrupt lands in the command (reading, estimating, the fit
    # itself, which runs for minutes), the exit is the same.
    time.sleep(0.5)
    child.send_signal(signal.SIGINT)
    # The timeout only guards against a hang; it is no performance limit.
    out, err = child.communicate(timeout=600)
    assert child.returncode == 130
    assert (out, err) == ("", "")


def test_console_script_is_installed():
    name = "fastmeanshift.exe" if os.name == "nt" else "fastmeanshift"
    script = Path(sysconfig.get_path("scripts")) / name
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "cluster" in done.stdout and "demo" in done.stdout


WEIGHTS = np.random.default_rng(8).integers(0, 4, len(POINTS)).astype(float)


@pytest.mark.parametrize("kernel", ["flat", "epanechnikov", "gaussian"])
def test_kernel_and_weights_from_a_file_equal_the_library(tmp_path, capsys, kernel):
    data = write_csv(tmp_path / "points.csv", POINTS)
    weights = write_csv(tmp_path / "weights.csv", WEIGHTS.reshape(-1, 1))
    argv = ["cluster", data, "--bandwidth", "1.5", "--kernel", kernel, "--weights", weights]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    model = fms.MeanShift(bandwidth=1.5, kernel=kernel).fit(POINTS, sample_weight=WEIGHTS)
    same_clustering(json.loads(out), model)


@pytest.mark.parametrize("column", ["w", "2", "-1"])
def test_weights_from_a_column_of_the_data(tmp_path, capsys, column):
    table = np.column_stack([POINTS, WEIGHTS])
    data = write_csv(tmp_path / "points.csv", table, header="x,y,w")
    status, out, err = run(["cluster", data, "--bandwidth", "1.5", "--weights", column], capsys)
    assert status == 0, err
    model = fms.MeanShift(bandwidth=1.5).fit(POINTS, sample_weight=WEIGHTS)
    same_clustering(json.loads(out), model)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ("z", "neither a file nor a column"),
        ("3", "has 3 columns"),
        ("neg", "Negative values in data passed to `sample_weight`"),
    ],
)
def test_bad_weights_are_one_line_errors(tmp_path, capsys, weights, message):
    table = np.column_stack([POINTS, -WEIGHTS - 1])
    data = write_csv(tmp_path / "points.csv", table, header="x,y,neg")
    status, _, err = run(["cluster", data, "--bandwidth", "1.5", "--weights", weights], capsys)
    assert status == 1
    assert message in err and err.count("\n") == 1


def test_unknown_kernel_is_a_usage_error(csv_file, capsys):
    status, _, err = run(["cluster", csv_file, "--kernel", "rbf"], capsys)
    assert status == 2
    assert "--kernel" in err
