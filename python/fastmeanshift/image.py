"""Mean shift segmentation of images and volumes (docs/algorithm.md §13).

Every pixel climbs in position and value at once (joint spatial-range mean
shift, as Comaniciu and Meer segment images), pixels whose modes are close
join regions, and regions smaller than ``min_size`` merge into their
neighbour nearest in value. Arrays follow scikit-image's conventions: a
``channel_axis``, a physical ``spacing`` per spatial axis, and a labels array
of the spatial shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import _core
from ._validation import SEGMENT_CONSTRAINTS, clamped, validate_params

__all__ = ["Segmented", "segment", "segmentation"]

_U64_MAX = 2**64 - 1
_I64_MAX = 2**63 - 1


class Segmented(NamedTuple):
    """Everything one segmentation computes, in the image's layout: what
    :func:`segmentation` returns.

    Parameters
    ----------
    labels : ndarray of int64, the spatial shape
        Region labels from 0, in raster order of each region's first pixel.
    modes : ndarray of float64, the image's shape
        Where each pixel's climb ended, in value.
    region_values : ndarray of float64 of shape (regions, channels)
        The mean of each region's modes, by label.
    n_iter : int
        The most iterations any climb took.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmeanshift.image import segmentation
    >>> got = segmentation(np.array([[0.0, 1.0, 9.0, 9.0]]), 1, 2)
    >>> got.labels.tolist(), got.modes.tolist(), got.n_iter
    ([[0, 0, 1, 1]], [[0.5, 0.5, 9.0, 9.0]], 1)
    >>> segmented = got.region_values[got.labels]  # each region painted with its value
    >>> segmented[..., 0].tolist()
    [[0.5, 0.5, 9.0, 9.0]]
    """

    labels: np.ndarray
    modes: np.ndarray
    region_values: np.ndarray
    n_iter: int


def segment(
    image: Any,
    spatial_bandwidth: float,
    range_bandwidth: float,
    *,
    kernel: str = "flat",
    min_size: int = 0,
    spacing: Any = None,
    channel_axis: int | None = -1,
    max_iter: int = 300,
    n_jobs: int | None = None,
    return_modes: bool = False,
) -> Any:
    """Segment an image or a volume by joint spatial-range mean shift.

    Each pixel climbs, in position and value at once, to a mode of the
    density weighed by the product of a spatial kernel of bandwidth
    ``spatial_bandwidth`` and a range kernel of bandwidth ``range_bandwidth``.
    Pixels whose modes lie within one spatial bandwidth and one range
    bandwidth of each other, directly or through a chain of such pixels, form
    one region, and regions of fewer than ``min_size`` pixels merge, smallest first, into their
    neighbouring region of nearest mean mode (docs/algorithm.md §13). The
    sums are exact, so the result does not depend on ``n_jobs``.

    Distances in value are Euclidean over the channels: for colour images a
    perceptual space (CIELAB or CIELUV, e.g. ``skimage.color.rgb2lab``) makes
    ``range_bandwidth`` mean the same colour difference everywhere.

    Parameters
    ----------
    image : array-like of shape (M, N[, P][, C])
        Any real dtype (bool, integers, floats), any memory layout; it is
        read, never modified (in place, in its own type, where it is
        C-contiguous with the channels last). Values must be finite.
    spatial_bandwidth : float
        ``h_s``, in the units of ``spacing`` (pixels by default), > 0.
    range_bandwidth : float
        ``h_r``, in the units of the values, > 0.
    kernel : {"flat", "epanechnikov", "gaussian"}, default="flat"
        The profile of both kernels (the Gaussian is truncated at three
        bandwidths).
    min_size : int, default=0
        Regions of fewer pixels merge into a neighbour; 0 or 1 merges none.
    spacing : sequence of float, optional
        The distance between neighbouring pixels along each spatial axis
        (all 1 by default), for anisotropic volumes.
    channel_axis : int or None, default=-1
        The axis of the channels; None for a grayscale image or volume. A 2-D
        image is grayscale whatever ``channel_axis`` says.
    max_iter : int, default=300
        The most iterations of one pixel's climb.
    n_jobs : int, default=None
        Threads: None is 1, -1 every core (joblib's convention).
    return_modes : bool, default=False
        Also return each pixel's mode.

    Returns
    -------
    labels : ndarray of int64, the spatial shape
        Region labels from 0, in raster order of each region's first pixel.
    modes : ndarray of float64, the image's shape
        Where each pixel's climb ended in value (the mean-shift filtered
        image). Only with ``return_modes=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmeanshift.image import segment
    >>> image = np.zeros((4, 6, 3), dtype=np.uint8)
    >>> image[:, 3:] = 200
    >>> segment(image, spatial_bandwidth=2, range_bandwidth=10)
    array([[0, 0, 0, 1, 1, 1],
           [0, 0, 0, 1, 1, 1],
           [0, 0, 0, 1, 1, 1],
           [0, 0, 0, 1, 1, 1]])
    """
    got = segmentation(
        image,
        spatial_bandwidth,
        range_bandwidth,
        kernel=kernel,
        min_size=min_size,
        spacing=spacing,
        channel_axis=channel_axis,
        max_iter=max_iter,
        n_jobs=n_jobs,
        return_modes=return_modes,
    )
    return (got.labels, got.modes) if return_modes else got.labels


def segmentation(
    image: Any,
    spatial_bandwidth: float,
    range_bandwidth: float,
    *,
    kernel: str = "flat",
    min_size: int = 0,
    spacing: Any = None,
    channel_axis: int | None = -1,
    max_iter: int = 300,
    n_jobs: int | None = None,
    return_modes: bool = False,
    progress: Callable[[int, int], object] | None = None,
) -> Segmented:
    """Segment an image or a volume, with everything the segmentation computes.

    Parameters
    ----------
    image, spatial_bandwidth, range_bandwidth, kernel, min_size, spacing, \
