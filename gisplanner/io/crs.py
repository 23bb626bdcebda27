"""Coordinate reference systems: the project's metric CRS, GCJ-02/BD-09 conversion and shift detection.

Choice of the metric CRS (:func:`metric_crs`): data whose centre lies in China (lon 73–136 E, lat 3–54 N)
gets the CGCS2000 3-degree Gauss-Kruger zone of its central meridian (EPSG:4534 = CM 75E ... EPSG:4554 =
CM 135E, false easting 500 km, no zone prefix). CGCS2000 is the datum of Chinese planning data, and a 3-degree
zone keeps the scale error below about 3e-4 at its edge, where UTM is already 4e-4 short on its own central
meridian. Elsewhere the UTM zone of the centre is used. CGCS2000 and WGS84 agree to a few centimetres, so
WGS84 data is reprojected without a datum shift.

GCJ-02 (the "Mars" offset required on Chinese web maps, Amap/Tencent) and BD-09 (Baidu, GCJ-02 plus a further
offset) are obfuscations, not datums, so PROJ cannot do them; the published forward formulas are implemented
here vectorised, and their inverses are solved by fixed-point iteration (round trip below a millimetre).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage
from scipy.spatial import cKDTree

from gisplanner.errors import InputError

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its first eccentricity squared
_BD_PI = np.pi * 3000.0 / 180.0
_MAX_REFERENCE_POINTS = 5_000_000

#: Names accepted wherever a source CRS may be given, besides anything pyproj understands.
OFFSET_SYSTEMS = ("GCJ-02", "BD-09")


def metric_crs(lon: float, lat: float) -> pyproj.CRS:
    """Metric CRS for data centred on ``lon``, ``lat`` (degrees, WGS84).

    Parameters
    ----------
    lon, lat
        Centre of the data in degrees.

    Returns
    -------
    pyproj.CRS
        CGCS2000 3-degree Gauss-Kruger (EPSG:4534–4554) inside China, else the WGS84 UTM zone.

    Examples
    --------
    >>> metric_crs(126.64, 45.74).to_epsg()  # Harbin, CM 126E
    4551
    >>> metric_crs(2.35, 48.86).to_epsg()  # Paris, UTM 31N
    32631
    """
    central = 3 * round(lon / 3)
    if 75 <= central <= 135 and 3 <= lat <= 54:
        return pyproj.CRS.from_epsg(4534 + (central - 75) // 3)
    zone = int((lon + 180) // 6) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def parse_source_crs(text: str) -> pyproj.CRS | str:
    """Parse a user-given source CRS: ``GCJ-02``/``BD-09`` (returned as that name) or anything pyproj reads.

    Raises
    ------
    InputError
        When pyproj does not know the CRS.
    """
    norm = text.strip().upper().replace("_", "-")
    for name in OFFSET_SYSTEMS:
        if norm in (name, name.replace("-", "")):
            return name
    try:
        return pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError as exc:
        raise InputError(f"unknown source CRS {text!r} ({exc}).",
                         fix="name it as EPSG:4326, EPSG:4490, GCJ-02 or BD-09.") from exc


def _out_of_china(lon: NDArray, lat: NDArray) -> NDArray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Apply the GCJ-02 offset to WGS84 lon/lat (degrees); points outside China are returned unchanged.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(126.6213, 45.7682)
    >>> round(float(lon), 4), round(float(lat), 4)
    (126.6272, 45.7701)
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad) ** 2
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * np.sqrt(magic)) * np.pi)
    dlon = dlon * 180.0 / (_A / np.sqrt(magic) * np.cos(rad) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Apply Baidu's BD-09 offset to GCJ-02 lon/lat (degrees)."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """WGS84 lon/lat (degrees) to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(forward, lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Solve ``forward(p) = q`` for p; the offsets vary slowly, so p <- p + (q - forward(p)) converges fast."""
    qlon = np.asarray(lon, dtype=float)
    qlat = np.asarray(lat, dtype=float)
    plon, plat = qlon.copy(), qlat.copy()
    for _ in range(30):
        flon, flat = forward(plon, plat)
        dlon, dlat = qlon - flon, qlat - flat
        plon, plat = plon + dlon, plat + dlat
        if np.all(np.abs(dlon) < 1e-10) and np.all(np.abs(dlat) < 1e-10):  # ~0.01 mm
            break
    return plon, plat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """GCJ-02 lon/lat (degrees) to WGS84, inverting :func:`wgs84_to_gcj02` iteratively."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """BD-09 lon/lat (degrees) to GCJ-02, inverting :func:`gcj02_to_bd09` iteratively."""
    return _invert(gcj02_to_bd09, lon, lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """BD-09 lon/lat (degrees) to WGS84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {"GCJ-02": gcj02_to_wgs84, "BD-09": bd09_to_wgs84}
_FROM_WGS84 = {"GCJ-02": wgs84_to_gcj02, "BD-09": wgs84_to_bd09}


def _transform_geometries(geoms: ArrayLike, func) -> NDArray:
    def apply(coords: NDArray) -> NDArray:
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms), apply)


