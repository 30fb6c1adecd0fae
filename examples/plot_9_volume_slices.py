"""
======================================
Segmenting a volume: slices of spheres
======================================

A 64³ float32 volume holds three spheres of intensity 1 in a background of
0, with Gaussian noise of standard deviation 0.25. Its voxels are twice as
long along the first axis as along the others, which ``spacing`` says, so
that the spatial bandwidth is a physical distance. Every voxel climbs in
position and intensity (:func:`fastmeanshift.image.segment` with
``channel_axis=None``), and regions of fewer than 30 voxels merge into their
nearest neighbour in intensity. The slices show the noisy volume and the
labels.
"""

import matplotlib.pyplot as plt
import numpy as np

from fastmeanshift.image import segment

side = 64
z, y, x = np.indices((side // 2, side, side)) * np.array([2.0, 1.0, 1.0])[:, None, None, None]
volume = np.zeros(z.shape, dtype=np.float32)
for (cz, cy, cx), radius in [((20, 20, 20), 12), ((40, 42, 38), 15), ((30, 50, 14), 8)]:
    volume[(z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= radius**2] = 1.0
volume += np.random.default_rng(0).normal(scale=0.25, size=volume.shape).astype(np.float32)

labels = segment(
    volume, 2.0, 0.5, kernel="epanechnikov", channel_axis=None, spacing=(2.0, 1.0, 1.0),
    min_size=30, n_jobs=-1,
)  # fmt: skip
print(f"{labels.max() + 1} regions")

fig, axes = plt.subplots(2, 3, figsize=(9, 6))
for column, plane in enumerate([8, 16, 22]):
    axes[0, column].imshow(volume[plane], cmap="gray")
    axes[0, column].set_title(f"slice {plane}")
    axes[1, column].imshow(labels[plane], cmap="tab20", interpolation="nearest")
    axes[1, column].set_title(f"labels, slice {plane}")
for ax in axes.ravel():
    ax.axis("off")
fig.tight_layout()
plt.show()
