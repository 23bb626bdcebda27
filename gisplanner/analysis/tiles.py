"""Tiles of one large city for the life-circle routing and the sunlight engine, each tile an independent task.

A tile owns the features whose representative point falls in its box (half-open, so every feature has exactly
one tile) and carries, besides them, every feature within the *reach* of what it owns:

- life circle: walking lines, facilities and gates within ``limit + access_snap + facility_snap`` metres of
  its communities, where ``limit`` is the search limit of :func:`~gisplanner.analysis.lifecircle.life_circle_gaps`.
  A walk of at most ``limit`` never leaves that box, so each owned community gets the distances of a whole-city
  run. Which network components are islands is decided once on the whole network and handed to the tile,
  since a component cut at the tile edge would otherwise look small.
- sunlight: every building whose shadow over the standard day can reach the owned buildings (the footprint
  box stretched by the tallest building's shadow offsets, towards the sun), as obstacles without sills.

The engines are called unchanged on each tile; :func:`merge_life_circle` and :func:`merge_sunlight` put the
owned rows back in the order of a whole-city run.
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
        raise InputError(f"分块边长 {tile_m} m 不是正数", fix="给出以米计的分块边长，例如 2000")
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
    communities
        The communities the tile owns.
    walk_network, facilities, gates
        The features within reach of them (gates None when the city has none).
    line_routable
        Per walkable line of ``walk_network`` (in graph order), True when its component of the whole
        network is routable.
    owned_facilities
        Per row of ``facilities``: True where the tile owns it (reports its snap and status).
    """

    tile_id: str
    communities: gpd.GeoDataFrame
    walk_network: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    gates: gpd.GeoDataFrame | None
    line_routable: np.ndarray
    owned_facilities: np.ndarray


@dataclass(frozen=True)
class LifeCircleTileResult:
    """The owned rows of one tile: the gap results and the facility table (``facility_access`` columns)."""

    tile_id: str
    gaps: LifeCircleGaps
    facilities: pd.DataFrame


def life_circle_reach(requirements: pd.DataFrame, *, search_limit_m: float, access_snap_m: float,
                      facility_snap_m: float = FACILITY_SNAP_M) -> float:
    """Overlap, metres, a tile needs around its communities for exact life-circle distances."""
    limit = max(float(search_limit_m), float(check_requirements(requirements)["threshold_m"].max()))
    return limit + float(access_snap_m) + float(facility_snap_m)


def _line_routable(graph: WalkGraph) -> np.ndarray:
    """Per line of ``graph``: True when its component is routable (every edge of a line shares one)."""
    out = np.zeros(len(graph.line_feature), dtype=bool)
    out[graph.edge_line] = graph.edge_is_routable()
    return out


