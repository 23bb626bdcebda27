"""Estimates of missing floors, heights, households and population, each flagged as estimated.

The rules, with the parameters of :class:`EstimationSettings` (the project's standards settings):

- building floors: ``round(height_m / floor_height_m)`` (at least 1) where a height is known, else
  ``default_floors``;
- building height: ``floors × floor_height_m``;
- community households, in order of preference: ``population / persons_per_household`` where the population
  is known; else the residential floor area of the buildings whose representative point lies in the community
  (``footprint × floors``, buildings whose ``use`` is ``residential``) divided by ``area_per_household_m2``;
  else, for a community without mapped buildings, ``community area × default_far / area_per_household_m2``
  (``default_far`` plays the part of a typical floor-area ratio of old walk-up estates);
- community population: ``households × persons_per_household``.

Every value filled in sets the matching ``*_estimated`` column and is reported once per layer and field as a
``value_estimated`` finding with the count. Geometries must be in a metric CRS (areas in m²).
"""

from __future__ import annotations

from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.io.findings import Finding
from gisplanner.labels import field_label


class EstimationSettings(Protocol):
    """What the estimates read: ``gisplanner.standards.EstimationParams`` (``Standards.settings.estimation``).

    Defaults there: 6 floors, 3.0 m per storey, 80 m² per household, 2.6 persons per household, FAR 1.2.
    """

    default_floors: float
    floor_height_m: float
    area_per_household_m2: float
    persons_per_household: float
    default_far: float


def _report(findings: list[Finding], layer: str, field: str, count: int, how: str) -> None:
    if count:
        findings.append(Finding("value_estimated", layer, None,
                                f"{count} 个要素的{field_label(field)}为估算值（{how}）。"))


def estimate_buildings(buildings: gpd.GeoDataFrame, params: EstimationSettings, *,
                       layer: str = "buildings") -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """Fill missing ``floors`` and ``height_m`` of buildings.

    Parameters
    ----------
    buildings
        Footprints with float columns ``floors`` and ``height_m`` (NaN where unknown).
    params
        Estimation parameters.
    layer
        Named in the findings.

    Returns
    -------
    (GeoDataFrame, list of Finding)
        A copy with ``floors``, ``floors_estimated``, ``height_m``, ``height_estimated`` filled.
    """
    out = buildings.copy()
    floors = out["floors"].astype(float)
    height = out["height_m"].astype(float)
    missing_floors = floors.isna() | (floors <= 0)
    from_height = missing_floors & height.notna() & (height > 0)
    floors = floors.mask(from_height, np.maximum(1.0, np.round(height / params.floor_height_m)))
    floors = floors.mask(missing_floors & ~from_height, float(params.default_floors))
    missing_height = height.isna() | (height <= 0)
    height = height.mask(missing_height, floors * params.floor_height_m)
    out["floors"], out["height_m"] = floors, height
    out["floors_estimated"] = missing_floors.to_numpy()
    out["height_estimated"] = missing_height.to_numpy()
    findings: list[Finding] = []
    _report(findings, layer, "floors", int(from_height.sum()), f"高度 ÷ 层高 {params.floor_height_m} m")
    _report(findings, layer, "floors", int((missing_floors & ~from_height).sum()),
            f"默认 {params.default_floors:g} 层")
    _report(findings, layer, "height_m", int(missing_height.sum()), f"层数 × 层高 {params.floor_height_m} m")
    return out, findings


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].fillna(False).astype(bool).to_numpy()


