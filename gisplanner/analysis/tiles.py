"""Tiles of one large city for the life-circle routing and the sunlight engine, each tile an independent task.

A tile owns the features whose representative point falls in its box (half-open, so every feature has exactly
one tile) and carries, besides them, every feature within the *reach* of what it owns:

- life circle: walking lines, facilities and gates within ``limit + 2 access_snap + facility_snap`` metres of
  its square (and of everything it owns), where ``limit`` is the search limit of
  :func:`~gisplanner.analysis.lifecircle.life_circle_gaps`. A walk of at most ``limit`` never leaves that box,
  so each owned community gets the distances of a whole-city run, each owned candidate site its distances to
  every community (those within reach come along, with the lines around them), and the part of every
  service-area polygon over the square (and a band of ``access_snap`` around it) is the whole run's, up to the
  line simplification of :func:`~gisplanner.analysis.service_areas.service_areas` (a fifteenth of the band
  width). Which network components are islands is decided once on the whole network and handed to the tile,
  since a component cut at the tile edge would otherwise look small.
- sunlight: every building whose shadow over the standard day can reach the owned buildings (the footprint
  box stretched by the tallest building's shadow offsets, towards the sun), as obstacles without sills.

The engines are called unchanged on each tile; :func:`merge_life_circle`, :func:`merge_service_areas`,
:func:`merge_site_distances` and :func:`merge_sunlight` put the owned rows back in the order of a whole-city
run (the candidate sites are then chosen once, city-wide, by :func:`~gisplanner.analysis.sites.choose_sites`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.analysis.lifecircle import (
    ACCESS_ISLAND,
    FACILITY_NETWORK,
    LifeCircleGaps,
    check_requirements,
    life_circle_gaps,
    prepare_life_circle,
)
from gisplanner.analysis.network import WalkGraph, build_walk_graph
from gisplanner.analysis.service_areas import service_areas
from gisplanner.analysis.sites import site_distances
from gisplanner.analysis.sun import SunPath
from gisplanner.analysis.sunlight import shadow_reach, sunlight_hours
from gisplanner.errors import InputError
from gisplanner.standards import SunlightRequirement, TagRule

#: Default facility snap of :func:`~gisplanner.analysis.lifecircle.prepare_life_circle`, metres.
FACILITY_SNAP_M = 250.0
#: Sill samples sit 1 cm outside their wall; obstacles are gathered this much wider (m).
_SUN_MARGIN_M = 1.0


def tile_boxes(bounds: Sequence[float], tile_m: float) -> np.ndarray:
    """A grid of square tiles covering ``bounds`` (minx, miny, maxx, maxy), as (n, 4) boxes, row by row."""
    if not tile_m > 0:
        raise InputError(f"tile size {tile_m} m is not positive", fix="give the tile side in metres, e.g. 2000")
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    nx = max(1, int(np.ceil((maxx - minx) / tile_m)))
    ny = max(1, int(np.ceil((maxy - miny) / tile_m)))
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
    x0, y0 = minx + ix.ravel() * tile_m, miny + iy.ravel() * tile_m
    return np.column_stack([x0, y0, x0 + tile_m, y0 + tile_m])


def owner_tile(geometry: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Tile of each geometry: the box holding its representative point ([min, max) on both axes; the last
    row and column also take points on their far edge)."""
    xy = shapely.get_coordinates(shapely.point_on_surface(np.asarray(geometry)))
    x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
    size = boxes[0, 2] - boxes[0, 0]
    nx = int(round((boxes[:, 2].max() - x0) / size))
    ny = int(round((boxes[:, 3].max() - y0) / size))
    ix = np.clip(np.floor((xy[:, 0] - x0) / size).astype(np.int64), 0, nx - 1)
    iy = np.clip(np.floor((xy[:, 1] - y0) / size).astype(np.int64), 0, ny - 1)
    return iy * nx + ix


def _within(frame: gpd.GeoDataFrame | None, box: Sequence[float]) -> np.ndarray:
    """Row positions of the features meeting a box, in frame order."""
    if frame is None or len(frame) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(frame.sindex.query(shapely.box(*box), predicate="intersects"))


def _grow(bounds: np.ndarray, margin: float) -> np.ndarray:
    return np.array([bounds[0] - margin, bounds[1] - margin, bounds[2] + margin, bounds[3] + margin])


