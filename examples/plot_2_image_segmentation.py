"""
=====================================================
Segmenting a photograph in position and colour
=====================================================

Mean shift segmentation, after Comaniciu and Meer: every pixel is a point in
the joint space of its position (row, column) and its colour (red, green,
blue), and the clusters are the modes of that 5-D density. Position and
colour are measured in different units, so each is divided by a bandwidth of
its own, ``spatial_bandwidth`` pixels and ``colour_bandwidth`` colour levels,
and the clustering runs at bandwidth 1 in the scaled space: two pixels are
neighbours when they are close both on the picture and in colour. Each pixel
is then painted with the colour of its cluster's mode.

The photograph is scikit-learn's ``china.jpg`` sample, at half its size in
each direction so that this page builds quickly; the time taken is measured
when the page is built.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_image

from fastmeanshift import MeanShift

# %%
# The pixels in the joint space
# -----------------------------
image = load_sample_image("china.jpg")[::2, ::2]
height, width, _ = image.shape
rows, columns = np.mgrid[0:height, 0:width]

spatial_bandwidth = 16.0  # pixels of the half-size image
colour_bandwidth = 32.0  # of 256 levels per channel
X = np.column_stack(
    [
        rows.ravel() / spatial_bandwidth,
        columns.ravel() / spatial_bandwidth,
        image.reshape(-1, 3) / colour_bandwidth,
    ]
)
print(f"{height} x {width} pixels: {X.shape[0]} points in {X.shape[1]} dimensions")

# %%
# Clustering
# ----------
# The climbs start from a grid of spacing 1 in the scaled space (one seed per
# occupied cell of 16 x 16 pixels and 32 levels of each colour), and every core
# takes part; the result is the same for any number of threads.
start = time.perf_counter()
model = MeanShift(bandwidth=1.0, bin_seeding=True, n_jobs=-1).fit(X)
seconds = time.perf_counter() - start

sizes = np.bincount(model.labels_)
print(
    f"{len(model.cluster_centers_)} segments in {seconds:.2f} s, "
    f"{np.count_nonzero(sizes >= 100)} of them of 100 pixels or more"
)

# %%
# Each pixel in the colour of its mode
# ------------------------------------
mode_colours = model.cluster_centers_[:, 2:] * colour_bandwidth
segmented = mode_colours[model.labels_].reshape(image.shape)
segmented = np.clip(np.rint(segmented), 0, 255).astype(np.uint8)

fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
axes[0].imshow(image)
axes[0].set_title(f"china.jpg, {width} x {height} pixels")
axes[1].imshow(segmented)
axes[1].set_title(
    f"{len(model.cluster_centers_)} segments in {seconds:.2f} s "
    f"(spatial bandwidth {spatial_bandwidth:g}, colour {colour_bandwidth:g})"
)
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
plt.show()
