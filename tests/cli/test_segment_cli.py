"""``fastmeanshift segment``: the files it reads and writes against
fastmeanshift.image, its checks before any work, and one line per error."""

from __future__ import annotations

import io

import numpy as np
import pytest

from fastmeanshift.cli.progress_bar import ProgressBar
from fastmeanshift.image import segment, segmentation

from command_line import run

Image = pytest.importorskip("PIL.Image")

PHOTO = np.random.default_rng(3).integers(0, 60, size=(20, 24, 3)).astype(np.uint8)
PHOTO[:, 12:] += 120


def test_png_in_every_output(tmp_path, capsys):
    source = tmp_path / "photo.png"
    Image.fromarray(PHOTO).save(source)
    outputs = [str(tmp_path / name) for name in ("segmented.png", "labels.npy", "modes.png")]
    status, out, err = run(
        [
            "segment", str(source), "--spatial", "3", "--range", "20", "--min-size", "5",
            "-o", outputs[0], "--labels", outputs[1], "--modes", outputs[2],
        ],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    got = segmentation(PHOTO, 3, 20, min_size=5)
    np.testing.assert_array_equal(np.load(outputs[1]), got.labels)
    painted = np.clip(np.rint(got.region_values[got.labels]), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(Image.open(outputs[0])), painted)
    modes = np.clip(np.rint(got.modes), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(Image.open(outputs[2])), modes)
    assert err.startswith(f"{len(got.region_values)} regions in ")
    assert out == ""


def test_npy_volume_with_spacing_and_kernel(tmp_path, capsys):
    volume = np.random.default_rng(4).normal(size=(4, 5, 6)).astype(np.float32)
    source, labels = tmp_path / "volume.npy", tmp_path / "labels.npy"
    np.save(source, volume)
    argv = ["segment", str(source), "--spatial", "2", "--range", "1", "--kernel", "gaussian"]
    argv += ["--spacing", "2", "1", "1", "--labels", str(labels), "-q"]
    status, _, err = run(argv, capsys)
    assert (status, err) == (0, "")
    expected = segment(volume, 2, 1, kernel="gaussian", spacing=(2, 1, 1), channel_axis=None)
    np.testing.assert_array_equal(np.load(labels), expected)


@pytest.mark.parametrize(
    ("outputs", "status", "message"),
    [
        (["--labels", "missing/labels.npy"], 2, "missing/labels.npy: the folder"),
        (["--labels", "labels.txt"], 2, "--labels labels.txt: labels are written as .npy"),
        (["-o", "segmented.csv"], 2, "--output segmented.csv: expected an image file or .npy"),
        (["-o", "volume.npy"], 2, "would overwrite the input"),
    ],
)
def test_outputs_are_checked_before_any_work(
    tmp_path, capsys, monkeypatch, outputs, status, message
):
    monkeypatch.chdir(tmp_path)
    np.save("volume.npy", np.zeros((3, 4, 5)))
    np.save("labels.npy", np.zeros(1))  # an old file, which must stay as it is
    got, out, err = run(
        ["segment", "volume.npy", "--spatial", "1", "--range", "1", *outputs], capsys
    )
    assert got == status
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    np.testing.assert_array_equal(np.load("labels.npy"), np.zeros(1))


def test_a_volume_is_no_png(tmp_path, capsys):
    source = tmp_path / "volume.npy"
    np.save(source, np.zeros((3, 4, 5)))
    argv = ["segment", str(source), "--spatial", "1", "--range", "1", "-o", str(tmp_path / "v.png")]
    status, _, err = run(argv, capsys)
    assert status == 1
    written = tmp_path / "v.png"
    assert (
        err == f"fastmeanshift: error: --output {written}: a volume can only be written as .npy\n"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("absent.png", None, "absent.png: No such file or directory"),
        ("text.png", b"not an image", "text.png: not an image pillow can read"),
        ("bad.npy", b"not an array", "bad.npy: not a NumPy array file"),
    ],
)
def test_unreadable_inputs_are_one_line_naming_the_file(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    status, _, err = run(["segment", str(path), "--spatial", "1", "--range", "1"], capsys)
    assert status == 1
    assert message in err and err.count("\n") == 1


def test_bad_parameters_are_one_line(tmp_path, capsys):
    source = tmp_path / "volume.npy"
    np.save(source, np.full((3, 4), np.nan))
    status, _, err = run(["segment", str(source), "--spatial", "1", "--range", "1"], capsys)
    assert (status, err) == (1, "fastmeanshift: error: the image contains NaN or infinity\n")
    status, _, err = run(["segment", str(source), "--spatial", "-1", "--range", "1"], capsys)
    assert status == 1 and "'spatial_bandwidth' parameter of segment" in err


def test_progress_bar_counts_pixels():
    stream = io.StringIO()
    bar = ProgressBar(stream, unit="pixels")
    bar.started -= 10  # as if it had run for a while
    bar(50, 100)
    assert "50/100 pixels climbed" in stream.getvalue()


def test_segment_is_listed_in_the_help(capsys):
    status, out, _ = run(["--help"], capsys)
    assert status == 0 and "segment" in out
