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

_BARRIER_COLUMNS = ["barrier", "barrier_id", "barrier_name", "geometry"]
ADJACENCY_COLUMNS = ["community_a", "community_b", "gap_m", "adjacent", "via", "street_name", "barrier",
                     "barrier_id", "barrier_name"]
#: How two communities are neighbours: their boundaries are within the adjacency gap, or they face each other
#: across a (non-arterial) street.
VIA_GAP, VIA_STREET = "gap", "street"
#: A street faces both communities when at least this length of it (m) runs between them: a street that
#: merely crosses the corner between two diagonal blocks does not make them face each other.
FACING_MIN_M = 10.0
#: Chinese names of barrier kinds, for the reasons a district gives.
BARRIER_ZH = {"highway:motorway": "高速公路", "highway:trunk": "城市快速路", "highway:primary": "城市主干道",
              "highway:secondary": "城市次干道", "railway": "铁路", "river": "河流"}


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
        (the source ``feature_id``), ``barrier_name`` (its ``name``, NA when unnamed) and ``geometry``, in
        the CRS of the inputs.
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
                                    "barrier_id": _ids(roads), "barrier_name": _names(roads),
                                    "geometry": roads.geometry.values}))
    for kind, layer in (("railway", railways), ("river", rivers)):
        if layer is not None:
            crs = crs or layer.crs
            frames.append(pd.DataFrame({"barrier": kind, "barrier_id": _ids(layer), "barrier_name": _names(layer),
                                        "geometry": layer.geometry.values}))
    if not frames:
        return gpd.GeoDataFrame(columns=_BARRIER_COLUMNS, geometry="geometry", crs=crs)
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)


def street_lines(walk_network: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """The ways communities may face each other across: every walkable way. Arterials among them are also
    barriers, so a pair facing each other across one is listed as blocked by it."""
    if walk_network is None:
        return None
    if "walkable" not in walk_network:
        return walk_network
    return walk_network.loc[walk_network["walkable"].fillna(False).astype(bool).to_numpy()]


def community_adjacency(communities: gpd.GeoDataFrame, *, barriers: gpd.GeoDataFrame | None = None,
                        gap_m: float = 30.0, streets: gpd.GeoDataFrame | None = None,
                        street_gap_m: float = 0.0, progress: Progress | None = None) -> pd.DataFrame:
    """Pairs of communities near each other, and whether they are adjacent.

    Two communities are neighbours when their boundaries are at most ``gap_m`` apart, or when they face
    each other across a street: their boundaries are at most ``street_gap_m`` apart and at least
    ``FACING_MIN_M`` of a street runs between them (OSM residential areas stop at the street
    line, so two estates across a local street are 15–60 m apart). Neighbours are adjacent when no barrier
    separates them. A barrier separates a pair when it cuts their contact zone (the area within the pair's
    gap of both) into pieces none of which touches both communities; a road that stops half-way along the
    gap leaves a connected piece, so the pair stays adjacent.

    Parameters
    ----------
    communities
        Canonical communities layer (``feature_id``, polygons in a metric CRS).
    barriers
        Output of :func:`barrier_lines`; None or empty for no barriers.
    gap_m
        Largest boundary-to-boundary distance (m) at which two communities count as neighbours.
    streets
        Output of :func:`street_lines` (with ``name``); None for no street-facing neighbours.
    street_gap_m
        Largest boundary distance (m) across a street (settings ``districts.street_gap_max_m``).
    progress
        Optional progress sink.

    Returns
    -------
    pandas.DataFrame
        One row per neighbouring pair, ``community_a`` < ``community_b`` in layer order: ``gap_m``
        (boundary distance, m), ``adjacent`` (bool), ``via`` (``gap`` or ``street``), ``street_name`` (the
        street between them, for ``street``), and for blocked pairs the ``barrier`` kind, ``barrier_id`` and
        ``barrier_name`` of the first barrier that separates them (NA otherwise).
    """
    progress = ensure_progress(progress)
    _check_metric(communities, "communities")
    if gap_m < 0 or street_gap_m < 0:
        raise InputError(f"相邻判定间距须不小于 0 m，现为 {gap_m} 与 {street_gap_m}",
                         fix="把“相邻判定间距”和“隔街相邻最大间距”设为 0 或更大")
    ids = _ids(communities)
    geoms = np.asarray(communities.geometry.values)
    across = streets is not None and len(streets) > 0 and street_gap_m > gap_m
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="dwithin", distance=max(gap_m, street_gap_m) if across else gap_m)
    keep = a < b
    a, b = a[keep], b[keep]
    progress.update(1, 3, "相邻小区")
    gap = shapely.distance(geoms[a], geoms[b])
    zone = _contact_zone(geoms, a, b, np.maximum(gap_m, gap))
    via = np.where(gap <= gap_m, VIA_GAP, "")
    street_name = np.full(len(a), None, dtype=object)
    if across:
        _check_metric(streets, "streets")
        facing, street_name = _facing(zone, streets)
        via = np.where((via == "") & facing, VIA_STREET, via)
        street_name = np.where(via == VIA_STREET, street_name, None)
    near = via != ""
    a, b, gap, zone, via, street_name = a[near], b[near], gap[near], zone[near], via[near], street_name[near]
    progress.update(2, 3, "streets between")
    blocked = np.zeros(len(a), dtype=bool)
    kind = kind_id = kind_name = np.full(len(a), None, dtype=object)
    if barriers is not None and len(barriers) and len(a):
        _check_metric(barriers, "分隔道路与河流")
        blocked, kind, kind_id, kind_name = _separated(geoms, a, b, zone, barriers)
    progress.update(3, 3, "分隔道路与河流")
    return pd.DataFrame({
        "community_a": ids[a], "community_b": ids[b], "gap_m": gap, "adjacent": ~blocked, "via": via,
        "street_name": pd.array(street_name, dtype="string"),
        "barrier": pd.array(kind, dtype="string"), "barrier_id": pd.array(kind_id, dtype="string"),
        "barrier_name": pd.array(kind_name, dtype="string"),
    }, columns=ADJACENCY_COLUMNS)


