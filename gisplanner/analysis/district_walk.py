"""Walking distances between communities, and the spacing the district extent limit is measured on."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import scipy.sparse as sp

from gisplanner.analysis import attributes
from gisplanner.analysis.network import WalkGraph, insert_points, network_distances, snap_points
from gisplanner.progress import Progress, ensure_progress


@dataclass(frozen=True)
class WalkDistances:
    """Walking distances (m) between community centroids, for the pairs within ``limit_m``.

    A centroid joins the network by a straight connector to the nearest routable walkway; the
    distance between two communities is connector + shortest path + connector, so it is never
    shorter than the straight line.

    Attributes
    ----------
    matrix
        Sparse (n, n) matrix aligned to the communities layer with sorted indices; a stored
        entry (zero included) for every pair within ``limit_m``, the diagonal included.
    limit_m
        Pairs farther apart (or not connected) have no entry.
    """

    matrix: sp.csr_matrix
    limit_m: float

    def lookup(self, row: int, cols: np.ndarray) -> np.ndarray:
        """Distances (m) from community ``row`` to communities ``cols`` (positions); inf where unknown."""
        start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        idx = self.matrix.indices[start:end]
        cols = np.asarray(cols)
        if not len(idx):
            return np.where(cols == row, 0.0, np.inf)
        pos = np.minimum(np.searchsorted(idx, cols), len(idx) - 1)
        return np.where(idx[pos] == cols, self.matrix.data[start:end][pos], np.inf)


def community_walk_distances(communities: gpd.GeoDataFrame, graph: WalkGraph, *, limit_m: float,
                             chunk: int = 256, progress: Progress | None = None) -> WalkDistances:
    """Walking distances between the centroids of communities, up to ``limit_m``.

    Parameters
    ----------
    communities
        Canonical communities layer, in the CRS of ``graph``.
    graph
        Walking graph (:func:`gisplanner.analysis.network.build_walk_graph`).
    limit_m
        Largest distance kept (m); use at least the district extent limit.
    chunk
        Sources per Dijkstra call (bounds memory: chunk x nodes distances).
    progress
        Optional progress sink, one step per chunk.

    Returns
    -------
    WalkDistances
    """
    progress = ensure_progress(progress)
    xy = attributes.centroid_xy(communities)
    snap = snap_points(graph, xy, routable_only=True)
    routed, node = insert_points(graph, snap)
    ok = np.flatnonzero(node >= 0)
    connector = snap.distance_m
    rows, cols, vals = [np.arange(len(xy))], [np.arange(len(xy))], [np.zeros(len(xy))]
    for start in range(0, len(ok), chunk):
        progress.update(start, len(ok), "小区之间的步行距离")
        src = ok[start:start + chunk]
        d = network_distances(routed, node[src], min_only=False, limit_m=limit_m)[:, node[ok]]
        d = d + connector[src, None] + connector[None, ok]
        r, c = np.nonzero((d <= limit_m) & (src[:, None] != ok[None, :]))
        rows.append(src[r])
        cols.append(ok[c])
        vals.append(d[r, c])
    n = len(xy)
    matrix = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(n, n)).tocsr()
    matrix.sort_indices()
    return WalkDistances(matrix=matrix, limit_m=float(limit_m))


class CommunitySpacing:
    """Distances between communities for the extent limit: walks when known, else straight lines.

    Works on positions in a subset (``nodes``: their positions in the communities layer).
    """

    def __init__(self, xy_all: np.ndarray, walk: WalkDistances | None, nodes: np.ndarray) -> None:
        self.xy = xy_all[nodes]
        self.walk = walk
        self.nodes = nodes

    def between(self, i: int, js: np.ndarray) -> np.ndarray:
        if self.walk is None:
            return np.hypot(*(self.xy[js] - self.xy[i]).T)
        return self.walk.lookup(int(self.nodes[i]), self.nodes[js])

    def span(self, members: np.ndarray) -> float:
        """Largest distance between two of ``members`` (m); inf when a pair is beyond the walk limit."""
        if len(members) < 2:
            return 0.0
        if self.walk is None:
            return diameter(self.xy[members])
        return max(float(self.between(int(m), members).max()) for m in members)


def diameter(xy: np.ndarray) -> float:
    """Largest distance (m) between two of the points."""
    if len(xy) < 2:
        return 0.0
    diff = xy[:, None, :] - xy[None, :, :]
    return float(np.sqrt((diff ** 2).sum(axis=-1)).max())