# ---------------------------------------------------------------------------------------------- life circle
@dataclass(frozen=True)
class LifeCircleTile:
    """One tile's share of the life-circle inputs.

    Attributes
    ----------
    tile_id
        ``T<row>_<col>`` of the grid.
    box
        The tile's square (minx, miny, maxx, maxy), metres: the part of the service areas it gives.
    communities
        The communities the tile owns.
    walk_network, facilities, gates
        The features within reach of what it owns (gates None when the city has none).
    line_routable
        Per walkable line of ``walk_network`` (in graph order), True when its component of the whole
        network is routable.
    owned_facilities
        Per row of ``facilities``: True where the tile owns it (reports its snap and status).
    site_rows
        Positions, in the whole site table, of the candidate sites the tile owns.
    sites
        Those sites.
    site_community_rows
        Positions, in the whole communities layer, of the communities within reach of the owned sites.
    site_communities
        Those communities.
    """

    tile_id: str
    box: np.ndarray
    communities: gpd.GeoDataFrame
    walk_network: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    gates: gpd.GeoDataFrame | None
    line_routable: np.ndarray
    owned_facilities: np.ndarray
    site_rows: np.ndarray
    sites: gpd.GeoDataFrame | None
    site_community_rows: np.ndarray
    site_communities: gpd.GeoDataFrame


@dataclass(frozen=True)
class LifeCircleTileResult:
    """The owned rows of one tile: the gap results, the facility table (``facility_access`` columns), the
    service areas over its box (None when not asked for) and the walking distances of its candidate sites
    (``site_rows`` on the network × ``site_community_rows``, metres)."""

    tile_id: str
    gaps: LifeCircleGaps
    facilities: pd.DataFrame
    service_areas: gpd.GeoDataFrame | None
    site_rows: np.ndarray
    site_community_rows: np.ndarray
    site_dist: np.ndarray


def life_circle_reach(requirements: pd.DataFrame, *, search_limit_m: float, access_snap_m: float,
                      facility_snap_m: float = FACILITY_SNAP_M) -> float:
    """Overlap, metres, a tile needs around its square for exact life-circle distances, site distances and
    service areas (whose band of ``access_snap_m`` reaches that far beyond the reached lines)."""
    limit = max(float(search_limit_m), float(check_requirements(requirements)["threshold_m"].max()))
    return limit + 2 * float(access_snap_m) + float(facility_snap_m)


def _line_routable(graph: WalkGraph) -> np.ndarray:
    """Per line of ``graph``: True when its component is routable (every edge of a line shares one)."""
    out = np.zeros(len(graph.line_feature), dtype=bool)
    out[graph.edge_line] = graph.edge_is_routable()
    return out


def _union_bounds(*bounds: np.ndarray) -> np.ndarray:
    """The box holding every (minx, miny, maxx, maxy) given; NaN ones (empty frames) are skipped."""
    b = np.array([x for x in bounds if np.isfinite(x).all()])
    return np.array([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()])


