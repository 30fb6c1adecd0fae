"""A small, readable pure-NumPy mean shift (docs/algorithm.md §2 to §4, kernels and
weights docs/algorithm.md §10), no tree, no speed.

Membership tests use the same squared-distance formula as the Rust core (a
float64 sum over the coordinates, in order), and means are correctly rounded
(`math.fsum`), as the core's compensated sums are (copies of one point
average as NumPy averages them, in both): the two agree on every
boundary, even on decimal-grid data where exact ties are common. Weighted
means are exact rational sums (`fractions.Fraction`) of each point's term
weight c = w * k(u) (rounded, as the core forms it; exact for the flat
kernel) and of c * x, rounded once, as the core's exact sums give them.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from fractions import Fraction

import numpy as np


def squared_distances(X: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance of every row of X to q, in float64."""
    d2 = np.zeros(len(X))
    for j in range(X.shape[1]):
        diff = X[:, j].astype(np.float64) - np.float64(q[j])
        d2 += diff * diff
    return d2


def climb(X: np.ndarray, seed: np.ndarray, bandwidth: float, max_iter: int):
    """One seed's climb: (center, intensity, completed iterations)."""
    stop = 1e-3 * bandwidth
    mean = np.asarray(seed, dtype=np.float64)
    iterations = 0
    while True:
        inside = squared_distances(X, mean) <= bandwidth * bandwidth
        count = int(inside.sum())
        if count == 0:
            return mean, 0, iterations
        old = mean
        within = X[inside]
        if (within == within[0]).all():
            # Copies of one point: NumPy's own mean, order-free, as scikit-learn gets it.
            mean = within.mean(axis=0).astype(np.float64)
        else:
            # The mean is kept in the data's type, as NumPy's mean does.
            sums = [math.fsum(column) for column in within.astype(np.float64).T]
            mean = (np.array(sums) / count).astype(X.dtype).astype(np.float64)
        if np.sqrt(np.sum((mean - old) ** 2)) <= stop or iterations == max_iter:
            return mean, count, iterations
        iterations += 1


# exp(-u/2) as the core computes it (src/exact/exponential.rs,
# docs/algorithm.md §10.1), operation for operation in float64, each fused
# multiply-add rounded once (exactly, through fractions): no C library exp,
# so the same bits on every CPU.
SHIFTER = 1.5 * 2.0**52
LOG2_E = 1.4426950408889634
LN2 = 0.6931471805599453  # ln 2, rounded
# q(r), interpolating (exp(r) - 1 - r) / r**2 at seven Chebyshev nodes of |r| <= ln(2)/2.
Q = [
    float.fromhex(h)
    for h in (
        "0x1.0000000000000p-1",
        "0x1.5555556750672p-3",
        "0x1.5555555c85f99p-5",
        "0x1.1110c63a4ee7fp-7",
        "0x1.6c1685919d326p-10",
        "0x1.a15169e0a0cc0p-13",
        "0x1.a1131351486a2p-16",
    )
]


def fma(a: float, b: float, c: float) -> float:
    """a * b + c rounded once (IEEE's fusedMultiplyAdd), for finite values."""
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        return a * b + c  # the sign IEEE gives an exact zero
    return float(exact)  # int / int: correctly rounded


def exp_minus_half(u: float) -> float:
    """exp(-u/2) for u in [0, 9], within 2**-37, by the core's sequence of operations."""
    t = -0.5 * float(u)
    shifted = fma(t, LOG2_E, SHIFTER)
    n = shifted - SHIFTER
    r = fma(n, -LN2, t)
    r2 = r * r
    r4 = r2 * r2
    c = Q
    low = fma(fma(c[3], r, c[2]), r2, fma(c[1], r, c[0]))
    high = fma(c[6], r2, fma(c[5], r, c[4]))
    q = fma(high, r4, low)
    e_r = 1.0 + fma(r2, q, r)
    return e_r * 2.0 ** int(n)  # exact: 2**n, n >= -7, times a value near 1


def distance_scale(r2: float) -> float:
    """The factor that makes a squared distance into u (the core's Kernel::distance_scale)."""
    if r2 > 0:
        return min(1.0 / r2, sys.float_info.max)
    return 1.0