def assign_buildings(buildings: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> pd.Series:
    """``feature_id`` of the community holding each building's representative point (NA outside all).

    Where communities overlap, the smallest one wins (a nested estate inside a larger residential area).
    """
    points = shapely.point_on_surface(buildings.geometry.values)
    tree = shapely.STRtree(communities.geometry.values)
    b, c = tree.query(points, predicate="within")
    area = shapely.area(communities.geometry.values)[c]
    order = np.lexsort((area, b))
    b, c = b[order], c[order]
    first = np.unique(b, return_index=True)[1]
    ids = pd.Series(pd.NA, index=buildings.index, dtype="string")
    ids.iloc[b[first]] = communities["feature_id"].to_numpy()[c[first]]
    return ids


def estimate_communities(communities: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None,
                         params: EstimationSettings, *,
                         layer: str = "communities") -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """Fill ``n_buildings``, ``floor_area_m2`` and missing ``households``/``population`` of communities.

    Parameters
    ----------
    communities
        Polygons with ``feature_id`` and float ``households``/``population`` (NaN where unknown).
    buildings
        Buildings with ``community_id`` (see :func:`assign_buildings`), ``floors`` filled and ``use``; or None.
    params
        Estimation parameters.
    layer
        Named in the findings.

    Returns
    -------
    (GeoDataFrame, list of Finding)
        A copy with the counts, floor areas, ``households``/``population`` and their ``*_estimated`` flags.
    """
    out = communities.copy()
    ids = out["feature_id"]
    if buildings is not None and len(buildings):
        footprint_floor = shapely.area(buildings.geometry.values) * buildings["floors"].to_numpy(float)
        frame = pd.DataFrame({"cid": buildings["community_id"].to_numpy(), "fa": footprint_floor,
                              "res": np.where(buildings["use"].to_numpy() == "residential", footprint_floor, 0.0)})
        grouped = frame.dropna(subset=["cid"]).groupby("cid")
        n_buildings = ids.map(grouped.size()).fillna(0).astype(int)
        floor_area = ids.map(grouped["fa"].sum()).fillna(0.0)
        residential = ids.map(grouped["res"].sum()).fillna(0.0)
    else:
        n_buildings = pd.Series(0, index=out.index)
        floor_area = residential = pd.Series(0.0, index=out.index)
    # A ledger's own 楼栋数 and 住宅建筑面积 win over the counts of mapped buildings.
    for column, counted in (("n_buildings", n_buildings), ("floor_area_m2", floor_area)):
        stated = pd.to_numeric(out[column], errors="coerce") if column in out else pd.Series(np.nan, index=out.index)
        out[column] = stated.fillna(counted.astype(float)).to_numpy()
    out["n_buildings"] = out["n_buildings"].round().astype(int)

    households = out["households"].astype(float)
    population = out["population"].astype(float)
    missing_h = households.isna()
    from_pop = missing_h & population.notna()
    from_buildings = missing_h & ~from_pop & (residential > 0)
    from_area = missing_h & ~from_pop & ~from_buildings
    area = pd.Series(shapely.area(out.geometry.values), index=out.index)
    households = households.mask(from_pop, population / params.persons_per_household)
    households = households.mask(from_buildings, residential / params.area_per_household_m2)
    households = households.mask(from_area, area * params.default_far / params.area_per_household_m2)
    missing_p = population.isna()
    population = population.mask(missing_p, households * params.persons_per_household)
    out["households"], out["population"] = households, population
    # A value the source gives only approximately (约300户) stays flagged as estimated.
    out["households_estimated"] = missing_h.to_numpy() | _flag(out, "households_estimated")
    out["population_estimated"] = missing_p.to_numpy() | _flag(out, "population_estimated")

    findings: list[Finding] = []
    _report(findings, layer, "households", int(from_pop.sum()),
            f"人口 ÷ 每户 {params.persons_per_household} 人")
    _report(findings, layer, "households", int(from_buildings.sum()),
            f"住宅基底面积 × 层数 ÷ 每户 {params.area_per_household_m2} m²")
    _report(findings, layer, "households", int(from_area.sum()),
            f"无对应建筑：用地面积 × 容积率 {params.default_far} ÷ 每户 {params.area_per_household_m2} m²")
    _report(findings, layer, "population", int(missing_p.sum()),
            f"户数 × 每户 {params.persons_per_household} 人")
    return out, findings
