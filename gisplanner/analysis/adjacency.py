"""Which communities are adjacent: near each other and not separated by a barrier."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.errors import InputError
from gisplanner.progress import Progress, ensure_progress

#: Half-width (m) given to barrier lines before cutting, so a line lying exactly on a
#: shared boundary still splits the two sides.
_BARRIER_HALF_WIDTH_M = 0.5

_BARRIER_COLUMNS = ["barrier", "barrier_id", "geometry"]
ADJACENCY_COLUMNS = ["community_a", "community_b", "gap_m", "adjacent", "barrier", "barrier_id"]


def barrier_lines(walk_network: gpd.GeoDataFrame | None = None, *,
                  barrier_highways: Sequence[str] = ("motorway", "trunk", "primary"),
                  railways: gpd.GeoDataFrame | None = None,
                  rivers: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Collect the features that separate communities.

    Parameters
    ----------
    walk_network
        Canonical walk_network layer (``highway``, ``bridge``, ``tunnel``, ``feature_id``).
        Ways of a class in ``barrier_highways`` are barriers, except bridge and tunnel
        sections: an elevated or underground road does not cut the ground it spans.
    barrier_highways
        OSM ``highway`` values that separate communities (exact match).
    railways, rivers
        Optional line or polygon layers; every feature is a barrier.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``barrier`` (``highway:<class>``, ``railway`` or ``river``), ``barrier_id``
        (the source ``feature_id``) and ``geometry``, in the CRS of the inputs.
    """
    frames = []
    crs = None
    if walk_network is not None:
        crs = walk_network.crs
        mask = walk_network["highway"].isin(list(barrier_highways)).to_numpy()
        for col in ("bridge", "tunnel"):
            if col in walk_network:
                mask = mask & ~walk_network[col].fillna(False).astype(bool).to_numpy()
        roads = walk_network.loc[mask]
        frames.append(pd.DataFrame({"barrier": "highway:" + roads["highway"].astype(str),
                                    "barrier_id": _ids(roads), "geometry": roads.geometry.values}))
    for kind, layer in (("railway", railways), ("river", rivers)):
        if layer is not None:
            crs = crs or layer.crs
            frames.append(pd.DataFrame({"barrier": kind, "barrier_id": _ids(layer),
                                        "geometry": layer.geometry.values}))
    if not frames:
        return gpd.GeoDataFrame(columns=_BARRIER_COLUMNS, geometry="geometry", crs=crs)
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)


def community_adjacency(communities: gpd.GeoDataFrame, *, barriers: gpd.GeoDataFrame | None = None,
                        gap_m: float = 30.0, progress: Progress | None = None) -> pd.DataFrame:
    """Pairs of communities whose boundaries lie within ``gap_m``, and whether they are adjacent.

    Two communities are adjacent when their boundaries are at most ``gap_m`` apart and no
    barrier separates them. A barrier separates a pair when it cuts their contact zone (the
    area within ``gap_m`` of both) into pieces none of which touches both communities; a road
    that stops half-way along the gap leaves a connected piece, so the pair stays adjacent.

    Parameters
    ----------
    communities
        Canonical communities layer (``feature_id``, polygons in a metric CRS).
    barriers
        Output of :func:`barrier_lines`; None or empty for no barriers.
    gap_m
        Largest boundary-to-boundary distance (m) at which two communities count as neighbours.
    progress
        Optional progress sink.

    Returns
    -------
    pandas.DataFrame
        One row per near pair, ``community_a`` < ``community_b`` in layer order: ``gap_m``
        (boundary distance, m), ``adjacent`` (bool), and for blocked pairs the ``barrier`` kind
        and ``barrier_id`` of the first barrier that separates them (NA otherwise).
    """
    progress = ensure_progress(progress)
    _check_metric(communities, "communities")
    if gap_m < 0:
        raise InputError(f"相邻判定间距须不小于 0 m，现为 {gap_m}", fix="把“相邻判定间距”设为 0 或更大")
    ids = _ids(communities)
    geoms = np.asarray(communities.geometry.values)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="dwithin", distance=gap_m)
    keep = a < b
    a, b = a[keep], b[keep]
    progress.update(1, 3, "相邻小区")
    gap = shapely.distance(geoms[a], geoms[b])
    blocked = np.zeros(len(a), dtype=bool)
    kind = np.full(len(a), None, dtype=object)
    kind_id = np.full(len(a), None, dtype=object)
    if barriers is not None and len(barriers) and len(a):
        _check_metric(barriers, "分隔道路与河流")
        blocked, kind, kind_id = _separated(geoms, a, b, barriers, gap_m)
    progress.update(3, 3, "分隔道路与河流")
    return pd.DataFrame({
        "community_a": ids[a], "community_b": ids[b], "gap_m": gap, "adjacent": ~blocked,
        "barrier": pd.array(kind, dtype="string"), "barrier_id": pd.array(kind_id, dtype="string"),
    }, columns=ADJACENCY_COLUMNS)


