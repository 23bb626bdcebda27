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

from gisplanner.errors import InputError

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its first eccentricity squared
_BD_PI = np.pi * 3000.0 / 180.0

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
    shift_m
        Mean length of the offset undone at the layer, metres.
    fit, fit_raw
        Share of the layer's sample points lying near the reference after and before undoing the offset.
    z
        How many standard deviations ``fit`` lies above the fit of random shifts of the same size range.
    """

    system: str
    shift_m: float
    fit: float
    fit_raw: float
    z: float


def detect_offset(geoms: ArrayLike, reference: ArrayLike, *, cell_m: float = 10.0, tolerance_m: float = 10.0,
                  reach_m: float = 1500.0, max_samples: int = 4000, n_background: int = 400,
                  min_z: float = 4.0) -> OffsetEvidence | None:
    """Tell whether a layer looks GCJ-02- or BD-09-shifted relative to reference layers.

    The edges of the reference (polygon boundaries, lines, points) are rasterised at ``cell_m`` and dilated by
    ``tolerance_m``; the layer's edges are sampled every 10 m. The fit of a shift is the share of samples that
    land on the reference mask. The layer is reported when undoing an offset fits better than the raw layer
    and stands out (``min_z`` standard deviations) from ``n_background`` random shifts within ``reach_m``: a
    chance coincidence of the best shift with the GCJ-02 vector is then very unlikely. Layers whose edges
    follow the reference (land use, green space, communities against roads) give a sharp answer; scattered
    points or building footprints give a weak one and are then not reported.

    Parameters
    ----------
    geoms
        Geometries of the layer under test, lon/lat degrees as declared by the file.
    reference
        Geometries of the other layers of the import or project, WGS84 lon/lat degrees.
    cell_m, tolerance_m, reach_m
        Raster cell, match distance and largest random shift, metres.
    max_samples, n_background
        Sample points of the layer used at most; random shifts forming the background.

    Returns
    -------
    OffsetEvidence or None
    """
    geoms = np.asarray(geoms)
    ref = np.asarray(reference)
    if len(geoms) == 0 or len(ref) == 0:
        return None
    coords = shapely.get_coordinates(geoms)
    lon0, lat0 = float(np.mean(coords[:, 0])), float(np.mean(coords[:, 1]))
    # a local equirectangular frame is exact enough for matching at 10 m over a city
    kx, ky = 111320.0 * np.cos(np.radians(lat0)), 110540.0

    def local(c: NDArray) -> NDArray:
        return np.column_stack([(c[:, 0] - lon0) * kx, (c[:, 1] - lat0) * ky])

    def edge_points(g: NDArray, spacing: float) -> NDArray:
        g = np.where(shapely.get_dimensions(g) == 2, shapely.boundary(g), g)
        return shapely.get_coordinates(shapely.segmentize(shapely.transform(g, local), spacing))

    pts = edge_points(geoms, 10.0)
    if len(pts) > max_samples:
        pts = pts[np.linspace(0, len(pts) - 1, max_samples).astype(int)]
    lonlat = np.column_stack([pts[:, 0] / kx + lon0, pts[:, 1] / ky + lat0])
    origin = pts.min(axis=0) - reach_m - cell_m
    shape = ((pts.max(axis=0) + reach_m + cell_m - origin) // cell_m).astype(int)[::-1] + 1
    mask = np.zeros(shape, dtype=bool)
    cells = ((edge_points(ref, cell_m / 2) - origin) // cell_m).astype(int)
    inside = (cells >= 0).all(axis=1) & (cells[:, 0] < shape[1]) & (cells[:, 1] < shape[0])
    mask[cells[inside, 1], cells[inside, 0]] = True
    if not mask.any():
        return None
    mask = ndimage.distance_transform_edt(~mask) * cell_m <= tolerance_m

    def fit(xy: NDArray) -> float:
        ij = ((xy - origin) // cell_m).astype(int)
        ok = (ij >= 0).all(axis=1) & (ij[:, 0] < shape[1]) & (ij[:, 1] < shape[0])
        return float(mask[ij[ok, 1], ij[ok, 0]].sum() / len(xy))

    rng = np.random.default_rng(0)  # fixed: the same data always gets the same verdict
    shifts = rng.uniform(-reach_m, reach_m, size=(n_background, 2))
    background = np.array([fit(pts + s) for s in shifts])
    spread = max(float(background.std()), 1e-9)
    fit_raw = fit(pts)
    best: OffsetEvidence | None = None
    for name, func in _TO_WGS84.items():
        moved = local(np.column_stack(func(lonlat[:, 0], lonlat[:, 1])))
        score = fit(moved)
        z = (score - float(background.mean())) / spread
        if score > fit_raw and z >= min_z and (best is None or score > best.fit):
            shift = float(np.mean(np.hypot(*(moved - pts).T)))
            best = OffsetEvidence(name, shift, score, fit_raw, float(z))
    return best
