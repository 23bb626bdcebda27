"""A facility on a parcel is a building on the parcel: its footprint, placed where it shades neighbours least.

A proposed facility of ``gfa_m2`` over ``floors`` storeys needs a footprint of ``gfa_m2 / floors`` m²; on an idle
parcel it stands somewhere inside, not over the whole parcel. The footprint is a rectangle along the parcel's
long axis (aspect 2:1, else 1.5:1, 1:1 or 3:1, the first that fits), tried at every position of a grid inside the
parcel. The position whose shadow over the standard day (:func:`~gisplanner.analysis.sunlight.shadow_sweep`)
covers the least footprint area of neighbouring dwellings is kept, ties broken by the larger distance from them;
without dwellings within the shadow's reach (or without a sun path) the south-most position, whose shadow falls
on its own parcel. The
shadow of a rectangle only moves with it, so it is swept once and translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import shapely.affinity

from gisplanner.analysis.sun import SunPath
from gisplanner.analysis.sunlight import shadow_reach, shadow_sweep
from gisplanner.errors import InputError

#: Long side : short side of the footprint, tried in this order; the first that fits decides the shape.
ASPECTS = (2.0, 1.5, 1.0, 3.0)
#: Most candidate positions tried; a larger parcel gets a coarser grid than ``step_m``.
MAX_POSITIONS = 2500
#: Why the position was chosen.
LEAST_SHADOW, SOUTH_MOST = "least_shadow", "south_most"
_COMPASS = ("东", "东北", "北", "西北", "西", "西南", "南", "东南")


@dataclass(frozen=True)
class ParcelFootprint:
    """The footprint placed on a parcel and what it was chosen by.

    Attributes
    ----------
    footprint
        The building's footprint (metric CRS of the parcel).
    area_m2, width_m, depth_m, angle_deg
        Its area (m²), long and short sides (m) and the angle of its long side (degrees anticlockwise from east).
    shaded_m2
        Footprint area of neighbouring dwellings inside its shadow over the standard day (m²); 0 when
        ``chosen_by`` is :data:`SOUTH_MOST`.
    positions
        How many positions fitted inside the parcel.
    chosen_by
        :data:`LEAST_SHADOW` or :data:`SOUTH_MOST`.
    side
        Where in the parcel it stands, in words (东南部, 中部 …).
    """

    footprint: shapely.Polygon
    area_m2: float
    width_m: float
    depth_m: float
    angle_deg: float
    shaded_m2: float
    positions: int
    chosen_by: str
    side: str


def building_in_parcel(parcel: shapely.Geometry, footprint_m2: float, height_m: float, sun: SunPath | None, *,
                       dwellings: gpd.GeoDataFrame | None = None, step_m: float = 5.0, every_min: float = 10.0,
                       layer: str | None = None, feature: object | None = None) -> ParcelFootprint:
    """Place a building footprint of ``footprint_m2`` inside ``parcel`` where it shades dwellings least.

    Parameters
    ----------
    parcel
        The parcel (Polygon, metric CRS).
    footprint_m2
        Footprint area, m² (``gfa_m2 / floors``).
    height_m
        Building height, m (for its shadow).
    sun
        The standard day's sun path of the city (:func:`~gisplanner.analysis.sunlight.sun_for`); None: the
        south-most position.
    dwellings
        Neighbouring residential buildings (footprints) whose sunlight counts; None or empty: the footprint
        goes to the parcel's south-most fitting position.
    step_m
        Spacing of the candidate positions, m (coarser on parcels that would give more than
        :data:`MAX_POSITIONS`).
    every_min
        Sampling of the shadow sweep, minutes.
    layer, feature
        The parcel's layer and id, named in the errors.

    Raises
    ------
    InputError
        The footprint is larger than the parcel, or no position fits it.
    """
    name = f"地块“{feature}”" if feature is not None else "地块"
    if not footprint_m2 > 0:
        raise InputError("建筑占地面积须大于0", layer=layer, feature=feature,
                         fix="用 --gfa 和 --floors 给出建筑面积和层数")
    if footprint_m2 > parcel.area:
        raise InputError(f"建筑占地{footprint_m2:,.0f}平方米大于{name}的面积{parcel.area:,.0f}平方米",
                         layer=layer, feature=feature,
                         fix="减少建筑面积（--gfa）或增加层数（--floors），或另选更大的地块")
    angle = _long_axis_deg(parcel)
    homes = np.asarray(dwellings.geometry.values) if dwellings is not None and len(dwellings) else np.empty(0)
    if sun is not None and len(homes):
        # Only dwellings the building's shadow can reach from somewhere on the parcel count, for the shadow and
        # for the distance that breaks ties.
        dx0, dy0, dx1, dy1 = np.asarray(shadow_reach(sun)) * height_m
        minx, miny, maxx, maxy = parcel.bounds
        homes = homes[shapely.intersects(homes, shapely.box(minx + dx0, miny + dy0, maxx + dx1, maxy + dy1))]
    by_shadow = sun is not None and len(homes) > 0
    inner = parcel.buffer(1e-6)
    shapely.prepare(inner)
    centres = _grid(parcel, step_m)
    for aspect in ASPECTS:
        width, depth = np.sqrt(footprint_m2 * aspect), np.sqrt(footprint_m2 / aspect)
        shape = shapely.affinity.rotate(shapely.box(-width / 2, -depth / 2, width / 2, depth / 2), angle,
                                        origin=(0, 0))
        placed = _translated(shape, centres)
        fits = shapely.contains(inner, placed)
        if fits.any():
            break
    else:
        raise InputError(f"{name}（{parcel.area:,.0f}平方米）的形状放不下占地{footprint_m2:,.0f}平方米的矩形建筑"
                         "（试过长宽比2:1、1.5:1、1:1、3:1）", layer=layer, feature=feature,
                         fix="增加层数（--floors）以减少占地，或用 --footprint 给出设计的建筑轮廓")
    xy, candidates = centres[fits], placed[fits]
    if by_shadow:
        shaded = _shaded_area(shadow_sweep(shape, height_m, sun, every_min=every_min), xy, homes)
        distance = shapely.STRtree(homes).query_nearest(candidates, return_distance=True, all_matches=False)[1]
        best = int(np.lexsort((-distance, shaded))[0])
        chosen_by, shade = LEAST_SHADOW, float(shaded[best])
    else:
        best = int(np.lexsort((xy[:, 0], xy[:, 1]))[0])
        chosen_by, shade = SOUTH_MOST, 0.0
    footprint = candidates[best]
    return ParcelFootprint(footprint, float(footprint.area), float(width), float(depth), angle, shade,
                           int(fits.sum()), chosen_by, _side(parcel, footprint))


def footprint_record(placed: ParcelFootprint, *, site: str, parcel_area_m2: float, gfa_m2: float, floors: float,
                     height_m: float, gfa_from_catalogue: bool) -> dict[str, Any]:
    """The footprint used, as the report states it: numbers and one Chinese sentence (``text``); ``site`` is the
    parcel as the reader knows it (e.g. 空闲地 I001)."""
    centre = placed.footprint.centroid
    gfa_text = (f"按设施目录建筑面积下限{gfa_m2:,.0f}平方米" if gfa_from_catalogue else f"建筑面积{gfa_m2:,.0f}平方米")
    why = (f"在{placed.positions}个可放下的位置中取对周边住宅日照遮挡最少处（标准日阴影覆盖住宅占地"
           f"{placed.shaded_m2:,.0f}平方米）" if placed.chosen_by == LEAST_SHADOW else
           f"周边没有住宅日照需要核算，在{placed.positions}个可放下的位置中取最南处，阴影落在本地块内")
    text = (f"{site}（{parcel_area_m2:,.0f}平方米）内布置建筑：{gfa_text}÷{floors:g}层＝占地{placed.area_m2:,.0f}平方米"
            f"（{placed.width_m:.1f}×{placed.depth_m:.1f}米），高{height_m:.1f}米，位于地块{placed.side}；{why}")
    return {"kind": "building_on_parcel", "site": site, "parcel_area_m2": float(parcel_area_m2),
            "gfa_m2": float(gfa_m2), "gfa_from_catalogue": bool(gfa_from_catalogue), "floors": float(floors),
            "height_m": float(height_m), "area_m2": placed.area_m2, "width_m": placed.width_m,
            "depth_m": placed.depth_m, "angle_deg": placed.angle_deg, "centre_x": float(centre.x),
            "centre_y": float(centre.y), "side": placed.side, "positions": placed.positions,
            "chosen_by": placed.chosen_by, "shaded_m2": placed.shaded_m2, "text": text}


def _long_axis_deg(parcel: shapely.Geometry) -> float:
    """Angle of the long side of the parcel's minimum rotated rectangle, degrees anticlockwise from east."""
    xy = shapely.get_coordinates(shapely.minimum_rotated_rectangle(parcel))[:4]
    sides = np.diff(np.vstack([xy, xy[:1]]), axis=0)
    long_side = sides[np.argmax(np.hypot(sides[:, 0], sides[:, 1]))]
    return float(np.degrees(np.arctan2(long_side[1], long_side[0])))


