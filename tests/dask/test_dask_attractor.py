"""fastmeanshift.dask.MeanShift and attractor labels (docs/algorithm.md §12.5): a
clear ValueError before any work, naming what to use instead."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from fastmeanshift import InvalidParameterError
from fastmeanshift.dask import MeanShift


class Untouchable:
    """Data whose every use would be work: a fit that touches it fails otherwise."""

    def __getattr__(self, name):
        raise AssertionError(f"the fit read X.{name} before refusing")


def test_attractor_labels_are_refused_before_any_work():
    model = MeanShift(bandwidth=1.0, cluster_assignment="attractor")
    with pytest.raises(ValueError, match="not available on a Dask cluster") as info:
        model.fit(Untouchable())
    message = str(info.value)
    assert "cluster_assignment='nearest'" in message
    assert "fastmeanshift.MeanShift(cluster_assignment='attractor')" in message
    assert not hasattr(model, "cluster_centers_")


def test_an_unknown_assignment_is_the_usual_invalid_parameter():
    X = da.from_array(np.zeros((4, 2)), chunks=2)
    with pytest.raises(InvalidParameterError, match="'cluster_assignment' parameter"):
        MeanShift(bandwidth=1.0, cluster_assignment="closest").fit(X)
