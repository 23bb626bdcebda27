"""Green-space measures of GB 50180 §4: public green per level, park size and width, block green, 绿地率."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gisplanner.errors import InputError

PASS = "pass"
BELOW_TABLE = "below_table"
FAIL = "fail"

# Circle approximation of the opening buffers; 32 segments per quarter keep the area error under 0.1%.
_QUAD_SEGS = 32


def inscribed_width(geometry: gpd.GeoSeries | Sequence[BaseGeometry] | np.ndarray, *,
                    tolerance_m: float = 0.01) -> np.ndarray:
    """Width of each polygon: the diameter of its largest inscribed circle.

    Parameters
    ----------
    geometry
        Polygons or MultiPolygons in a metric CRS. For a MultiPolygon the widest part counts.
    tolerance_m
        Precision of the circle search, metres.

    Returns
    -------
    numpy.ndarray
        Width in metres; 0 for empty geometries.

    Examples
    --------
    >>> from shapely import box
    >>> inscribed_width([box(0, 0, 6, 200)]).round(2).tolist()
    [6.0]
    """
    geoms = np.asarray(gpd.GeoSeries(geometry).values, dtype=object)
    widths = np.zeros(len(geoms))
    present = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
    if present.any():
        radii = shapely.maximum_inscribed_circle(geoms[present], tolerance_m)
        widths[present] = 2.0 * shapely.length(radii)
    return widths


def wide_part(geometry: BaseGeometry, min_width_m: float) -> BaseGeometry:
    """The part of a polygon that is at least ``min_width_m`` wide (a morphological opening).

    A disc of diameter ``min_width_m`` rolled inside the polygon sweeps this part; strips narrower than the
    disc vanish. GB 50180 4.0.7 counts only such parts as concentrated green.

    Parameters
    ----------
    geometry
        Polygon or MultiPolygon, metric CRS.
    min_width_m
        Minimum width, metres.
    """
    radius = min_width_m / 2.0
    opened = shapely.buffer(shapely.buffer(geometry, -radius, quad_segs=_QUAD_SEGS), radius,
                            quad_segs=_QUAD_SEGS)
    # The outward buffer rounds back within the original, up to the circle approximation.
    return shapely.intersection(opened, geometry)


def public_parks(green: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Public parks: the public green polygons merged where they touch or overlap.

    OSM and survey layers often map one park as several pieces (lawn, playground, the park outline);
    merging them avoids counting overlaps twice and measures the park as residents use it.

    Parameters
    ----------
    green
        The ``green_space`` layer (``feature_id``, ``is_public``, ``name``), metric CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per park: ``park_id`` (``park-<n>``), ``name`` (of its largest named piece, or ""),
        ``source_ids`` (comma-separated ``feature_id`` of its pieces), ``area_m2``, ``width_m``.
    """
    _require_columns(green, ("feature_id", "is_public", "name"), "green_space")
    public = green[green["is_public"].astype(bool)]
    merged = shapely.get_parts(shapely.union_all(public.geometry.values))
    merged = merged[shapely.area(merged) > 0]
    parks = gpd.GeoDataFrame({"park_id": [f"park-{i}" for i in range(len(merged))]},
                             geometry=merged, crs=green.crs)
    pieces = public[["feature_id", "name", "geometry"]].assign(piece_area=public.area)
    hits = gpd.sjoin(parks, pieces, predicate="intersects").sort_values("piece_area", ascending=False)
    named = hits[hits["name"].fillna("").astype(str) != ""]
    parks["name"] = named.groupby(level=0)["name"].first().reindex(parks.index).fillna("")
    parks["source_ids"] = (hits.sort_values("feature_id").groupby(level=0)["feature_id"]
                           .agg(lambda ids: ",".join(map(str, ids))).reindex(parks.index).fillna(""))
    parks["area_m2"] = parks.area
    parks["width_m"] = inscribed_width(parks.geometry)
    return parks


