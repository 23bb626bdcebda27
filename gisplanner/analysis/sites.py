"""Candidate sites to close life-circle gaps: idle land, boiler rooms and public buildings, chosen greedily."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplanner.analysis.lifecircle import (
    LifeCircleNetwork,
    best_per_owner,
    boundary_samples,
    check_requirements,
)
from gisplanner.analysis.network import column_or, distances_from_points, snap_points
from gisplanner.io.status import AVAILABLE, UNKNOWN
from gisplanner.progress import Progress, ensure_progress

SITE_LAYERS = ("idle_land", "boiler_rooms", "public_buildings")
#: Said of a site whose status is unknown: listed, never chosen, until someone has looked.
VERIFY = "需核实现状"
# Sites per Dijkstra call: bounds the (sites x nodes) distance matrix to a few tens of MB.
_CHUNK = 128


def site_table(layers: Mapping[str, gpd.GeoDataFrame | None]) -> gpd.GeoDataFrame:
    """The candidate sites of the given layers in one frame.

    Parameters
    ----------
    layers
        Layer role -> canonical layer, for any of ``idle_land``, ``boiler_rooms``, ``public_buildings``
        (missing or None roles are skipped). A resource in use (``status`` in_service) is no site; idle and
        decommissioned ones are; those of unknown (or missing) status are kept to be listed as 需核实现状.

    Returns
    -------
    geopandas.GeoDataFrame
        site_layer, site_id, name, area_m2 (NaN where unknown), status, geometry.
    """
    frames = []
    crs = None
    for role in SITE_LAYERS:
        gdf = layers.get(role)
        if gdf is None or len(gdf) == 0:
            continue
        crs = gdf.crs
        status = column_or(gdf, "status", UNKNOWN).fillna(UNKNOWN).astype(str)
        keep = status.isin((*AVAILABLE, UNKNOWN)).to_numpy()
        gdf, status = gdf[keep], status[keep]
        ids = column_or(gdf, "feature_id", None)
        frames.append(pd.DataFrame({
            "site_layer": role,
            "site_id": (ids if ids.notna().all() else pd.Series(gdf.index, index=gdf.index)).astype(str).to_numpy(),
            "name": column_or(gdf, "name", None).to_numpy(),
            "area_m2": pd.to_numeric(column_or(gdf, "area_m2", np.nan), errors="coerce").to_numpy(float),
            "status": status.to_numpy(),
            "geometry": gdf.geometry.to_numpy(),
        }))
    if not frames:
        return gpd.GeoDataFrame(columns=["site_layer", "site_id", "name", "area_m2", "status", "geometry"],
                                geometry="geometry", crs=crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def size_check(area_m2: np.ndarray, low: float, high: float) -> np.ndarray:
    """Site area against the catalogue range: ``small`` (excluded), ``within``, ``larger``, ``unknown``.

    A site larger than the range stays a candidate: the facility takes part of it.

    Examples
    --------
    >>> size_check(np.array([100.0, 500.0, 900.0, np.nan]), 150.0, 750.0).tolist()
    ['small', 'within', 'larger', 'unknown']
    """
    area = np.asarray(area_m2, dtype=float)
    out = np.full(len(area), "unknown", dtype=object)
    known = np.isfinite(area) & np.isfinite(low)
    out[known & (area < low)] = "small"
    out[known & (area >= low)] = "within"
    out[known & np.isfinite(high) & (area > high)] = "larger"
    return out


def site_distances(network: LifeCircleNetwork, n_communities: int, sites: gpd.GeoDataFrame, *, limit_m: float,
                   access_spacing_m: float = 20.0, site_snap_m: float = 250.0,
                   progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Walking distance from each candidate site to each community of the network.

    A site is reached from its boundary point nearest the routable network (connector counted, at most
    ``site_snap_m``); a community at its nearest access point.

    Returns
    -------
    on_net : numpy.ndarray
        Row positions in ``sites`` of the sites on the network.
    dist : numpy.ndarray
        (len(on_net), n_communities) metres; inf beyond ``limit_m``.
    """
    progress = ensure_progress(progress)
    xy, owner = boundary_samples(sites.geometry.to_numpy(), access_spacing_m)
    snap = snap_points(network.graph, xy, max_distance_m=site_snap_m, routable_only=True)
    best = best_per_owner(snap.distance_m, owner, len(sites))
    on_net = np.flatnonzero(best >= 0)
    site_snap = snap.take(best[on_net])
    dist = np.full((len(on_net), n_communities), np.inf)
    for c in range(0, len(on_net), _CHUNK):
        progress.update(c, len(on_net), "候选站点的步行距离")
        part = site_snap.take(np.arange(c, min(c + _CHUNK, len(on_net))))
        node_d = distances_from_points(network.graph, part, limit_m=limit_m)
        dist[c:c + _CHUNK] = network.community_distance(node_d, n_communities, source_snap=part)
    return on_net, dist