def _contact_zone(geoms: np.ndarray, a: np.ndarray, b: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """The area within ``reach`` (m, per pair) of both communities: the strip between them plus the edges of
    each that face the other. A tiny floor keeps touching pairs 2-D."""
    reach = np.maximum(reach, 1.0) + 0.01
    return shapely.intersection(shapely.buffer(geoms[a], reach, quad_segs=2),
                                shapely.buffer(geoms[b], reach, quad_segs=2))


def _facing(zone: np.ndarray, streets: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per contact zone: does a street run at least ``FACING_MIN_M`` through it, and the longest one's name."""
    lines = np.asarray(streets.geometry.values)
    pair, hit = shapely.STRtree(lines).query(zone, predicate="intersects")
    facing = np.zeros(len(zone), dtype=bool)
    name = np.full(len(zone), None, dtype=object)
    if not len(pair):
        return facing, name
    run = shapely.length(shapely.intersection(zone[pair], lines[hit]))
    total = np.bincount(pair, weights=run, minlength=len(zone))
    facing = total >= FACING_MIN_M
    longest = pd.Series(run).groupby(pair).idxmax()
    name[longest.index.to_numpy()] = _names(streets)[hit[longest.to_numpy()]]
    return facing, name


def _separated(geoms: np.ndarray, a: np.ndarray, b: np.ndarray, zone: np.ndarray, barriers: gpd.GeoDataFrame
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each pair (a, b) with its contact zone: is it separated, and by which barrier (kind, id, name)."""
    bgeoms = np.asarray(barriers.geometry.values)
    pair, hit = shapely.STRtree(bgeoms).query(zone, predicate="intersects")
    blocked = np.zeros(len(a), dtype=bool)
    kind = np.full(len(a), None, dtype=object)
    kind_id = np.full(len(a), None, dtype=object)
    kind_name = np.full(len(a), None, dtype=object)
    if not len(pair):
        return blocked, kind, kind_id, kind_name
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
    kind_name[sep] = (barriers["barrier_name"].to_numpy() if "barrier_name" in barriers
                      else np.full(len(barriers), None, dtype=object))[chosen]
    return blocked, kind, kind_id, kind_name


def _ids(frame: pd.DataFrame) -> np.ndarray:
    if "feature_id" in frame:
        return frame["feature_id"].astype(str).to_numpy()
    return frame.index.astype(str).to_numpy()


def _names(frame: pd.DataFrame) -> np.ndarray:
    if "name" in frame:
        return frame["name"].astype("string").to_numpy(dtype=object, na_value=None)
    return np.full(len(frame), None, dtype=object)


def _check_metric(frame: gpd.GeoDataFrame, layer: str) -> None:
    if frame.crs is not None and not frame.crs.is_projected:
        raise InputError(f"图层采用地理坐标系（{frame.crs.to_string()}）", layer=layer,
                         fix="先投影到项目的米制坐标系")