def life_circle_tiles(walk_network: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                      facilities: gpd.GeoDataFrame, *, tile_m: float, reach_m: float,
                      gates: gpd.GeoDataFrame | None = None, sites: gpd.GeoDataFrame | None = None,
                      service_reach_m: float = 0.0, graph: WalkGraph | None = None,
                      walkable_highways: Collection[str] | None = None, min_component_nodes: int = 50,
                      access_snap_m: float = 30.0) -> list[LifeCircleTile]:
    """Split a city's life-circle inputs into square tiles of ``tile_m`` metres with ``reach_m`` of overlap.

    Parameters
    ----------
    walk_network, communities, facilities, gates
        Canonical layers in one metric CRS.
    tile_m
        Side of a tile, metres.
    reach_m
        Overlap around each tile's square and what it owns (:func:`life_circle_reach`).
    sites
        The candidate sites (:func:`~gisplanner.analysis.sites.site_table`), or None.
    service_reach_m
        How far service areas reach beyond the facilities (largest threshold plus the band), metres: tiles
        are made wherever they may reach, with or without communities; 0 for none.
    graph
        The whole network's graph, when already built; it decides the islands.
    walkable_highways, min_component_nodes
        As for :func:`~gisplanner.analysis.network.build_walk_graph`.
    access_snap_m
        The access snap of the communities, metres: a community within reach of a site comes with the lines
        and gates around all of it.

    Returns
    -------
    list of LifeCircleTile
        The tiles that own a community, a facility or a site, or that service areas may reach; every such
        feature is owned by the tile holding its representative point.
    """
    if graph is None:
        graph = build_walk_graph(walk_network, walkable_highways=walkable_highways,
                                 min_component_nodes=min_component_nodes)
    sites = sites if sites is not None and len(sites) else None
    routable = _line_routable(graph)
    fac_geometry = facilities.geometry.to_numpy()
    extent = _union_bounds(communities.total_bounds, sites.total_bounds if sites is not None else np.full(4, np.nan),
                           _grow(facilities.total_bounds, service_reach_m) if len(facilities) else np.full(4, np.nan))
    boxes = tile_boxes(extent, tile_m)
    n_x = int(round((boxes[:, 2].max() - boxes[:, 0].min()) / tile_m))
    owner = owner_tile(communities.geometry.to_numpy(), boxes)
    fac_owner = owner_tile(fac_geometry, boxes) if len(facilities) else np.zeros(0, dtype=np.int64)
    site_owner = owner_tile(sites.geometry.to_numpy(), boxes) if sites is not None else np.zeros(0, dtype=np.int64)
    used = set(owner) | set(fac_owner) | set(site_owner)
    if service_reach_m > 0 and len(facilities):
        near = facilities.sindex.query(shapely.box(*boxes.T), predicate="dwithin", distance=service_reach_m)[0]
        used |= set(np.unique(near))
    tiles = []
    for t in sorted(used):
        own = np.flatnonzero(owner == t)
        own_fac = np.flatnonzero(fac_owner == t)
        own_sites = np.flatnonzero(site_owner == t)
        core = _union_bounds(boxes[t], communities.iloc[own].total_bounds, facilities.iloc[own_fac].total_bounds,
                             sites.iloc[own_sites].total_bounds if sites is not None else np.full(4, np.nan))
        reach_box = _grow(core, reach_m)
        near_sites = _within(communities, reach_box) if len(own_sites) else np.zeros(0, dtype=np.int64)
        # The communities a site may serve come whole, with the lines and gates around them (their access
        # points, and whether they have gates, are the whole run's).
        line_box = _grow(_union_bounds(reach_box, communities.iloc[near_sites].total_bounds),
                         access_snap_m + _SUN_MARGIN_M) if len(near_sites) else reach_box
        lines = _within(walk_network, line_box)
        fac = np.union1d(_within(facilities, reach_box), own_fac)
        gate_rows = _within(gates, line_box)
        tiles.append(LifeCircleTile(
            tile_id=f"T{t // n_x}_{t % n_x}", box=boxes[t], communities=communities.iloc[own],
            walk_network=walk_network.iloc[lines], facilities=facilities.iloc[fac],
            gates=gates.iloc[gate_rows] if gates is not None else None,
            line_routable=routable[np.isin(graph.line_feature, lines)],
            owned_facilities=np.isin(fac, own_fac), site_rows=own_sites,
            sites=sites.iloc[own_sites] if sites is not None else None,
            site_community_rows=near_sites, site_communities=communities.iloc[near_sites]))
    return tiles


def _tile_graph(tile: LifeCircleTile, walkable_highways: Collection[str] | None,
                min_component_nodes: int) -> WalkGraph:
    """The tile's walking graph with the whole network's islands."""
    graph = build_walk_graph(tile.walk_network, walkable_highways=walkable_highways,
                             min_component_nodes=min_component_nodes)
    if len(tile.line_routable) != len(graph.line_feature):
        raise InputError("图块的步行路段与整个路网的不一致", layer="walk_network",
                         fix="用同一图层由 life_circle_tiles 生成图块")
    routable = np.zeros(graph.n_components, dtype=bool)
    routable[graph.node_component[graph.edge_u]] = tile.line_routable[graph.edge_line]
    return dataclasses.replace(graph, routable=routable)