def candidate_sites(network: LifeCircleNetwork, communities: gpd.GeoDataFrame, community_access: pd.DataFrame,
                    requirements: pd.DataFrame, sites: gpd.GeoDataFrame, *, k: int = 3, listed: int | None = 20,
                    access_spacing_m: float = 20.0, site_snap_m: float = 250.0,
                    progress: Progress | None = None) -> gpd.GeoDataFrame:
    """Rank candidate sites per gap type by the population they would newly serve; pick k greedily.

    For each requirement row with gaps, a site serves a gap community when the network distance from
    the site (its boundary point nearest the network, connector counted) to the community's access
    points is within the row's threshold. Sites smaller than the catalogue's size range are dropped
    (where the area and the range are known). Then k sites are chosen one at a time, each the one
    adding the most not-yet-served population (greedy maximal coverage). Only idle and decommissioned
    sites are chosen; sites of unknown status are listed after them with the note 需核实现状.

    Parameters
    ----------
    network
        From :func:`~gisplanner.analysis.lifecircle.prepare_life_circle`.
    communities
        The communities the network was prepared with (``population``).
    community_access
        ``community_access`` of :func:`~gisplanner.analysis.lifecircle.life_circle_gaps`.
    requirements
        Rows ``facility_type``, ``level``, ``threshold_m``; optional ``site_min_m2``, ``site_max_m2``.
    sites
        :func:`site_table` of the candidate layers.
    k
        Sites to choose per requirement row.
    listed
        Rows kept per requirement row: the chosen sites, then the best of the rest by population they
        would serve alone, up to this many in all (a city has thousands of candidates); None keeps all.
    access_spacing_m
        Spacing of the boundary points of polygon sites tested for the nearest network point, metres.
    site_snap_m
        Largest connector, metres, from a site to the routable network; farther sites are left out.
    progress
        Progress sink, updated per chunk of sites and per requirement row.

    Returns
    -------
    geopandas.GeoDataFrame
        Per requirement row, the sites that would newly serve someone (see ``listed``): facility_type, level,
        threshold_m, site_layer, site_id, name, area_m2, status, note (需核实现状 where the status is unknown),
        size_check, population_alone (newly served by this site alone), communities_alone, rank (1..k for the
        chosen, NA otherwise), population_new (added at its pick), communities_new (ids, comma-separated),
        geometry (the site).
    """
    progress = ensure_progress(progress)
    req = check_requirements(requirements)
    if len(sites) == 0 or community_access["served"].to_numpy(bool).all() or req.empty:
        return choose_sites(np.zeros(0, dtype=np.int64), np.zeros((0, len(communities))), communities,
                            community_access, req, sites, k=k, listed=listed, crs=network.crs)
    on_net, dist = site_distances(network, len(communities), sites, limit_m=float(req["threshold_m"].max()),
                                  access_spacing_m=access_spacing_m, site_snap_m=site_snap_m,
                                  progress=progress.stage(0, 2, "候选站点的步行距离"))
    return choose_sites(on_net, dist, communities, community_access, req, sites, k=k, listed=listed,
                        crs=network.crs, progress=progress.stage(1, 2, "排序"))


