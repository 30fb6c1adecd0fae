"""fastmeanshift.image.segment against the pure-NumPy reference (docs/algorithm.md §13):
the same labels, modes, region values and n_iter, bit for bit, on small images."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastmeanshift import InvalidParameterError
from fastmeanshift.image import segment, segmentation

import reference


def two_halves(shape=(9, 11), channels=3, seed=0) -> np.ndarray:
    """Noisy integer values, a bright right half."""
    image = np.random.default_rng(seed).integers(0, 60, size=(*shape, channels))
    image[..., shape[-1] // 2 :, :] += 100
    return image.astype(np.uint8)


def assert_as_reference(image, hs, hr, *, channel_axis=-1, spacing=None, **params) -> None:
    got = segmentation(
        image, hs, hr, channel_axis=channel_axis, spacing=spacing, return_modes=True, **params
    )
    array = np.asarray(image)
    grey = channel_axis is None or array.ndim == 2
    values = array[..., None] if grey else np.moveaxis(array, channel_axis, -1)
    spatial = values.shape[:-1]
    labels, modes, region_values, n_iter = reference.segment_image(
        values.astype(np.float64), spacing or (1.0,) * len(spatial), hs, hr, **params
    )
    np.testing.assert_array_equal(got.labels, labels)
    assert got.labels.dtype == np.int64
    modes = modes[..., 0] if grey else np.moveaxis(modes, -1, channel_axis)
    np.testing.assert_array_equal(got.modes, modes)
    assert got.modes.shape == array.shape
    np.testing.assert_array_equal(got.region_values, region_values)
    assert got.n_iter == n_iter


@pytest.mark.parametrize("min_size", [0, 6])
def test_rgb(min_size):
    assert_as_reference(two_halves(), 2.0, 30.0, min_size=min_size)


@pytest.mark.parametrize("kernel", ["flat", "epanechnikov", "gaussian"])
def test_every_kernel(kernel):
    # The Gaussian's window reaches three bandwidths: a smaller image.
    shape = (5, 6) if kernel == "gaussian" else (8, 9)
    assert_as_reference(two_halves(shape), 1.5, 40.0, kernel=kernel, min_size=3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fractions_in_float32_or_float64_planes(dtype):
    # Float32 values are climbed in float32 planes of two limbs; the same
    # values a hair off float32 in float64 planes of three
    # (docs/algorithm.md §13.2).
    image = two_halves((10, 12)).astype(np.float32) / np.float32(7)
    image[..., 0] *= np.float32(0.01)
    image = image.astype(dtype) + (1e-9 if dtype == np.float64 else 0)
    assert_as_reference(image, 2.5, 4.0, min_size=4)


def test_grayscale_float():
    image = np.random.default_rng(1).normal(size=(10, 12)).astype(np.float32)
    image[:, 6:] += 4
    assert_as_reference(image, 2.5, 1.2, min_size=4)
    # A 2-D image is grayscale whatever channel_axis says.
    np.testing.assert_array_equal(
        segment(image, 2.5, 1.2), segment(image, 2.5, 1.2, channel_axis=None)
    )


def test_volume_with_anisotropic_spacing():
    rng = np.random.default_rng(2)
    volume = rng.normal(size=(4, 6, 5))
    volume[2:] += 5
    assert_as_reference(volume, 2.0, 2.0, channel_axis=None, spacing=(2.0, 1.0, 0.5), min_size=3)
    # The spacing matters: along the first axis, 2 is one bandwidth here.
    _, near = segment(volume, 2.0, 2.0, channel_axis=None, return_modes=True)
    spaced = {"channel_axis": None, "spacing": (2.0, 1.0, 0.5), "return_modes": True}
    _, far = segment(volume, 2.0, 2.0, **spaced)
    assert not np.array_equal(near, far)


def test_volume_with_channels_first():
    volume = np.random.default_rng(3).integers(0, 9, size=(2, 3, 4, 5)).astype(np.uint16)
    assert_as_reference(volume, 1.5, 6.0, channel_axis=0)


def test_pixels_far_apart_with_close_modes_are_one_region():
    # Two dark pixels, 4 apart in a bright 5 x 5 image, climb to one mode at
    # h_s = 4: one region though they do not neighbour. At h_s = 1 neither
    # moves, and 4 apart they do not link.
    image = np.full((5, 5), 50.0)
    image[0, 0], image[0, 4] = 0.0, 0.5
    assert_as_reference(image, 4.0, 1.0)
    labels = segment(image, 4.0, 1.0)
    assert labels[0, 0] == labels[0, 4] != labels[0, 1]
    labels = segment(image, 1.0, 1.0)
    assert labels[0, 0] != labels[0, 4]


def test_labels_in_raster_order_of_first_pixels():
    labels = segment(two_halves((10, 10)), 2.0, 30.0, min_size=4)
    firsts = [np.flatnonzero(labels.ravel() == k)[0] for k in range(labels.max() + 1)]
    assert firsts == sorted(firsts)
    assert labels.min() == 0


def test_min_size_leaves_no_small_region():
    labels = segment(two_halves((12, 12), seed=4), 1.5, 8.0, min_size=10)
    assert np.bincount(labels.ravel()).min() >= 10


@pytest.mark.parametrize("kernel", ["flat", "epanechnikov"])
def test_thread_count_does_not_change_a_bit(kernel):
    # Float values: the flat kernel's limbs, the Epanechnikov's expansions.
    image = np.random.default_rng(5).normal(size=(40, 50, 3)).astype(np.float32) * 10
    runs = [segmentation(image, 3.0, 12.0, kernel=kernel, min_size=5, n_jobs=j) for j in (1, 2, 3)]
    for other in runs[1:]:
        np.testing.assert_array_equal(other.labels, runs[0].labels)
        np.testing.assert_array_equal(other.modes, runs[0].modes)
        np.testing.assert_array_equal(other.region_values, runs[0].region_values)


DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64]
DTYPES += [np.float16, np.float32, np.float64, np.longdouble, bool, ">f8", ">u2"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_any_dtype_is_its_float64_values(dtype):
    image = two_halves((8, 8)).astype(dtype)
    expected = segment(image.astype(np.float64), 2.0, 30.0, return_modes=True)
    got = segment(image, 2.0, 30.0, return_modes=True)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[1].dtype == np.float64


def test_any_layout_and_the_input_is_never_modified():
    base = two_halves((12, 10)).astype(np.float64)
    views = [
        np.asfortranarray(base),
        base[::-1, ::-1],
        np.ascontiguousarray(np.moveaxis(base, -1, 0)),  # channels first
        np.repeat(base, 2, axis=1)[:, ::2],
    ]
    expected = segment(base, 2.0, 30.0, min_size=3)
    for view in views:
        before = view.copy()
        channel_axis = 0 if view.shape[0] == 3 else -1
        got = segment(view, 2.0, 30.0, min_size=3, channel_axis=channel_axis)
        np.testing.assert_array_equal(view, before)
        if view.base is base and view.strides[0] < 0:
            continue  # reversed: another image
        np.testing.assert_array_equal(got, expected)


def test_progress_counts_pixels():
    reports = []
    segmentation(
        two_halves((6, 7)), 2.0, 30.0, progress=lambda done, total: reports.append((done, total))
    )
    assert reports[-1] == (42, 42)


@settings(max_examples=25)
@given(
    data=st.data(),
    shape=st.tuples(st.integers(1, 5), st.integers(2, 6)),
    channels=st.sampled_from([1, 3]),
    integers=st.booleans(),
    kernel=st.sampled_from(["flat", "epanechnikov"]),
    hs=st.floats(0.5, 3.0),
    hr=st.floats(0.5, 40.0),
    min_size=st.integers(0, 6),
)
def test_random_small_images(data, shape, channels, integers, kernel, hs, hr, min_size):
    elements = st.integers(0, 40) if integers else st.floats(-20, 20, width=32)
    values = data.draw(
        st.lists(
            elements,
            min_size=shape[0] * shape[1] * channels,
            max_size=shape[0] * shape[1] * channels,
        )
    )
    image = np.array(values, dtype=np.float64).reshape(*shape, channels)
    assert_as_reference(image, hs, hr, kernel=kernel, min_size=min_size)


@pytest.mark.parametrize(
    ("image", "params", "error", "match"),
    [
        (np.full((3, 3), np.nan), {}, ValueError, "NaN"),
        (np.full((3, 3), np.inf), {}, ValueError, "NaN or infinity"),
        (np.zeros((3, 3), dtype=complex), {}, TypeError, "real numbers"),
        (np.array([["a", "b"], ["c", "d"]]), {}, TypeError, "real numbers"),
        (np.zeros(5), {}, ValueError, "2 or 3 spatial dimensions"),
        (np.zeros((2, 2, 2, 2, 2)), {}, ValueError, "2 or 3 spatial dimensions"),
        (np.zeros((0, 3, 3)), {}, ValueError, "empty"),
        (np.zeros((3, 3, 3)), {"channel_axis": 3}, ValueError, "out of range"),
        (np.zeros((3, 3)), {"spacing": (1.0,)}, ValueError, "one number per spatial axis"),
        (np.zeros((3, 3)), {"spacing": (1.0, 0.0)}, ValueError, "finite numbers > 0"),
        (np.zeros((3, 3)), {"spacing": (1.0, np.nan)}, ValueError, "finite numbers > 0"),
        (np.zeros((3, 3)), {"spacing": "ab"}, (TypeError, ValueError), "spacing"),
        (np.zeros((3, 3)), {"n_jobs": 0}, ValueError, "n_jobs == 0"),
    ],
)
def test_bad_input(image, params, error, match):
    with pytest.raises(error, match=match):
        segment(image, 1.0, 1.0, **params)


def test_a_bandwidth_whose_square_underflows():
    with pytest.raises(ValueError, match="range bandwidth 1e-200 is too small"):
        segment(np.zeros((3, 3)), 1.0, 1e-200)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"spatial_bandwidth": 0.0}, "spatial_bandwidth"),
        ({"spatial_bandwidth": np.inf}, "spatial_bandwidth"),
        ({"range_bandwidth": -1.0}, "range_bandwidth"),
        ({"range_bandwidth": "1"}, "range_bandwidth"),
        ({"kernel": "cosine"}, "kernel"),
        ({"min_size": -1}, "min_size"),
        ({"min_size": 2.5}, "min_size"),
        ({"max_iter": -1}, "max_iter"),
        ({"channel_axis": 1.0}, "channel_axis"),
        ({"return_modes": 1}, "return_modes"),
    ],
)
def test_bad_parameters(params, name):
    arguments = {"spatial_bandwidth": 1.0, "range_bandwidth": 1.0, **params}
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of segment"):
        segment(np.zeros((3, 3)), **arguments)