def to_wgs84(geoms: ArrayLike, system: str) -> NDArray:
    """Convert shapely geometries in lon/lat of ``system`` (``GCJ-02`` or ``BD-09``) to WGS84."""
    return _transform_geometries(geoms, _TO_WGS84[system])


def from_wgs84(geoms: ArrayLike, system: str) -> NDArray:
    """Offset shapely geometries in WGS84 lon/lat into ``system`` (``GCJ-02`` or ``BD-09``)."""
    return _transform_geometries(geoms, _FROM_WGS84[system])


@dataclass(frozen=True)
class OffsetEvidence:
    """Why a layer looks offset: the system, the offset undone and how much better the layer then fits.

    Attributes
    ----------
    system
        ``"GCJ-02"`` or ``"BD-09"``.
    measure
        ``"edges"`` (the layer's edges lie on the reference's edges) or ``"inside"`` (the layer's features lie
        inside the reference's polygons).
    shift_m
        Mean length of the offset undone at the layer, metres.
    fit, fit_raw
        Share of the layer's samples that match the reference after and before undoing the offset.
    z
        How many standard deviations ``fit`` lies above the fit of random shifts of the same size range.
    """

    system: str
    measure: str
    shift_m: float
    fit: float
    fit_raw: float
    z: float


class _Frame:
    """A local equirectangular frame in metres around (lon0, lat0): exact enough to match at 10 m in a city."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = lon0, lat0
        self.kx, self.ky = 111320.0 * np.cos(np.radians(lat0)), 110540.0

    def to_local(self, c: NDArray) -> NDArray:
        return np.column_stack([(c[:, 0] - self.lon0) * self.kx, (c[:, 1] - self.lat0) * self.ky])

    def to_lonlat(self, xy: NDArray) -> NDArray:
        return np.column_stack([xy[:, 0] / self.kx + self.lon0, xy[:, 1] / self.ky + self.lat0])


def _samples(geoms: NDArray, frame: _Frame, measure: str, max_samples: int) -> NDArray:
    """Points of the layer in the local frame: every 10 m along its edges, or one per feature."""
    if measure == "edges":
        g = shapely.transform(geoms, frame.to_local)
        g = np.where(shapely.get_dimensions(g) == 2, shapely.boundary(g), g)
        # 10 m steps, coarser for a layer so long that they would be far more than the samples kept
        step = max(10.0, float(shapely.length(g).sum()) / (10 * max_samples))
        pts = shapely.get_coordinates(shapely.segmentize(g, step))
    else:
        pts = frame.to_local(shapely.get_coordinates(shapely.point_on_surface(geoms)))
    if len(pts) > max_samples:
        pts = pts[np.linspace(0, len(pts) - 1, max_samples).astype(int)]
    return pts


def _present(geoms: ArrayLike) -> NDArray:
    geoms = np.asarray(geoms)
    return geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]


class OffsetReference:
    """Reference layers indexed once, to test any number of layers for a GCJ-02/BD-09 offset.

    Two measures of how well a layer fits the reference, counted only over the layer's samples that fall
    where the reference has data (within about ``coverage_m`` of a reference edge, on a grid of
    ``coverage_m / 3`` cells):

    - edges: the share of points sampled every 10 m along the layer's edges that lie within ``tolerance_m``
      of a reference edge (polygon boundaries, lines, sampled every ``spacing_m`` into a k-d tree). Sharp for
      layers whose edges follow the reference (land use, green space, communities against roads);
    - inside (for point and polygon layers, when the reference has polygons up to ``max_polygon_m2``): the
      share of the layer's features whose point on surface lies inside such a polygon. Catches points and
      buildings (POIs in buildings, buildings in estates).

    Each offset is undone and the fit compared with the fits of ``n_ring`` shifts of ``ring_m`` metres around
    that position (deterministic). A layer that really carries the offset fits markedly better exactly where
    the offset is undone than a few dozen metres beside it: a peak of ``min_z`` standard deviations above its
    ring, also above the fit of the raw layer. Comparing with the ring rather than with random shifts across
    the city cancels out how dense the reference is around the layer.

    Parameters
    ----------
    reference
        Geometries of the reference layers, WGS84 lon/lat degrees.
    spacing_m, tolerance_m, coverage_m
        Sampling of the reference edges, edge match distance and extent of the reference's data, metres.
    ring_m
        Smallest and largest distance of the comparison shifts, metres.
    max_polygon_m2
        Largest reference polygon (m²) used by the inside measure.
    max_samples, n_ring
        Sample points of a layer used at most per measure; comparison shifts per candidate.
    max_grid_cells
        Cells of the coverage grid at most (bounds its memory, 1 byte a cell).
    min_z
        Standard deviations above its ring the fit needs.
    """

    def __init__(self, reference: ArrayLike, *, spacing_m: float = 5.0, tolerance_m: float = 10.0,
                 coverage_m: float = 150.0, ring_m: tuple[float, float] = (40.0, 200.0),
                 max_polygon_m2: float = 1e5, max_samples: int = 1500, n_ring: int = 48,
                 min_z: float = 4.0, max_grid_cells: int = 20_000_000) -> None:
        self.tolerance_m, self.coverage_m, self.slack = tolerance_m, coverage_m, spacing_m / 2
        self.max_samples, self.min_z = max_samples, min_z
        ref = _present(reference)
        self.empty = len(ref) == 0
        if self.empty:
            return
        coords = shapely.get_coordinates(ref)
        self.frame = _Frame(float(np.mean(coords[:, 0])), float(np.mean(coords[:, 1])))
        local = shapely.transform(ref, self.frame.to_local)
        edges = np.where(shapely.get_dimensions(local) == 2, shapely.boundary(local), local)
        # bounded memory: at most about _MAX_REFERENCE_POINTS sampled points, however long the edges
        spacing = max(spacing_m, float(shapely.length(edges).sum()) / _MAX_REFERENCE_POINTS)
        points = shapely.get_coordinates(shapely.segmentize(edges, spacing))
        self.slack = spacing / 2
        self.edges = cKDTree(points)
        # Where the reference has data: a coarse grid of cells within coverage_m of its edges, over the robust
        # extent of the reference (a stray feature at (0, 0) must not make the grid continent-sized) and never
        # more than max_grid_cells (coarser cells for a province-sized reference).
        low, high = np.percentile(points, [0.5, 99.5], axis=0)
        low, high = low - 2 * coverage_m, high + 2 * coverage_m
        self.cell = max(coverage_m / 3, float(np.sqrt(np.prod(high - low) / max_grid_cells)))
        self.origin = low
        points_in = points[((points >= low) & (points <= high)).all(axis=1)]
        ij = ((points_in - self.origin) // self.cell).astype(int)
        grid = np.zeros(tuple(((high - low) // self.cell).astype(int)[::-1] + 7), dtype=bool)
        grid[ij[:, 1], ij[:, 0]] = True
        disk = np.hypot(*np.mgrid[-3:4, -3:4]) <= 3
        self.coverage = ndimage.binary_dilation(grid, structure=disk)
        # only parcel-sized polygons: inside a district or a city-wide land-use patch everything fits
        polygons = local[shapely.get_dimensions(local) == 2]
        polygons = polygons[shapely.area(polygons) <= max_polygon_m2]
        self.polygons = shapely.STRtree(polygons) if len(polygons) else None
        rng = np.random.default_rng(0)  # fixed: the same data always gets the same verdict
        angle = rng.uniform(0, 2 * np.pi, n_ring)
        self.ring = np.column_stack([np.cos(angle), np.sin(angle)]) * rng.uniform(*ring_m, n_ring)[:, None]

    def _near(self, xy: NDArray, distance_m: float) -> NDArray:
        bound = distance_m + self.slack
        return self.edges.query(xy, distance_upper_bound=bound)[0] <= bound

    def _covered(self, xy: NDArray) -> NDArray:
        ij = ((xy - self.origin) // self.cell).astype(int)
        ok = (ij >= 0).all(axis=1) & (ij[:, 0] < self.coverage.shape[1]) & (ij[:, 1] < self.coverage.shape[0])
        out = np.zeros(len(xy), dtype=bool)
        out[ok] = self.coverage[ij[ok, 1], ij[ok, 0]]
        return out

    def _fit(self, measure: str, xy: NDArray) -> float:
        covered = self._covered(xy)
        if covered.sum() < 10:
            return np.nan
        if measure == "edges":
            return float(self._near(xy[covered], self.tolerance_m).mean())
        hits = np.unique(self.polygons.query(shapely.points(xy[covered]), predicate="within")[0])
        return len(hits) / float(covered.sum())

    def detect(self, geoms: ArrayLike) -> OffsetEvidence | None:
        """Test one layer (WGS84 lon/lat degrees as declared); the strongest evidence or None."""
        geoms = _present(geoms)
        if self.empty or len(geoms) == 0:
            return None
        point_like = bool(np.isin(shapely.get_dimensions(geoms), [0, 2]).all())
        best: OffsetEvidence | None = None
        for measure in ("edges", "inside"):
            if measure == "inside" and (self.polygons is None or not point_like):
                continue
            pts = _samples(geoms, self.frame, measure, self.max_samples)
            fit_raw = self._fit(measure, pts)
            lonlat = self.frame.to_lonlat(pts)
            for name, func in _TO_WGS84.items():
                moved = self.frame.to_local(np.column_stack(func(lonlat[:, 0], lonlat[:, 1])))
                score = self._fit(measure, moved)
                if not score > fit_raw:  # also NaN: fits no better than as it is, nothing to report
                    continue
                around = np.array([self._fit(measure, moved + s) for s in self.ring])
                around = around[np.isfinite(around)]
                if len(around) < len(self.ring) // 2:
                    continue
                z = (score - float(around.mean())) / max(float(around.std()), 1e-3)
                if z >= self.min_z and (best is None or z > best.z):
                    shift = float(np.mean(np.hypot(*(moved - pts).T)))
                    best = OffsetEvidence(name, measure, shift, score, fit_raw, float(z))
        return best


def detect_offset(geoms: ArrayLike, reference: ArrayLike, **options: float) -> OffsetEvidence | None:
    """Tell whether a layer looks GCJ-02- or BD-09-shifted relative to reference layers.

    Shorthand for ``OffsetReference(reference, **options).detect(geoms)``; see :class:`OffsetReference` for the
    method. Both arguments are geometries in WGS84 lon/lat degrees.
    """
    return OffsetReference(reference, **options).detect(geoms)


# --------------------------------------------------------------------------------------------- coordinate checks
#: A feature this far from the robust centre of its layer, metres, and this many times the median distance of
#: the layer's features from it, is an outlier (a point at (0, 0) among Harbin's buildings).
OUTLIER_MIN_M = 50_000.0
OUTLIER_MEDIAN_FACTOR = 20.0
#: At most this share of a layer is taken as outliers; more is a layer spread over places, not a few typos.
OUTLIER_MAX_SHARE = 0.05
#: How far (degrees) data may lie beyond the area of use of its declared projected CRS.
AREA_OF_USE_MARGIN_DEG = 10.0


def _rows(labels, mask: NDArray) -> str:
    """``第 3、7、9 个要素`` of the first few True rows (row labels of the file, counted from 1)."""
    picked = list(labels[mask][:5])
    shown = [str(label + 1) if isinstance(label, (int, np.integer)) else str(label) for label in picked]
    more = f" 等 {int(mask.sum())} 个" if mask.sum() > len(picked) else ""
    return "第 " + "、".join(shown) + f" 个要素{more}"


def projected_guess(x: float, y: float) -> str:
    """What projected coordinates ``x``, ``y`` (metres) most likely are, with the EPSG code to name them by."""
    zone = int(x // 1_000_000)
    if 25 <= zone <= 45 and 0 < y < 7_000_000:
        return (f"x = {x:,.0f} 带有高斯-克吕格带号 {zone}（前两位），是 CGCS2000 3 度带第 {zone} 带"
                f"（中央经线 {3 * zone}°E），应声明为 EPSG:{4513 + zone - 25}")
    if 13 <= zone <= 23 and 0 < y < 7_000_000:
        return (f"x = {x:,.0f} 带有高斯-克吕格带号 {zone}（前两位），是 CGCS2000 6 度带第 {zone} 带"
                f"（中央经线 {6 * zone - 3}°E），应声明为 EPSG:{4491 + zone - 13}")
    if 100_000 < x < 900_000 and 0 < y < 7_000_000:
        return ("像不带带号的横轴墨卡托坐标（UTM 或 CGCS2000 高斯-克吕格），应声明其投影，"
                "例如哈尔滨 EPSG:4551（CGCS2000 3 度带中央经线 126°E）或 EPSG:32652（UTM 52N）")
    return "不像任何常见的经纬度或投影坐标，请核对数据来源"


def _outside(lon: NDArray, lat: NDArray) -> NDArray:
    return ~(np.isfinite(lon) & np.isfinite(lat)) | (np.abs(lon) > 180) | (np.abs(lat) > 90)


def check_coordinates(frame, *, file: str | None, layer: str) -> None:
    """Refuse coordinates nothing may use: not finite, or outside the range of the layer's CRS.

    Names what they most likely are: swapped lat/lon, metres declared as degrees, zone-prefixed Gauss–Krüger
    ``x`` (e.g. 41,500,000 for zone 41) declared without the zone, data outside its projected CRS's area.
    Works on the vertices and per-feature bounds only (memory linear in the vertices).

    Parameters
    ----------
    frame
        GeoDataFrame with its CRS set.

    Raises
    ------
    InputError
        Naming the file, layer, the first features and the fix.
    """
    geoms = np.asarray(frame.geometry.values)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = np.zeros(len(geoms), dtype=bool)
    np.logical_or.at(bad, index, ~np.isfinite(coords).all(axis=1))
    if bad.any():
        raise InputError(f"{_rows(frame.index, bad)}的坐标不是有限数（NaN 或无穷大）", file=file, layer=layer,
                         fix="在原软件中修正或删除这些要素后重新导入")
    crs = pyproj.CRS.from_user_input(frame.crs)
    bounds = shapely.bounds(geoms[present])
    cx, cy = (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
    rows = np.flatnonzero(present)
    if crs.is_geographic:
        x, y = coords[:, 0], coords[:, 1]
        out = np.zeros(len(geoms), dtype=bool)
        np.logical_or.at(out, index, _outside(x, y))
        mx, my = float(np.median(cx)), float(np.median(cy))
        swapped_in_china = 3 <= mx <= 54 and 73 <= my <= 136 and not (73 <= mx <= 136 and 3 <= my <= 54)
        if not out.any() and not swapped_in_china:
            return
        mask = out if out.any() else present
        ox, oy = float(np.median(x[np.isin(index, np.flatnonzero(mask))])), \
            float(np.median(y[np.isin(index, np.flatnonzero(mask))]))
        if (abs(ox) <= 90 and abs(oy) <= 180) and (abs(oy) > 90 or swapped_in_china):
            raise InputError(f"{_rows(frame.index, mask)}的经纬度顺序颠倒：x = {ox:.4f}、y = {oy:.4f} 像是（纬度, 经度）",
                             file=file, layer=layer,
                             fix="在原软件中把 x/y 对调后重新导入（GeoJSON 和 GeoPackage 规定先经度后纬度）")
        if max(abs(ox), abs(oy)) > 1000:
            raise InputError(f"{_rows(frame.index, mask)}的坐标以米为单位（x = {ox:,.0f}，y = {oy:,.0f}），却被当作经纬度"
                             f"（{crs.name}）：{projected_guess(ox, oy)}", file=file, layer=layer,
                             fix="用 --source-crs 给出数据真正的投影（见上），或修正文件的 .prj")
        raise InputError(f"{_rows(frame.index, mask)}的经纬度超出范围（经度 ±180°、纬度 ±90°）", file=file, layer=layer,
                         fix="核对这些要素的坐标和 --source-crs")
    to_lonlat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    lon, lat = to_lonlat.transform(cx, cy)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    out = _outside(lon, lat)
    area = crs.area_of_use
    if area is not None:
        m = AREA_OF_USE_MARGIN_DEG
        out |= ((lon < area.west - m) | (lon > area.east + m) | (lat < area.south - m) | (lat > area.north + m))
    if out.any():
        mask = np.zeros(len(geoms), dtype=bool)
        mask[rows[out]] = True
        ox, oy = float(np.median(cx[out])), float(np.median(cy[out]))
        raise InputError(f"{_rows(frame.index, mask)}的坐标（x = {ox:,.0f}，y = {oy:,.0f}）不在声明的坐标系 {crs.name} 的"
                         f"适用范围内：{projected_guess(ox, oy)}", file=file, layer=layer,
                         fix="用 --source-crs 给出数据真正的坐标系，或修正文件的 .prj")


def robust_outliers(frame) -> NDArray:
    """Rows of ``frame`` far from where the rest of the layer lies, as a boolean array.

    The centre is the coordinate-wise median of the features' bounds centres (in lon/lat); a feature is an
    outlier when it lies more than :data:`OUTLIER_MIN_M` and :data:`OUTLIER_MEDIAN_FACTOR` times the median
    distance from that centre. Layers of fewer than 5 features, or with more than one far feature that are more
    than :data:`OUTLIER_MAX_SHARE` of them (a layer over several places), have none.
    """
    geoms = np.asarray(frame.geometry.values)
    result = np.zeros(len(geoms), dtype=bool)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if present.sum() < 5:
        return result
    lonlat = frame.geometry[present].to_crs(4326) if frame.crs is not None else frame.geometry[present]
    b = shapely.bounds(np.asarray(lonlat.values))
    lon, lat = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    lon0, lat0 = float(np.median(lon)), float(np.median(lat))
    local = _Frame(lon0, lat0).to_local(np.column_stack([lon, lat]))
    # the equirectangular frame overstates far distances, which only makes a far feature farther
    distance = np.hypot(local[:, 0], local[:, 1])
    far = distance > max(OUTLIER_MIN_M, OUTLIER_MEDIAN_FACTOR * float(np.median(distance)))
    if far.sum() > max(1.0, OUTLIER_MAX_SHARE * len(far)):
        return result
    result[np.flatnonzero(present)[far]] = True
    return result