def choose_sites(on_net: np.ndarray, dist: np.ndarray, communities: gpd.GeoDataFrame,
                 community_access: pd.DataFrame, requirements: pd.DataFrame, sites: gpd.GeoDataFrame, *,
                 k: int = 3, listed: int | None = 20, crs: Any = None,
                 progress: Progress | None = None) -> gpd.GeoDataFrame:
    """The greedy choice of :func:`candidate_sites` from the sites' distances (:func:`site_distances`:
    ``on_net`` rows of ``sites``, ``dist`` metres to every community); the other arguments and the result as
    there, ``crs`` that of the result."""
    progress = ensure_progress(progress)
    req = check_requirements(requirements)
    n = len(communities)
    columns = ["facility_type", "level", "threshold_m", "site_layer", "site_id", "name", "area_m2", "status",
               "note", "size_check",
               "population_alone", "communities_alone", "rank", "population_new", "communities_new", "geometry"]
    gap_rows = community_access.loc[~community_access["served"].to_numpy(bool)]
    if len(on_net) == 0 or len(gap_rows) == 0 or req.empty:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=crs)

    ids = community_access["community_id"].to_numpy()[:n]
    status = column_or(sites, "status", UNKNOWN).fillna(UNKNOWN).astype(str).to_numpy()[on_net]
    choosable = np.isin(status, AVAILABLE)
    population = np.nan_to_num(pd.to_numeric(column_or(communities, "population", np.nan),
                                             errors="coerce").to_numpy(float), nan=0.0)
    out = []
    for r, row in enumerate(req.itertuples(index=False)):
        progress.update(r, len(req), f"候选站点（第 {r + 1}/{len(req)} 项）")
        sel = (community_access["facility_type"].to_numpy() == row.facility_type) & \
              (community_access["level"].to_numpy() == row.level)
        served = community_access["served"].to_numpy(bool)[sel][:n]
        if served.all():
            continue
        low = float(getattr(row, "site_min_m2", np.nan))
        high = float(getattr(row, "site_max_m2", np.nan))
        check = size_check(sites["area_m2"].to_numpy()[on_net], low, high)
        covers = (dist <= row.threshold_m) & ~served[None, :] & (check != "small")[:, None]
        alone = covers @ population
        cand = np.flatnonzero(covers.any(axis=1))
        if len(cand) == 0:
            continue
        rank = np.full(len(on_net), -1)
        gain_at = np.full(len(on_net), np.nan)
        new_at = np.full(len(on_net), "", dtype=object)
        left = population.copy()
        open_ = np.ones(n, bool)
        for pick in range(1, k + 1):
            gain = (covers & open_[None, :]) @ left
            gain[(rank > 0) | ~choosable] = -1.0
            s = int(np.argmax(gain))
            newly = covers[s] & open_
            if gain[s] < 0 or not newly.any():
                break
            rank[s], gain_at[s] = pick, gain[s]
            new_at[s] = ",".join(ids[newly])
            open_ &= ~newly
            left = np.where(open_, population, 0.0)
        site_rows = on_net[cand]
        frame = sites.iloc[site_rows]
        out.append(pd.DataFrame({
            "facility_type": row.facility_type, "level": row.level, "threshold_m": float(row.threshold_m),
            "site_layer": frame["site_layer"].to_numpy(), "site_id": frame["site_id"].to_numpy(),
            "name": frame["name"].to_numpy(), "area_m2": frame["area_m2"].to_numpy(),
            "status": status[cand], "note": np.where(choosable[cand], "", VERIFY),
            "size_check": check[cand], "population_alone": alone[cand],
            "communities_alone": [",".join(ids[covers[c]]) for c in cand],
            "rank": pd.array(np.where(rank[cand] > 0, rank[cand], pd.NA), dtype="Int64"),
            "population_new": gain_at[cand], "communities_new": new_at[cand],
            "geometry": frame.geometry.to_numpy(),
        }))
    progress.update(len(req), len(req), "候选站点已排序")
    if not out:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=crs)
    result = pd.concat(out, ignore_index=True)
    result["_unchosen"] = result["rank"].isna()
    result["_verify"] = result["note"] == VERIFY
    result = result.sort_values(["facility_type", "level", "_unchosen", "_verify", "rank", "population_alone"],
                                ascending=[True, True, True, True, True, False], kind="stable")
    if listed is not None:
        result = result.groupby(["facility_type", "level"], sort=False).head(max(listed, k))
    return gpd.GeoDataFrame(result.drop(columns=["_unchosen", "_verify"]).reset_index(drop=True),
                            geometry="geometry", crs=crs)