def run_life_circle_tile(tile: LifeCircleTile, category_map: Mapping[str, Sequence[str]],
                         requirements: pd.DataFrame, *, access_snap_m: float, search_limit_m: float,
                         tag_rules: Sequence[TagRule] = (), districts: pd.Series | None = None,
                         walkable_highways: Collection[str] | None = None, min_component_nodes: int = 50,
                         service_areas_of: pd.DataFrame | None = None, per_facility: bool = False,
                         facility_ids: Collection[str] | None = None,
                         site_requirements: pd.DataFrame | None = None) -> LifeCircleTileResult:
    """The life-circle results of one tile (a self-contained task: picklable in and out).

    ``category_map`` and ``tag_rules`` as for :func:`~gisplanner.analysis.lifecircle.prepare_life_circle`.
    With ``service_areas_of`` (requirement rows), the service areas (band ``access_snap_m``;
    ``per_facility``, ``facility_ids`` as for :func:`~gisplanner.analysis.service_areas.service_areas`) cut to
    the tile's square grown by the band; with ``site_requirements``, the distances of the owned candidate
    sites up to their largest threshold.
    """
    graph = _tile_graph(tile, walkable_highways, min_component_nodes)
    network = prepare_life_circle(graph, tile.communities, tile.facilities, category_map, tag_rules=tag_rules,
                                  gates=tile.gates, access_snap_m=access_snap_m)
    gaps = life_circle_gaps(network, tile.communities, requirements, search_limit_m=search_limit_m,
                            districts=districts)
    table = network.facilities.drop(columns="node")
    areas = None
    if service_areas_of is not None:
        areas = service_areas(network, service_areas_of, buffer_m=access_snap_m, per_facility=per_facility,
                              facility_ids=facility_ids)
        areas = areas.set_geometry(shapely.clip_by_rect(areas.geometry.to_numpy(), *_grow(tile.box, access_snap_m)))
        areas = areas[~areas.geometry.is_empty].reset_index(drop=True)
    on_net, dist = np.zeros(0, dtype=np.int64), np.zeros((0, len(tile.site_communities)))
    site_req = check_requirements(site_requirements) if site_requirements is not None else None
    if tile.sites is not None and len(tile.sites) and site_req is not None and len(site_req):
        near = prepare_life_circle(graph, tile.site_communities, tile.facilities, category_map,
                                   tag_rules=tag_rules, gates=tile.gates, access_snap_m=access_snap_m)
        on_net, dist = site_distances(near, len(tile.site_communities), tile.sites,
                                      limit_m=float(site_req["threshold_m"].max()))
    return LifeCircleTileResult(tile.tile_id, gaps, table[tile.owned_facilities].reset_index(drop=True), areas,
                                tile.site_rows[on_net], tile.site_community_rows, dist)


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Row-wise concat keeping each column's typed dtype: a tile whose column is empty or all missing comes
    out as object and would otherwise turn the whole column into object."""
    non_empty = [f for f in frames if len(f)] or list(frames[:1])
    out = pd.concat(non_empty, ignore_index=True)
    for column in out.columns:
        typed = [f[column].dtype for f in non_empty if f[column].dtype != object]
        if out[column].dtype == object and typed and column != "geometry":
            out[column] = out[column].astype(typed[0])
    return out


def _access_order(frame: pd.DataFrame, requirements: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    """Row order of a whole-city run: requirement row first, then community position."""
    req = check_requirements(requirements)
    req_pos = pd.Series(np.arange(len(req)), index=pd.MultiIndex.from_frame(req[["facility_type", "level"]]))
    r = req_pos.reindex(pd.MultiIndex.from_frame(frame[["facility_type", "level"]])).to_numpy()
    c = pd.Series(np.arange(len(ids)), index=ids).reindex(frame["community_id"].to_numpy()).to_numpy()
    return np.lexsort((c, r))


def merge_life_circle(results: Sequence[LifeCircleTileResult], communities: gpd.GeoDataFrame,
                      facilities: gpd.GeoDataFrame, requirements: pd.DataFrame, *,
                      districts: pd.Series | None = None) -> tuple[LifeCircleGaps, pd.DataFrame]:
    """The tiles' owned rows as one city's results, in the row order of a whole-city run.

    ``districts`` is the series the tiles were run with (it orders the per-district coverage rows).

    Returns
    -------
    (LifeCircleGaps, pandas.DataFrame)
        The gaps (coverage summed over tiles: counts and populations add up) and the facility table.
    """
    ids = communities["feature_id"].astype(str).to_numpy()
    access = _concat([r.gaps.community_access for r in results])
    access = access.iloc[_access_order(access, requirements, ids)].reset_index(drop=True)
    fac = _concat([r.facilities for r in results])
    gaps = _concat([r.gaps.gaps for r in results])
    gaps = gaps.iloc[_access_order(gaps, requirements, ids)].reset_index(drop=True)
    # "no_facility" means none of the type in the whole city: a tile without one within reach says so wrongly.
    usable = fac.loc[fac["status"] == FACILITY_NETWORK, "facility_types"]
    stocked = {t for types in usable for t in types}
    wrong = (gaps["reason"] == "no_facility") & gaps["facility_type"].isin(stocked)
    gaps.loc[wrong, "reason"] = np.where(gaps.loc[wrong, "access"] == ACCESS_ISLAND, "unreachable",
                                         "beyond_search_limit")
    parts = pd.concat([r.gaps.coverage for r in results], ignore_index=True)
    keys = ["facility_type", "level", "district"]
    coverage = parts.groupby(keys, sort=False)[["communities", "communities_served", "population",
                                                "population_served"]].sum().reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage["share_served"] = coverage["population_served"] / coverage["population"]
    coverage = coverage.iloc[_coverage_order(coverage, ids, requirements, districts)].reset_index(drop=True)
    fac_pos = pd.Series(np.arange(len(facilities)), index=facilities["feature_id"].astype(str).to_numpy())
    fac = fac.iloc[np.argsort(fac_pos.reindex(fac["facility_id"].to_numpy()).to_numpy(), kind="stable")]
    return (LifeCircleGaps(gpd.GeoDataFrame(access, geometry="geometry", crs=communities.crs),
                           gpd.GeoDataFrame(gaps, geometry="geometry", crs=communities.crs), coverage),
            fac.reset_index(drop=True))


def _coverage_order(coverage: pd.DataFrame, ids: np.ndarray, requirements: pd.DataFrame,
                    districts: pd.Series | None) -> np.ndarray:
    """The whole run's order: every requirement's ``all`` row, then the district rows by requirement and by
    the position of each district's first community."""
    req = check_requirements(requirements)
    req_pos = pd.Series(np.arange(len(req)), index=req["facility_type"] + "\0" + req["level"])
    r = req_pos.reindex(coverage["facility_type"] + "\0" + coverage["level"]).to_numpy()
    first = pd.Series(dtype=float)
    if districts is not None:
        of_ids = pd.Series(districts).reindex(ids).reset_index(drop=True).dropna()
        first = pd.Series(of_ids.index.to_numpy(), index=of_ids.to_numpy()).groupby(level=0).min()
    d = first.reindex(coverage["district"].to_numpy()).fillna(-1).to_numpy()
    is_district = (coverage["district"] != "all").to_numpy()
    return np.lexsort((d, r, is_district))


