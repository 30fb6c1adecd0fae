"""
====================================================
Labels by nearest centre and by basin of attraction
====================================================

scikit-learn labels every sample by its nearest cluster centre. Mean shift
itself gives another label: the mode the sample's own climb reaches, its
basin of attraction (Comaniciu & Meer 2002). fastmeanshift gives it with
``cluster_assignment="attractor"``.

The two differ wherever clusters are not round. Here a long thin cluster lies
beside a compact one. The long cluster's right end is nearer the compact
cluster's centre than its own, so nearest-centre labels cut it there; the
climbs from that end run along the long cluster to its own mode, so attractor
labels keep it whole. The centres are the same, bit for bit.
"""

import matplotlib.pyplot as plt
import numpy as np

from fastmeanshift import MeanShift

# %%
# The data: 1,200 samples stretched along x, 400 in a tight blob
# -------------------------------------------------------------------
rng = np.random.RandomState(0)
long = rng.normal(size=(1200, 2)) * [2.2, 0.3]
compact = rng.normal(size=(400, 2)) * 0.3 + [4.2, 1.2]
X = np.vstack([long, compact])
truth = np.repeat([0, 1], [len(long), len(compact)])

# %%
# The same fit, labelled both ways
# --------------------------------
# With bin seeding, the centres come from a few hundred seeds; attractor
# labels then climb every sample besides, at about the cost of a fit with
# every sample a seed.
params = dict(bandwidth=1.0, bin_seeding=True)
nearest = MeanShift(**params).fit(X)
attractor = MeanShift(cluster_assignment="attractor", **params).fit(X)
assert np.array_equal(nearest.cluster_centers_, attractor.cluster_centers_)

for name, model in [("nearest", nearest), ("attractor", attractor)]:
    # The label of most of the long cluster is the long cluster's.
    long_label = np.bincount(model.labels_[: len(long)]).argmax()
    wrong = int(((model.labels_ == long_label) != (truth == 0)).sum())
    print(f"{name:9s}: {wrong} of {len(X)} samples labelled with the other cluster")

# %%
# Side by side
# ------------
fig, axes = plt.subplots(1, 2, figsize=(10, 2.3), sharey=True)
for ax, (title, model) in zip(
    axes,
    [("nearest centre (scikit-learn's)", nearest), ('cluster_assignment="attractor"', attractor)],
):
    ax.scatter(X[:, 0], X[:, 1], c=model.labels_, s=4, cmap="coolwarm")
    ax.scatter(*model.cluster_centers_.T, marker="x", c="k", s=80)
    ax.set_title(title)
    ax.set_aspect("equal")
fig.tight_layout()
plt.show()
