"""Service areas: the parts of the walking network within a level's distance of a facility, as polygons."""

from __future__ import annotations

from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.analysis.lifecircle import LifeCircleNetwork, check_requirements
from gisplanner.analysis.network import WalkGraph, network_distances
from gisplanner.progress import Progress, ensure_progress

# Buffer outline: 1 segment per quarter circle (caps and bends cut as chamfers, about 1% less area than
# round ones). The band only widens lines into an area, and the union, which dominates the cost, grows
# with every extra vertex.
_QUAD_SEGS = 1
# Lines are simplified by this share of the band width before buffering (2 m for the 30 m band).
_SIMPLIFY = 1 / 15
# Facilities per Dijkstra call in the per-facility variant: bounds the (sources x nodes) matrix.
_CHUNK = 64


def reached_segments(graph: WalkGraph, node_distance: np.ndarray, radius_m: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Straight segments of the network within ``radius_m`` of the sources, partial edges clipped.

    A point at offset x along an edge of length L is at ``min(d[u] + x, d[v] + L - x)``, so the reached
    part of an edge is ``[0, r - d[u]]`` plus ``[L - (r - d[v]), L]``; each piece is clipped to that.

    Parameters
    ----------
    graph
        The walking graph.
    node_distance
        (n_nodes,) distance of each node from the sources, metres (inf where unreached).
    radius_m
        Walking distance, metres.

    Returns
    -------
    start, end : numpy.ndarray
        (k, 2) segment ends, metres.
    piece : numpy.ndarray
        The piece each segment was cut from.
    """
    e = graph.piece_edge
    s, ln = graph.piece_start, graph.piece_length
    a_end = np.minimum(radius_m - node_distance[graph.edge_u[e]], s + ln)
    b_start = np.maximum(graph.edge_length[e] - (radius_m - node_distance[graph.edge_v[e]]), s)
    has_a, has_b = a_end > s, b_start < s + ln
    whole = (has_a & has_b & (a_end >= b_start)) | (has_a & (a_end >= s + ln)) | (has_b & (b_start <= s))
    part_a = has_a & ~whole
    part_b = has_b & ~whole
    idx = np.concatenate([np.flatnonzero(whole), np.flatnonzero(part_a), np.flatnonzero(part_b)])
    f0 = np.concatenate([np.zeros(whole.sum()), np.zeros(part_a.sum()), (b_start[part_b] - s[part_b]) / ln[part_b]])
    f1 = np.concatenate([np.ones(whole.sum()), (a_end[part_a] - s[part_a]) / ln[part_a], np.ones(part_b.sum())])
    x0, d = graph.piece_xy0[idx], graph.piece_xy1[idx] - graph.piece_xy0[idx]
    return x0 + f0[:, None] * d, x0 + f1[:, None] * d, idx


def _reached_lines(graph: WalkGraph, node_distance: np.ndarray, radius_m: float) -> np.ndarray:
    """The reached network as lines, merged end to end (about five times fewer than its segments)."""
    start, end, idx = reached_segments(graph, node_distance, radius_m)
    if len(start) == 0:
        return np.empty(0, dtype=object)
    # Chain the segments along their source line first (sorted by line and measure, joined where one ends
    # exactly where the next starts), so line_merge gets a few thousand chains instead of every segment:
    # a third of its time, same merged lines.
    e = graph.piece_edge[idx]
    line = graph.edge_line[e]
    order = np.lexsort((graph.edge_m0[e] + graph.piece_start[idx] + np.hypot(*(start - graph.piece_xy0[idx]).T),
                        line))
    start, end, line = start[order], end[order], line[order]
    new = np.r_[True, (line[1:] != line[:-1]) | np.any(start[1:] != end[:-1], axis=1)]
    chain = np.cumsum(new) - 1
    last = np.r_[new[1:], True]
    xy = np.concatenate([start, end[last]])
    ids = np.concatenate([chain, chain[last]])
    pos = np.concatenate([np.arange(len(start)), np.flatnonzero(last) + 0.5])
    o = np.lexsort((pos, ids))
    chains = shapely.linestrings(xy[o], indices=ids[o])
    return shapely.get_parts(shapely.line_merge(shapely.multilinestrings(chains)))


def _band(lines: np.ndarray, buffer_m: float) -> shapely.Geometry:
    if len(lines) == 0:
        return shapely.Polygon()
    # Simplifying the lines by a fifteenth of the band width moves the outline by at most that and saves
    # about a tenth of the union time on central Harbin (a tenth, 3 m, is no faster and moves the
    # outline further: 0.97% symmetric difference against unsimplified segments instead of 0.64%).
    lines = shapely.simplify(lines, buffer_m * _SIMPLIFY, preserve_topology=False)
    return shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=_QUAD_SEGS))


def _covering_subset(use: np.ndarray, radius_m: float, done: dict[tuple[bytes, float], np.ndarray]
                     ) -> tuple[bytes, float] | None:
    """Key of the largest facility set already scheduled at ``radius_m`` that ``use`` strictly contains."""
    best, size = None, 0
    for (key_bytes, r), mask in done.items():
        n = int(mask.sum())
        if r == radius_m and size < n < int(use.sum()) and not (mask & ~use).any():
            best, size = (key_bytes, r), n
    return best


def service_areas(network: LifeCircleNetwork, requirements: pd.DataFrame, *, buffer_m: float = 30.0,
                  per_facility: bool = False, facility_ids: Collection[str] | None = None, workers: int = 2,
                  progress: Progress | None = None) -> gpd.GeoDataFrame:
    """Polygons of the network reachable within each catalogue type's threshold, per level.

    The reached part of every edge (partial edges clipped at the exact distance) is merged into lines,
    simplified by a fifteenth of ``buffer_m``, buffered by ``buffer_m`` and unioned (within 1% symmetric
    difference of buffering every reached segment on its own). The default gives one polygon per
    facility type and level, the band around the network walkable from any facility of that type: one
    multi-source Dijkstra and one union per row of ``requirements``. Rows fed by the
    same facilities at the same distance share the polygon; a row whose facilities strictly contain
    those of a row already computed at the same distance (clinic ⊃ health_center, outdoor_fitness ⊃
    sports_field_s on OSM categories) reuses it: the reach of a facility set is the union of the reaches
    of its parts, so only the extra facilities' band is built and added to it. The unions are the
    whole cost (0.1–0.4 s each on central Harbin), so they run on ``workers`` threads.
    ``per_facility=True`` gives one polygon per facility and level instead (a Dijkstra per chunk of
    facilities, a union per facility): about as many unions as facilities, for a selection rather
    than a whole city.

    Parameters
    ----------
    network
        From :func:`~gisplanner.analysis.lifecircle.prepare_life_circle`.
    requirements
        ``facility_type``, ``level``, ``threshold_m`` rows.
    buffer_m
        Half-width, metres, of the band drawn around reached network segments (the access_snap_m of
        the gap analysis, so a community touching the band is within reach).
    per_facility
        One polygon per facility and level instead of per type and level.
    facility_ids
        With ``per_facility``, only these facilities (``feature_id``); all when None.
    workers
        Threads for the polygon unions (GEOS runs them without the GIL).
    progress
        Progress sink, updated per requirement row.

    Returns
    -------
    geopandas.GeoDataFrame
        facility_type, level, threshold_m, facilities (count), facility_id (per-facility variant only),
        area_m2, geometry. Types with no usable facility give no row.
    """
    progress = ensure_progress(progress)
    req = check_requirements(requirements)
    rows = []
    # The unions dominate the cost and GEOS runs them without the GIL: each goes to a small thread pool
    # as soon as its reached lines are known, while this thread routes the next type.
    jobs: dict[tuple[bytes, float], Future] = {}
    # Polygons built as a smaller set's polygon plus the band of the extra facilities: key -> (base key, job).
    extends: dict[tuple[bytes, float], tuple[tuple[bytes, float], Future]] = {}
    masks: dict[tuple[bytes, float], np.ndarray] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for k, row in enumerate(req.itertuples(index=False)):
            progress.update(k, 2 * len(req), f"设施可达范围（第 {k + 1}/{len(req)} 项）")
            use = network.uses(row.facility_type)
            if not use.any():
                continue
            r = float(row.threshold_m)
            if not per_facility:
                key = (use.tobytes(), r)
                if key not in masks:
                    base = _covering_subset(use, r, masks)
                    if base is None:
                        d = network.type_distances(row.facility_type, limit_m=r)
                        jobs[key] = pool.submit(_band, _reached_lines(network.graph, d, r), buffer_m)
                    else:
                        extra = network.facilities[use & ~masks[base]]
                        d = network_distances(network.graph, extra["node"].to_numpy(),
                                              source_offset_m=extra["connector_m"].to_numpy(), limit_m=r)
                        extends[key] = (base, pool.submit(_band, _reached_lines(network.graph, d, r), buffer_m))
                    masks[key] = use
                rows.append((row.facility_type, row.level, r, int(use.sum()), None, key))
                continue
            if facility_ids is not None:
                use = use & network.facilities["facility_id"].isin(list(facility_ids)).to_numpy()
            fac = network.facilities[use]
            nodes, conn = fac["node"].to_numpy(), fac["connector_m"].to_numpy()
            for c in range(0, len(nodes), _CHUNK):
                d = network_distances(network.graph, nodes[c:c + _CHUNK], source_offset_m=conn[c:c + _CHUNK],
                                      limit_m=r, min_only=False)
                for j in range(len(d)):
                    key = (fac["facility_id"].iloc[c + j].encode(), r)
                    jobs[key] = pool.submit(_band, _reached_lines(network.graph, d[j], r), buffer_m)
                    rows.append((row.facility_type, row.level, r, 1, fac["facility_id"].iloc[c + j], key))
        polygons = {}
        n_jobs = max(len(jobs) + len(extends), 1)
        for k, (key, fut) in enumerate(jobs.items()):
            progress.update(len(req) + k * len(req) // n_jobs, 2 * len(req), "服务范围多边形")
            polygons[key] = fut.result()
        # A base is always scheduled before the sets that extend it, so it is done (or extended) first.
        for k, (key, (base, fut)) in enumerate(extends.items(), start=len(jobs)):
            progress.update(len(req) + k * len(req) // n_jobs, 2 * len(req), "服务范围多边形")
            polygons[key] = shapely.union(polygons[base], fut.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    progress.update(2 * len(req), 2 * len(req), "服务范围完成")
    rows = [(*row[:5], polygons[row[5]]) for row in rows]
    frame = pd.DataFrame(rows, columns=["facility_type", "level", "threshold_m", "facilities", "facility_id",
                                        "geometry"])
    if not per_facility:
        frame = frame.drop(columns="facility_id")
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=network.crs)
    out.insert(len(out.columns) - 1, "area_m2", shapely.area(out.geometry.to_numpy()))
    return out
