"""fastmeanshift: scikit-learn's mean shift clustering, exact and fast.

A drop-in replacement for ``sklearn.cluster.MeanShift``, ``mean_shift``,
``estimate_bandwidth`` and ``get_bin_seeds``: the same clustering as
scikit-learn 1.9.1, computed by a parallel Rust core.
"""

from ._mean_shift import MeanShift, estimate_bandwidth, get_bin_seeds, mean_shift
from ._validation import InvalidParameterError, NotFittedError

__all__ = [
    "InvalidParameterError",
    "MeanShift",
    "NotFittedError",
    "estimate_bandwidth",
    "get_bin_seeds",
    "mean_shift",
]
__version__ = "0.1.0"