def cut_parks(parks: gpd.GeoDataFrame, footprint: BaseGeometry) -> gpd.GeoDataFrame:
    """The parks after a building takes ``footprint``, without merging the whole green layer again.

    Taking the footprint out of the merged parks equals merging the cut pieces, so only the parks it touches
    are cut; a park cut in two becomes two rows (``park_id`` suffixed ``/1``, ``/2``, ...).

    Parameters
    ----------
    parks
        Output of :func:`public_parks`.
    footprint
        The building's footprint, same CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        Same columns as ``parks``, with ``area_m2`` and ``width_m`` measured again on the cut parks.
    """
    touched = shapely.area(shapely.intersection(parks.geometry.values, footprint)) > 0
    if not touched.any():
        return parks.copy()
    cut = parks[touched].copy()
    cut["geometry"] = shapely.difference(cut.geometry.values, footprint)
    pieces = cut.explode(index_parts=True)
    pieces = pieces[shapely.area(pieces.geometry.values) > 1e-4]
    split = pieces.index.get_level_values(0).duplicated(keep=False)
    part_no = pieces.groupby(level=0).cumcount().to_numpy() + 1
    pieces["park_id"] = np.where(split, pieces["park_id"] + "/" + part_no.astype(str), pieces["park_id"])
    pieces = pieces.droplevel(1)
    pieces["area_m2"] = pieces.area
    pieces["width_m"] = inscribed_width(pieces.geometry)
    return pd.concat([parks[~touched], pieces]).sort_index(kind="stable")


def park_levels(area_m2: np.ndarray | pd.Series, width_m: np.ndarray | pd.Series, *,
                min_area_m2: Mapping[str, float], min_width_m: Mapping[str, float]) -> np.ndarray:
    """The life-circle level each park serves: the largest level whose minimum size and width it meets.

    Parameters
    ----------
    area_m2, width_m
        Park area (m²) and inscribed-circle width (m).
    min_area_m2, min_width_m
        Per level key (``lc15``, ``lc10``, ``lc5``): the minimum park size (m²) and width (m) of Table 4.0.4.

    Returns
    -------
    numpy.ndarray
        Level key per park, or None where the park is too small or narrow for every level.

    Examples
    --------
    >>> park_levels([12000, 12000, 100], [60, 40, 10], min_area_m2={"lc10": 10000, "lc5": 4000},
    ...             min_width_m={"lc10": 50, "lc5": 30}).tolist()
    ['lc10', 'lc5', None]
    """
    area = np.asarray(area_m2, dtype=float)
    width = np.asarray(width_m, dtype=float)
    levels = np.full(len(area), None, dtype=object)
    # Smallest level first, so each larger level it also meets overwrites it.
    for key in sorted(min_area_m2, key=lambda k: (min_area_m2[k], min_width_m[k])):
        levels[(area >= min_area_m2[key]) & (width >= min_width_m[key])] = key
    return levels


def population_within(communities: gpd.GeoDataFrame, area: BaseGeometry) -> float:
    """Residents inside ``area``, sharing each community's population by the part of its area inside.

    Parameters
    ----------
    communities
        The ``communities`` layer (``population``), metric CRS.
    area
        Polygon, same CRS.

    Returns
    -------
    float
        Persons.
    """
    _require_columns(communities, ("population",), "communities")
    geoms = communities.geometry.values
    whole = shapely.area(geoms)
    inside = shapely.area(shapely.intersection(geoms, area))
    share = np.divide(inside, whole, out=np.zeros_like(whole), where=whole > 0)
    return float(np.nansum(communities["population"].to_numpy(dtype=float) * share))