def _grid(parcel: shapely.Geometry, step_m: float) -> np.ndarray:
    minx, miny, maxx, maxy = parcel.bounds
    step = max(step_m, float(np.sqrt((maxx - minx) * (maxy - miny) / MAX_POSITIONS)))
    gx, gy = np.meshgrid(np.arange(minx, maxx + step, step), np.arange(miny, maxy + step, step))
    return np.column_stack([gx.ravel(), gy.ravel()])


def _translated(shape: shapely.Geometry, offsets: np.ndarray) -> np.ndarray:
    """``shape`` moved by each row of ``offsets`` (n × 2), as an array of geometries."""
    return shapely.transform(np.full(len(offsets), shape, dtype=object),
                             lambda xy: xy + np.repeat(offsets, len(shapely.get_coordinates(shape)), axis=0))


def _shaded_area(shadow: shapely.Geometry, offsets: np.ndarray, homes: np.ndarray) -> np.ndarray:
    """Dwelling footprint area (m²) under ``shadow`` moved by each offset."""
    shadows = _translated(shadow, offsets)
    which, home = shapely.STRtree(homes).query(shadows, predicate="intersects")
    area = shapely.area(shapely.intersection(shadows[which], homes[home]))
    return np.bincount(which, weights=area, minlength=len(offsets))


def _side(parcel: shapely.Geometry, footprint: shapely.Geometry) -> str:
    """Where in the parcel the footprint stands: 中部, or the compass side of the parcel's centre."""
    (px, py), (fx, fy) = shapely.get_coordinates([parcel.centroid, footprint.centroid])
    minx, miny, maxx, maxy = parcel.bounds
    if np.hypot(fx - px, fy - py) < 0.15 * min(maxx - minx, maxy - miny):
        return "中部"
    return _COMPASS[int(np.round(np.degrees(np.arctan2(fy - py, fx - px)) / 45.0)) % 8] + "部"
