"""Sunlight hours (日照时数) at window sills, the before/after impact of a new building, and area sunlight.

Buildings are extruded footprints standing on flat ground. A sill sample is lit at a time step when the sun
is above the horizon, in front of its facade, and the ray towards the sun crosses no footprint edge below
that edge's roof. Because rays rise, a ray can only enter a prism through a wall facing it, so only the
obstacle edges that face the sample are tested. Each (sample, edge) pair is settled for whole runs of time
steps at once from the edge's angular span and its nearest and farthest distance; only the steps between
those bounds get an exact ray–segment test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity

from gisplanner.analysis.sun import SunPath, standard_day, sun_path
from gisplanner.errors import ConfigError, InputError
from gisplanner.progress import Progress, ensure_progress
from gisplanner.standards import SunlightRequirement, SunlightRules

#: Samples sit this far outside their wall (m), so they are not on their own edge.
_OUTSET_M = 0.01
#: Window-end samples sit this far in from the window's ends along the wall (m).
_INSET_M = 0.01
#: Samples per chunk: bounds the (samples × steps) arrays to some tens of MB.
_CHUNK = 4000

#: Status of a sill in a before/after run, from no change to exempt (an elevator addition that takes sun).
STATUSES = ("unaffected", "reduced", "newly_failing", "exempt")


@dataclass(frozen=True)
class _Edges:
    """Footprint edges with the building mass on their left; (nx, ny) is the outward unit normal."""

    ax: np.ndarray
    ay: np.ndarray
    bx: np.ndarray
    by: np.ndarray
    nx: np.ndarray
    ny: np.ndarray
    height: np.ndarray
    building: np.ndarray


@dataclass(frozen=True)
class _Samples:
    """Sample points grouped in sill units (one point, or the samples across one window's width)."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    edge: np.ndarray  # index of the own edge, -1 for ground points
    f0: np.ndarray  # first and past-last step with the sun in front of the facade
    f1: np.ndarray
    unit: np.ndarray  # unit of each sample, non-decreasing


@dataclass(frozen=True)
class _Sun:
    """The sun path in the engine's terms."""

    rel_az: np.ndarray  # azimuth minus 180°, increasing, degrees
    sx: np.ndarray  # horizontal unit vector towards the sun (east, north)
    sy: np.ndarray
    tan_alt: np.ndarray
    up: np.ndarray  # altitude > 0
    peak: int  # index of the highest sun
    step_min: float

    @classmethod
    def of(cls, sun: SunPath) -> _Sun:
        rel = np.asarray(sun.azimuth_deg, dtype=float) - 180.0
        if len(rel) > 1 and not (np.all(np.diff(rel) > 0) and rel[-1] - rel[0] < 180.0):
            raise ConfigError("时间带内太阳方位角须逐步增大（北回归线以北的冬季日期）；"
                              "请选日照标准日或寒冷季节的日期",
                              key="date", value=str(sun.date))
        az = np.radians(sun.azimuth_deg)
        alt = np.radians(sun.altitude_deg)
        return cls(rel_az=rel, sx=np.sin(az), sy=np.cos(az), tan_alt=np.tan(alt), up=alt > 0,
                   peak=int(np.argmax(alt)), step_min=sun.step_min)

    def __len__(self) -> int:
        return len(self.rel_az)

    def below(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Steps with tan(altitude) < c: ``[0, lo) ∪ [hi, n)`` for each c (the sun rises, then sets)."""
        n, k = len(self), self.peak
        lo = np.searchsorted(self.tan_alt[: k + 1], c, side="left")
        hi = n - np.searchsorted(self.tan_alt[k:][::-1], c, side="left")
        everywhere = lo > k
        return np.where(everywhere, n, lo), np.where(everywhere, n, hi)

    def shadow_box(self) -> tuple[float, float, float, float]:
        """Bounds of the shadow offsets −s/tan(alt) per metre of height over the lit steps (and 0)."""
        up = self.up
        ox = np.append(-self.sx[up] / self.tan_alt[up], 0.0)
        oy = np.append(-self.sy[up] / self.tan_alt[up], 0.0)
        return ox.min(), oy.min(), ox.max(), oy.max()


def requirement_for(rules: SunlightRules, city: str, *, special: str | None = None,
                    day: str | None = None) -> SunlightRequirement:
    """The sunlight requirement of dwellings in ``city`` (GB50180 Table 4.0.9) or of a ``special`` rule.

    Parameters
    ----------
    rules
        ``Standards.sunlight`` (the project's standards, overrides applied).
    city
        Key (or Chinese name) of a city of the sunlight config.
    special
        Key of a special rule (``elderly_housing``, ``old_area_new_housing``, ``kindergarten_living``, ...).
    day
        Evaluate on this standard day (``dahan``/``dongzhi``) instead, with the same hours and counting rule,
        in that day's window (or the counting rule's own window).
    """
    requirement = rules.requirement(city, special=special)
    if day is None or day == requirement.day:
        return requirement
    if day not in rules.windows:
        raise ConfigError(f"没有这个日照标准日；可选：{'、'.join(rules.windows)}", file="sunlight.yaml",
                          key="windows", value=day)
    return dataclasses.replace(requirement, day=day, window=requirement.counting.window or rules.windows[day])


def sun_for(requirement: SunlightRequirement, latitude: float, longitude: float, *, year: int | None = None,
            date: dt.date | None = None, step_min: float = 1.0) -> SunPath:
    """Sun path of the requirement's standard day and window at a place.

    Parameters
    ----------
    requirement
        From ``Standards.sunlight.requirement(city, special=...)``.
    latitude, longitude
        Degrees, WGS84.
    year
        Year of the standard day (default: this year); ignored when ``date`` is given.
    date
        Explicit date instead of the standard day.
    step_min
        Time step, minutes.
    """
    if date is None:
        date = standard_day(year or dt.date.today().year, requirement.day)
    return sun_path(latitude, longitude, date, window=requirement.window, step_min=step_min)


# ---------------------------------------------------------------------------------------------- counting
def count_hours(lit: np.ndarray, step_min: float, *, min_segment_min: float = 0.0,
                max_segments: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sunlight hours of each row of a (points × steps) lit array under a counting rule.

    Parameters
    ----------
    lit
        Boolean array, one row per point, one column per time step.
    step_min
        Length of a step, minutes.
    min_segment_min
        Lit segments shorter than this (minutes) are not counted (Beijing: 5 on 大寒, 30 on 冬至).
    max_segments
        Count only this many of the longest segments (1 = continuous sunlight; Hangzhou legacy: 2).

    Returns
    -------
    hours, segments
        Counted hours (float) and the number of counted segments (int) per row.

    Examples
    --------
    >>> count_hours(np.array([[1, 1, 0, 1, 1, 1]], dtype=bool), 30.0, max_segments=1)
    (array([1.5]), array([1]))
    """
    n = lit.shape[0]
    padded = np.zeros((n, lit.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = lit
    change = np.diff(padded, axis=1)
    rows, start = np.nonzero(change == 1)
    _, end = np.nonzero(change == -1)
    minutes = (end - start) * step_min
    keep = minutes >= min_segment_min
    rows, minutes = rows[keep], minutes[keep]
    if max_segments is not None:
        order = np.lexsort((-minutes, rows))
        rows, minutes = rows[order], minutes[order]
        first = np.searchsorted(rows, rows, side="left")
        keep = np.arange(len(rows)) - first < max_segments
        rows, minutes = rows[keep], minutes[keep]
    hours = np.bincount(rows, weights=minutes, minlength=n) / 60.0
    return hours, np.bincount(rows, minlength=n)


def _counting(requirement: SunlightRequirement) -> dict[str, float | int | None]:
    rule = requirement.counting
    max_segments = rule.max_segments if rule.cumulative else 1
    return {"min_segment_min": float(rule.min_segment_min.get(requirement.day, 0.0)),
            "max_segments": max_segments}


# ---------------------------------------------------------------------------------------------- geometry
def _heights(buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Heights (m) of the buildings, after checking they are in a metric CRS and all have one."""
    if buildings.crs is not None and not buildings.crs.is_projected:
        raise InputError("建筑须采用以米为单位的投影坐标系", layer="buildings",
                         fix="先导入项目，或投影到 UTM 或 CGCS2000 高斯投影带")
    if "height_m" not in buildings:
        raise InputError("建筑图层没有高度字段", layer="buildings",
                         fix="导入带高度或层数字段的建筑数据")
    height = pd.to_numeric(buildings["height_m"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(height) | (height < 0)
    if bad.any():
        feature = buildings["feature_id"].iloc[int(np.argmax(bad))] if "feature_id" in buildings else None
        raise InputError(f"{int(bad.sum())} 栋建筑没有有效高度", layer="buildings",
                         feature=feature, fix="给出高度或层数（按层数 × 层高计算）")
    return height


def _edges(geoms: np.ndarray, height: np.ndarray) -> _Edges:
    """Every footprint edge of ``geoms`` (Polygons/MultiPolygons), courtyard rings included."""
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    same = vertex_ring[:-1] == vertex_ring[1:]
    a, b = xy[:-1][same], xy[1:][same]
    building = part_of[ring_of[vertex_ring[:-1][same]]]
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    ok = length > 1e-9
    a, b, d, length, building = a[ok], b[ok], d[ok], length[ok], building[ok]
    return _Edges(ax=a[:, 0], ay=a[:, 1], bx=b[:, 0], by=b[:, 1], nx=d[:, 1] / length, ny=-d[:, 0] / length,
                  height=height[building], building=building)


def _facing_steps(nx: np.ndarray, ny: np.ndarray, sun: _Sun, sweep_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Steps [f0, f1) with the sun in front of a wall of outward normal (nx, ny) by more than the sweep angle."""
    facing = np.degrees(np.arctan2(nx, ny)) - 180.0
    facing = (facing + 180.0) % 360.0 - 180.0
    half = 90.0 - sweep_deg
    lo, hi = facing - half, facing + half
    f0 = np.searchsorted(sun.rel_az, lo, side="right")
    f1 = np.searchsorted(sun.rel_az, hi, side="left")
    # The part of the arc past north; the sun spans under 180°, so it never meets both parts.
    w1 = np.searchsorted(sun.rel_az, hi - 360.0, side="left")
    w0 = np.searchsorted(sun.rel_az, lo + 360.0, side="right")
    f0 = np.where(w1 > 0, 0, np.where(w0 < len(sun), w0, f0))
    f1 = np.where(w1 > 0, w1, np.where(w0 < len(sun), len(sun), f1))
    return f0, f1


def _sill_samples(buildings: gpd.GeoDataFrame, edges: _Edges, sun: _Sun, *, with_sills: np.ndarray,
                  spacing_m: float, sill_height_m: float, floor_height_m: float, all_floors: bool,
                  window_width_m: float | None, sweep_deg: float) -> tuple[_Samples, pd.DataFrame]:
    """Sill samples on the walls of ``with_sills`` buildings that face the sun at some step, and one row per
    sill unit. A unit's ``sill_id`` (building, floor, rank in the building) does not depend on the others."""
    f0, f1 = _facing_steps(edges.nx, edges.ny, sun, sweep_deg)
    wall = np.nonzero(with_sills[edges.building] & (f1 > f0))[0]
    length = np.hypot(edges.bx[wall] - edges.ax[wall], edges.by[wall] - edges.ay[wall])
    if window_width_m is None:
        units_per_wall = np.maximum(1, np.round(length / spacing_m)).astype(int)
        per_unit = 1
    else:
        units_per_wall = np.maximum(1, np.floor(length / window_width_m)).astype(int)
        widths = length / units_per_wall
        per_unit = int(np.ceil(min(window_width_m, widths.max()) / spacing_m)) + 1
    unit_wall = np.repeat(wall, units_per_wall)
    k = np.arange(len(unit_wall)) - np.repeat(np.cumsum(units_per_wall) - units_per_wall, units_per_wall)
    n_on_wall = np.repeat(units_per_wall, units_per_wall)
    # Position along the wall (0..1) of each unit's centre and of its samples.
    centre = (k + 0.5) / n_on_wall
    if per_unit == 1:
        t = centre[:, None]
    else:
        wall_len = np.repeat(length, units_per_wall)
        half = 0.5 / n_on_wall - np.minimum(_INSET_M / wall_len, 0.25 / n_on_wall)
        t = centre[:, None] + np.linspace(-1.0, 1.0, per_unit)[None, :] * half[:, None]

    def place(tt: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (edges.ax[e] + tt * (edges.bx[e] - edges.ax[e]) + _OUTSET_M * edges.nx[e],
                edges.ay[e] + tt * (edges.by[e] - edges.ay[e]) + _OUTSET_M * edges.ny[e])

    sx, sy = place(t, unit_wall[:, None])
    owner = edges.building[unit_wall]
    rank = np.arange(len(unit_wall)) - np.searchsorted(owner, owner, side="left")
    # Samples inside another footprint lie on a shared or overlapping wall: no window below that roof.
    hit, other = shapely.STRtree(np.asarray(buildings.geometry.values)).query(
        shapely.points(sx.ravel(), sy.ravel()), predicate="intersects")
    cover = np.zeros(sx.size)
    np.maximum.at(cover, hit, _heights(buildings)[other])
    cover = cover.reshape(sx.shape).max(axis=1)

    b = edges.building[unit_wall]
    height = edges.height[unit_wall]
    if all_floors:
        floors = _floor_counts(buildings, floor_height_m)[b]
        floors = np.maximum(1, np.minimum(floors, np.ceil((height - sill_height_m) / floor_height_m)))
    else:
        floors = np.ones(len(b), dtype=int)
    floors = floors.astype(int)
    rep = np.repeat(np.arange(len(b)), floors)
    floor = np.arange(len(rep)) - np.repeat(np.cumsum(floors) - floors, floors)
    z_unit = sill_height_m + floor * floor_height_m
    ok = cover[rep] <= z_unit
    rep, floor, z_unit = rep[ok], floor[ok], z_unit[ok]
    cx, cy = place(centre[rep], unit_wall[rep])
    ids = buildings["feature_id"].astype(str).to_numpy() if "feature_id" in buildings else \
        buildings.index.astype(str).to_numpy()
    nx, ny = edges.nx[unit_wall[rep]], edges.ny[unit_wall[rep]]
    building_id = pd.Series(ids[b[rep]], dtype=str)
    table = pd.DataFrame({
        "sill_id": building_id + ":" + pd.Series(floor + 1).astype(str) + ":" + pd.Series(rank[rep]).astype(str),
        "building_id": building_id,
        "floor": floor + 1,
        "facade_azimuth": np.degrees(np.arctan2(nx, ny)) % 360.0,
        "z_m": z_unit,
        "x": cx, "y": cy,
    })
    m = sx.shape[1]
    e = np.repeat(unit_wall[rep], m)
    samples = _Samples(x=sx[rep].ravel(), y=sy[rep].ravel(), z=np.repeat(z_unit, m), edge=e,
                       f0=f0[e], f1=f1[e], unit=np.repeat(np.arange(len(rep)), m))
    return samples, table


def _floor_counts(buildings: gpd.GeoDataFrame, floor_height_m: float) -> np.ndarray:
    height = _heights(buildings)
    floors = pd.to_numeric(buildings["floors"], errors="coerce").to_numpy(dtype=float) \
        if "floors" in buildings else np.full(len(buildings), np.nan)
    floors = np.where(np.isfinite(floors) & (floors >= 1), floors, np.round(height / floor_height_m))
    return np.maximum(1, floors).astype(int)


# ---------------------------------------------------------------------------------------------- shadows
def _reach_boxes(edges: _Edges, sun: _Sun, z_min: float) -> np.ndarray:
    """(n, 4) bounds of where each edge's shadow can fall over the window on the plane z = ``z_min``."""
    h = np.maximum(edges.height - z_min, 0.0)
    ox0, oy0, ox1, oy1 = sun.shadow_box()
    return np.stack([np.minimum(edges.ax, edges.bx) + h * ox0, np.minimum(edges.ay, edges.by) + h * oy0,
                     np.maximum(edges.ax, edges.bx) + h * ox1, np.maximum(edges.ay, edges.by) + h * oy1], axis=1)


@dataclass(frozen=True)
class _Obstacles:
    """Edges that cast shadows, with a tree of their reach boxes for samples at or above ``z_min``."""

    edges: _Edges
    tree: shapely.STRtree

    @classmethod
    def of(cls, edges: _Edges, sun: _Sun, z_min: float) -> _Obstacles:
        return cls(edges, shapely.STRtree(shapely.box(*_reach_boxes(edges, sun, z_min).T)))

    def pairs(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(sample, edge) candidates: samples inside the box an edge's shadow can reach."""
        return self.tree.query(shapely.points(x, y), predicate="intersects")


def _lit(s: _Samples, obstacles: _Obstacles, sun: _Sun, inside: np.ndarray) -> np.ndarray:
    """Lit array (samples × steps) for one chunk of samples; ``inside`` samples are never lit."""
    n_s, n_t = len(s.x), len(sun)
    cols = np.arange(n_t)[None, :]
    facing = (cols >= s.f0[:, None]) & (cols < s.f1[:, None])
    if n_s == 0:
        return facing
    edges = obstacles.edges
    p, e = obstacles.pairs(s.x, s.y)
    px, py = s.x[p], s.y[p]
    ax, ay, bx, by = edges.ax[e], edges.ay[e], edges.bx[e], edges.by[e]
    h = edges.height[e] - s.z[p]
    front = (edges.nx[e] * (px - ax) + edges.ny[e] * (py - ay) > 0) & (e != s.edge[p]) & (h > 0)
    p, e, px, py, ax, ay, bx, by, h = (v[front] for v in (p, e, px, py, ax, ay, bx, by, h))
    # Angular span of the edge seen from the sample, relative to south, as [lo, lo + width].
    tha = np.degrees(np.arctan2(ax - px, ay - py)) - 180.0
    thb = np.degrees(np.arctan2(bx - px, by - py)) - 180.0
    delta = (thb - tha + 180.0) % 360.0 - 180.0
    lo = (np.minimum(tha, tha + delta) + 180.0) % 360.0 - 180.0
    hi = lo + np.abs(delta)
    r_far = np.maximum(np.hypot(ax - px, ay - py), np.hypot(bx - px, by - py))
    dx, dy = bx - ax, by - ay
    u = np.clip(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    r_near = np.hypot(ax + u * dx - px, ay + u * dy - py)
    sure_lo, sure_hi = sun.below(h / r_far)
    poss_lo, poss_hi = sun.below(h / np.maximum(r_near, 1e-9))
    # Runs of steps per pair: surely blocked (sun below h / r_far) or to be tested (below h / r_near).
    sure, unsure = [], []
    # An arc past north (hi > 180°) continues from -180°.
    for lo_deg, hi_deg, idx in ((lo, np.minimum(hi, 180.0), np.arange(len(lo))),
                                (np.full(len(lo), -180.0), hi - 360.0, np.nonzero(hi > 180.0)[0])):
        i0 = np.maximum(np.searchsorted(sun.rel_az, lo_deg[idx], side="left"), s.f0[p[idx]])
        i1 = np.minimum(np.searchsorted(sun.rel_az, hi_deg[idx], side="right"), s.f1[p[idx]])
        sl, sh, pl, ph = sure_lo[idx], sure_hi[idx], poss_lo[idx], poss_hi[idx]
        sure += [(p[idx], i0, np.minimum(i1, sl)), (p[idx], np.maximum(i0, sh), i1)]
        unsure += [(idx, np.maximum(i0, sl), np.minimum(i1, pl)), (idx, np.maximum(i0, ph), np.minimum(i1, sh))]
    blocked = _mark_runs(*(np.concatenate(v) for v in zip(*sure)), n_s, n_t)
    for idx, a, b in unsure:
        count = np.maximum(b - a, 0)
        if not count.any():
            continue
        pair = np.repeat(idx, count)
        step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + np.repeat(a, count)
        sx, sy = sun.sx[step], sun.sy[step]
        qx, qy = ax[pair] - px[pair], ay[pair] - py[pair]
        ex, ey = dx[pair], dy[pair]
        denom = sx * ey - sy * ex
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (qx * ey - qy * ex) / denom
            w = (qx * sy - qy * sx) / denom
        hit = (w >= 0) & (w <= 1) & (r > 0) & (r * sun.tan_alt[step] < h[pair])
        blocked[p[pair[hit]], step[hit]] = True
    return facing & ~blocked & sun.up[None, :] & ~inside[:, None]


def _mark_runs(rows: np.ndarray, start: np.ndarray, end: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """Boolean (n_rows × n_cols) array, True on every [start, end) run of its row."""
    ok = end > start
    rows, start, end = rows[ok], start[ok], end[ok]
    width = n_cols + 1
    size = n_rows * width
    depth = (np.bincount(rows * width + start, minlength=size)
             - np.bincount(rows * width + end, minlength=size)).reshape(n_rows, width)
    return np.cumsum(depth[:, :-1], axis=1) > 0


def _inside(x: np.ndarray, y: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    inside = np.zeros(len(x), dtype=bool)
    if len(geoms):
        hit, _ = shapely.STRtree(geoms).query(shapely.points(x, y), predicate="intersects")
        inside[hit] = True
    return inside


def _lit_chunks(samples: _Samples, obstacles: _Obstacles, sun: _Sun, inside: np.ndarray, units: np.ndarray,
                progress: Progress, message: str) -> Iterator[tuple[int, np.ndarray]]:
    """(offset into ``units``, lit array of the next chunk of units): a unit is lit when all its samples are."""
    first = np.searchsorted(samples.unit, units, side="left")
    count = np.searchsorted(samples.unit, units, side="right") - first
    chunk = max(1, _CHUNK // int(count.max())) if len(units) else 1
    for c0 in range(0, len(units), chunk):
        n = count[c0:c0 + chunk]
        sel = np.repeat(first[c0:c0 + chunk] - np.cumsum(n) + n, n) + np.arange(n.sum())
        sub = _Samples(*(getattr(samples, f)[sel] for f in _Samples.__dataclass_fields__))
        lit = _lit(sub, obstacles, sun, inside[sel])
        yield c0, np.logical_and.reduceat(lit, np.cumsum(n) - n, axis=0)
        progress.update(min(c0 + chunk, len(units)), len(units), message)


def _unit_lit(samples: _Samples, obstacles: _Obstacles, sun: _Sun, inside: np.ndarray, units: np.ndarray,
              progress: Progress, message: str) -> np.ndarray:
    """Lit array (len(units) × steps) of sill units."""
    out = np.zeros((len(units), len(sun)), dtype=bool)
    for c0, lit in _lit_chunks(samples, obstacles, sun, inside, units, progress, message):
        out[c0:c0 + len(lit)] = lit
    return out


def _check(sun: SunPath, requirement: SunlightRequirement) -> _Sun:
    if tuple(sun.window) != tuple(requirement.window):
        raise ConfigError("太阳轨迹没有覆盖日照要求的有效时间带", key="window",
                          value=f"{sun.window} vs {requirement.window}")
    return _Sun.of(sun)


def _prepare(buildings: gpd.GeoDataFrame, s: _Sun, *, spacing_m: float, sill_height_m: float,
             floor_height_m: float, all_floors: bool, window_width_m: float | None, sweep_deg: float,
             within: np.ndarray | None = None) -> tuple[_Obstacles, _Samples, pd.DataFrame]:
    """Obstacles and the sills of residential buildings (only those meeting a ``within`` box, when given)."""
    if spacing_m <= 0 or (window_width_m is not None and window_width_m <= 0):
        raise ConfigError("采样间距和窗宽须为正", key="spacing_m",
                          value=spacing_m)
    geoms = np.asarray(buildings.geometry.values)
    edges = _edges(geoms, _heights(buildings))
    use = buildings["use"] if "use" in buildings else pd.Series("residential", index=buildings.index)
    with_sills = (use.fillna("residential").astype(str).str.lower() == "residential").to_numpy()
    # A building lower than the sill has no window at sill height.
    with_sills = with_sills & (_heights(buildings) > sill_height_m)
    if within is not None:
        bounds = shapely.bounds(geoms)
        meets = ((bounds[:, None, 0] <= within[None, :, 2]) & (bounds[:, None, 2] >= within[None, :, 0])
                 & (bounds[:, None, 1] <= within[None, :, 3]) & (bounds[:, None, 3] >= within[None, :, 1]))
        with_sills = with_sills & meets.any(axis=1)
    samples, table = _sill_samples(buildings, edges, s, with_sills=with_sills, spacing_m=spacing_m,
                                   sill_height_m=sill_height_m, floor_height_m=floor_height_m,
                                   all_floors=all_floors, window_width_m=window_width_m, sweep_deg=sweep_deg)
    return _Obstacles.of(edges, s, sill_height_m), samples, table


def _frame(table: pd.DataFrame, crs: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(table.drop(columns=["x", "y"]), geometry=shapely.points(table.x, table.y), crs=crs)


# ---------------------------------------------------------------------------------------------- public API
def sunlight_hours(buildings: gpd.GeoDataFrame, sun: SunPath, requirement: SunlightRequirement, *,
                   spacing_m: float = 1.0, sill_height_m: float = 0.9, floor_height_m: float = 3.0,
                   all_floors: bool = False, window_width_m: float | None = None, sweep_deg: float = 0.0,
                   progress: Progress | None = None) -> gpd.GeoDataFrame:
    """Sunlight hours at the window sills of every residential building.

    Samples sit on every residential wall that faces the sun at some time of the window, ``spacing_m``
    apart, ``sill_height_m`` above the ground floor (and every floor with ``all_floors``). Every building,
    residential or not, casts shadows, its own walls included.

    Parameters
    ----------
    buildings
        Canonical buildings layer in a metric CRS: ``feature_id``, ``height_m`` (m), ``use`` (only
        ``residential`` buildings get sills; without the column all do), ``floors`` for ``all_floors``.
    sun
        Sun positions over the requirement's window (:func:`sun_for`).
    requirement
        Required hours, window and counting rule (``Standards.sunlight.requirement``).
    spacing_m
        Distance between samples along a wall, m.
    sill_height_m
        Sill above each floor, m (底层窗台面 0.9 m).
    floor_height_m
        Storey height, m, for upper floors.
    all_floors
        Sample every floor, not only the ground floor.
    window_width_m
        Whole-window rule (满窗日照): walls are divided into windows of about this width, m, and a window
        counts a step only when samples across its whole width (at most ``spacing_m`` apart) are lit.
    sweep_deg
        Smallest angle between the sun's direction and the wall, degrees (最小扫略角; 0 nationally).
    progress
        Progress sink; cancels between chunks.

    Returns
    -------
    geopandas.GeoDataFrame
        One point per sill sample (or window), 1 cm outside its wall: ``sill_id`` (``building:floor:rank``,
        the same whatever other buildings are computed), ``building_id``, ``floor`` (1 = ground),
        ``facade_azimuth`` (outward normal, degrees from north), ``z_m`` (sill height, m), ``hours`` (h),
        ``segments`` (counted lit segments), ``required_hours`` (h), ``passes``.
    """
    s = _check(sun, requirement)
    obstacles, samples, table = _prepare(buildings, s, spacing_m=spacing_m, sill_height_m=sill_height_m,
                                         floor_height_m=floor_height_m, all_floors=all_floors,
                                         window_width_m=window_width_m, sweep_deg=sweep_deg)
    hours, segments = np.zeros(len(table)), np.zeros(len(table), dtype=int)
    counting = _counting(requirement)
    # Counted chunk by chunk, so memory stays bounded however many floors are sampled.
    for c0, lit in _lit_chunks(samples, obstacles, s, np.zeros(len(samples.x), dtype=bool), np.arange(len(table)),
                               ensure_progress(progress), "日照时数"):
        hours[c0:c0 + len(lit)], segments[c0:c0 + len(lit)] = count_hours(lit, s.step_min, **counting)
    table["hours"] = hours
    table["segments"] = segments
    table["required_hours"] = float(requirement.hours)
    table["passes"] = hours >= requirement.hours - 1e-9
    return _frame(table, buildings.crs)


def sunlight_impact(buildings: gpd.GeoDataFrame, proposed: shapely.Geometry, proposed_height_m: float,
                    sun: SunPath, requirement: SunlightRequirement, *, elevator: bool = False,
                    spacing_m: float = 1.0, sill_height_m: float = 0.9, floor_height_m: float = 3.0,
                    all_floors: bool = False, window_width_m: float | None = None, sweep_deg: float = 0.0,
                    progress: Progress | None = None) -> gpd.GeoDataFrame:
    """Before/after sunlight of the existing sills a proposed building can shade.

    Only sills within the proposed building's longest shadow reach over the window are computed. Sills
    the footprint covers get no sun after.

    Parameters
    ----------
    buildings
        Existing buildings, as for :func:`sunlight_hours`.
    proposed
        Footprint (Polygon/MultiPolygon) in the same CRS.
    proposed_height_m
        Its height, m.
    sun, requirement, spacing_m, sill_height_m, floor_height_m, all_floors, window_width_m, sweep_deg
        As for :func:`sunlight_hours`.
    elevator
        The proposal is an elevator added to an existing residential building (GB50180 4.0.9 item 2
        exempts it; its impact is still reported).
    progress
        Progress sink.

    Returns
    -------
    geopandas.GeoDataFrame
        The sills within reach (same ``sill_id`` as :func:`sunlight_hours` on the same buildings) with
        ``hours_before``, ``hours_after``, ``passes_before``, ``passes_after``, ``required_hours`` and
        ``status``: ``unaffected``, ``reduced`` (loses time, or already failing and loses more),
        ``newly_failing`` (passed before, fails after) or ``exempt`` (an elevator addition that reduces).
    """
    if proposed is None or shapely.is_empty(proposed) or proposed.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError("拟建建筑的占地范围须为非空多边形", layer="proposed",
                         fix="绘制或导入多边形占地范围")
    if not np.isfinite(proposed_height_m) or proposed_height_m <= 0:
        raise InputError("拟建建筑高度须为正数（m）", layer="proposed",
                         fix="以米为单位给出建筑高度")
    s = _check(sun, requirement)
    new = _Obstacles.of(_edges(np.array([proposed]), np.array([float(proposed_height_m)])), s, sill_height_m)
    # Only buildings within the new building's shadow reach (or under its footprint) get sills.
    within = np.vstack([_reach_boxes(new.edges, s, sill_height_m), shapely.bounds(proposed)[None, :]])
    obstacles, samples, table = _prepare(buildings, s, spacing_m=spacing_m, sill_height_m=sill_height_m,
                                         floor_height_m=floor_height_m, all_floors=all_floors,
                                         window_width_m=window_width_m, sweep_deg=sweep_deg, within=within)
    covered = _inside(samples.x, samples.y, np.array([proposed]))
    touched = np.union1d(new.pairs(samples.x, samples.y)[0], np.nonzero(covered)[0])
    units = np.unique(samples.unit[touched])
    prog = ensure_progress(progress)
    before = _unit_lit(samples, obstacles, s, np.zeros(len(samples.x), dtype=bool), units, prog,
                       "建设前日照")
    # Against the new building alone, a sample's own wall is not among the obstacles.
    alone = dataclasses.replace(samples, edge=np.full(len(samples.x), -1))
    shaded_by_new = _unit_lit(alone, new, s, covered, units, prog, "建设后日照")
    after = before & shaded_by_new
    counting = _counting(requirement)
    hours_before, _ = count_hours(before, s.step_min, **counting)
    hours_after, _ = count_hours(after, s.step_min, **counting)
    out = table.iloc[units].reset_index(drop=True)
    need = float(requirement.hours)
    out["hours_before"] = hours_before
    out["hours_after"] = hours_after
    out["required_hours"] = need
    out["passes_before"] = hours_before >= need - 1e-9
    out["passes_after"] = hours_after >= need - 1e-9
    lost = hours_after < hours_before - 1e-9
    status = np.where(~lost, "unaffected",
                      np.where(elevator, "exempt",
                               np.where(out["passes_before"] & ~out["passes_after"], "newly_failing", "reduced")))
    out["status"] = pd.Categorical(status, categories=STATUSES)
    return _frame(out, buildings.crs)


@dataclass(frozen=True)
class AreaSunlight:
    """Share of an area receiving at least ``min_hours`` of sun, from a grid of ground points.

    Attributes
    ----------
    share
        Lit share of the grid points (0–1); NaN when the area holds no grid point.
    min_hours
        The threshold, h.
    points
        The grid points with their ``hours`` and ``meets``.
    """

    share: float
    min_hours: float
    points: gpd.GeoDataFrame


def area_sunlight(area: shapely.Geometry, buildings: gpd.GeoDataFrame, sun: SunPath,
                  requirement: SunlightRequirement, *, min_hours: float, grid_m: float = 2.0,
                  height_m: float = 0.0, progress: Progress | None = None) -> AreaSunlight:
    """Share of a polygon (green space, play area) with at least ``min_hours`` of sun on the standard day.

    Ground points on a square grid of ``grid_m`` spacing inside the polygon count as lit when no building
    blocks the sun; points under a building get none. For GB50180 4.0.7 (≥ 1/3 of block green outside the
    shadow line) and JGJ 39 (≥ 1/2 of a kindergarten play area).

    Parameters
    ----------
    area
        Polygon or MultiPolygon in the buildings' CRS.
    buildings
        Buildings with ``height_m``.
    sun, requirement
        Sun path and the counting rule (its ``hours`` is not used; ``min_hours`` is).
    min_hours
        Hours a point needs, h.
    grid_m
        Grid spacing, m.
    height_m
        Height of the points above ground, m.
    progress
        Progress sink.
    """
    if grid_m <= 0:
        raise ConfigError("场地网格间距须为正", key="area_grid_m", value=grid_m)
    x0, y0, x1, y1 = area.bounds
    gx, gy = np.meshgrid(np.arange(x0 + grid_m / 2, x1, grid_m), np.arange(y0 + grid_m / 2, y1, grid_m))
    keep = shapely.contains_xy(area, gx.ravel(), gy.ravel())
    x, y = gx.ravel()[keep], gy.ravel()[keep]
    hours = ground_hours(x, y, buildings, sun, requirement, height_m=height_m, progress=progress)
    meets = hours >= min_hours - 1e-9
    points = gpd.GeoDataFrame({"hours": hours, "meets": meets}, geometry=shapely.points(x, y), crs=buildings.crs)
    return AreaSunlight(share=float(meets.mean()) if len(x) else float("nan"), min_hours=float(min_hours),
                        points=points)


def ground_hours(x: np.ndarray, y: np.ndarray, buildings: gpd.GeoDataFrame, sun: SunPath,
                 requirement: SunlightRequirement, *, height_m: float = 0.0,
                 progress: Progress | None = None) -> np.ndarray:
    """Sunlight hours at horizontal points (x, y) ``height_m`` above the ground; points under a building get 0.

    Parameters
    ----------
    x, y
        Coordinates, m, in the buildings' CRS.
    buildings
        Buildings with ``height_m``.
    sun, requirement
        Sun path and counting rule.
    height_m
        Height of the points above ground, m.
    progress
        Progress sink.

    Returns
    -------
    numpy.ndarray
        Hours per point, h.
    """
    s = _check(sun, requirement)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    geoms = np.asarray(buildings.geometry.values)
    obstacles = _Obstacles.of(_edges(geoms, _heights(buildings)), s, float(height_m))
    n = len(x)
    samples = _Samples(x=x, y=y, z=np.full(n, float(height_m)), edge=np.full(n, -1), f0=np.zeros(n, int),
                       f1=np.full(n, len(s)), unit=np.arange(n))
    lit = _unit_lit(samples, obstacles, s, _inside(x, y, geoms), np.arange(n), ensure_progress(progress),
                    "地面日照")
    return count_hours(lit, s.step_min, **_counting(requirement))[0]


def shadow_reach(sun: SunPath) -> tuple[float, float, float, float]:
    """Bounds (min x, min y, max x, max y) of the ground shadow offset per metre of building height over the
    sun path's steps with the sun up, and 0, in m/m: a footprint's shadow stays within the footprint's box
    stretched by height times these offsets."""
    return _Sun.of(sun).shadow_box()


def shadow_polygon(footprint: shapely.Geometry, height_m: float, altitude_deg: float,
                   azimuth_deg: float) -> shapely.Geometry:
    """Ground shadow of a footprint extruded to ``height_m`` (m) on flat ground, sun at the given position.

    The shadow is the footprint swept along the shadow vector (length ``height_m / tan(altitude)`` m, pointing
    away from the sun's compass ``azimuth_deg``): the union of the footprint, its translate and the
    quadrilateral each edge sweeps. Empty when the sun is at or below the horizon.
    """
    if altitude_deg <= 0:
        return shapely.Polygon()
    length = height_m / np.tan(np.radians(altitude_deg))
    dx, dy = -length * np.sin(np.radians(azimuth_deg)), -length * np.cos(np.radians(azimuth_deg))
    rings = shapely.get_rings(shapely.get_parts(footprint))
    pieces = [footprint, shapely.affinity.translate(footprint, dx, dy)]
    for ring in rings:
        xy = shapely.get_coordinates(ring)
        a, b = xy[:-1], xy[1:]
        # Each edge sweeps a parallelogram; edges parallel to the shadow sweep nothing.
        quads = shapely.polygons(np.stack([a, b, b + (dx, dy), a + (dx, dy), a], axis=1))
        pieces.extend(quads[shapely.area(quads) > 1e-9])
    return shapely.union_all(pieces)


def shadow_sweep(footprint: shapely.Geometry, height_m: float, sun: SunPath, *,
                 every_min: float = 10.0) -> shapely.Geometry:
    """Ground area a building shades at some moment of the sun path's window (union of its shadows).

    Shadows are taken every ``every_min`` minutes of the path (and at its last step); this is what a planner
    reads as the building's shadow on the standard day (标准日阴影范围).
    """
    stride = max(1, int(round(every_min / sun.step_min)))
    steps = sorted({*range(0, len(sun.altitude_deg), stride), len(sun.altitude_deg) - 1})
    return shapely.union_all([shadow_polygon(footprint, height_m, float(sun.altitude_deg[i]),
                                             float(sun.azimuth_deg[i])) for i in steps])