def shortened(k: float) -> float:
    """k with its 21 lowest significand bits cleared (32 significant bits), as the core
    weighs points: its product with an integer weight below 2**21 is exact."""
    bits = np.array([k], dtype=np.float64).view(np.uint64) & np.uint64(2**64 - 2**21)
    return float(bits.view(np.float64)[0])


PROFILES = {
    "flat": (1.0, lambda u: 1.0),
    "epanechnikov": (1.0, lambda u: shortened(1.0 - u)),
    "gaussian": (9.0, lambda u: shortened(exp_minus_half(u))),
}


def weighted_climb(X, seed, bandwidth, max_iter, kernel, weights):
    """One climb with a kernel and weights (docs/algorithm.md §10.3).

    Returns (center, intensity, iterations).
    """
    r2 = bandwidth * bandwidth
    support, profile = PROFILES[kernel]
    stop = 1e-3 * bandwidth
    mean = np.asarray(seed, dtype=np.float64)
    iterations = 0
    while True:
        d2 = squared_distances(X, mean)
        terms = []  # (row, term weight w * k(u), rounded: exact for the flat kernel)
        scale = distance_scale(r2)
        for i in np.flatnonzero(d2 <= support * r2):
            c = Fraction(float(weights[i]) * profile(float(d2[i]) * scale))
            if c != 0:
                terms.append((i, c))
        total = sum(c for _, c in terms)
        if total == 0:
            return mean, 0.0, iterations
        old = mean
        rows = X[[i for i, _ in terms]]
        if kernel == "flat" and (rows == rows[0]).all():
            # The flat kernel's copies of one point: NumPy's mean of that many rows.
            copies = float(total)
            if copies.is_integer() and copies <= 2**20:
                mean = np.full((int(copies), X.shape[1]), rows[0]).mean(axis=0)
            else:
                mean = rows[0]
        else:
            sums = [
                float(sum(c * Fraction(float(X[i, j])) for i, c in terms))
                for j in range(X.shape[1])
            ]
            mean = np.array(sums) / float(total)
        mean = mean.astype(X.dtype).astype(np.float64)
        if np.sqrt(np.sum((mean - old) ** 2)) <= stop or iterations == max_iter:
            return mean, float(total), iterations
        iterations += 1


def get_bin_seeds(X: np.ndarray, bin_size, min_bin_freq: int = 1, weights=None) -> np.ndarray:
    """scikit-learn's grid binning: float32 grid points, first-appearance order; a
    bin's frequency is the sum of its points' weights (docs/algorithm.md §10.5)."""
    weights = np.ones(len(X)) if weights is None else weights
    frequencies: dict[tuple, list] = defaultdict(list)
    for point, weight in zip(X, weights):
        frequencies[tuple(np.round(point / bin_size))].append(float(weight))
    bins = [point for point, ws in frequencies.items() if math.fsum(ws) >= min_bin_freq]
    return np.array(bins, dtype=np.float32).reshape(-1, X.shape[1]) * bin_size


def climb_with(X, seed, bandwidth, max_iter, kernel="flat", weights=None):
    """One climb, as the core climbs it: scikit-learn's for the flat kernel
    without weights, else the weighted one (weights None: every point weighs 1)."""
    if kernel == "flat" and weights is None:
        return climb(X, seed, bandwidth, max_iter)
    weights = np.ones(len(X)) if weights is None else weights
    return weighted_climb(X, seed, bandwidth, max_iter, kernel, weights)


