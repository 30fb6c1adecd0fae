"""Time fastmeanshift.image.segment against OpenCV's and EDISON's mean shift on a photograph.

The photograph is scikit-learn's ``china.jpg`` (427 x 640 RGB), at spatial
bandwidth 6, range bandwidth 4.5 and a minimum region of 50 pixels:
fastmeanshift's ``segment`` (every core), OpenCV's ``cv2.pyrMeanShiftFiltering``
(a filter: its regions are counted as connected pixels of one output colour)
and EDISON through ``pymeanshift.segment`` (in its exact mode, speedup level 0, and
at speedup level 2, its default;
EDISON works in CIELUV, so its regions are not comparable one for one). Each
is timed in one process, except EDISON, which needs NumPy < 2 and runs in a
child with the interpreter ``--edison-python`` (or the environment variable
``FASTMEANSHIFT_EDISON_PYTHON``) names; without it, or without OpenCV, that
row says so. Times are medians of ``--repeats`` runs.

Then a 128^3 float32 volume of three noisy spheres (contrast 1, noise 0.1,
spatial bandwidth 2, range bandwidth contrast / 10): its time, its time per
voxel against the photograph's per pixel, and the peak memory either call
adds per pixel (measured in a fresh child, as benches/peak_memory.py does).

    python benches/segment_compare.py
    python benches/segment_compare.py --repeats 3 --skip-volume
    FASTMEANSHIFT_EDISON_PYTHON=/work/venv-edison/bin/python python benches/segment_compare.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from fastmeanshift.image import segment

SPATIAL, RANGE, MIN_SIZE = 6.0, 4.5, 50
VOLUME_SIDE, CONTRAST, NOISE = 128, 1.0, 0.1
STATUS = Path("/proc/self/status")

EDISON_CHILD = textwrap.dedent(
    """
    import json, statistics, sys, time
    import numpy as np
    import pymeanshift

    image = np.load(sys.argv[1])
    times = []
    for _ in range(int(sys.argv[2])):
        start = time.perf_counter()
        _, labels, regions = pymeanshift.segment(
            image, {spatial}, {range}, {min_size}, speedup_level=int(sys.argv[3])
        )
        times.append(time.perf_counter() - start)
    print(json.dumps({{"seconds": statistics.median(times), "regions": int(regions)}}))
    """
)


def photograph() -> np.ndarray:
    from sklearn.datasets import load_sample_image  # type: ignore[import-untyped]

    return np.ascontiguousarray(load_sample_image("china.jpg"))


def spheres(side: int = VOLUME_SIDE, seed: int = 0) -> np.ndarray:
    """Three bright spheres in a dark cube, with Gaussian noise, float32."""
    grid = np.indices((side, side, side), dtype=np.float32) / side
    volume = np.zeros((side, side, side), dtype=np.float32)
    for centre, radius in [
        ((0.3, 0.3, 0.3), 0.16),
        ((0.66, 0.62, 0.55), 0.2),
        ((0.5, 0.8, 0.25), 0.12),
    ]:
        inside = sum((grid[d] - centre[d]) ** 2 for d in range(3)) <= radius**2
        volume[inside] = CONTRAST
    volume += np.random.default_rng(seed).normal(scale=NOISE, size=volume.shape).astype(np.float32)
    return volume


def median_seconds(call: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The median wall time of ``repeats`` calls (after one warm-up) and the last result."""
    result = call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def colour_regions(image: np.ndarray) -> int:
    """Connected regions of identical colour (4-connectivity)."""
    from scipy.sparse import coo_matrix  # type: ignore[import-untyped]
    from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

    height, width = image.shape[:2]
    index = np.arange(height * width).reshape(height, width)
    same_right = (image[:, 1:] == image[:, :-1]).all(axis=-1)
    same_down = (image[1:] == image[:-1]).all(axis=-1)
    rows = np.concatenate([index[:, :-1][same_right], index[:-1][same_down]])
    cols = np.concatenate([index[:, 1:][same_right], index[1:][same_down]])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(height * width,) * 2)
    return int(connected_components(graph, directed=False)[0])