def life_circle_tiles(walk_network: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                      facilities: gpd.GeoDataFrame, *, tile_m: float, reach_m: float,
                      gates: gpd.GeoDataFrame | None = None, graph: WalkGraph | None = None,
                      walkable_highways: Collection[str] | None = None, min_component_nodes: int = 50,
                      facility_snap_m: float = FACILITY_SNAP_M) -> list[LifeCircleTile]:
    """Split a city's life-circle inputs into tiles of ``tile_m`` metres with ``reach_m`` of overlap.

    Parameters
    ----------
    walk_network, communities, facilities, gates
        Canonical layers in one metric CRS.
    tile_m
        Side of a tile, metres.
    reach_m
        Overlap around the owned communities (:func:`life_circle_reach`).
    graph
        The whole network's graph, when already built; it decides the islands.
    walkable_highways, min_component_nodes
        As for :func:`~gisplanner.analysis.network.build_walk_graph`.
    facility_snap_m
        The facility snap of :func:`~gisplanner.analysis.lifecircle.prepare_life_circle`, metres.

    Returns
    -------
    list of LifeCircleTile
        The tiles that own at least one community; each facility is owned by the tile whose communities are
        nearest (reports its snap and status).
    """
    if graph is None:
        graph = build_walk_graph(walk_network, walkable_highways=walkable_highways,
                                 min_component_nodes=min_component_nodes)
    routable = _line_routable(graph)
    boxes = tile_boxes(communities.total_bounds, tile_m)
    n_x = int(round((boxes[:, 2].max() - boxes[:, 0].min()) / tile_m))
    owner = owner_tile(communities.geometry.to_numpy(), boxes)
    used = np.unique(owner)
    own_bounds = np.array([communities.iloc[np.flatnonzero(owner == t)].total_bounds for t in used])
    fac_owner = _nearest_tile(facilities.geometry.to_numpy(), own_bounds) if len(facilities) else np.zeros(0, int)
    tiles = []
    for k, t in enumerate(used):
        reach_box = _grow(own_bounds[k], reach_m)
        owned = np.flatnonzero(fac_owner == k)
        # A facility the tile owns beyond its reach (in a tile without communities) still needs the lines
        # it snaps to, so its status is the whole run's.
        far = owned[~shapely.intersects(facilities.geometry.to_numpy()[owned], shapely.box(*reach_box))]
        lines = np.union1d(_within(walk_network, reach_box),
                           _within_any(walk_network, shapely.buffer(facilities.geometry.to_numpy()[far],
                                                                    facility_snap_m)))
        fac = np.union1d(_within(facilities, reach_box), owned)
        gate_rows = _within(gates, reach_box)
        tiles.append(LifeCircleTile(
            tile_id=f"T{t // n_x}_{t % n_x}", communities=communities.iloc[np.flatnonzero(owner == t)],
            walk_network=walk_network.iloc[lines], facilities=facilities.iloc[fac],
            gates=gates.iloc[gate_rows] if gates is not None else None,
            line_routable=routable[np.isin(graph.line_feature, lines)], owned_facilities=fac_owner[fac] == k))
    return tiles


def _nearest_tile(geometry: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Per geometry, the tile whose owned communities' box is nearest to its representative point (0 inside)."""
    xy = shapely.get_coordinates(shapely.point_on_surface(geometry))
    dx = np.maximum(np.maximum(bounds[None, :, 0] - xy[:, None, 0], xy[:, None, 0] - bounds[None, :, 2]), 0)
    dy = np.maximum(np.maximum(bounds[None, :, 1] - xy[:, None, 1], xy[:, None, 1] - bounds[None, :, 3]), 0)
    return np.argmin(np.hypot(dx, dy), axis=1)


def _within_any(frame: gpd.GeoDataFrame, areas: np.ndarray) -> np.ndarray:
    """Row positions of the features meeting any of ``areas``."""
    if len(areas) == 0 or len(frame) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(frame.sindex.query(areas, predicate="intersects")[1])


def run_life_circle_tile(tile: LifeCircleTile, category_map: Mapping[str, Sequence[str]],
                         requirements: pd.DataFrame, *, access_snap_m: float, search_limit_m: float,
                         tag_rules: Sequence[TagRule] = (), districts: pd.Series | None = None,
                         walkable_highways: Collection[str] | None = None,
                         min_component_nodes: int = 50) -> LifeCircleTileResult:
    """The life-circle gaps of one tile's communities (a self-contained task: picklable in and out);
    ``category_map`` and ``tag_rules`` as for :func:`~gisplanner.analysis.lifecircle.prepare_life_circle`."""
    graph = build_walk_graph(tile.walk_network, walkable_highways=walkable_highways,
                             min_component_nodes=min_component_nodes)
    if len(tile.line_routable) != len(graph.line_feature):
        raise InputError("分块的步行路网与整体路网不一致",
                         layer="walk_network", fix="用同一个路网图层生成分块（`life_circle_tiles`）")
    routable = np.zeros(graph.n_components, dtype=bool)
    routable[graph.node_component[graph.edge_u]] = tile.line_routable[graph.edge_line]
    graph = dataclasses.replace(graph, routable=routable)
    network = prepare_life_circle(graph, tile.communities, tile.facilities, category_map, tag_rules=tag_rules,
                                  gates=tile.gates, access_snap_m=access_snap_m)
    gaps = life_circle_gaps(network, tile.communities, requirements, search_limit_m=search_limit_m,
                            districts=districts)
    table = network.facilities.drop(columns="node")
    return LifeCircleTileResult(tile.tile_id, gaps, table[tile.owned_facilities].reset_index(drop=True))


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