def mean_shift(
    X: np.ndarray,
    bandwidth: float,
    seeds: np.ndarray | None = None,
    cluster_all: bool = True,
    max_iter: int = 300,
    kernel: str = "flat",
    weights: np.ndarray | None = None,
    cluster_assignment: str = "nearest",
):
    """(cluster_centers, labels, n_iter) of a mean shift from `seeds` (None: every
    point of positive weight)."""
    if seeds is None:
        seeds = X if weights is None else X[weights > 0]
    results = [climb_with(X, s, bandwidth, max_iter, kernel, weights) for s in seeds]
    n_iter = max(iterations for _, _, iterations in results)
    intensity: dict[tuple, float] = {}
    for center, count, _ in results:
        if count:
            intensity[tuple(center.tolist())] = count
    if not intensity:
        raise ValueError("No point was within bandwidth of any seed.")
    ordered = sorted(intensity.items(), key=lambda item: (item[1], item[0]), reverse=True)
    centers = np.array([center for center, _ in ordered])
    unique = np.ones(len(centers), dtype=bool)
    for i in range(len(centers)):
        if unique[i]:
            unique[squared_distances(centers, centers[i]) <= bandwidth * bandwidth] = False
            unique[i] = True
    centers = centers[unique]
    if cluster_assignment == "attractor":
        own = list(X) if weights is None else [x if w > 0 else None for x, w in zip(X, weights)]
        labels = attractor_labels(
            X, own, centers, bandwidth, max_iter, kernel, weights, cluster_all
        )
    else:
        labels = label(X, centers, bandwidth, cluster_all)
    return centers.astype(X.dtype), labels, n_iter


def label(positions: np.ndarray, centers: np.ndarray, bandwidth: float, cluster_all: bool):
    """The nearest centre of each position; with cluster_all False, -1 beyond the bandwidth."""
    labels = nearest(positions, centers)
    if not cluster_all:
        d2 = np.array(
            [squared_distances(centers[k : k + 1], x)[0] for x, k in zip(positions, labels)]
        )
        labels[np.sqrt(d2) > bandwidth] = -1
    return labels


def attractor_labels(X, starts, centers, bandwidth, max_iter, kernel, weights, cluster_all):
    """docs/algorithm.md §12: each start (None: does not climb) climbs on X; it is
    labelled from where its climb ends, or from itself where it did not climb or
    its first neighbourhood weighed nothing."""
    positions = []
    for i, start in enumerate(starts):
        if start is None:
            positions.append(np.asarray(X[i], dtype=np.float64))
            continue
        end, intensity, _ = climb_with(X, start, bandwidth, max_iter, kernel, weights)
        positions.append(end if intensity else np.asarray(start, dtype=np.float64))
    return label(np.array(positions).reshape(len(starts), -1), centers, bandwidth, cluster_all)