def _separated(geoms: np.ndarray, a: np.ndarray, b: np.ndarray, barriers: gpd.GeoDataFrame,
               gap_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pair (a, b): is it separated, and by which barrier (kind, id)."""
    # Contact zone: the area within gap_m of both communities (the strip between them,
    # plus the edges of each that face the other). A tiny floor keeps touching pairs 2-D.
    reach = max(gap_m, 1.0)
    uniq = np.unique(np.concatenate([a, b]))
    buf = np.empty(len(geoms), dtype=object)
    buf[uniq] = shapely.buffer(geoms[uniq], reach, quad_segs=2)
    zone = shapely.intersection(buf[a], buf[b])
    bgeoms = np.asarray(barriers.geometry.values)
    pair, hit = shapely.STRtree(bgeoms).query(zone, predicate="intersects")
    blocked = np.zeros(len(a), dtype=bool)
    kind = np.full(len(a), None, dtype=object)
    kind_id = np.full(len(a), None, dtype=object)
    if not len(pair):
        return blocked, kind, kind_id
    cutters = shapely.buffer(bgeoms, _BARRIER_HALF_WIDTH_M, quad_segs=1)
    order = np.lexsort((hit, pair))
    pair, hit = pair[order], hit[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    hit_pairs = pair[starts]
    knife = np.array([shapely.union_all(cutters[grp]) for grp in np.split(hit, starts[1:])], dtype=object)
    pieces, owner = shapely.get_parts(shapely.difference(zone[hit_pairs], knife), return_index=True)
    bridging = (shapely.intersects(pieces, geoms[a[hit_pairs[owner]]])
                & shapely.intersects(pieces, geoms[b[hit_pairs[owner]]]))
    connected = np.zeros(len(hit_pairs), dtype=bool)
    np.logical_or.at(connected, owner, bridging)
    sep = hit_pairs[~connected]
    blocked[sep] = True
    # Name the barrier with the longest run inside the zone: the one doing the separating,
    # rather than a side street's stub that merely pokes into it.
    is_sep = np.isin(pair, sep)
    run = shapely.length(shapely.intersection(zone[pair[is_sep]], bgeoms[hit[is_sep]]))
    best = pd.Series(run).groupby(pair[is_sep]).idxmax().to_numpy()
    chosen = hit[is_sep][best]
    kind[sep] = barriers["barrier"].to_numpy()[chosen]
    kind_id[sep] = barriers["barrier_id"].to_numpy()[chosen]
    return blocked, kind, kind_id


def _ids(frame: pd.DataFrame) -> np.ndarray:
    if "feature_id" in frame:
        return frame["feature_id"].astype(str).to_numpy()
    return frame.index.astype(str).to_numpy()


def _check_metric(frame: gpd.GeoDataFrame, layer: str) -> None:
    if frame.crs is not None and not frame.crs.is_projected:
        raise InputError(f"图层采用地理坐标系（{frame.crs.to_string()}）", layer=layer,
                         fix="先投影到项目的米制坐标系")