def per_capita_public_green(parks: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                            catchments: Mapping[str, BaseGeometry]) -> pd.DataFrame:
    """Public green per person of each level, on that level's own parks (不含下级).

    Parameters
    ----------
    parks
        Output of :func:`public_parks` with a ``level`` column (from :func:`park_levels`).
    communities
        The ``communities`` layer (``population``).
    catchments
        Per level key, the area whose residents the level's parks serve (e.g. the walking reach of a site).

    Returns
    -------
    pandas.DataFrame
        Indexed by level key: ``green_m2`` (that level's park area inside the catchment, m²),
        ``population`` (persons), ``m2_per_person`` (NaN where nobody lives in the catchment).
    """
    rows = {}
    for level, area in catchments.items():
        own = parks.geometry.values[(parks["level"] == level).to_numpy()]
        green_m2 = float(shapely.area(shapely.intersection(own, area)).sum())
        population = population_within(communities, area)
        rows[level] = {"green_m2": green_m2, "population": population,
                       "m2_per_person": green_m2 / population if population > 0 else np.nan}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["green_m2", "population", "m2_per_person"])


def green_verdict(value: float, required: float, *, old_area: bool, old_area_floor_ratio: float) -> str:
    """Compare a per-capita green figure with its table value (GB 50180 4.0.4 / 4.0.5).

    Parameters
    ----------
    value
        Achieved figure, m²/person.
    required
        Table value, m²/person.
    old_area
        Whether the site is an old-area renovation (旧区改建), where 4.0.5 allows a reduced floor.
    old_area_floor_ratio
        Share of the table value that old areas must still reach (0.70 in 4.0.5).

    Returns
    -------
    str
        ``pass`` at or above the table value; ``below_table`` below it but at or above the old-area floor;
        ``fail`` below the floor (or below the table value in a new area).

    Examples
    --------
    >>> green_verdict(0.8, 1.0, old_area=True, old_area_floor_ratio=0.7)
    'below_table'
    """
    if value >= required:
        return PASS
    if old_area and value >= required * old_area_floor_ratio:
        return BELOW_TABLE
    return FAIL


def remove_footprint(green: gpd.GeoDataFrame, footprint: BaseGeometry) -> gpd.GeoDataFrame:
    """The green layer after a building takes ``footprint``: pieces cut, fully covered pieces dropped."""
    after = green.copy()
    after["geometry"] = shapely.difference(green.geometry.values, footprint)
    # Slivers below 1 cm² are noise from the cut, not green.
    return after[shapely.area(after.geometry.values) > 1e-4]


def block_concentrated_green(green: gpd.GeoDataFrame, block: BaseGeometry, *,
                             min_width_m: float) -> BaseGeometry:
    """Concentrated green of a residential block (居住街坊集中绿地): its green at least ``min_width_m`` wide.

    Parameters
    ----------
    green
        The ``green_space`` layer (public or not: a block's own green counts), metric CRS.
    block
        The block (街坊) polygon.
    min_width_m
        Minimum width of concentrated green (8 m in GB 50180 4.0.7).

    Returns
    -------
    shapely geometry
        Polygon or MultiPolygon (possibly empty).
    """
    inside = shapely.intersection(shapely.union_all(green.geometry.values), block)
    return wide_part(inside, min_width_m)


def green_ratio(green: gpd.GeoDataFrame, block: BaseGeometry) -> float:
    """绿地率: green area inside the block over the block's area (0–1)."""
    block_area = shapely.area(block)
    if block_area <= 0:
        raise InputError("街坊面积为零", fix="检查小区多边形")
    return float(shapely.area(shapely.intersection(shapely.union_all(green.geometry.values), block))
                 / block_area)


def average_floors(buildings: gpd.GeoDataFrame) -> float:
    """住宅建筑平均层数: total floor area over total footprint of the residential buildings.

    Parameters
    ----------
    buildings
        The ``buildings`` layer (``floors``, ``use``), metric CRS.

    Returns
    -------
    float
        Storeys; NaN when there is no residential building.
    """
    _require_columns(buildings, ("floors", "use"), "buildings")
    homes = buildings[buildings["use"] == "residential"]
    footprint = homes.area.to_numpy()
    if footprint.sum() <= 0:
        return float("nan")
    return float((footprint * homes["floors"].to_numpy(dtype=float)).sum() / footprint.sum())


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], layer: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"缺少字段：{'、'.join(missing)}", layer=layer,
                         fix="重新导入该图层，以填入标准字段")