def edison(
    image: np.ndarray, python: str | None, repeats: int, speedup: int
) -> dict[str, Any] | str:
    """EDISON's median time and regions at ``speedup`` (0: exact, 2: its default)."""
    if not python or not Path(python).exists():
        return "no EDISON interpreter (--edison-python or FASTMEANSHIFT_EDISON_PYTHON)"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "image.npy"
        np.save(path, image)
        script = EDISON_CHILD.format(spatial=int(SPATIAL), range=RANGE, min_size=MIN_SIZE)
        done = subprocess.run(
            [python, "-c", script, str(path), str(repeats), str(speedup)],
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or ["EDISON failed"])[-1]
    return json.loads(done.stdout)


def peak_added_bytes(what: str) -> int:
    """The peak resident memory a segmentation adds, in a fresh child process."""
    done = subprocess.run(
        [sys.executable, __file__, "--memory-child", what], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip())
    return int(done.stdout)


def status_kib(field: str) -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in {STATUS}")


def memory_child(what: str) -> None:
    image, hs, hr, axis = (
        (photograph(), SPATIAL, RANGE, -1)
        if what == "photo"
        else (spheres(), 2.0, CONTRAST / 10, None)
    )
    segment(image[:8, :8], hs, hr, channel_axis=axis, n_jobs=-1)  # page the extension in
    before = status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM)
    segment(
        image, hs, hr, min_size=MIN_SIZE if what == "photo" else 0, channel_axis=axis, n_jobs=-1
    )
    print((status_kib("VmHWM") - before) * 1024)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--edison-python", default=os.environ.get("FASTMEANSHIFT_EDISON_PYTHON"))
    parser.add_argument("--skip-volume", action="store_true")
    parser.add_argument("--memory-child", choices=["photo", "volume"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child)
        return 0

    image = photograph()
    pixels = image.shape[0] * image.shape[1]
    print(f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"china.jpg {image.shape}, hs={SPATIAL}, hr={RANGE}, min_size={MIN_SIZE}\n")
    ours, labels = median_seconds(
        lambda: segment(image, SPATIAL, RANGE, min_size=MIN_SIZE, n_jobs=-1), args.repeats
    )
    rows = [("fastmeanshift.image.segment", ours, int(labels.max()) + 1)]
    missing = []
    try:
        import cv2  # type: ignore[import-not-found]
    except ImportError:
        missing.append("OpenCV: not installed (pip install opencv-python-headless)")
    else:
        seconds, filtered = median_seconds(
            lambda: cv2.pyrMeanShiftFiltering(image, SPATIAL, RANGE), args.repeats
        )
        rows.append(("cv2.pyrMeanShiftFiltering (filter only)", seconds, colour_regions(filtered)))
    for speedup, mode in [(0, "exact"), (2, "speedup 2, its default")]:
        found = edison(image, args.edison_python, args.repeats, speedup)
        if isinstance(found, str):
            missing.append(f"EDISON: {found}")
            break
        rows.append((f"EDISON (pymeanshift, {mode})", found["seconds"], found["regions"]))
    print("| implementation | median s | time / ours | regions |")
    print("| --- | --- | --- | --- |")
    for name, seconds, regions in rows:
        print(f"| {name} | {seconds:.3f} | {seconds / ours:.2f} | {regions:,} |")
    for line in missing:
        print(f"\n{line}")

    photo_bytes = peak_added_bytes("photo")
    print(
        f"\nphoto: {ours / pixels * 1e9:.0f} ns a pixel, peak added memory "
        f"{photo_bytes / pixels:.0f} bytes a pixel"
    )
    if not args.skip_volume:
        volume = spheres()
        seconds, labels = median_seconds(
            lambda: segment(volume, 2.0, CONTRAST / 10, channel_axis=None, n_jobs=-1),
            max(1, args.repeats // 2),
        )
        voxels = volume.size
        volume_bytes = peak_added_bytes("volume")
        print(
            f"volume {volume.shape} float32, hs=2, hr={CONTRAST / 10}: {seconds:.2f} s, "
            f"{int(labels.max()) + 1:,} regions, {seconds / voxels * 1e9:.0f} ns a voxel "
            f"({seconds / voxels / (ours / pixels):.1f} times the photograph's per pixel), "
            f"peak added memory {volume_bytes / voxels:.0f} bytes a voxel"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