def nearest(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the nearest centre of each row (the lowest index on ties)."""
    d2 = np.stack([squared_distances(X, c) for c in centers], axis=1)
    return np.argmin(d2, axis=1).astype(np.int64)


def estimate_bandwidth(X: np.ndarray, quantile: float = 0.3) -> float:
    """Mean distance to the k-th nearest row, summed in scikit-learn's batches of 500."""
    n = len(X)
    k = max(1, int(n * quantile))
    kth = np.array([np.sqrt(np.sort(squared_distances(X, x))[k - 1]) for x in X])
    total = 0.0
    for start in range(0, n, 500):
        total += kth[start : start + 500].sum()
    return total / n


# Segmentation of images and volumes (docs/algorithm.md §13).


def _halves(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's split of a into two halves of at most 26 significant bits."""
    big = 134217729.0 * a  # 2**27 + 1
    high = big - (big - a)
    return high, a - high


def exact_sum_of_products(c: np.ndarray, z: np.ndarray) -> float:
    """The correctly rounded sum of the exact products c * z: each product as its
    rounded value and its error (Dekker's TwoProduct), summed by math.fsum."""
    product = c * z
    (c_high, c_low), (z_high, z_low) = _halves(c), _halves(z)
    error = ((c_high * z_high - product) + c_high * z_low + c_low * z_high) + c_low * z_low
    return math.fsum(np.concatenate([product, error]))


def segment_image(values, spacing, hs, hr, kernel="flat", min_size=0, max_iter=300):
    """Joint spatial-range mean shift of `values` (spatial shape + (channels,), float64)
    with `spacing` per spatial axis: (labels, modes, region values, n_iter)."""
    shape = values.shape[:-1]
    channels = values.shape[-1]
    pad = 3 - len(shape)
    grid_shape = (1,) * pad + tuple(shape)
    sp = np.array((1.0,) * pad + tuple(float(s) for s in spacing))
    x = values.reshape(-1, channels).astype(np.float64)
    n = len(x)
    p = np.stack(np.unravel_index(np.arange(n), grid_shape), axis=1).astype(np.float64)
    support, profile = PROFILES[kernel]
    a_s, a_r = distance_scale(hs * hs), distance_scale(hr * hr)

    def d2_spatial(positions, y):
        d2 = np.zeros(len(positions))
        for d in range(3):
            t = (positions[:, d] - y[d]) * sp[d]
            d2 += t * t
        return d2

    def d2_range(vals, y):
        d2 = np.zeros(len(vals))
        for j in range(channels):
            t = vals[:, j] - y[j]
            d2 += t * t
        return d2

    modes_p = np.empty_like(p)
    modes_x = np.empty_like(x)
    n_iter = 0
    for i in range(n):
        y_s, y_r = p[i].copy(), x[i].copy()
        iterations = 0
        while True:
            u_s = d2_spatial(p, y_s) * a_s
            u_r = d2_range(x, y_r) * a_r
            inside = np.flatnonzero((u_s <= support) & (u_r <= support))
            c = np.array([profile(float(u_s[j])) * profile(float(u_r[j])) for j in inside])
            if math.fsum(c) == 0:
                break
            weight = math.fsum(c)
            z = np.concatenate([p[inside], x[inside]], axis=1)
            mean = np.array([exact_sum_of_products(c, z[:, k]) for k in range(z.shape[1])])
            new_s, new_r = mean[:3] / weight, mean[3:] / weight
            step = d2_spatial(new_s[None], y_s)[0] * a_s + d2_range(new_r[None], y_r)[0] * a_r
            y_s, y_r = new_s, new_r
            if step <= 1e-6 or iterations == max_iter:
                break
            iterations += 1
        modes_p[i], modes_x[i] = y_s, y_r
        n_iter = max(n_iter, iterations)

    # docs/algorithm.md §13.3: any two pixels whose modes are within h_s in position and
    # h_r in value are linked; regions are the connected components of the links.
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for a in range(n):  # every pair a < b
        close = d2_spatial(modes_p[a + 1 :], modes_p[a]) <= hs * hs
        near = d2_range(modes_x[a + 1 :], modes_x[a]) <= hr * hr
        for b in a + 1 + np.flatnonzero(close & near):
            ra, rb = find(a), find(int(b))
            parent[max(ra, rb)] = min(ra, rb)
    region = _numbered([find(i) for i in range(n)])

    # docs/algorithm.md §13.4: the smallest region merges into its nearest neighbour in value
    # (regions holding pixels that neighbour along one axis).
    strides = [grid_shape[1] * grid_shape[2], grid_shape[2], 1]
    neighbour_pairs = [
        (i - strides[d], i)
        for i in range(n)
        for d in range(3)
        if (i // strides[d]) % grid_shape[d] != 0
    ]
    members = {r: [i for i in range(n) if region[i] == r] for r in set(region)}

    def value(r):
        return [math.fsum(modes_x[members[r], j]) / len(members[r]) for j in range(channels)]

    def neighbours(r):
        inside = set(members[r])
        found = set()
        for a, b in neighbour_pairs:
            if (a in inside) != (b in inside):
                found.add(region[b] if a in inside else region[a])
        return found

    while True:
        small = [(len(m), r) for r, m in members.items() if len(m) < min_size and neighbours(r)]
        if not small:
            break
        _, r = min(small)
        into = min(neighbours(r), key=lambda q, r=r: (value_distance(value(r), value(q)), q))
        # Renumbered in raster order of first pixels, the union takes the lower
        # number of the two (the numbers follow that order).
        keep, gone = min(r, into), max(r, into)
        for i in members.pop(gone):
            region[i] = keep
        members[keep] = [i for i in range(n) if region[i] == keep]
    labels = _numbered(region)
    values_by_label = [value(region[labels.index(k)]) for k in range(max(labels) + 1)]
    return (
        np.array(labels, dtype=np.int64).reshape(shape),
        modes_x.reshape(values.shape),
        np.array(values_by_label).reshape(-1, channels),
        n_iter,
    )


def value_distance(a, b) -> float:
    """Squared distance of two region values, summed in channel order."""
    d2 = 0.0
    for x, y in zip(a, b):
        t = x - y
        d2 += t * t
    return d2


def _numbered(keys):
    """Keys renumbered 0, 1, ... in order of first appearance."""
    numbers: dict = {}
    return [numbers.setdefault(k, len(numbers)) for k in keys]
