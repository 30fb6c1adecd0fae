"""A scatter plot of a clustering: points coloured by cluster, centers marked."""

from __future__ import annotations

import numpy as np

from .errors import MissingDependency

PLOT_EXTRA_HINT = "pip install 'fastmeanshift[plot]' (or pip install matplotlib)"


def require_matplotlib() -> None:
    """Fails early, before any clustering, when a plot cannot be drawn."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingDependency(f"plotting needs matplotlib: {PLOT_EXTRA_HINT}") from None


def plot_formats() -> list[str]:
    """The file extensions matplotlib can write a figure to."""
    require_matplotlib()
    from matplotlib.backend_bases import FigureCanvasBase

    return sorted(FigureCanvasBase.get_supported_filetypes())


# Coordinates are drawn divided by a power of ten when their largest magnitude
# is beyond this: matplotlib cannot lay out axes whose span overflows float64.
LARGEST_DRAWN = 1e300


def plane_of(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[str, str]]:
    """``X`` and ``centers`` in two dimensions, with axis names: the data
    itself up to two features, else its first two principal components (one
    sample, or samples on a line, have fewer: the missing axis is 0)."""
    X = np.asarray(X, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    largest = max(float(np.abs(X).max()), float(np.abs(centers).max(initial=0.0)))
    unit = ""
    if largest > LARGEST_DRAWN:
        exponent = int(np.floor(np.log10(largest)))
        X, centers, unit = X / 10.0**exponent, centers / 10.0**exponent, f" (x 1e{exponent})"
    if X.shape[1] == 1:
        return (
            np.column_stack([X[:, 0], np.zeros(len(X))]),
            np.column_stack([centers[:, 0], np.zeros(len(centers))]),
            ("feature 0" + unit, ""),
        )
    if X.shape[1] == 2:
        return X, centers, ("feature 0" + unit, "feature 1" + unit)
    mean = X.mean(axis=0)
    _, _, components = np.linalg.svd(X - mean, full_matrices=False)
    axes = np.zeros((X.shape[1], 2))
    axes[:, : min(2, len(components))] = components[:2].T
    return (
        (X - mean) @ axes,
        (centers - mean) @ axes,
        ("principal component 1" + unit, "principal component 2" + unit),
    )


def plot_clusters(
    X: np.ndarray, labels: np.ndarray, centers: np.ndarray, path: str, title: str
) -> None:
    """Writes the scatter plot of ``X`` coloured by ``labels`` to ``path``."""
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    points, marks, (xlabel, ylabel) = plane_of(X, centers)
    figure, axes = plt.subplots(figsize=(7, 6), dpi=120)
    orphans = labels < 0
    if orphans.any():
        axes.scatter(points[orphans, 0], points[orphans, 1], s=4, c="lightgrey", label="no cluster")
    axes.scatter(
        points[~orphans, 0],
        points[~orphans, 1],
        s=4,
        c=labels[~orphans] % 10,
        cmap="tab10",
        vmin=0,
        vmax=9,
        rasterized=True,
    )
    axes.scatter(
        marks[:, 0], marks[:, 1], s=120, marker="X", c="black", edgecolors="white", label="centers"
    )
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.legend(loc="best")
    figure.tight_layout()
    try:
        figure.savefig(path)
    finally:
        plt.close(figure)