channel_axis, max_iter, n_jobs
        As for :func:`segment`.
    return_modes : bool, default=False
        Validated as for :func:`segment`; the modes are always returned here.
    progress : callable, optional
        Called with ``(pixels climbed, pixels)`` now and then, on the calling
        thread (the command line's progress bar).

    Returns
    -------
    Segmented
        The labels, each pixel's mode, each region's value (the mean of its
        pixels' modes, by label) and ``n_iter``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmeanshift.image import segmentation
    >>> got = segmentation(np.array([[0, 0, 9, 9]]), 1, 2)
    >>> got.labels.tolist(), got.region_values.tolist()
    ([[0, 0, 1, 1]], [[0.0], [9.0]])
    """
    params = {
        "spatial_bandwidth": spatial_bandwidth,
        "range_bandwidth": range_bandwidth,
        "kernel": kernel,
        "min_size": min_size,
        "max_iter": max_iter,
        "channel_axis": channel_axis,
        "return_modes": return_modes,
        "n_jobs": n_jobs,
    }
    validate_params(SEGMENT_CONSTRAINTS, "segment", params)
    array = _real_array(image)
    grey = channel_axis is None or array.ndim == 2
    if grey:
        moved = array[..., np.newaxis]
    else:
        assert channel_axis is not None
        if not -array.ndim <= channel_axis < array.ndim:
            raise ValueError(
                f"channel_axis={channel_axis} is out of range for an image of "
                f"{array.ndim} dimensions"
            )
        moved = np.moveaxis(array, channel_axis, -1)
    shape = moved.shape[:-1]
    if len(shape) not in (2, 3):
        raise ValueError(
            f"expected an image of 2 or 3 spatial dimensions, got shape {array.shape} "
            f"with channel_axis={channel_axis}"
        )
    if 0 in moved.shape:
        raise ValueError(f"cannot segment an empty image (shape {array.shape})")
    pixels = _core_pixels(moved)
    options: _core.ImageOptions = {
        "spatial_bandwidth": float(spatial_bandwidth),
        "range_bandwidth": float(range_bandwidth),
        "kernel": str(kernel),
        "min_size": clamped(min_size, 0, _I64_MAX),
        "max_iter": clamped(max_iter, 0, _U64_MAX),
        "n_jobs": None if n_jobs is None else clamped(n_jobs, -_I64_MAX, _I64_MAX),
    }
    labels, modes, values, n_iter = _core.segment(
        pixels, list(shape), _spacing(spacing, len(shape)), options, progress
    )
    modes = modes.reshape(moved.shape)
    modes = modes[..., 0] if grey else np.moveaxis(modes, -1, channel_axis)  # type: ignore[arg-type]
    return Segmented(labels.reshape(shape), modes, values.reshape(-1, moved.shape[-1]), int(n_iter))


def _core_pixels(moved: np.ndarray) -> np.ndarray:
    """The pixels as rows of channels, in a type the core reads in place.

    That is the caller's own array, not a copy, when it is C-contiguous in
    native byte order and of an integer type, float32 or float64. Booleans
    become uint8, float16 float32 (both exactly), and wider floats float64.
    The core checks that every value is finite.
    """
    dtype = moved.dtype
    if dtype.kind == "b":
        dtype = np.dtype(np.uint8)
    elif dtype.kind == "f" and dtype.itemsize < 4:
        dtype = np.dtype(np.float32)
    elif dtype.kind == "f" and dtype.itemsize > 8:
        dtype = np.dtype(np.float64)
    pixels = np.ascontiguousarray(moved, dtype=dtype.newbyteorder("="))
    return pixels.reshape(-1, moved.shape[-1])


def _real_array(image: Any) -> np.ndarray:
    """``image`` as a NumPy array of real numbers (bool, integers or floats)."""
    array = np.asarray(image)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"expected an image of real numbers (bool, integer or float dtype), "
            f"got dtype {array.dtype}"
        )
    return array


def _spacing(spacing: Any, axes: int) -> list[float]:
    """The spacing of each spatial axis: finite numbers > 0, one per axis."""
    if spacing is None:
        return [1.0] * axes
    try:
        values = [float(s) for s in np.asarray(spacing, dtype=object).ravel()]
    except (TypeError, ValueError) as error:
        raise TypeError(f"spacing must be a sequence of numbers, got {spacing!r}") from error
    if np.ndim(spacing) != 1 or len(values) != axes:
        raise ValueError(f"spacing must hold one number per spatial axis ({axes}), got {spacing!r}")
    if not all(math.isfinite(s) and s > 0 for s in values):
        raise ValueError(f"spacing must be finite numbers > 0, got {spacing!r}")
    return values
