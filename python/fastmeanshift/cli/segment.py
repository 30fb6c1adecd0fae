"""``fastmeanshift segment IMAGE``: segment a photograph or a volume.

PNG, JPEG and the other formats pillow reads (the ``image`` extra), or
``.npy`` for volumes and any dtype. Outputs: the segmented image (each region
painted with its value), the labels (``.npy``) and the modes (each pixel's
climb end). Every output path is checked before any work.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..image import Segmented, segmentation
from .errors import MissingDependency, UsageError
from .output_paths import check_output_path
from .progress_bar import ProgressBar

IMAGE_EXTRA_HINT = 'reading and writing images needs pillow: pip install "fastmeanshift[image]"'
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"}


def add_parser(commands: Any) -> None:
    """Registers the ``segment`` command with the ``fastmeanshift`` parser."""
    command = commands.add_parser(
        "segment",
        help="segment an image or a volume by joint spatial-range mean shift",
        description=(
            "Segment an image (PNG, JPEG, ... through pillow) or a volume (.npy) by "
            "joint spatial-range mean shift (fastmeanshift.image.segment)."
        ),
    )
    command.add_argument("image", metavar="IMAGE", help="an image file, or a .npy array")
    command.add_argument(
        "--spatial", type=float, required=True, metavar="HS", help="spatial bandwidth (pixels)"
    )
    command.add_argument(
        "--range", type=float, required=True, metavar="HR", help="range bandwidth (values)"
    )
    command.add_argument("--min-size", type=int, default=0, metavar="N", help="smallest region")
    command.add_argument("--kernel", choices=["flat", "epanechnikov", "gaussian"], default="flat")
    command.add_argument(
        "--spacing", type=float, nargs="+", metavar="S", help="pixel spacing per spatial axis"
    )
    command.add_argument(
        "--grayscale",
        action="store_true",
        help="a .npy array of 3 dimensions is a volume, not an image with channels last",
    )
    command.add_argument(
        "-o", "--output", metavar="FILE", help="the segmented image (image file or .npy)"
    )
    command.add_argument("--labels", metavar="FILE.npy", help="the region labels (int64)")
    command.add_argument("--modes", metavar="FILE", help="each pixel's mode (image file or .npy)")
    command.add_argument(
        "-j", "--n-jobs", type=int, default=-1, help="threads (default: every core)"
    )
    command.add_argument("-q", "--quiet", action="store_true", help="no summary, no progress bar")


def run(args: argparse.Namespace) -> None:
    """Checks every output path (a usage error, before any work), then reads,
    segments and writes."""
    outputs = [
        (option, path)
        for option, path in (
            ("--output", args.output),
            ("--labels", args.labels),
            ("--modes", args.modes),
        )
        if path is not None
    ]
    for option, path in outputs:
        check_output_path(option, path)
        suffix = Path(path).suffix.lower()
        if Path(path).resolve() == Path(args.image).resolve():
            raise UsageError(f"{option} {path}: would overwrite the input")
        if option == "--labels" and suffix != ".npy":
            raise UsageError(f"--labels {path}: labels are written as .npy")
        if option != "--labels" and suffix not in IMAGE_SUFFIXES | {".npy"}:
            raise UsageError(f"{option} {path}: expected an image file or .npy")
    image = read_image(args.image)
    volume = image.ndim == 3 and (args.grayscale or image.shape[-1] not in (1, 3, 4))
    grey = image.ndim == 2 or volume
    for option, path in outputs:
        if option != "--labels" and Path(path).suffix.lower() in IMAGE_SUFFIXES and volume:
            raise ValueError(f"{option} {path}: a volume can only be written as .npy")
    started = time.perf_counter()
    got = segment_with_progress(image, args, grey, show=not args.quiet)
    seconds = time.perf_counter() - started
    for option, path in outputs:
        if option == "--labels":
            np.save(path, got.labels)
        elif option == "--output":
            write_image(path, got.region_values[got.labels].reshape(image.shape), image.dtype)
        else:
            write_image(path, got.modes, image.dtype)
    if not args.quiet:
        regions = len(got.region_values)
        sys.stderr.write(f"{regions} regions in {seconds:.3f} s, {got.n_iter} iterations at most\n")


def segment_with_progress(
    image: np.ndarray, args: argparse.Namespace, grey: bool, show: bool
) -> Segmented:
    """Segments ``image`` with a progress bar when stderr is a terminal."""
    bar = ProgressBar(sys.stderr, unit="pixels") if show and sys.stderr.isatty() else None
    try:
        return segmentation(
            image,
            args.spatial,
            args.range,
            kernel=args.kernel,
            min_size=args.min_size,
            spacing=args.spacing,
            channel_axis=None if grey else -1,
            n_jobs=args.n_jobs,
            progress=bar,
        )
    finally:
        if bar is not None:
            bar.clear()


def read_image(path: str) -> np.ndarray:
    """The array in ``path``: ``.npy`` as it is, any other file through pillow."""
    if Path(path).suffix.lower() == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except ValueError as err:
            raise ValueError(f"{path}: not a NumPy array file ({err})") from None
    pil = _pillow()
    try:
        with pil.open(path) as opened:
            # Palette, CMYK and the like become RGB; grey and RGB(A) stay.
            keep = opened.mode in ("L", "I", "I;16", "F", "RGB", "RGBA")
            return np.asarray(opened if keep else opened.convert("RGB"))
    except pil.UnidentifiedImageError:
        raise ValueError(f"{path}: not an image pillow can read") from None


def write_image(path: str, values: np.ndarray, dtype: np.dtype[Any]) -> None:
    """``values`` to ``path``: ``.npy`` as float64, an image file rounded to
    the input's integer type (8 bits for a float input)."""
    if Path(path).suffix.lower() == ".npy":
        np.save(path, values)
        return
    pil = _pillow()
    kind = np.dtype(dtype)
    target = kind if kind.kind in "ui" and kind.itemsize <= 2 else np.dtype(np.uint8)
    info = np.iinfo(target)
    pixels = np.clip(np.rint(values), info.min, info.max).astype(target)
    pil.fromarray(pixels).save(path)


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise MissingDependency(IMAGE_EXTRA_HINT) from None
    return Image