def merge_service_areas(results: Sequence[LifeCircleTileResult], requirements: pd.DataFrame,
                        facilities: pd.DataFrame, *, crs: Any, per_facility: bool = False,
                        facility_ids: Collection[str] | None = None) -> gpd.GeoDataFrame:
    """Each service area as the union of the tiles' pieces, in the row order of a whole-city run.

    ``facilities`` is the merged facility table (:func:`merge_life_circle`): a row's ``facilities`` counts
    the city's usable facilities of its type, and there is no row for a type without one. The columns are
    those of :func:`~gisplanner.analysis.service_areas.service_areas`.
    """
    pieces = [r.service_areas for r in results if r.service_areas is not None and len(r.service_areas)]
    grouped: dict[tuple[str, ...], list[Any]] = {}
    for part in pieces:
        ids = part["facility_id"].astype(str) if per_facility else pd.Series("", index=part.index)
        for t, lv, fid, geom in zip(part["facility_type"], part["level"], ids, part.geometry.to_numpy()):
            grouped.setdefault((t, lv, fid), []).append(geom)
    usable = (facilities["status"] == FACILITY_NETWORK).to_numpy()
    wanted = None if facility_ids is None else {str(i) for i in facility_ids}
    rows = []
    for row in check_requirements(requirements).itertuples(index=False):
        use = usable & facilities["facility_types"].map(lambda t, k=row.facility_type: k in t).to_numpy(bool)
        if not use.any():
            continue
        r = float(row.threshold_m)
        if not per_facility:
            union = shapely.union_all(grouped.get((row.facility_type, row.level, ""), []))
            rows.append((row.facility_type, row.level, r, int(use.sum()), None, union))
            continue
        for fid in facilities["facility_id"].astype(str).to_numpy()[use]:
            if wanted is None or fid in wanted:
                union = shapely.union_all(grouped.get((row.facility_type, row.level, fid), []))
                rows.append((row.facility_type, row.level, r, 1, fid, union))
    frame = pd.DataFrame(rows, columns=["facility_type", "level", "threshold_m", "facilities", "facility_id",
                                        "geometry"])
    if not per_facility:
        frame = frame.drop(columns="facility_id")
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)
    out.insert(len(out.columns) - 1, "area_m2", shapely.area(out.geometry.to_numpy()))
    return out


