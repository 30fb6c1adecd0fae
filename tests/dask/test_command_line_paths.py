"""``fastmeanshift cluster`` on both of its paths, every input case run on
each and compared: on this machine, and with ``--scheduler`` on the
session's LocalCluster of worker processes. The same files are accepted with
the same result; a bad file, option or output path gives the same one line
and the same exit status on both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fastmeanshift as fms

from command_line import run

RNG = np.random.default_rng(21)
POINTS = np.round(
    RNG.normal(0, 0.5, (90, 2)) + np.repeat([[0.0, 0.0], [4.0, 4.0], [0.0, 4.0]], 30, axis=0), 3
)
WEIGHTS = RNG.integers(0, 4, len(POINTS)).astype(float)
WEIGHTS[0] = 1.0


def on_both_paths(argv: list[str], client, capsys) -> dict[str, tuple[int, str, str]]:
    """``run`` on this machine and with ``--scheduler``."""
    return {
        "local": run(argv, capsys),
        "scheduler": run([*argv, "--scheduler", client.scheduler.address], capsys),
    }


def csv_text(rows: np.ndarray, delimiter: str = ",") -> str:
    return "".join(delimiter.join(repr(v) for v in row) + "\n" for row in rows.tolist())


def write_parquet(path: Path, columns: dict[str, np.ndarray], **options) -> str:
    pd.DataFrame(columns).to_parquet(path, **options)
    return str(path)


# name -> (write the data into a folder: its path; options; X, weights and
# seeds the library is given).
def accepted_cases(tmp: Path) -> dict[str, tuple[str, list[str], np.ndarray, np.ndarray | None]]:
    x, y = POINTS[:, 0], POINTS[:, 1]
    (tmp / "header.csv").write_text("x,y\n" + csv_text(POINTS))
    (tmp / "whitespace.csv").write_text(csv_text(POINTS, "  "))
    (tmp / "tab.csv").write_text("x\ty\n" + csv_text(POINTS, "\t"))
    (tmp / "comment.csv").write_text("# x;y\n" + csv_text(POINTS))
    np.save(tmp / "single.npy", POINTS.astype(np.float32))
    flags = np.column_stack([x > 0, y > 2])
    np.save(tmp / "flags.npy", flags)
    (tmp / "weighted.csv").write_text("x,y,w\n" + csv_text(np.column_stack([POINTS, WEIGHTS])))
    (tmp / "weights.csv").write_text(csv_text(WEIGHTS.reshape(-1, 1)))
    return {
        "csv with a header": (str(tmp / "header.csv"), [], POINTS, None),
        "csv separated by whitespace": (str(tmp / "whitespace.csv"), [], POINTS, None),
        "csv separated by tabs": (str(tmp / "tab.csv"), [], POINTS, None),
        "csv whose first line is a comment": (str(tmp / "comment.csv"), [], POINTS, None),
        "float32 npy": (str(tmp / "single.npy"), [], POINTS.astype(np.float32), None),
        "boolean npy": (str(tmp / "flags.npy"), [], flags, None),
        "parquet": (write_parquet(tmp / "p.parquet", {"x": x, "y": y}), [], POINTS, None),
        "parquet with a boolean column": (
            write_parquet(tmp / "b.parquet", {"x": x, "up": y > 2}),
            [],
            np.column_stack([x, y > 2]),
            None,
        ),
        "weights column by name": (
            write_parquet(tmp / "w.parquet", {"x": x, "w": WEIGHTS, "y": y}),
            ["--weights", "w"],
            POINTS,
            WEIGHTS,
        ),
        "weights column by index": (
            str(tmp / "weighted.csv"),
            ["--weights", "-1"],
            POINTS,
            WEIGHTS,
        ),
        "weights file": (
            str(tmp / "header.csv"),
            ["--weights", str(tmp / "weights.csv")],
            POINTS,
            WEIGHTS,
        ),
    }


ACCEPTED = [
    "csv with a header",
    "csv separated by whitespace",
    "csv separated by tabs",
    "csv whose first line is a comment",
    "float32 npy",
    "boolean npy",
    "parquet",
    "parquet with a boolean column",
    "weights column by name",
    "weights column by index",
    "weights file",
]


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_input_gives_the_librarys_clustering_on_both_paths(client, tmp_path, capsys, name):
    data, options, X, weights = accepted_cases(tmp_path)[name]
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(csv_text(np.asarray(X, dtype=float)[::9]))
    argv = ["cluster", data, "--bandwidth", "1.5", "--seeds", str(seeds), *options, "-q"]
    local = run(
        [*argv, "--labels", str(tmp_path / "l.npy"), "--centers", str(tmp_path / "c.npy")], capsys
    )
    parts = tmp_path / "parts" / "part-*.npy"
    scheduler = run(
        [
            *argv,
            "--scheduler",
            client.scheduler.address,
            "--labels",
            str(parts),
            "--centers",
            str(tmp_path / "dask-c.npy"),
        ],
        capsys,
    )
    assert local == scheduler == (0, "", "")
    expected = fms.MeanShift(bandwidth=1.5, seeds=np.asarray(X, dtype=float)[::9]).fit(
        X, sample_weight=weights
    )
    for centers in ("c.npy", "dask-c.npy"):
        assert np.load(tmp_path / centers).tobytes() == expected.cluster_centers_.tobytes()
    np.testing.assert_array_equal(np.load(tmp_path / "l.npy"), expected.labels_)
    parts_written = sorted((tmp_path / "parts").glob("part-*.npy"))
    np.testing.assert_array_equal(
        np.concatenate([np.load(p) for p in parts_written]), expected.labels_
    )


# name -> (file name, its contents, options, the error after "error: "; {path}
# is the data file's path, {dir} the folder).
ERRORS = {
    "missing cell": (
        "m.csv",
        "x,y\n1,2\n3,\n",
        [],
        "{path}: line 3, column 2 is empty: Input X contains NaN (missing values are "
        "not supported)",
    ),
    "ragged csv": (
        "r.csv",
        "1,2\n3,4\n5\n",
        [],
        "{path}: line 3 has 1 column where line 1 has 2 columns",
    ),
    "word in csv": (
        "w.csv",
        "1,2\n# a remark\n3,abc\n",
        [],
        "{path}: line 3, column 2: could not convert string 'abc' to a number",
    ),
    "nan cell": (
        "n.csv",
        "x,y\n1,2\n\n3,nan\n",
        [],
        "{path}: line 4, column 2 is NaN: Input X contains NaN (missing values are not supported)",
    ),
    "inf cell": (
        "i.csv",
        "1 2\n-inf 4\n",
        [],
        "{path}: line 2, column 1 is infinite: Input X contains infinity",
    ),
    "nan in npy": (
        "n.npy",
        np.array([[1.0, 2.0], [np.nan, 3.0]]),
        [],
        "{path}: row 1, column 0 is NaN: Input X contains NaN (missing values are not supported)",
    ),
    "null in parquet": (
        "n.parquet",
        {"x": [1.0, 2.0, 3.0], "y": [1.0, 2.0, None]},
        [],
        "{path}: row 2, column 'y' is empty: Input X contains NaN (missing values "
        "are not supported)",
    ),
    "text in parquet": (
        "t.parquet",
        {"x": [1.0, 2.0], "name": ["a", "b"]},
        [],
        "{path}: column 'name' is not numeric",
    ),
    "empty csv": ("e.csv", "\n# nothing\n", [], "{path}: no samples"),
    "header only": ("h.csv", "x,y\n", [], "{path}: a header line but no samples"),
    "3-D npy": (
        "cube.npy",
        np.zeros((2, 2, 2)),
        [],
        "{path}: expected a table of samples, got a 3-D array",
    ),
    "missing file": (None, None, [], "{path}: No such file or directory"),
    "weights file of two columns": (
        "d.csv",
        "1,2\n3,4\n",
        ["--weights", "{dir}/two.csv"],
        "{dir}/two.csv: expected one weight per row, got 2 columns",
    ),
    "weights file too short": (
        "d.csv",
        "1,2\n3,4\n",
        ["--weights", "{dir}/one.csv"],
        "{dir}/one.csv: expected one weight per sample of {path} (2), got 1",
    ),
    "weights index past the end": (
        "d.csv",
        "1,2\n3,4\n",
        ["--weights", "2"],
        "--weights 2: {path} has 2 columns",
    ),
    "weights neither file nor column": (
        "d.csv",
        "x,y\n1,2\n3,4\n",
        ["--weights", "z"],
        "--weights z: neither a file nor a column of {path}",
    ),
    "seeds of the wrong width": (
        "d.csv",
        "1,2\n3,4\n",
        ["--seeds", "{dir}/one.csv"],
        "--seeds {dir}/one.csv: 1 column, but the data has 2 features",
    ),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_bad_input_is_the_same_one_line_on_both_paths(client, tmp_path, capsys, name):
    filename, contents, options, message = ERRORS[name]
    path = tmp_path / (filename or "absent.csv")
    if isinstance(contents, str):
        path.write_text(contents)
    elif isinstance(contents, np.ndarray):
        np.save(path, contents)
    elif isinstance(contents, dict):
        pd.DataFrame(contents).to_parquet(path)
    (tmp_path / "two.csv").write_text("1,1\n1,1\n")
    (tmp_path / "one.csv").write_text("1\n")
    fill = {"path": str(path), "dir": str(tmp_path)}
    options = [option.format(**fill) for option in options]
    results = on_both_paths(["cluster", str(path), "--bandwidth", "2", *options], client, capsys)
    expected = (1, "", f"fastmeanshift: error: {message.format(**fill)}\n")
    assert results == {"local": expected, "scheduler": expected}


# name -> (options, the error after "error: "; {dir} is the folder), each
# a usage error found before the data file, which does not exist, is read.
USAGE_ERRORS = {
    "centers in a missing folder": (
        ["--centers", "{dir}/nowhere/c.npy"],
        "--centers {dir}/nowhere/c.npy: the folder {dir}/nowhere does not exist",
    ),
    "centers of an unknown extension": (
        ["--centers", "{dir}/c.txt"],
        "--centers {dir}/c.txt: cannot tell the output format from "
        "the extension; use .csv, .npy or .json, or --format",
    ),
    "centers as a folder": (["--centers", "{dir}"], "--centers {dir}: is a folder, not a file"),
}


@pytest.mark.parametrize("name", list(USAGE_ERRORS))
def test_bad_output_path_is_bad_usage_before_any_work_on_both_paths(client, tmp_path, capsys, name):
    options, message = USAGE_ERRORS[name]
    options = [option.format(dir=tmp_path) for option in options]
    argv = ["cluster", str(tmp_path / "unread.csv"), "--bandwidth", "2", *options]
    results = on_both_paths(argv, client, capsys)
    expected = (
        2,
        "",
        f"fastmeanshift: error: {message.format(dir=tmp_path)} (see fastmeanshift cluster "
        "--help)\n",
    )
    assert results == {"local": expected, "scheduler": expected}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--labels", "{dir}/labels.npy"],
            "--labels {dir}/labels.npy: with --scheduler, labels "
            "are written one file per partition; give a pattern with one *, such as "
            "labels/part-*.npy",
        ),
        (
            ["--labels", "{dir}/labels-*.json"],
            "--labels {dir}/labels-*.json: with --scheduler, "
            "labels are written to .csv or .npy files",
        ),
        (
            ["--labels", "{dir}/file.csv/labels-*.csv"],
            "--labels {dir}/file.csv/labels-*.csv: {dir}/file.csv is not a folder",
        ),
        (
            ["--plot", "{dir}/p.png"],
            "--plot would bring every sample to this machine: not with --scheduler",
        ),
    ],
    ids=["labels without a star", "labels as json", "labels under a file", "plot"],
)
def test_scheduler_only_usage_errors_come_before_any_work(
    client, tmp_path, capsys, options, message
):
    (tmp_path / "file.csv").write_text("")
    options = [option.format(dir=tmp_path) for option in options]
    argv = ["cluster", str(tmp_path / "unread.csv"), *options]
    status, out, err = run([*argv, "--scheduler", client.scheduler.address], capsys)
    assert (status, out) == (2, "")
    assert err == (
        f"fastmeanshift: error: {message.format(dir=tmp_path)} (see fastmeanshift cluster --help)\n"
    )


def test_weights_column_of_a_glob_of_parquet_files(client, tmp_path, capsys):
    # README's own example: the Parquet reader of Dask merges the partitions
    # of the one column, which then did not match the counted lengths.
    for k in range(3):
        rows = slice(30 * k, 30 * (k + 1))
        write_parquet(
            tmp_path / f"data-{k}.parquet",
            {"x": POINTS[rows, 0], "y": POINTS[rows, 1], "weight": WEIGHTS[rows]},
        )
    write_parquet(
        tmp_path / "all.parquet", {"x": POINTS[:, 0], "y": POINTS[:, 1], "weight": WEIGHTS}
    )
    argv = ["--bandwidth", "1.5", "--bin-seeding", "--weights", "weight", "-q"]
    scheduler = run(
        [
            "cluster",
            str(tmp_path / "data-*.parquet"),
            *argv,
            "--scheduler",
            client.scheduler.address,
            "--centers",
            str(tmp_path / "dask-c.npy"),
            "--labels",
            str(tmp_path / "labels" / "part-*.csv"),
        ],
        capsys,
    )
    local = run(
        ["cluster", str(tmp_path / "all.parquet"), *argv, "--centers", str(tmp_path / "c.npy")],
        capsys,
    )
    assert scheduler == local == (0, "", "")
    expected = fms.MeanShift(bandwidth=1.5, bin_seeding=True).fit(POINTS, sample_weight=WEIGHTS)
    for centers in ("c.npy", "dask-c.npy"):
        assert np.load(tmp_path / centers).tobytes() == expected.cluster_centers_.tobytes()
    parts = sorted((tmp_path / "labels").glob("part-*.csv"))
    assert len(parts) == 3
    labels = np.concatenate([np.loadtxt(part, dtype=np.int64, ndmin=1) for part in parts])
    np.testing.assert_array_equal(labels, expected.labels_)


def test_a_glob_of_npy_files_of_different_widths_says_which(client, tmp_path, capsys):
    np.save(tmp_path / "a.npy", POINTS)
    np.save(tmp_path / "b.npy", np.ones((4, 3)))
    argv = ["cluster", str(tmp_path / "*.npy"), "--bandwidth", "1", "--scheduler"]
    status, out, err = run([*argv, client.scheduler.address], capsys)
    assert (status, out) == (1, "")
    assert err == (
        f"fastmeanshift: error: {tmp_path / 'b.npy'} has 3 columns where {tmp_path / 'a.npy'} "
        "has 2 columns\n"
    )


def test_a_glob_of_several_formats_names_them(client, tmp_path, capsys):
    (tmp_path / "a.csv").write_text(csv_text(POINTS))
    np.save(tmp_path / "b.npy", POINTS)
    write_parquet(tmp_path / "c.parquet", {"x": POINTS[:, 0], "y": POINTS[:, 1]})
    pattern = str(tmp_path / "*")
    argv = ["cluster", pattern, "--bandwidth", "1", "--scheduler", client.scheduler.address]
    status, out, err = run(argv, capsys)
    assert (status, out) == (1, "")
    assert err == (
        f"fastmeanshift: error: {pattern}: matches .npy ({tmp_path / 'b.npy'}), CSV "
        f"({tmp_path / 'a.csv'}) and Parquet ({tmp_path / 'c.parquet'}) files; give a glob of "
        "files of one format\n"
    )


def test_a_missing_cell_on_a_new_local_cluster_is_one_line(tmp_path):
    # A process of its own, with --scheduler local: a LocalCluster's workers
    # print to this process's stderr, and must print nothing of a bad file.
    path = tmp_path / "missing.csv"
    path.write_text("x,y\n1,2\n3,\n")
    done = subprocess.run(
        [sys.executable, "-m", "fastmeanshift", "cluster", str(path), "--scheduler", "local"],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"fastmeanshift: error: {path}: line 3, column 2 is empty: Input X contains NaN "
        "(missing values are not supported)\n"
    )
