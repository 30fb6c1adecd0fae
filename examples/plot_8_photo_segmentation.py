"""
=====================================================
Segmenting a photograph: mean shift, OpenCV, K-means
=====================================================

:func:`fastmeanshift.image.segment` climbs every pixel of scikit-learn's
``china.jpg`` in position and colour at once (spatial bandwidth 6 pixels,
range bandwidth 4.5 levels, regions of at least 50 pixels), and paints every
region with its mean mode. Beside it, OpenCV's ``pyrMeanShiftFiltering`` (the
filter alone, no regions; shown when OpenCV is installed) and a K-means colour
quantisation with scikit-learn, which groups colours but knows nothing of
where the pixels are.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_image

from fastmeanshift.image import segmentation

photo = load_sample_image("china.jpg")

start = time.perf_counter()
got = segmentation(photo, 6, 4.5, min_size=50, n_jobs=-1)
seconds = time.perf_counter() - start
segmented = got.region_values[got.labels].round().astype(np.uint8)
print(f"{len(got.region_values)} regions in {seconds:.2f} s")

# %%
# K-means colour quantisation, as many colours as scikit-learn's example uses.
pixels = photo.reshape(-1, 3).astype(np.float64)
sample = np.random.default_rng(0).choice(len(pixels), 2000, replace=False)
kmeans = KMeans(n_clusters=64, n_init=1, random_state=0).fit(pixels[sample])
quantised = kmeans.cluster_centers_[kmeans.predict(pixels)].reshape(photo.shape)

panels = [
    ("photograph", photo),
    (f"mean shift: {len(got.region_values)} regions", segmented),
    ("K-means, 64 colours", quantised.round().astype(np.uint8)),
]
try:
    import cv2
except ImportError:
    pass
else:
    panels.insert(2, ("OpenCV pyrMeanShiftFiltering", cv2.pyrMeanShiftFiltering(photo, 6, 4.5)))

fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.4))
for ax, (title, image) in zip(axes, panels):
    ax.imshow(image)
    ax.set_title(title)
    ax.axis("off")
fig.tight_layout()
plt.show()