def merge_site_distances(results: Sequence[LifeCircleTileResult], n_communities: int
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The candidate sites' distances of every tile as one city's (``on_net`` rows of the site table in
    order, ``dist`` metres to every community), as :func:`~gisplanner.analysis.sites.site_distances` gives."""
    rows = np.concatenate([r.site_rows for r in results]) if results else np.zeros(0, dtype=np.int64)
    dist = np.full((len(rows), n_communities), np.inf)
    start = 0
    for r in results:
        dist[np.ix_(np.arange(start, start + len(r.site_rows)), r.site_community_rows)] = r.site_dist
        start += len(r.site_rows)
    order = np.argsort(rows, kind="stable")
    return rows[order].astype(np.int64), dist[order]


# ---------------------------------------------------------------------------------------------- sunlight
@dataclass(frozen=True)
class SunlightTile:
    """One tile's buildings: the owned ones get sills, the others only cast shadows (``owned`` False)."""

    tile_id: str
    buildings: gpd.GeoDataFrame
    owned: np.ndarray


def sunlight_reach_box(bounds: Sequence[float], sun: SunPath, height_m: float) -> np.ndarray:
    """Box holding every footprint whose shadow (buildings up to ``height_m``) can reach ``bounds`` over the
    sun path: ``bounds`` stretched against the shadow offsets, plus 1 m."""
    ox0, oy0, ox1, oy1 = shadow_reach(sun)
    minx, miny, maxx, maxy = bounds
    return np.array([minx - height_m * ox1, miny - height_m * oy1, maxx - height_m * ox0,
                     maxy - height_m * oy0]) + np.array([-1, -1, 1, 1]) * _SUN_MARGIN_M


def sunlight_tiles(buildings: gpd.GeoDataFrame, sun: SunPath, *, tile_m: float) -> list[SunlightTile]:
    """Split the buildings into tiles of ``tile_m`` metres with their shadow-casting neighbours."""
    heights = pd.to_numeric(buildings["height_m"], errors="coerce").to_numpy(float)
    tallest = float(np.nanmax(heights)) if np.isfinite(heights).any() else 0.0
    boxes = tile_boxes(buildings.total_bounds, tile_m)
    n_x = int(round((boxes[:, 2].max() - boxes[:, 0].min()) / tile_m))
    owner = owner_tile(buildings.geometry.to_numpy(), boxes)
    tiles = []
    for t in np.unique(owner):
        own_bounds = shapely.total_bounds(buildings.geometry.to_numpy()[owner == t])
        rows = np.union1d(_within(buildings, sunlight_reach_box(own_bounds, sun, tallest)),
                          np.flatnonzero(owner == t))
        tiles.append(SunlightTile(f"T{t // n_x}_{t % n_x}", buildings.iloc[rows], owner[rows] == t))
    return tiles


def run_sunlight_tile(tile: SunlightTile, sun: SunPath, requirement: SunlightRequirement,
                      **options: object) -> gpd.GeoDataFrame:
    """Sill hours of the tile's owned buildings (options as for :func:`sunlight_hours`)."""
    scene = tile.buildings.copy()
    use = scene["use"] if "use" in scene else pd.Series("residential", index=scene.index)
    # Every building casts shadows; only the owned residential ones get sills.
    scene["use"] = use.where(tile.owned, "shadow_only")
    return sunlight_hours(scene, sun, requirement, **options)


def merge_sunlight(parts: Sequence[gpd.GeoDataFrame], buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The tiles' sill points in the order of a whole-city run (building order, then the engine's order)."""
    points = pd.concat(parts, ignore_index=True)
    pos = pd.Series(np.arange(len(buildings)), index=buildings["feature_id"].astype(str).to_numpy())
    order = np.argsort(pos.reindex(points["building_id"].astype(str).to_numpy()).to_numpy(), kind="stable")
    return gpd.GeoDataFrame(points.iloc[order].reset_index(drop=True), geometry="geometry", crs=buildings.crs)


# ---------------------------------------------------------------------------------------------- running
def map_tiles(task: Callable[..., Any], tiles: Sequence[Any], *args: Any, client: Any = None,
              **kwargs: Any) -> list[Any]:
    """``task(tile, *args, **kwargs)`` for every tile, in tile order: as tasks on a ``distributed.Client``
    when one is given, else one after another here."""
    if client is None:
        return [task(tile, *args, **kwargs) for tile in tiles]
    bound = functools.partial(task, **kwargs)
    return client.gather([client.submit(bound, tile, *args, pure=False) for tile in tiles])
